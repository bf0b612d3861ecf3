"""What a detection method returns: the unusual (series, day) points of a whole matrix.

Methods run over every series at once and answer with parallel arrays (``Flags``) rather than
one object per point, so a fleet of 10,000 series with a handful of anomalies costs a few
arrays, not 10,000 lists. ``Flag`` is one point, for callers that judge a single series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Flag:
    """One day a method finds unusual."""

    index: int
    kind: str  # spike | drop | level_shift | new
    expected: float
    score: float


@dataclass
class Flags:
    """Flagged points of a ``series x days`` matrix: ``row[k]`` and ``index[k]`` (day) of each."""

    row: np.ndarray
    index: np.ndarray
    kind: np.ndarray  # str per point
    expected: np.ndarray
    score: np.ndarray

    @classmethod
    def empty(cls) -> Flags:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object),
                   np.zeros(0), np.zeros(0))

    @classmethod
    def of(cls, row: np.ndarray, index: np.ndarray, expected: np.ndarray, score: np.ndarray,
           kind: np.ndarray | None = None) -> Flags:
        """Points from arrays; without ``kind``, the sign of the score says spike or drop."""
        if kind is None:
            kind = np.where(score > 0, "spike", "drop").astype(object)
        return cls(np.asarray(row, dtype=np.int64), np.asarray(index, dtype=np.int64), np.asarray(kind, dtype=object),
                   np.asarray(expected, dtype=np.float64), np.asarray(score, dtype=np.float64))

    @classmethod
    def concat(cls, parts: list[Flags]) -> Flags:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("row", "index", "kind", "expected",
                                                                              "score")))

    def __len__(self) -> int:
        return len(self.row)

    def select(self, keep: np.ndarray) -> Flags:
        return Flags(self.row[keep], self.index[keep], self.kind[keep], self.expected[keep], self.score[keep])

    def sorted(self) -> Flags:
        """By row, then day: the order a per-series loop would produce."""
        return self.select(np.lexsort((self.index, self.row)))

    def for_row(self, row: int) -> list[Flag]:
        """The points of one series as ``Flag`` objects, by day."""
        picked = self.select(self.row == row).sorted()
        return [Flag(int(i), str(k), float(e), float(s))
                for i, k, e, s in zip(picked.index, picked.kind, picked.expected, picked.score, strict=True)]
