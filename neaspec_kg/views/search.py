"""A mechanism by what a person types (id, acronym or name), and the closest ones when nothing matches: lets
one search box take a focus area or a mechanism."""
from __future__ import annotations

import difflib

from neaspec_kg.analysis.focus import normalise
from neaspec_kg.analysis.profiles import Profiles


def find_mechanism(profiles: Profiles, text: str) -> str | None:
    """The id of the mechanism ``text`` names (id, acronym or English name; case and punctuation do not
    matter), or None. Lets one search box take a focus area or a mechanism."""
    key = normalise(text)
    for m in profiles.mechanisms():
        if key in {normalise(m.id), normalise(m.acronym or ""), normalise(m.label)}:
            return m.id
    return None


def suggest_mechanisms(profiles: Profiles, text: str, n: int = 5) -> list[dict[str, str]]:
    """The closest mechanisms by spelling of id, acronym or name (for the "nothing is called that" page)."""
    keys: dict[str, dict[str, str]] = {}
    for m in profiles.mechanisms():
        entry = {"id": m.id, "label": m.acronym or m.label, "name": m.label}
        for k in (m.id, m.acronym, m.label):
            if k:
                keys.setdefault(normalise(k), entry)
    out: list[dict[str, str]] = []
    for k in difflib.get_close_matches(normalise(text), list(keys), n=3 * n, cutoff=0.5):
        if keys[k] not in out:
            out.append(keys[k])
    return out[:n]
