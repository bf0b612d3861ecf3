"""GCP Cloud Billing export (BigQuery JSON/Parquet, or koku's flattened CSV) -> the record, in SQL.

The engine offers nested records under dotted names (``service.description``), which is also how
koku's CSV spells them, so one mapper serves every container. ``cost`` is before credits: the
billed amount is ``cost + sum(credits.amount)`` (credits are negative), which is what the GCP
console shows as the net cost.

``credits`` comes in three shapes: a real list of structs (Parquet, JSON), JSON text, or the
Python-literal text koku writes (``[{'name': ..., 'amount': -0.5, 'full_name': None}]``). Lists and
JSON are summed by DuckDB's list and JSON functions; literal text without double quotes or
backslashes is rewritten to JSON in SQL (every single quote is then a string delimiter, so the
rewrite is exact); only literal text beyond that reaches Python, once per distinct value.
"""

from __future__ import annotations

import ast
import contextlib
import json
import math
import re
from typing import Any

from costctl.clouds.gcp.regions import REGION_NAMES
from costctl.formats.common import NULL_STRINGS
from costctl.formats.sqlexpr import Check, Raw, lit, lookup, service_category
from costctl.model import MAX_COST

TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "BillingCurrency": ("currency",),
    "BillingAccountId": ("billing_account_id",),
    "SubAccountId": ("project.id",),
    "SubAccountName": ("project.name",),
    "ServiceName": ("service.description",),
    "RegionId": ("location.region", "location.location"),
    "ResourceId": ("resource.global_name", "resource.name"),
    "ResourceName": ("resource.name",),
    "SkuId": ("sku.id",),
    "ChargeDescription": ("sku.description",),
    "ConsumedUnit": ("usage.unit",),
}
OTHER_COLUMNS = (
    "usage_start_time", "usage_end_time", "cost", "credits", "labels", "project.labels", "invoice.month",
    "cost_type", "usage.amount", "cost_at_list", "usage.amount_in_pricing_units", "usage.pricing_unit",
    "location.zone",
)

# cost_type (lowercase) -> FOCUS ChargeCategory; anything else is an Adjustment.
CHARGE_CATEGORY = {"regular": "Usage", "tax": "Tax", "adjustment": "Adjustment", "rounding_error": "Adjustment"}

