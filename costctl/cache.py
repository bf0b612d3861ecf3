"""The cache: which days of which provider instance are held, how fresh, and where their rows are.

Why per day: a Nagios check every five minutes must never ask a cloud again for days it already
holds (Cost Explorer bills every request), while the last few days must be asked again because
clouds restate them. A day older than the provider's restatement window is kept until evicted;
a day inside it (or today) expires ``ttl`` seconds after it was fetched. ``plan`` turns the days a
request lacks into as few contiguous ``[start, end)`` ranges as possible.

Two stores, each for what it is good at:

* the rows themselves are Parquet files, one per provider instance and day (``costctl.daystore``),
  read by DuckDB with filters and projections pushed down;
* diskcache (SQLite) holds the index: per day, when it was fetched, how many rows it has and
  which file holds them; beside it the day summaries (``costctl.daysummary``, one entry per
  provider instance and month) that a warm ``check`` reads without touching a row, and small API
  answers (account names, price lists). Index, summaries and answers are JSON
  (``costctl.safedisk.JSONOnlyDisk``): nothing in the cache is ever unpickled.

A day's index entry and summary are written in one transaction after its file is renamed into
place, so a crash leaves either the old day or the new one. The cache directory is created 0700,
and one owned by another user or writable by others is refused (see docs/security.md).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from costctl.daysummary import from_sums, is_summary
from costctl.errors import CacheDamagedError, CacheError
from costctl.oserrors import describe
from costctl.values import Value

EPOCH = date(1970, 1, 1)
EARLIEST = date(2000, 1, 1)  # no bill holds older days (the CLI refuses dates before it too)
FORMAT = 3  # 2: rows in Parquet, JSON index; 3: the record keeps the FOCUS pricing, invoice and
# commitment columns. Entries of other formats are ignored (re-fetched once after an upgrade).


class Freshness(Value):
    """What decides whether a cached day can be served."""

    __slots__ = ("today", "restatement_days", "ttl")
    frozen = True

    def __init__(self, today: date, restatement_days: int, ttl: float) -> None:
        self.today = today  # the real current UTC date (not --as-of: restatement is about the calendar)
        self.restatement_days = restatement_days
        self.ttl = ttl

    def is_closed(self, day: date) -> bool:
        """True when the cloud no longer restates ``day``: cached copies are final."""
        return (self.today - day).days > self.restatement_days


class CoverageRow(Value):
    """One line of ``cache info``: what is cached for one provider instance."""

    __slots__ = ("source", "days", "first", "last", "rows", "oldest_fetch", "newest_fetch", "first_data",
                 "last_data")

    def __init__(self, source: str, days: int = 0, first: date | None = None, last: date | None = None,
                 rows: int = 0, oldest_fetch: float | None = None, newest_fetch: float | None = None) -> None:
        self.source, self.days, self.first, self.last, self.rows = source, days, first, last, rows
        self.oldest_fetch, self.newest_fetch = oldest_fetch, newest_fetch
        self.first_data: date | None = None  # the first and last cached day holding rows (not an empty day)
        self.last_data: date | None = None


def day_range(start: date, end: date) -> list[date]:
    """Every date in ``[start, end)``."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


