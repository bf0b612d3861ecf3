"""The ``costctl`` command line: global options, sub-commands, and the one error handler.

Data goes to stdout, diagnostics to stderr. Every error a user can cause or meet ends as one line
``costctl: error: ...`` and a documented exit status (2 usage/config, 1 runtime); a traceback only
with ``--debug``. ``check`` has its own Nagios-style handling (exit 3 UNKNOWN).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from collections.abc import Iterator, Sequence

import click

from costctl import __version__
from costctl.context import Env
from costctl.deadline import DeadlineExceeded
from costctl.errors import CostctlError, ExitStatus, UsageError

# Sub-command name -> "module:attribute". Modules are imported only when their command runs
# (or for --help), so `costctl check` does not pay for importing every other command.
COMMANDS: dict[str, str] = {
    "costs": "costctl.commands.costs:costs",
    "usage": "costctl.commands.usage:usage",
    "commitments": "costctl.commands.commitments:commitments",
    "report": "costctl.commands.report:report",
    "check": "costctl.commands.check:check",
    "export-prometheus": "costctl.commands.prometheus:export_prometheus",
    "export": "costctl.commands.export:export",
    "anomalies": "costctl.commands.anomalies:anomalies",
    "idle": "costctl.commands.idle:idle",
    "budgets": "costctl.commands.budgets:budgets",
    "chargeback": "costctl.commands.chargeback:chargeback",
    "tags": "costctl.commands.tags:tags",
    "config": "costctl.commands.admin:config",
    "cache": "costctl.commands.admin:cache",
    "providers": "costctl.commands.admin:providers",
    "test-auth": "costctl.commands.admin:test_auth",
}
GRACE = 5.0  # seconds the deadline's alarm gets to unwind before the watchdog ends the process


class LazyGroup(click.Group):
    """A click group that imports each sub-command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module, _, attr = COMMANDS[cmd_name].partition(":")
            self.add_command(_with_globals(_with_timeout(getattr(importlib.import_module(module), attr))), cmd_name)
        return super().get_command(ctx, cmd_name)


def _timeout_value(value: float | None, option: str = "--timeout") -> float | None:
    if value is not None and not 0 <= value <= 86400:  # also NaN and infinity
        raise UsageError(f"{option}: expected 0 (none) to 86400 seconds, got {value:g}")
    return value


def _set_deadline(ctx: click.Context, _param: click.Parameter, value: float | None) -> None:
    """The sub-command's own --timeout replaces the global one (or the 300 s default)."""
    from costctl import deadline

    if value is not None and not ctx.resilient_parsing:
        deadline.start(_timeout_value(value))


def _with_timeout(command: click.Command) -> click.Command:
    """Give every leaf command a --timeout (``check`` and ``export-prometheus`` have their own)."""
    if not isinstance(command, click.Group) and not any(p.name == "timeout" for p in command.params):
        command.params.append(click.Option(
            ["--timeout"], type=float, metavar="SECONDS", default=None, expose_value=False, callback=_set_deadline,
            help="Give up after this many seconds, network waits included (default 300; 0 = none)."))
    return command


def _late_global(ctx: click.Context, param: click.Parameter, value: object) -> object:
    """A global option given after the sub-command (``costctl costs --demo -v``): applied to the run's Env
    exactly as before it (the config is read later, when the command first needs it)."""
    if ctx.resilient_parsing or not value:
        return value
    env = ctx.find_object(Env)
    if env is None:
        return value
    name = param.name
    if name == "config_path":
        env.config_path = str(value)
    elif name == "demo":
        env.demo = True
    elif name == "no_cache":
        env.use_cache = False
    elif name == "refresh":
        env.refresh = True
    elif name == "verbose":
        env.verbosity += int(value)  # type: ignore[call-overload]
    elif name == "quiet":
        env.quiet = True
    elif name == "debug":
        env.debug = True
    if name in ("verbose", "quiet", "debug") and env._logging_ready:
        env._logging_ready = False  # set the level up again with what this option changed
        env.setup_logging()
    return value


