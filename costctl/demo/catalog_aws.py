"""The demo company's AWS organization: three linked accounts under one payer."""

from __future__ import annotations

from costctl.demo.catalog import HOURS, MONTH_DAYS, Account, LineItem, tags
from costctl.demo.commitments import RESERVED_INSTANCE, SAVINGS_PLAN

_AWS_PAYER = ("111122223333", "Acme Corp", "Billing Account")
AWS_PROD = Account(*_AWS_PAYER, "210987654321", "acme-prod", "Linked Account", "prod")
AWS_STAGING = Account(*_AWS_PAYER, "345678901234", "acme-staging", "Linked Account", "staging")
AWS_DATA = Account(*_AWS_PAYER, "456789012345", "acme-data", "Linked Account", "data")
US_EAST_1 = ("us-east-1", "US East (N. Virginia)")
EU_WEST_1 = ("eu-west-1", "Europe (Ireland)")
EC2, EBS_TYPE = "Amazon Elastic Compute Cloud", "Volume"


def _ec2(acct: Account, region: tuple[str, str], iid: str, name: str, itype: str, price: float, team: str,
         weekend: float = 1.0, committed: bool = False, spike: bool = False, reserved: bool = False) -> LineItem:
    prefix = "EU-" if region == EU_WEST_1 else ""
    return LineItem(
        acct, EC2, "Compute", "Virtual Machines", region,
        f"arn:aws:ec2:{region[0]}:{acct.sub_id}:instance/{iid}", name, "Instance",
        f"{prefix}BoxUsage:{itype}", f"${price} per On Demand Linux {itype} Instance Hour", "Hrs", HOURS, price,
        weekend=weekend, growth=0.0, noise=0.04, capped=True, tags=tags(team, acct.env, service=name.rsplit("-", 1)[0]),
        discount=0.28 if committed else 0.0,
        commitment=(RESERVED_INSTANCE if reserved else SAVINGS_PLAN) if committed else "",
        feature="ec2_spike" if spike else "", clone_on_spike=spike,
    )


def _ebs(acct: Account, region: tuple[str, str], vid: str, name: str, gb: float, kind: str, team: str | None,
         growth: float = 0.0, noise: float = 0.0) -> LineItem:
    price = {"gp3": 0.08, "gp2": 0.10, "io2": 0.125}[kind]
    return LineItem(
        acct, EC2, "Storage", "Block Storage", region,
        f"arn:aws:ec2:{region[0]}:{acct.sub_id}:volume/{vid}", name, EBS_TYPE,
        f"EBS:VolumeUsage.{kind}", f"${price} per GB-month of {kind} provisioned storage", "GB-Mo",
        gb / MONTH_DAYS, price, growth=growth, noise=noise, tags=tags(team, acct.env),
    )


def _s3(acct: Account, bucket: str, gb: float, put_k: float, team: str | None) -> list[LineItem]:
    arn, svc, tg = f"arn:aws:s3:::{bucket}", "Amazon Simple Storage Service", tags(team, acct.env)
    return [
        LineItem(acct, svc, "Storage", "Object Storage", US_EAST_1, arn, bucket, "Bucket", "TimedStorage-ByteHrs",
                 "$0.023 per GB - first 50 TB / month of storage used", "GB-Mo", gb / MONTH_DAYS, 0.023,
                 growth=0.3, noise=0.01, tags=tg),
        LineItem(acct, svc, "Storage", "Object Storage", US_EAST_1, arn, bucket, "Bucket", "Requests-Tier1",
                 "$0.005 per 1,000 PUT, COPY, POST, or LIST requests", "Requests", put_k * 1000, 0.000005,
                 weekend=0.6, noise=0.15, tags=tg),
    ]