def contiguous(days: list[date]) -> list[tuple[date, date]]:
    """Group sorted dates into ``[start, end)`` runs of consecutive days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] == day:
            ranges[-1] = (ranges[-1][0], day + timedelta(days=1))
        else:
            ranges.append((day, day + timedelta(days=1)))
    return ranges


class CostCache:
    """Per-day records of each provider instance, on disk."""

    def __init__(self, directory: str | os.PathLike[str], size_limit_mb: int = 1024, lock_timeout: float = 600.0,
                 clock: Callable[[], float] = time.time) -> None:
        import diskcache

        from costctl.daystore import DayStore
        from costctl.safedisk import JSONOnlyDisk, check_private, make_private, tighten

        self.directory = os.fspath(directory)
        self.lock_timeout = lock_timeout
        self.clock = clock
        self.size_limit = size_limit_mb * 1024 * 1024
        self.days = DayStore(self.directory)
        db_file = os.path.join(self.directory, "cache.db")
        try:
            check_private(self.directory, "cache directory")
            make_private(self.directory)
            check_private(self.directory, "cache directory")
            check_private(db_file, "cache database")
            self._db = diskcache.Cache(self.directory, disk=JSONOnlyDisk, size_limit=self.size_limit,
                                       eviction_policy="least-recently-stored", tag_index=True)
        except (OSError, sqlite3.Error) as exc:
            if is_damage(exc):
                raise damaged(self.directory, exc) from None
            raise CacheError(f"{describe(exc, f'the cache at {self.directory}', 'open')}; "
                             "or set cache.path in the config, or run with --no-cache") from None
        for suffix in ("", "-wal", "-shm"):
            tighten(db_file + suffix, 0o600)

    def close(self) -> None:
        self._db.close()

    # -- keys ---------------------------------------------------------------------------------
    @staticmethod
    def _day_key(source: str, fingerprint: str, day: date) -> str:
        return f"day:{FORMAT}:{source}:{fingerprint}:{day.isoformat()}"

    @staticmethod
    def _summary_key(source: str, fingerprint: str, month: str) -> str:
        return f"sum:{FORMAT}:{source}:{fingerprint}:{month}"

    @staticmethod
    def _stamp_key(source: str, fingerprint: str, month: str) -> str:
        """Beside each month of summaries, the fetch time of each summarized day: a few bytes that
        tell whether the summaries are in step with the rows without decoding them (a month of
        summaries of a wide organisation is megabytes of JSON)."""
        return f"stamp:{FORMAT}:{source}:{fingerprint}:{month}"

    @staticmethod
    def _parse_day_key(key: str) -> tuple[str, str, date] | None:
        head, sep, rest = key.partition(f"day:{FORMAT}:")
        if head or not sep:
            return None
        source, _, tail = rest.rpartition(":")  # source names may hold ':'; fingerprint and day do not
        source, _, fingerprint = source.rpartition(":")
        try:
            return source, fingerprint, date.fromisoformat(tail)
        except ValueError:
            return None

    # -- reading ------------------------------------------------------------------------------
    def _get(self, key: str) -> Any:
        try:
            return self._db.get(key)
        except Exception as exc:  # sqlite errors, unreadable value files
            if is_damage(exc):
                raise damaged(self.directory, exc) from None
            raise CacheError(f"the cache at {self.directory} is unreadable ({exc}); run: costctl cache clear") from None

    def _read(self, key: str) -> dict[str, Any] | None:
        value = self._get(key)
        if not (isinstance(value, dict) and isinstance(value.get("fetched_at"), int | float)
                and isinstance(value.get("rows"), int) and isinstance(value.get("files"), list)
                and all(isinstance(f, str) for f in value["files"])):
            return None  # absent, foreign or damaged entry: treat as missing, it will be re-fetched
        return value

    def newest_end(self, source: str, fingerprint: str) -> int | None:
        """Epoch seconds of the newest ChargePeriodEnd cached for the instance (any day, any month).

        What ``check`` and ``export-prometheus`` report as the data's newest when their window holds
        none (an export that stopped months ago). Walks the index keys: only on that path.
        """
        prefix = self._summary_key(source, fingerprint, "")
        months = sorted((k for k in self._db.iterkeys() if isinstance(k, str) and k.startswith(prefix)),
                        reverse=True)
        for key in months:
            days = self._month_summaries(source, fingerprint, key[len(prefix):])
            ends = [s.get("end") for s in days.values() if isinstance(s, dict) and s.get("rows")]
            ends = [e for e in ends if isinstance(e, int | float)]
            if ends:
                return int(max(ends))
        return None

    def _month_summaries(self, source: str, fingerprint: str, month: str) -> dict[str, Any]:
        """The stored summaries of one month, by ISO day (empty when none or damaged)."""
        value = self._get(self._summary_key(source, fingerprint, month))
        days = value.get("days") if isinstance(value, dict) else None
        return days if isinstance(days, dict) else {}

    def summaries(self, source: str, fingerprint: str, days: list[date]) -> dict[date, dict[str, Any] | None]:
        """The stored summary of each day (None when absent): one read per month, not per day."""
        months: dict[str, dict[str, Any]] = {}
        out: dict[date, dict[str, Any] | None] = {}
        for day in days:
            iso = day.isoformat()
            month = iso[:7]
            if month not in months:
                months[month] = self._month_summaries(source, fingerprint, month)
            value = months[month].get(iso)
            out[day] = value if is_summary(value) else None
        return out

    def is_fresh(self, entry: dict[str, Any] | None, day: date, freshness: Freshness) -> bool:
        if entry is None:
            return False
        if freshness.is_closed(day):
            return True
        return self.clock() - float(entry["fetched_at"]) < freshness.ttl

    def lookup(self, source: str, fingerprint: str, days: list[date]) -> dict[date, dict[str, Any] | None]:
        """The stored entry of each day (None when absent, or when its file is missing or damaged:
        such a day is fetched again)."""
        out: dict[date, dict[str, Any] | None] = {}
        for day in days:
            entry = self._read(self._day_key(source, fingerprint, day))
            if entry is not None and not self.days.usable(entry["files"]):
                entry = None
            out[day] = entry
        return out

    def plan(self, source: str, fingerprint: str, start: date, end: date, freshness: Freshness,
             refresh: bool = False) -> list[tuple[date, date]]:
        """The ``[start, end)`` ranges to fetch so that every day of ``[start, end)`` is fresh."""
        return self.plan_entries(self.lookup(source, fingerprint, day_range(start, end)), freshness, refresh)

    def plan_entries(self, entries: dict[date, dict[str, Any] | None], freshness: Freshness,
                     refresh: bool = False) -> list[tuple[date, date]]:
        """``plan`` over entries already read (so a warm run reads each day once)."""
        if refresh:
            return contiguous(list(entries))
        return contiguous([d for d, e in entries.items() if not self.is_fresh(e, d, freshness)])

    def files_of(self, entries: dict[date, dict[str, Any] | None]) -> list[str]:
        """Absolute paths of the Parquet files of the given entries."""
        return [self.days.absolute(f) for e in entries.values() if e is not None for f in e["files"]]

    # -- writing ------------------------------------------------------------------------------
    def store(self, con: Any, select_sql: str, source: str, fingerprint: str, start: date, end: date,
              keep_all_days: bool = False) -> None:
        """Store a fetched ``[start, end)`` range, one entry per day (empty days included).

        ``select_sql`` is a DuckDB query giving the record's columns. Rows are assigned to the UTC
        day of ChargePeriodStart; rows outside the range are not stored, unless
        ``keep_all_days``: a source read whole (export files) then caches every day it holds up
        to ``end``, and the empty days between its first and last, so that the next range asked
        needs no second read of the same files. Files are written first,
        then every day's index entry and summary in one transaction, so a crash leaves either the
        old days or the new ones, never a mix; the files they replace stay for a grace period.
        """
        days = day_range(start, end)
        if not days:
            return
        now = self.clock()
        stamp = f"{int(now * 1e6)}-{os.getpid()}-{os.urandom(3).hex()}"  # unique even for one clock and pid
        try:
            written = self.days.write(con, select_sql, source, fingerprint, days, stamp,
                                      first=EARLIEST if keep_all_days else None)
        except OSError as exc:
            raise CacheError(describe(exc, f"the cache at {self.directory}")) from None
        except Exception as exc:  # DuckDB reports its own I/O failures as its own exception types
            if _is_duckdb_io(exc):
                from costctl.errors import ExportFormatError
                from costctl.query import translate

                # An export that breaks while it is read (DuckDB reads it lazily, during this write)
                # is the export's fault, named by the ingest engine; not a full disk.
                error = translate(exc)
                if isinstance(error, ExportFormatError):
                    raise error from None
                raise CacheError(f"cannot write the cache at {self.directory}: {exc}; check free disk space") \
                    from None
            raise
        replaced: list[str] = []
        try:
            with self._db.transact():
                summaries = {}
                for day, result in written.items():
                    key = self._day_key(source, fingerprint, day)
                    old = self._read(key)
                    if old is not None:
                        replaced.extend(f for f in old["files"] if f not in result.files)
                    self._db.set(key, {"fetched_at": now, "rows": result.rows, "files": result.files}, tag=source)
                    summaries[day] = from_sums(result.rows, result.end, result.sums, now)
                self._merge_summaries(source, fingerprint, summaries)
        except (sqlite3.Error, OSError) as exc:
            raise CacheError(describe(exc, f"the cache at {self.directory}")) from None
        self.days.supersede(replaced)
        for day, result in written.items():
            self.days.collect(source, fingerprint, day, set(result.files))
        self.days.sweep_staging()
        self._enforce_limit()

    def _merge_summaries(self, source: str, fingerprint: str, summaries: dict[date, dict[str, Any]]) -> None:
        """Write day summaries into their month entries. Callers hold a transaction, so two
        processes never lose each other's days."""
        by_month: dict[str, dict[str, dict[str, Any]]] = {}
        for day, summary in summaries.items():
            iso = day.isoformat()
            by_month.setdefault(iso[:7], {})[iso] = summary
        for month, days in by_month.items():
            stored = dict(self._month_summaries(source, fingerprint, month))
            stored.update(days)
            self._db.set(self._summary_key(source, fingerprint, month), {"days": stored}, tag=source)
            self._db.set(self._stamp_key(source, fingerprint, month),
                         {"days": {iso: summary.get("fetched_at") for iso, summary in stored.items()
                                   if isinstance(summary, dict)}}, tag=source)

    def _write_stamps(self, source: str, fingerprint: str, months: set[str]) -> None:
        """Stamp entries for months summarized before stamps existed (best effort)."""
        with contextlib.suppress(Exception), self._db.transact():
            for month in months:
                stored = self._month_summaries(source, fingerprint, month)
                if stored:
                    self._db.set(self._stamp_key(source, fingerprint, month),
                                 {"days": {iso: v.get("fetched_at") for iso, v in stored.items()
                                           if isinstance(v, dict)}}, tag=source)

    def _summary_stamps(self, source: str, fingerprint: str, days: list[date]) -> dict[date, float | None] | None:
        """The fetch time of each day's stored summary, from the small stamp entries; None when a
        month has no stamps or its summaries entry is gone (then the summaries must be read)."""
        months: dict[str, dict[str, Any]] = {}
        out: dict[date, float | None] = {}
        for day in days:
            month = day.isoformat()[:7]
            if month not in months:
                value = self._get(self._stamp_key(source, fingerprint, month))
                stamps = value.get("days") if isinstance(value, dict) else None
                if not isinstance(stamps, dict) or self._summary_key(source, fingerprint, month) not in self._db:
                    return None
                months[month] = stamps
            stamp = months[month].get(day.isoformat())
            out[day] = float(stamp) if isinstance(stamp, int | float) else None
        return out

    def backfill_summaries(self, con: Any, source: str, fingerprint: str,
                           entries: dict[date, dict[str, Any] | None]) -> int:
        """Rewrite the summaries that are missing or disagree with cached day entries (read by
        ``lookup``); return how many were written.

        A summary belongs to the rows fetched at the same moment (``store`` stamps both with one
        ``fetched_at``). One that is missing (an evicted month entry) or carries another
        ``fetched_at`` is rebuilt from the day's file, so the next warm ``check`` answers what
        ``costs`` answers. Inside the write transaction each day entry is read again: a day
        re-fetched or cleared (``cache clear``) since ``entries`` was read is left alone, so a
        backfill never brings back data the operator removed. A failed write is not an error:
        the rows stay, and the next command that reads them tries again.
        """
        present = {d: e for d, e in entries.items() if e is not None}
        stamps = self._summary_stamps(source, fingerprint, list(present))
        if stamps is None:
            have = self.summaries(source, fingerprint, list(present))
            stamps = {d: None if s is None else float(s["fetched_at"]) for d, s in have.items()}
            self._write_stamps(source, fingerprint, {d.isoformat()[:7] for d in present})
        stale = [d for d, stamp in stamps.items() if stamp is None or stamp != float(present[d]["fetched_at"])]
        if not stale:
            return 0
        try:
            figures = {d: _day_figures(con, self.days, present[d]) for d in stale}
            with self._db.transact():
                due = {}
                for day in stale:
                    now = self._read(self._day_key(source, fingerprint, day))
                    if now is not None and float(now["fetched_at"]) == float(present[day]["fetched_at"]):
                        rows, end, sums = figures[day]
                        due[day] = from_sums(rows, end, sums, float(now["fetched_at"]))
                if due:
                    self._merge_summaries(source, fingerprint, due)
        except Exception:  # best effort (sqlite errors, diskcache.Timeout behind a busy writer): rows stay
            return 0
        return len(due)

    def summary_stamps(self, source: str, fingerprint: str, days: list[date]) -> dict[date, float | None] | None:
        """The fetch time of each day's summary (None: not cached), or None when a month's stamps
        are missing; what a precomputed check result compares with the days it was computed from."""
        return self._summary_stamps(source, fingerprint, days)

    def precomputed(self, key: str) -> Any:
        """A stored check result (``costctl.monitoring.precomputed``), or None."""
        return self._get(f"check:{FORMAT}:{key}")

    def keep_precomputed(self, key: str, value: Any) -> None:
        """Store a check result; best effort (a busy or full cache only costs the next check time)."""
        with contextlib.suppress(Exception):
            self._db.set(f"check:{FORMAT}:{key}", value, tag="check:")

    def _forget_summary(self, day_key: str) -> None:
        parsed = self._parse_day_key(day_key)
        if parsed is None:
            return
        source, fingerprint, day = parsed
        month_key = self._summary_key(source, fingerprint, day.isoformat()[:7])
        with self._db.transact():
            stored = dict(self._month_summaries(source, fingerprint, day.isoformat()[:7]))
            if stored.pop(day.isoformat(), None) is not None:
                self._db.set(month_key, {"days": stored}, tag=source)
            self._db.delete(self._stamp_key(source, fingerprint, day.isoformat()[:7]))  # read summaries next time

    def _enforce_limit(self) -> None:
        """Keep the Parquet files within ``size_limit``: drop the least recently fetched days."""
        if self.days.size_bytes() <= self.size_limit:
            return
        entries = []
        for key in self._db.iterkeys():
            if isinstance(key, str) and self._parse_day_key(key) is not None:
                entry = self._read(key)
                if entry is not None and entry["files"]:
                    size = sum(_size(self.days.absolute(f)) for f in entry["files"])
                    entries.append((float(entry["fetched_at"]), key, entry["files"], size))
        total = self.days.size_bytes()
        for _fetched, key, files, size in sorted(entries):
            if total <= self.size_limit:
                break
            self._db.delete(key)
            self._forget_summary(key)
            for rel in files:
                with contextlib.suppress(OSError):
                    os.unlink(self.days.absolute(rel))
            total -= size

    @contextmanager
    def lock(self, source: str) -> Iterator[None]:
        """Hold the fetch lock of ``source`` (waits for another process up to lock_timeout)."""
        # An OS file lock (costctl.locks): the kernel frees it when its holder dies.
        from costctl.locks import hold

        with hold(os.path.join(self.directory, "locks"), source, self.lock_timeout):
            yield

    # -- auxiliary values and maintenance ---------------------------------------------------
    def store_view(self, prefix: str) -> _PrefixedStore:
        """A mapping view for Provider.remember (account names, price lists)."""
        return _PrefixedStore(self._db, f"aux:{prefix}:")

    def coverage(self, current: Mapping[str, str] | None = None) -> list[CoverageRow]:
        """Per provider instance: days, date span, rows and fetch ages of what is cached.

        ``current`` maps an instance to its fingerprint today: only those days count (a day cached
        under an older fingerprint, e.g. before the package's demo files changed, is not served
        and would count twice). An instance not in ``current`` (gone from the config) counts each
        day once, from its newest fetch.
        """
        newest: dict[tuple[str, date], dict[str, Any]] = {}
        for key in self._db.iterkeys():
            parsed = self._parse_day_key(key) if isinstance(key, str) else None
            if parsed is None:
                continue
            source, fp, day = parsed
            if current is not None and source in current and current[source] != fp:
                continue
            entry = self._read(key)
            if entry is None:
                continue
            seen = newest.get((source, day))
            if seen is None or float(entry["fetched_at"]) > float(seen["fetched_at"]):
                newest[(source, day)] = entry
        rows: dict[str, CoverageRow] = {}
        for (source, day), entry in newest.items():
            row = rows.setdefault(source, CoverageRow(source, 0, None, None, 0, None, None))
            row.days += 1
            row.first = day if row.first is None else min(row.first, day)
            row.last = day if row.last is None else max(row.last, day)
            row.rows += int(entry["rows"])
            if int(entry["rows"]):
                row.first_data = day if row.first_data is None else min(row.first_data, day)
                row.last_data = day if row.last_data is None else max(row.last_data, day)
            fetched = float(entry["fetched_at"])
            row.oldest_fetch = fetched if row.oldest_fetch is None else min(row.oldest_fetch, fetched)
            row.newest_fetch = fetched if row.newest_fetch is None else max(row.newest_fetch, fetched)
        return sorted(rows.values(), key=lambda r: r.source)

    def size_bytes(self) -> int:
        """The index's volume plus every Parquet file (orphans included: they count until swept)."""
        return int(self._db.volume()) + self.days.size_bytes()

    def entry_count(self) -> int:
        return len(self._db)

    def clear(self, source: str | None = None) -> int:
        """Remove every entry and row file, or only those of one provider instance; return how
        many index entries went."""
        try:
            if source is None:
                removed = int(self._db.clear())
            else:
                removed = int(self._db.evict(source))
                for key in list(self._db.iterkeys()):
                    if isinstance(key, str) and (key.startswith(f"aux:{source}:") or key == f"lock:{source}"):
                        self._db.delete(key)
                        removed += 1
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise damaged(self.directory, exc) from None
            raise CacheError(f"cannot clear the cache at {self.directory}: {exc}") from None
        self.days.remove_source(source)  # files of killed writers and superseded copies go too
        return removed


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _is_duckdb_io(exc: BaseException) -> bool:
    return "duckdb" in type(exc).__module__ and "IO" in type(exc).__name__


