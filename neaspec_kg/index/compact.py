"""How the index's records are written to the index file: as their constructor's arguments.

The index file holds hundreds of thousands of records (units, evidence items, periods, concepts). Pickle's
default for a dataclass writes a state dict per object and restores it field by field; at 10,000 mechanisms
that made reading the file take about twice as long as calling each constructor with a tuple of its fields.
"""
from __future__ import annotations

import operator
from typing import Any, ClassVar

__all__ = ["ByFields"]


class ByFields:
    """A mixin for ``@dataclass(slots=True)`` records whose fields are all constructor arguments, in order:
    pickled as ``(type, (field, ...))``.

    The fields are read by one ``operator.attrgetter`` per class, made on first use: a generator of
    ``getattr`` calls took 6.3 s of the 11 s it took to write a 100,000-mechanism index file."""

    __slots__ = ()
    _fields_of: ClassVar[dict[type, operator.attrgetter[Any]]] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        cls = type(self)
        get = ByFields._fields_of.get(cls)
        if get is None:
            names: tuple[str, ...] = cls.__slots__  # the dataclass's own: its fields, in order
            get = ByFields._fields_of[cls] = _tuple_getter(names)
        return (cls, get(self))


def _tuple_getter(names: tuple[str, ...]) -> operator.attrgetter[Any]:
    """An attrgetter that gives a tuple whatever the number of names (with one name it gives the value)."""
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        return lambda obj: (one(obj),)  # type: ignore[return-value]
    return operator.attrgetter(*names)
