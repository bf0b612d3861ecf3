"""The demo company's Google Cloud projects: prod, staging and data under one billing account."""

from __future__ import annotations

from costctl.demo.catalog import HOURS, MONTH_DAYS, Account, LineItem, tags
from costctl.demo.commitments import GCP_CUD

_BILLING = ("01A2B3-C4D5E6-F7A8B9", "Acme Corp", "Billing Account")
GCP_PROD = Account(*_BILLING, "acme-prod-361214", "acme-prod", "Project", "prod")
GCP_STAGING = Account(*_BILLING, "acme-staging-361215", "acme-staging", "Project", "staging")
GCP_DATA = Account(*_BILLING, "acme-data-418203", "acme-data", "Project", "data")
EUROPE_WEST1 = ("europe-west1", "Belgium")
US_CENTRAL1 = ("us-central1", "Iowa")


def _instance(acct: Account, zone: str, name: str, vcpus: int, ram_gb: int, team: str,
              weekend: float = 1.0, cud: bool = False) -> list[LineItem]:
    # Compute Engine bills cores and memory of one instance on two SKUs.
    region = EUROPE_WEST1 if zone.startswith("europe") else US_CENTRAL1
    rid = f"//compute.googleapis.com/projects/{acct.sub_id}/zones/{zone}/instances/{name}"
    where = f"running in {region[1]}"
    common = dict(weekend=weekend, growth=0.0, noise=0.04, capped=True, tags=tags(team, acct.env),
                  discount=0.37 if cud else 0.0, commitment=GCP_CUD if cud else "")  # a 1-year resource-based CUD
    return [
        LineItem(acct, "Compute Engine", "Compute", "Virtual Machines", region, rid, name, "Instance",
                 f"N2 Instance Core {where}", f"N2 Instance Core {where}", "hour", HOURS * vcpus, 0.034773, **common),
        LineItem(acct, "Compute Engine", "Compute", "Virtual Machines", region, rid, name, "Instance",
                 f"N2 Instance Ram {where}", f"N2 Instance Ram {where}", "gibibyte hour", HOURS * ram_gb, 0.004661,
                 **common),
    ]


def _pd(acct: Account, zone: str, name: str, gb: float, team: str) -> LineItem:
    region = EUROPE_WEST1 if zone.startswith("europe") else US_CENTRAL1
    return LineItem(
        acct, "Compute Engine", "Storage", "Block Storage", region,
        f"//compute.googleapis.com/projects/{acct.sub_id}/zones/{zone}/disks/{name}", name, "Disk",
        f"Balanced PD Capacity in {region[1]}", f"Balanced PD Capacity in {region[1]}", "gibibyte month",
        gb / MONTH_DAYS, 0.11, growth=0.05, noise=0.002, tags=tags(team, acct.env),
    )


def _bucket(acct: Account, name: str, gb: float, team: str | None) -> LineItem:
    return LineItem(
        acct, "Cloud Storage", "Storage", "Object Storage", EUROPE_WEST1,
        f"//storage.googleapis.com/projects/_/buckets/{name}", name, "Bucket",
        "Standard Storage Belgium", "Standard Storage Belgium", "gibibyte month", gb / MONTH_DAYS, 0.02,
        growth=0.35, noise=0.01, tags=tags(team, acct.env),
    )


def _bigquery(acct: Account, dataset: str, tib: float, stored_gb: float, team: str | None) -> list[LineItem]:
    rid = f"//bigquery.googleapis.com/projects/{acct.sub_id}/datasets/{dataset}"
    tg = tags(team, acct.env)
    return [
        LineItem(acct, "BigQuery", "Analytics", "Data Processing", US_CENTRAL1, rid, dataset, "Dataset",
                 "Analysis", "Analysis", "tebibyte", tib, 6.25, weekend=0.45, growth=0.3, noise=0.15, tags=tg,
                 feature="bigquery_spike"),
        LineItem(acct, "BigQuery", "Storage", "Data Warehouse", US_CENTRAL1, rid, dataset, "Dataset",
                 "Active Logical Storage", "Active Logical Storage", "gibibyte month", stored_gb / MONTH_DAYS, 0.02,
                 growth=0.4, noise=0.01, tags=tg),
    ]


def _cloudsql(acct: Account, name: str, vcpus: int, ram_gb: int, team: str) -> list[LineItem]:
    rid = f"//cloudsql.googleapis.com/projects/{acct.sub_id}/instances/{name}"
    tg, sku = tags(team, acct.env), "Cloud SQL for PostgreSQL: Zonal - "
    return [
        LineItem(acct, "Cloud SQL", "Databases", "Relational Databases", EUROPE_WEST1, rid, name, "Instance",
                 sku + "vCPU in Belgium", sku + "vCPU in Belgium", "hour", HOURS * vcpus, 0.0413, growth=0.0,
                 noise=0.0, capped=True, tags=tg),
        LineItem(acct, "Cloud SQL", "Databases", "Relational Databases", EUROPE_WEST1, rid, name, "Instance",
                 sku + "RAM in Belgium", sku + "RAM in Belgium", "gibibyte hour", HOURS * ram_gb, 0.007,
                 growth=0.0, noise=0.0, capped=True, tags=tg),
    ]


def gcp_items() -> list[LineItem]:
    """acme-prod (GKE-less VMs, Cloud SQL), acme-staging (small), acme-data (BigQuery-heavy)."""
    p, s, d = GCP_PROD, GCP_STAGING, GCP_DATA
    return [
        *_instance(p, "europe-west1-b", "web-1", 8, 32, "web", 0.85),
        *_instance(p, "europe-west1-c", "web-2", 8, 32, "web", 0.85),
        *_instance(p, "europe-west1-b", "worker-1", 16, 64, "api", cud=True),
        *_instance(s, "europe-west1-b", "web-staging-1", 2, 8, "web", 0.3),
        *_instance(d, "us-central1-a", "dataproc-edge-1", 8, 64, "data", 0.6),
        *_instance(d, "us-central1-a", "jupyter-1", 4, 32, "data", 0.4),
        _pd(p, "europe-west1-b", "web-1", 100, "web"),
        _pd(p, "europe-west1-c", "web-2", 100, "web"),
        _pd(p, "europe-west1-b", "worker-1-data", 1000, "api"),
        _pd(d, "us-central1-a", "dataproc-edge-1-scratch", 2000, "data"),
        _bucket(p, "acme-prod-media", 30000, "web"),
        _bucket(p, "acme-prod-exports", 4000, None),
        _bucket(s, "acme-staging-media", 1200, "web"),
        _bucket(d, "acme-data-raw", 40000, "data"),
        *_bigquery(d, "analytics", 9.0, 15000, "data"),
        *_bigquery(d, "marketing", 2.0, 3000, "marketing"),
        *_bigquery(p, "app_events", 0.6, 4000, None),
        *_cloudsql(p, "orders-pg", 8, 32, "api"),
        *_cloudsql(s, "orders-pg-staging", 2, 8, "api"),
    ]
