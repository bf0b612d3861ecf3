"""Cost anomalies behind ``costctl anomalies``: series -> method -> money filters -> severity -> root cause.

Takes a normalized frame covering the baseline history and the report window and returns plain
``Anomaly`` objects; it knows nothing about click, output formats, acknowledgements or
notifications. New spend (a group with no cost before that now costs more than the minimum
impact) is found the same way whatever the method, because no statistic can judge a series
that has no past. Days a source has not reported yet are never judged (``anomaly_series``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from costctl.analysis import anomaly_methods as methods
from costctl.analysis.anomaly_codes import fleet_series
from costctl.analysis.anomaly_fleet import NEW_MIN_QUIET_DAYS, fleet_flags  # noqa: F401  (documented constant)
from costctl.analysis.anomaly_rollup import ancestor_keys, ancestors, recent
from costctl.analysis.anomaly_rootcause import LOOKBACK_DAYS, Contributor, contributors, drill_keys
from costctl.analysis.anomaly_series import NONE, SeriesMatrix, long_frame, reported_through
from costctl.analysis.anomaly_severity import DEFAULT_CUTOFFS, severity
from costctl.analysis.costs import output_name
from costctl.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import pandas as pd

    from costctl.query import Dataset

KINDS = ("spike", "drop", "level_shift", "new")
SENSITIVITIES = ("low", "medium", "high")


@dataclass
class Settings:
    """What to look for: the grouping, the method and the noise filters."""

    keys: list[str]
    method: str = "robust"
    sensitivity: str = "medium"
    threshold: float | None = None  # overrides the sensitivity's threshold
    window: int | None = None  # trailing window of the method (default per method)
    min_impact: float = 10.0  # |observed - expected| below this is noise
    min_pct: float = 10.0  # |impact| / expected below this percentage is noise
    metric: str = "effective"
    top_contributors: int = 3
    cutoffs: dict[str, dict[str, float]] = field(default_factory=lambda: dict(DEFAULT_CUTOFFS))

    def resolved_threshold(self) -> float:
        if self.method not in methods.METHODS:
            raise UsageError(f"--method: unknown method {self.method!r} (known: {', '.join(methods.METHODS)})")
        if self.sensitivity not in SENSITIVITIES:
            raise UsageError(f"--sensitivity: expected one of {', '.join(SENSITIVITIES)}")
        if self.threshold is not None and not self.threshold > 0:  # also NaN: every method scores distances
            raise UsageError(f"--threshold: expected a number above 0 for method {self.method}, got {self.threshold}")
        return self.threshold if self.threshold is not None else methods.THRESHOLDS[self.method][self.sensitivity]

    def resolved_window(self) -> int:
        window = self.window if self.window is not None else methods.WINDOWS[self.method]
        if window < 1:
            raise UsageError(f"--window: expected a positive number of days, got {window}")
        return window


@dataclass
class Anomaly:
    """One unusual day of one group."""

    id: str
    date: date
    kind: str
    group: dict[str, str | None]  # output name of each key -> value
    currency: str | None
    cost: float
    expected: float
    impact: float
    score: float | None
    severity: str
    method: str
    contributors: list[Contributor] = field(default_factory=list)
    acknowledged: bool = False
    rollup: dict[str, str | None] = field(default_factory=dict)  # ancestors: output name -> value
    # robust only: share of the series' learned days its noise model would have flagged (upper bound)
    false_alarm_rate: float | None = None

    @property
    def pct(self) -> float | None:
        """Impact in percent of the expected cost (None for new spend)."""
        return self.impact / self.expected * 100.0 if self.expected else None

    def record(self) -> dict[str, Any]:
        """The JSON contract of one anomaly (docs/anomalies.md); ``rollup`` only below the top levels."""
        record = {"id": self.id, "date": self.date.isoformat(), "kind": self.kind, **self.group,
                  "cost": self.cost, "expected": self.expected, "impact": self.impact, "pct": self.pct,
                  "score": self.score, "severity": self.severity, "method": self.method, "currency": self.currency,
                  "false_alarm_rate": self.false_alarm_rate,
                  "acknowledged": self.acknowledged, "contributors": [c.record() for c in self.contributors]}
        return record | {"rollup": dict(self.rollup)} if self.rollup else record


def anomaly_id(day: date, group: dict[str, str | None], currency: str | None) -> str:
    """Stable id of (day, group): the same anomaly keeps its id across runs and methods."""
    text = json.dumps([day.isoformat(), sorted(group.items()), currency], sort_keys=True)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def frame_columns(keys: list[str]) -> tuple[list[str], list[str]]:
    """(record columns, tag keys) detection reads: the group keys and the keys its explanations
    drill into (filters apply in SQL, ``Dataset.filtered``, before any row is read)."""
    from costctl.query import columns_for

    columns, tag_keys = columns_for([*keys, *drill_keys(keys), *ancestor_keys(keys)])
    return list(dict.fromkeys(columns)), list(dict.fromkeys(tag_keys))


def detect(frame: pd.DataFrame, settings: Settings, history_start: date, start: date, end: date,
           reported: dict[str, date] | None = None) -> list[Anomaly]:
    """Anomalies on the days ``[start, end)`` judged against ``[history_start, start)``.

    ``reported`` is the newest day of each source (``reported_through`` of the data before
    filters; default: of ``frame``): later days are not reported yet and are not judged.
    Sorted by date, then by impact (largest first).
    """
    import numpy as np

    fleet = fleet_series(frame, settings.keys, settings.metric, history_start, end,
                         reported_through(frame) if reported is None else reported)

    def rows_of(groups: list[tuple[str, ...]], since: date | None = None) -> pd.DataFrame:
        position = {g: i for i, g in enumerate(fleet.matrix.groups)}
        wanted = [position[g] for g in groups]
        rows = frame.iloc[np.flatnonzero(np.isin(fleet.row_group, wanted))]
        if since is None or rows.empty:
            return rows
        return rows[rows["ChargePeriodStart"].dt.tz_convert("UTC").dt.date >= since]

    return judge(fleet.matrix, fleet.known, rows_of, settings, history_start, start)


def detect_data(data: Dataset, settings: Settings, history_start: date, start: date, end: date,
                reported: dict[str, date]) -> list[Anomaly]:
    """``detect`` over a dataset: DuckDB builds the series matrix from the records (``anomaly_sql``),
    and only the flagged groups' rows are read into pandas, for their explanations."""
    from costctl.analysis import anomaly_sql

    matrix, known = anomaly_sql.fleet(data, settings.keys, settings.metric, history_start, end, reported)
    columns, tag_keys = frame_columns(settings.keys)
    return judge(matrix, known, anomaly_sql.rows_reader(data, settings.keys, columns, tag_keys), settings,
                 history_start, start)


