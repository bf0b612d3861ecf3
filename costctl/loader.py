"""Where records come from: provider instances through the cache, or export files directly.

This is the one place that joins providers and the cache: it plans which days to fetch, calls
``Provider.fetch`` for those ranges only, validates each answer at the boundary, stores it, and
returns what the cache holds for the asked range. Nothing downstream calls a provider.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from costctl.errors import ConfigError, CostctlError, ProviderError, UsageError
from costctl.records import Block
from costctl.values import Value

if TYPE_CHECKING:
    import pandas as pd

    from costctl.context import Env
    from costctl.providers.base import Provider


class SourceStatus(Value):
    """How loading one provider instance went (for -v, `check` and the Prometheus export)."""

    __slots__ = ("name", "type", "ok", "error", "fetched", "requests", "bytes_scanned", "rows", "oldest_fetch",
                 "seconds")

    def __init__(self, name: str, type: str, ok: bool = True, error: str | None = None,  # noqa: A002
                 fetched: list[tuple[date, date]] | None = None, requests: int = 0, bytes_scanned: int = 0,
                 rows: int = 0, oldest_fetch: float | None = None, seconds: float = 0.0) -> None:
        self.name, self.type, self.ok, self.error = name, type, ok, error
        self.fetched: list[tuple[date, date]] = fetched if fetched is not None else []  # ranges asked upstream
        self.requests, self.bytes_scanned, self.rows = requests, bytes_scanned, rows
        self.oldest_fetch = oldest_fetch  # epoch seconds of the oldest cached day served
        self.seconds = seconds

    @property
    def served_stale(self) -> bool:
        """True when a refresh failed and older cached data was served instead."""
        return not self.ok and self.rows > 0


class Dataset:
    """Loaded records, as a pandas frame or a plain block, converted on first demand."""

    def __init__(self, block: Block | None = None, frame: pd.DataFrame | None = None) -> None:
        if block is None and frame is None:
            block = Block()
        self._block = block
        self._frame = frame

    def block(self) -> Block:
        if self._block is None:
            assert self._frame is not None
            self._block = Block.from_frame(self._frame)
        return self._block

    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            assert self._block is not None
            self._frame = self._block.to_frame()
        return self._frame

    def __len__(self) -> int:
        return len(self._frame) if self._frame is not None else len(self._block or Block())


def select_sources(env: Env, names: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Validate ``--provider`` names; default: every enabled configured instance."""
    configured = env.config.providers
    if not names:
        chosen = [n for n, s in configured.items() if s.get("enabled", True)]
        if not chosen:
            raise UsageError(
                "no providers are configured; add one to the config (see config.example.yaml), "
                "or use --file PATH or --demo"
            )
        return chosen
    unknown = [n for n in names if n not in configured]
    if unknown:
        known = ", ".join(configured) or "none"
        raise UsageError(f"unknown provider {unknown[0]!r} (configured: {known})")
    return list(dict.fromkeys(names))


def make_provider(env: Env, name: str) -> Provider:
    """Instantiate the configured provider instance ``name``."""
    from costctl.providers import registry

    settings = env.config.providers[name]
    cls = registry.load(settings["type"])
    store = env.cache.store_view(name) if env.cache is not None else None
    return cls(name, settings, store=store)


def _fetch(env: Env, provider: Provider, start: date, end: date) -> Block:
    """One upstream fetch, validated at the boundary and stamped with its source."""
    env.setup_logging()  # providers log retries and warnings; a warm run never gets here
    from costctl import deadline, model

    try:
        # Cut a fetch short a little before the command's deadline, so the command still answers
        # (from the cache, or with this provider's error) within its --timeout.
        with deadline.watch(keep=deadline.reserve()):
            frame = provider.fetch(start, end)
        model.validate(frame)
    except deadline.DeadlineExceeded as exc:
        raise ProviderError(f"{provider.name}: {exc}") from None
    except CostctlError:
        raise
    except Exception as exc:  # an SDK error a provider did not translate: still one line
        raise ProviderError(f"{provider.name}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") \
            from exc
    block = Block.from_frame(frame)
    block.columns["x_Source"] = [provider.name] * len(block)
    return block


