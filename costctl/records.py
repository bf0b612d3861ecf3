"""Plain-Python column blocks: how normalized records are stored in the cache.

A ``Block`` holds the normalized record as ``{column: list}`` with only builtin values (int epoch
seconds for timestamps, float/None for numbers, str/None for strings, dict for tags). Storing
builtins instead of pickled pandas objects lets ``costctl check`` read the cache and sum costs
without importing pandas or numpy, which is most of its start-up time. ``to_frame`` and
``from_frame`` convert at the boundary for everything that does want a frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from costctl.model import COLUMN_KINDS, COLUMN_NAMES, FLAG, MONEY, NUMBER, STRING, TAGS, TIMESTAMP
from costctl.values import Value

if TYPE_CHECKING:
    import pandas as pd


class Block(Value):
    """Rows of the normalized record in column-major builtin lists.

    Equal strings and equal tag maps are shared objects (see ``from_frame``): treat every value
    as read-only. A plain class rather than a dataclass: it is on ``check``'s start-up path.
    """

    __slots__ = ("columns",)

    def __init__(self, columns: dict[str, list[Any]] | None = None) -> None:
        self.columns: dict[str, list[Any]] = columns if columns is not None else {name: [] for name in COLUMN_NAMES}

    def __repr__(self) -> str:
        return f"Block({len(self)} rows)"

    def __len__(self) -> int:
        return len(self.columns["ChargePeriodStart"])

    @classmethod
    def concat(cls, blocks: Iterable[Block]) -> Block:
        """Join blocks row-wise (cheap: list extension)."""
        out = cls()
        for block in blocks:
            for name in COLUMN_NAMES:
                out.columns[name].extend(block.columns[name])
        return out

    def take(self, rows: Iterable[int]) -> Block:
        """A new block with only the given row positions."""
        idx = list(rows)
        return Block({name: [values[i] for i in idx] for name, values in self.columns.items()})

    def rows(self, *names: str) -> Iterator[tuple[Any, ...]]:
        """Iterate tuples of the named columns, row by row."""
        return zip(*(self.columns[n] for n in names), strict=True)

    def to_frame(self) -> pd.DataFrame:
        """Convert to a typed normalized frame."""
        import pandas as pd

        from costctl.model import PANDAS_DTYPES

        data: dict[str, Any] = {}
        for name in COLUMN_NAMES:
            kind = COLUMN_KINDS[name]
            values = self.columns[name]
            if kind == TIMESTAMP:
                seconds = pd.Series(values, dtype="float64")
                data[name] = pd.to_datetime(seconds, unit="s", utc=True).dt.as_unit("ns")
            elif kind == TAGS:
                data[name] = pd.Series(values, dtype="object")
            else:
                data[name] = pd.Series(values, dtype=PANDAS_DTYPES[kind])
        return pd.DataFrame(data)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Block:
        """Convert a validated normalized frame to builtin lists."""
        import pandas as pd

        columns: dict[str, list[Any]] = {}
        for name in COLUMN_NAMES:
            kind = COLUMN_KINDS[name]
            series = frame[name]
            if kind == TIMESTAMP:
                if series.isna().any():
                    columns[name] = [None if pd.isna(v) else int(v.timestamp()) for v in series]
                else:
                    columns[name] = (series.dt.tz_convert(None).astype("int64") // 1_000_000_000).tolist()
            elif kind in (MONEY, NUMBER):
                columns[name] = [None if math.isnan(v) else float(v) for v in series.astype("float64").tolist()]
            elif kind == STRING:
                # One shared object per distinct value: pickle then stores each value once and
                # the cache reads back a fraction of the memory (300k rows: ~570 -> ~150 MiB).
                seen: dict[str, str] = {}
                columns[name] = [None if v is pd.NA or v is None else seen.setdefault(str(v), str(v))
                                 for v in series.astype("object")]
            elif kind == TAGS:
                shared: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
                columns[name] = [shared.setdefault(tuple(sorted(v.items())), dict(v)) for v in series.tolist()]
            elif kind == FLAG:
                columns[name] = [bool(v) for v in series.tolist()]
        return cls(columns)
