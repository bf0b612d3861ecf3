"""Day summaries: the warm `check` path reads per-month summaries, never the cached rows.

They must give exactly the answer the rows give (every period, filters, both metrics), heal
when missing, and be skipped for filters they cannot answer (region, tag).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest

from costctl import loader
from costctl.cache import CostCache
from costctl.config import default_cache_dir
from costctl.daysummary import summarize
from costctl.duck import connect
from costctl.records import Block

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

DAY = 86400


def _block(rows: list[tuple[date, str, str, str, float, float]]) -> Block:
    """A block of daily rows: (day, currency, account id, service, billed, effective)."""
    block = Block()
    for day, currency, account, service, billed, effective in rows:
        start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        values = {"ChargePeriodStart": start, "ChargePeriodEnd": start + DAY, "BillingCurrency": currency,
                  "SubAccountId": account, "SubAccountName": account and f"name-{account}", "ServiceName": service,
                  "BilledCost": billed, "EffectiveCost": effective}
        for name, column in block.columns.items():
            column.append(values.get(name))
    return block


def _store(cache: CostCache, source: str, fingerprint: str, start: date, end: date, block: Block) -> None:
    """Store a block the way the loader stores a provider's answer (as an Arrow table in DuckDB)."""
    from costctl.duck import connect
    from costctl.query import Dataset

    cache.store(connect(), Dataset.from_frame(block.to_frame()).sql(), source, fingerprint, start, end)


def _demo_cache() -> CostCache:
    return CostCache(default_cache_dir(os.environ))


def test_store_keeps_one_summary_per_day_grouped_by_month(tmp_path) -> None:
    cache = CostCache(tmp_path, clock=lambda: 1000.0)
    d1, d2, d3 = date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)
    block = _block([(d1, "USD", "a", "S3", 1.0, 0.5), (d1, "USD", "a", "S3", 2.0, 1.5),
                    (d1, "USD", "b", "EC2", 4.0, 4.0), (d2, "EUR", "a", "S3", 3.0, 3.0)])
    _store(cache, "p", "fp", d1, d3 + timedelta(days=1), block)
    got = cache.summaries("p", "fp", [d1, d2, d3, d3 + timedelta(days=1)])
    assert got[d1] == {"fetched_at": 1000.0, "rows": 3, "end": got[d1]["end"],
                       "sums": [["USD", "a", "name-a", "S3", 3.0, 2.0], ["USD", "b", "name-b", "EC2", 4.0, 4.0]]}
    assert got[d1]["end"] == int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
    assert got[d2]["sums"] == [["EUR", "a", "name-a", "S3", 3.0, 3.0]]
    assert got[d3] == {"fetched_at": 1000.0, "rows": 0, "end": None, "sums": []}  # an empty day is a known 0
    assert got[d3 + timedelta(days=1)] is None  # never stored
    keys = sorted(k for k in cache._db.iterkeys() if k.startswith("sum:"))
    from costctl.cache import FORMAT

    assert keys == [f"sum:{FORMAT}:p:fp:2026-10", f"sum:{FORMAT}:p:fp:2026-11"]


def test_summarize_matches_the_rows() -> None:
    day = date(2026, 11, 1)
    block = _block([(day, "USD", "a", "S3", 1.25, None), (day, None, None, None, None, 2.0)])
    summary = summarize(block.columns, 5.0)
    assert summary["rows"] == 2 and summary["fetched_at"] == 5.0
    assert summary["sums"] == [("USD", "a", "name-a", "S3", 1.25, 0.0), (None, None, None, None, 0.0, 2.0)]


