"""How the index's records are written to the index file: as their constructor's arguments.

The index file holds hundreds of thousands of records (units, evidence items, periods, concepts). Pickle's
default for a dataclass writes a state dict per object and restores it field by field; at 10,000 mechanisms that
made reading the file take about twice as long as calling each constructor with a tuple of its fields.
"""
from __future__ import annotations

from typing import Any

__all__ = ["ByFields"]


class ByFields:
    """A mixin for ``@dataclass(slots=True)`` records whose fields are all constructor arguments, in order:
    pickled as ``(type, (field, ...))``."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        names: tuple[str, ...] = self.__slots__  # the dataclass's own: its fields, in order
        return (type(self), tuple(getattr(self, name) for name in names))
