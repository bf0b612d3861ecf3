"""Evaluation harness: precision, recall and F1 of every anomaly method on labeled series.

Base levels come from a real export (the FOCUS 1.0 sample in ../shared/data: its services' daily
cost); each service becomes a 104-day series with a weekday profile (some services drop at
weekends), multiplicative noise and a slow trend. Into a seeded share of them we inject known
spikes (3-8x, one day), drops (to 10-30 %), level shifts (x2 or x0.5 from a day on) and new
services (absent, then steady). A detection counts when it names the right group, day and kind
family (level_shift also matches a spike/drop on its first day for the classic methods).

    python bench/anomaly_eval.py [--seeds 5]
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
from costctl.model import normalize

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "focus" / "focus_1.0_sample_1000.csv"
END = date(2026, 3, 1)
WINDOW, HISTORY = 14, 90
KINDS = ("spike", "drop", "level_shift", "new")


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    if not SAMPLE.is_file():
        print(f"missing {SAMPLE} (shared/ beside the repo)", file=sys.stderr)
        return 2
    totals = {m: Counter() for m in ("robust", "zscore", "pct", "iqr")}
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
            p = tp / (tp + fp) if tp + fp else 1.0
            r = tp / (tp + fn) if tp + fn else 1.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            print(f"{method:8} {kind:12} {p:5.2f} {r:5.2f} {f1:5.2f} {tp:4d}{fp:4d}{fn:4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
