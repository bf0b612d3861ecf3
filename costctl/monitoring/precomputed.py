"""Precomputed check results: ``anomalies``, ``budget`` and ``idle`` answered without pandas.

Those periods compute over rows (frame-based anomaly detection, budget scopes over tags, the
idle scan's per-resource costs), which costs a pandas/DuckDB import, ~10x what a warm ``day``
check needs. Their results change only when their inputs do, so the heavy path (a check that
had to compute, or ``costctl cache warm`` from cron) stores what it found in the cache, and a
later check with the same request reads it back, re-checks that every input is unchanged, and
only judges it against its own ``-w``/``-c``.

What a stored result is valid for, all compared exactly (a mismatch means: compute again, so a
stale result is never an answer):

* the request (period and the options the facts depend on), the whole effective config (by a
  digest: the cache never holds its secrets), the day it describes (``today``) and the real
  calendar day (freshness and the registers follow it);
* every cached day the computation read, per provider instance and fingerprint: each must still
  be fresh (else the heavy path would fetch it again) and carry the fetch time it had then, read
  from the cache's small per-month stamp entries (no rows, no day summaries);
* the state files the result depends on (acknowledgements, the anomaly register, idle ignores),
  by size, modification time and CRC-32;
* an expiry for what the cache does not hold (an idle scan of real cloud APIs: the providers' ttl).

Nothing is stored when a provider failed to load: that answer must be retried, not kept.
"""

from __future__ import annotations

import json
import os
import zlib
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from costctl.errors import CostctlError

if TYPE_CHECKING:
    from costctl.context import Env

VERSION = 1  # bump when the facts of a period change shape: older results are then ignored


def state_path(env: Env, name: str) -> str:
    """A file of ``costctl.statedir.state_dir`` without importing pathlib (a check's start-up budget)."""
    from costctl.config import default_cache_dir

    base = env.config.cache["path"] or default_cache_dir(env.environ)
    return os.path.join(os.path.expanduser(base), "anomalies", name)


