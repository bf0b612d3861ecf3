"""Notification channels for ``costctl anomalies --notify NAME`` and ``costctl budgets --notify NAME``.

Channels are named under ``notifications:`` in the config: a Slack-compatible incoming webhook
(``type: slack`` or ``type: webhook``) and SMTP email (``type: email``). Senders take a
``message.Notice``; ``dispatch.deliver`` sends each channel only what it has not been sent yet
(``NotifiedState``), so a cron job can run every hour without repeating itself. Secrets (webhook
URLs, SMTP passwords) come from the config or the environment and never appear in messages,
errors or logs.
"""

from __future__ import annotations

from costctl.errors import CostctlError


class NotifyError(CostctlError):
    """A notification could not be delivered (the anomalies are still printed)."""