def _day_figures(con: Any, days: Any, entry: dict[str, Any]) -> tuple[int, int | None, list[list[Any]]]:
    """Rows, newest end and summed costs of one cached day, read from its files."""
    from costctl.daystore import read_sql, sum_order

    if not entry["files"]:
        return 0, None, []
    found = con.execute(
        "SELECT BillingCurrency, SubAccountId, SubAccountName, ServiceName, fsum(BilledCost), fsum(EffectiveCost), "
        f"count(*), max(epoch(ChargePeriodEnd)) FROM {read_sql([days.absolute(f) for f in entry['files']])} "
        "GROUP BY ALL").fetchall()
    rows, end, sums = 0, None, []
    for currency, account_id, account_name, service, billed, effective, n, newest in found:
        rows += int(n)
        if newest is not None:
            end = int(newest) if end is None else max(end, int(newest))
        sums.append([currency, account_id, account_name, service, float(billed or 0.0), float(effective or 0.0)])
    return rows, end, sorted(sums, key=sum_order)


def is_damage(exc: BaseException) -> bool:
    """True for SQLite's corruption errors ("database disk image is malformed", "file is not a
    database"): plain DatabaseError, unlike locking or permission problems (OperationalError)."""
    return type(exc) is sqlite3.DatabaseError


