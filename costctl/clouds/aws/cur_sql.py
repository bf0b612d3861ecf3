"""AWS Cost and Usage Report (legacy ``lineItem/...`` and CUR 2.0 ``line_item_...``) -> SQL for the record.

One mapper for both spellings: every column is looked up under its legacy name and its CUR 2.0
name (``aws_cur.V2_NAMES``), so legacy CSV, CUR 2.0 CSV/Parquet and the snake_case tables Athena
sees through Glue all map the same way. EffectiveCost follows AWS's own amortized-cost formula
(see docs/formats.md): commitment-covered usage carries its effective cost, the fees it amortizes
carry only their unused share, everything else is the unblended cost.

The expressions use only ``Raw``'s helpers and plain SQL (CASE, COALESCE, IN, arithmetic), so the
same mapping can be produced for any table whose column types are known (a Glue schema included);
what is dialect-specific (reading tags, JSON) lives in ``sqlexpr``.
"""

from __future__ import annotations

from collections.abc import Callable

from costctl.clouds.aws.cur_format import (
    AMORTIZED,
    CHARGE_CATEGORY,
    COMMITTED_USAGE,
    FEE_FREQUENCY,
    LEGACY_NAMES,
    RESERVATION_LINES,
    SAVINGS_PLAN_LINES,
    TAG_COLUMN_PREFIXES,
    USAGE_DISCOUNTS,
    USER_PREFIXES,
    V2_NAMES,
    ZERO_EFFECTIVE,
)
from costctl.clouds.aws.regions import REGION_NAMES
from costctl.formats.sqlexpr import Raw, lit, lookup, service_category

# Legacy name -> CUR 2.0 name, for the lookup under both spellings.
_V2_OF: dict[str, str] = {legacy: v2 for v2, legacy in V2_NAMES.items()}

# Every cost column the amortized-cost formula reads.
AMORTIZATION_COSTS = tuple(dict.fromkeys(c for plus, minus in AMORTIZED.values() for c in plus + minus))


def wanted(columns: list[str]) -> list[str]:
    """The source columns this mapper reads: the known ones (either spelling, any case) plus every tag column."""
    keep = {name.lower() for name in LEGACY_NAMES | set(V2_NAMES)}
    return [c for c in columns if c.lower() in keep or c.startswith(TAG_COLUMN_PREFIXES)]


def columns(raw: Raw) -> dict[str, str]:
    """Record column -> SQL expression over the raw CUR table."""
    find = _finder(raw)
    unblended = raw.money(_require(raw, "cost", "lineItem/UnblendedCost"))
    line_type = f"COALESCE({raw.text(find('lineItem/LineItemType'))}, 'Usage')"
    product = _product_map(raw)
    service = _coalesce(raw.text(find("product/ProductName")), product("product_name"),
                        raw.text(find("lineItem/ProductCode")))
    out = {
        "ChargePeriodStart": raw.timestamp(_require(raw, "usage date", "lineItem/UsageStartDate")),
        "ChargePeriodEnd": raw.timestamp(_require(raw, "usage date", "lineItem/UsageEndDate")),
        "BilledCost": unblended,
        "EffectiveCost": effective_cost(raw, line_type, unblended),
        "ListCost": raw.number(find("pricing/publicOnDemandCost")),
        "BillingCurrency": _coalesce(raw.text(find("lineItem/CurrencyCode")), "'USD'"),
        "ProviderName": lit("AWS"),
        "BillingAccountId": raw.text(find("bill/PayerAccountId")),
        "BillingAccountName": raw.text(find("bill/PayerAccountName")),
        "SubAccountId": raw.text(find("lineItem/UsageAccountId")),
        "SubAccountName": raw.text(find("lineItem/UsageAccountName")),
        "ServiceName": service,
        "ServiceCategory": service_category(service),
        "RegionId": _coalesce(raw.text(find("product/region")), raw.text(find("product/regionCode")),
                              product("region")),
        "ResourceId": raw.text(find("lineItem/ResourceId")),
        "ResourceType": raw.text(find("product/productFamily")),
        "SkuId": _coalesce(raw.text(find("product/sku")), raw.text(find("lineItem/UsageType"))),
        "ChargeCategory": charge_category(line_type),
        "ChargeDescription": raw.text(find("lineItem/LineItemDescription")),
        "ConsumedQuantity": raw.number(find("lineItem/UsageAmount")),
        "ConsumedUnit": raw.text(find("pricing/unit")),
        "Tags": cur_tags(raw),
    }
    billing_period = find("bill/BillingPeriodStartDate")
    if billing_period:
        out["BillingPeriodStart"] = raw.timestamp(billing_period,
                                                  if_empty=raw.usage_month(out["ChargePeriodStart"]))
    invoice = find("bill/InvoiceId")
    if invoice:
        # AWS fills the invoice id only once the month is invoiced; until then figures may change.
        out["x_Estimated"] = f"({raw.text(invoice)} IS NULL)"
    out.update(focus_columns(raw, line_type, out["ChargeCategory"], product))
    # A line that names its region code but not its location (data transfer, some fees) gets AWS's name for it.
    out["RegionName"] = _coalesce(out["RegionName"], lookup(out["RegionId"], REGION_NAMES))
    return out


