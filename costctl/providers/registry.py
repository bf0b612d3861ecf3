"""Discovery of provider plugins through the ``costctl.providers`` entry-point group.

Only entry-point *names* are read up front (cheap); a plugin's module is imported the first time
an instance of its type is needed. Built-in providers are registered through the same entry
points as third-party ones; ``BUILTIN`` is a fallback for running from a source tree that was
never installed. A plugin that fails to import is reported and skipped, never fatal to the rest.
"""

from __future__ import annotations

import importlib
import logging
from functools import cache
from importlib.metadata import entry_points

from costctl.errors import ConfigError
from costctl.providers.base import Provider

GROUP = "costctl.providers"
log = logging.getLogger(__name__)

BUILTIN: dict[str, str] = {
    "files": "costctl.providers.files:FilesProvider",
}


@cache
def available() -> dict[str, str]:
    """Provider type name -> ``module:attr`` reference, for every installed plugin."""
    found = dict(BUILTIN)
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.value
    return dict(sorted(found.items()))


def known_types() -> list[str]:
    return list(available())


@cache
def load(type_name: str) -> type[Provider]:
    """Import and return the Provider class registered as ``type_name``."""
    refs = available()
    if type_name not in refs:
        raise ConfigError(f"unknown provider type {type_name!r} (known: {', '.join(refs)})")
    module_name, _, attr = refs[type_name].partition(":")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:  # a broken plugin must not take the tool down
        raise ConfigError(
            f"provider type {type_name!r} is installed but failed to load ({exc}); reinstall its package"
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, Provider)):
        raise ConfigError(f"provider type {type_name!r} does not point at a costctl Provider class ({refs[type_name]})")
    return obj


def describe() -> list[tuple[str, str, str]]:
    """(type, reference, description or load error) for ``costctl providers``."""
    rows = []
    for name, ref in available().items():
        try:
            rows.append((name, ref, load(name).description))
        except ConfigError as exc:
            rows.append((name, ref, f"BROKEN: {exc}"))
    return rows
