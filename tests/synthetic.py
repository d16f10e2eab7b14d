"""Synthetic data and throw-away workspaces for the tests of builds, indexes and tables at some size.

One place for what four test modules need: data from ``bench/synth.py`` (deterministic for a seed) written once
per module, and a workspace (a copy of data and ontology with a private cache, outside CI's full validation)
where a test may edit files and rebuild."""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from neaspec_kg.config import PROJECT_ROOT, Paths


def synthetic_data(factory: pytest.TempPathFactory, mechanisms: int, seed: int) -> Path:
    """A data folder of ``mechanisms`` synthetic mechanisms."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from bench.synth import generate

    out = factory.mktemp(f"synth{mechanisms}") / "data"
    generate(mechanisms, out, seed=seed)
    return out


def workspace(tmp: Path, data: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """Copies of ``data`` and the ontology under ``tmp``, with the build cache at ``tmp/cache`` and the
    incremental rebuilds that CI and ``NEASPEC_KG_FULL_VALIDATION`` would turn off allowed."""
    shutil.copytree(data, tmp / "data")
    shutil.copytree(PROJECT_ROOT / "ontology", tmp / "ontology")
    monkeypatch.setenv("NEASPEC_KG_CACHE", str(tmp / "cache"))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NEASPEC_KG_FULL_VALIDATION", raising=False)
    return Paths(ontology_dir=tmp / "ontology", data_dir=tmp / "data")


@dataclass
class Workspace:
    """A workspace's folders (``workspace``) and its cache, with the edits a test makes to its data files."""

    paths: Paths
    cache: Path

    def file(self, rel: str) -> Path:
        return self.paths.data_dir / rel

    def edit(self, rel: str, old: str, new: str, count: int = 1) -> None:
        path = self.file(rel)
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, count), encoding="utf-8")
