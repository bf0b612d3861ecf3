"""Synthetic cost exports for the benchmarks: a FOCUS 1.0 CSV and an AWS CUR 2.0 Parquet (or CSV) export.

The files look like what the clouds write, so that readers pay the real price: FOCUS 1.0's 43 columns
(Tags as a JSON object), CUR 2.0's snake_case columns with ``product`` and ``resource_tags`` as MAP
columns (JSON text in the CSV flavour, as AWS writes them there). Cardinalities follow a mid-size
AWS organisation and scale with the row count: 50 services, 200 accounts, 20 regions (skewed, a few
dominate), one resource per ~100 rows (100,000 resources per 10M rows), each resource keeping its
service, account, region and 3-5 tags; 59 days by default (January and February 2025). CUR rows
are hourly; about 15 % are commitment-covered (DiscountedUsage, SavingsPlanCoveredUsage and their
negations), so the effective cost differs from the unblended cost; a few Tax lines span a month.

Everything is one DuckDB ``COPY (SELECT ... FROM range(N)) TO ...``, strings built once per resource
and per hour and joined in: 10M CUR 2.0 rows cost ~50 CPU-seconds (so ~30 s on two idle cores, estimated; 2 min
wall measured on the shared machine under load 5-8); 1M FOCUS CSV rows took 4 s (18 s under load).
The values come from ``hash(row, seed, salt)``, so a given ``--seed`` and DuckDB version give the
same file byte for byte whatever the thread count (checked with 1, 2 and 4 threads). Files are
written to ``--out`` (default: a new temporary directory), never into the repository.

    python bench/gen_exports.py --rows 1000000 [--format focus,cur2] [--gzip] [--out DIR] [--seed 42]

Formats: ``focus`` (FOCUS 1.0 CSV; ``--gzip`` for .csv.gz), ``cur2`` (CUR 2.0 Parquet, snappy),
``cur2-csv`` (CUR 2.0 as CSV, maps as JSON text: what the 10 GB ingest reads).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (product code, product name, FOCUS ServiceCategory, product family, pricing unit), most used first.
SERVICES: list[tuple[str, str, str, str, str]] = [
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "Compute", "Compute Instance", "Hrs"),
    ("AmazonRDS", "Amazon Relational Database Service", "Databases", "Database Instance", "Hrs"),
    ("AmazonS3", "Amazon Simple Storage Service", "Storage", "Storage", "GB-Mo"),
    ("AmazonEKS", "Amazon Elastic Container Service for Kubernetes", "Compute", "Compute", "Hrs"),
    ("AWSLambda", "AWS Lambda", "Compute", "Serverless", "Lambda-GB-Second"),
    ("AmazonCloudWatch", "AmazonCloudWatch", "Management and Governance", "Metric", "Metrics"),
    ("AmazonDynamoDB", "Amazon DynamoDB", "Databases", "Amazon DynamoDB PayPerRequest Throughput",
     "WriteRequestUnits"),
    ("AmazonVPC", "Amazon Virtual Private Cloud", "Networking", "VpcEndpoint", "Hrs"),
    ("AWSELB", "Elastic Load Balancing", "Networking", "Load Balancer-Application", "LCU-Hrs"),
    ("AmazonElastiCache", "Amazon ElastiCache", "Databases", "Cache Instance", "NodeUsage"),
    ("AmazonCloudFront", "Amazon CloudFront", "Networking", "Data Transfer", "GB"),
    ("AWSDataTransfer", "AWS Data Transfer", "Networking", "Data Transfer", "GB"),
    ("AmazonEFS", "Amazon Elastic File System", "Storage", "Storage", "GB-Mo"),
    ("AmazonECS", "Amazon Elastic Container Service", "Compute", "Compute", "vCPU-Hours"),
    ("AmazonRedshift", "Amazon Redshift", "Analytics", "Compute Instance", "Hrs"),
    ("AmazonSageMaker", "Amazon SageMaker", "AI and Machine Learning", "ML Instance", "Hrs"),
    ("AmazonKinesis", "Amazon Kinesis", "Analytics", "Kinesis Streams", "ShardHour"),
    ("AmazonSNS", "Amazon Simple Notification Service", "Integration", "Message Delivery", "Requests"),
    ("AWSQueueService", "Amazon Simple Queue Service", "Integration", "API Request", "Requests"),
    ("AmazonRoute53", "Amazon Route 53", "Networking", "DNS Query", "Queries"),
    ("AWSConfig", "AWS Config", "Management and Governance", "Management Tools - AWS Config",
     "ConfigurationItemRecorded"),
    ("AWSCloudTrail", "AWS CloudTrail", "Management and Governance", "Management Tools - AWS CloudTrail",
     "Events"),
    ("AmazonGuardDuty", "Amazon GuardDuty", "Security", "Security Services", "GB"),
    ("AWSSecretsManager", "AWS Secrets Manager", "Security", "Secret", "Secrets"),
    ("awskms", "AWS Key Management Service", "Security", "Encryption Key", "Keys"),
    ("AmazonECR", "Amazon EC2 Container Registry (ECR)", "Storage", "EC2 Container Registry", "GB-Mo"),
    ("AmazonAthena", "Amazon Athena", "Analytics", "Athena Queries", "Terabytes"),
    ("AWSGlue", "AWS Glue", "Analytics", "AWS Glue", "DPU-Hour"),
    ("AmazonES", "Amazon OpenSearch Service", "Analytics", "Amazon OpenSearch Service Instance", "Hrs"),
    ("AmazonMSK", "Amazon Managed Streaming for Apache Kafka", "Analytics", "Managed Streaming for Apache Kafka",
     "Hrs"),
    ("AmazonApiGateway", "Amazon API Gateway", "Integration", "API Calls", "Requests"),
    ("AWSBackup", "AWS Backup", "Storage", "Storage Snapshot", "GB-Mo"),
    ("AmazonStates", "AWS Step Functions", "Integration", "AWS Step Functions", "StateTransitions"),
    ("AmazonCognito", "Amazon Cognito", "Security", "User Pool MAU", "MAU"),
    ("AmazonWorkSpaces", "Amazon WorkSpaces", "End User", "WorkSpaces", "Month"),
    ("AWSShield", "AWS Shield", "Security", "Shield", "Month"),
    ("awswaf", "AWS WAF", "Security", "Web Application Firewall", "Requests"),
    ("AmazonFSx", "Amazon FSx", "Storage", "Storage", "GB-Mo"),
    ("AmazonDocDB", "Amazon DocumentDB (with MongoDB compatibility)", "Databases", "Database Instance", "Hrs"),
    ("AmazonNeptune", "Amazon Neptune", "Databases", "Database Instance", "Hrs"),
    ("AmazonMQ", "Amazon MQ", "Integration", "Broker Instances", "Hrs"),
    ("AWSCodeBuild", "CodeBuild", "Developer Tools", "Compute", "Minutes"),
    ("AmazonInspectorV2", "Amazon Inspector", "Security", "Inspector", "Instances"),
    ("AWSSystemsManager", "AWS Systems Manager", "Management and Governance", "AWS Systems Manager", "Requests"),
    ("AmazonQuickSight", "Amazon QuickSight", "Analytics", "Enterprise Annual Subscription", "Users"),
    ("AWSTransfer", "AWS Transfer Family", "Storage", "AWS Transfer Family", "Hrs"),
    ("AmazonTimestream", "Amazon Timestream", "Databases", "Database Storage", "GB-Mo"),
    ("AWSXRay", "AWS X-Ray", "Developer Tools", "Traces", "Traces"),
    ("AmazonBedrock", "Amazon Bedrock", "AI and Machine Learning", "Amazon Bedrock", "Tokens"),
    ("AWSSupportBusiness", "AWS Support (Business)", "Other", "AWS Support", "Dollar"),
]
REGIONS: list[tuple[str, str]] = [
    ("us-east-1", "US East (N. Virginia)"), ("eu-west-1", "EU (Ireland)"), ("us-west-2", "US West (Oregon)"),
    ("eu-central-1", "EU (Frankfurt)"), ("us-east-2", "US East (Ohio)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"), ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("eu-west-2", "EU (London)"), ("ap-southeast-2", "Asia Pacific (Sydney)"), ("ca-central-1", "Canada (Central)"),
    ("sa-east-1", "South America (Sao Paulo)"), ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("eu-north-1", "EU (Stockholm)"), ("eu-west-3", "EU (Paris)"), ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("us-west-1", "US West (N. California)"), ("eu-south-1", "EU (Milan)"), ("me-south-1", "Middle East (Bahrain)"),
    ("af-south-1", "Africa (Cape Town)"), ("ap-east-1", "Asia Pacific (Hong Kong)"),
]
ACCOUNTS = 200
PAYER = "111122223333"
FORMATS = ("focus", "cur2", "cur2-csv")


def suffix(fmt: str, gzip: bool = False) -> str:
    """The file name ending of a format (``.csv``, ``.csv.gz``, ``.parquet``)."""
    if fmt == "cur2":
        return ".parquet"
    return ".csv.gz" if gzip else ".csv"


def default_name(fmt: str, rows: int, gzip: bool = False, seed: int = 42, days: int = 59) -> str:
    return f"{fmt.replace('-csv', '')}_{rows}r_{days}d_s{seed}{suffix(fmt, gzip)}"


def _setup(con, seed: int, rows: int, days: int, start: date) -> None:
    """Tables every format shares: ``resources`` (one row per resource: its service, account, region,
    tags, names), ``hours`` (one row per hour of the range: timestamps and their text) and the view
    ``base`` (one row per line item: its resource, hour, cost and kind).

    Strings are built per resource and per hour, not per row, and joined in: that keeps 10M rows
    under a minute. The joins keep range() order (``preserve_insertion_order``), so no sort is needed.
    """
    con.execute("SET preserve_insertion_order = true")
    services = ", ".join(f"({i}, {_q(c)}, {_q(n)}, {_q(cat)}, {_q(fam)}, {_q(unit)})"
                         for i, (c, n, cat, fam, unit) in enumerate(SERVICES))
    con.execute(f"CREATE OR REPLACE TEMP TABLE services AS SELECT * FROM (VALUES {services}) "
                "t(sidx, svc_code, svc_name, svc_cat, svc_family, svc_unit)")
    regions = ", ".join(f"({i}, {_q(c)}, {_q(n)})" for i, (c, n) in enumerate(REGIONS))
    con.execute(f"CREATE OR REPLACE TEMP TABLE regions AS SELECT * FROM (VALUES {regions}) "
                "t(ridx, region, region_name)")
    # u(x, salt): a uniform draw in [0, 1) that depends only on x, the seed and the salt.
    con.execute(f"CREATE OR REPLACE TEMP MACRO u(x, salt) AS (hash(x, {int(seed)}, salt) % 1000000007) / 1000000007.0")
    resources = max(rows // 100, 50)
    # Skewed picks (u^k): a few services, accounts and regions carry most rows, as in real bills.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE resources AS
        WITH r AS (
            SELECT res,
                   CAST(floor({len(SERVICES)} * pow(u(res, 'svc'), 2.2)) AS INTEGER) AS sidx,
                   CAST(floor({ACCOUNTS} * pow(u(res, 'acct'), 1.6)) AS INTEGER) AS aidx,
                   CAST(floor({len(REGIONS)} * pow(u(res, 'reg'), 2.5)) AS INTEGER) AS ridx,
                   'team-' || CAST(floor(20 * pow(u(res, 'team'), 1.5)) AS INTEGER) AS tag_team,
                   (['prod', 'staging', 'dev'])[1 + CAST(floor(3 * u(res, 'env')) AS INTEGER)] AS tag_env,
                   'app-' || CAST(floor(200 * u(res, 'app')) AS INTEGER) AS tag_app,
                   CASE WHEN u(res, 'hascc') < 0.5 THEN 'cc-' || (1000 + CAST(floor(30 * u(res, 'cc')) AS INTEGER))
                       END AS tag_cc,
                   CASE WHEN u(res, 'hasowner') < 0.4 THEN 'owner' || CAST(floor(500 * u(res, 'owner')) AS INTEGER)
                       || '@example.com' END AS tag_owner
            FROM range({resources}) t(res)
        )
        SELECT r.*, s.* EXCLUDE (sidx), g.* EXCLUDE (ridx),
               CAST(100000000000 + 7919 * aidx AS VARCHAR) AS account,
               'account-' || aidx AS account_name,
               'r-' || lpad(CAST(res AS VARCHAR), 8, '0') AS resource_name,
               'arn:aws:' || lower(svc_code) || ':' || region || ':' || account || ':resource/'
                   || resource_name AS resource_id,
               upper(hex(hash(svc_code, region, svc_family))) AS sku,
               lower(hex(hash(res, {int(seed)}, 'id'))) AS res_hex,
               '$' || round(0.01 + 2 * u(res, 'rate'), 4) || ' per ' || svc_unit || ' for ' || svc_name
                   || ' in ' || region_name AS description,
               upper(substr(region, 1, 2)) || upper(substr(region, 4, 1)) || '1-' || svc_family AS usage_type,
               'arn:aws:ec2:' || region || ':' || account || ':reserved-instances/ri-' || (res % 60) AS ri_arn,
               'arn:aws:savingsplans::{PAYER}:savingsplan/sp-' || (res % 40) AS sp_arn,
               'sp-' || (res % 40) AS sp_name
        FROM r JOIN services s USING (sidx) JOIN regions g USING (ridx)
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE hours AS
        SELECT h, day, hour, CAST(day AS TIMESTAMP) + to_hours(hour) AS hstart,
               CAST(day AS TIMESTAMP) + to_hours(hour + 1) AS hend,
               CAST(date_trunc('month', day) AS TIMESTAMP) AS mstart,
               CAST(date_trunc('month', day) + INTERVAL 1 MONTH AS TIMESTAMP) AS mend,
               CAST(2000000000 + 100 * year(day) + month(day) AS VARCHAR) AS invoice_id,
               strftime(day, '%Y-%m-%dT00:00:00Z') AS day_text,
               strftime(day + 1, '%Y-%m-%dT00:00:00Z') AS next_day_text,
               strftime(mstart, '%Y-%m-%dT%H:%M:%SZ') AS month_text,
               strftime(mend, '%Y-%m-%dT%H:%M:%SZ') AS next_month_text,
               strftime(hstart, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime(hend, '%Y-%m-%dT%H:%M:%SZ') AS interval_text,
               month_text || '/' || next_month_text AS month_interval_text
        FROM (SELECT h, DATE '{start.isoformat()}' + CAST(h // 24 AS INTEGER) AS day, CAST(h % 24 AS INTEGER) AS hour
              FROM range({int(days) * 24}) t(h))
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW base AS
        SELECT i, res, hash(i, {int(seed)}, 'hour') % {int(days) * 24} AS h,
               round(exp(ln(0.0001) + u(i, 'cost') * ln(1000000.0)), 8) AS cost,
               u(i, 'kind') AS kind,
               i % 5000 = 7 AS is_tax
        FROM (SELECT i, hash(i, {int(seed)}, 'res') % {resources} AS res FROM range({int(rows)}) t(i))
    """)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


