"""Disk cache of normalized records, per provider instance and per day.

Why per day: a Nagios check every five minutes must never ask a cloud again for days it already
holds (Cost Explorer bills every request), while the last few days must be asked again because
clouds restate them. A day older than the provider's restatement window is kept until evicted;
a day inside it (or today) expires ``ttl`` seconds after it was fetched. ``plan`` turns the days a
request lacks into as few contiguous ``[start, end)`` ranges as possible.

Beside each day's rows the cache keeps the day's summary (``costctl.daysummary``), grouped in
one entry per provider instance and month, written in the same transaction as the rows. A warm
``check`` reads only those, and reads the days' rows when one is missing (a cache written before
summaries existed, an evicted entry). Every command that reads a range of rows from the cache
rewrites the summaries that are missing or disagree with them (``backfill_summaries``).

Values are stored as plain-Python column blocks (``costctl.records``) so reading the cache needs
neither pandas nor numpy. diskcache is SQLite-backed and safe across processes; a per-provider
lock keeps two costctl processes from fetching the same provider at the same time.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from costctl.daysummary import is_summary, summarize
from costctl.errors import CacheDamagedError, CacheError
from costctl.records import Block
from costctl.values import Value

EPOCH = date(1970, 1, 1)
FORMAT = 1  # bump when the stored value layout changes; old entries are then ignored


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

    __slots__ = ("source", "days", "first", "last", "rows", "oldest_fetch", "newest_fetch")

    def __init__(self, source: str, days: int = 0, first: date | None = None, last: date | None = None,
                 rows: int = 0, oldest_fetch: float | None = None, newest_fetch: float | None = None) -> None:
        self.source, self.days, self.first, self.last, self.rows = source, days, first, last, rows
        self.oldest_fetch, self.newest_fetch = oldest_fetch, newest_fetch


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

        self.directory = os.fspath(directory)
        self.lock_timeout = lock_timeout
        self.clock = clock
        try:
            os.makedirs(self.directory, exist_ok=True)
            self._db = diskcache.Cache(self.directory, size_limit=size_limit_mb * 1024 * 1024,
                                       eviction_policy="least-recently-stored", tag_index=True)
        except (OSError, sqlite3.Error) as exc:
            if is_damage(exc):
                raise damaged(self.directory, exc) from None
            raise CacheError(
                f"cannot open the cache at {self.directory}: {exc}; fix its permissions, "
                "set cache.path in the config, or run with --no-cache"
            ) from None

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
    def _parse_day_key(key: str) -> tuple[str, str, date] | None:
        parts = key.split(":")
        if len(parts) != 5 or parts[0] != "day" or parts[1] != str(FORMAT):
            return None
        try:
            return parts[2], parts[3], date.fromisoformat(parts[4])
        except ValueError:
            return None

    # -- reading ------------------------------------------------------------------------------
    def _get(self, key: str) -> Any:
        try:
            return self._db.get(key)
        except Exception as exc:  # sqlite errors, and unpickling garbage raises nearly anything
            if is_damage(exc):
                raise damaged(self.directory, exc) from None
            raise CacheError(f"the cache at {self.directory} is unreadable ({exc}); run: costctl cache clear") from None

    def _read(self, key: str) -> dict[str, Any] | None:
        value = self._get(key)
        if not (isinstance(value, dict) and isinstance(value.get("fetched_at"), int | float)
                and isinstance(value.get("columns"), dict)):
            return None  # absent, foreign or damaged entry: treat as missing, it will be re-fetched
        return value

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
        """The stored entry of each day (None when absent)."""
        return {day: self._read(self._day_key(source, fingerprint, day)) for day in days}

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

    @staticmethod
    def join(entries: dict[date, dict[str, Any] | None]) -> tuple[Block, list[date], float | None]:
        """Rows of the given entries, the days without an entry, and the oldest fetch time."""
        present = [Block(e["columns"]) for e in entries.values() if e is not None]
        missing = [d for d, e in entries.items() if e is None]
        fetched = [float(e["fetched_at"]) for e in entries.values() if e is not None]
        return Block.concat(present), missing, (min(fetched) if fetched else None)

    # -- writing ------------------------------------------------------------------------------
    def store(self, source: str, fingerprint: str, start: date, end: date, block: Block) -> None:
        """Store a fetched ``[start, end)`` range, one entry per day (empty days included).

        Rows are assigned to the UTC day of ChargePeriodStart. Every day of the range is written
        in one transaction, so a crash leaves either the old days or the new ones, never a mix.
        """
        by_day: dict[date, list[int]] = {d: [] for d in day_range(start, end)}
        for i, ts in enumerate(block.columns["ChargePeriodStart"]):
            day = EPOCH + timedelta(days=ts // 86400) if ts is not None else None
            if day in by_day:
                by_day[day].append(i)
        now = self.clock()
        try:
            with self._db.transact():
                summaries = {}
                for day, rows in by_day.items():
                    columns = block.take(rows).columns
                    self._db.set(self._day_key(source, fingerprint, day), {"fetched_at": now, "columns": columns},
                                 tag=source)
                    summaries[day] = summarize(columns, now)
                self._merge_summaries(source, fingerprint, summaries)
        except (sqlite3.Error, OSError) as exc:
            raise CacheError(f"cannot write the cache at {self.directory}: {exc}; check free disk space") from None

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

    def backfill_summaries(self, source: str, fingerprint: str, entries: dict[date, dict[str, Any] | None]) -> int:
        """Rewrite the summaries that are missing or disagree with cached day entries (read by
        ``lookup``); return how many were written.

        A summary belongs to the rows fetched at the same moment (``store`` stamps both with one
        ``fetched_at``). One that is missing (a cache written before summaries existed, an evicted
        month entry) or carries another ``fetched_at`` (rows rewritten by a costctl that kept no
        summaries, e.g. an older release sharing the cache) is rebuilt from the rows, so the next
        warm ``check`` answers what ``costs`` answers. Inside the write transaction each day entry
        is read again: a day re-fetched or cleared (``cache clear``) since ``entries`` was read is
        left alone, so a backfill never brings back data the operator removed. A failed write is
        not an error: the rows stay, and the next command that reads them tries again.
        """
        present = {d: e for d, e in entries.items() if e is not None}
        have = self.summaries(source, fingerprint, list(present))
        stale = [d for d, s in have.items()
                 if s is None or float(s["fetched_at"]) != float(present[d]["fetched_at"])]
        if not stale:
            return 0
        try:
            with self._db.transact():
                due = {}
                for day in stale:
                    now = self._read(self._day_key(source, fingerprint, day))
                    if now is not None and float(now["fetched_at"]) == float(present[day]["fetched_at"]):
                        due[day] = summarize(now["columns"], float(now["fetched_at"]))
                if due:
                    self._merge_summaries(source, fingerprint, due)
        except Exception:  # best effort (sqlite errors, diskcache.Timeout behind a busy writer): rows stay
            return 0
        return len(due)

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

    def coverage(self) -> list[CoverageRow]:
        """Per provider instance: days, date span, rows and fetch ages of what is cached."""
        rows: dict[str, CoverageRow] = {}
        for key in self._db.iterkeys():
            parsed = self._parse_day_key(key) if isinstance(key, str) else None
            if parsed is None:
                continue
            source, _fp, day = parsed
            entry = self._read(key)
            if entry is None:
                continue
            row = rows.setdefault(source, CoverageRow(source, 0, None, None, 0, None, None))
            row.days += 1
            row.first = day if row.first is None else min(row.first, day)
            row.last = day if row.last is None else max(row.last, day)
            row.rows += len(entry["columns"].get("ChargePeriodStart", []))
            fetched = float(entry["fetched_at"])
            row.oldest_fetch = fetched if row.oldest_fetch is None else min(row.oldest_fetch, fetched)
            row.newest_fetch = fetched if row.newest_fetch is None else max(row.newest_fetch, fetched)
        return sorted(rows.values(), key=lambda r: r.source)

    def size_bytes(self) -> int:
        return int(self._db.volume())

    def entry_count(self) -> int:
        return len(self._db)

    def clear(self, source: str | None = None) -> int:
        """Remove every entry, or only those of one provider instance; return how many."""
        try:
            if source is None:
                return int(self._db.clear())
            removed = int(self._db.evict(source))
            for key in list(self._db.iterkeys()):
                if isinstance(key, str) and (key.startswith(f"aux:{source}:") or key == f"lock:{source}"):
                    self._db.delete(key)
                    removed += 1
            return removed
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise damaged(self.directory, exc) from None
            raise CacheError(f"cannot clear the cache at {self.directory}: {exc}") from None


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

    Only diskcache's names move, so a ``cache.path`` shared with other files loses nothing.
    """
    import re

    target = os.path.join(directory, f"damaged-{stamp}")
    os.makedirs(target, exist_ok=False)
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if re.fullmatch(r"cache\.db(-wal|-shm|-journal)?", name) or (
                re.fullmatch(r"[0-9a-f]{2}", name) and os.path.isdir(path)):
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
        self._db.set(self._prefix + key, value, tag=self._prefix.split(":")[1])

    def __delitem__(self, key: str) -> None:
        self._db.delete(self._prefix + key)
