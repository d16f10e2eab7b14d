"""Dates as the sources give them: a day, or a year that is a period, never a string.

Sources say "2020" as often as "2020-07-13". Compared as strings, "2020" <= "2020-07-10" is true, which put
Russia in DLDD-NEAN on the note's own date although it joined on 13 July 2020. Here a year is the period from
1 January to 31 December, and a comparison with a day inside that period is *uncertain*, not true.

>>> Period.parse("2020").contains(date(2020, 7, 10))
True
>>> Period.parse("2020-07-13").start > date(2020, 7, 10)
True
>>> Period.parse("2020").relation_to(date(2020, 7, 10))
'uncertain'
>>> Period.parse("2019").relation_to(date(2020, 7, 10))
'before'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from neaspec_kg.errors import NeaspecKgError
from neaspec_kg.index.compact import ByFields

Relation = Literal["before", "after", "uncertain"]

_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class DateError(NeaspecKgError, ValueError):
    """A date that is not a real ISO date (YYYY-MM-DD) or year (YYYY)."""


@dataclass(frozen=True, slots=True, order=True)
class Period(ByFields):
    """A closed interval of days: one day, or a whole year when the source gives only the year."""

    start: date
    end: date
    text: str

    @classmethod
    def parse(cls, text: str) -> Period:
        """A Period from an xsd:date or xsd:gYear lexical form; DateError for anything else (ASCII digits only)."""
        text = text.strip()
        if m := _YEAR.match(text):
            year = int(m.group(1))
            if year < 1:
                raise DateError(f"{text!r} is not a year")
            return cls(date(year, 1, 1), date(year, 12, 31), text)
        if m := _DAY.match(text):
            try:
                day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError as e:
                raise DateError(f"{text!r} is not a real date ({e})") from None
            return cls(day, day, text)
        raise DateError(f"{text!r} is not a date (YYYY-MM-DD) or a year (YYYY)")

    @property
    def is_year(self) -> bool:
        return self.start != self.end

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def relation_to(self, day: date) -> Relation:
        """Whether the whole period lies before ``day`` (or on it), after it, or straddles it."""
        if self.end <= day:
            return "before"
        if self.start > day:
            return "after"
        return "uncertain"


def parse_as_of(text: str | None) -> date | None:
    """The as-of day a caller asked for: a real calendar date in ASCII digits, or DateError."""
    if text is None or text == "":
        return None
    if not text.isascii() or not _DAY.match(text.strip()):
        raise DateError(f"{text!r} is not a date in the form YYYY-MM-DD")
    return Period.parse(text).start
