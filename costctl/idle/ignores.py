"""Silenced idle findings: ``costctl idle ignore`` decisions and ``idle.exclude_tags``.

An idle resource you decided to keep (a standby disk, a reserved IP) would otherwise hold
``check --period idle`` at WARNING forever. Two ways to silence it, both applied by
``costctl.idle.run.run`` so that ``idle``, ``check --period idle`` and the Prometheus exporter
agree:

- an *ignore* of one finding (its ``id``: provider, resource and check), optionally ``until`` a
  day (inclusive); an expired ignore stops applying but stays listed until ``unignore``;
- ``idle.exclude_tags`` in the config: a resource carrying one of those tags (value compared
  without case; ``"*"`` or an empty value matches any value) is never reported.

Files live beside the anomaly acks (``costctl.statedir``), not in the cache database, so
``cache clear`` keeps them: ``idle_ignores.json`` (the user's decisions) and ``idle_seen.json``
(the register of reported findings, so ``ignore ID`` works without a new scan). A damaged file is
a one-line ``StateFileError`` naming the file and the fix (exit 2; UNKNOWN inside ``check``); it
is never rewritten.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costctl.errors import CacheError, ExitStatus, UsageError

if TYPE_CHECKING:
    from costctl.idle.findings import Finding

SEEN_KEEP_DAYS = 400

REPAIR_IGNORES = ("repair it (a list of ignores as `costctl idle ignore` writes them) or move it aside to start "
                  "without ignores")
REPAIR_SEEN = "delete it (findings reported before then can be ignored once `costctl idle` lists them again)"


class StateFileError(CacheError):
    """A state file (ignores, seen findings) is damaged: the user repairs it, costctl never rewrites it."""

    exit_status = ExitStatus.USAGE


def finding_id(provider: str, resource_id: str, check: str) -> str:
    """Stable id of one check on one resource: the same finding keeps its id across runs."""
    text = "\x1f".join((provider, resource_id.lower(), check))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


@dataclass
class Ignore:
    """A decision to keep one flagged resource (for one check) out of reports."""

    id: str
    provider: str
    resource_id: str
    check: str
    until: str | None  # last day it applies (ISO, inclusive); None: until `unignore`
    reason: str | None
    created: str

    def active(self, today: date) -> bool:
        return self.until is None or today.isoformat() <= self.until


_FIELDS = tuple(f.name for f in fields(Ignore))
_OPTIONAL = {"until", "reason"}


def _kind(value: Any) -> str:
    from costctl.analysis.anomaly_store import kind_of

    return kind_of(value)


def check_ignores(data: Any) -> None:
    """``idle_ignores.json``: a list of objects with exactly the fields of ``Ignore``."""
    from costctl.analysis.anomaly_store import check_records

    def text(optional: bool) -> Callable[[Any], bool]:
        return lambda v: isinstance(v, str) or (optional and v is None)

    check_records(data, "ignores", "ignore", {k: text(k in _OPTIONAL) for k in _FIELDS})
    for n, item in enumerate(data, 1):
        if item["until"] is not None:
            try:
                date.fromisoformat(item["until"])
            except ValueError:
                raise ValueError(f"ignore {n}: 'until' is not a YYYY-MM-DD date") from None


def check_seen(data: Any) -> None:
    """``idle_seen.json``: finding id -> {provider, resource_id, check, date}."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object of finding id -> finding, got {_kind(data)}")
    for key, item in data.items():
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str)
                                                 for k in ("provider", "resource_id", "check", "date")):
            raise ValueError(f"finding {key!r} lacks a valid 'provider', 'resource_id', 'check' or 'date'")


def _read(path: Path, default: Any, shape: Callable[[Any], None], fix: str) -> Any:
    from costctl.analysis.anomaly_store import read_json

    try:
        return read_json(path, default, shape, fix)
    except CacheError as exc:
        raise StateFileError(str(exc)) from None