def file_signature(path: str) -> list[Any] | None:
    """(size, mtime_ns, crc32) of a file, None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
            stat = os.fstat(handle.fileno())
    except FileNotFoundError:
        return None
    except OSError:
        return ["unreadable"]  # never equal to a signature a computation recorded
    return [stat.st_size, stat.st_mtime_ns, zlib.crc32(data)]


def _config_digest(env: Env) -> list[int]:
    """Length, CRC-32 and Adler-32 of the effective config as JSON: any edit changes it, and unlike
    the text it holds no secret (the config's credentials would otherwise sit in the cache file).
    Not hashlib: importing it costs a warm check ~3 ms."""
    data = json.dumps(env.config.data, sort_keys=True, default=str, separators=(",", ":")).encode()
    return [len(data), zlib.crc32(data), zlib.adler32(data)]


def _key(period: str, request: str) -> str:
    return f"{period}:{zlib.crc32(request.encode()):08x}"


def request_text(period: str, env: Env, **options: Any) -> str:
    """The request a result answers, as stable text: period, demo, ``--as-of`` and the options."""
    return json.dumps([VERSION, period, env.demo, env.as_of.isoformat() if env.as_of else None, options],
                      sort_keys=True, default=str, separators=(",", ":"))


def begin(env: Env, inputs: tuple[str, ...] = ()) -> dict[str, Any]:
    """Start recording which cached days the computation reads (``costctl.loader`` appends them);
    return the signatures of the state files it is about to read, for ``store``."""
    env.loads = []
    return {path: file_signature(path) for path in inputs}


def store(env: Env, period: str, request: str, facts: Any, inputs: dict[str, Any], outputs: tuple[str, ...] = (),
          lifetime: float | None = None) -> bool:
    """Keep ``facts`` for the next check of ``request``; False when they must not be kept.

    ``inputs`` (from ``begin``) must be unchanged now: an acknowledgement written while the
    result was computed may or may not be in it. ``outputs`` are files the computation itself
    wrote (the anomaly register): their signature is taken now.
    """
    cache, loads = env.cache, env.loads
    env.loads = None
    if cache is None or loads is None or any(not load["ok"] for load in loads):
        return False
    if any(file_signature(path) != sig for path, sig in inputs.items()):
        return False
    now = env.clock().timestamp()
    files = {**inputs, **{path: file_signature(path) for path in outputs}}
    value = {"request": request, "config": _config_digest(env), "today": env.today().isoformat(),
             "real_today": env.real_today().isoformat(), "loads": loads, "files": files,
             "expires": None if lifetime is None else now + lifetime, "facts": facts}
    cache.keep_precomputed(_key(period, request), value)
    return True


def lookup(env: Env, period: str, request: str) -> Any:
    """The stored facts of ``request`` when every input is unchanged, else None."""
    cache = env.cache
    if cache is None or env.refresh:
        return None
    try:
        value = cache.precomputed(_key(period, request))
        if not (isinstance(value, dict) and value.get("request") == request and "facts" in value
                and value.get("today") == env.today().isoformat()
                and value.get("real_today") == env.real_today().isoformat()):
            return None
        expires = value.get("expires")
        if expires is not None and not (isinstance(expires, int | float) and env.clock().timestamp() < expires):
            return None
        files = value.get("files")
        if not isinstance(files, dict) or any(file_signature(p) != sig for p, sig in files.items()):
            return None
        if value.get("config") != _config_digest(env) or not _loads_unchanged(env, value.get("loads")):
            return None
    except CostctlError:  # a damaged or unreadable cache: the heavy path says what is wrong
        return None
    return value["facts"]


def _loads_unchanged(env: Env, loads: Any) -> bool:
    """True when every day each load read is still cached, fresh, and fetched when it was."""
    from costctl import loader
    from costctl.cache import Freshness, day_range

    if not isinstance(loads, list):
        return False
    cache = env.cache
    assert cache is not None
    fingerprints: dict[str, Any] = {}
    for load in loads:
        if not isinstance(load, dict) or not isinstance(load.get("stamps"), dict):
            return False
        name = load.get("source")
        if name not in env.config.providers:
            return False
        if name not in fingerprints:
            provider = loader.make_provider(env, name)
            try:
                fingerprints[name] = (provider.fingerprint(), provider.restatement_days, provider.ttl)
            finally:
                provider.close()
        fingerprint, restatement_days, ttl = fingerprints[name]
        if load.get("fingerprint") != fingerprint:
            return False
        try:
            start, end = date.fromisoformat(load["start"]), date.fromisoformat(load["end"])
        except (KeyError, TypeError, ValueError):
            return False
        stamps = cache.summary_stamps(name, fingerprint, day_range(start, end))
        if stamps is None or {d.isoformat(): s for d, s in stamps.items()} != load["stamps"]:
            return False
        freshness = Freshness(env.real_today(), restatement_days, ttl)
        fetch_end = min(end, env.real_today() + timedelta(days=1))
        for day, stamp in stamps.items():
            if day < fetch_end and not cache.is_fresh(None if stamp is None else {"fetched_at": stamp}, day,
                                                      freshness):
                return False
    return True


def outcome_facts(outcome: Any) -> dict[str, Any]:
    """A whole Outcome as builtins (for a period whose answer has no thresholds of its own: budget)."""
    return {"state": int(outcome.state), "text": outcome.text, "long_output": list(outcome.long_output),
            "perfdata": [[p.label, p.value, p.uom, p.warn, p.crit, p.min, p.max, p.decimals] for p in outcome.perfdata]}


def outcome_of(facts: dict[str, Any]) -> Any:
    """The Outcome ``outcome_facts`` stored."""
    from costctl.monitoring.perfdata import Perfdata
    from costctl.monitoring.state import State
    from costctl.monitoring.summary import Outcome

    return Outcome(State(facts["state"]), facts["text"], [Perfdata(*p) for p in facts["perfdata"]],
                   list(facts["long_output"]))