FOCUS_SELECT = """
WITH b AS (
    SELECT *,
           CASE WHEN is_tax THEN 'Tax' WHEN kind < 0.02 THEN 'Credit' ELSE 'Usage' END AS category,
           kind >= 0.02 AND kind < 0.17 AND NOT is_tax AS committed
    FROM base JOIN resources USING (res) JOIN hours USING (h)
)
SELECT
    CASE WHEN is_tax THEN NULL ELSE region || CHR(97 + hour % 3) END AS AvailabilityZone,
    CASE WHEN category = 'Credit' THEN -round(cost / 10, 8) WHEN committed THEN 0 ELSE cost END AS BilledCost,
    '{payer}' AS BillingAccountId,
    'Example Corp Payer' AS BillingAccountName,
    'USD' AS BillingCurrency,
    next_month_text AS BillingPeriodEnd,
    month_text AS BillingPeriodStart,
    category AS ChargeCategory,
    NULL AS ChargeClass,
    CASE category WHEN 'Tax' THEN 'Tax for ' || svc_name WHEN 'Credit' THEN 'Promotional credit'
         ELSE description END AS ChargeDescription,
    CASE WHEN is_tax THEN 'Recurring' ELSE 'Usage-Based' END AS ChargeFrequency,
    CASE WHEN is_tax THEN next_month_text ELSE next_day_text END AS ChargePeriodEnd,
    CASE WHEN is_tax THEN month_text ELSE day_text END AS ChargePeriodStart,
    CASE WHEN committed THEN 'Spend' END AS CommitmentDiscountCategory,
    CASE WHEN committed THEN sp_arn END AS CommitmentDiscountId,
    CASE WHEN committed THEN sp_name END AS CommitmentDiscountName,
    CASE WHEN committed THEN 'Used' END AS CommitmentDiscountStatus,
    CASE WHEN committed THEN 'Savings Plan' END AS CommitmentDiscountType,
    round(cost * 7.3, 6) AS ConsumedQuantity,
    svc_unit AS ConsumedUnit,
    cost AS ContractedCost,
    round(cost / 7.3, 10) AS ContractedUnitPrice,
    CASE WHEN category = 'Credit' THEN -round(cost / 10, 8) WHEN committed THEN round(cost * 0.72, 8) ELSE cost END
        AS EffectiveCost,
    'AWS' AS InvoiceIssuerName,
    CASE WHEN category = 'Credit' THEN 0 ELSE round(cost * 1.1, 8) END AS ListCost,
    round(cost * 1.1 / 7.3, 10) AS ListUnitPrice,
    CASE WHEN committed THEN 'Committed' WHEN category = 'Usage' THEN 'Standard' END AS PricingCategory,
    round(cost * 7.3, 6) AS PricingQuantity,
    svc_unit AS PricingUnit,
    'AWS' AS ProviderName,
    'AWS' AS PublisherName,
    region AS RegionId,
    region_name AS RegionName,
    resource_id AS ResourceId,
    resource_name AS ResourceName,
    svc_family AS ResourceType,
    svc_cat AS ServiceCategory,
    svc_name AS ServiceName,
    sku AS SkuId,
    sku || '.' || svc_unit AS SkuPriceId,
    account AS SubAccountId,
    account_name AS SubAccountName,
    tags_json AS Tags
FROM b
"""

