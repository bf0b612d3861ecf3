"""The ``aws`` provider: Cost Explorer, CUR / Data Exports in S3, or those queried with Athena -> records.

This module only wires the pieces together: settings (``fields``), the date range Cost Explorer can
still answer, account names, and ``test-auth``. Credentials live in ``aws_session``, retries and
error messages in ``aws_retry``, the Cost Explorer request plan in ``aws_ce``, S3 exports in
``aws_cur``, Athena queries over them in ``aws_athena``. boto3 is imported only inside those
modules' functions, so loading the plugin (and ``costctl check`` from a warm cache) never pays for
it.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from costctl.clouds.aws import athena as aws_athena
from costctl.clouds.aws import cost_explorer as aws_ce
from costctl.clouds.aws import retry as aws_retry
from costctl.clouds.aws.session import AwsSession
from costctl.errors import ConfigError, ProviderError
from costctl.providers.base import AuthResult, Provider
from costctl.schema import Field

if TYPE_CHECKING:
    import pandas as pd

    from costctl.analysis.commitment_api import CommitmentSource
    from costctl.idle.scanner import IdleScanner

ACCOUNT_NAMES_TTL = 86400.0  # account names rarely change; one ListAccounts walk a day is plenty
HOURLY_LOOKBACK_DAYS = 14


def _s3_uri(value: Any) -> str:
    if not str(value).startswith("s3://") or len(str(value)) <= len("s3://"):
        raise ValueError(f"expected s3://bucket/prefix, got {value!r}")
    return str(value)


def within(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Only rows starting in ``[start, end)``: the cache stores exactly the days it asked for."""
    import pandas as pd

    starts = frame["ChargePeriodStart"]
    mask = (starts >= pd.Timestamp(start, tz="UTC")) & (starts < pd.Timestamp(end, tz="UTC"))
    return frame.loc[mask].reset_index(drop=True)


