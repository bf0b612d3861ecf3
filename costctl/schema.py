"""A tiny declarative schema for configuration mappings.

Providers and config sections declare their keys as ``Field`` objects; ``check`` applies defaults
and reports the first problem with its full key path (``providers.prod.ttl: expected a duration
like 1h or 90m, got 'soon'``), which is what a user editing YAML needs to find the mistake.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from costctl.errors import ConfigError
from costctl.values import Value

_REQUIRED = object()

_DURATION = r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$"  # compiled on first use (re caches it): not at start-up
MAX_DURATION = 10 * 366 * 86400.0  # ten years: longer is a typo, and would overflow timers and time_t
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any) -> float:
    """Seconds from ``90``, ``"90s"``, ``"30m"``, ``"36h"``, ``"2d"``, ``"1w"``; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        if not 0 <= value <= MAX_DURATION:  # also NaN and infinity
            raise ValueError(value)
        return float(value)
    match = re.match(_DURATION, str(value))
    if not match:
        raise ValueError(value)
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds > MAX_DURATION:
        raise ValueError(value)
    return seconds


def format_duration(seconds: float) -> str:
    """Seconds as a person writes them: ``36h`` for 129600, ``10m`` for 600, ``90s`` for 90."""
    for unit in ("d", "h", "m"):
        size = _UNITS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size:g}{unit}"
    return f"{seconds:g}s"


class Field(Value):
    """One configuration key: its kind, default, and how to present it."""

    __slots__ = ("kind", "default", "required", "secret", "choices", "items", "help", "validator", "data")
    frozen = True

    def __init__(self, kind: str, default: Any = None, required: bool = False, secret: bool = False,
                 choices: tuple[str, ...] | None = None, items: str | None = None, help: str = "",  # noqa: A002
                 validator: Callable[[Any], Any] | None = None, data: bool = True) -> None:
        self.kind = kind  # str, int, float, bool, duration, list, map, any
        self.default = default
        self.required = required
        self.secret = secret  # never shown, never part of a cache key
        # False for settings that change how data is fetched (credentials, retries, timeouts,
        # freshness), not what it is: they stay out of a provider's cache fingerprint, so editing
        # them never re-fetches days already cached.
        self.data = data
        self.choices = choices
        self.items = items  # kind of list items
        self.help = help
        self.validator = validator  # returns the cleaned value or raises ValueError


def at_least(minimum: int, maximum: int | None = None) -> Callable[[int], int]:
    """A validator for whole numbers in ``[minimum, maximum]`` (a negative page size or cache
    limit would otherwise surface later as an SDK or SQLite error far from the config line)."""
    def validate(value: int) -> int:
        if value < minimum or (maximum is not None and value > maximum):
            wanted = f"{minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
            raise ValueError(f"expected {wanted}, got {value}")
        return value
    return validate


_KIND_WORDS = {
    "str": "a string",
    "int": "a whole number",
    "float": "a finite number",
    "bool": "true or false",
    "duration": "a duration like 90s, 30m, 1h or 2d",
    "list": "a list",
    "map": "a mapping",
    "any": "a value",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def _convert(kind: str, value: Any) -> Any:
    if kind == "any":
        return value
    if kind == "str":
        if isinstance(value, str | int | float) and not isinstance(value, bool) and "\x00" not in str(value):
            return str(value)
    elif kind == "int":
        if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,18}\s*", value):  # ${VAR} gives text
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind == "float":
        if isinstance(value, str):  # ${VAR} gives text
            try:
                value = float(value)
            except ValueError:
                raise ValueError(value) from None
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:
                raise ValueError(value) from None
            if math.isfinite(number):
                return number
    elif kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):  # ${VAR} gives text
            return value.strip().lower() == "true"
    elif kind == "duration":
        return parse_duration(value)
    elif kind == "list":
        if isinstance(value, list):
            return value
        if isinstance(value, str):
            return [value]
    elif kind == "map":
        if isinstance(value, dict):
            return value
    raise ValueError(value)


def check(values: Mapping[str, Any] | None, fields: Mapping[str, Field], path: str) -> dict[str, Any]:
    """Validate ``values`` against ``fields``; return a new dict with defaults filled in.

    ``path`` is the dotted key path of ``values`` in the file, used in every message.
    """
    prefix = f"{path}." if path else ""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise ConfigError(f"{path or 'config'}: expected a mapping of keys, got {_describe(values)}")
    unknown = sorted(set(values) - set(fields), key=str)  # YAML keys may be numbers too
    if unknown:
        raise ConfigError(
            f"{prefix}{unknown[0]}: unknown key (known: {', '.join(sorted(fields))})"
        )
    out: dict[str, Any] = {}
    for key, spec in fields.items():
        where = f"{prefix}{key}"
        if key not in values or values[key] is None:
            if spec.required:
                raise ConfigError(f"{where}: required key is missing ({spec.help or _KIND_WORDS[spec.kind]})")
            out[key] = spec.default() if callable(spec.default) else spec.default
            continue
        raw = values[key]
        shown = "a value that is not shown (a secret)" if spec.secret else _describe(raw)
        try:
            value = _convert(spec.kind, raw)
        except ValueError:
            raise ConfigError(f"{where}: expected {_KIND_WORDS[spec.kind]}, got {shown}") from None
        if spec.items and isinstance(value, list):
            try:
                value = [_convert(spec.items, item) for item in value]
            except ValueError:
                raise ConfigError(f"{where}: expected a list of {spec.items} values") from None
        if spec.choices is not None and value not in spec.choices:
            raise ConfigError(f"{where}: expected one of {', '.join(spec.choices)}, got {shown}")
        if spec.validator is not None:
            try:
                value = spec.validator(value)
            except ValueError as exc:
                message = str(exc)
                if spec.secret and isinstance(value, str) and value:  # a validator may quote what it got
                    message = message.replace(value, "***").replace(repr(value), "'***'")
                raise ConfigError(f"{where}: {message}") from None
        out[key] = value
    return out