def test_a_missing_summary_month_is_noticed_through_its_stamps(tmp_path) -> None:
    """Stamps say whether summaries are in step without decoding them; a month whose summaries
    entry went (evicted) is rebuilt although its stamps remain."""
    cache = CostCache(tmp_path, clock=lambda: 1000.0)
    day = date(2026, 11, 1)
    _store(cache, "p", "fp", day, day + timedelta(days=1), _block([(day, "USD", "a", "S3", 1.0, 1.0)]))
    entries = cache.lookup("p", "fp", [day])
    assert cache.backfill_summaries(connect(), "p", "fp", entries) == 0
    cache._db.delete(cache._summary_key("p", "fp", "2026-11"))
    assert cache.backfill_summaries(connect(), "p", "fp", entries) == 1
    assert cache.summaries("p", "fp", [day])[day]["sums"] == [["USD", "a", "name-a", "S3", 1.0, 1.0]]


def test_a_restored_range_replaces_its_summaries_and_backfill_keeps_newer_ones(tmp_path) -> None:
    now = [1000.0]
    cache = CostCache(tmp_path, clock=lambda: now[0])
    day = date(2026, 11, 1)
    _store(cache, "p", "fp", day, day + timedelta(days=1), _block([(day, "USD", "a", "S3", 1.0, 1.0)]))
    read_before = cache.lookup("p", "fp", [day])  # a reader that looked before the restatement
    now[0] = 2000.0
    _store(cache, "p", "fp", day, day + timedelta(days=1), _block([(day, "USD", "a", "S3", 7.0, 7.0)]))
    assert cache.summaries("p", "fp", [day])[day]["sums"] == [["USD", "a", "name-a", "S3", 7.0, 7.0]]
    assert cache.backfill_summaries(connect(), "p", "fp", read_before) == 0  # the day changed since: left alone
    assert cache.summaries("p", "fp", [day])[day]["fetched_at"] == 2000.0
    assert cache.backfill_summaries(connect(), "p", "fp", cache.lookup("p", "fp", [day])) == 0  # in step


def test_a_summary_that_disagrees_with_its_rows_is_rebuilt(tmp_path) -> None:
    """Rows rewritten without their summary (a write whose summary was lost or evicted)."""
    now = [1000.0]
    cache = CostCache(tmp_path, clock=lambda: now[0])
    day = date(2026, 11, 1)
    _store(cache, "p", "fp", day, day + timedelta(days=1), _block([(day, "USD", "a", "S3", 1.0, 1.0)]))
    old_month = cache._db.get(cache._summary_key("p", "fp", "2026-11"))
    old_stamps = cache._db.get(cache._stamp_key("p", "fp", "2026-11"))
    now[0] = 2000.0
    _store(cache, "p", "fp", day, day + timedelta(days=1), _block([(day, "USD", "a", "S3", 7.0, 7.0)]))
    cache._db.set(cache._summary_key("p", "fp", "2026-11"), old_month)
    cache._db.set(cache._stamp_key("p", "fp", "2026-11"), old_stamps)
    assert cache.summaries("p", "fp", [day])[day]["sums"][0][4:] == [1.0, 1.0]  # stale
    assert cache.backfill_summaries(connect(), "p", "fp", cache.lookup("p", "fp", [day])) == 1
    got = cache.summaries("p", "fp", [day])[day]
    assert got["fetched_at"] == 2000.0 and got["sums"] == [["USD", "a", "name-a", "S3", 7.0, 7.0]]


def test_a_backfill_never_brings_back_a_cleared_day(tmp_path) -> None:
    cache = CostCache(tmp_path, clock=lambda: 1000.0)
    day = date(2026, 11, 1)
    _store(cache, "p", "fp", day, day + timedelta(days=1), _block([(day, "USD", "a", "S3", 1.0, 1.0)]))
    cache._db.delete(cache._summary_key("p", "fp", "2026-11"))
    entries = cache.lookup("p", "fp", [day])  # read, then `cache clear` runs before the backfill
    cache.clear("p")
    assert cache.backfill_summaries(connect(), "p", "fp", entries) == 0
    assert cache.summaries("p", "fp", [day])[day] is None
    assert cache.lookup("p", "fp", [day])[day] is None


