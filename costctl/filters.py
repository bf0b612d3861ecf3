"""Row filters shared by every command (``--account``, ``--service``, ``--region``, ``--tag``).

Two implementations of the same rules: one over a pandas frame (reports, analysis) and one
over a plain block (``check`` from a warm cache, which must not import pandas). Matching is
case-insensitive and exact; an account matches by id or by name; several values of one option
are alternatives (OR), different options all apply (AND).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from costctl.errors import UsageError
from costctl.records import Block
from costctl.values import Value

if TYPE_CHECKING:
    import pandas as pd


class Filters(Value):
    """The row filters of one command line (empty tuples: no filter)."""

    __slots__ = ("accounts", "services", "regions", "tags")
    frozen = True

    def __init__(self, accounts: tuple[str, ...] = (), services: tuple[str, ...] = (), regions: tuple[str, ...] = (),
                 tags: tuple[tuple[str, str], ...] = ()) -> None:
        self.accounts = accounts
        self.services = services
        self.regions = regions
        self.tags = tags

    @classmethod
    def from_options(cls, accounts: Iterable[str] = (), services: Iterable[str] = (), regions: Iterable[str] = (),
                     tags: Iterable[str] = ()) -> Filters:
        parsed = []
        for item in tags:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise UsageError(f"--tag: expected KEY=VALUE, got {item!r}")
            parsed.append((key, value))
        return cls(tuple(accounts), tuple(services), tuple(regions), tuple(parsed))

    def __bool__(self) -> bool:
        return bool(self.accounts or self.services or self.regions or self.tags)

    @property
    def needs_rows(self) -> bool:
        """Region and tag filters need the rows; account and service filters also work on the
        per-day sums ``check`` reads from the cache (``costctl.daysummary``)."""
        return bool(self.regions or self.tags)

    def keeps(self, account_id: str | None, account_name: str | None, service: str | None) -> bool:
        """The account and service filters on one summed line (region and tag filters ignored)."""
        return self._row_ok(account_id, account_name, service, None, {})

    def describe(self) -> str:
        parts = [f"account={a}" for a in self.accounts] + [f"service={s}" for s in self.services]
        parts += [f"region={r}" for r in self.regions] + [f"tag:{k}={v}" for k, v in self.tags]
        return ", ".join(parts)

    def _row_ok(self, account_id: str | None, account_name: str | None, service: str | None,
                region: str | None, tags: dict[str, str]) -> bool:
        def low(v: str | None) -> str:
            return v.lower() if isinstance(v, str) else ""  # NA/None from either representation

        if self.accounts and not {low(account_id), low(account_name)} & {a.lower() for a in self.accounts}:
            return False
        if self.services and low(service) not in {s.lower() for s in self.services}:
            return False
        if self.regions and low(region) not in {r.lower() for r in self.regions}:
            return False
        by_key: dict[str, set[str]] = {}
        for k, v in self.tags:
            by_key.setdefault(k, set()).add(v.lower())
        return all(low(tags.get(k)) in values for k, values in by_key.items())

    def apply_block(self, block: Block) -> Block:
        if not self:
            return block
        rows = block.rows("SubAccountId", "SubAccountName", "ServiceName", "RegionId", "Tags")
        return block.take(i for i, row in enumerate(rows) if self._row_ok(*row))

    def apply_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        if not self or len(frame) == 0:
            return frame
        cols = ["SubAccountId", "SubAccountName", "ServiceName", "RegionId", "Tags"]
        keep = [self._row_ok(*row) for row in frame[cols].astype("object").itertuples(index=False, name=None)]
        return frame.loc[keep].reset_index(drop=True)
