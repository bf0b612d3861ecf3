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

    Reuses ``AwsSession``'s AssumeRole (``role_arn``/``external_id``/``session_name``); only the
    credentials it starts from differ: the parent's (which may themselves be an assumed role).
    """

    def __init__(self, parent: AwsSession, role_arn: str, external_id: str | None) -> None:
        settings = {**parent.settings, "role_arn": role_arn, "external_id": external_id}
        super().__init__(settings, parent.counter)
        self.parent = parent

    def _base_session(self) -> Any:
        return self.parent.session()


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