class AwsProvider(Provider):
    """AWS costs from Cost Explorer GetCostAndUsage, or from CUR / Data Exports objects in S3."""

    type_name: ClassVar[str] = "aws"
    description: ClassVar[str] = "AWS Cost Explorer (service, account, region, tags) or CUR/Data Exports in S3"
    fields: ClassVar[dict[str, Field]] = {
        "profile": Field("str", help="named profile from ~/.aws/config (default: boto3's credential chain)"),
        "role_arn": Field("str", help="role to assume through STS, e.g. a read-only billing role in the payer"),
        "external_id": Field("str", secret=True, help="ExternalId the role's trust policy demands"),
        "session_name": Field("str", default="costctl", help="RoleSessionName, visible in CloudTrail", data=False),
        "organization": Field("bool", default=False, data=False,
                              help="idle: scan every active account of the organisation (ListAccounts), each "
                                   "through member_role_name"),
        "member_role_name": Field("str", default="OrganizationAccountAccessRole", data=False,
                                  help="idle with organization: the role assumed in each member account"),
        "member_external_id": Field("str", secret=True, data=False,
                                    help="idle with organization: ExternalId the member roles' trust policy demands "
                                         "(external_id belongs to role_arn)"),
        "region": Field("str", help="region for regional clients (S3); Cost Explorer always uses us-east-1",
                        data=False),
        "endpoint_url": Field("str", help="AWS-compatible endpoint for every client (moto, VPC endpoint)"),
        "metric": Field(
            "str", default="amortized", choices=("amortized", "net_amortized"),
            help="Cost Explorer metric mapped to EffectiveCost (UnblendedCost is always BilledCost)",
        ),
        "tag_keys": Field("list", default=list, items="str",
                          help="tag keys to pull into Tags (at most 2 with Cost Explorer; any number with athena)"),
        "group_plan": Field(
            "str", default="service_account_region", choices=("service_account", "service_account_region"),
            help="service_account: 1 request per page, no region; service_account_region: 1 + min(accounts, "
                 "regions) requests",
        ),
        "cur_s3_uri": Field(
            "str", validator=_s3_uri,
            help="s3://bucket/prefix of a CUR or Data Exports export; when set, read it instead of Cost Explorer",
        ),
        "athena": Field(
            "map", validator=lambda value: aws_athena.validate(value),
            help="query CUR / Data Exports in place with Athena: {database, table, workgroup, output_location, "
                 "catalog, max_scan_gb, resources, max_query_time} (docs/aws.md)",
        ),
        "max_retry_time": Field("duration", default=60.0, help="give up retrying throttled calls after this long",
                                data=False),
        # Cost Explorer bills each request and refreshes its data only a few times a day: with a
        # check every 5 minutes, 4h makes 6 refreshes (12-14 requests) a day instead of 46 with 1h.
        "ttl": Field("duration", default=4 * 3600.0, data=False,
                     help="how long cached recent days stay fresh (Cost Explorer refreshes a few times a day)"),
        "recommendation_term": Field("str", default="1y", choices=("1y", "3y"),
                                     help="term of the Cost Explorer purchase recommendations (commitments --show "
                                          "recommendations)"),
        "recommendation_payment": Field("str", default="no_upfront",
                                        choices=("no_upfront", "partial_upfront", "all_upfront"),
                                        help="payment option of the Cost Explorer purchase recommendations"),
        "lookback_months": Field(
            "int", default=14, help="months Cost Explorer keeps (14, or 38 with multi-year data enabled)"
        ),
    }

    def __init__(self, name: str, settings: Mapping[str, Any], store: MutableMapping[str, Any] | None = None) -> None:
        super().__init__(name, settings, store)
        self.settings.setdefault("metric", "amortized")
        self.settings.setdefault("group_plan", "service_account_region")
        self.settings.setdefault("lookback_months", 14)
        self.tag_keys: list[str] = list(self.settings.get("tag_keys") or [])
        try:
            # Athena groups by any number of tag keys; Cost Explorer's two-key limit is the plan's
            self.plan = aws_ce.make_plan(self.settings["group_plan"], [] if self.settings.get("athena")
                                         else self.tag_keys)
        except ValueError as exc:
            raise ConfigError(f"providers.{name}.tag_keys: {exc}") from None
        if self.settings.get("athena") and self.settings.get("cur_s3_uri"):
            raise ConfigError(f"providers.{name}: athena and cur_s3_uri both set; keep one (athena queries the "
                              "export in place, cur_s3_uri downloads it)")
        if self.settings.get("athena"):
            try:
                self.settings["athena"] = aws_athena.validate(self.settings["athena"])
            except ValueError as exc:
                raise ConfigError(f"providers.{name}.athena: {exc}") from None
        self.requests_by_service: collections.Counter[str] = collections.Counter()
        self.aws = AwsSession(self.settings, aws_retry.Counter(self._count_request, self._count_retry))

    def fingerprint_inputs(self) -> dict[str, Any]:
        """As the base class, and inside ``athena:`` only what names the data (not workgroup, limits)."""
        relevant = super().fingerprint_inputs()
        if isinstance(relevant.get("athena"), dict):
            relevant["athena"] = {k: v for k, v in relevant["athena"].items()
                                  if k not in aws_athena.FIELDS or aws_athena.FIELDS[k].data}
        return relevant

    def _count_request(self, service: str) -> None:
        self.stats.requests += 1
        self.requests_by_service[service] += 1

    def _count_scanned(self, scanned: int) -> None:
        self.stats.bytes_scanned += scanned

    def _count_retry(self) -> None:
        self.stats.retries += 1

    def today(self) -> date:
        """Today in UTC; the base of Cost Explorer's lookback window (tests replace it)."""
        return datetime.now(UTC).date()

    # -- fetching -----------------------------------------------------------------------------

    @property
    def fetch_sql(self) -> Callable[[date, date], str] | None:
        """The columnar fetch (a DuckDB source) when reading CUR from S3 or through Athena; None for
        Cost Explorer.

        A property, not a method: the loader takes the columnar path when a provider has a
        ``fetch_sql`` (the export or the Athena answer goes into the cache without becoming pandas),
        and Cost Explorer answers are frames, so in that mode there is none.
        """
        if self.settings.get("cur_s3_uri"):
            return self._cur_sql
        return self._athena_sql if self.settings.get("athena") else None

    def _cur_sql(self, start: date, end: date) -> str:
        from costctl.clouds.aws import cur as aws_cur

        return aws_cur.fetch_sql(self.aws, self.settings["cur_s3_uri"], start, end)

    def fetch(self, start: date, end: date, granularity: str = "daily") -> pd.DataFrame:
        from costctl import model

        if granularity not in aws_ce.GRANULARITY:
            raise ProviderError(f"aws {self.name}: unknown granularity {granularity!r} (daily, monthly or hourly)")
        if self.settings.get("cur_s3_uri"):
            from costctl.errors import ExportFormatError
            from costctl.query import Dataset

            try:
                return Dataset(self._cur_sql(start, end)).frame()
            except ExportFormatError as exc:  # as before the columnar path: the provider's failed fetch
                raise ProviderError(str(exc)) from None
        if self.settings.get("athena"):
            if granularity != "daily":
                raise ProviderError(f"aws {self.name}: athena mode gives daily rows; {granularity} is not available")
            end = min(end, self.today() + timedelta(days=1))  # no cost after today: no need to ask
            return aws_athena.fetch(self.aws, self.settings["athena"], self.tag_keys, start, end,
                                    on_scanned=self._count_scanned)
        clipped = self.clip(start, end, granularity)
        if clipped is None:
            return model.empty_frame()
        rows = aws_ce.fetch_rows(self.aws.call, self.plan, *clipped, granularity, self.settings["metric"])
        names = self.account_names() if rows else {}
        frame = within(aws_ce.to_frame(rows, self.settings["metric"], self.tag_keys, names), start, end)
        self.log.debug("aws %s: %s", self.name, dict(self.requests_by_service))
        return frame

    def _athena_sql(self, start: date, end: date) -> str:
        end = min(end, self.today() + timedelta(days=1))  # no cost after today: no need to ask
        table = aws_athena.fetch_table(self.aws, self.settings["athena"], self.tag_keys, start, end,
                                       on_scanned=self._count_scanned)
        if table is None:
            from costctl.query import Dataset

            return f"({Dataset.empty().sql()})"
        from costctl.duck import quote

        return quote(table)

    def clip(self, start: date, end: date, granularity: str) -> tuple[date, date] | None:
        """``[start, end)`` cut to what Cost Explorer keeps, with a warning; None when nothing is left.

        Asking beyond the lookback makes Cost Explorer fail the whole request, so the old part is
        dropped here instead, and days after today (no cost yet) are not asked for at all.
        """
        today = self.today()
        if granularity == "hourly":
            earliest = today - timedelta(days=HOURLY_LOOKBACK_DAYS)
            hint = "hourly data covers the last 14 days"
        else:
            months = int(self.settings["lookback_months"])
            index = today.year * 12 + today.month - 1 - (months - 1)
            earliest = date(index // 12, index % 12 + 1, 1)
            hint = f"Cost Explorer keeps {months} months; set lookback_months: 38 if multi-year data is enabled"
        latest = today + timedelta(days=1)
        new_start, new_end = max(start, earliest), min(end, latest)
        if new_start > start:
            self.log.warning(
                "aws %s: asked from %s but only %s onwards is available (%s)", self.name, start, earliest, hint
            )
        if new_start >= new_end:
            return None
        return new_start, new_end

    def account_names(self) -> dict[str, str]:
        """Account id -> name from Organizations, remembered for a day; {} when the caller may not list them."""
        return self.remember("account-names", ACCOUNT_NAMES_TTL, self._list_accounts)

    def _list_accounts(self) -> dict[str, str]:
        """Every page of ListAccounts. A caller that may not list accounts (the first request fails)
        gets ids instead of names; a malformed page, or a later page that fails, fails the fetch:
        a partial or empty map would be remembered and cached with the records."""
        from costctl.clouds.aws import answers as aws_answers

        names: dict[str, str] = {}
        token = None
        while True:
            try:
                answer = self.aws.call("organizations", "ListAccounts", **({"NextToken": token} if token else {}))
            except ProviderError as exc:
                if token:
                    raise ProviderError(f"account names: a ListAccounts page failed: {exc}") from None
                self.log.info("aws %s: account names unavailable, showing ids (%s)", self.name, exc)
                return {}
            page, token = aws_answers.account_page(answer)
            names.update(page)
            if not token:
                return names

    # -- test-auth ----------------------------------------------------------------------------

    def idle_scanner(self) -> IdleScanner:
        """Capability: ``costctl idle`` scans this instance's resources (``clouds.aws.idle``)."""
        from costctl.clouds.aws.idle import Scanner

        return Scanner()

    def commitment_source(self) -> CommitmentSource:
        """Capability: Cost Explorer's RI / Savings Plans utilization, coverage and recommendations
        (``clouds.aws.commitments_api``), whatever this instance reads its costs from."""
        from costctl.clouds.aws.commitments_api import AwsCommitments

        return AwsCommitments(self.aws.call, term=self.settings.get("recommendation_term") or "1y",
                              payment=self.settings.get("recommendation_payment") or "no_upfront")

    def test_auth(self) -> AuthResult:
        try:
            identity = self.aws.call("sts", "GetCallerIdentity")["Arn"]
        except ProviderError as exc:
            return AuthResult(ok=False, checks=[("credentials (sts:GetCallerIdentity)", False, str(exc))])
        checks: list[tuple[str, bool, str]] = [("credentials (sts:GetCallerIdentity)", True, identity)]
        if self.settings.get("athena"):
            required = [self._check_athena()]
        else:
            required = [self._check_ce() if not self.settings.get("cur_s3_uri") else self._check_s3()]
        checks.extend(required)
        try:
            count = len(self.aws.call("organizations", "ListAccounts", MaxResults=20).get("Accounts", []))
            checks.append(("account names (organizations:ListAccounts)", True, f"{count} account(s) on first page"))
        except ProviderError as exc:
            checks.append(("account names (organizations:ListAccounts)", False, f"optional, ids shown instead: {exc}"))
        return AuthResult(ok=all(ok for _, ok, _ in required), identity=identity, checks=checks)

    def _check_ce(self) -> tuple[str, bool, str]:
        what = "Cost Explorer (ce:GetCostAndUsage)"
        today = self.today()
        try:
            self.aws.call(
                "ce", "GetCostAndUsage", Granularity="MONTHLY", Metrics=[aws_ce.BILLED_METRIC],
                TimePeriod={"Start": (today - timedelta(days=1)).isoformat(), "End": today.isoformat()},
            )
        except ProviderError as exc:
            return what, False, str(exc)
        return what, True, "answers (1 billed request, USD 0.01)"

    def _check_s3(self) -> tuple[str, bool, str]:
        from costctl.clouds.aws import cur as aws_cur

        what = "CUR export (s3:ListBucket)"
        try:
            count = aws_cur.check(self.aws, self.settings["cur_s3_uri"])
        except ProviderError as exc:
            return what, False, str(exc)
        return what, True, f"{count} object(s) under {self.settings['cur_s3_uri']}"

    def _check_athena(self) -> tuple[str, bool, str]:
        what = "Athena table (glue:GetTable, athena:GetWorkGroup)"
        try:
            return what, True, aws_athena.check(self.aws, self.settings["athena"])
        except ProviderError as exc:
            return what, False, str(exc)

    def close(self) -> None:
        self.aws.close()