def _global_options() -> list[click.Option]:
    """The group's options (but --timeout, which every command has) as a sub-command accepts them."""
    kept = []
    for option in cli.params:
        if not isinstance(option, click.Option) or option.name in ("timeout", "version"):
            continue
        kept.append(click.Option(option.opts, type=option.type, count=option.count, is_flag=option.is_flag,
                                 metavar=option.metavar, default=None if not option.is_flag and not option.count
                                 else option.default, expose_value=False, callback=_late_global,
                                 help=f"{option.help} Also before the command." if option.help else None))
    return kept


def _with_globals(command: click.Command) -> click.Command:
    """Let every command (and each of a group's commands) take the global options after its name too,
    unless it has an option of the same spelling (``check -v`` is its plugin verbosity)."""
    taken = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    for option in _global_options():
        opts = [o for o in option.opts if o not in taken]
        if opts:
            option.opts = opts
            command.params.append(option)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_globals(sub)
    return command


@contextlib.contextmanager
def _enforced(seconds: float | None) -> Iterator[None]:
    """The command's deadline, enforced: an alarm raises DeadlineExceeded where the code waits,
    and a watchdog thread ends the process if that cannot interrupt it (a blocking C call)."""
    import threading

    from costctl import deadline

    deadline.start(seconds)
    stop = threading.Event()

    def last_resort() -> None:
        overdue_since = None
        while not stop.wait(0.25):
            left = deadline.remaining()
            if left is None or left > 0:
                overdue_since = None
            elif overdue_since is None:
                overdue_since = time.monotonic()
            elif time.monotonic() - overdue_since > GRACE:
                sys.stderr.write(f"costctl: error: {deadline.DeadlineExceeded()}\n")
                sys.stderr.flush()
                os._exit(ExitStatus.ERROR)

    watchdog = threading.Thread(target=last_resort, name="costctl-deadline", daemon=True)
    watchdog.start()
    try:
        with deadline.watch():
            try:
                yield
            except Exception as exc:  # the deadline's alarm, swallowed by a DuckDB query
                late = deadline.swallowed(exc)
                if late is None:
                    raise
                raise late from None
    finally:
        stop.set()
        deadline.start(None)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="costctl")
@click.option("--config", "-C", "config_path", metavar="PATH", default=None,
              help="Config file (default: $COSTCTL_CONFIG, ~/.config/costctl/config.yaml, /etc/costctl/config.yaml).")
@click.option("--demo", is_flag=True, help="Use the bundled multi-cloud demo data (no account needed).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the local cache.")
@click.option("--refresh", is_flag=True, help="Re-fetch every day of the range, ignoring cached copies.")
@click.option("--verbose", "-v", count=True, help="More diagnostics on stderr (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--timeout", metavar="SECONDS", type=float, default=None,
              help="Give up after this many seconds, network waits included (default 300; check: 30; 0 = none).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, demo: bool, no_cache: bool, refresh: bool, verbose: int,
        quiet: bool, debug: bool, timeout: float | None) -> None:
    """Cloud cost reports, checks and exports for AWS, Azure and GCP."""
    from costctl import deadline

    env = Env(config_path=config_path, demo=demo, use_cache=not no_cache, refresh=refresh,
              verbosity=verbose, quiet=quiet, debug=debug)
    if ctx.invoked_subcommand != "check" or verbose or debug:
        env.setup_logging()  # a warm check never logs; the loader sets logging up before any fetch
    ctx.obj = env
    ctx.meta["costctl.timeout"] = _timeout_value(timeout)
    if ctx.invoked_subcommand == "check":
        deadline.start(None)  # check enforces its own -t (default check.timeout), see monitoring.timeout
    elif not ctx.resilient_parsing:
        ctx.with_resource(_enforced(deadline.DEFAULT if timeout is None else timeout))


