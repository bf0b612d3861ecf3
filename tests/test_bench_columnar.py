"""The columnar benchmark's data and comparator are right (bench/gen_exports.py, bench/columnar.py).

Nothing here times anything: these tests check that the generated exports are what the benchmark
claims (deterministic, realistic cardinalities, readable by costctl), that the DuckDB comparator
reports exactly what costctl reports, to the cent, and that the totals check and the RSS watchdog
can fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import columnar  # noqa: E402
import gen_exports  # noqa: E402

ROWS = 3000


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports")
    return {fmt: gen_exports.generate(fmt, ROWS, out / gen_exports.default_name(fmt, ROWS)) for fmt in
            ("focus", "cur2", "cur2-csv")}


def costctl_report(path: Path, tmp_path: Path) -> dict:
    out = tmp_path / "costctl.json"
    with open(out, "wb") as fh:
        subprocess.run([sys.executable, "-m", "costctl", "costs", "--file", str(path), *columnar.REPORT],
                       stdout=fh, check=True, env=columnar.isolated_env(tmp_path))
    return columnar.parse_report(out)


def duckdb_report(fmt: str, path: Path, tmp_path: Path) -> dict:
    bench = columnar.Bench(columnar.parse_args([]), measurer=None, scratch=tmp_path)
    out = tmp_path / "duckdb.json"
    with open(out, "wb") as fh:
        subprocess.run(bench.commands(fmt, path, tmp_path)["duckdb"], stdout=fh, check=True)
    return columnar.parse_report(out)


@pytest.mark.parametrize("fmt", ["focus", "cur2", "cur2-csv"])
def test_the_duckdb_comparator_reports_what_costctl_reports_to_the_cent(fmt, exports, tmp_path):
    ours = costctl_report(exports[fmt], tmp_path)
    theirs = duckdb_report("focus" if fmt == "focus" else "cur2", exports[fmt], tmp_path)
    assert len(ours) == len(theirs) > 50  # two months x most of the 50 services
    assert columnar.compare(fmt, ours, theirs) == []


def test_the_totals_check_names_a_group_that_differs_and_a_missing_report():
    want = {("2025-01", "S3", "USD"): 10.0, ("2025-01", "EC2", "USD"): 5.0}
    assert columnar.compare("x", dict(want), want) == []
    off_by_a_cent = {**want, ("2025-01", "S3", "USD"): 10.01}
    assert any("2025-01/S3/USD" in line for line in columnar.compare("x", off_by_a_cent, want))
    missing = {("2025-01", "S3", "USD"): 10.0}
    assert any("2025-01/EC2/USD" in line for line in columnar.compare("x", missing, want))
    assert columnar.compare("x", None, want) == ["MISMATCH x: no readable JSON report to compare"]


def test_a_generated_export_is_the_same_bytes_for_a_seed_and_differs_for_another(tmp_path):
    first = gen_exports.generate("cur2", 2000, tmp_path / "a.parquet", seed=7)
    again = gen_exports.generate("cur2", 2000, tmp_path / "b.parquet", seed=7)
    other = gen_exports.generate("cur2", 2000, tmp_path / "c.parquet", seed=8)
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_the_cur2_export_has_aws_columns_maps_and_the_stated_cardinalities(tmp_path):
    path = gen_exports.generate("cur2", 50_000, tmp_path / "cur.parquet")
    con = duckdb.connect()
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
                             [str(path)]).fetchall())
    assert types["resource_tags"] == types["product"] == "MAP(VARCHAR, VARCHAR)"
    assert types["line_item_usage_start_date"] == "TIMESTAMP"
    assert types["line_item_unblended_cost"] == "DOUBLE"
    services, accounts, regions, resources, days, min_tags, max_tags = con.execute("""
        SELECT count(DISTINCT line_item_product_code), count(DISTINCT line_item_usage_account_id),
               count(DISTINCT product_region_code), count(DISTINCT line_item_resource_id),
               count(DISTINCT CAST(line_item_usage_start_date AS DATE)),
               min(cardinality(resource_tags)), max(cardinality(resource_tags))
        FROM read_parquet(?)""", [str(path)]).fetchone()
    assert 40 <= services <= 50 and 150 <= accounts <= 200 and 15 <= regions <= 20
    assert 450 <= resources <= 500  # one resource per ~100 rows
    assert days == 59
    assert (min_tags, max_tags) == (3, 5)


def test_the_focus_export_carries_json_tags_of_three_to_five_keys(exports):
    con = duckdb.connect()
    counts = con.execute("SELECT min(n), max(n) FROM (SELECT len(json_keys(Tags)) AS n FROM read_csv(?))",
                         [str(exports["focus"])]).fetchone()
    assert counts == (3, 5)


def test_the_generator_refuses_to_write_into_the_repository():
    with pytest.raises(SystemExit, match="inside the repository"):
        gen_exports.generate("focus", 10, BENCH / "x.csv")
    assert not (BENCH / "x.csv").exists()


def test_the_measurer_reports_peak_rss_of_the_command(tmp_path):
    measurer = columnar.Measurer(rss_cap_gib=8, timeout=600, scratch=tmp_path)
    run = measurer.run([sys.executable, "-c", "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096])"],
                       columnar.isolated_env(tmp_path))
    assert run.ok and run.rss_mib is not None and run.rss_mib >= 200


def test_the_watchdog_kills_a_run_above_the_rss_cap(tmp_path):
    measurer = columnar.Measurer(rss_cap_gib=0.1, timeout=600, scratch=tmp_path)
    grow = "import time\nb = bytearray(400 * 2**20)\nb[::4096] = b'x' * len(b[::4096])\ntime.sleep(60)"
    run = measurer.run([sys.executable, "-c", grow], columnar.isolated_env(tmp_path))
    assert not run.ok and "above the 0.1 GiB cap" in run.note


def test_the_provider_range_reaches_the_end_of_the_last_month_tax_lines_cover():
    from datetime import date

    assert columnar.data_range(date(2025, 1, 1), 59) == (date(2025, 1, 1), date(2025, 2, 28))
    assert columnar.data_range(date(2025, 1, 1), 62) == (date(2025, 1, 1), date(2025, 3, 31))


def test_the_saved_json_of_a_run_names_machine_and_runs(tmp_path, monkeypatch):
    saved = tmp_path / "out.json"
    code = columnar.main(["--rows", "500", "--reps", "1", "--formats", "focus", "--contenders", "file,duckdb",
                          "--save", str(saved)])
    data = json.loads(saved.read_text())
    assert code == 0 and data["mismatches"] == []
    assert {r["contender"] for r in data["results"]} == {"file", "duckdb"}
    assert data["machine"]["nproc"] >= 1 and "duckdb" in data["machine"]
