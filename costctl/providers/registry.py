"""Discovery of provider plugins through the ``costctl.providers`` entry-point group.

A plugin's module is imported the first time an instance of its type is needed. Built-in
providers are registered through the same entry points as third-party ones (pyproject.toml), and
``BUILTIN`` names them too so that resolving a built-in type never scans the installed
distributions: ``importlib.metadata`` and the scan cost ~20 ms, a sixth of a warm ``check``.
Entry points are read only for a type that is not built in, or to list everything. A plugin that
fails to import is reported and skipped, never fatal to the rest.

This is the one module outside ``costctl/clouds/`` that names a cloud package (as strings, imported
on demand); everything else reaches a cloud through the provider object it returns and that
object's capabilities (``capability``). tests/test_layout.py holds the rest of the tree to it.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from costctl.errors import ConfigError
from costctl.providers.base import CAPABILITIES, Provider

GROUP = "costctl.providers"

BUILTIN: dict[str, str] = {
    "aws": "costctl.clouds.aws.provider:AwsProvider",
    "azure": "costctl.clouds.azure.provider:AzureProvider",
    "files": "costctl.clouds.files.provider:FilesProvider",
    "gcp": "costctl.clouds.gcp.provider:GcpProvider",
}

# Export-file format (``costctl.formats.detect``) -> the module of its SQL mapper, for the formats a
# cloud package owns; the format engine reads them from here so that it names no cloud's module.
EXPORT_FORMATS: dict[str, str] = {
    "aws_cur": "costctl.clouds.aws.cur_sql",
    "aws_cur2": "costctl.clouds.aws.cur_sql",
    "azure": "costctl.clouds.azure.export_sql",
    "gcp": "costctl.clouds.gcp.export_sql",
}


@cache
def available() -> dict[str, str]:
    """Provider type name -> ``module:attr`` reference, for every installed plugin."""
    from importlib.metadata import entry_points

    found = dict(BUILTIN)
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, ep.value)
    return dict(sorted(found.items()))


def reference(type_name: str) -> str | None:
    """``module:attr`` of a provider type, or None when no installed plugin provides it."""
    return BUILTIN.get(type_name) or available().get(type_name)


def known_types() -> list[str]:
    return list(available())


@cache
def load(type_name: str) -> type[Provider]:
    """Import and return the Provider class registered as ``type_name``."""
    ref = reference(type_name)
    if ref is None:
        raise ConfigError(f"unknown provider type {type_name!r} (known: {', '.join(available())})")
    module_name, _, attr = ref.partition(":")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:  # a broken plugin must not take the tool down
        raise ConfigError(
            f"provider type {type_name!r} is installed but failed to load ({exc}); reinstall its package"
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, Provider)):
        raise ConfigError(f"provider type {type_name!r} does not point at a costctl Provider class ({ref})")
    return obj


class MissingCapability(ConfigError):
    """A command needs a capability (an idle scan...) that the named provider instance lacks."""


def capability(provider: Provider, name: str) -> Any:
    """The capability ``name`` of a provider object (e.g. its idle scanner).

    Commands find cloud-specific behaviour here, on the object the registry loaded, instead of
    dispatching on the provider's type. ``MissingCapability`` (exit status 2, like any config
    error) carries the provider's one-line refusal when it has none.
    """
    if name not in CAPABILITIES:
        raise ValueError(f"unknown provider capability {name!r} (known: {', '.join(CAPABILITIES)})")
    found = getattr(provider, name)()
    if found is None:
        raise MissingCapability(provider.missing_capability(name))
    return found


def instance(type_name: str, name: str, settings: dict[str, Any]) -> Provider:
    """An unconnected provider object for a configured instance, to ask for its capabilities.

    No store and no connection: providers open clients on first use, so this costs an import
    of the plugin module (done once per type) and a constructor.
    """
    return load(type_name)(name, settings)


def describe() -> list[tuple[str, str, str]]:
    """(type, reference, description or load error) for ``costctl providers``."""
    rows = []
    for name, ref in available().items():
        try:
            rows.append((name, ref, load(name).description))
        except ConfigError as exc:
            rows.append((name, ref, f"BROKEN: {exc}"))
    return rows