def _subcommand(args: Sequence[str]) -> str | None:
    """The sub-command name in ``args``, skipping the global options (only --config takes a value)."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return args[i + 1] if i + 1 < len(args) else None
        if arg in ("--config", "-C"):
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return arg
    return None


def _error(message: str) -> None:
    """The one ``costctl: error:`` line, with every secret masked (``costctl.redact``)."""
    from costctl import redact

    print(f"costctl: error: {redact.text(message)}", file=sys.stderr)


def _redacting_excepthook(kind: type[BaseException], value: BaseException, tb: object) -> None:
    """``--debug`` tracebacks go through the same masking as every other line on stderr."""
    import traceback

    from costctl import redact

    sys.stderr.write(redact.text("".join(traceback.format_exception(kind, value, tb))))  # type: ignore[arg-type]
    sys.stderr.flush()


def _unexpected(exc: Exception, hint: str = "") -> str:
    """The line for an exception nothing else handled.

    An OS error (disk full, read-only filesystem, permissions) says what happened to which path,
    never "internal error: OSError [Errno 28]": the operator can fix it, it is not a bug.
    """
    from costctl.oserrors import describe, errno_of

    if errno_of(exc) is not None:  # an OSError, or SQLite's "database or disk is full"
        return describe(exc)
    return f"internal error: {type(exc).__name__}: {exc}{hint}"


def _interrupted(exc: BaseException) -> bool:
    """DuckDB's "Query interrupted" that reached the top: a deadline it swallowed is translated
    inside the command (``_enforced``), so what is left is the user's Ctrl-C."""
    from costctl import deadline

    return deadline.is_interruption(exc)


def _main_check(args: list[str], debug: bool) -> None:
    """Run ``check`` as a monitoring plugin: whatever goes wrong answers ``COSTCTL UNKNOWN - reason``, exit 3.

    click exits 2 on a usage error, which a monitoring core reads as CRITICAL; ``--help`` and
    ``--version`` exit UNKNOWN too, as the Monitoring Plugins guidelines ask.
    """
    from costctl.monitoring.state import State
    from costctl.output.nagios import unknown_output

    def unknown(reason: str) -> None:
        sys.stdout.write(unknown_output(reason))  # status_output masks secrets
        sys.stdout.flush()
        sys.exit(3)

    try:
        rc = cli.main(args=args, prog_name="costctl", standalone_mode=False)
    except click.exceptions.Exit as exc:
        rc = exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        unknown("interrupted")
    except DeadlineExceeded as exc:
        unknown(str(exc))
    except click.ClickException as exc:
        unknown(exc.format_message())
    except CostctlError as exc:
        if debug:
            raise
        unknown(" ".join(str(exc).split()))
    except Exception as exc:
        if _interrupted(exc):  # Ctrl-C while DuckDB ran a query
            unknown("interrupted")
        if debug:
            raise
        unknown(_unexpected(exc))
    # A finished check returns its State (non-zero ones also arrive as exit codes); a bare 0
    # means --help or --version, which the guidelines answer with UNKNOWN.
    sys.exit(int(rc) if isinstance(rc, State) or (isinstance(rc, int) and rc) else 3)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI and map every failure to a one-line message and exit status."""
    if argv is None:
        # Run as the program: everything imported so far (click, diskcache, costctl's CLI) lives
        # until exit, so move it out of the collector's reach; neither the collections during the
        # run nor the one at exit traverse it again, and a warm `check` ends ~5 ms sooner
        # (bench/check_startup.py). Not when embedded (tests): their objects must stay collectable.
        gc.freeze()
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or bool(os.environ.get("COSTCTL_DEBUG"))
    if debug and argv is None:  # the traceback of an exception leaving the program is printed masked
        sys.excepthook = _redacting_excepthook
    if _subcommand(args) == "check":
        _main_check(args, debug)
    try:
        rc = cli.main(args=args, prog_name="costctl", standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        print("costctl: error: aborted", file=sys.stderr)
        sys.exit(130)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        _error(f"{exc.format_message()}{hint}")
        sys.exit(ExitStatus.USAGE)
    except click.ClickException as exc:
        _error(exc.format_message())
        sys.exit(ExitStatus.ERROR)
    except CostctlError as exc:
        if debug:
            raise
        _error(" ".join(str(exc).split()))
        sys.exit(exc.exit_status)
    except KeyboardInterrupt:
        print("costctl: error: interrupted", file=sys.stderr)
        sys.exit(130)
    except DeadlineExceeded as exc:
        print(f"costctl: error: {exc}", file=sys.stderr)
        sys.exit(ExitStatus.ERROR)
    except BrokenPipeError:
        # `costctl costs | head`: the reader went away; not an error worth a message.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(ExitStatus.ERROR)
    except Exception as exc:
        if _interrupted(exc):  # Ctrl-C while DuckDB ran a query
            print("costctl: error: interrupted", file=sys.stderr)
            sys.exit(130)
        if debug:
            raise
        _error(_unexpected(exc, " (run with --debug for a traceback)"))
        sys.exit(ExitStatus.ERROR)
