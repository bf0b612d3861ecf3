"""Which anomaly ids each channel has already been sent, so a repeated cron run stays quiet."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from costctl.analysis.anomaly_store import kind_of, read_json, write_json

KEEP_DAYS = 400

FIX = "delete the file to start afresh (its channels may then repeat items they were already sent)"


def check_notified(data: Any) -> None:
    """``notified.json``: channel name -> {key -> ISO day}."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object of channel name -> sent items, got {kind_of(data)}")
    for channel, items in data.items():
        if not isinstance(items, dict):
            raise ValueError(f"channel {channel!r} is {kind_of(items)}, expected an object of id -> day")
        bad = next((k for k, v in items.items() if not isinstance(v, str)), None)
        if bad is not None:
            raise ValueError(f"channel {channel!r}: the day of {bad!r} is {kind_of(items[bad])}, expected a date")


class NotifiedState:
    """``notified.json``: channel name -> {anomaly id (or budget alert key) -> day}.

    Only a record of what was delivered, but not disposable: a damaged or wrong-shape file is a
    one-line CacheError (``check`` runs it before any output), never reset silently, because
    starting afresh re-sends every item still pending to every channel. The user decides.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / "notified.json"

    def _read(self) -> dict[str, dict[str, str]]:
        return read_json(self.path, {}, check_notified, FIX)

    def check(self) -> None:
        """Raise the CacheError of a damaged file now (before a command prints its report)."""
        self._read()

    def sent(self, channel: str) -> set[str]:
        return set(self._read().get(channel, {}))

    def entries(self, channel: str) -> dict[str, str]:
        """Key -> remembered day (for PagerDuty: its open incidents)."""
        return dict(self._read().get(channel, {}))

    def record(self, channel: str, items: dict[str, str], today: date) -> None:
        """Add ``items`` (id -> ISO day) for ``channel``; forget entries older than KEEP_DAYS."""
        self.update(channel, items, (), today)

    def update(self, channel: str, items: dict[str, str], gone: Iterable[str], today: date) -> None:
        """Add ``items``, drop the keys in ``gone`` (resolved incidents), in one write."""
        data = self._read()
        horizon = (today - timedelta(days=KEEP_DAYS)).isoformat()
        dropped = set(gone)
        entries = {k: v for k, v in data.get(channel, {}).items() if v >= horizon and k not in dropped}
        entries.update(items)
        data[channel] = entries
        write_json(self.path, data)
