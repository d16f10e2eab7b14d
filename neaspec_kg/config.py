"""Where the ontology and data live. The checkout is the default; an env var can point elsewhere."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Paths:
    """The inputs of a build: ontology Turtle files, shapes, and the TriG data directory."""

    ontology_dir: Path
    data_dir: Path

    @property
    def shapes(self) -> Path:
        return self.ontology_dir / "shapes.ttl"

    def ontology_files(self) -> list[Path]:
        """Ontology and vocabulary Turtle files (shapes are not data, so they are left out)."""
        return sorted(p for p in self.ontology_dir.glob("*.ttl") if p.name != "shapes.ttl")

    def data_files(self) -> list[Path]:
        return sorted(self.data_dir.rglob("*.trig"))


def default_paths() -> Paths:
    """Paths from NEASPEC_KG_ONTOLOGY / NEASPEC_KG_DATA, else the checkout's own folders."""
    return Paths(
        ontology_dir=Path(os.environ.get("NEASPEC_KG_ONTOLOGY", PROJECT_ROOT / "ontology")),
        data_dir=Path(os.environ.get("NEASPEC_KG_DATA", PROJECT_ROOT / "data")),
    )
