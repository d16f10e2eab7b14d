"""``Paths.data_files``: the files a build reads, in the order its digest and its error messages depend on."""
from __future__ import annotations

import os
from pathlib import Path

from neaspec_kg.config import Paths


def test_data_files_are_every_trig_file_in_path_order(tmp_path: Path) -> None:
    """The same list, in the same order, as ``sorted(rglob("*.trig"))``: folders whose names sort
    differently as text than part by part (``a-c`` before ``a/`` as text), nested folders, a dot file;
    other suffixes, upper-case ones included, are not data."""
    data = tmp_path / "data"
    for name in ["a/b.trig", "a-c/x.trig", "a.trig", "a/z/y.trig", "b/.trig", "b/Q.TRIG", "b/notes.ttl",
                 "mechanisms/syn-000010.trig", "mechanisms/syn-000009.trig", "mechanisms/syn-0000100.trig"]:
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_text("", encoding="utf-8")
    listed = Paths(ontology_dir=tmp_path, data_dir=data).data_files()
    assert listed == sorted(data.rglob("*.trig"))
    assert [p.relative_to(data).as_posix() for p in listed] == [
        "a/b.trig", "a/z/y.trig", "a-c/x.trig", "a.trig", "b/.trig", "mechanisms/syn-000009.trig",
        "mechanisms/syn-000010.trig", "mechanisms/syn-0000100.trig"]


def test_a_link_to_a_folder_is_not_followed(tmp_path: Path) -> None:
    """As ``rglob`` does not: a link to another folder (or to the data folder itself) would list files twice
    or forever."""
    data = tmp_path / "data"
    (data / "real").mkdir(parents=True)
    (data / "real" / "m.trig").write_text("", encoding="utf-8")
    os.symlink(data / "real", data / "link")
    os.symlink(data, data / "real" / "loop")
    assert [p.relative_to(data).as_posix() for p in Paths(tmp_path, data).data_files()] == ["real/m.trig"]


def test_a_missing_data_folder_has_no_files(tmp_path: Path) -> None:
    assert Paths(tmp_path, tmp_path / "absent").data_files() == []
