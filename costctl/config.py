"""Configuration: lookup, YAML parsing, ``${VAR}`` interpolation and validation.

Lookup order (first found wins): ``--config PATH``, ``$COSTCTL_CONFIG``,
``$XDG_CONFIG_HOME/costctl/config.yaml`` (``~/.config/costctl/config.yaml``),
``/etc/costctl/config.yaml``. No file at all is fine: costctl then has no providers, which still
allows ``--file`` and ``--demo``. Every problem is a ConfigError naming the key path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from costctl.errors import ConfigError
from costctl.idle.thresholds import IDLE_FIELDS
from costctl.schema import Field, at_least, check
from costctl.values import Value

SYSTEM_CONFIG = "/etc/costctl/config.yaml"  # paths are os.path strings: no pathlib on start-up

_VAR = r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}"  # compiled on first use (re caches it)

CACHE_FIELDS: dict[str, Field] = {
    "enabled": Field("bool", default=True, help="false: always ask the providers"),
    "path": Field("str", default=None, help="cache directory (default $XDG_CACHE_HOME/costctl)"),
    "size_limit_mb": Field("int", default=1024, help="evict least recently stored days above this size",
                           validator=at_least(1, 10**9)),
    "lock_timeout": Field("duration", default=600.0, help="wait this long for another costctl fetching the same data"),
}

DEFAULTS_FIELDS: dict[str, Field] = {
    "days": Field("int", default=30, help="range of reports when none is given", validator=at_least(1, 36500)),
    "metric": Field("str", default="effective", choices=("billed", "effective")),
    "month_basis": Field("str", default="usage", choices=("usage", "invoice"),
                         help="months by usage date or by invoice month (costs --month-basis)"),
    "currency": Field("str", default=None, help="expected billing currency; other currencies are reported apart"),
}

def _severity_cutoffs(value: Any) -> Any:
    from costctl.analysis.anomaly_severity import parse_cutoffs

    return parse_cutoffs(value)


ANOMALY_FIELDS: dict[str, Field] = {
    "by": Field("str", default="provider,account,service", help="group keys of `anomalies` (as costs --group-by)"),
    "days": Field("int", default=14, help="report window of `anomalies`, in days",
                  validator=at_least(1, 36500)),
    "history": Field("int", default=90, help="baseline days before the window (at least 7, as `anomalies` needs)",
                     validator=at_least(7, 3660)),
    "method": Field("str", default="robust", choices=("robust", "zscore", "pct", "iqr")),
    "sensitivity": Field("str", default="medium", choices=("low", "medium", "high")),
    "min_impact": Field("float", default=10.0, help="ignore anomalies moving less money than this"),
    "min_pct": Field("float", default=10.0, help="ignore anomalies smaller than this percentage of expected"),
    "contributors": Field("int", default=3, help="root-cause items listed per key", validator=at_least(0)),
    "severity": Field("map", default=None, validator=_severity_cutoffs,
                      help="cut-offs per level: {critical: {impact: 500, share: 0.5}, high: ..., medium: ...}"),
}

# Top-level sections. Feature modules (budgets, notifications, checks...) add their own entries
# here at import time of costctl.config_sections so that one validator covers the whole file.
SECTIONS: dict[str, Field] = {
    "version": Field("int", default=1, help="config file format version"),
    "cache": Field("map", default=dict),
    "defaults": Field("map", default=dict),
    "providers": Field("map", default=dict),
    "thresholds": Field("map", default=dict, help="default -w/-c ranges of `check`, per --period"),
    "check": Field("map", default=dict, help="defaults of `costctl check` (timeout, fault states, max age)"),
    "prometheus": Field("map", default=dict, help="defaults of `costctl export-prometheus`"),
    "anomalies": Field("map", default=dict, help="defaults of `costctl anomalies`"),
    "notifications": Field("map", default=dict, help="named channels for `anomalies --notify NAME`"),
    "idle": Field("map", default=dict, help="checks, regions and per-check thresholds of `costctl idle`"),
    "budgets": Field("map", default=dict, help="named budgets of `costctl budgets` and `check --period budget`"),
}

def _nagios_range(value: str) -> str:
    """Reject a threshold the plugin could not parse at config-load time, not at 3 a.m.

    A severity name (``high``) passes here; ``build`` allows it only under ``thresholds.anomalies``.
    """
    from costctl.monitoring.range import Range

    if value.strip().lower() not in SEVERITY_NAMES:
        Range.parse(value)
    return value


_STATES = ("ok", "warning", "critical", "unknown")
SEVERITY_NAMES = ("low", "medium", "high", "critical")  # thresholds.anomalies may name a severity
CHECK_PERIODS = ("day", "mtd", "forecast", "change", "mom", "budget", "anomalies", "idle", "usage", "commitments")

CHECK_FIELDS: dict[str, Field] = {
    "period": Field("str", default="day", choices=CHECK_PERIODS, help="--period when none is given"),
    "timeout": Field("duration", default=30.0, help="-t/--timeout: answer --error-state after this long"),
    "error_state": Field("str", default="unknown", choices=_STATES, help="state when a provider cannot be read"),
    "stale_state": Field("str", default="unknown", choices=_STATES, help="state when data is older than max_age"),
    "max_age": Field("duration", default=None, help="data older than this is stale, e.g. 36h"),
    "top": Field("int", default=3, help="top contributors listed in the long output", validator=at_least(0)),
    "commitment_source": Field("str", default="billing", choices=("billing", "api", "both"),
                               help="--period commitments: judge billing figures, the clouds' API figures, or "
                                    "billing with the API's utilization and end dates (--source)"),
}

PROMETHEUS_FIELDS: dict[str, Field] = {
    "job": Field("str", default="costctl", help="pushgateway job name"),
    "top_services": Field("int", default=10, help="services per provider kept as labels; the rest are (other)",
                          validator=at_least(0)),
    "anomalies": Field("bool", default=True, help="export open anomalies (costctl_anomalies_*)"),
    "idle": Field("bool", default=True, help="export idle findings (costctl_idle_*); scans the clouds' APIs"),
    "commitments": Field("bool", default=True, help="export commitment utilization, coverage and expiry "
                         "(costctl_commitment_*)"),
    "commitment_source": Field("str", default="billing", choices=("billing", "api", "both"),
                               help="commitment figures from billing data, the clouds' APIs, or billing with the "
                                    "API's utilization and end dates (--commitment-source)"),
}

SECTION_FIELDS: dict[str, dict[str, Field]] = {"cache": CACHE_FIELDS, "defaults": DEFAULTS_FIELDS,
                                               "check": CHECK_FIELDS, "prometheus": PROMETHEUS_FIELDS,
                                               "anomalies": ANOMALY_FIELDS, "idle": IDLE_FIELDS}

def documented_default(key: str) -> str:
    """``section.key: value`` for a help text: the default a command gets when the config is silent.

    Help texts cite defaults through this, never as a second literal, so ``--help`` cannot drift
    from what the command does (tests/test_terminal.py checks every ``(default ...)`` in every help).
    """
    section, _, name = key.partition(".")
    field = SECTION_FIELDS[section][name]
    value = field.default
    if field.kind == "duration" and value is not None:
        from costctl.schema import format_duration

        shown = format_duration(value)
    elif isinstance(value, float) and value.is_integer():
        shown = str(int(value))
    else:
        shown = "none" if value is None else str(value)
    return f"{key}: {shown}"


THRESHOLD_FIELDS: dict[str, Field] = {
    "warning": Field("str", default=None, help="Nagios range, e.g. 100 or 10:", validator=_nagios_range),
    "critical": Field("str", default=None, help="Nagios range", validator=_nagios_range),
}


class Config(Value):
    """A validated configuration (a plain class: defining a dataclass costs ``check`` start-up time)."""

    __slots__ = ("path", "data", "providers")

    def __init__(self, path: str | None, data: dict[str, Any],
                 providers: dict[str, dict[str, Any]] | None = None) -> None:
        self.path = path
        self.data = data
        self.providers: dict[str, dict[str, Any]] = providers if providers is not None else {}

    def __repr__(self) -> str:
        return f"Config(path={self.path!r}, providers={list(self.providers)!r})"

    @property
    def cache(self) -> dict[str, Any]:
        return self.data["cache"]

    @property
    def defaults(self) -> dict[str, Any]:
        return self.data["defaults"]

    def section(self, name: str) -> Any:
        return self.data.get(name)


def _home(env: Mapping[str, str]) -> str | None:
    """The user's home directory: ``$HOME`` if absolute, else the password database's; None if neither.

    An empty or relative ``$HOME`` (cron jobs and agents sometimes run with ``HOME=``) must never
    make the cache or config relative to whatever directory costctl happens to run in.
    """
    home = env.get("HOME")
    if home and os.path.isabs(home):
        return home
    try:
        import pwd

        home = pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError, OSError):
        return None
    return home if home and os.path.isabs(home) else None


def xdg_base(env: Mapping[str, str], variable: str, fallback: str) -> str | None:
    """``$XDG_CONFIG_HOME`` / ``$XDG_CACHE_HOME``, or ``~/<fallback>``; None without any absolute base.

    The XDG Base Directory spec: "If an implementation encounters a relative path in any of these
    variables it should consider the path invalid and ignore it."
    """
    value = env.get(variable)
    if value and os.path.isabs(value):
        return value
    home = _home(env)
    return os.path.join(home, fallback) if home else None


def find_config(explicit: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> str | None:
    """The config file to use, following the documented lookup order, or None."""
    env = os.environ if env is None else env
    if explicit:
        path = os.path.expanduser(os.fspath(explicit))
        if os.path.isdir(path):
            raise ConfigError(f"--config {path} is a directory; give the YAML file, "
                              f"e.g. {os.path.join(path, 'config.yaml')}")
        if not os.path.isfile(path):
            raise ConfigError(f"config file {path} does not exist (given with --config)")
        return path
    if env.get("COSTCTL_CONFIG"):
        path = os.path.expanduser(env["COSTCTL_CONFIG"])
        if not os.path.isfile(path):
            raise ConfigError(f"config file {path} does not exist (named by $COSTCTL_CONFIG)")
        return path
    xdg = xdg_base(env, "XDG_CONFIG_HOME", ".config")
    candidates = ([os.path.join(xdg, "costctl", "config.yaml")] if xdg else []) + [SYSTEM_CONFIG]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    return None


def interpolate(value: Any, env: Mapping[str, str], path: str = "") -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string; ``$$`` is a literal ``$``."""
    if isinstance(value, str):
        def repl(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name, default = match.group(1), match.group(2)
            if name in env and env[name] != "":
                return env[name]
            if default is not None:
                return default
            raise ConfigError(
                f"{path or 'config'}: environment variable {name} is not set "
                f"(set it, or write ${{{name}:-default}})"
            )
        return re.sub(_VAR, repl, value)
    if isinstance(value, list):
        return [interpolate(v, env, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: interpolate(v, env, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    return value


def parse(text: str, source: str = "config", env: Mapping[str, str] | None = None,
          path: str | None = None) -> Config:
    """Parse and validate config text."""
    import yaml

    env = os.environ if env is None else env
    try:
        raw = yaml.load(text, Loader=_loader())  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}: invalid YAML{where}: {problem}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of keys, not {type(raw).__name__}")
    try:
        raw = interpolate(raw, env)
    except RecursionError:  # `a: &x [*x]`: PyYAML builds a structure that contains itself
        raise ConfigError(f"{source}: a YAML alias (*name) is used inside its own anchor (&name); "
                          "an anchor cannot contain itself") from None
    return build(raw, path)


def _loader() -> type:
    """PyYAML's SafeLoader without the implicit timestamp type.

    Dates stay strings, so the key that takes one parses it and names itself in the error:
    ``budgets.q1.start: expected a date as YYYY-MM-DD, got '2026-02-30'`` instead of PyYAML
    failing the whole file with "day is out of range for month", and ``2026-01-01 10:00`` is not
    turned into a datetime that a date comparison later trips over.
    """
    import yaml

    global _LOADER
    if _LOADER is None:
        timestamp = "tag:yaml.org,2002:timestamp"

        class Loader(yaml.SafeLoader):
            pass

        Loader.yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != timestamp]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
        _LOADER = Loader
    return _LOADER


_LOADER: type | None = None


def build(raw: Mapping[str, Any], path: str | None = None) -> Config:
    """Validate an already-interpolated mapping."""
    from costctl import redact
    from costctl.providers import registry
    from costctl.providers.base import COMMON_FIELDS

    redact.remember(redact.secrets_in(raw))  # before validation: its errors may quote a value
    data = check(raw, SECTIONS, "")
    for name, fields in SECTION_FIELDS.items():
        data[name] = check(data.get(name), fields, name)
    thresholds = data["thresholds"]
    if not isinstance(thresholds, dict):
        raise ConfigError("thresholds: expected a mapping of period -> {warning, critical}")
    unknown_periods = sorted(str(k) for k in thresholds if str(k) not in CHECK_PERIODS)
    if unknown_periods:
        raise ConfigError(f"thresholds.{unknown_periods[0]}: unknown period (known: {', '.join(CHECK_PERIODS)})")
    data["thresholds"] = {str(k): check(v, THRESHOLD_FIELDS, f"thresholds.{k}") for k, v in thresholds.items()}
    for period, limits in data["thresholds"].items():
        for key, value in limits.items():
            if period != "anomalies" and value and value.strip().lower() in SEVERITY_NAMES:
                raise ConfigError(f"thresholds.{period}.{key}: a severity applies to anomalies only; give a range")
    # anomalies.severity stays None when not given: its users fall back to the default cut-offs,
    # so loading the config does not import the anomaly code.
    # Feature sections are validated here, so a bad one fails at load with its key path; their
    # validators are imported only when the section is used (keeps `check` start-up light).
    if data["notifications"]:
        from costctl.notify.channels import check_channels

        data["notifications"] = check_channels(data["notifications"])
    if data["budgets"]:
        from costctl.budgets.spec import parse_budgets

        parse_budgets(data["budgets"], default_currency=data["defaults"]["currency"],
                      default_metric=data["defaults"]["metric"])

    providers: dict[str, dict[str, Any]] = {}
    for name, settings in (data["providers"] or {}).items():
        where = f"providers.{name}"
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", str(name)):
            raise ConfigError(f"{where}: provider names may use letters, digits, '.', '_' and '-'")
        if not isinstance(settings, dict):
            raise ConfigError(f"{where}: expected a mapping with at least 'type'")
        type_name = settings.get("type")
        if type_name is not None and not isinstance(type_name, str):
            raise ConfigError(f"{where}.type: expected a provider type name (one of "
                              f"{', '.join(registry.known_types())}), got {type(type_name).__name__}")
        if not type_name:
            raise ConfigError(f"{where}.type: required key is missing (one of {', '.join(registry.known_types())})")
        if registry.reference(type_name) is None:
            raise ConfigError(
                f"{where}.type: unknown provider type {type_name!r} (known: {', '.join(registry.known_types())})"
            )
        try:
            cls = registry.load(type_name)
        except ConfigError as exc:
            raise ConfigError(f"{where}.type: {exc}") from None
        providers[str(name)] = check(settings, {**COMMON_FIELDS, **cls.fields}, where)
    redact.remember_config(data, _secret_sections(data, providers))
    return Config(path=path, data=data, providers=providers)


def _secret_sections(data: Mapping[str, Any], providers: Mapping[str, Mapping[str, Any]]) -> list[tuple[Any, Any]]:
    """Each provider's and notification channel's settings with the schema that marks its secrets."""
    from costctl.providers import registry
    from costctl.providers.base import COMMON_FIELDS

    sections: list[tuple[Any, Any]] = [
        (settings, {**COMMON_FIELDS, **registry.load(settings["type"]).fields}) for settings in providers.values()]
    if data.get("notifications"):
        from costctl.notify.channels import fields_for

        sections += [(ch, fields_for(ch["type"])) for ch in data["notifications"].values()]
    return sections


def load_config(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Find, read and validate the configuration (an empty one when no file exists)."""
    env = os.environ if env is None else env
    path = find_config(explicit, env)
    if path is None:
        return build({})
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    return parse(text, path, env, path)


def _as_written(values: Any, fields: Mapping[str, Field]) -> Any:
    """Durations as a person writes them (``36h``, not ``129600.0``): what ``config show`` prints."""
    if not isinstance(values, dict):
        return values
    from costctl.schema import format_duration

    return {k: format_duration(v) if (f := fields.get(k)) is not None and f.kind == "duration"
            and isinstance(v, int | float) and not isinstance(v, bool) else v for k, v in values.items()}


def redacted(config: Config) -> dict[str, Any]:
    """The validated config for ``config show``: every secret value ``***``, URLs without credentials.

    Secrets are the keys a provider or channel declares ``secret=True``, keys at any depth whose
    name says secret, password, token or key, and the credential parts of every URL (userinfo,
    SAS signatures) and connection string (``costctl.redact``).
    """
    from costctl import redact

    data = {k: _as_written(redact.mapping(v), SECTION_FIELDS.get(k, {}))
            for k, v in config.data.items() if k not in ("providers", "notifications")}
    sections = iter(_secret_sections(config.data, config.providers))
    providers = {}
    for name, settings in config.providers.items():
        fields = next(sections)[1]
        providers[name] = _as_written(redact.mapping(settings, [k for k, f in fields.items() if f.secret]), fields)
    channels = {}
    for name, settings in (config.data.get("notifications") or {}).items():
        fields = next(sections)[1]
        channels[name] = _as_written(redact.mapping(settings, [k for k, f in fields.items() if f.secret]), fields)
    data["notifications"] = channels
    data["providers"] = providers
    return data


def default_cache_dir(env: Mapping[str, str] | None = None) -> str:
    """``$XDG_CACHE_HOME/costctl`` (``~/.cache/costctl``), always an absolute path."""
    env = os.environ if env is None else env
    base = xdg_base(env, "XDG_CACHE_HOME", ".cache")
    if base is None:
        raise ConfigError("no place for the cache: $HOME is empty or relative, the user has no home directory "
                          "and $XDG_CACHE_HOME is not an absolute path; set cache.path in the config or an "
                          "absolute $XDG_CACHE_HOME")
    return os.path.join(base, "costctl")