CUR2_SELECT = """
WITH b AS (
    SELECT *,
           CASE WHEN is_tax THEN 'Tax' WHEN kind < 0.02 THEN 'Credit' WHEN kind < 0.07 THEN 'DiscountedUsage'
                WHEN kind < 0.12 THEN 'SavingsPlanCoveredUsage' WHEN kind < 0.17 THEN 'SavingsPlanNegation'
                ELSE 'Usage' END AS line_type,
           CASE line_type WHEN 'DiscountedUsage' THEN 0.0 WHEN 'SavingsPlanNegation' THEN -cost
                WHEN 'Credit' THEN -round(cost / 10, 8) ELSE cost END AS unblended
    FROM base JOIN resources USING (res) JOIN hours USING (h)
)
SELECT
    lower(hex(hash(i, {seed}, 'line'))) || res_hex AS identity_line_item_id,
    CASE WHEN is_tax THEN month_interval_text ELSE interval_text END AS identity_time_interval,
    'Anniversary' AS bill_bill_type,
    'AWS' AS bill_billing_entity,
    mend AS bill_billing_period_end_date,
    mstart AS bill_billing_period_start_date,
    invoice_id AS bill_invoice_id,
    'Amazon Web Services, Inc.' AS bill_invoicing_entity,
    '{payer}' AS bill_payer_account_id,
    'Example Corp Payer' AS bill_payer_account_name,
    CASE WHEN is_tax THEN NULL ELSE region || CHR(97 + hour % 3) END AS line_item_availability_zone,
    unblended AS line_item_blended_cost,
    round(cost / 7.3, 10) AS line_item_blended_rate,
    'USD' AS line_item_currency_code,
    'Amazon Web Services EMEA SARL' AS line_item_legal_entity,
    CASE line_type WHEN 'Tax' THEN 'Tax for product code ' || svc_code WHEN 'Credit' THEN 'AWS Promotional credit'
         ELSE description END AS line_item_line_item_description,
    line_type AS line_item_line_item_type,
    unblended AS line_item_net_unblended_cost,
    CASE WHEN svc_unit = 'Hrs' THEN 4.0 ELSE 0.0 END AS line_item_normalization_factor,
    CASE WHEN svc_unit = 'Hrs' THEN 4.0 ELSE 0.0 END AS line_item_normalized_usage_amount,
    CASE WHEN is_tax THEN NULL ELSE 'Run' || svc_family END AS line_item_operation,
    svc_code AS line_item_product_code,
    CASE WHEN is_tax OR line_type = 'Credit' THEN NULL ELSE resource_id END AS line_item_resource_id,
    CASE WHEN is_tax THEN 'Sales tax' END AS line_item_tax_type,
    unblended AS line_item_unblended_cost,
    round(cost / 7.3, 10) AS line_item_unblended_rate,
    account AS line_item_usage_account_id,
    account_name AS line_item_usage_account_name,
    round(cost * 7.3, 6) AS line_item_usage_amount,
    CASE WHEN is_tax THEN mend ELSE hend END AS line_item_usage_end_date,
    CASE WHEN is_tax THEN mstart ELSE hstart END AS line_item_usage_start_date,
    usage_type AS line_item_usage_type,
    'USD' AS pricing_currency,
    CASE WHEN line_type IN ('Credit', 'Tax') THEN 0.0 ELSE round(cost * 1.1, 8) END AS pricing_public_on_demand_cost,
    round(cost * 1.1 / 7.3, 10) AS pricing_public_on_demand_rate,
    CASE WHEN line_type = 'DiscountedUsage' THEN 'Reserved' ELSE 'OnDemand' END AS pricing_term,
    svc_unit AS pricing_unit,
    {product} AS product,
    CASE WHEN svc_unit = 'Hrs' THEN 'm6i.xlarge' END AS product_instance_type,
    region_name AS product_location,
    svc_family AS product_product_family,
    region AS product_region_code,
    svc_code AS product_servicecode,
    sku AS product_sku,
    CASE WHEN line_type = 'DiscountedUsage' THEN round(cost * 0.62, 8) ELSE 0.0 END AS reservation_effective_cost,
    CASE WHEN line_type = 'DiscountedUsage' THEN ri_arn END AS reservation_reservation_a_r_n,
    0.0 AS reservation_unused_amortized_upfront_fee_for_billing_period,
    0.0 AS reservation_unused_recurring_fee,
    {tags} AS resource_tags,
    CASE WHEN line_type IN ('SavingsPlanCoveredUsage', 'SavingsPlanNegation') THEN sp_arn END
        AS savings_plan_savings_plan_a_r_n,
    CASE WHEN line_type = 'SavingsPlanCoveredUsage' THEN round(cost * 0.72, 8) ELSE 0.0 END
        AS savings_plan_savings_plan_effective_cost,
    0.0 AS savings_plan_total_commitment_to_date,
    0.0 AS savings_plan_used_commitment
FROM b
"""

