"""Housekeeping commands: ``config``, ``cache``, ``providers``, ``test-auth``."""

from __future__ import annotations

import time

import click

from costctl.commands.common import output_options, output_stream, pass_env
from costctl.context import Env


@click.group()
def config() -> None:
    """Check and show the configuration."""


@config.command("validate")
@pass_env
def config_validate(env: Env) -> None:
    """Validate the config file; exit 2 with the first problem."""
    cfg = env.config
    where = str(cfg.path) if cfg.path else "no config file (defaults)"
    click.echo(f"{where}: OK, {len(cfg.providers)} provider(s): {', '.join(cfg.providers) or 'none'}",
               file=env.stdout)


@config.command("show")
@pass_env
def config_show(env: Env) -> None:
    """Print the effective configuration as YAML, secrets redacted."""
    import yaml

    from costctl.config import redacted

    cfg = env.config
    env.info(f"config: {cfg.path or 'none found; showing defaults'}")
    env.stdout.write(yaml.safe_dump(redacted(cfg), sort_keys=False, default_flow_style=False))


@click.group()
def cache() -> None:
    """Inspect or clear the local cache."""


def _fingerprints(env: Env) -> dict[str, str]:
    """Each configured instance's cache fingerprint today (one that cannot be built is left out)."""
    from costctl.errors import CostctlError
    from costctl.loader import make_provider

    prints = {}
    for name in env.config.providers:
        try:
            prints[name] = make_provider(env, name).fingerprint()
        except CostctlError:
            continue
    return prints


def _add_warm() -> None:
    from costctl.commands.cache_warm import cache_warm

    cache.add_command(cache_warm)


_add_warm()


@cache.command("info")
@output_options()
@pass_env
def cache_info(env: Env, fmt: str, output: str | None) -> None:
    """Size, entries and per-provider date coverage of the cache."""
    from costctl.output.render import OutputColumn, render

    store = env.cache
    if store is None:
        env.info("the cache is disabled (--no-cache or cache.enabled: false)")
        return
    now = time.time()
    rows = [
        {"provider": r.source, "days": r.days, "first": r.first.isoformat() if r.first else None,
         "last": r.last.isoformat() if r.last else None, "rows": r.rows,
         "newest_fetch_age_s": round(now - r.newest_fetch) if r.newest_fetch else None,
         "oldest_fetch_age_s": round(now - r.oldest_fetch) if r.oldest_fetch else None}
        for r in store.coverage(_fingerprints(env))
    ]
    columns = [OutputColumn("provider", drop=0), OutputColumn("days", kind="int"), OutputColumn("first", drop=0),
               OutputColumn("last", drop=0), OutputColumn("rows", kind="int"),
               OutputColumn("newest_fetch_age_s", "newest fetch age (s)", "int"),
               OutputColumn("oldest_fetch_age_s", "oldest fetch age (s)", "int")]
    caption = f"{store.directory}: {store.size_bytes():,} bytes, {store.entry_count():,} entries"
    if fmt != "table":
        env.info(caption)
    with output_stream(env, output) as stream:
        render(rows, columns, fmt, stream, title="costctl cache", caption=caption)


@cache.command("clear")
@click.option("--provider", "-p", "provider", default=None, metavar="NAME", help="Only this provider instance.")
@pass_env
def cache_clear(env: Env, provider: str | None) -> None:
    """Remove cached records (all, or one provider instance's).

    A damaged cache (a corrupt SQLite file) is moved aside into a damaged-<time> folder inside
    the cache directory, whole, and a new one starts on the next run.
    """
    from costctl.errors import CacheDamagedError

    try:
        store = env.cache
        if store is None:
            env.info("the cache is disabled; nothing to clear")
            return
        removed = store.clear(provider)
    except CacheDamagedError as exc:
        import time

        from costctl.cache import move_damaged

        try:
            moved = move_damaged(exc.directory, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
        except OSError as err:
            raise click.ClickException(f"the cache at {exc.directory} is damaged ({exc.reason}) and cannot be "
                                       f"moved aside ({err}); remove its cache.db by hand") from None
        env.info(f"the cache at {exc.directory} was damaged ({exc.reason}); moved its files to {moved}"
                 + (" (every provider's entries, not only " + provider + "'s)" if provider else "")
                 + "; a new cache starts on the next run")
        return
    env.info(f"removed {removed} cache entr{'y' if removed == 1 else 'ies'}" + (f" of {provider}" if provider else ""))


@click.command("providers")
@output_options()
@pass_env
def providers(env: Env, fmt: str, output: str | None) -> None:
    """List installed provider types and configured instances."""
    from costctl.output.render import OutputColumn, render
    from costctl.providers import registry

    configured: dict[str, list[str]] = {}
    for name, settings in env.config.providers.items():
        configured.setdefault(settings["type"], []).append(name)
    rows = [{"type": t, "plugin": ref, "description": desc, "instances": ", ".join(configured.get(t, []))}
            for t, ref, desc in registry.describe()]
    with output_stream(env, output) as stream:
        render(rows, [OutputColumn("type", drop=0), OutputColumn("instances", drop=0),
                      OutputColumn("description", drop=2), OutputColumn("plugin")],
               fmt, stream, title="Provider plugins")


@click.command("test-auth")
@click.argument("targets", nargs=-1, metavar="[TYPE|NAME]...")
@pass_env
def test_auth(env: Env, targets: tuple[str, ...]) -> None:
    """Check credentials and read access of configured providers.

    TARGETS are provider instance names or types (aws, azure, gcp, files); default: all.
    Exits 1 when any check fails.
    """
    from costctl.errors import UsageError
    from costctl.loader import make_provider

    instances = env.config.providers
    chosen = [n for n, s in instances.items() if not targets or n in targets or s["type"] in targets]
    if not chosen:
        raise UsageError(f"no configured provider matches {', '.join(targets) or 'anything'} "
                         f"(configured: {', '.join(instances) or 'none'})")
    from costctl import deadline, redact
    from costctl.providers.base import AuthResult

    failed = False
    for name in chosen:
        provider = make_provider(env, name)
        try:
            # A hanging cloud is that provider's failure, reported before the command's deadline.
            with deadline.watch(keep=deadline.reserve()):
                result = provider.test_auth()
        except deadline.DeadlineExceeded as exc:
            result = AuthResult(ok=False, checks=[("authentication", False, str(exc))])
        except Exception as exc:  # test-auth reports, it does not crash
            result = AuthResult(ok=False, checks=[("authentication", False, " ".join(str(exc).split()))])
        finally:
            provider.close()
        failed |= not result.ok
        state = "OK" if result.ok else "FAILED"
        click.echo(redact.text(f"{name} ({provider.type_name}): {state}"
                               + (f" as {result.identity}" if result.identity else "")), file=env.stdout)
        for what, ok, detail in result.checks:
            click.echo(redact.text(f"  [{'ok' if ok else 'FAIL'}] {what}: {detail}"), file=env.stdout)
        env.verbose(f"{name}: {provider.stats.requests} upstream request(s)")
    if failed:
        raise click.exceptions.Exit(1)
