"""Evaluation harness: precision, recall and F1 of every anomaly method on labeled series.

Base levels come from a real export (the FOCUS 1.0 sample in ../shared/data: its services' daily
cost); each service becomes a 104-day series with a weekday profile (some services drop at
weekends), multiplicative noise and a slow trend. Into a seeded share of them we inject known
spikes (3-8x, one day), drops (to 10-30 %), level shifts (x2 or x0.5 from a day on) and new
services (absent, then steady). A detection counts when it names the right group, day and kind
family (level_shift also matches a spike/drop on its first day for the classic methods).

Beside it, real labeled series (``--nab``, on by default): the Numenta Anomaly Benchmark's
``realTraffic``, ``realAdExchange`` and ``artificialWithAnomaly`` series (bench/data/nab, MIT),
resampled to daily sums scaled to a bill (``bench/nab.py``). Each series is judged on its own
from its 15th day (``JUDGED_AFTER``: what docs/anomalies.md promises) against the days before;
a labeled window counts as found when any detection falls on a day it touches (one true
positive per window), a detection on no labeled day is a false positive. Windows that end
before the 15th day cannot be judged by any method and are left out (their count is printed).
The default must beat the classic day-over-day rule (``pct``, 50 %) by at least 1.5x in F1.

    python bench/anomaly_eval.py [--seeds 5] [--no-nab]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from costctl.analysis.anomalies import Settings, detect
from costctl.analysis.anomaly_methods import THRESHOLDS, WINDOWS
from costctl.analysis.anomaly_robust import alarm_rates
from costctl.model import normalize

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nab  # noqa: E402  (bench/nab.py, beside this script)

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "focus" / "focus_1.0_sample_1000.csv"
END = date(2026, 3, 1)
WINDOW, HISTORY = 14, 90
KINDS = ("spike", "drop", "level_shift", "new")
METHODS = ("robust", "zscore", "pct", "iqr")
JUDGED_AFTER = 14  # days of a series before any method judges it (docs/anomalies.md)


def base_levels() -> dict[str, float]:
    """Daily cost per service in the real sample, scaled to between 20 and 2000 a day."""
    raw = pd.read_csv(SAMPLE, na_values=["NULL"])
    per = raw.groupby("ServiceName")["BilledCost"].sum().abs()
    per = per[per > 0].sort_values()
    scaled = np.interp(np.log(per.values), (np.log(per.min()), np.log(per.max())), (np.log(20), np.log(2000)))
    return dict(zip(per.index, np.exp(scaled), strict=True))


def series(rng: np.random.Generator, level: float, n: int) -> np.ndarray:
    weekend = rng.uniform(0.3, 0.7) if rng.random() < 0.4 else 1.0
    days = np.arange(n)
    profile = np.where((days % 7) >= 5, weekend, 1.0)
    trend = 1 + rng.uniform(-0.15, 0.3) * days / n
    return level * profile * trend * (1 + rng.normal(0, rng.uniform(0.02, 0.08), n))


def build(seed: int) -> tuple[pd.DataFrame, set[tuple[str, date, str]]]:
    rng = np.random.default_rng(seed)
    n = HISTORY + WINDOW
    first = END - timedelta(days=n)
    rows, labels = [], set()
    for name, level in base_levels().items():
        values = series(rng, level, n)
        kind = rng.choice(["none", "none", "spike", "drop", "level_shift", "new"])
        at = int(rng.integers(HISTORY + 1, n - 4))
        if kind == "spike":
            values[at] *= rng.uniform(3, 8)
        elif kind == "drop":
            values[at] *= rng.uniform(0.1, 0.3)
        elif kind == "level_shift":
            values[at:] *= rng.choice([2.0, 0.5])
        elif kind == "new":
            values[:at] = 0
        if kind != "none":
            labels.add((name, first + timedelta(days=at), str(kind)))
        for i, v in enumerate(values):
            if v > 0:
                day = first + timedelta(days=i)
                rows.append({"ChargePeriodStart": pd.Timestamp(day, tz="UTC"),
                             "ChargePeriodEnd": pd.Timestamp(day + timedelta(days=1), tz="UTC"),
                             "BilledCost": v, "EffectiveCost": v, "BillingCurrency": "USD", "ProviderName": "X",
                             "ServiceName": name, "ChargeCategory": "Usage"})
    return normalize(pd.DataFrame(rows)), labels


def family(kind: str) -> str:
    return {"level_shift": "shift"}.get(kind, kind)


def score(found: list, labels: set, method: str) -> Counter:
    """tp/fp/fn per labeled kind; a classic method's spike/drop on a shift's first day counts."""
    counts: Counter = Counter()
    matched = set()
    for a in found:
        hit = None
        for lab in labels:
            if lab[0] == a.group["service"] and lab[1] == a.date:
                classic_shift = lab[2] == "level_shift" and method != "robust" and a.kind in ("spike", "drop")
                ok = a.kind == lab[2] or classic_shift
                if ok:
                    hit = lab
        if hit:
            matched.add(hit)
            counts[(hit[2], "tp")] += 1
        else:
            counts[(a.kind if a.kind in KINDS else "spike", "fp")] += 1
    for lab in labels - matched:
        counts[(lab[2], "fn")] += 1
    return counts


def frame_of(name: str, daily: pd.Series) -> pd.DataFrame:
    """One service's daily cost as normalized records."""
    rows = [{"ChargePeriodStart": pd.Timestamp(day, tz="UTC"),
             "ChargePeriodEnd": pd.Timestamp(day + timedelta(days=1), tz="UTC"), "BilledCost": float(v),
             "EffectiveCost": float(v), "BillingCurrency": "USD", "ProviderName": "X", "ServiceName": name,
             "ChargeCategory": "Usage"} for day, v in daily.items() if v > 0]
    return normalize(pd.DataFrame(rows))