def _rds(acct: Account, name: str, cls: str, price: float, gb: float, team: str) -> list[LineItem]:
    arn, svc = f"arn:aws:rds:us-east-1:{acct.sub_id}:db:{name}", "Amazon Relational Database Service"
    tg = tags(team, acct.env)
    return [
        LineItem(acct, svc, "Databases", "Relational Databases", US_EAST_1, arn, name, "DB Instance",
                 f"InstanceUsage:{cls}", f"${price} per RDS {cls} Multi-AZ instance hour running PostgreSQL", "Hrs",
                 HOURS, price, growth=0.0, noise=0.0, capped=True, tags=tg),
        LineItem(acct, svc, "Databases", "Relational Databases", US_EAST_1, arn, name, "DB Instance",
                 "RDS:Multi-AZ-GP3-Storage", "$0.23 per GB-month of provisioned gp3 storage running PostgreSQL",
                 "GB-Mo", gb / MONTH_DAYS, 0.23, growth=0.15, noise=0.005, tags=tg),
    ]


def _lambda(acct: Account, fn: str, gb_s: float, team: str | None) -> LineItem:
    return LineItem(
        acct, "AWS Lambda", "Compute", "Serverless Compute", US_EAST_1,
        f"arn:aws:lambda:us-east-1:{acct.sub_id}:function:{fn}", fn, "Function", "Lambda-GB-Second",
        "AWS Lambda - Total Compute - US East (N. Virginia)", "Lambda-GB-Second", gb_s, 0.0000166667,
        weekend=0.55, growth=0.35, noise=0.12, tags=tags(team, acct.env),
    )


def _cloudwatch(acct: Account, gb_logs: float, team: str) -> LineItem:
    return LineItem(
        acct, "AmazonCloudWatch", "Management and Governance", "Observability", US_EAST_1,
        f"arn:aws:logs:us-east-1:{acct.sub_id}:log-group:/acme/{acct.env}/app", f"/acme/{acct.env}/app",
        "Log Group", "DataProcessing-Bytes", "$0.50 per GB custom log data ingested", "GB", gb_logs, 0.50,
        weekend=0.7, growth=0.25, noise=0.1, tags=tags(team, acct.env),
    )


def _transfer(acct: Account, region: tuple[str, str], gb: float) -> LineItem:
    # Data transfer carries no resource and no tags: the classic unallocated line of an AWS bill.
    prefix = "EU-" if region == EU_WEST_1 else "US-"
    return LineItem(
        acct, "AWS Data Transfer", "Networking", "Network Connectivity", region, "", "", "",
        f"{prefix}DataTransfer-Out-Bytes", "$0.09 per GB - first 10 TB / month data transfer out", "GB", gb, 0.09,
        weekend=0.75, growth=0.25, noise=0.1,
    )


def _sagemaker(acct: Account, kind: str, name: str, itype: str, price: float) -> LineItem:
    usage = "Notebk" if kind == "notebook-instance" else "Host"
    return LineItem(
        acct, "Amazon SageMaker", "AI and Machine Learning", "Machine Learning", US_EAST_1,
        f"arn:aws:sagemaker:us-east-1:{acct.sub_id}:{kind}/{name}", name, kind.replace("-", " ").title(),
        f"{usage}:{itype}", f"${price} per {itype} {usage} hour", "Hrs", HOURS, price, growth=0.0, noise=0.04,
        capped=True, tags=tags("ml", acct.env), feature="sagemaker_new_service",
    )