def test_a_run_that_fetches_heals_the_summaries_of_the_days_it_did_not_fetch(run) -> None:
    run("--demo", "costs", "--days", "40")
    cache = _demo_cache()
    try:
        summary_keys = sorted(k for k in cache._db.iterkeys() if k.startswith("sum:"))
        newest_day = max(k for k in cache._db.iterkeys() if k.startswith("day:"))
        for key in [*summary_keys, newest_day]:  # no summaries, and one day to fetch again
            cache._db.delete(key)
    finally:
        cache.close()
    assert ", fetched 20" in run("--demo", "-v", "costs", "--days", "40").stderr
    cache = _demo_cache()
    try:
        window = {date.today() - timedelta(days=i) for i in range(1, 41)}
        months = {d.isoformat()[:7] for d in window}
        assert {k for k in summary_keys if k[-7:] in months} <= set(cache._db.iterkeys())
        cached_days = [cache._parse_day_key(k) for k in cache._db.iterkeys() if k.startswith("day:")]
        assert len(cached_days) > 100  # the export files were read whole: every day they hold is cached
        for source, fingerprint, day in cached_days:  # every day read has its summary again
            if day in window:
                assert cache.summaries(source, fingerprint, [day])[day] is not None, (source, day)
    finally:
        cache.close()


CASES = [
    ("--period", "day"),
    ("--period", "mtd"),
    ("--period", "forecast"),
    ("--period", "change"),
    ("--period", "mtd", "--metric", "billed"),
    ("--period", "forecast", "--service", "Amazon Simple Storage Service"),
    ("--period", "day", "--service", "bigquery", "--top", "5"),
    ("--period", "change", "--account", "acme-prod"),
    ("--period", "forecast", "--account", "210987654321", "--account", "acme-data-418203"),
    ("--period", "mtd", "--account", "nonexistent-account"),
]


def test_summaries_answer_exactly_what_the_rows_answer(run, monkeypatch) -> None:
    first = run("--demo", "check", "--period", "forecast")  # cold: reads the files, writes the cache
    assert first.exit_code in (0, 1, 2), first.stdout
    warm = {case: run("--demo", "check", "-v", *case) for case in CASES}
    monkeypatch.setattr(loader, "load_summaries", lambda *a, **k: None)
    for case in CASES:
        rows = run("--demo", "check", "-v", *case)
        assert warm[case].exit_code == rows.exit_code, case
        head, _, tail = warm[case].stdout.partition("\n")
        row_head, _, row_tail = rows.stdout.partition("\n")
        assert head == row_head, case
        # the -v lines say how each provider was loaded; everything else must match
        assert [line for line in tail.splitlines() if "upstream request" not in line] == \
               [line for line in row_tail.splitlines() if "upstream request" not in line], case


def test_a_warm_check_reads_no_cached_rows(run, monkeypatch) -> None:
    cold = run("--demo", "check", "--period", "forecast")
    assert cold.exit_code in (0, 1, 2)

    def no_rows(*args, **kwargs):
        raise AssertionError("the warm path read day entries")

    monkeypatch.setattr(CostCache, "lookup", no_rows)
    warm = run("--demo", "check", "--period", "forecast")
    assert (warm.exit_code, warm.stdout) == (cold.exit_code, cold.stdout)


def test_missing_summaries_are_rebuilt_from_the_rows(run, monkeypatch) -> None:
    cold = run("--demo", "check", "--period", "mtd")
    cache = _demo_cache()
    summary_keys = [k for k in cache._db.iterkeys() if k.startswith("sum:")]
    assert summary_keys
    for key in summary_keys:  # as in a cache written before summaries existed
        cache._db.delete(key)
    healing = run("--demo", "check", "--period", "mtd")
    assert (healing.exit_code, healing.stdout) == (cold.exit_code, cold.stdout)
    month = f"{date.today() - timedelta(days=1):%Y-%m}"  # the window the check read
    assert {k for k in summary_keys if k.endswith(month)} <= set(cache._db.iterkeys())
    monkeypatch.setattr(CostCache, "lookup", lambda *a, **k: pytest.fail("read rows after the backfill"))
    assert run("--demo", "check", "--period", "mtd").stdout == cold.stdout


