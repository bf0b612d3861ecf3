"""Option decorators and helpers shared by the commands.

One ``output_options`` for every listing (``--format``, ``--output``), one ``source_options``
for every command that reads records (``--provider``, ``--file``, ``--as-of``), one
``range_options`` and one ``filter_options``. ``load_dataset`` turns those options into records.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import IO, Any

import click

from costctl.context import Env
from costctl.errors import UsageError
from costctl.filters import Filters
from costctl.loader import SourceStatus
from costctl.query import Dataset
from costctl.values import Value

pass_env = click.make_pass_decorator(Env)

F = Callable[..., Any]


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func
    return apply


def output_options(default: str = "table") -> Callable[[F], F]:
    return _stack(
        click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default=default,
                     show_default=True, help="Output format: table for people, json/csv for tools."),
        click.option("--output", "-o", "output", type=click.Path(dir_okay=False, writable=True), default=None,
                     help="Write the data to FILE instead of stdout (atomically; an existing file keeps its mode)."),
        follow_symlinks_option,
        click.option("--wide", is_flag=True, expose_value=False, callback=_remember_view,
                     help="Show a table at its full width, every column, whatever the screen's width."),
        click.option("--columns", metavar="KEYS", expose_value=False, callback=_remember_view,
                     help="Only these columns, in this order (comma-separated keys, as in the csv header)."),
    )


def _remember_view(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Leave --wide / --columns where the renderer finds them (``costctl.output.render.View``)."""
    import dataclasses

    from costctl.output.render import VIEW_KEY, View

    if ctx.resilient_parsing:
        return value
    env = ctx.find_object(Env)
    view = ctx.meta.get(VIEW_KEY) or View(note=env.info if env is not None else None)
    if param.name == "wide":
        view = dataclasses.replace(view, wide=bool(value))
    elif value:
        names = tuple(n.strip() for n in str(value).split(",") if n.strip())
        if not names:
            raise click.BadParameter("give at least one column key", ctx=ctx, param=param)
        view = dataclasses.replace(view, columns=names)
    ctx.meta[VIEW_KEY] = view
    return value


source_options = _stack(
    click.option("--provider", "-p", "providers", multiple=True, metavar="NAME",
                 help="Configured provider instance to read (repeatable; default: all)."),
    click.option("--file", "-f", "files", multiple=True, metavar="PATH",
                 help="Read these cost export files directly (repeatable; no config needed)."),
    click.option("--as-of", "as_of", metavar="YYYY-MM-DD", default=None,
                 help="Evaluate relative ranges as if today were this date."),
)

def ranges_with(days_key: str) -> Callable[[F], F]:
    """The range options; ``--days`` defaults to the config key ``days_key`` (and its help says so)."""
    from costctl.config import documented_default

    return _stack(
        click.option("--days", type=int, default=None,
                     help=f"The last N complete days (default {documented_default(days_key)})."),
        click.option("--month", default=None, metavar="YYYY-MM", help="One calendar month."),
        click.option("--start", default=None, metavar="YYYY-MM-DD", help="First day (inclusive)."),
        click.option("--end", default=None, metavar="YYYY-MM-DD", help="Last day (inclusive; default yesterday)."),
    )


range_options = ranges_with("defaults.days")

filter_options = _stack(
    click.option("--account", "accounts", multiple=True, help="Only this account/subscription/project (id or name)."),
    click.option("--service", "services", multiple=True, help="Only this service (exact name, repeatable)."),
    click.option("--region", "regions", multiple=True, help="Only this region (repeatable)."),
    click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Only rows tagged KEY=VALUE (repeatable)."),
)


def apply_as_of(env: Env, as_of: str | None) -> None:
    if as_of:
        from costctl.ranges import parse_date

        env.as_of = parse_date(as_of, "--as-of")


class Loaded(Value):
    """Records plus the range they cover and how each source went.

    With ``--file`` and no range, the range is the files' span, known once the first query has
    read them (``base``: the unfiltered records), so a report reads its file once.
    """

    __slots__ = ("data", "_start", "_end", "statuses", "base", "_fallback", "unfiltered")

    def __init__(self, data: Dataset, start: date | None, end: date | None, statuses: list[SourceStatus],
                 base: Dataset | None = None, fallback: date | None = None, unfiltered: Dataset | None = None) -> None:
        self.data = data
        self.unfiltered = data if unfiltered is None else unfiltered  # the range's rows before --account etc.
        self._start = start
        self._end = end  # exclusive
        self.statuses = statuses
        self.base = base
        self._fallback = fallback

    def _span(self) -> tuple[date, date]:
        span = self.base.span() if self.base is not None else None
        today = self._fallback or date.today()
        return span if span is not None else (today, today)

    @property
    def start(self) -> date:
        return self._start if self._start is not None else self._span()[0]

    @property
    def end(self) -> date:
        return self._end if self._end is not None else self._span()[1]