def damaged(directory: str, exc: BaseException) -> CacheDamagedError:
    return CacheDamagedError(
        f"the cache at {directory} is damaged ({exc}); run `costctl cache clear` to move it aside "
        "and start a new one (or run with --no-cache)", directory, str(exc))


def move_damaged(directory: str, stamp: str) -> str:
    """Move a damaged cache's own files (the SQLite file and diskcache's value folders) into
    ``<directory>/damaged-<stamp>``, keeping them for inspection; return that folder.

    Only diskcache's names and the row files (``rows/``, named by the damaged index) move, so a
    ``cache.path`` shared with other files loses nothing.
    """
    import re

    target = os.path.join(directory, f"damaged-{stamp}")
    os.makedirs(target, exist_ok=False)
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if re.fullmatch(r"cache\.db(-wal|-shm|-journal)?", name) or (
                (re.fullmatch(r"[0-9a-f]{2}", name) or name == "rows") and os.path.isdir(path)):
            os.rename(path, os.path.join(target, name))
    return target


class _PrefixedStore:
    """Minimal MutableMapping-like view of the cache under a key prefix."""

    def __init__(self, db: Any, prefix: str) -> None:
        self._db = db
        self._prefix = prefix

    def get(self, key: str, default: Any = None) -> Any:
        return self._db.get(self._prefix + key, default)

    def __getitem__(self, key: str) -> Any:
        value = self._db.get(self._prefix + key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        with contextlib.suppress(TypeError, ValueError):  # not JSON: the JSON-only cache does not keep it
            self._db.set(self._prefix + key, value, tag=self._prefix.split(":")[1])

    def __delitem__(self, key: str) -> None:
        self._db.delete(self._prefix + key)
