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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

from costctl.config import Config, build, default_cache_dir, load_config

if TYPE_CHECKING:
    from costctl.cache import CostCache



@dataclass
class Env:
    """Everything a command needs from the outside world."""

    config_path: str | None = None
    demo: bool = False
    use_cache: bool = True
    refresh: bool = False
    verbosity: int = 0
    quiet: bool = False
    debug: bool = False
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    as_of: date | None = None
    _logging_ready: bool = field(default=False, repr=False)

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
        logging.basicConfig(level=level, format="costctl: %(name)s: %(message)s", stream=sys.stderr, force=True)
        for noisy in ("botocore", "boto3", "urllib3", "azure", "google"):
            logging.getLogger(noisy).setLevel(max(level, logging.WARNING))

    def real_today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def today(self) -> date:
        """The date relative ranges are computed from (``--as-of`` when given)."""
        return self.as_of or self.real_today()

    @cached_property
    def config(self) -> Config:
        if self.demo:
            from costctl.demo import demo_providers

            cfg = load_config(self.config_path, self.environ) if self.config_path else build({})
            raw = dict(cfg.data)
            raw["providers"] = demo_providers()
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
        """A progress/diagnostic line on stderr (hidden by -q)."""
        if not self.quiet:
            print(f"costctl: {message}", file=self.stderr)

    def verbose(self, message: str, level: int = 1) -> None:
        if self.verbosity >= level and not self.quiet:
            print(f"costctl: {message}", file=self.stderr)
