"""Result rows are read one way (neaspec_kg.store.text): an unbound OPTIONAL is None, never a KeyError."""
from __future__ import annotations

import doctest

from neaspec_kg import store as store_module
from neaspec_kg.graph import select
from neaspec_kg.store import OxigraphStore, text


def test_the_docstring_example_holds() -> None:
    result = doctest.testmod(store_module)
    assert result.attempted >= 1 and result.failed == 0


def test_optional_values_are_none_where_unbound(store: OxigraphStore) -> None:
    """Memberships name an acronym only where the mechanism has one: Ramsar's row has none, EANET's has."""
    rows = select(store, "memberships", {"include_related": True})
    acronyms = {r["mechanism"].value.rsplit("/", 1)[-1]: text(r, "acronym") for r in rows}
    assert acronyms["eanet"] == "EANET"
    assert None in acronyms.values()
    assert all(text(r, "no-such-variable") is None for r in rows)
