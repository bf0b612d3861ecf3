"""Backtest the period forecast against the naive linear projection.

For every complete month of every series, and for N in ``--days`` (default 7, 10, 14, 21), the
forecast sees only the data through day N of that month (plus earlier months, as it would in
real life) and predicts the month's total; the error is compared with the actual total. The naive
projection is spend so far / N x days in month. Prints the MAPE (mean absolute percentage error)
of both, per dataset and N, then overall.

Series: the bundled demo data (total, per provider, per tag:team) and the multi-day public
samples in shared/data (CUR 2023-11 and 2018-06 are whole months; the FOCUS 1.0 sample covers
September 1-18 2024, so its "period end" is its last day, the 18th).

Run: ``python bench/forecast_eval.py [--shared DIR] [--days 7,14,21]``.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from costctl.analysis.forecast import naive_forecast, period_forecast
from costctl.demo import CLOUDS, DATA_DIR
from costctl.loader import load_files

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLES = ("aws/cur_legacy_anonymized_2023-11.csv", "aws/cur_legacy_small.csv", "focus/focus_1.0_sample_1000.csv")
MIN_COST = 1.0  # skip series whose actual period total is smaller than this (a percentage of ~0 means nothing)

Series = dict[date, float]


def daily_series(paths: Iterable[str], key: Callable[[dict], str | None] | None = None) -> dict[str, Series]:
    """{series name: {day: effective cost}} from export files, split by ``key`` of each row."""
    block = load_files(list(paths))[0].block()
    out: dict[str, Series] = defaultdict(lambda: defaultdict(float))
    names = ("ChargePeriodStart", "EffectiveCost", "ProviderName", "Tags")
    for start, cost, provider, tags in block.rows(*names):
        day = datetime.fromtimestamp(start, UTC).date()
        out["total"][day] += cost
        if key is not None:
            name = key({"provider": provider, "tags": tags})
            if name:
                out[name][day] += cost
    return {k: dict(v) for k, v in out.items()}


def month_windows(series: Series, whole_months_only: bool = True) -> list[tuple[date, date]]:
    """``[first, end)`` of each month the series covers completely (or up to its last day)."""
    first, last = min(series), max(series)
    out = []
    month = first.replace(day=1)
    while month <= last:
        nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        if month >= first and nxt - timedelta(days=1) <= last:
            out.append((month, nxt))
        elif not whole_months_only and month >= first:
            out.append((month, last + timedelta(days=1)))
        month = nxt
    return out


def backtest(series: Series, windows: list[tuple[date, date]], n_days: int) -> list[tuple[float, float]]:
    """(absolute % error of the forecast, of the naive projection) per window long enough for N."""
    errors = []
    for start, end in windows:
        if (end - start).days <= n_days:
            continue
        actual = sum(v for d, v in series.items() if start <= d < end)
        if abs(actual) < MIN_COST:
            continue
        last = start + timedelta(days=n_days - 1)
        seen = {d: v for d, v in series.items() if d <= last}
        ours, naive = period_forecast(seen, start, last, end), naive_forecast(seen, start, last, end)
        if ours is None or naive is None:
            continue
        errors.append((abs(ours - actual) / abs(actual) * 100, abs(naive - actual) / abs(actual) * 100))
    return errors


def datasets(shared: Path) -> list[tuple[str, dict[str, Series], bool]]:
    """(name, series, whole months only) of every dataset the bench runs on."""
    demo = [str(DATA_DIR / f"{cloud}.csv.gz") for cloud in CLOUDS]
    out = [("demo", daily_series(demo, lambda r: f"provider={r['provider']}"), True),
           ("demo by tag:team", {k: v for k, v in daily_series(
               demo, lambda r: f"team={r['tags'].get('team', '(untagged)')}").items() if k != "total"}, True)]
    for sample in SAMPLES:
        path = shared / sample
        if path.is_file():
            out.append((sample, daily_series([str(path)]), not sample.startswith("focus/")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder of the public samples")
    parser.add_argument("--days", default="7,10,14,21", help="comma-separated N: days of the month seen")
    args = parser.parse_args()
    ns = [int(n) for n in args.days.split(",")]
    # The demo's dollars-per-day series and the public samples' cents-per-day series are summarized
    # apart: one sub-dollar sample that stops mid-month would otherwise dominate a single mean.
    families: dict[str, list[tuple[float, float]]] = {"all demo series": [], "all public samples": []}
    print(f"{'dataset':<42} {'N':>3} {'cases':>5} {'MAPE forecast':>14} {'MAPE naive':>11}")
    for name, series_by_name, whole in datasets(args.shared):
        for n in ns:
            errors = [e for s in series_by_name.values() for e in backtest(s, month_windows(s, whole), n)]
            if not errors:
                continue
            families["all demo series" if name.startswith("demo") else "all public samples"] += errors
            _line(name, str(n), errors)
    for name, errors in families.items():
        if errors:
            _line(name, "all", errors)


def _line(name: str, n: str, errors: list[tuple[float, float]]) -> None:
    print(f"{name:<42} {n:>3} {len(errors):>5} {_mape(errors, 0):>13.2f}% {_mape(errors, 1):>10.2f}%")


def _mape(errors: list[tuple[float, float]], which: int) -> float:
    return sum(e[which] for e in errors) / len(errors)


if __name__ == "__main__":
    main()