def load_source(env: Env, name: str, start: date, end: date,
                tolerate_errors: bool = False) -> tuple[Block, SourceStatus]:
    """Records of one provider instance for ``[start, end)``, through the cache when enabled."""
    from costctl.cache import Freshness

    began = time.monotonic()
    provider = make_provider(env, name)
    status = SourceStatus(name=name, type=provider.type_name)
    # Nothing exists after today: never ask a cloud for future days.
    fetch_end = min(end, env.real_today() + timedelta(days=1))
    cache = env.cache
    block = Block()
    fp = provider.fingerprint() if cache is not None else ""
    entries = None  # the cached days of [start, end), read once when nothing needs fetching
    try:
        if cache is None:
            if start < fetch_end:
                status.fetched.append((start, fetch_end))
                with env.progress(f"{name}: fetching {start} .. {fetch_end - timedelta(days=1)}"):
                    block = _fetch(env, provider, start, fetch_end)
        else:
            from costctl.cache import day_range

            freshness = Freshness(env.real_today(), provider.restatement_days, provider.ttl)
            entries = cache.lookup(name, fp, day_range(start, end))
            if start < fetch_end and cache.plan_entries({d: e for d, e in entries.items() if d < fetch_end},
                                                        freshness, env.refresh):
                entries = None  # stale after the fetch below
                with cache.lock(name):
                    # Another process may have fetched while we waited for the lock.
                    ranges = cache.plan(name, fp, start, fetch_end, freshness, env.refresh)
                    for lo, hi in ranges:
                        status.fetched.append((lo, hi))
                        what = f"{name}: fetching {lo} .. {hi - timedelta(days=1)}"
                        env.verbose(what, 2)
                        with env.progress(what):
                            block = _fetch(env, provider, lo, hi)
                        cache.store(name, fp, lo, hi, block)
    except (ProviderError, ConfigError) as exc:
        # Name the instance: with two AWS payers, "AccessDenied" alone does not say which one.
        message = str(exc) if str(exc).startswith(f"{name}: ") else f"{name}: {exc}"
        status.ok, status.error = False, message
        if not tolerate_errors and cache is None:
            raise type(exc)(message) from exc
    finally:
        status.requests = provider.stats.requests
        status.bytes_scanned = provider.stats.bytes_scanned
        provider.close()
    if cache is not None:
        if entries is None:
            from costctl.cache import day_range

            entries = cache.lookup(name, fp, day_range(start, end))
        block, missing, status.oldest_fetch = cache.join(entries)
        cache.backfill_summaries(name, fp, entries)  # so the next warm `check` reads summaries only
        if not status.ok and not tolerate_errors:
            if len(block) == 0 or [d for d in missing if d < fetch_end]:
                raise ProviderError(status.error or f"{name}: fetch failed")
            env.info(f"warning: {status.error}; using cached data")
    status.rows = len(block)
    status.seconds = time.monotonic() - began
    env.verbose(
        f"{name}: {status.rows} rows, {status.requests} upstream request(s)"
        + (f", {status.bytes_scanned} bytes scanned" if status.bytes_scanned else "")
        + (f", fetched {', '.join(f'{a}..{b - timedelta(days=1)}' for a, b in status.fetched)}"
           if status.fetched else ", all from cache")
    )
    return block, status


def load_summaries(env: Env, name: str, start: date,
                   end: date) -> tuple[dict[date, dict[str, Any]], SourceStatus] | None:
    """The cached day summaries of ``[start, end)`` when every day that can exist is cached and
    fresh; None when anything would have to be fetched (then ``load_source`` does the work).

    This is ``check``'s warm path: one cache read per month instead of one per day, and no rows.
    """
    from costctl.cache import Freshness, day_range

    cache = env.cache
    if cache is None or env.refresh:
        return None
    began = time.monotonic()
    provider = make_provider(env, name)
    try:
        fp = provider.fingerprint()
        freshness = Freshness(env.real_today(), provider.restatement_days, provider.ttl)
        fetch_end = min(end, env.real_today() + timedelta(days=1))
        summaries = cache.summaries(name, fp, day_range(start, end))
        if any(not cache.is_fresh(s, d, freshness) for d, s in summaries.items() if d < fetch_end):
            return None
    finally:
        provider.close()
    found = {d: s for d, s in summaries.items() if s is not None}
    status = SourceStatus(name=name, type=provider.type_name, rows=sum(int(s["rows"]) for s in found.values()),
                          oldest_fetch=min((float(s["fetched_at"]) for s in found.values()), default=None),
                          seconds=time.monotonic() - began)
    env.verbose(f"{name}: {status.rows} rows, 0 upstream request(s), all from cache (day summaries)")
    return found, status


def load(env: Env, names: list[str], start: date, end: date,
         tolerate_errors: bool = False) -> tuple[Dataset, list[SourceStatus]]:
    """Records of several provider instances for ``[start, end)``."""
    blocks, statuses = [], []
    for name in names:
        block, status = load_source(env, name, start, end, tolerate_errors)
        blocks.append(block)
        statuses.append(status)
    return Dataset(block=Block.concat(blocks)), statuses


def load_files(paths: list[str] | tuple[str, ...], start: date | None = None,
               end: date | None = None) -> tuple[Dataset, date | None, date | None]:
    """Records of export files given with ``--file`` (no config, no cache).

    Returns the dataset restricted to ``[start, end)`` when given, and the span of the data
    (first day, day after the last) so callers can default to "the whole file".
    """
    import pandas as pd

    from costctl.providers.files import FilesProvider

    provider = FilesProvider("files", {"paths": list(paths)})
    frame = provider.read_all()
    frame["x_Source"] = pd.Series("files", index=frame.index, dtype="string")
    if len(frame) == 0:
        return Dataset(frame=frame), None, None
    first = frame["ChargePeriodStart"].min().date()
    last = frame["ChargePeriodStart"].max().date() + timedelta(days=1)
    if start is not None and end is not None:
        lo, hi = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")
        frame = frame.loc[(frame["ChargePeriodStart"] >= lo) & (frame["ChargePeriodStart"] < hi)].reset_index(drop=True)
    return Dataset(frame=frame), first, last
