"""Where records come from: provider instances through the cache, or export files directly.

This is the one place that joins providers and the cache: it plans which days to fetch, calls
the provider for those ranges only, validates each answer at the boundary, stores it, and
returns the asked range as a ``costctl.query.Dataset`` over the cached Parquet days (or over the
fetched rows with ``--no-cache``). Nothing downstream calls a provider, and nothing here reads a
row into Python: rows go from the provider's answer (or the ingest engine's streamed read of an
export) to Parquet inside DuckDB.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from costctl.errors import ConfigError, CostctlError, ExportFormatError, ProviderError, SchemaError, UsageError
from costctl.query import Dataset
from costctl.values import Value

if TYPE_CHECKING:
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
        import difflib

        known = ", ".join(configured) or "none"
        near = difflib.get_close_matches(unknown[0], list(configured), n=1, cutoff=0.5)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise UsageError(f"unknown provider {unknown[0]!r} (configured: {known}){hint}")
    return list(dict.fromkeys(names))


def make_provider(env: Env, name: str) -> Provider:
    """Instantiate the configured provider instance ``name``."""
    from costctl.providers import registry

    settings = env.config.providers[name]
    cls = registry.load(settings["type"])
    store = env.cache.store_view(name) if env.cache is not None else None
    return cls(name, settings, store=store)


def _fetch(env: Env, provider: Provider, start: date, end: date) -> tuple[str, int | None]:
    """One upstream fetch, validated at the boundary, as a SQL source stamped with its instance,
    and its row count when known without reading it again.

    A provider that reads exports itself (``fetch_sql``: the ``files`` provider) gives a query the
    ingest engine validates while it streams; any other provider gives a pandas frame, checked
    by ``model.validate`` and registered with DuckDB as an Arrow table.
    """
    env.setup_logging()  # providers log retries and warnings; a warm run never gets here
    from costctl import deadline
    from costctl.duck import literal

    try:
        fetch_sql = getattr(provider, "fetch_sql", None)
        rows = None
        # Cut a fetch short a little before the command's deadline, so the command still answers
        # (from the cache, or with this provider's error) within its --timeout.
        with deadline.watch(keep=deadline.reserve()):
            if fetch_sql is not None:
                source = fetch_sql(start, end)
            else:
                from costctl import model

                frame = provider.fetch(start, end)
                model.validate(frame)
                source, rows = Dataset.from_frame(frame).source, len(frame)
    except deadline.DeadlineExceeded as exc:
        raise ProviderError(f"{provider.name}: {exc}") from None
    except (SchemaError, ExportFormatError) as exc:
        raise rejected(provider.name, exc) from exc
    except CostctlError:
        raise
    except Exception as exc:  # an SDK error a provider did not translate: still one line
        if deadline.swallowed(exc) is not None:  # the fetch's deadline, swallowed by a DuckDB query
            raise ProviderError(f"{provider.name}: {deadline.swallowed(exc)}") from None
        raise ProviderError(f"{provider.name}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") \
            from exc
    return f"(SELECT * REPLACE ({literal(provider.name)} AS x_Source) FROM {source})", rows


def rejected(name: str, exc: SchemaError | ExportFormatError) -> ProviderError:
    """A bad record (a NaN amount, a broken export) as this provider's failed fetch: named, nothing
    cached, and in a multi-provider check or export only this provider's result is lost."""
    what = "answer rejected, nothing cached: " if isinstance(exc, SchemaError) else ""
    return ProviderError(f"{name}: {what}{' '.join(str(exc).split())}")


def _store(cache: Any, name: str, fp: str, lo: date, hi: date, source: str, whole: bool) -> None:
    """Write a fetched range; the export is read (and its values checked) while DuckDB writes,
    so a bad value found then is this provider's failed fetch too, and nothing is cached."""
    from costctl import deadline
    from costctl.duck import connect
    from costctl.query import translate

    try:
        with deadline.watch(keep=deadline.reserve()):
            cache.store(connect(), f"SELECT * FROM {source}", name, fp, lo, hi, keep_all_days=whole)
    except deadline.DeadlineExceeded as exc:
        raise ProviderError(f"{name}: {exc}") from None
    except (SchemaError, ExportFormatError) as exc:
        raise rejected(name, exc) from exc
    except CostctlError:
        raise
    except Exception as exc:
        if deadline.swallowed(exc) is not None:  # the store's deadline, swallowed by a DuckDB query
            raise ProviderError(f"{name}: {deadline.swallowed(exc)}") from None
        error = translate(exc)
        if error is None:
            raise
        if isinstance(error, ExportFormatError):
            raise rejected(name, error) from exc
        raise error from exc


