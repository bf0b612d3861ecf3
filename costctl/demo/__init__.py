"""The bundled demo dataset: three FOCUS 1.2 exports (AWS, Azure, GCP) that ship inside the package.

``costctl --demo`` configures the provider instances returned by ``demo_providers()``: plain
``files`` providers that read the bundled ``*.csv.gz`` with ``shift_to_yesterday`` on, so the
data always ends yesterday whatever the date. The files are written by ``costctl.demo.generate``
(deterministic; ``python -m costctl.demo.generate`` rewrites them) from the catalog in
``costctl.demo.catalog``.

``FEATURES`` says where the planted anomalies are, as day offsets from the newest day (offset 0
is the newest day, 1 the day before...). The generator plants them from this very dict, so tests
of the anomaly detector, ``check --period change`` or ``idle`` can assert on it without
hard-coding dates, and the data cannot drift away from the description.

This module must stay cheap to import (no pandas): the CLI reads it to build its config.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

ANCHOR = date(2026, 10, 31)  # newest day in the files, before the provider shifts it to yesterday
DAYS = 150  # daily rows from ANCHOR - 149 days through ANCHOR
CLOUDS: tuple[str, ...] = ("aws", "azure", "gcp")
DATA_DIR = os.path.dirname(os.path.realpath(__file__))  # a str: no pathlib on check's start-up

# Every feature names the cloud (provider instance), the FOCUS values that select its rows and
# where it sits. ``factor`` multiplies the selected usage: spikes on ``offsets`` only, level
# shifts on every day from ``start_offset`` through offset 0. A new service has no rows before
# ``start_offset``. Idle resources cost the same small amount every day and have no compute.
FEATURES: dict[str, dict[str, Any]] = {
    "ec2_spike": {
        "kind": "spike",
        "cloud": "aws",
        "ProviderName": "AWS",
        "ServiceName": "Amazon Elastic Compute Cloud",
        "SubAccountId": "210987654321",
        "SubAccountName": "acme-prod",
        "offsets": (19, 18),
        "factor": 5.0,  # a runaway autoscaling group: four extra copies of every prod instance
        "description": "EC2 in acme-prod runs ~5x for two days (autoscaling loop)",
    },
    "bigquery_spike": {
        "kind": "spike",
        "cloud": "gcp",
        "ProviderName": "Google Cloud",
        "ServiceName": "BigQuery",
        "SubAccountId": "acme-data-418203",
        "SubAccountName": "acme-data",
        "offsets": (3,),
        "factor": 8.0,  # an unpartitioned full-table scan in a scheduled query
        "description": "BigQuery analysis in acme-data runs ~8x for one day",
    },
    "azure_sql_level_shift": {
        "kind": "level_shift",
        "cloud": "azure",
        "ProviderName": "Microsoft",
        "ServiceName": "Azure SQL Database",
        "SubAccountId": None,  # every subscription's SQL databases were scaled up
        "SubAccountName": None,
        "start_offset": 40,
        "factor": 2.0,
        "description": "Azure SQL Database doubles (4 -> 8 vCores) and stays doubled",
    },
    "sagemaker_new_service": {
        "kind": "new_service",
        "cloud": "aws",
        "ProviderName": "AWS",
        "ServiceName": "Amazon SageMaker",
        "SubAccountId": "456789012345",
        "SubAccountName": "acme-data",
        "start_offset": 10,
        "description": "SageMaker appears in acme-data (a GPU notebook and an endpoint)",
    },
    "idle_ebs_volume": {
        "kind": "idle",
        "cloud": "aws",
        "ProviderName": "AWS",
        "ServiceName": "Amazon Elastic Compute Cloud",
        "SubAccountId": "345678901234",
        "SubAccountName": "acme-staging",
        "ResourceId": "arn:aws:ec2:us-east-1:345678901234:volume/vol-0d3adb33f5e1c2a77",
        "description": "unattached 500 GB gp2 volume, steady storage cost, no compute",
    },
    "idle_azure_disk": {
        "kind": "idle",
        "cloud": "azure",
        "ProviderName": "Microsoft",
        "ServiceName": "Storage",
        "SubAccountId": "5c3b6f2e-8d41-4a9e-b7c2-1f0e9d8a7b63",
        "SubAccountName": "Acme Staging",
        "ResourceId": (
            "/subscriptions/5c3b6f2e-8d41-4a9e-b7c2-1f0e9d8a7b63/resourceGroups/rg-build-staging"
            "/providers/Microsoft.Compute/disks/disk-old-build-agent"
        ),
        "description": "unattached P20 managed disk, steady storage cost, no compute",
    },
}


def data_file(cloud: str) -> str:
    """Absolute path of the bundled export of one cloud (``aws``, ``azure`` or ``gcp``)."""
    if cloud not in CLOUDS:
        raise ValueError(f"no demo data for {cloud!r} (have: {', '.join(CLOUDS)})")
    return os.path.join(DATA_DIR, f"{cloud}.csv.gz")


def data_path(cloud: str) -> Path:
    """``data_file`` as a ``Path``."""
    from pathlib import Path

    return Path(data_file(cloud))


def demo_providers(anchor: str | None = None) -> dict[str, dict[str, Any]]:
    """Provider instances ``--demo`` configures: one ``files`` provider per cloud, shifted to end yesterday,
    or the day before ``anchor`` (``$COSTCTL_DEMO_ANCHOR``: reproducible output for docs and screenshots).

    A fresh dict each call, so a caller that edits its config cannot change the next caller's.
    """
    extra = {"shift_anchor": anchor} if anchor else {}
    return {
        cloud: {"type": "files", "paths": [data_file(cloud)], "shift_to_yesterday": True, **extra} for cloud in CLOUDS
    }


DEMO_PROVIDERS: dict[str, dict[str, Any]] = demo_providers()


def offset_date(offset: int, newest: date = ANCHOR) -> date:
    """The date ``offset`` days before ``newest`` (pass yesterday for shifted data)."""
    return newest - timedelta(days=offset)
