"""Where one scan unit runs: provider instance, account, region, clock and thresholds.

Every check of every cloud receives one ``Scope``; it carries "now" so tests can scan as if weeks
had passed (clouds stamp resources with the real time when a test creates them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from costctl.idle.thresholds import Thresholds


@dataclass(frozen=True)
class Scope:
    provider: str
    account: str
    region: str
    now: datetime
    limits: Thresholds

    def age_days(self, when: datetime | None) -> float | None:
        """Days between ``when`` and now (None when the cloud gave no time)."""
        if when is None:
            return None
        return (self.now - when).total_seconds() / 86400
