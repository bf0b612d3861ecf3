"""Silencing idle findings: ``idle ignore/unignore/ignored``, ``--until`` expiry, ``idle.exclude_tags``,
damaged state files, and that ``idle`` and ``check --period idle`` honour the same decisions."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_cli_idle import aws, write_config  # noqa: F401 - the moto-backed `aws` fixture

from costctl.idle.findings import Finding
from costctl.idle.ignores import Ignore, excluded_by_tags, finding_id, silence

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)


def state_file(home: Path, name: str) -> Path:
    return home / ".cache" / "costctl" / "anomalies" / name


def demo_ids(run: Any) -> list[str]:
    result = run("--demo", "idle", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [row["id"] for row in result.json()]


def test_after_ignoring_every_demo_finding_check_idle_is_ok(run: Any) -> None:
    before = run("--demo", "check", "--period", "idle", "-w", "1", "-c", "500")
    assert before.exit_code == 1, before.stdout
    ids = demo_ids(run)
    assert len(ids) == 2 and len(set(ids)) == 2
    for fid in ids:
        done = run("--demo", "idle", "ignore", fid, "--until", "2099-12-31", "--reason", "kept for DR")
        assert done.exit_code == 0 and fid in done.stderr, done.stderr
    after = run("--demo", "check", "--period", "idle", "-w", "1", "-c", "500")
    assert after.exit_code == 0, after.stdout
    assert after.stdout.startswith("COSTCTL OK - idle: 0 finding(s), savings 0.00 USD a month")
    assert "2 finding(s) silenced" in after.stdout
    listed = run("--demo", "idle", "--format", "json")
    assert listed.exit_code == 0 and listed.json() == []
    assert "2 silenced" in run("--demo", "idle").stdout


def test_ids_are_stable_and_name_provider_resource_and_check(run: Any) -> None:
    rows = run("--demo", "idle", "--format", "json").json()
    assert [r["id"] for r in rows] == demo_ids(run)
    assert all(r["id"] == finding_id(r["provider"], r["resource_id"], r["check"]) for r in rows)
    assert list(rows[0])[:2] == ["id", "provider"]
    csv_head = run("--demo", "idle", "--format", "csv").stdout.splitlines()[0]
    assert csv_head.startswith("id,provider,account,")


def test_ignored_lists_in_every_format_and_unignore_brings_the_finding_back(run: Any) -> None:
    rows = run("--demo", "idle", "--format", "json").json()
    row = next(r for r in rows if r["provider"] == "aws")
    # a resource id naming one finding is accepted too
    assert run("--demo", "idle", "ignore", row["resource_id"], "--reason", "standby").exit_code == 0
    listed = run("--demo", "idle", "ignored", "--format", "json").json()
    assert [(i["id"], i["resource_id"], i["check"], i["until"], i["active"], i["reason"]) for i in listed] == [
        (row["id"], row["resource_id"], "disk_unattached", None, True, "standby")]
    csv = run("--demo", "idle", "ignored", "--format", "csv").stdout.splitlines()
    assert csv[0] == "id,provider,resource_id,check,until,active,reason,created"
    assert csv[1].startswith(f"{row['id']},aws,{row['resource_id']},disk_unattached,,true,standby,")
    assert row["id"] in run("--demo", "idle", "ignored").stdout
    assert row["id"] not in [r["id"] for r in run("--demo", "idle", "--format", "json").json()]
    back = run("--demo", "idle", "unignore", row["id"])
    assert back.exit_code == 0, back.stderr
    assert row["id"] in [r["id"] for r in run("--demo", "idle", "--format", "json").json()]
    again = run("--demo", "idle", "unignore", row["id"])
    assert again.exit_code == 2 and "is not ignored" in again.stderr


def test_an_expired_ignore_stops_applying_but_stays_listed(run: Any, isolated_env: Path) -> None:
    ids = demo_ids(run)
    assert run("--demo", "idle", "ignore", ids[0], "--until", "2099-01-01").exit_code == 0
    path = state_file(isolated_env, "idle_ignores.json")
    data = json.loads(path.read_text())
    data[0]["until"] = (date.today() - timedelta(days=1)).isoformat()  # as if that day had passed
    path.write_text(json.dumps(data))
    assert ids[0] in [r["id"] for r in run("--demo", "idle", "--format", "json").json()]
    listed = run("--demo", "idle", "ignored", "--format", "json").json()
    assert [(i["id"], i["active"]) for i in listed] == [(ids[0], False)]
    assert run("--demo", "check", "--period", "idle", "-w", "1", "-c", "500").exit_code == 1


def test_ignores_survive_cache_clear(run: Any) -> None:
    ids = demo_ids(run)
    for fid in ids:
        assert run("--demo", "idle", "ignore", fid).exit_code == 0
    cleared = run("--demo", "cache", "clear")
    assert cleared.exit_code == 0, cleared.stderr
    assert run("--demo", "idle", "--format", "json").json() == []
    assert [i["id"] for i in run("--demo", "idle", "ignored", "--format", "json").json()] == ids


def test_unknown_id_and_past_until_are_usage_errors(run: Any) -> None:
    demo_ids(run)
    unknown = run("--demo", "idle", "ignore", "000000000000")
    assert unknown.exit_code == 2 and "no reported idle finding has id '000000000000'" in unknown.stderr
    fid = demo_ids(run)[0]
    past = run("--demo", "idle", "ignore", fid, "--until", "2001-01-01")
    assert past.exit_code == 2 and "--until 2001-01-01 is in the past" in past.stderr
    bad = run("--demo", "idle", "ignore", fid, "--until", "soon")
    assert bad.exit_code == 2 and "--until" in bad.stderr


@pytest.mark.parametrize("name,content", [
    ("idle_ignores.json", "{not json"),
    ("idle_ignores.json", '{"id": "x"}'),
    ("idle_ignores.json", '[{"id": "x"}]'),
    ("idle_seen.json", "[]"),
])
def test_a_damaged_state_file_is_one_line_naming_file_and_fix_and_is_never_rewritten(
        run: Any, isolated_env: Path, name: str, content: str) -> None:
    path = state_file(isolated_env, name)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    listing = run("--demo", "idle")
    assert listing.exit_code == 2 and listing.stdout == ""
    lines = listing.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0]
    assert ("repair it" in lines[0]) if name == "idle_ignores.json" else ("delete it" in lines[0])
    if name == "idle_ignores.json":
        checked = run("--demo", "check", "--period", "idle", "-w", "1", "-c", "500")
        assert checked.exit_code == 3 and checked.stdout.startswith("COSTCTL UNKNOWN - cannot read ")
        assert str(path) in checked.stdout
        assert run("--demo", "idle", "ignored").exit_code == 2
    assert run("--demo", "idle", "ignore", "whatever").exit_code == 2
    assert path.read_text() == content


def _finding(rid: str, tags: dict[str, str] | None = None, check: str = "disk_unattached") -> Finding:
    return Finding("aws", "1", "us-east-1", rid, "ebs:volume", check, "d", "delete", tags=tags or {})


def test_exclude_tags_match_any_pair_with_case_free_values_and_star_for_any() -> None:
    assert excluded_by_tags({"keep": "True"}, {"keep": "true"})
    assert not excluded_by_tags({"keep": "false"}, {"keep": "true"})
    assert excluded_by_tags({"owner": "dr-team"}, {"keep": "true", "owner": "*"})
    assert not excluded_by_tags({"Keep": "true"}, {"keep": "true"})  # keys are case-sensitive, as in the clouds
    assert not excluded_by_tags({}, {"keep": "*"})


def test_silence_splits_findings_by_active_ignores_and_tags() -> None:
    today = date(2026, 12, 3)
    kept, tagged, ignored, expired = (_finding("vol-1"), _finding("vol-2", {"keep": "true"}), _finding("vol-3"),
                                      _finding("vol-4"))
    ignores = [Ignore(ignored.id, "aws", "vol-3", "disk_unattached", "2026-12-03", None, "2026-12-01"),
               Ignore(expired.id, "aws", "vol-4", "disk_unattached", "2026-12-02", None, "2026-12-01")]
    shown, quiet = silence([kept, tagged, ignored, expired], ignores, {"keep": "true"}, today)
    assert [f.resource_id for f in shown] == ["vol-1", "vol-4"]
    assert [f.resource_id for f in quiet] == ["vol-2", "vol-3"]
    # the id covers one check only: another check on the same resource is still reported
    other = _finding("vol-3", check="disk_gp2")
    assert silence([other], ignores, {}, today) == ([other], [])


def test_exclude_tags_config_is_validated(run: Any, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("idle:\n  exclude_tags:\n    keep: [a, b]\n")
    result = run("--config", str(config), "--demo", "idle")
    assert result.exit_code == 2 and "idle.exclude_tags" in result.stderr and "keep" in result.stderr
    config.write_text("idle:\n  exclude_tags:\n    keep: true\n")
    assert run("--config", str(config), "--demo", "idle", "--format", "json").exit_code == 0


def test_anomaly_acks_list_whether_their_until_is_still_active(run: Any, isolated_env: Path) -> None:
    spike = next(a for a in run("--demo", "anomalies", "--format", "json").json() if a["kind"] == "spike")
    assert run("--demo", "anomalies", "ack", spike["id"], "--until", "2099-01-01").exit_code == 0
    listed = run("--demo", "anomalies", "acks", "--format", "json").json()
    assert [(a["id"], a["until"], a["active"]) for a in listed] == [(spike["id"], "2099-01-01", True)]
    path = state_file(isolated_env, "acks.json")
    data = json.loads(path.read_text())
    data[0]["until"] = spike["date"]  # an ack for the anomaly's own day only: over once that day has passed
    path.write_text(json.dumps(data))
    listed = run("--demo", "anomalies", "acks", "--format", "json").json()
    assert [(a["id"], a["active"]) for a in listed] == [(spike["id"], False)]
    assert spike["id"] not in [a["id"] for a in run("--demo", "anomalies", "--format", "json").json()]


def test_a_scanned_resource_tagged_to_keep_is_excluded_in_idle_and_check(
        run: Any, aws: str, tmp_path: Path) -> None:  # noqa: F811 - the fixture imported above
    """End to end against moto: the volume's own tags (DescribeVolumes) decide."""
    import boto3

    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=aws)
    kept = ec2.create_volume(AvailabilityZone="us-east-1a", Size=50, VolumeType="gp3", TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": "keep", "Value": "TRUE"}]}])["VolumeId"]
    loose = ec2.create_volume(AvailabilityZone="us-east-1a", Size=50, VolumeType="gp3")["VolumeId"]
    plain = write_config(tmp_path, aws)
    before = run("--config", str(plain), "idle", "--checks", "disk_unattached", "--format", "json")
    assert before.exit_code == 0, before.stderr
    assert {r["resource_id"] for r in before.json()} == {kept, loose}
    config = write_config(tmp_path, aws, extra='  exclude_tags:\n    keep: "true"\n')
    after = run("--config", str(config), "idle", "--checks", "disk_unattached", "--format", "json")
    assert [r["resource_id"] for r in after.json()] == [loose]
    checked = run("--config", str(config), "check", "--period", "idle", "--checks", "disk_unattached",
                  "--idle-metric", "count", "-w", "1", "-c", "5")
    assert checked.exit_code == 0 and "idle: 1 finding(s)" in checked.stdout, checked.stdout
