"""A third-party-style provider plugin used by the tests.

It is installed into a temporary ``*.dist-info`` on sys.path by the ``fake_plugin`` fixture, so
the tests exercise the same entry-point discovery a real plugin package uses. Every fetch is
appended to a JSON-lines log so tests can assert exactly which ranges were asked upstream.

It is also the minimal third-party idle scanner docs/providers.md shows: an instance configured
with ``idle_disks`` offers the ``idle_scanner()`` capability, and ``costctl idle`` reports each of
those disks as unattached, priced from the cost records or at ``idle_disk_cost`` a month.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date, timedelta
from typing import ClassVar

from costctl.errors import ProviderError
from costctl.idle.findings import Finding
from costctl.idle.scanner import ScanRequest
from costctl.providers.base import AuthResult, Provider
from costctl.schema import Field


class FakeIdleScanner:
    """The fake cloud's idle scan: every disk named in ``idle_disks`` is unattached."""

    checks = frozenset({"disk_unattached"})

    def scan(self, request: ScanRequest) -> list[Finding]:
        from costctl.idle import savings

        cost = float(request.settings.get("idle_disk_cost", 20.0))
        found = [Finding(request.name, "111", "eu-1", disk, "fake:disk", "disk_unattached",
                         "unattached fake disk", "snapshot if needed, then delete", action="delete",
                         price_hints={"kind": "monthly", "amount": cost})
                 for disk in request.settings.get("idle_disks") or []]
        request.reporter.start(request.name, 1)
        request.reporter.advance(request.name, "eu-1")
        return savings.price(found, request.costs, None)


class FakeProvider(Provider):
    type_name: ClassVar[str] = "fake"
    description: ClassVar[str] = "deterministic test provider"
    fields: ClassVar[dict[str, Field]] = {
        "log": Field("str", required=True, help="file that records every fetch"),
        "daily_cost": Field("float", default=10.0),
        "delay": Field("float", default=0.0),
        # Block SIGALRM during the delay: a wait no alarm can interrupt (a stuck C call).
        "uninterruptible": Field("bool", default=False),
        "fail": Field("bool", default=False),
        "token": Field("str", default=None, secret=True),
        "currency": Field("str", default="USD"),
        # A cloud answering a NaN amount: "mapper" lets normalize reject it, "frame" returns it unvalidated.
        "bad_amount": Field("str", default=None, choices=("mapper", "frame")),
        "bad_amount_if": Field("str", default=None, help="only while this file exists (same settings, same cache)"),
        # The idle capability, offered only by instances that list disks (the others stay unscannable).
        "idle_disks": Field("list", default=list, items="str", help="unattached disks the idle scan reports"),
        "idle_disk_cost": Field("float", default=20.0, help="list price a month of each idle disk"),
    }

    def idle_scanner(self) -> FakeIdleScanner | None:
        return FakeIdleScanner() if self.settings.get("idle_disks") else None

    def fetch(self, start: date, end: date, granularity: str = "daily"):
        if self.settings["uninterruptible"]:
            import signal

            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        import pandas as pd

        from costctl import model

        self.stats.requests += 1
        with open(self.settings["log"], "a") as fh:
            fh.write(json.dumps({"start": start.isoformat(), "end": end.isoformat(), "pid": os.getpid(),
                                 "t": time.time()}) + "\n")
        if self.settings["delay"]:
            time.sleep(self.settings["delay"])
        if self.settings["fail"]:
            raise ProviderError(f"{self.name}: the fake cloud is down; try again later")
        rows = []
        day = start
        while day < end:
            for service, share, team in (("Compute", 1.0, "web"), ("Storage", 0.5, None)):
                rows.append({
                    "ChargePeriodStart": pd.Timestamp(day, tz="UTC"),
                    "ChargePeriodEnd": pd.Timestamp(day + timedelta(days=1), tz="UTC"),
                    "BilledCost": self.settings["daily_cost"] * share,
                    "EffectiveCost": self.settings["daily_cost"] * share * 0.9,
                    "BillingCurrency": self.settings["currency"],
                    "ProviderName": "FakeCloud",
                    "SubAccountId": "111",
                    "SubAccountName": "prod",
                    "ServiceName": service,
                    "RegionId": "eu-1",
                    "ChargeCategory": "Usage",
                    "Tags": {"team": team} if team else {},
                })
            day += timedelta(days=1)
        if not rows:
            return model.empty_frame()
        trigger = self.settings.get("bad_amount_if")
        if self.settings.get("bad_amount") and (not trigger or os.path.exists(trigger)):
            rows[0]["BilledCost"] = float("nan")
            if self.settings["bad_amount"] == "frame":
                frame = model.normalize(pd.DataFrame(rows).fillna({"BilledCost": 0.0}))
                frame.loc[0, "BilledCost"] = float("nan")
                return frame
        return model.normalize(pd.DataFrame(rows))

    def test_auth(self) -> AuthResult:
        return AuthResult(ok=not self.settings["fail"], identity="fake-user",
                          checks=[("fake api", not self.settings["fail"], "answers")])