def nab_counts(series: nab.Series, method: str) -> tuple[Counter, int]:
    """(tp/fp/fn of labeled windows, windows that end before the series can be judged)."""
    first = series.daily.index[0]
    start, end = first + timedelta(days=JUDGED_AFTER), series.daily.index[-1] + timedelta(days=1)
    judged = [w for w in series.windows if max(w) >= start and min(w) < end]
    counts: Counter = Counter()
    if start >= end:
        return counts, len(series.windows)
    found = detect(frame_of(series.name, series.daily), Settings(keys=["service"], method=method), first, start, end)
    days = {a.date for a in found}
    counts["tp"] = sum(1 for w in judged if w & days)
    counts["fn"] = len(judged) - counts["tp"]
    counts["fp"] = sum(1 for d in days if not any(d in w for w in series.windows))
    return counts, len(series.windows) - len(judged)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def nab_report() -> dict[str, float]:
    """Print P/R/F1 per method and NAB group on the daily NAB series; return F1 of all per method."""
    loaded = nab.load()
    print(f"\nNAB daily ({len(loaded)} series, judged from day {JUDGED_AFTER + 1}; windows found by a detection "
          "on a day they touch)")
    print(f"{'method':8} {'group':22} {'P':>5} {'R':>5} {'F1':>5}   tp  fp  fn")
    f1s, skipped = {}, 0
    for method in METHODS:
        total: Counter = Counter()
        for group in nab.GROUPS:
            c: Counter = Counter()
            for series in (s for s in loaded if s.group == group):
                counts, unjudged = nab_counts(series, method)
                c += counts
                skipped += unjudged if method == METHODS[0] else 0
            total += c
            p, r, f1 = prf(c["tp"], c["fp"], c["fn"])
            print(f"{method:8} {group:22} {p:5.2f} {r:5.2f} {f1:5.2f} {c['tp']:4d}{c['fp']:4d}{c['fn']:4d}")
        p, r, f1s[method] = prf(total["tp"], total["fp"], total["fn"])
        print(f"{method:8} {'all':22} {p:5.2f} {r:5.2f} {f1s[method]:5.2f} {total['tp']:4d}{total['fp']:4d}"
              f"{total['fn']:4d}")
    print(f"windows that end before day {JUDGED_AFTER + 1} of their series (no method can judge them): {skipped}")
    alarm_table(loaded)
    ratio = f1s["robust"] / f1s["pct"] if f1s["pct"] else float("inf")
    print(f"ratio: robust F1 / pct (day over day, 50 %) F1 = {ratio:.2f} (target >= 1.5)")
    return f1s


def alarm_table(loaded: list[nab.Series]) -> None:
    """Per series: the default's expected false alarms per 30 days (its noise model over the series'
    own days, an upper bound since those days hold the labeled anomalies too) and what it raised
    outside the labeled windows."""
    print(f"\n{'series':40} {'days':>4} {'expected false alarms / 30 d':>29} {'false alarms':>12}")
    for series in loaded:
        values = series.daily.to_numpy()[None, :]
        weekdays = [d.weekday() for d in series.daily.index]
        rate = alarm_rates(values, np.array(weekdays), values.shape[1], THRESHOLDS["robust"]["medium"],
                           WINDOWS["robust"])[0]
        counts, _ = nab_counts(series, "robust")
        shown = "-" if rate != rate else f"{rate * 30:.2f}"
        print(f"{series.group[:8] + '/' + series.name:40} {values.shape[1]:4d} {shown:>29} {counts['fp']:12d}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--no-nab", dest="nab", action="store_false", help="skip the NAB series")
    args = parser.parse_args(argv)
    if not SAMPLE.is_file():
        print(f"missing {SAMPLE} (shared/ beside the repo)", file=sys.stderr)
        return 2
    totals = {m: Counter() for m in METHODS}
    for seed in range(args.seeds):
        frame, labels = build(seed)
        start = END - timedelta(days=WINDOW)
        for method in totals:
            settings = Settings(keys=["service"], method=method)
            found = detect(frame, settings, start - timedelta(days=HISTORY), start, END)
            totals[method] += score(found, labels, method)
    print(f"{'method':8} {'kind':12} {'P':>5} {'R':>5} {'F1':>5}   tp  fp  fn")
    for method, c in totals.items():
        for kind in KINDS + ("all",):
            ks = KINDS if kind == "all" else (kind,)
            tp, fp, fn = (sum(c[(k, t)] for k in ks) for t in ("tp", "fp", "fn"))
            p, r, f1 = prf(tp, fp, fn)
            print(f"{method:8} {kind:12} {p:5.2f} {r:5.2f} {f1:5.2f} {tp:4d}{fp:4d}{fn:4d}")
    if args.nab:
        nab_report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
