"""Acknowledgements and the register of reported anomalies, kept beside the cache.

``costctl anomalies ack ID`` must work without re-running detection, so every run records what
it reported (id -> day, group, kind) in ``seen.json``; an acknowledgement copies the group from
there. An ack without ``until`` silences that one anomaly; with ``until`` it silences every
anomaly of the same group from its day through ``until`` (a planned migration that will look
odd for a while). Files are small JSON, replaced atomically, so a crashed run never leaves half
a file behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
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


def read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        raise CacheError(f"cannot read {path}: {exc}; delete the file to start afresh") from None


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
        return [Ack(**item) for item in read_json(self.acks_path, [])]

    def remember(self, anomalies: list[Anomaly], today: date) -> None:
        """Record reported anomalies so that ``ack ID`` can find their group later."""
        seen = read_json(self.seen_path, {})
        horizon = (today - timedelta(days=SEEN_KEEP_DAYS)).isoformat()
        seen = {k: v for k, v in seen.items() if v.get("date", "") >= horizon}
        for a in anomalies:
            seen[a.id] = {"date": a.date.isoformat(), "group": a.group, "currency": a.currency, "kind": a.kind}
        write_json(self.seen_path, seen)

    def acknowledge(self, anomaly_id: str, today: date, until: date | None = None, note: str | None = None) -> Ack:
        seen = read_json(self.seen_path, {})
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
