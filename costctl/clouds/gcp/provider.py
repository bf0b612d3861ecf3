"""The ``gcp`` provider: the Cloud Billing export in BigQuery, aggregated in BigQuery.

Flow: ``gcp_sql`` builds one parameterized query per fetch, ``gcp_client`` runs it (credentials,
retries, error messages) and this module maps the aggregated answer onto the normalized record.
Each answer row becomes one usage row (``cost``, before credits) and, when the row's credits are
not zero, one ``ChargeCategory="Credit"`` row carrying their (negative) sum, so BilledCost summed
over both equals the net cost the console shows and the split stays visible.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from costctl.clouds.gcp import bigquery_sql as gcp_sql
from costctl.clouds.gcp import client as gcp_client
from costctl.errors import ProviderError
from costctl.providers.base import AuthResult, Provider
from costctl.schema import Field, at_least

if TYPE_CHECKING:
    import pandas as pd

    from costctl.analysis.commitment_api import CommitmentSource
    from costctl.idle.scanner import IdleScanner

GIB = 1 << 30
CREDIT_DESCRIPTION = "Credits (promotions, discounts, free tier)"


def today_utc() -> date:
    return datetime.now(UTC).date()


class GcpProvider(Provider):
    """GCP costs from the standard or detailed (resource-level) Cloud Billing export table."""

    type_name: ClassVar[str] = "gcp"
    description: ClassVar[str] = "GCP Cloud Billing export in BigQuery (standard or resource-level table)"
    fields: ClassVar[dict[str, Field]] = {
        "table": Field("str", required=True, validator=gcp_sql.validate_table,
                       help="export table as project.dataset.table (gcp_billing_export_v1_... or _resource_v1_...)"),
        "detailed": Field("bool", default=False,
                          help="the table is the detailed resource-level export: also group by resource"),
        "billing_project": Field("str", help="project that runs (and pays for) the query jobs; default: the table's",
                                 data=False),
        "credentials_file": Field("str", help="service-account JSON key; default: Application Default Credentials",
                                  data=False),
        "anonymous": Field("bool", default=False, help="no credentials at all (local BigQuery stand-ins only)",
                           data=False),
        "location": Field("str", help="BigQuery location of the export dataset (US, EU, europe-west1...)", data=False),
        "api_endpoint": Field("str", help="BigQuery API endpoint override (private endpoint, local test server)"),
        "label_keys": Field("list", default=list, items="str", validator=gcp_sql.validate_label_keys,
                            help="label keys to group by and carry into Tags (resource labels, then project's)"),
        "maximum_bytes_billed": Field("int", default=10 * GIB,
                                      help="refuse queries that would bill more bytes than this (0: no limit)",
                                      validator=at_least(0), data=False),
        "partition_margin_days": Field("int", default=7,
                                       help="scan this many export partitions after the range, for late rows",
                                       validator=at_least(0)),
        "page_size": Field("int", default=10000, help="rows per page when reading the answer",
                           validator=at_least(1), data=False),
        "max_retry_time": Field("duration", default=120.0, data=False,
                                help="give up retrying rate limits and server errors after this long"),
        "commitment_projects": Field("list", default=list, items="str",
                                     help="projects whose CUD recommendations `commitments --source api` reads "
                                          "(default: the export table's project)"),
        "commitment_regions": Field("list", default=list, items="str",
                                    help="regions the Recommender is asked for CUD recommendations (it answers "
                                         "per region)"),
        "recommender_endpoint": Field("str", help="Recommender API endpoint override (private endpoint, local "
                                                  "test server)"),
        "compute_endpoint": Field("str", help="Compute Engine API endpoint override for the commitment inventory "
                                              "(private endpoint, local test server)"),
    }

    @property
    def table(self) -> str:
        return gcp_sql.validate_table(self.settings["table"])

    @property
    def billing_project(self) -> str:
        return self.settings.get("billing_project") or self.table.split(".")[0]

    @property
    def label_keys(self) -> list[str]:
        return gcp_sql.validate_label_keys(self.settings.get("label_keys"))

    def _client(self) -> tuple[Any, str]:
        if getattr(self, "_cached_client", None) is None:
            self._cached_client = gcp_client.make_client(self.settings, self.billing_project)
        return self._cached_client

    def query(self, start: date, end: date) -> gcp_sql.Query:
        """The query one fetch of ``[start, end)`` sends (also shown by dry runs and tests)."""
        return gcp_sql.build_query(
            self.table, start, end, label_keys=self.label_keys,
            margin_days=int(self.settings.get("partition_margin_days", 7)),
            detailed=bool(self.settings.get("detailed")),
        )

    def _run(self, query: gcp_sql.Query, dry_run: bool) -> gcp_client.Answer:
        client, _identity = self._client()
        answer = gcp_client.run(
            client, query.sql, query.bigquery_parameters(), dry_run=dry_run,
            maximum_bytes_billed=int(self.settings.get("maximum_bytes_billed", 10 * GIB)) or None,
            page_size=int(self.settings.get("page_size", 10000)),
            max_time=float(self.settings.get("max_retry_time", 120.0)),
            on_job=self._count_job, on_retry=self._count_retry, table=self.table,
        )
        if not dry_run:
            self.stats.bytes_scanned += answer.bytes_processed
        return answer

    def _count_job(self) -> None:
        self.stats.requests += 1

    def _count_retry(self) -> None:
        self.stats.retries += 1

    def dry_run(self, start: date, end: date) -> int:
        """Bytes the fetch query for ``[start, end)`` would process (BigQuery dry runs are free)."""
        return self._run(self.query(start, end), dry_run=True).bytes_processed

    def fetch(self, start: date, end: date, granularity: str = "daily") -> pd.DataFrame:
        from costctl import model

        if granularity != "daily":
            raise ProviderError(f"{self.name}: the gcp provider answers daily granularity only")
        if end <= start:
            return model.empty_frame()
        query = self.query(start, end)
        if self.log.isEnabledFor(logging.INFO):
            # -v: say what the query will cost before running it.
            self.log.info("%s: query would scan %d bytes (dry run) for %s .. %s", self.name,
                          self.dry_run(start, end), start, end - timedelta(days=1))
        answer = self._run(query, dry_run=False)
        self.log.info("%s: job %s returned %d aggregated rows, %d bytes processed", self.name, answer.job_id,
                      len(answer.rows), answer.bytes_processed)
        return self.to_frame(answer.rows, start, end)

    def to_frame(self, rows: list[dict[str, Any]], start: date, end: date) -> pd.DataFrame:
        """Map aggregated answer rows to normalized records; a malformed row is a one-line error."""
        import pandas as pd

        from costctl import model

        records: list[dict[str, Any]] = []
        estimated_from = today_utc() - timedelta(days=self.restatement_days)
        for number, row in enumerate(rows, start=1):
            try:
                records.extend(self._records(row, estimated_from, number))
            except (KeyError, TypeError, ValueError) as exc:
                raise ProviderError(
                    f"{self.name}: BigQuery answer row {number} is malformed ({gcp_client.short(exc)}); "
                    "check that the table is a Cloud Billing export"
                ) from exc
        if not records:
            return model.empty_frame()
        frame = model.normalize(pd.DataFrame.from_records(records))
        lo, hi = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")
        inside = (frame["ChargePeriodStart"] >= lo) & (frame["ChargePeriodStart"] < hi)
        if not inside.all():
            self.log.warning("%s: dropped %d row(s) outside %s .. %s", self.name, int((~inside).sum()), start, end)
        return frame.loc[inside].reset_index(drop=True)

    def _records(self, row: dict[str, Any], estimated_from: date, number: int = 0) -> list[dict[str, Any]]:
        from costctl.clouds.gcp import answers as gcp_answers
        from costctl.clouds.gcp.export_sql import CHARGE_CATEGORY  # one cost_type table for the export and the API
        from costctl.formats.categories import service_category

        day = row["usage_day"]
        if isinstance(day, str):
            day = date.fromisoformat(day)
        if not isinstance(day, date):
            raise ValueError(f"usage_day is {day!r}")
        begin = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        month = row.get("invoice_month")
        if row["cost"] is None:
            raise ValueError("cost is empty")
        cost, credits = gcp_answers.cost(row, "cost", number), gcp_answers.cost(row, "credits", number)
        if not row.get("currency"):
            raise ValueError("currency is empty")
        tags = {key: str(row[f"label_{i}"]) for i, key in enumerate(self.label_keys)
                if row.get(f"label_{i}") is not None}
        base = {
            "ChargePeriodStart": begin,
            "ChargePeriodEnd": begin + timedelta(days=1),
            "BillingPeriodStart": datetime.strptime(str(month), "%Y%m").replace(tzinfo=UTC) if month else None,
            "BillingCurrency": row["currency"],
            "ProviderName": "Google Cloud",
            "BillingAccountId": row.get("billing_account_id"),
            "SubAccountId": row.get("project_id"),
            "SubAccountName": row.get("project_name"),
            "ServiceName": row.get("service_name"),
            "ServiceCategory": service_category(row.get("service_name")),
            "RegionId": row.get("region"),
            "ResourceId": row.get("resource_id"),
            "Tags": tags,
            "x_Estimated": day >= estimated_from,
        }
        cost_type = str(row.get("cost_type") or "regular").lower()
        out = [{**base, "BilledCost": cost, "EffectiveCost": cost,
                "ChargeCategory": CHARGE_CATEGORY.get(cost_type, "Adjustment")}]
        if credits:
            out.append({**base, "BilledCost": credits, "EffectiveCost": credits, "ChargeCategory": "Credit",
                        "ChargeDescription": CREDIT_DESCRIPTION})
        return out

    def idle_scanner(self) -> IdleScanner:
        """Capability: ``costctl idle`` scans this instance's resources (``clouds.gcp.idle``)."""
        from costctl.clouds.gcp.idle import Scanner

        return Scanner()

    def commitment_source(self) -> CommitmentSource:
        """Capability: CUD purchase recommendations from the Recommender (``clouds.gcp.commitments_api``)
        and the CUD inventory with term ends from Compute Engine (``clouds.gcp.commitment_inventory``),
        with this instance's credentials; sessions and clients are built on the first request."""
        from costctl.clouds.gcp.commitment_inventory import CommitmentInventory
        from costctl.clouds.gcp.commitments_api import ENDPOINT, GcpCommitments, session_factory

        projects = list(self.settings.get("commitment_projects") or []) or [self.table.split(".")[0]]
        return GcpCommitments(session_factory(self.settings), self.settings.get("recommender_endpoint") or ENDPOINT,
                              projects, list(self.settings.get("commitment_regions") or []),
                              float(self.settings.get("max_retry_time") or 120.0), self._count_job, self._count_retry,
                              inventory=CommitmentInventory(self.settings, self.settings.get("compute_endpoint"),
                                                            self._count_job))

    def test_auth(self) -> AuthResult:
        """Dry-run yesterday's fetch query: proves credentials, job rights and table access, scans nothing."""
        checks: list[tuple[str, bool, str]] = []
        try:
            _client, identity = self._client()
        except ProviderError as exc:
            return AuthResult(ok=False, checks=[("credentials", False, str(exc))])
        checks.append(("credentials", True, identity))
        yesterday = today_utc() - timedelta(days=1)
        try:
            scanned = self.dry_run(yesterday, yesterday + timedelta(days=1))
        except ProviderError as exc:
            checks.append((f"query {self.table} from project {self.billing_project}", False, str(exc)))
            return AuthResult(ok=False, identity=identity, checks=checks)
        checks.append((f"query {self.table} from project {self.billing_project}", True,
                       f"readable; one day's fetch would scan {scanned} bytes"))
        return AuthResult(ok=True, identity=identity, checks=checks)

    def close(self) -> None:
        client = getattr(self, "_cached_client", None)
        if client is not None:
            client[0].close()
            self._cached_client = None
