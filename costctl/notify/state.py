"""Which anomaly ids each channel has already been sent, so a repeated cron run stays quiet."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from costctl.analysis.anomaly_store import read_json, write_json

KEEP_DAYS = 400


class NotifiedState:
    """``notified.json``: channel name -> {anomaly id -> anomaly day}."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / "notified.json"

    def sent(self, channel: str) -> set[str]:
        return set(read_json(self.path, {}).get(channel, {}))

    def record(self, channel: str, items: dict[str, str], today: date) -> None:
        """Add ``items`` (id -> ISO day) for ``channel``; forget entries older than KEEP_DAYS."""
        data = read_json(self.path, {})
        horizon = (today - timedelta(days=KEEP_DAYS)).isoformat()
        entries = {k: v for k, v in data.get(channel, {}).items() if v >= horizon}
        entries.update(items)
        data[channel] = entries
        write_json(self.path, data)