def judge(matrix: SeriesMatrix, known: list[int],
          rows_of: Callable[[list[tuple[str, ...]], date | None], pd.DataFrame],
          settings: Settings, history_start: date, start: date) -> list[Anomaly]:
    """Run the method over the matrix, keep the material flags and explain each from its group's rows."""
    import numpy as np

    threshold, window = settings.resolved_threshold(), settings.resolved_window()
    drill, above = drill_keys(settings.keys), ancestor_keys(settings.keys)
    weekdays = np.array([d.weekday() for d in matrix.days], dtype=np.int64)
    flags = fleet_flags(matrix.values, np.array(known, dtype=np.int64), weekdays,
                        (start - history_start).days, threshold, window, methods.MATRIX_METHODS[settings.method],
                        settings.min_impact)
    impact = matrix.values[flags.index, flags.row] - flags.expected
    with np.errstate(invalid="ignore", divide="ignore"):
        material = (np.abs(impact) >= settings.min_impact) & (
            (flags.expected <= 0) | (np.abs(impact) / flags.expected * 100.0 >= settings.min_pct))
    flags = flags.select(material)
    # Explanations only for the flagged points, from the rows of their groups alone.
    flagged_rows = np.unique(flags.row)
    flagged = [matrix.groups[g] for g in flagged_rows.tolist()]
    if not flagged:
        return []
    rates = dict(zip(flagged_rows.tolist(), false_alarm_rates(
        matrix, flagged_rows, weekdays, (start - history_start).days, threshold, window, settings.method), strict=True))
    # Explanations look back LOOKBACK_DAYS from their day: older rows are read only for a group
    # that has none in that time (``ancestors`` then weighs all its rows).
    since = matrix.days[int(flags.index.min())] - timedelta(days=LOOKBACK_DAYS)
    data = long_frame(rows_of(flagged, since), settings.keys, drill + above, settings.metric)
    by_group = data.groupby(settings.keys + ["currency"], sort=False) if len(data) else None
    members = set(by_group.groups) if by_group is not None else set()  # groups with rows since ``since``
    whole: dict[tuple[str, ...], pd.DataFrame] = {}
    found: list[Anomaly] = []
    for g, i, kind, expected, score in zip(flags.row.tolist(), flags.index.tolist(), flags.kind, flags.expected,
                                           flags.score, strict=True):
        group, day, cost = matrix.groups[g], matrix.days[i], float(matrix.values[i, g])
        flag = methods.Flag(i, str(kind), float(expected), float(score))
        rows = by_group.get_group(group) if by_group is not None and group in members else data.iloc[0:0]
        anomaly = _anomaly(settings, group, day, flag, cost, cost - flag.expected,
                           contributors(rows, drill, day, flag.expected, cost - flag.expected,
                                        settings.top_contributors))
        if above and recent(rows, day).empty:
            if group not in whole:
                whole[group] = long_frame(rows_of([group], None), settings.keys, drill + above, settings.metric)
            rows = whole[group]
        anomaly.rollup = ancestors(rows, above, day)
        anomaly.false_alarm_rate = rates[g]
        found.append(anomaly)
    found.sort(key=lambda a: (a.date, -abs(a.impact)))
    return found