def load_dataset(env: Env, *, providers: tuple[str, ...], files: tuple[str, ...], start: date | None,
                 end: date | None, filters: Filters | None = None, tolerate_errors: bool = False) -> Loaded:
    """Records for ``[start, end)`` from ``--file`` exports or from provider instances.

    With ``--file`` and no range (start None), the range is the whole span of the files.
    """
    from costctl import loader

    if files:
        base = loader.open_files(files, providers)
        data = base.between(start, end) if start is not None and end is not None else base
        return Loaded(data.filtered(filters), start, end, [], base=base, fallback=env.today(), unfiltered=data)
    if start is None or end is None:
        raise UsageError("a date range is required")
    names = loader.select_sources(env, providers)
    data, statuses = loader.load(env, names, start, end, tolerate_errors=tolerate_errors)
    return Loaded(data=data.filtered(filters), start=start, end=end, statuses=statuses, unfiltered=data)


def load_for_options(env: Env, *, providers: tuple[str, ...], files: tuple[str, ...], days: int | None,
                     month: str | None, start: str | None, end: str | None, filters: Filters | None = None) -> Loaded:
    """``load_dataset`` for the range options: with ``--file`` and no range, the files' whole span."""
    from costctl.ranges import has_range, resolve

    if files and not has_range(days, month, start, end):
        lo = hi = None
    else:
        lo, hi = resolve(env.today(), days=days, month=month, start=start, end=end,
                         default_days=env.config.defaults["days"])
    return load_dataset(env, providers=providers, files=files, start=lo, end=hi, filters=filters)


def explain_empty(env: Env, loaded: Loaded, filters: Filters | None) -> None:
    """Say on stderr why a report has no rows (the exit status stays 0: empty is an answer)."""
    from costctl.explain import why_empty

    for line in why_empty(loaded.start, loaded.end, loaded.unfiltered, filters, _holdings(env, loaded)):
        env.info(line)


def _holdings(env: Env, loaded: Loaded) -> list[tuple[str, date, date]]:
    """(source, first day, last day) of the data there is: the files' span, or the cache index."""
    if loaded.base is not None:
        span = loaded.base.span()
        return [("the files", span[0], span[1] - timedelta(days=1))] if span else []
    cache = env.cache
    if cache is None:
        return []
    from costctl.loader import make_provider

    names = {s.name for s in loaded.statuses}
    current = {n: make_provider(env, n).fingerprint() for n in names}
    return [(r.source, r.first_data, r.last_data) for r in cache.coverage(current)
            if r.source in names and r.first_data is not None and r.last_data is not None]


FOLLOW_SYMLINKS = "costctl.follow_symlinks"


def _remember_follow(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta[FOLLOW_SYMLINKS] = value
    return value


follow_symlinks_option = click.option(
    "--follow-symlinks", is_flag=True, expose_value=False, callback=_remember_follow,
    help="Let --output name a symbolic link and replace the file it points to (refused by default: a link "
         "planted in a shared directory could otherwise make costctl replace any file).")


@contextlib.contextmanager
def output_stream(env: Env, output: str | None, follow_symlinks: bool | None = None) -> Iterator[IO[str]]:
    """stdout, or the ``--output`` file (written whole only when rendering succeeded).

    A regular file is replaced atomically through ``costctl.output.atomic`` (no write through a
    final-component symlink unless ``--follow-symlinks``; the existing file's mode kept); a device
    or FIFO (``/dev/stdout``, a pipe a reader waits on) is written in place.
    """
    if output is None:
        yield env.stdout
        return
    from costctl.output import atomic

    if follow_symlinks is None:
        ctx = click.get_current_context(silent=True)
        follow_symlinks = bool(ctx and ctx.meta.get(FOLLOW_SYMLINKS))
    with atomic.replace(output, follow_symlinks=follow_symlinks) as fh:
        yield fh