# Per-resource map and JSON columns, added to ``resources`` by generate() for the format at hand.
PRODUCT_MAP = ("MAP {'product_name': svc_name, 'region': region, 'servicecode': svc_code, "
               "'servicename': svc_name, 'location': region_name, 'product_family': svc_family}")


def tags_map(prefix: str) -> str:
    """The resource's 3-5 tags as a MAP(VARCHAR, VARCHAR); CUR 2.0 prefixes user tags with ``user_``."""
    pairs = ", ".join(f"{{'key': '{prefix}{key}', 'value': tag_{col}}}" for key, col in
                      (("team", "team"), ("env", "env"), ("app", "app"), ("cost_center", "cc"), ("owner", "owner")))
    return f"map_from_entries(list_filter([{pairs}], lambda e: e.value IS NOT NULL))"


def generate(fmt: str, rows: int, path: Path, *, seed: int = 42, days: int = 59, start: date = date(2025, 1, 1),
             gzip: bool = False) -> Path:
    """Write ``rows`` rows of ``fmt`` to ``path`` (atomically: a temp name, then rename) and return it."""
    import duckdb

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if not 1 <= days <= 366:
        raise ValueError("--days must be between 1 and 366")
    path = Path(path)
    _refuse_repo(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial{suffix(fmt, gzip)}")
    con = duckdb.connect()
    try:
        _setup(con, seed, rows, days, start)
        if fmt == "focus":
            con.execute(f"CREATE OR REPLACE TEMP TABLE resources AS SELECT *, to_json({tags_map('')}) AS tags_json "
                        "FROM resources")
            select = FOCUS_SELECT.format(payer=PAYER)
            options = "FORMAT csv, HEADER true" + (", COMPRESSION gzip" if gzip else "")
        else:
            as_json = fmt == "cur2-csv"  # AWS writes the map columns of a CSV CUR 2.0 as JSON text
            product, tags = _json(PRODUCT_MAP, as_json), _json(tags_map("user_"), as_json)
            con.execute(f"CREATE OR REPLACE TEMP TABLE resources AS SELECT *, {product} AS product_col, "
                        f"{tags} AS tags_col FROM resources")
            select = CUR2_SELECT.format(payer=PAYER, seed=int(seed), product="product_col", tags="tags_col")
            options = ("FORMAT parquet, COMPRESSION snappy" if fmt == "cur2"
                       else "FORMAT csv, HEADER true" + (", COMPRESSION gzip" if gzip else ""))
        con.execute(f"COPY ({select}) TO {_q(str(partial))} ({options})")
    finally:
        con.close()
    partial.replace(path)
    return path


def _json(expr: str, as_json: bool) -> str:
    return f"to_json({expr})" if as_json else expr


def _refuse_repo(path: Path) -> None:
    """Generated exports are hundreds of MB: never let them land in the working tree."""
    resolved = path.resolve()
    if resolved == REPO or REPO in resolved.parents:
        raise SystemExit(f"{path}: inside the repository {REPO}; write generated exports elsewhere (--out /tmp/...)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per file (default 1,000,000)")
    parser.add_argument("--format", default="focus,cur2", help=f"comma-separated, of {', '.join(FORMATS)}")
    parser.add_argument("--gzip", action="store_true", help="CSV formats as .csv.gz")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: a new temp directory)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=59, help="days covered, from --start (default 59: Jan+Feb)")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    out = args.out or Path(tempfile.mkdtemp(prefix="costctl-bench-"))
    for fmt in [f.strip() for f in args.format.split(",") if f.strip()]:
        if fmt not in FORMATS:
            parser.error(f"unknown format {fmt!r}; expected {', '.join(FORMATS)}")
        path = out / default_name(fmt, args.rows, args.gzip and fmt != "cur2", args.seed, args.days)
        began = time.perf_counter()
        generate(fmt, args.rows, path, seed=args.seed, days=args.days, start=args.start,
                 gzip=args.gzip and fmt != "cur2")
        print(f"{path}\t{args.rows:,} rows\t{path.stat().st_size / 2**20:,.1f} MiB\t"
              f"{time.perf_counter() - began:.1f} s", file=sys.stderr)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
