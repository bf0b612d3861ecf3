"""An Athena answer (a DuckDB table of text columns) checked and mapped to the record in SQL.

Both ways of reading an answer end here: GetQueryResults pages (small answers) and the query's
result file (``aws_athena_file``) are loaded as a table whose columns are the query's, every value
VARCHAR in answer order. The checks are those every answer gets (``providers.answers``): the
``row_count`` column states the number of rows, days are dates, amounts are finite numbers within
``model.MAX_COST``; each failure is one BadAnswer naming the first bad row, so nothing is cached.
Then one SELECT casts the text into the record's columns (``arrowrec.cast_select``): no Python
object per value, whatever the answer's size.

Sits after ``aws_athena.run`` and before the loader (``fetch_sql``) or ``arrowrec.table_to_frame``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from costctl.duck import literal, quote
from costctl.providers.answers import amount, bad, same_count

if TYPE_CHECKING:
    from costctl.clouds.aws.athena import Query


def _number(column: str) -> str:
    return f"TRY_CAST({quote(column)} AS DOUBLE)"


def check(con: Any, table: str, query: Query, source: str) -> int:
    """Raise a BadAnswer for the first thing wrong with the answer in ``table``; its row count.

    One scan finds the first bad row of each check (``rowid`` is the answer's order: the table was
    filled in that order with insertion order preserved); the message then shows that row's value.
    """
    from costctl.model import MAX_COST

    day = quote("usage_day")
    day_ok = (f"coalesce(regexp_full_match({day}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
              f"AND try_strptime({day}, '%Y-%m-%d') IS NOT NULL, false)")
    amount_ok = {m: f"({quote(m)} IS NULL OR coalesce(isfinite({_number(m)}) AND abs({_number(m)}) <= {MAX_COST!r}, "
                    "false))" for m in query.measures}
    count = quote("row_count")
    firsts = [f"min(rowid) FILTER (WHERE NOT {day_ok})", *(f"min(rowid) FILTER (WHERE NOT {ok})"
                                                            for ok in amount_ok.values())]
    row = con.execute(f"SELECT count(*), count({count}), min({count}), max({count}), {', '.join(firsts)} "
                      f"FROM {quote(table)}").fetchone()
    rows, counted, low, high, first_day, *first_amounts = row
    if rows:
        if counted != rows or low != high or not str(low).isdigit():
            stated = [r[0] for r in con.execute(f"SELECT DISTINCT coalesce({count}, 'None') FROM {quote(table)} "
                                                "ORDER BY 1 LIMIT 3").fetchall()]
            raise bad(source, f"row_count values {stated!r:.60}, expected one count")
        same_count(int(low), rows, source, "row(s)")
    if first_day is not None:
        raise bad(source, f"row {first_day + 1}: usage_day = {_value(con, table, 'usage_day', first_day)!r:.40}, "
                  "not a date")
    for name, first in zip(query.measures, first_amounts, strict=True):
        if first is not None:
            text = _value(con, table, name, first)
            amount(text, source, f"row {first + 1}: {name}")  # raises, worded as everywhere
            raise bad(source, f"row {first + 1}: {name} = {text!r:.40}, not an amount")  # DuckDB's reading differs
    return int(rows)


def _value(con: Any, table: str, column: str, rowid: int) -> Any:
    return con.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE rowid = ?", [rowid]).fetchone()[0]


def _text(column: str) -> str:
    """A text column with empty strings as NULL (the record has no empty strings)."""
    return f"nullif({quote(column)}, '')"


def tags_sql(query: Query) -> str:
    """The Tags JSON object of the row's non-empty tag values, keys sorted (``arrowrec.tags_json``'s order)."""
    pairs = sorted(dict(zip(query.tag_keys, (f"tag_{i}" for i in range(len(query.tag_keys))), strict=True)).items())
    if not pairs:
        return "'{}'"
    parts = [f"CASE WHEN {quote(col)} <> '' THEN {literal(json.dumps(key, ensure_ascii=False) + ':')} "
             f"|| to_json({quote(col)}) END" for key, col in pairs]
    return f"('{{' || concat_ws(',', {', '.join(parts)}) || '}}')"


def record_sql(table: str, query: Query) -> str:
    """The answer in ``table`` as the record (every column, its SQL type), one row per answer row.

    The day is the charge period (UTC: the shared connection's time zone), its month the billing
    period; a NULL amount is 0 (ListCost: unknown); an empty currency is USD, as before.
    """
    from costctl.arrowrec import cast_select
    from costctl.formats.sqlexpr import CATEGORY_FUNCTION

    day = f"CAST({quote('usage_day')} AS DATE)"
    columns = {
        "ChargePeriodStart": day,
        "ChargePeriodEnd": f"{day} + INTERVAL 1 DAY",
        "BillingPeriodStart": f"date_trunc('month', {day})",
        "BilledCost": f"coalesce({_number('billed_cost')}, 0.0)",
        "EffectiveCost": f"coalesce({_number('effective_cost')}, 0.0)",
        "ListCost": _number("list_cost"),
        "BillingCurrency": f"coalesce({_text('currency')}, 'USD')",
        "ProviderName": "'AWS'",
        "BillingAccountId": _text("billing_account_id"),
        "SubAccountId": _text("sub_account_id"),
        "SubAccountName": _text("sub_account_name"),
        "ServiceName": _text("service"),
        "ServiceCategory": f"{CATEGORY_FUNCTION}(chr(1) || coalesce({quote('service')}, ''))",
        "RegionId": _text("region"),
        "ChargeCategory": _text("charge_category"),
        "Tags": tags_sql(query),
        "x_Estimated": f"coalesce({quote('estimated')} = '1', false)",
    }
    if "resource" in query.dims:
        columns["ResourceId"] = _text("resource")
    return f"SELECT {cast_select(columns)} FROM {quote(table)} ORDER BY rowid"