def load_source(env: Env, name: str, start: date, end: date,
                tolerate_errors: bool = False) -> tuple[Dataset, SourceStatus]:
    """Records of one provider instance for ``[start, end)``, through the cache when enabled."""
    from costctl.cache import Freshness, day_range
    from costctl.duck import connect

    began = time.monotonic()
    provider = make_provider(env, name)
    status = SourceStatus(name=name, type=provider.type_name)
    # Nothing exists after today: never ask a cloud for future days.
    fetch_end = min(end, env.real_today() + timedelta(days=1))
    cache = env.cache
    data = Dataset.empty()
    fp = provider.fingerprint() if cache is not None else ""
    entries = None  # the cached days of [start, end), read once when nothing needs fetching
    try:
        if cache is None:
            if start < fetch_end:
                status.fetched.append((start, fetch_end))
                with env.progress(f"{name}: fetching {start} .. {fetch_end - timedelta(days=1)}"):
                    source, fetched_rows = _fetch(env, provider, start, fetch_end)
                    data = Dataset(source).between(start, fetch_end)
                    try:  # counting reads a streamed export: a broken one fails here, as this provider's
                        status.rows = fetched_rows if fetched_rows is not None else data.count()
                    except ExportFormatError as exc:
                        raise rejected(name, exc) from exc
        else:
            freshness = Freshness(env.real_today(), provider.restatement_days, provider.ttl)
            entries = cache.lookup(name, fp, day_range(start, end))
            if start < fetch_end and cache.plan_entries({d: e for d, e in entries.items() if d < fetch_end},
                                                        freshness, env.refresh):
                entries = None  # stale after the fetch below
                with cache.lock(name):
                    # Another process may have fetched while we waited for the lock.
                    ranges = cache.plan(name, fp, start, fetch_end, freshness, env.refresh)
                    whole = getattr(provider, "reads_whole_source", False)
                    if whole and ranges:  # one read serves every day the source holds: cache them all
                        ranges = [(ranges[0][0], ranges[-1][1])]
                    for lo, hi in ranges:
                        status.fetched.append((lo, hi))
                        what = f"{name}: fetching {lo} .. {hi - timedelta(days=1)}"
                        env.verbose(what, 2)
                        with env.progress(what):
                            source, _rows = _fetch(env, provider, lo, hi)
                            _store(cache, name, fp, lo, hi, source, whole)
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
            entries = cache.lookup(name, fp, day_range(start, end))
        present = [e for e in entries.values() if e is not None]
        missing = [d for d, e in entries.items() if e is None]
        status.oldest_fetch = min((float(e["fetched_at"]) for e in present), default=None)
        files = cache.files_of(entries)
        from costctl.daystore import read_sql

        data = Dataset(read_sql(files)) if files else Dataset.empty()
        status.rows = sum(int(e["rows"]) for e in present)
        if env.loads is not None:  # what was read, for a precomputed result's validity
            env.loads.append({"source": name, "fingerprint": fp, "start": start.isoformat(), "end": end.isoformat(),
                              "ok": status.ok, "stamps": {d.isoformat(): None if e is None else float(e["fetched_at"])
                                                          for d, e in entries.items()}})
        if files:
            cache.backfill_summaries(connect(), name, fp, entries)  # so the next warm `check` reads summaries
        if not status.ok and not tolerate_errors:
            if status.rows == 0 or [d for d in missing if d < fetch_end]:
                raise ProviderError(status.error or f"{name}: fetch failed")
            env.info(f"warning: {status.error}; using cached data")
    status.seconds = time.monotonic() - began
    env.verbose(
        f"{name}: {status.rows} rows, {status.requests} upstream request(s)"
        + (f", {status.bytes_scanned} bytes scanned" if status.bytes_scanned else "")
        + (f", fetched {', '.join(f'{a}..{b - timedelta(days=1)}' for a, b in status.fetched)}"
           if status.fetched else ", all from cache")
    )
    return data, status


def newest_cached(env: Env, name: str) -> int | None:
    """Epoch end of the newest data cached for instance ``name`` under its current fingerprint."""
    cache = env.cache
    if cache is None:
        return None
    try:
        return cache.newest_end(name, make_provider(env, name).fingerprint())
    except (CostctlError, OSError):  # a hint for a message: never the reason a check fails
        return None


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
    parts, statuses = [], []
    for name in names:
        data, status = load_source(env, name, start, end, tolerate_errors)
        parts.append(data)
        statuses.append(status)
    return Dataset.union(parts), statuses


def open_files(paths: list[str] | tuple[str, ...], providers: tuple[str, ...] = ()) -> Dataset:
    """Records of export files given with ``--file`` (no config, no cache), read lazily: the
    ingest engine streams the files once per query the command makes. The ``files`` provider comes
    from the registry like any other, so this cross-cloud module names no provider's module.
    ``providers`` are the command's ``--provider`` values: files replace them, so any is a usage error."""
    if providers:
        raise UsageError("--file and --provider cannot be combined")
    from costctl.duck import literal
    from costctl.providers import registry

    provider = registry.load("files")("files", {"paths": list(paths)})
    source = provider.scan_sql()
    return Dataset(f"(SELECT * REPLACE ({literal('files')} AS x_Source) FROM {source})")


def load_files(paths: list[str] | tuple[str, ...], start: date | None = None,
               end: date | None = None, providers: tuple[str, ...] = ()) -> tuple[Dataset, date | None, date | None]:
    """Records of export files given with ``--file``, restricted to ``[start, end)`` when given,
    and the span of the data (first day, day after the last) so callers can default to "the
    whole file"."""
    data = open_files(paths, providers)
    span = data.span()
    if span is None:
        return Dataset.empty(), None, None
    if start is not None and end is not None:
        data = data.between(start, end)
    return data, span[0], span[1]