@pytest.mark.parametrize("option", [("--region", "us-east-1"), ("--tag", "team=data")])
def test_region_and_tag_filters_read_the_rows(run, monkeypatch, option) -> None:
    run("--demo", "check")
    monkeypatch.setattr(loader, "load_summaries", lambda *a, **k: pytest.fail("summaries cannot filter by region/tag"))
    result = run("--demo", "check", *option)
    assert result.stdout.startswith("COSTCTL "), result.stdout
    assert "UNKNOWN" not in result.stdout.splitlines()[0]


def test_refresh_and_no_cache_skip_the_summaries(run) -> None:
    from costctl.context import Env

    run("--demo", "check")
    yesterday = date.today() - timedelta(days=1)
    window = (yesterday, yesterday + timedelta(days=1))
    assert loader.load_summaries(Env(demo=True), "aws", *window) is not None
    assert loader.load_summaries(Env(demo=True, refresh=True), "aws", *window) is None
    assert loader.load_summaries(Env(demo=True, use_cache=False), "aws", *window) is None
    assert run("--demo", "--no-cache", "check").stdout == run("--demo", "check").stdout


def test_a_backfill_that_cannot_write_changes_nothing(tmp_path, monkeypatch) -> None:
    import sqlite3

    cache = CostCache(tmp_path, clock=lambda: 900.0)
    day = date(2026, 11, 1)
    _store(cache, "p", "fp", day, day + timedelta(days=1), _block([(day, "USD", "a", "S3", 1.0, 1.0)]))
    entry = cache.lookup("p", "fp", [day])[day]
    cache._db.delete(cache._summary_key("p", "fp", "2026-11"))

    def busy(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(CostCache, "_merge_summaries", busy)
    assert cache.backfill_summaries(connect(), "p", "fp", {day: entry, day + timedelta(days=1): None}) == 0
    monkeypatch.undo()
    assert cache.summaries("p", "fp", [day])[day] is None
    other = dict(entry, fetched_at=800.0)  # an entry read before a re-fetch: not the cached day any more
    assert cache.backfill_summaries(connect(), "p", "fp", {day: other}) == 0
    assert cache.backfill_summaries(connect(), "p", "fp", {day: entry}) == 1
    assert cache.summaries("p", "fp", [day])[day]["fetched_at"] == 900.0


def test_export_prometheus_publishes_the_same_figures_from_summaries(run, monkeypatch) -> None:
    def figures(result) -> list[str]:
        assert result.exit_code == 0, result.stderr
        volatile = ("costctl_last_success_timestamp_seconds", "costctl_run_duration_seconds",
                    "costctl_upstream_requests", "costctl_upstream_bytes_scanned")
        return [line for line in result.stdout.splitlines() if not line.startswith(volatile)]

    cold = figures(run("--demo", "export-prometheus"))  # fetches and writes the summaries
    served = []
    real = loader.load_summaries

    def spy(*args, **kwargs):
        served.append(real(*args, **kwargs) is not None)
        return None if served[-1] is False else real(*args, **kwargs)

    monkeypatch.setattr(loader, "load_summaries", spy)
    warm = figures(run("--demo", "export-prometheus", "--top-services", "2"))
    assert served == [True, True, True]  # every provider from its summaries (budgets still read rows)
    assert figures(run("--demo", "export-prometheus")) == cold
    monkeypatch.setattr(loader, "load_summaries", lambda *a, **k: None)
    assert figures(run("--demo", "export-prometheus", "--top-services", "2")) == warm
    assert any(line.startswith("costctl_cost_month_forecast") for line in warm)
