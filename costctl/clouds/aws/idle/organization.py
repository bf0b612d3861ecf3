"""Organisation-wide idle scans: every active member account, through a role assumed in each.

With ``organization: true`` an ``aws`` provider instance whose credentials reach the management
(or a delegated administrator) account lists the organisation's accounts (Organizations
``ListAccounts``) and scans each one as the role ``member_role_name`` (default
``OrganizationAccountAccessRole``, the role AWS creates in accounts it creates for an
organisation), optionally with ``member_external_id``. The caller's own account is scanned with
its own credentials. A member whose role cannot be assumed is one warning naming it; the others are
still scanned, so one misconfigured account never hides the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from costctl.clouds.aws import retry as aws_retry
from costctl.clouds.aws.idle.api import Api, Denied
from costctl.clouds.aws.session import AwsSession
from costctl.errors import ProviderError

DEFAULT_MEMBER_ROLE = "OrganizationAccountAccessRole"


@dataclass
class Target:
    """One account to scan: its id, its name in the organisation, and a session acting in it."""

    account: str
    name: str
    session: AwsSession
    regions: list[str]


class MemberSession(AwsSession):
    """A session in a member account: the parent's credentials assume the member's role.

    AssumeRole goes through the parent's STS client, built before the members are reached in
    parallel: boto3 clients are thread-safe, building clients from one boto3 session in several
    threads at once is not. The member's own boto3 session then holds the role's credentials.
    """

    def __init__(self, parent: AwsSession, role_arn: str, external_id: str | None) -> None:
        super().__init__(parent.settings, parent.counter)
        self.parent = parent
        self.role_arn = role_arn
        self.external_id = external_id

    def session(self) -> Any:
        if self._session is not None:
            return self._session
        import boto3

        params: dict[str, Any] = {"RoleArn": self.role_arn,
                                  "RoleSessionName": self.settings.get("session_name") or "costctl"}
        if self.external_id:
            params["ExternalId"] = self.external_id
        creds = aws_retry.call(self.counter, self.parent.client("sts"), "AssumeRole", self.max_time,
                               **params)["Credentials"]
        self._session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                                      aws_secret_access_key=creds["SecretAccessKey"],
                                      aws_session_token=creds["SessionToken"])
        return self._session


def member_role_arn(settings: dict[str, Any], account: str) -> str:
    return f"arn:aws:iam::{account}:role/{settings.get('member_role_name') or DEFAULT_MEMBER_ROLE}"


def active_accounts(base: AwsSession) -> list[tuple[str, str]]:
    """(id, name) of every active account of the organisation, in ListAccounts order."""
    try:
        found = list(Api(base).pages("organizations", "ListAccounts", "Accounts"))
    except Denied as exc:
        raise ProviderError(f"organization: cannot list the organisation's accounts ({exc}); run from the "
                            "management or a delegated administrator account, or drop organization: true") from None
    return [(str(a["Id"]), str(a.get("Name") or a["Id"])) for a in found
            if (a.get("State") or a.get("Status") or "ACTIVE").upper() == "ACTIVE"]


def targets(base: AwsSession, caller: str, settings: dict[str, Any], accounts: list[str] | None,
            regions_of: Callable[[AwsSession], list[str]], workers: int,
            warn: Callable[[str], None]) -> list[Target]:
    """The accounts to scan with a session and the regions of each, members assumed in parallel
    (at most ``workers`` at a time); a member that cannot be reached is a warning, not a failure."""
    wanted = set(accounts or [])
    listed = [(a, n) for a, n in active_accounts(base) if not wanted or a in wanted]
    for missing in sorted(wanted - {a for a, _n in listed}):
        warn(f"account {missing} is not an active account of the organisation; not scanned")

    def reach(account: str, name: str) -> Target | None:
        session = base
        if account != caller:
            role = member_role_arn(settings, account)
            session = MemberSession(base, role, settings.get("member_external_id"))
            try:
                session.session()  # AssumeRole, once per member, before its regions share the session
            except ProviderError as exc:
                session.close()
                warn(f"account {account} ({name}) not scanned: cannot assume {role} ({_line(exc)})")
                return None
        try:
            return Target(account, name, session, regions_of(session))
        except ProviderError as exc:
            if session is not base:
                session.close()
            warn(f"account {account} ({name}) not scanned: {_line(exc)}")
            return None

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(listed) or 1))) as pool:
        reached = list(pool.map(lambda pair: reach(*pair), listed))
    return [t for t in reached if t is not None]


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