def focus_columns(raw: Raw, line_type: str, category: str, product: Callable[[str], str]) -> dict[str, str]:
    """The FOCUS invoice, pricing and commitment columns of a CUR line (NULL where CUR has none).

    ``line_type`` and ``category`` are the SQL of the line item type and its ChargeCategory.
    Commitment lines name their Reserved Instance or Savings Plan ARN; the quantity of commitment a
    line uses or buys is its usage hours for a reservation and its amount of the commitment (in
    the billing currency) for a Savings Plan. ContractedCost stays NULL: CUR has no negotiated
    price of its own (the FOCUS export applies the specification's rule for that case).
    The term's end (``reservation/EndTime``, ``savingsPlan/EndTime``) is kept on the commitment's
    lines for expiry warnings; FOCUS 1.2 has no column for it.
    """
    find = _finder(raw)

    def text(legacy: str) -> str:
        return raw.text(find(legacy))

    def in_list(values: tuple[str, ...]) -> str:
        return f"{line_type} IN ({', '.join(lit(v) for v in values)})"

    amount = raw.number(find("lineItem/UsageAmount"))
    currency = _coalesce(text("lineItem/CurrencyCode"), "'USD'")
    period_end = find("bill/BillingPeriodEndDate")
    ri_fee = f"({line_type} = 'Fee' AND {text('reservation/ReservationARN')} IS NOT NULL)"
    is_ri = f"({in_list(RESERVATION_LINES)} OR {ri_fee})"
    is_sp = f"({in_list(SAVINGS_PLAN_LINES)})"
    commitment = (f"(CASE WHEN {is_ri} THEN {text('reservation/ReservationARN')} "
                  f"WHEN {is_sp} THEN {text('savingsPlan/SavingsPlanARN')} END)")
    sp_used = raw.number(find("savingsPlan/SavingsPlanEffectiveCost"))
    sp_commitment = raw.number(find("savingsPlan/TotalCommitmentToDate"))
    frequency = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in FEE_FREQUENCY.items())
    spot = (f"(coalesce({text('pricing/term')}, '') IN ('Spot', 'spot', 'SPOT') "
            f"OR coalesce({text('lineItem/UsageType')}, '') LIKE '%SpotUsage%')")
    unit = text("pricing/unit")
    ri_end, sp_end = find("reservation/EndTime"), find("savingsPlan/EndTime")
    null_time = "CAST(NULL AS TIMESTAMPTZ)"
    end = (f"(CASE WHEN {is_ri} THEN {raw.timestamp(ri_end, if_empty=null_time) if ri_end else null_time} "
           f"WHEN {is_sp} THEN {raw.timestamp(sp_end, if_empty=null_time) if sp_end else null_time} END)")
    return {
        "BillingPeriodEnd": raw.timestamp(period_end, if_empty="CAST(NULL AS TIMESTAMPTZ)") if period_end else "NULL",
        "InvoiceIssuerName": text("bill/InvoicingEntity"),
        "PublisherName": text("lineItem/LegalEntity"),
        "InvoiceId": text("bill/InvoiceId"),
        "RegionName": _coalesce(text("product/location"), product("location")),
        "AvailabilityZone": text("lineItem/AvailabilityZone"),
        "ChargeFrequency": (f"(CASE {line_type} {frequency} ELSE CASE WHEN {category} = 'Usage' "
                            f"OR {in_list(USAGE_DISCOUNTS)} THEN 'Usage-Based' ELSE 'One-Time' END END)"),
        "PricingCategory": (f"(CASE WHEN {category} NOT IN ('Usage', 'Purchase') THEN NULL "
                            f"WHEN {in_list(COMMITTED_USAGE)} THEN 'Committed' WHEN {spot} THEN 'Dynamic' "
                            "ELSE 'Standard' END)"),
        "PricingQuantity": f"(CASE WHEN {category} = 'Tax' THEN NULL ELSE {amount} END)",
        "PricingUnit": f"(CASE WHEN {category} = 'Tax' OR {amount} IS NULL THEN NULL ELSE {unit} END)",
        "CommitmentDiscountId": commitment,
        "CommitmentDiscountCategory": f"(CASE WHEN {is_ri} THEN 'Usage' WHEN {is_sp} THEN 'Spend' END)",
        "CommitmentDiscountType": (f"(CASE WHEN {is_ri} THEN 'Reserved Instance' WHEN {is_sp} THEN "
                                   f"coalesce({text('savingsPlan/OfferingType')}, 'Savings Plan') END)"),
        "CommitmentDiscountStatus": f"(CASE WHEN {in_list(COMMITTED_USAGE)} THEN 'Used' END)",
        "CommitmentDiscountQuantity": (f"(CASE WHEN {is_ri} THEN {amount} "
                                       f"WHEN {in_list(('SavingsPlanCoveredUsage', 'SavingsPlanNegation'))} "
                                       f"THEN coalesce({sp_used}, 0.0) "
                                       f"WHEN {is_sp} THEN {sp_commitment} END)"),
        "CommitmentDiscountUnit": (f"(CASE WHEN {is_ri} THEN {unit} WHEN {is_sp} THEN {currency} END)"),
        "x_CommitmentDiscountEnd": end,
    }


