"""The plugin output format: ``COSTCTL STATE - text | perfdata`` then long output lines.

Only this module knows the textual shape a Nagios/Icinga core parses. ``|`` separates the text
from perfdata on every line, so it is never allowed in the text itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from costctl.monitoring.perfdata import Perfdata, render
from costctl.monitoring.state import State

SERVICE = "COSTCTL"


def clean(text: str) -> str:
    """One line without the perfdata separator and without secrets (a provider's error may quote a
    signed URL; the monitoring system stores and mails this text)."""
    from costctl import redact

    return " ".join(redact.text(text).replace("|", "/").split())


def status_output(state: State, text: str, perfdata: Sequence[Perfdata] = (),
                  long_output: Sequence[str] = ()) -> str:
    """The full plugin output, newline-terminated."""
    first = f"{SERVICE} {state.name} - {clean(text)}"
    if perfdata:
        first += f" | {render(perfdata)}"
    lines = [first, *(clean(line) for line in long_output if line.strip())]
    return "\n".join(lines) + "\n"


def unknown_output(reason: str) -> str:
    """The line for a fault that stops the check before any provider was judged."""
    return status_output(State.UNKNOWN, reason)
