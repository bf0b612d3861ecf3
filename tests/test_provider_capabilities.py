"""Provider capabilities (issue 21): commands find cloud behaviour on the provider object, not by type name.

The fake third-party plugin (tests/fakeplugin, installed as a real entry point by ``fake_plugin``)
offers an idle scan when its instance lists ``idle_disks``; ``costctl idle`` runs it like a
built-in cloud's. An instance without the capability, named on the command line, gets the
provider's one-line refusal with the exit status of a config error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from costctl.errors import ConfigError, ExitStatus
from costctl.providers import registry


def add_idle(config: Path, name: str, **settings: object) -> Path:
    data = yaml.safe_load(config.read_text())
    data["providers"][name].update(settings)
    config.write_text(yaml.safe_dump(data))
    return config


def test_idle_runs_the_third_party_plugins_scan_and_reports_its_findings(run, fake_config) -> None:
    config = add_idle(fake_config(), "fake", idle_disks=["disk-a", "disk-b"], idle_disk_cost=12.5)
    result = run("--config", str(config), "idle", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    assert [(r["provider"], r["resource_id"], r["check"], r["monthly_cost"], r["estimated_monthly_savings"])
            for r in rows] == [("fake", "disk-a", "disk_unattached", 12.5, 12.5),
                               ("fake", "disk-b", "disk_unattached", 12.5, 12.5)]
    table = run("--config", str(config), "idle")
    assert table.exit_code == 0, table.stderr
    assert "disk-a" in table.stdout and "per check: disk_unattached 2 (25.00 USD)" in table.stdout


def test_only_instances_offering_the_capability_are_scanned(run, fake_config) -> None:
    config = add_idle(fake_config(scanned={}, plain={}), "scanned", idle_disks=["disk-z"])
    result = run("--config", str(config), "idle", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert {r["provider"] for r in result.json()} == {"scanned"}


def test_naming_an_instance_without_the_capability_is_a_one_line_config_error(run, fake_config) -> None:
    config = fake_config()
    result = run("--config", str(config), "idle", "--provider", "fake")
    assert result.exit_code == ExitStatus.USAGE == ConfigError.exit_status
    assert result.stdout == ""
    assert "fake: this provider type does not scan for idle resources" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_with_no_instance_offering_the_scan_idle_says_so(run, fake_config) -> None:
    result = run("--config", str(fake_config()), "idle")
    assert result.exit_code == 2
    assert "idle scans ask the clouds' APIs" in result.stderr


def test_the_registry_refuses_a_missing_capability_with_the_providers_line(fake_plugin) -> None:
    provider = registry.instance("fake", "plain", {"type": "fake", "log": "x"})
    with pytest.raises(registry.MissingCapability, match="^fake: this provider type does not scan for idle"):
        registry.capability(provider, "idle_scanner")
    scanner = registry.capability(registry.instance("fake", "s", {"type": "fake", "idle_disks": ["d"]}),
                                  "idle_scanner")
    assert scanner.checks == {"disk_unattached"}
    with pytest.raises(ValueError, match="unknown provider capability"):
        registry.capability(provider, "teleport")


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_every_built_in_cloud_offers_its_idle_scan_without_importing_its_sdk(cloud: str) -> None:
    """Asking for the capability loads the provider and a small scanner, never boto3/azure/google."""
    probe = ("import json, sys\n"
             "from costctl.providers import registry\n"
             f"p = registry.instance({cloud!r}, 'x', {{'type': {cloud!r}}})\n"
             "s = registry.capability(p, 'idle_scanner')\n"
             "sdk = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'google', 'azure'))\n"
             "print(json.dumps({'checks': sorted(s.checks), 'sdk': sdk}))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parent.parent)
    answer = json.loads(done.stdout)
    assert "disk_unattached" in answer["checks"] and answer["sdk"] == []


def test_the_files_provider_keeps_its_reason() -> None:
    provider = registry.instance("files", "exports", {"type": "files", "paths": ["x.csv"]})
    with pytest.raises(ConfigError, match="provider 'exports' is of type files, which idle cannot scan"):
        registry.capability(provider, "idle_scanner")


@pytest.fixture
def docs_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plugin example of docs/providers.md, installed as a real entry-point plugin."""
    text = (Path(__file__).parent.parent / "docs" / "providers.md").read_text()
    marker = "<!-- plugin-example: costctl_mycloud.py -->\n```python\n"
    assert marker in text, "docs/providers.md lost its marked plugin example"
    source = text.split(marker, 1)[1].split("\n```", 1)[0] + "\n"
    site = tmp_path / "site"
    info = site / "costctl_mycloud-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "costctl_mycloud.py").write_text(source)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: costctl-mycloud\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[costctl.providers]\nmycloud = costctl_mycloud:MyCloudProvider\n")
    monkeypatch.syspath_prepend(str(site))
    registry.available.cache_clear()
    registry.load.cache_clear()
    yield site
    registry.available.cache_clear()
    registry.load.cache_clear()
    sys.modules.pop("costctl_mycloud", None)


def test_the_plugin_example_in_the_docs_installs_and_its_idle_scan_runs(run, docs_plugin, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "providers": {"north": {"type": "mycloud", "account": "4242", "spare_ips": ["203.0.113.7"]}},
        "cache": {"path": str(tmp_path / "cache")}}))
    listed = run("--config", str(config), "providers")
    assert listed.exit_code == 0 and "mycloud" in listed.stdout, listed.stdout + listed.stderr
    result = run("--config", str(config), "idle", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [(r["provider"], r["account"], r["resource_id"], r["check"], r["monthly_cost"]) for r in result.json()] == [
        ("north", "4242", "203.0.113.7", "ip_unassociated", 3.65)]
    costs = run("--config", str(config), "costs", "--format", "json")
    assert costs.exit_code == 0, costs.stderr
