"""Export deliveries in object storage (S3, Blob) -> one SQL source for the columnar loader.

Where it sits: the cloud readers (``clouds/aws/cur.py``, ``clouds/azure/exports.py``) decide which objects make up the
newest delivery of each billing period; this module copies each of those objects in chunks to a
private temp file, scans it with the ingest engine like a local export (``formats.engine.scan``)
and joins the scans in SQL. Rows outside their delivery's billing period or the asked range are
left out there, and each day keeps only the rows of the newest delivery holding it. No object is
ever held whole in memory, and no row becomes a Python object: DuckDB reads the temp files when
the loader stores the source (or a ``--no-cache`` report queries it).

Nothing here knows a cloud: the readers pass a ``write`` function that streams one object.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, BinaryIO

from costctl.errors import ExportFormatError, ProviderError

if TYPE_CHECKING:
    from costctl.formats.engine import Scan

CHUNK = 1 << 20  # bytes per read of a download: bounded memory whatever the object's size
RANK = "__costctl_rank"
NEWEST = "__costctl_newest"

Write = Callable[[BinaryIO], None]
OnOutside = Callable[["Delivery", int, float], None]


@dataclass(frozen=True)
class Delivery:
    """One data object of a delivery: its name in messages, how new the delivery is, its billing period."""

    name: str  # s3://bucket/key or the blob's path
    rank: float  # larger is newer (the manifest's or run's time)
    start: date  # billing period [start, end)
    end: date


class _Sink:
    """A file that says which object it was copying when the disk refuses a write."""

    def __init__(self, fh: BinaryIO, name: str) -> None:
        self.fh, self.name = fh, name

    def write(self, data: bytes) -> int:
        try:
            return self.fh.write(data)
        except OSError as exc:
            from costctl.oserrors import describe

            raise ProviderError(describe(exc, f"a temp copy of {self.name} (in TMPDIR)")) from None


def stage(name: str, write: Write, con: Any) -> Scan:
    """Copy one object into its own private temp directory and scan it there.

    ``mkdtemp`` makes the directory 0700 under an unpredictable name. It is removed with the scan:
    when the scan is collected, or at exit, since ``query.keep_scan`` keeps the scans behind a
    fetched source for the process (DuckDB reads the file only when the source is queried). A
    message naming the temp file names the object instead.
    """
    from costctl.formats.engine import safe_name, scan, without_path

    folder = tempfile.mkdtemp(prefix="costctl-download-")
    path = os.path.join(folder, safe_name(name))
    try:
        with open(path, "wb") as fh:
            write(_Sink(fh, name))  # type: ignore[arg-type]  # write() is all a download calls
        found = scan(path, name, con=con)
    except ExportFormatError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ExportFormatError(without_path(str(exc), path).replace(folder, "(temp)")) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    weakref.finalize(found, shutil.rmtree, folder, True)
    return found


def source(staged: list[tuple[Delivery, Scan]], start: date, end: date,
           on_outside: OnOutside | None = None) -> str:
    """The records of ``[start, end)`` of the staged deliveries as a DuckDB source.

    ``on_outside`` is told, per object, how many rows (and what billed sum) lie outside its
    delivery's billing period; those rows are left out either way. Per day, only the newest
    delivery's rows stay (``max(rank) OVER (PARTITION BY day)``), which matters only where two
    deliveries' periods overlap (a custom-range export beside the monthly one): without such an
    overlap no window runs.
    """
    from costctl.query import Dataset, keep_scan

    views = [(delivery, keep_scan(found)) for delivery, found in staged]
    if on_outside is not None and views:
        _report_outside(views, on_outside)
    kept = [(d, view, max(d.start, start), min(d.end, end)) for d, view in views]
    kept = [k for k in kept if k[2] < k[3]]
    if not kept:
        return f"({Dataset.empty().sql()})"
    ranked = _overlapping([(d.rank, lo, hi) for d, _, lo, hi in kept])
    order = {rank: i for i, rank in enumerate(sorted({d.rank for d, *_ in kept}))}
    selects = []
    for d, view, lo, hi in kept:
        rank = f", {order[d.rank]} AS {RANK}" if ranked else ""
        selects.append(f"SELECT *{rank} FROM {view} WHERE {_within(lo, hi)}")
    union = " UNION ALL ".join(selects)
    if not ranked:
        return f"({union})"
    return (f"(SELECT * EXCLUDE ({RANK}, {NEWEST}) FROM (SELECT *, max({RANK}) OVER "
            f"(PARTITION BY date_trunc('day', ChargePeriodStart)) AS {NEWEST} FROM ({union}) AS deliveries) "
            f"AS ranked WHERE {RANK} = {NEWEST})")


def _within(lo: date, hi: date) -> str:
    """Rows whose ChargePeriodStart falls in ``[lo, hi)`` (UTC days: the engine splits rows by day)."""
    from costctl.duck import literal

    return (f"ChargePeriodStart >= TIMESTAMPTZ {literal(f'{lo} 00:00:00+00')} "
            f"AND ChargePeriodStart < TIMESTAMPTZ {literal(f'{hi} 00:00:00+00')}")


def _overlapping(spans: list[tuple[float, date, date]]) -> bool:
    """True when two deliveries of different ranks both speak for some day."""
    distinct = sorted(set(spans))
    return any(a[0] != b[0] and a[1] < b[2] and b[1] < a[2] for a, b in itertools.combinations(distinct, 2))


def _report_outside(views: list[tuple[Delivery, str]], on_outside: OnOutside) -> None:
    """Count, in one query over all objects, the rows each holds outside its billing period.

    This reads the objects once before the loader stores them; it also makes a broken object fail
    here, inside the fetch, with the object named.
    """
    from costctl.duck import connect
    from costctl.query import translate

    parts = [f"SELECT {i} AS i, BilledCost FROM {view} WHERE NOT ({_within(d.start, d.end)})"
             for i, (d, view) in enumerate(views)]
    sql = f"SELECT i, count(*), fsum(BilledCost) FROM ({' UNION ALL '.join(parts)}) GROUP BY i ORDER BY i"
    try:
        found = connect().sql(sql).fetchall()
    except Exception as exc:
        error = translate(exc)
        if error is None:
            raise
        raise error from None
    for index, count, billed in found:
        on_outside(views[index][0], int(count), float(billed or 0.0))
