"""Acknowledgements and the register of reported anomalies, kept beside the cache.

``costctl anomalies ack ID`` must work without re-running detection, so every run records what
it reported (id -> day, group, kind) in ``seen.json``; an acknowledgement copies the group from
there. An ack without ``until`` silences that one anomaly; with ``until`` it silences every
anomaly of the same group from its day through ``until`` (a planned migration that will look
odd for a while). Files are small JSON, replaced atomically, so a crashed run never leaves half
a file behind.

A file that is not JSON, or JSON of the wrong shape (hand-edited, written by another tool), is a
one-line ``CacheError`` naming the file and the fix; it is never rewritten or skipped silently.
``acks.json`` is the user's own decisions, so its fix is to repair it (deleting it drops every
acknowledgement). ``seen.json`` is only a register rebuilt by every run, so its fix is to delete
it (ids reported before then cannot be acknowledged until they are reported again); it is still
not overwritten automatically, so nothing the user might want to inspect disappears.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from costctl.analysis.anomalies import Anomaly
from costctl.errors import CacheError, UsageError

SEEN_KEEP_DAYS = 400  # forget reported anomalies older than this (they cannot come back)


@dataclass
class Ack:
    """An accepted anomaly (or, with ``until``, an accepted period of one group)."""

    id: str
    date: str
    group: dict[str, str | None]
    currency: str | None
    until: str | None
    note: str | None
    created: str

    def covers(self, anomaly: Anomaly) -> bool:
        if anomaly.id == self.id:
            return True
        if self.until is None or anomaly.group != self.group or anomaly.currency != self.currency:
            return False
        return self.date <= anomaly.date.isoformat() <= self.until


START_AFRESH = "delete the file to start afresh"
REPAIR_ACKS = ("repair it (a list of acknowledgements as `costctl anomalies ack` writes them) or move it aside "
               "to start without acknowledgements")


def read_json(path: Path, default: Any, shape: Callable[[Any], None] | None = None, fix: str = START_AFRESH) -> Any:
    """The JSON in ``path`` (``default`` when missing); ``shape`` raises ValueError saying what is off.

    Unreadable, non-JSON and wrong-shape files are all a CacheError naming the file and ``fix``.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
    except ValueError as exc:
        raise CacheError(f"cannot read {path}: {exc}; {fix}") from None
    except OSError as exc:
        raise CacheError(f"cannot read {path}: {exc.strerror or type(exc).__name__}; check that it is a readable "
                         "file") from None
    if shape is not None:
        try:
            shape(data)
        except ValueError as exc:
            raise CacheError(f"cannot read {path}: {exc}; {fix}") from None
    return data


def kind_of(value: Any) -> str:
    """``a list``, ``a number``... for shape messages (never the value: it could be long)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _is_group(value: Any) -> bool:
    return isinstance(value, dict) and all(v is None or isinstance(v, str) for v in value.values())


def _optional_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


_ACK_FIELDS = tuple(f.name for f in fields(Ack))
_ACK_TYPES: dict[str, Callable[[Any], bool]] = {
    "id": lambda v: isinstance(v, str), "date": lambda v: isinstance(v, str), "group": _is_group,
    "currency": _optional_str, "until": _optional_str, "note": _optional_str,
    "created": lambda v: isinstance(v, str),
}


def check_records(data: Any, plural: str, singular: str, types: dict[str, Callable[[Any], bool]]) -> None:
    """A state file's list of objects with exactly the fields of ``types``, each value passing its test.

    Shared by the acknowledgements and the idle ignores, so both reject a hand-edited file the same
    way, naming the entry and the field (ValueError; the reader turns it into a one-line error).
    """
    if not isinstance(data, list):
        raise ValueError(f"expected a list of {plural}, got {kind_of(data)}")
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise ValueError(f"{singular} {n} is {kind_of(item)}, expected an object")
        missing = [k for k in types if k not in item]
        if missing:
            raise ValueError(f"{singular} {n} lacks {', '.join(map(repr, missing))}")
        unknown = sorted(str(k) for k in item if k not in types)
        if unknown:
            raise ValueError(f"{singular} {n} has unknown key {unknown[0]!r}")
        bad = next((k for k in types if not types[k](item[k])), None)
        if bad is not None:
            raise ValueError(f"{singular} {n}: {bad!r} is {kind_of(item[bad])}")


def check_acks(data: Any) -> None:
    """``acks.json``: a list of objects with exactly the fields of ``Ack``."""
    check_records(data, "acknowledgements", "acknowledgement", {k: _ACK_TYPES[k] for k in _ACK_FIELDS})


def check_seen(data: Any) -> None:
    """``seen.json``: anomaly id -> {date, group, currency, kind}."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object of anomaly id -> anomaly, got {kind_of(data)}")
    for key, item in data.items():
        if not isinstance(item, dict):
            raise ValueError(f"anomaly {key!r} is {kind_of(item)}, expected an object")
        if not isinstance(item.get("date"), str) or not _is_group(item.get("group")) \
                or not _optional_str(item.get("currency")):
            raise ValueError(f"anomaly {key!r} lacks a valid 'date', 'group' or 'currency'")


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same directory, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class AnomalyStore:
    """``acks.json`` and ``seen.json`` in one directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.acks_path = self.directory / "acks.json"
        self.seen_path = self.directory / "seen.json"

    def acks(self) -> list[Ack]:
        return [Ack(**item) for item in read_json(self.acks_path, [], check_acks, REPAIR_ACKS)]

    def remember(self, anomalies: list[Anomaly], today: date) -> None:
        """Record reported anomalies so that ``ack ID`` can find their group later."""
        seen = read_json(self.seen_path, {}, check_seen)
        horizon = (today - timedelta(days=SEEN_KEEP_DAYS)).isoformat()
        seen = {k: v for k, v in seen.items() if v.get("date", "") >= horizon}
        for a in anomalies:
            seen[a.id] = {"date": a.date.isoformat(), "group": a.group, "currency": a.currency, "kind": a.kind}
        write_json(self.seen_path, seen)

    def acknowledge(self, anomaly_id: str, today: date, until: date | None = None, note: str | None = None) -> Ack:
        seen = read_json(self.seen_path, {}, check_seen)
        if anomaly_id not in seen:
            raise UsageError(f"no reported anomaly has id {anomaly_id!r}; run `costctl anomalies` to list ids")
        item = seen[anomaly_id]
        if until is not None and until.isoformat() < item["date"]:
            raise UsageError(f"--until {until} is before the anomaly's day {item['date']}")
        ack = Ack(id=anomaly_id, date=item["date"], group=item["group"], currency=item["currency"],
                  until=until.isoformat() if until else None, note=note, created=today.isoformat())
        acks = [a for a in self.acks() if a.id != anomaly_id] + [ack]
        write_json(self.acks_path, [asdict(a) for a in acks])
        return ack

    def unacknowledge(self, anomaly_id: str) -> bool:
        acks = self.acks()
        kept = [a for a in acks if a.id != anomaly_id]
        if len(kept) == len(acks):
            return False
        write_json(self.acks_path, [asdict(a) for a in kept])
        return True

    def mark(self, anomalies: list[Anomaly]) -> None:
        """Set ``acknowledged`` on every anomaly an ack covers."""
        acks = self.acks()
        for a in anomalies:
            a.acknowledged = any(ack.covers(a) for ack in acks)