def effective_cost(raw: Raw, line_type: str, unblended: str) -> str:
    """Amortized cost per AWS's formula; without amortization columns it is the unblended cost.

    ``line_type`` and ``unblended`` are the SQL of the line type (never NULL) and the unblended cost.
    Written as a sum of costs each weighted 1 or 0 by the line type, rather than a CASE picking
    one: every cost cell is then read once on every row, so text in any cost cell is an error (as
    in every other cost column) and DuckDB plans each cost expression once, not once per branch.
    The weighted sum is exact: all terms but one are zero.
    """
    find = _finder(raw)
    if not (find("reservation/EffectiveCost") or find("savingsPlan/SavingsPlanEffectiveCost")):
        return unblended
    costs = {legacy: raw.money(column) for legacy in AMORTIZATION_COSTS if (column := find(legacy))}
    parts = []
    for kind, (plus, minus) in AMORTIZED.items():
        amount = " ".join([f"+ {costs[c]}" for c in plus if c in costs] + [f"- {costs[c]}" for c in minus
                                                                            if c in costs])
        if amount:  # a line type whose columns are all absent costs 0
            parts.append(f"(CASE WHEN {line_type} = {lit(kind)} THEN 1.0 ELSE 0.0 END) * (0.0 {amount})")
    special = f"{line_type} IN ({', '.join(lit(k) for k in (*AMORTIZED, *ZERO_EFFECTIVE))})"
    upfront_ri_fee = f"({line_type} = 'Fee' AND {raw.text(find('reservation/ReservationARN'))} IS NOT NULL)"
    parts.append(f"(CASE WHEN {special} OR {upfront_ri_fee} THEN 0.0 ELSE 1.0 END) * {unblended}")
    return "(" + "\n + ".join(parts) + ")"


def charge_category(line_type: str) -> str:
    """FOCUS ChargeCategory of a line type (``aws_cur.CHARGE_CATEGORY``); unknown types are Adjustment."""
    cases = " ".join(f"WHEN {lit(kind)} THEN {lit(category)}" for kind, category in CHARGE_CATEGORY.items())
    return f"(CASE {line_type} {cases} ELSE 'Adjustment' END)"


def cur_tags(raw: Raw) -> str:
    """Tags from ``resourceTags/user:KEY`` columns (legacy, CUR 2.0 CSV) or the ``resource_tags`` map.

    The ``user:`` / ``user_`` prefix only says the tag is user-defined; reports group by the key
    users typed, so it is dropped. AWS-generated tags keep their ``aws:`` prefix. A tag column's
    value wins over the same key in the map; an empty tag column adds nothing.
    """
    base_column = raw.resolve("resourceTags", "resource_tags")
    base = raw.strip_tag_prefixes(raw.tags(base_column), USER_PREFIXES) if base_column else None
    pairs = [(tag_key(c), raw.text(c)) for c in raw.columns if c.startswith(TAG_COLUMN_PREFIXES)]
    return raw.merge_tags(base, raw.tag_object(pairs) if pairs else None)


def tag_key(column: str) -> str:
    """``resourceTags/user:team`` / ``resource_tags_user_team`` -> ``team``; ``resourceTags/aws:x`` -> ``aws:x``."""
    key = column.split("/", 1)[1] if "/" in column else column[len("resource_tags_"):]
    for prefix in USER_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def _product_map(raw: Raw):
    """SQL accessor for keys of the CUR 2.0 ``product`` map column (product_name, region...), NULL if absent."""
    column = raw.resolve("product")
    tags = raw.tags(column) if column else None

    def get(key: str) -> str:
        direct = raw.map_value(column, key)
        if direct is not None:
            return direct
        return "CAST(NULL AS VARCHAR)" if tags is None else raw.tag_value(tags, key)

    return get


def _finder(raw: Raw):
    """Look a legacy column name up under its legacy and CUR 2.0 spellings; None when absent."""
    def find(legacy: str) -> str | None:
        v2 = _V2_OF.get(legacy)
        return raw.resolve(legacy, v2) if v2 else raw.resolve(legacy)

    return find


def _require(raw: Raw, what: str, legacy: str) -> str:
    """Like ``find``, but a missing column is an error naming it as this file spells its columns."""
    v2 = _V2_OF[legacy]
    found = raw.resolve(legacy, v2)
    if found:
        return found
    return raw.require(what, legacy if any(c.startswith("lineItem/") for c in raw.columns) else v2)


def _coalesce(*parts: str) -> str:
    return f"COALESCE({', '.join(parts)})"
