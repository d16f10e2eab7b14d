"""Who takes part in what, as sources state it: the index's membership claims, held as columns.

A claim is one source's statement that a country takes part in a unit (a member, an observer, or a platform's
own coverage), with its dates. There are about 27 per mechanism: 2.7 million at 100,000 mechanisms, which as
Python objects were the largest part of the index file and of the time a server takes to read it (0.65 s of
1.9 s at 10,000 mechanisms) and of its memory. :class:`ClaimTable` keeps them as a few numpy columns that
index small tables of distinct values (countries, sources, periods), and makes a unit's claims as objects
when an analysis asks for that unit: reading the index then costs a handful of arrays, however many claims.

It is read like the ``{unit: {country: [Claim, ...]}}`` mapping it replaces (countries in IRI order, each
country's claims in the order they were loaded), and answers the questions that used to walk every claim
(which units a country takes part in, which units have a coverage of their own) from the columns.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from neaspec_kg.index.periods import Period

__all__ = ["Claim", "ClaimTable"]

_T = TypeVar("_T")


class Claim(NamedTuple):
    """One source's statement that a country takes part in a unit (or a platform's coverage).

    A named tuple rather than a frozen dataclass: claims are made from the columns whenever an analysis asks
    for a unit's, and a frozen dataclass sets each field through ``object.__setattr__`` (at 100,000
    mechanisms, making the claims of the 1,000 units an overlap answer lists took 83 ms of its 600)."""

    country: str
    role: str  # member | observer | coverage
    since: Period | None
    until: Period | None
    founding: bool
    source: str
    source_date: date | None


class _Values:
    """Distinct values in first-seen order, each with its number (None is -1)."""

    def __init__(self, start: list[Any]) -> None:
        self.values: list[Any] = list(start)
        self._number: dict[Any, int] = {v: i for i, v in enumerate(self.values)}

    def __call__(self, value: Any) -> int:
        if value is None:
            return -1
        n = self._number.get(value)
        if n is None:
            n = self._number[value] = len(self.values)
            self.values.append(value)
        return n


def _at(values: list[_T], n: int) -> _T | None:
    return None if n < 0 else values[n]


class ClaimTable(Mapping[str, Mapping[str, list[Claim]]]):
    """The claims of every unit, as columns (see the module docstring). Immutable: an incremental update makes
    a new table from an old one (:meth:`replaced`) without making the old one's claims as objects."""

    _COLUMNS = ("country", "role", "since", "until", "founding", "source", "source_date")
    _TABLES = ("country", "role", "period", "source", "source_date")

    def __init__(self, units: list[str], offsets: npt.NDArray[np.int64], tables: dict[str, list[Any]],
                 columns: dict[str, npt.NDArray[Any]]) -> None:
        #: unit IRIs, sorted; the claims of ``units[i]`` are rows ``offsets[i]:offsets[i + 1]``
        self.units = units
        self.offsets = offsets
        #: distinct countries, roles, periods, sources and source dates, which the columns number
        self.tables = tables
        self.columns = columns
        self._row = {u: i for i, u in enumerate(units)}

    # ------------------------------------------------------------------ making
    @classmethod
    def of(cls, claims: Mapping[str, Mapping[str, Iterable[Claim]]],
           tables: dict[str, list[Any]] | None = None) -> ClaimTable:
        """The table of ``{unit: {country: [claims]}}`` (units and countries sorted by IRI); ``tables``: the
        distinct values to number from (an update's base table's, so that its columns keep their meaning)."""
        numbers = {name: _Values(tables.get(name, []) if tables else []) for name in cls._TABLES}
        cols: dict[str, list[int]] = {name: [] for name in cls._COLUMNS}
        units = sorted(u for u, by_country in claims.items() if by_country)
        offsets = [0]
        for u in units:
            for country in sorted(claims[u]):
                for c in claims[u][country]:
                    cols["country"].append(numbers["country"](c.country))
                    cols["role"].append(numbers["role"](c.role))
                    cols["since"].append(numbers["period"](c.since))
                    cols["until"].append(numbers["period"](c.until))
                    cols["founding"].append(int(c.founding))
                    cols["source"].append(numbers["source"](c.source))
                    cols["source_date"].append(numbers["source_date"](c.source_date))
            offsets.append(len(cols["country"]))
        columns: dict[str, npt.NDArray[Any]] = {
            name: np.array(values, dtype=np.bool_ if name == "founding" else np.int32)
            for name, values in cols.items()}
        return cls(units, np.array(offsets, dtype=np.int64), {k: v.values for k, v in numbers.items()}, columns)

    def replaced(self, dropped: Iterable[str], claims: Mapping[str, Mapping[str, Iterable[Claim]]]) -> ClaimTable:
        """This table without the units in ``dropped`` and with ``claims`` (a unit there replaces its claims
        here). The kept units' rows are copied as numbers: an update costs the size of the change in objects,
        not the size of the table."""
        gone = set(dropped) | set(claims)
        new = ClaimTable.of(claims, self.tables)  # numbered from this table's values, and more
        base = len(self.columns["country"])
        pieces: list[tuple[str, int, int]] = [
            (u, int(self.offsets[i]), int(self.offsets[i + 1])) for i, u in enumerate(self.units) if u not in gone]
        pieces += [(u, base + int(new.offsets[i]), base + int(new.offsets[i + 1])) for i, u in enumerate(new.units)]
        pieces.sort()
        lengths = np.array([stop - start for _, start, stop in pieces], dtype=np.int64)
        starts = np.array([start for _, start, _ in pieces], dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        # row r of the result is row starts[k] + (r - offsets[k]) of the old rows followed by the new ones
        take = np.repeat(starts - offsets[:-1], lengths) + np.arange(int(offsets[-1]), dtype=np.int64)
        columns = {name: np.concatenate((self.columns[name], new.columns[name]))[take] for name in self._COLUMNS}
        return ClaimTable([u for u, _, _ in pieces], offsets, new.tables, columns)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.units, self.offsets, self.tables, self.columns))

    # ------------------------------------------------------------------ reading
    def __getitem__(self, unit: str) -> dict[str, list[Claim]]:
        i = self._row[unit]
        return self._claims(int(self.offsets[i]), int(self.offsets[i + 1]))

    def _claims(self, start: int, stop: int) -> dict[str, list[Claim]]:
        t, col = self.tables, self.columns
        out: dict[str, list[Claim]] = {}
        rows = zip(*(col[name][start:stop].tolist() for name in self._COLUMNS), strict=True)
        for country, role, since, until, founding, source, source_date in rows:
            claim = Claim(t["country"][country], t["role"][role], _at(t["period"], since),
                          _at(t["period"], until), bool(founding), t["source"][source],
                          _at(t["source_date"], source_date))
            out.setdefault(claim.country, []).append(claim)
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self.units)

    def __len__(self) -> int:
        return len(self.units)

    def __contains__(self, unit: object) -> bool:
        return unit in self._row

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(self) == len(other) and all(u in other and dict(self[u]) == dict(other[u]) for u in self)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<ClaimTable: {len(self.columns['country']):,} claims of {len(self.units):,} units>"

    # ------------------------------------------------------------------ questions over every claim
    def _unit_of_rows(self) -> npt.NDArray[np.int64]:
        return np.repeat(np.arange(len(self.units), dtype=np.int64), np.diff(self.offsets))

    def units_with(self, country: str) -> list[str]:
        """The units some source says ``country`` takes part in, in IRI order."""
        try:
            n = self.tables["country"].index(country)
        except ValueError:
            return []
        hits = np.unique(self._unit_of_rows()[self.columns["country"] == n])
        return [self.units[i] for i in hits.tolist()]

    def with_coverage(self) -> list[str]:
        """The units with a coverage of their own (a platform's countries, not its mechanism's members)."""
        try:
            n = self.tables["role"].index("coverage")
        except ValueError:
            return []
        hits = np.unique(self._unit_of_rows()[self.columns["role"] == n])
        return [self.units[i] for i in hits.tolist()]

    def members_today(self, today: date) -> set[tuple[str, str]]:
        """(unit, country) for every country a unit's own claims make a member on ``today`` with no date
        asked: a member's or a coverage claim whose end, if it has one, is not before ``today``, as
        ``AnalysisIndex.participation`` reads them (an observer's claim makes no member). Worked out on the
        columns: at 100,000 mechanisms, asking ``participation`` unit by unit for the member matrix took 9 s
        of every index extraction and update."""
        roles = [n for n, role in enumerate(self.tables["role"]) if role in ("member", "coverage")]
        # each period's last day as a day number; row -1 (no end) is open
        ends = np.array([p.end.toordinal() for p in self.tables["period"]] + [np.iinfo(np.int64).max],
                        dtype=np.int64)
        until = self.columns["until"].astype(np.int64)
        ok = np.isin(self.columns["role"], roles) & (ends[until] >= today.toordinal())
        units, countries = self._unit_of_rows()[ok].tolist(), self.columns["country"][ok].tolist()
        names = self.tables["country"]
        return {(self.units[u], names[c]) for u, c in zip(units, countries, strict=True)}

    def countries(self) -> set[str]:
        """Every country some claim names."""
        used = np.unique(self.columns["country"])
        return {self.tables["country"][i] for i in used.tolist()}
