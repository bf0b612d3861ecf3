"""The run environment passed to every command: config, cache, streams, clock, verbosity.

Commands receive one ``Env`` (click's ``make_pass_decorator``) instead of reaching for globals,
so tests can swap the clock, the streams and the config directory. ``--as-of`` changes only
``today()`` (what "the last N days" and "the latest complete day" mean); cache freshness always
follows the real calendar, because restatement happens in real time.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

from costctl.config import Config, build, default_cache_dir, load_config
from costctl.errors import UsageError

if TYPE_CHECKING:
    from costctl.cache import CostCache



def _utc_now() -> datetime:
    return datetime.now(UTC)


class Env:
    """Everything a command needs from the outside world.

    A plain class, not a dataclass: every run defines it, and generating dataclass methods is a
    visible share of a warm ``check``'s start-up.
    """

    def __init__(self, config_path: str | None = None, demo: bool = False, use_cache: bool = True,
                 refresh: bool = False, verbosity: int = 0, quiet: bool = False, debug: bool = False,
                 environ: Mapping[str, str] | None = None, stdout: IO[str] | None = None,
                 stderr: IO[str] | None = None, clock: Callable[[], datetime] = _utc_now,
                 as_of: date | None = None) -> None:
        self.config_path = config_path
        self.demo = demo
        self.use_cache = use_cache
        self.refresh = refresh
        self.verbosity = verbosity
        self.quiet = quiet
        self.debug = debug
        self.environ: Mapping[str, str] = dict(os.environ) if environ is None else environ
        self.stdout: IO[str] = sys.stdout if stdout is None else stdout
        self.stderr: IO[str] = sys.stderr if stderr is None else stderr
        self.clock = clock
        self.as_of = as_of
        self._logging_ready = False
        # Set to a list by whoever must know which cached days a computation read (a precomputed
        # check result is valid only while those days are unchanged: costctl.monitoring.precomputed).
        self.loads: list[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"Env(config_path={self.config_path!r}, demo={self.demo}, as_of={self.as_of})"

    def setup_logging(self) -> None:
        """Route log records (provider warnings, -v details) to stderr as ``costctl: name: message``.

        Done once, and only when something may log: importing ``logging`` costs ~10 ms, an eighth
        of a warm ``check``, which answers from the cache without ever logging.
        """
        if self._logging_ready:
            return
        self._logging_ready = True
        import logging

        level = (logging.DEBUG if self.debug or self.verbosity >= 3 else logging.INFO if self.verbosity
                 else logging.WARNING)
        if self.quiet:
            level = logging.ERROR
        from costctl.redact import log_formatter

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(log_formatter("costctl: %(name)s: %(message)s"))
        logging.basicConfig(level=level, handlers=[handler], force=True)
        for noisy in ("botocore", "boto3", "urllib3", "azure", "google"):
            logging.getLogger(noisy).setLevel(max(level, logging.WARNING))

    def real_today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def today(self) -> date:
        """The date relative ranges are computed from (``--as-of`` when given; for the demo with
        ``$COSTCTL_DEMO_ANCHOR``, that day, so a report reads as it did then)."""
        return self.as_of or self.demo_anchor or self.real_today()

    @cached_property
    def demo_anchor(self) -> date | None:
        """``$COSTCTL_DEMO_ANCHOR`` with ``--demo``: the demo data ends the day before it (docs, screenshots)."""
        text = self.environ.get("COSTCTL_DEMO_ANCHOR") if self.demo else None
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise UsageError(f"COSTCTL_DEMO_ANCHOR: expected a date YYYY-MM-DD, got {text!r}; "
                             "unset it to end the demo data yesterday") from None

    @cached_property
    def config(self) -> Config:
        from costctl import redact

        redact.remember_environment(self.environ)  # SDKs read these themselves and may echo them
        if self.demo:
            from costctl.demo import demo_providers

            anchor = self.demo_anchor.isoformat() if self.demo_anchor else None
            if not self.config_path:  # the usual case: validate the demo config once
                return build({"providers": demo_providers(anchor)})
            cfg = load_config(self.config_path, self.environ)
            raw = dict(cfg.data)
            raw["providers"] = demo_providers(anchor)
            return build(raw, cfg.path)
        return load_config(self.config_path, self.environ)

    @cached_property
    def cache(self) -> CostCache | None:
        """The disk cache, or None with --no-cache or ``cache.enabled: false``."""
        from costctl.cache import CostCache

        settings = self.config.cache
        if not self.use_cache or not settings["enabled"]:
            return None
        directory = settings["path"] or str(default_cache_dir(self.environ))
        return CostCache(
            directory=os.path.expanduser(directory),
            size_limit_mb=settings["size_limit_mb"],
            lock_timeout=settings["lock_timeout"],
            clock=lambda: self.clock().timestamp(),
        )

    @property
    def stderr_is_tty(self) -> bool:
        isatty: Any = getattr(self.stderr, "isatty", None)
        return bool(isatty and isatty())

    @contextlib.contextmanager
    def progress(self, message: str) -> Iterator[None]:
        """A spinner on stderr while slow work runs, only when a person watches a terminal.

        Cron jobs and monitoring systems get nothing: their stderr is not a TTY.
        """
        if self.quiet or not self.stderr_is_tty:
            yield
            return
        from rich.console import Console

        with Console(file=self.stderr).status(message):
            yield

    def info(self, message: str) -> None:
        """A progress/diagnostic line on stderr (hidden by -q), secrets masked."""
        if not self.quiet:
            from costctl import redact

            print(f"costctl: {redact.text(message)}", file=self.stderr)

    def verbose(self, message: str, level: int = 1) -> None:
        if self.verbosity >= level and not self.quiet:
            from costctl import redact

            print(f"costctl: {redact.text(message)}", file=self.stderr)