def unreported(reported: dict[str, date], start: date, end: date) -> str | None:
    """``no data for START..LAST (newest data DAY)`` when no source reported a day of ``[start, end)``;
    worded as ``check``'s staleness line (``newest data DAY`` / ``no data at all yet``)."""
    if any(day >= start for day in reported.values()):
        return None
    newest = max(reported.values(), default=None)
    seen = f"newest data {newest}" if newest else "no data at all yet"
    return f"no data for {start}..{end - timedelta(days=1)} ({seen})"


def lagging(reported: dict[str, date], start: date, end: date) -> list[str]:
    """``aws, gcp: no data after DAY yet`` for the sources that have not reported the window's last day."""
    by_day: dict[date, list[str]] = {}
    for source, day in sorted(reported.items()):
        if day < end - timedelta(days=1):
            by_day.setdefault(day, []).append(source or "data")
    return [f"{', '.join(names)}: no data after {day} yet; {max(day + timedelta(days=1), start)}.."
            f"{end - timedelta(days=1)} not judged" for day, names in sorted(by_day.items())]


def false_alarm_rates(matrix: SeriesMatrix, rows: np.ndarray, weekdays: np.ndarray, start: int, threshold: float,
                      window: int, method: str) -> list[float | None]:
    """Per flagged group, the expected false-alarm rate of ``robust`` on it (``alarm_rates``), rounded;
    None for the other methods and for series with nothing learned (too short, intermittent)."""
    if method != "robust":
        return [None] * len(rows)
    import numpy as np

    from costctl.analysis.anomaly_robust import alarm_rates

    rates = alarm_rates(np.ascontiguousarray(matrix.values[:, rows].T), weekdays, start, threshold, window)
    return [None if r != r else round(float(r), 4) for r in rates.tolist()]


def _anomaly(settings: Settings, group: tuple[str, ...], day: date, flag: methods.Flag, cost: float, impact: float,
             causes: list[Contributor]) -> Anomaly:
    names = [output_name(k) for k in settings.keys]
    labels = {n: (None if v == NONE else v) for n, v in zip(names, group[:-1], strict=True)}
    currency = None if group[-1] == NONE else group[-1]
    score = None if flag.score in (float("inf"), float("-inf")) else round(float(flag.score), 4)
    return Anomaly(id=anomaly_id(day, labels, currency), date=day, kind=flag.kind, group=labels,
                   currency=currency, cost=cost, expected=flag.expected, impact=impact, score=score,
                   severity=severity(impact, cost, flag.expected, settings.cutoffs), method=settings.method,
                   contributors=causes)