CREDITS_FUNCTION = "costctl_gcp_credits"  # the UDF for Python-literal credit text beyond the SQL rewrite
_AMOUNT_FIELD = re.compile(r'[(,]\s*"?amount"?\s+"?([A-Za-z]+)', re.IGNORECASE)  # the amount field's type
_NUMERIC = frozenset({"DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC", "BIGINT", "INTEGER", "SMALLINT", "TINYINT",
                      "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "UHUGEINT"})


def wanted(columns: list[str]) -> list[str]:
    """The source columns this mapper reads."""
    names = {n.lower() for group in TEXT_COLUMNS.values() for n in group} | set(OTHER_COLUMNS)
    return [c for c in columns if str(c).lower() in names]


def columns(raw: Raw) -> dict[str, str]:
    """Record column -> SQL over the raw export; credits are folded into BilledCost/EffectiveCost."""
    cost_col = raw.require("cost", "cost")
    start = raw.require("usage time", "usage_start_time")
    end = raw.require("usage time", "usage_end_time")
    out = {
        "ChargePeriodStart": raw.timestamp(start),
        "ChargePeriodEnd": raw.timestamp(end),
    }
    month = raw.resolve("invoice.month")
    if month:
        text = raw.text(month)  # optional: an empty invoice month bills in the usage month
        out["BillingPeriodStart"] = (f"(CASE WHEN {text} IS NULL THEN {raw.usage_month(out['ChargePeriodStart'])} "
                                     f"ELSE timezone('UTC', try_strptime({text}, '%Y%m')) END)")
    out["BilledCost"] = f"({raw.money(cost_col)} + {credits(raw)})"
    out["EffectiveCost"] = out["BilledCost"]
    out["ListCost"] = raw.number(raw.resolve("cost_at_list"))
    out["ConsumedQuantity"] = raw.number(raw.resolve("usage.amount"))
    for target, candidates in TEXT_COLUMNS.items():
        out[target] = raw.text(raw.resolve(*candidates))
    out["ProviderName"] = lit("Google Cloud")
    out["ServiceCategory"] = service_category(out["ServiceName"])
    cost_type = f"lower(coalesce({raw.text(raw.resolve('cost_type'))}, 'regular'))"
    cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in CHARGE_CATEGORY.items())
    out["ChargeCategory"] = f"(CASE {cost_type} {cases} ELSE 'Adjustment' END)"
    out["Tags"] = labels(raw)
    out.update(focus_columns(raw, out["ChargeCategory"], out["ChargeDescription"]))
    out["RegionName"] = lookup(out["RegionId"], REGION_NAMES)
    return out


def focus_columns(raw: Raw, category: str, sku_description: str) -> dict[str, str]:
    """The FOCUS pricing columns of a billing export row: the pricing quantity and unit BigQuery
    exports, the zone, and the pricing category (preemptible and Spot SKUs are priced dynamically).
    Commitments (CUD credits and fees) are not mapped to the commitment columns yet."""
    quantity = raw.number(raw.resolve("usage.amount_in_pricing_units"))
    spot = f"(lower(coalesce({sku_description}, '')) SIMILAR TO '.*(preemptible|spot).*')"
    return {
        "PricingQuantity": f"(CASE WHEN {category} = 'Tax' THEN NULL ELSE {quantity} END)",
        "PricingUnit": (f"(CASE WHEN {category} = 'Tax' OR {quantity} IS NULL THEN NULL "
                        f"ELSE {raw.text(raw.resolve('usage.pricing_unit'))} END)"),
        "AvailabilityZone": raw.text(raw.resolve("location.zone")),
        "PricingCategory": (f"(CASE WHEN {category} NOT IN ('Usage', 'Purchase') THEN NULL "
                            f"WHEN {spot} THEN 'Dynamic' ELSE 'Standard' END)"),
    }


def labels(raw: Raw) -> str:
    """Project labels overlaid by resource labels: the resource's own label is the more specific owner."""
    project_name, resource_name = raw.resolve("project.labels"), raw.resolve("labels")
    if project_name is None:
        return raw.tags(resource_name)
    project, resource = raw.tags(project_name), raw.tags(resource_name)
    if resource_name is None:
        return project
    return (f"(CASE WHEN {project} = '{{}}' THEN {resource} WHEN {resource} = '{{}}' THEN {project} "
            f"ELSE CAST(json_merge_patch({project}, {resource}) AS VARCHAR) END)")


# --- credits ---------------------------------------------------------------------------------


class UnreadableCredits(Check):
    """A credits cell that cannot be summed: an error, since dropping it would skew the totals."""

    def message(self, source: str, row: int | None, value: Any) -> str:
        where = f"column {self.column}" + (f" row {row}" if row is not None else "")
        shown = repr(str(value)[:40]) if value is not None else "''"
        return f"{source}: {where}: unreadable credits {shown}; fix or remove that row"


def credits(raw: Raw) -> str:
    """SQL DOUBLE: the sum of ``amount`` over a row's credits (0 without a credits column or cell).

    Entries that are not records, or records without an amount, add nothing (as in BigQuery);
    an amount that is not a finite number, or text that is no list at all, raises naming the row.
    """
    name = raw.resolve("credits")
    if name is None:
        return "CAST(0.0 AS DOUBLE)"
    cell = raw.col(name)
    declared = raw.columns[name].strip()
    kind = raw.type_of(name)
    if kind == "LIST":
        element = declared[:-2].strip()
        field = _AMOUNT_FIELD.search(element) if element.upper().startswith("STRUCT(") else None
        if field is not None:
            amount_type = field.group(1).upper()
            if amount_type in _NUMERIC:
                amount = _bounded("CAST(c.amount AS DOUBLE)")
            elif amount_type == "JSON":  # JSON readers type mixed number/string amounts as JSON
                amount = _amount_text("json_extract_string(c.amount, '$')")
            else:
                amount = _amount_text("CAST(c.amount AS VARCHAR)")
            total = f"list_sum(list_transform({cell}, lambda c: {amount}))"
            shown = f"CAST({cell} AS VARCHAR)"
        elif element.upper() == "JSON":
            total = (f"list_sum(list_transform({cell}, lambda c: CASE WHEN json_type(c) = 'OBJECT' "
                     f"THEN {_amount_text(json_text_amount('c'))} END))")
            shown = f"CAST({cell} AS VARCHAR)"
        else:
            return "CAST(0.0 AS DOUBLE)"  # a list of plain values holds no credit records
        total = f"coalesce({total}, CAST(0.0 AS DOUBLE))"
    elif kind == "VARCHAR":
        shown = raw.text(name)
        total = _text_total(shown)
    elif kind == "JSON":  # a JSON reader's column of mixed shapes: a list, or a string holding credit text
        nulls = ", ".join(lit(v) for v in sorted(NULL_STRINGS))
        string = f"trim(json_extract_string({cell}, '$'))"
        shown = (f"(CASE WHEN json_type({cell}) <> 'VARCHAR' THEN CAST({cell} AS VARCHAR) "
                 f"WHEN {string} NOT IN ({nulls}) THEN {string} END)")
        total = _text_total(shown)
    else:
        return "CAST(0.0 AS DOUBLE)"  # a number, date or single record is no credit list
    bad = f"(list_transform([{total}], lambda v: v IS NULL OR isnan(v))[1])"
    raised = _unreadable(raw, name, bad, shown)
    # A one-element list binds the total to v, so the (possibly long) expression is written once.
    return f"(list_transform([{total}], lambda v: CASE WHEN v IS NULL OR isnan(v) THEN {raised} ELSE v END)[1])"


def json_text_amount(element: str) -> str:
    """SQL VARCHAR: the ``amount`` of one JSON credit record (NULL when absent or null)."""
    return f"json_extract_string({element}, '$.amount')"


def _bounded(value: str) -> str:
    """A DOUBLE amount, NaN (unreadable) when it is not finite or beyond any bill; NULL counts as 0."""
    return (f"(CASE WHEN {value} IS NULL THEN CAST(0.0 AS DOUBLE) WHEN isnan({value}) OR abs({value}) > {MAX_COST!r} "
            f"THEN CAST('NaN' AS DOUBLE) ELSE {value} END)")


def _amount_text(value: str) -> str:
    """An amount written as text: empty or null is 0 (``amount or 0.0``), other non-numbers are NaN."""
    number = f"TRY_CAST(trim({value}) AS DOUBLE)"
    return (f"(CASE WHEN {value} IS NULL OR trim({value}) = '' THEN CAST(0.0 AS DOUBLE) "
            f"WHEN {number} IS NULL THEN CAST('NaN' AS DOUBLE) ELSE {_bounded(number)} END)")


def _json_total(text: str) -> str:
    """Sum over a JSON array's records (other JSON values hold no credits: 0)."""
    amounts = f"json_extract_string({text}, '$[*].amount')"  # records only; null amounts stay NULL
    return (f"(CASE WHEN json_type({text}) = 'ARRAY' THEN coalesce(list_sum(list_transform({amounts}, "
            f"lambda a: {_amount_text('a')})), CAST(0.0 AS DOUBLE)) ELSE CAST(0.0 AS DOUBLE) END)")


def _text_total(text: str) -> str:
    """Sum over credit text: JSON, Python-literal text rewritten to JSON, else the UDF (NULL if unreadable)."""
    # Plain replace, not a word-bounded regex (4x faster): inside a name or a string the words change
    # only text, never an amount; glued to other letters they leave JSON that does not parse (-> Python).
    rewritten = f"replace({text}, '''', '\"')"
    for word, json_word in (("None", "null"), ("True", "true"), ("False", "false")):
        rewritten = f"replace({rewritten}, '{word}', '{json_word}')"
    plain_literal = f"(NOT contains({text}, '\"') AND NOT contains({text}, '\\'))"
    return (f"(CASE WHEN {text} IS NULL OR {text} = '[]' THEN CAST(0.0 AS DOUBLE) "
            f"WHEN json_valid({text}) THEN {_json_total(text)} "
            f"WHEN {plain_literal} AND json_valid({rewritten}) THEN {_json_total(rewritten)} "
            f"ELSE {CREDITS_FUNCTION}({text}) END)")


def _unreadable(raw: Raw, column: str, bad: str, value: str) -> str:
    """Register the unreadable-credits rule on ``raw`` and return the SQL that raises it."""
    raised = raw._check("unreadable_credits", column, bad, value)  # noqa: SLF001 - the one way to add a rule
    key = next(reversed(raw.checks))
    raw.checks[key] = UnreadableCredits(key, "unreadable_credits", column, bad, value)
    return raised


def literal_credit_total(text: str) -> float | None:
    """Sum of ``amount`` over credit text that only Python reads (JSON with NaN, literals with quotes...).

    None when the text is unreadable or an amount is not a finite number within MAX_COST.
    ``ast.literal_eval`` never runs code: the file is untrusted input.
    """
    try:
        value: Any = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    if not isinstance(value, list | tuple):
        return 0.0
    total = 0.0
    for item in value:
        if not isinstance(item, dict):
            continue
        try:
            amount = float(item.get("amount") or 0.0)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(amount) or abs(amount) > MAX_COST:
            return None
        total += amount
    return total


_TOTALS: dict[str, float | None] = {}
_TOTALS_LIMIT = 100_000


def _cached_total(text: str) -> float | None:
    """``literal_credit_total`` once per text: BilledCost and EffectiveCost both evaluate the credits."""
    if text in _TOTALS:
        return _TOTALS[text]
    total = literal_credit_total(text)
    if len(_TOTALS) >= _TOTALS_LIMIT:
        _TOTALS.clear()
    _TOTALS[text] = total
    return total


def _credits_vector(values: Any) -> Any:
    """Arrow UDF body: read each DISTINCT text of the vector once, then spread the totals back."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    distinct = pc.unique(values)
    totals = pa.array([None if v is None else _cached_total(v) for v in distinct.to_pylist()], type=pa.float64())
    return pc.take(totals, pc.index_in(values, distinct))


def register_functions(con: Any) -> None:
    """Add the ``costctl_gcp_credits`` UDF to a DuckDB connection (idempotent)."""
    import duckdb

    with contextlib.suppress(duckdb.CatalogException, duckdb.NotImplementedException):  # already registered
        con.create_function(CREDITS_FUNCTION, _credits_vector, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("DOUBLE"),
                            type="arrow", null_handling="special", side_effects=False)
