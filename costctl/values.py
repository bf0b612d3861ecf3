"""``Value``: the base of the small record classes that ``costctl check`` defines on every start-up.

Why not dataclasses or ``typing.NamedTuple``: both generate code when the class is defined
(measured here: ~0.45 ms a dataclass, ~0.25 ms a NamedTuple, ~0.01 ms a plain class). A warm
``check`` defines two dozen such classes and must finish within ~1.3x the time Python needs to
import click and diskcache (bench/check_startup.py), so those milliseconds are its budget.
Subclasses declare ``__slots__`` and write their ``__init__``; this base gives them ``repr`` and
``==`` over the slots, and ``hash`` when they set ``frozen = True`` (then they must not be mutated).
"""

from __future__ import annotations

from typing import Any, ClassVar


class Value:
    """``repr``, ``==`` (same class, equal slots) and optionally ``hash`` from ``__slots__``."""

    __slots__ = ()
    frozen: ClassVar[bool] = False

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        if not self.frozen:
            raise TypeError(f"unhashable type: {type(self).__name__!r}")
        return hash(self._values())
