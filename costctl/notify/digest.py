"""``costctl report --notify NAME``: the digest through the email and webhook channels, once per period.

A report is meant to be read once a week or month, but cron runs it on a schedule that may fire
again (a retry, a second host, a daily job): each channel remembers the period key it was sent
(``report:week:2026-W49``) in the notification state beside the acknowledgements
(``notified.json`` in ``costctl.statedir``), and a rerun in the same period sends nothing unless
``--force``. Chat channels (slack, webhook) get the markdown; email gets the markdown as its
text part and the HTML page as its alternative. PagerDuty pages about conditions, not reports, so
a pagerduty channel is refused.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from costctl.errors import UsageError
from costctl.notify.message import Notice

if TYPE_CHECKING:
    from costctl.analysis.digest import Digest
    from costctl.notify.state import NotifiedState


def sent_key(digest: Digest) -> str:
    return f"report:{digest.period}:{digest.key}"


def check_channels(channels: dict[str, dict[str, Any]], names: tuple[str, ...] | list[str]) -> None:
    """UsageError for an unknown channel, an unusable one, or a pagerduty channel (before any work)."""
    from costctl.notify.dispatch import check_names

    check_names(channels, names)
    paging = [n for n in names if channels[n]["type"] == "pagerduty"]
    if paging:
        raise UsageError(f"--notify {paging[0]}: a pagerduty channel takes alerts, not reports; name an email, "
                         "slack or webhook channel")


def notice(digest: Digest, markdown: str, html: str) -> Notice:
    totals = "; ".join(f"{t.cost:,.2f} {t.currency or ''}".rstrip() for t in digest.totals) or "no spend"
    record = {"period": digest.period, "key": digest.key, "start": digest.start.isoformat(),
              "end": digest.end.isoformat(), "metric": digest.metric,
              "totals": [{"currency": t.currency, "cost": t.cost, "previous_cost": t.previous, "delta": t.delta,
                          "delta_pct": t.pct} for t in digest.totals],
              "open_anomalies": len(digest.anomalies), "budgets_at_risk": len(digest.budgets)}
    severity = "high" if digest.budgets or any(a.severity in ("high", "critical") for a in digest.anomalies) else "low"
    return Notice(f"{digest.title}: {totals}", markdown.rstrip("\n").split("\n"), severity, {"report": record}, html)


def send_once(channels: dict[str, dict[str, Any]], names: list[str], digest: Digest, message: Notice,
              state: NotifiedState, today: date, force: bool = False) -> dict[str, int]:
    """Send ``message`` to each channel not yet sent this period's digest (every one with ``force``);
    returns 1 per channel it went to, 0 per channel that already had it."""
    from costctl.notify.dispatch import deliver

    key = sent_key(digest)

    def source(_name: str, _settings: dict[str, Any], sent: set[str]) -> tuple[Notice, dict[str, str]] | None:
        if key in sent and not force:
            return None
        return message, {key: today.isoformat()}

    check_channels(channels, names)
    return deliver(channels, names, source, state, today)
