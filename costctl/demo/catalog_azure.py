"""The demo company's Azure tenant: two subscriptions under one Microsoft Customer Agreement billing account."""

from __future__ import annotations

from costctl.demo.catalog import HOURS, MONTH_DAYS, Account, LineItem, tags
from costctl.demo.commitments import AZURE_RESERVATION as RESERVATION

_BILLING = (
    "8f2d7c1a-4b3e-4f6a-9d0c-2e1b5a7c9f30:6a1e4c2b-9f7d-4e3a-8b5c-0d2f6e8a1c47_2019-05-31",
    "Acme Corp",
    "Billing Profile",
)
AZ_PROD = Account(*_BILLING, "9a7e1c3d-2f4b-4d6e-8a0c-3b5d7f9e1a24", "Acme Prod", "Subscription", "prod")
AZ_STAGING = Account(*_BILLING, "5c3b6f2e-8d41-4a9e-b7c2-1f0e9d8a7b63", "Acme Staging", "Subscription", "staging")
WEST_EUROPE = ("westeurope", "West Europe")
NORTH_EUROPE = ("northeurope", "North Europe")


def _rid(acct: Account, group: str, provider: str, name: str) -> str:
    return f"/subscriptions/{acct.sub_id}/resourceGroups/{group}/providers/{provider}/{name}"


def _vm(acct: Account, group: str, name: str, size: str, price: float, team: str, weekend: float = 1.0,
        reserved: bool = False) -> LineItem:
    meter = size.replace("Standard_", "").replace("_", " ")
    series = f"{meter[0]}sv5"  # D16s v5 -> Dsv5, E8s v5 -> Esv5
    return LineItem(
        acct, "Virtual Machines", "Compute", "Virtual Machines", WEST_EUROPE,
        _rid(acct, group, "Microsoft.Compute", f"virtualMachines/{name}"), name, "Virtual machine",
        f"Virtual Machines {series} Series/{meter}", f"{meter} - West Europe", "1 Hour", HOURS, price,
        weekend=weekend, growth=0.0, noise=0.04, capped=True, tags=tags(team, acct.env),
        discount=0.38 if reserved else 0.0,
        commitment=RESERVATION if reserved else "",
    )


def _disk(acct: Account, group: str, name: str, tier: str, monthly: float, team: str | None) -> LineItem:
    # Managed disks bill a fixed monthly price whether attached or not; daily rows are 1/30.4 of it.
    return LineItem(
        acct, "Storage", "Storage", "Block Storage", WEST_EUROPE,
        _rid(acct, group, "Microsoft.Compute", f"disks/{name}"), name, "Disk",
        f"Premium SSD Managed Disks/{tier} LRS Disk", f"{tier} LRS Disk - West Europe", "1/Month",
        1 / MONTH_DAYS, monthly, growth=0.0, noise=0.0, tags=tags(team, acct.env),
    )


def _blob(acct: Account, group: str, name: str, gb: float, team: str | None) -> LineItem:
    return LineItem(
        acct, "Storage", "Storage", "Object Storage", NORTH_EUROPE,
        _rid(acct, group, "Microsoft.Storage", f"storageAccounts/{name}"), name, "Storage account",
        "Blob Storage/Hot LRS Data Stored", "Hot LRS Data Stored - North Europe", "1 GB/Month", gb / MONTH_DAYS,
        0.0196, growth=0.3, noise=0.01, tags=tags(team, acct.env),
    )


def _sql(acct: Account, server: str, db: str, vcores: int, team: str) -> LineItem:
    return LineItem(
        acct, "Azure SQL Database", "Databases", "Relational Databases", WEST_EUROPE,
        _rid(acct, f"rg-data-{acct.env}", "Microsoft.Sql", f"servers/{server}/databases/{db}"), db, "SQL database",
        "SQL Database Single/General Purpose - Compute Gen5 vCore",
        "vCore - General Purpose - Compute Gen5 - West Europe", "1 Hour", HOURS * vcores, 0.2162, growth=0.0,
        noise=0.0, capped=True, tags=tags(team, acct.env), feature="azure_sql_level_shift",
    )


