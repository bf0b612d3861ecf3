"""The one BigQuery query the ``gcp`` provider sends per fetch, and its parameters.

Everything that varies between runs is a query parameter (dates, partition bounds, label keys),
so nothing a user types is ever spliced into SQL text. The only identifiers in the text are the
table name, which is validated strictly and backtick-quoted, and generated aliases
(``label_0``...). Aggregation happens in BigQuery: the answer has one row per day, service,
project, region, currency, invoice month, cost type (and resource in detailed mode), so the
bytes moved to the client stay small however large the export is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

# project ids may carry a domain prefix ("example.com:proj"); datasets and tables are word characters
# (tables may also use dashes). Backticks, spaces and dots inside parts are never accepted.
_TABLE = re.compile(r"^(?P<project>[a-z][a-z0-9.:-]{0,61}[a-z0-9])\.(?P<dataset>\w{1,1024})\.(?P<table>[\w-]{1,1024})$")
# GCP label keys: lowercase letters, digits, underscores and dashes, starting with a letter, at most 63.
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def validate_table(value: Any) -> str:
    """Return ``project.dataset.table`` unchanged, or raise ValueError saying what is expected."""
    text = str(value).strip()
    if not _TABLE.match(text):
        raise ValueError(
            f"expected project.dataset.table (e.g. my-proj.billing.gcp_billing_export_v1_0123AB_456CDE_789EF0), "
            f"got {value!r}"
        )
    return text


def validate_label_keys(value: Any) -> list[str]:
    """Label keys as GCP allows them; anything else is refused before it reaches a query."""
    keys = [str(k) for k in (value or [])]
    for key in keys:
        if not _LABEL_KEY.match(key):
            raise ValueError(f"label key {key!r} is not a GCP label key (lowercase letters, digits, _ and -)")
    if len(set(keys)) != len(keys):
        raise ValueError("label keys must not repeat")
    return keys


@dataclass(frozen=True)
class Query:
    """SQL text plus its named parameters as (name, BigQuery type, value)."""

    sql: str
    params: tuple[tuple[str, str, Any], ...]

    def bigquery_parameters(self) -> list[Any]:
        """The parameters as ``google.cloud.bigquery`` objects (imported here, lazily)."""
        from google.cloud import bigquery

        return [bigquery.ScalarQueryParameter(name, kind, value) for name, kind, value in self.params]


def _ts(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _label_expr(index: int) -> str:
    # Resource labels win over project labels of the same key, as in the file export mapper.
    return (
        f"COALESCE((SELECT l.value FROM UNNEST(labels) AS l WHERE l.key = @label_key_{index} LIMIT 1), "
        f"(SELECT pl.value FROM UNNEST(project.labels) AS pl WHERE pl.key = @label_key_{index} LIMIT 1))"
    )


def build_query(table: str, start: date, end: date, *, label_keys: list[str], margin_days: int,
                detailed: bool) -> Query:
    """The aggregated query for usage in ``[start, end)``.

    ``_PARTITIONTIME`` is the export's ingestion-time partition: a day's usage lands in that
    day's partition or later ones (late rows), never much earlier, so the scan covers the asked
    days plus ``margin_days`` after them (and one before, for rows exported around midnight).
    The ``usage_start_time`` filter then keeps exactly the asked days.
    """
    table = validate_table(table)
    label_keys = validate_label_keys(label_keys)
    dims = [
        ("usage_day", "DATE(usage_start_time)"),
        ("service_name", "service.description"),
        ("project_id", "project.id"),
        ("region", "COALESCE(location.region, location.location)"),
        ("currency", "currency"),
        ("invoice_month", "invoice.month"),
        ("cost_type", "cost_type"),
    ]
    if detailed:
        dims.append(("resource_id", "COALESCE(resource.global_name, resource.name)"))
    dims += [(f"label_{i}", _label_expr(i)) for i in range(len(label_keys))]
    # The inner query projects only the columns needed (never *) and computes per-row values,
    # label lookups included, so the outer GROUP BY works on plain columns: BigQuery does not
    # group by expressions that hold correlated subqueries.
    inner = [f"{expr} AS {alias}" for alias, expr in dims] + [
        "billing_account_id",
        "project.name AS project_name",
        "cost",
        "IFNULL((SELECT SUM(c.amount) FROM UNNEST(credits) AS c), 0) AS credit_amount",
    ]
    names = ", ".join(alias for alias, _ in dims)
    outer = [alias for alias, _ in dims] + [
        "ANY_VALUE(billing_account_id) AS billing_account_id",
        "ANY_VALUE(project_name) AS project_name",
        "SUM(cost) AS cost",
        "SUM(credit_amount) AS credits",
        "COUNT(*) AS source_rows",
    ]
    sql = (
        "WITH usage_rows AS (\n  SELECT\n    " + ",\n    ".join(inner) + "\n"
        f"  FROM `{table}`\n"
        "  WHERE _PARTITIONTIME >= @partition_start AND _PARTITIONTIME < @partition_end\n"
        "    AND usage_start_time >= @start AND usage_start_time < @end\n"
        ")\n"
        "SELECT\n  " + ",\n  ".join(outer) + "\n"
        "FROM usage_rows\n"
        f"GROUP BY {names}\n"
        f"ORDER BY {names}"
    )
    params: list[tuple[str, str, Any]] = [
        ("start", "TIMESTAMP", _ts(start)),
        ("end", "TIMESTAMP", _ts(end)),
        ("partition_start", "TIMESTAMP", _ts(start - timedelta(days=1))),
        ("partition_end", "TIMESTAMP", _ts(end + timedelta(days=margin_days))),
    ]
    params += [(f"label_key_{i}", "STRING", key) for i, key in enumerate(label_keys)]
    return Query(sql=sql, params=tuple(params))