def aws_items() -> list[LineItem]:
    """acme-prod (web and API, savings plan), acme-staging (scaled down on weekends), acme-data (batch, ML)."""
    p, s, d = AWS_PROD, AWS_STAGING, AWS_DATA
    return [
        _ec2(p, US_EAST_1, "i-0a1f3c5e7b9d20461", "web-1", "m6i.4xlarge", 0.768, "web", 0.8, True, True),
        _ec2(p, US_EAST_1, "i-0b2e4d6f8a0c31572", "web-2", "m6i.4xlarge", 0.768, "web", 0.8, True, True),
        _ec2(p, US_EAST_1, "i-0c3d5f7a9b1e42683", "web-3", "m6i.4xlarge", 0.768, "web", 0.8, False, True),
        _ec2(p, US_EAST_1, "i-0d4c6e8b0a2f53794", "api-1", "c6i.8xlarge", 1.36, "api", 1.0, True, True, reserved=True),
        _ec2(p, US_EAST_1, "i-0e5b7d9c1f3a648a5", "api-2", "c6i.8xlarge", 1.36, "api", 1.0, True, True, reserved=True),
        _ec2(p, EU_WEST_1, "i-0f6a8c0d2e4b759b6", "api-eu-1", "c6i.4xlarge", 0.76, "api", 1.0, False, True),
        _ec2(s, US_EAST_1, "i-01a7b9d1f3c586ac7", "web-staging-1", "m6i.large", 0.096, "web", 0.3),
        _ec2(s, US_EAST_1, "i-02b8cae2a4d697bd8", "api-staging-1", "c6i.xlarge", 0.17, "api", 0.3),
        _ec2(s, US_EAST_1, "i-03c9dbf3b5e7a8ce9", "ci-runner-1", "c6i.2xlarge", 0.34, "platform", 0.2),
        _ec2(d, US_EAST_1, "i-04dae0a4c6f8b9dfa", "etl-1", "r6i.4xlarge", 1.008, "data", 0.9),
        _ec2(d, US_EAST_1, "i-05ebf1b5d7a9cae0b", "etl-2", "r6i.4xlarge", 1.008, "data", 0.9),
        _ec2(d, US_EAST_1, "i-06fca2c6e8bad1f1c", "airflow-1", "m6i.xlarge", 0.192, "data"),
        _ebs(p, US_EAST_1, "vol-0a11c2d3e4f5a6b70", "web-1-root", 200, "gp3", "web", 0.1, 0.002),
        _ebs(p, US_EAST_1, "vol-0b22d3e4f5a6b7c81", "web-2-root", 200, "gp3", "web", 0.1, 0.002),
        _ebs(p, US_EAST_1, "vol-0c33e4f5a6b7c8d92", "api-data", 1000, "gp3", "api", 0.1, 0.002),
        _ebs(p, EU_WEST_1, "vol-0d44f5a6b7c8d9ea3", "api-eu-data", 500, "gp3", "api", 0.1, 0.002),
        _ebs(s, US_EAST_1, "vol-0e55a6b7c8d9eafb4", "ci-cache", 300, "gp3", "platform"),
        _ebs(s, US_EAST_1, "vol-0d3adb33f5e1c2a77", "old-jenkins-data", 500, "gp2", None),  # idle_ebs_volume
        _ebs(d, US_EAST_1, "vol-0f66b7c8d9eafa0c5", "etl-scratch", 2000, "gp3", "data", 0.2, 0.003),
        _ebs(d, US_EAST_1, "vol-0a77c8d9eafb1bd16", "airflow-root", 100, "gp3", "data"),
        *_s3(p, "acme-prod-assets", 18000, 40, "web"),
        *_s3(p, "acme-prod-backups", 42000, 5, "platform"),
        *_s3(p, "acme-prod-logs", 9000, 220, None),
        *_s3(s, "acme-staging-assets", 1500, 8, "web"),
        *_s3(d, "acme-data-lake", 60000, 600, "data"),
        *_s3(d, "acme-data-athena-results", 3000, 90, None),
        *_rds(p, "orders-db", "db.r6g.2xlarge", 1.642, 1500, "api"),
        *_rds(p, "users-db", "db.r6g.large", 0.41, 400, "api"),
        *_rds(s, "orders-db-staging", "db.t4g.large", 0.258, 200, "api"),
        _lambda(p, "thumbnailer", 700_000, "web"),
        _lambda(p, "webhook-dispatcher", 300_000, "api"),
        _lambda(p, "nightly-report", 120_000, None),
        _lambda(d, "ingest-events", 1_100_000, "data"),
        _lambda(d, "schema-validator", 150_000, "data"),
        _cloudwatch(p, 25, "platform"),
        _cloudwatch(s, 6, "platform"),
        _cloudwatch(d, 10, "data"),
        _transfer(p, US_EAST_1, 450),
        _transfer(p, EU_WEST_1, 120),
        _transfer(s, US_EAST_1, 40),
        _transfer(d, US_EAST_1, 90),
        _sagemaker(d, "notebook-instance", "research-gpu", "ml.g5.2xlarge", 1.515),
        _sagemaker(d, "training-job", "churn-train-daily", "ml.g5.4xlarge", 2.03),
        _sagemaker(d, "endpoint", "churn-model", "ml.m5.xlarge", 0.23),
    ]
