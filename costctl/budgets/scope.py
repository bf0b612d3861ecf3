"""Row selectors: ``provider=aws``, ``account=acme-prod``, ``service=Support``, ``tag:team=platform``.

One matcher for budget scopes (config) and chargeback's ``--shared`` (command line), over the
plain rows of a ``Block``. Matching is exact and case-insensitive like ``--service``/``--tag``; a
provider matches its cloud name (``AWS``) or the configured instance (``aws``), an account its id
or its name. ``tag:KEY=`` (empty value) selects rows *without* that tag. Values of one key are
alternatives; different keys must all match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from costctl.model import GROUP_KEYS

# Keys that read two columns: the user rarely knows which of the two a report shows.
_ALIASES = {"provider": ("ProviderName", "x_Source"), "account": ("SubAccountId", "SubAccountName")}
COLUMNS_READ = ("ProviderName", "x_Source", "SubAccountId", "SubAccountName", "Tags",
                *sorted(set(GROUP_KEYS.values())))


def known_key(key: str) -> bool:
    return key in GROUP_KEYS or (key.startswith("tag:") and len(key) > 4)


def parse_selector(text: str) -> tuple[str, str]:
    """``"tag:team=platform"`` -> ``("tag:team", "platform")``; ValueError saying what is wrong."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"expected KEY=VALUE (e.g. service=Support or tag:team=platform), got {text!r}")
    if not known_key(key):
        raise ValueError(f"unknown key {key!r} (known: {', '.join(GROUP_KEYS)}, tag:KEY)")
    return key, value.strip()


@dataclass(frozen=True)
class Scope:
    """A conjunction of ``key in {values}`` conditions; the empty scope matches every row."""

    conditions: tuple[tuple[str, frozenset[str]], ...] = ()

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Scope:
        by_key: dict[str, set[str]] = {}
        for key, value in pairs:
            by_key.setdefault(key, set()).add(value.lower())
        return cls(tuple((k, frozenset(v)) for k, v in by_key.items()))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Scope:
        """``{provider: aws, tag:team: [data, ml]}`` (the config form); ValueError on a bad key."""
        pairs = []
        for key, values in mapping.items():
            if not known_key(str(key)):
                raise ValueError(f"unknown key {key!r} (known: {', '.join(GROUP_KEYS)}, tag:KEY)")
            for value in values if isinstance(values, list) else [values]:
                pairs.append((str(key), "" if value is None else str(value)))
        return cls.from_pairs(pairs)

    def __bool__(self) -> bool:
        return bool(self.conditions)

    def describe(self) -> str:
        return ", ".join(f"{k}={'|'.join(sorted(v))}" for k, v in self.conditions) or "all"

    def matches(self, row: Mapping[str, Any]) -> bool:
        """Whether a row (column name -> value, as in a Block) is in scope."""
        return all(_values(row, key) & wanted for key, wanted in self.conditions)


def _values(row: Mapping[str, Any], key: str) -> set[str]:
    if key.startswith("tag:"):
        tags = row.get("Tags") or {}
        value = tags.get(key[4:])
        return {value.lower() if isinstance(value, str) else ""}
    columns = _ALIASES.get(key, (GROUP_KEYS[key],))
    return {v.lower() if isinstance(v, str) else "" for v in (row.get(c) for c in columns)}


def columns_of(scopes: Iterable[Scope]) -> tuple[list[str], list[str]]:
    """(record columns, tag keys) that matching these scopes reads: what a rollup must keep."""
    columns: list[str] = []
    tags: list[str] = []
    for scope in scopes:
        for key, _values in scope.conditions:
            if key.startswith("tag:"):
                tags.append(key[4:])
            else:
                columns += list(_ALIASES.get(key, (GROUP_KEYS[key],)))
    return list(dict.fromkeys(columns)), list(dict.fromkeys(tags))


def any_matches(scopes: Iterable[Scope], row: Mapping[str, Any]) -> bool:
    """Whether any of several scopes selects the row (``--shared A --shared B`` means A or B)."""
    return any(scope.matches(row) for scope in scopes)
