"""Provider cache fingerprints: only settings that change the data, never a checksum of a secret.

Rotating a secret or changing a retry budget must keep every cached closed day; changing what is
fetched (tag keys, scope, table, another storage account) must not serve the old records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import fetch_log
from costctl.config import build


def _provider(settings: dict[str, Any]):
    from costctl.providers import registry

    cfg = build({"providers": {"p": settings}})
    return registry.load(settings["type"])("p", cfg.providers["p"])


AWS = {"type": "aws", "role_arn": "arn:aws:iam::123456789012:role/b", "external_id": "ext-S3CRET-1",
       "endpoint_url": "http://u:pw-S3CRET-1@127.0.0.1:5000", "tag_keys": ["team"]}
AZURE = {"type": "azure", "scope": "subscriptions/00000000-0000-0000-0000-000000000000", "credential": "client_secret",
         "tenant_id": "t", "client_id": "c", "client_secret": "cs-S3CRET-1", "tag_keys": ["team"]}
AZURE_SAS = {"type": "azure", "exports": {"container": "costs", "account_url":
             "https://acct.blob.core.windows.net/?sv=2022-11-02&se=2030-01-01&sp=rl&sig=sig-S3CRET-1"}}
AZURE_CONN = {"type": "azure", "exports": {"container": "costs", "connection_string":
              "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=key-S3CRET-1;EndpointSuffix=core.windows.net"}}
GCP = {"type": "gcp", "table": "my-proj.billing.gcp_billing_export_v1_0123AB_456CDE_789EF0", "label_keys": ["team"],
       "credentials_file": "/etc/costctl/key-1.json"}


@pytest.mark.parametrize(("base", "change"), [
    (AWS, {"external_id": "ext-S3CRET-2"}),
    (AWS, {"endpoint_url": "http://u:pw-S3CRET-2@127.0.0.1:5000"}),
    (AWS, {"max_retry_time": "5m"}),
    (AWS, {"session_name": "other"}),
    (AWS, {"ttl": "2h", "restatement_days": 5}),
    (AZURE, {"client_secret": "cs-S3CRET-2"}),
    (AZURE, {"max_retry_time": "10s", "tenant_id": "t2", "client_id": "c2"}),
    (AZURE_SAS, {"exports": {"container": "costs", "account_url":
                             "https://acct.blob.core.windows.net/?sv=2024-01-01&se=2031-01-01&sp=rl&sig=sig-S3CRET-2"}}),
    (AZURE_CONN, {"exports": {"container": "costs", "connection_string": "DefaultEndpointsProtocol=https;"
                              "AccountName=acct;AccountKey=key-S3CRET-2;EndpointSuffix=core.windows.net"}}),
    (GCP, {"credentials_file": "/etc/costctl/key-2.json", "max_retry_time": "1s", "page_size": 10,
           "maximum_bytes_billed": 1, "billing_project": "payer"}),
])
def test_rotating_a_secret_or_a_retry_setting_keeps_the_fingerprint(base: dict, change: dict):
    before = _provider(base)
    after = _provider({**base, **change})
    assert before.fingerprint() == after.fingerprint()


@pytest.mark.parametrize(("base", "change"), [
    (AWS, {"tag_keys": ["env"]}),
    (AWS, {"endpoint_url": "http://u:pw-S3CRET-1@127.0.0.1:5001"}),
    (AWS, {"role_arn": "arn:aws:iam::999999999999:role/b"}),
    (AWS, {"cur_s3_uri": "s3://bucket/cur"}),
    (AZURE, {"tag_keys": ["env"]}),
    (AZURE, {"scope": "subscriptions/11111111-1111-1111-1111-111111111111"}),
    (AZURE_SAS, {"exports": {"container": "costs", "account_url": "https://other.blob.core.windows.net/?sig=x"}}),
    (AZURE_CONN, {"exports": {"container": "costs", "connection_string":
                              "DefaultEndpointsProtocol=https;AccountName=other;AccountKey=key-S3CRET-1"}}),
    (AZURE_CONN, {"exports": {"container": "other", "connection_string": AZURE_CONN["exports"]["connection_string"]}}),
    (GCP, {"label_keys": ["env"]}),
    (GCP, {"table": "my-proj.billing.gcp_billing_export_resource_v1_0123AB_456CDE_789EF0", "detailed": True}),
])
def test_changing_what_is_fetched_changes_the_fingerprint(base: dict, change: dict):
    assert _provider(base).fingerprint() != _provider({**base, **change}).fingerprint()


@pytest.mark.parametrize("settings", [AWS, AZURE, AZURE_SAS, AZURE_CONN])
def test_no_secret_goes_into_the_fingerprint(settings: dict):
    inputs = json.dumps(_provider(settings).fingerprint_inputs(), default=str)
    assert "S3CRET" not in inputs


def test_rotating_a_plugin_secret_does_not_refetch_cached_closed_days(run, tmp_path: Path, fake_plugin: Path):
    log = tmp_path / "fetch.log"

    def write(token: str, daily_cost: float = 10.0) -> Path:
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump({"cache": {"path": str(tmp_path / "cache")}, "providers": {"fake": {
            "type": "fake", "log": str(log), "token": token, "daily_cost": daily_cost}}}))
        return path

    args = ("costs", "--start", "2026-01-01", "--end", "2026-01-31", "--as-of", "2026-03-10", "--format", "json")
    first = run("--config", str(write("token-S3CRET-old")), *args)
    assert first.exit_code == 0, first.stderr
    assert len(fetch_log(log)) == 1
    rotated = run("--config", str(write("token-S3CRET-new")), *args)
    assert rotated.exit_code == 0 and rotated.stdout == first.stdout
    assert len(fetch_log(log)) == 1  # the closed days came from the cache
    changed = run("--config", str(write("token-S3CRET-new", daily_cost=20.0)), *args)
    assert changed.exit_code == 0 and changed.stdout != first.stdout
    assert len(fetch_log(log)) == 2