class IgnoreStore:
    """``idle_ignores.json`` and ``idle_seen.json`` in the state directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.ignores_path = self.directory / "idle_ignores.json"
        self.seen_path = self.directory / "idle_seen.json"

    def ignores(self) -> list[Ignore]:
        return [Ignore(**item) for item in _read(self.ignores_path, [], check_ignores, REPAIR_IGNORES)]

    def check(self) -> None:
        """Raise the StateFileError of a damaged file now (before a command prints anything)."""
        self.ignores()
        _read(self.seen_path, {}, check_seen, REPAIR_SEEN)

    def remember(self, findings: Iterable[Finding], today: date) -> None:
        """Record reported findings so that ``ignore ID`` can name their resource later."""
        from costctl.analysis.anomaly_store import write_json

        seen = _read(self.seen_path, {}, check_seen, REPAIR_SEEN)
        horizon = (today - timedelta(days=SEEN_KEEP_DAYS)).isoformat()
        seen = {k: v for k, v in seen.items() if v["date"] >= horizon}
        for f in findings:
            seen[f.id] = {"provider": f.provider, "resource_id": f.resource_id, "check": f.check,
                          "date": today.isoformat()}
        write_json(self.seen_path, seen)

    def ignore(self, finding: str, today: date, until: date | None = None, reason: str | None = None) -> Ignore:
        """Ignore a reported finding, by its id (or by its resource id when that names one finding)."""
        from costctl.analysis.anomaly_store import write_json

        if until is not None and until < today:
            raise UsageError(f"--until {until} is in the past; give today or a later day")
        seen = _read(self.seen_path, {}, check_seen, REPAIR_SEEN)
        fid = _resolve(finding, seen)
        item = seen[fid]
        done = Ignore(id=fid, provider=item["provider"], resource_id=item["resource_id"], check=item["check"],
                      until=until.isoformat() if until else None, reason=reason, created=today.isoformat())
        kept = [i for i in self.ignores() if i.id != fid] + [done]
        write_json(self.ignores_path, [asdict(i) for i in kept])
        return done

    def unignore(self, finding: str) -> Ignore | None:
        from costctl.analysis.anomaly_store import write_json

        ignores = self.ignores()
        gone = next((i for i in ignores if finding in (i.id, i.resource_id)), None)
        if gone is None:
            return None
        write_json(self.ignores_path, [asdict(i) for i in ignores if i is not gone])
        return gone


def _resolve(finding: str, seen: Mapping[str, Any]) -> str:
    if finding in seen:
        return finding
    matches = [k for k, v in seen.items() if v["resource_id"].lower() == finding.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        checks = ", ".join(f"{k} ({seen[k]['check']})" for k in matches)
        raise UsageError(f"resource {finding!r} has several findings: {checks}; give one finding id")
    raise UsageError(f"no reported idle finding has id {finding!r}; run `costctl idle` to list ids")


def excluded_by_tags(tags: Mapping[str, str], exclude: Mapping[str, Any]) -> bool:
    """Whether a resource's tags match ``idle.exclude_tags`` (any one pair is enough)."""
    for key, wanted in exclude.items():
        if key not in tags:
            continue
        if wanted is None or str(wanted) in ("", "*") or str(tags[key]).lower() == str(wanted).lower():
            return True
    return False


def is_silenced(finding: Finding, ignores: Iterable[Ignore], exclude_tags: Mapping[str, Any], today: date) -> bool:
    """Whether ``finding`` is kept out of reports: an active ignore or an excluding tag.

    The one rule every consumer of idle findings applies (``idle``, ``check --period idle``,
    the metrics exporter).
    """
    if excluded_by_tags(finding.tags, exclude_tags):
        return True
    return any(i.id == finding.id and i.active(today) for i in ignores)


def silence(findings: list[Finding], ignores: list[Ignore], exclude_tags: Mapping[str, Any],
            today: date) -> tuple[list[Finding], list[Finding]]:
    """(reported, silenced) findings."""
    kept: list[Finding] = []
    quiet: list[Finding] = []
    for f in findings:
        (quiet if is_silenced(f, ignores, exclude_tags, today) else kept).append(f)
    return kept, quiet