def _bandwidth(acct: Account, gb: float) -> LineItem:
    return LineItem(
        acct, "Bandwidth", "Networking", "Network Connectivity", WEST_EUROPE, "", "", "",
        "Bandwidth/Standard Data Transfer Out", "Standard Data Transfer Out - Zone 1", "1 GB", gb, 0.087,
        weekend=0.7, growth=0.25, noise=0.1,
    )


def _monitor(acct: Account, gb: float, team: str) -> LineItem:
    return LineItem(
        acct, "Log Analytics", "Management and Governance", "Observability", WEST_EUROPE,
        _rid(acct, f"rg-ops-{acct.env}", "Microsoft.OperationalInsights", f"workspaces/law-acme-{acct.env}"),
        f"law-acme-{acct.env}", "Log Analytics workspace", "Log Analytics/Analytics Logs Data Ingestion",
        "Analytics Logs Data Ingestion - West Europe", "1 GB", gb, 2.99, weekend=0.75, growth=0.2, noise=0.08,
        tags=tags(team, acct.env),
    )


def azure_items() -> list[LineItem]:
    """Acme Prod (reserved VMs, SQL) and Acme Staging (shut down at weekends, one forgotten disk)."""
    p, s = AZ_PROD, AZ_STAGING
    return [
        _vm(p, "rg-web-prod", "vm-web-01", "Standard_D8s_v5", 0.428, "web", reserved=True),
        _vm(p, "rg-web-prod", "vm-web-02", "Standard_D8s_v5", 0.428, "web", reserved=True),
        _vm(p, "rg-web-prod", "vm-web-03", "Standard_D8s_v5", 0.428, "web", weekend=0.7),
        _vm(p, "rg-api-prod", "vm-api-01", "Standard_D16s_v5", 0.856, "api", reserved=True),
        _vm(p, "rg-api-prod", "vm-api-02", "Standard_D16s_v5", 0.856, "api"),
        _vm(p, "rg-data-prod", "vm-reporting-01", "Standard_E8s_v5", 0.576, "data", weekend=0.5),
        _vm(s, "rg-web-staging", "vm-web-stg-01", "Standard_D4s_v5", 0.214, "web", weekend=0.2),
        _vm(s, "rg-api-staging", "vm-api-stg-01", "Standard_D4s_v5", 0.214, "api", weekend=0.2),
        _vm(s, "rg-build-staging", "vm-build-agent-02", "Standard_D8s_v5", 0.428, "platform", weekend=0.3),
        _disk(p, "rg-web-prod", "vm-web-01_OsDisk_1", "P10", 21.68, "web"),
        _disk(p, "rg-web-prod", "vm-web-02_OsDisk_1", "P10", 21.68, "web"),
        _disk(p, "rg-web-prod", "vm-web-03_OsDisk_1", "P10", 21.68, "web"),
        _disk(p, "rg-api-prod", "vm-api-01_DataDisk_0", "P30", 148.68, "api"),
        _disk(p, "rg-api-prod", "vm-api-02_DataDisk_0", "P30", 148.68, "api"),
        _disk(p, "rg-data-prod", "vm-reporting-01_OsDisk_1", "P10", 21.68, "data"),
        _disk(s, "rg-web-staging", "vm-web-stg-01_OsDisk_1", "P6", 10.84, "web"),
        _disk(s, "rg-build-staging", "vm-build-agent-02_OsDisk_1", "P10", 21.68, "platform"),
        _disk(s, "rg-build-staging", "disk-old-build-agent", "P20", 80.54, None),  # idle_azure_disk
        _blob(p, "rg-web-prod", "acmeprodstatic", 6000, "web"),
        _blob(p, "rg-ops-prod", "acmeprodlogs", 25000, None),
        _blob(s, "rg-web-staging", "acmestgstatic", 800, "web"),
        _sql(p, "sql-acme-prod", "orders", 8, "api"),
        _sql(p, "sql-acme-prod", "catalog", 4, "web"),
        _sql(s, "sql-acme-staging", "orders", 2, "api"),
        _bandwidth(p, 350),
        _bandwidth(s, 30),
        _monitor(p, 8, "platform"),
        _monitor(s, 1.5, "platform"),
    ]
