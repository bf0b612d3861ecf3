"""``costctl report``: a weekly or monthly digest for people, printed, written, or sent once."""

from __future__ import annotations

import click

from costctl.commands.common import apply_as_of, follow_symlinks_option, output_stream, pass_env
from costctl.config import documented_default
from costctl.context import Env

FORMATS = ("markdown", "html", "text")


@click.command(short_help="Weekly or monthly cost digest for people, sent once.")
@click.option("--period", type=click.Choice(["week", "month"]), default="week", show_default=True,
              help="week: the last 7 complete days against the 7 before; month: the month through yesterday "
                   "against the same days of the month before.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="markdown", show_default=True,
              help="markdown for chat tools, html for mail and browsers (self-contained), text for a terminal.")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the report to FILE instead of stdout (atomically).")
@follow_symlinks_option
@click.option("--provider", "-p", "providers", multiple=True, metavar="NAME",
              help="Configured provider instance to include (repeatable; default: all).")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", default=None,
              help="Make the report as if today were this date.")
@click.option("--metric", type=click.Choice(["billed", "effective"]), default=None,
              help=f"billed or effective (amortized) cost (default {documented_default('defaults.metric')}).")
@click.option("--notify", "notify", multiple=True, metavar="NAME",
              help="Also send the report to this email/slack/webhook channel of notifications: (repeatable), "
                   "once per calendar week or month of the run day.")
@click.option("--force", is_flag=True, help="With --notify: send even if this period's report was sent already.")
@pass_env
def report(env: Env, period: str, fmt: str, output: str | None, providers: tuple[str, ...], as_of: str | None,
           metric: str | None, notify: tuple[str, ...], force: bool) -> None:
    """A digest for people: spend and change against the previous period, top movers by service and
    account, open anomalies with their cause, budgets at risk, idle savings and data freshness.

    \b
    Examples:
      costctl --demo report
      costctl --demo report --period week --format html -o report.html
      costctl report --period month --format text
      costctl -q report --period week --notify team-mail   # from cron: sent once a week
    """
    from costctl.analysis import digest as core
    from costctl.errors import UsageError
    from costctl.output import digest_html, digest_text

    apply_as_of(env, as_of)
    if force and not notify:
        raise UsageError("--force needs --notify NAME")
    channels = env.config.section("notifications") or {}
    if notify:  # a bad channel name or a damaged state file fails before the report is made
        from costctl.notify.digest import check_channels
        from costctl.notify.state import NotifiedState
        from costctl.statedir import state_dir

        check_channels(channels, notify)
        NotifiedState(state_dir(env)).check()
    made = core.build(env, period, providers, metric or env.config.defaults["metric"])
    render = {"markdown": digest_text.markdown, "html": digest_html.html, "text": digest_text.text}[fmt]
    with output_stream(env, output) as stream:
        stream.write(render(made))
    if notify:
        from costctl.notify.digest import notice, send_once, sent_key

        message = notice(made, digest_text.markdown(made), digest_html.html(made))
        sent = send_once(channels, list(notify), made, message, NotifiedState(state_dir(env)), env.real_today(),
                         force)
        for name, count in sent.items():
            env.info(f"notified {name}: {sent_key(made)}" if count else
                     f"not notified {name}: {sent_key(made)} was sent already (--force sends it again)")
