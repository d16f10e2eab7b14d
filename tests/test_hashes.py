"""Input hashes taken from the stat record (neaspec_kg.hashes) are the hashes of the files' bytes.

A hash is reused only for a file whose size, mtime, inode and ctime are the recorded ones and that is not
racily clean; anything else (an edit of the same size with its mtime put back, a file replaced by another of
the same size and mtime, a file changed just before the record was written) is read again. A missing,
damaged or unwritable record costs time, never a wrong hash or an error. A build's digest does not depend on
where its hashes came from, and full builds (``full=True``, CI) read every file whatever the record says.

Which files were read is counted by wrapping ``hashes.read_and_hash``, the one place a file is read."""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest

from neaspec_kg import hashes
from neaspec_kg.build import Inputs, build
from neaspec_kg.config import PROJECT_ROOT, Paths


class Reads:
    """The files ``hashes`` reads from their bytes, while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = hashes.read_and_hash

        def counting(path: Path | str) -> tuple[os.stat_result, str]:
            self.paths.append(os.fspath(path))
            return real(path)

        monkeypatch.setattr(hashes, "read_and_hash", counting)

    def take(self) -> list[str]:
        out, self.paths = self.paths, []
        return out


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    return Reads(monkeypatch)


def settle(record: hashes.Record) -> None:
    """Move the record's stamp to a little more than the racy margin after now: as if it had been written
    well after its files last changed (a test cannot wait for files to become old without sleeping)."""
    body = bytearray(record.path.read_bytes())
    magic, _stamp, *rest = hashes._HEADER.unpack_from(body)
    hashes._HEADER.pack_into(body, 0, magic, time.time_ns() + hashes.RACY_MARGIN_NS + 1_000_000_000, *rest)
    record.path.write_bytes(bytes(body))


def write_record(record: hashes.Record, files: list[Path], hexes: list[str]) -> None:
    """A record (already settled) that gives ``hexes`` as the hashes of ``files`` at their present stat."""
    stamp = time.time_ns() + hashes.RACY_MARGIN_NS + 1_000_000_000
    hashes._save(record.path, stamp, [str(f) for f in files], [os.stat(f) for f in files], hexes)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_files(folder: Path, n: int = 5) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        f = folder / f"f{i}.trig"
        f.write_bytes(f"file {i}: ".encode() + bytes(range(i, 200)))
        files.append(f)
    return files


def recorded(tmp_path: Path, reads: Reads) -> tuple[list[Path], hashes.Record]:
    """Five data files hashed once into a record that has settled (every file old enough to be trusted),
    with the reads so far forgotten."""
    files = make_files(tmp_path / "data")
    record = hashes.record_for(tmp_path / "cache", tmp_path / "data")
    hashes.sha256_files(files, record)
    settle(record)
    reads.take()
    return files, record


def tick() -> None:
    """Long enough for the kernel's file timestamps (a clock tick of a few ms) to move on."""
    time.sleep(0.05)


def test_a_reused_hash_is_the_hash_of_the_bytes(tmp_path: Path, reads: Reads) -> None:
    files = make_files(tmp_path / "data")
    record = hashes.record_for(tmp_path / "cache", tmp_path / "data")
    want = [sha(f) for f in files]
    assert hashes.sha256_files(files, record) == want
    assert reads.take() == [str(f) for f in files]
    settle(record)
    assert hashes.sha256_files(files, record) == want
    assert reads.take() == []  # all of them from the record
    assert hashes.sha256_files(files) == want  # and without a record, from the bytes
    assert len(reads.take()) == len(files)


def test_relative_paths_are_recorded_by_their_absolute_path(tmp_path: Path, reads: Reads,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    files = make_files(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    relative = [f.relative_to(tmp_path) for f in files]
    record = hashes.record_for(Path("cache"), Path("data"))
    hashes.sha256_files(relative, record)
    settle(record)
    reads.take()
    assert hashes.sha256_files(files, record) == [sha(f) for f in files]
    assert reads.take() == []


def test_an_edit_of_the_same_size_with_the_mtime_put_back_is_read_again(tmp_path: Path, reads: Reads) -> None:
    files, record = recorded(tmp_path, reads)
    edited = files[2]
    before = os.stat(edited)
    tick()
    body = edited.read_bytes()
    edited.write_bytes(body[:-1] + bytes([body[-1] ^ 1]))  # one bit: same size
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime
    after = os.stat(edited)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert after.st_ctime_ns != before.st_ctime_ns  # only the ctime tells
    got = hashes.sha256_files(files, record)
    assert reads.take() == [str(edited)]
    assert got == [sha(f) for f in files]
    assert got[2] != hashlib.sha256(body).hexdigest()


def test_a_file_replaced_by_another_of_the_same_size_and_mtime_is_read_again(tmp_path: Path, reads: Reads) -> None:
    files, record = recorded(tmp_path, reads)
    old = files[1]
    before = os.stat(old)
    new = old.with_name("saved-by-an-editor.tmp")
    new.write_bytes(bytes(reversed(old.read_bytes())))
    os.utime(new, ns=(before.st_atime_ns, before.st_mtime_ns))
    new.replace(old)  # an editor's save: a new file renamed over the old one
    assert os.stat(old).st_ino != before.st_ino
    assert hashes.sha256_files(files, record) == [sha(f) for f in files]
    assert reads.take() == [str(old)]


def test_racily_clean_files_are_read_again(tmp_path: Path, reads: Reads) -> None:
    """Files changed less than the margin before the record's stamp are read at each build, though every
    recorded field matches: on a file system with coarse timestamps an edit could hide in the same tick."""
    files = make_files(tmp_path / "data")
    record = hashes.record_for(tmp_path / "cache", tmp_path / "data")
    hashes.sha256_files(files, record)
    reads.take()
    assert hashes.sha256_files(files, record) == [sha(f) for f in files]
    assert len(reads.take()) == len(files)  # all just written: none trusted yet
    settle(record)
    tick()
    files[0].write_bytes(files[0].read_bytes() + b"\n")  # changed now, after the (settled) record
    # the edit is newer than the record's stamp: its stat differs, it is read; the others are trusted
    assert hashes.sha256_files(files, record) == [sha(f) for f in files]
    assert reads.take() == [str(files[0])]
    # that build wrote a record stamped now, and all five files really changed less than the margin before
    # it: none is trusted until a record is written well after they last changed
    assert hashes.sha256_files(files, record) == [sha(f) for f in files]
    assert len(reads.take()) == len(files)


def test_files_added_and_removed_since_the_record(tmp_path: Path, reads: Reads) -> None:
    files = make_files(tmp_path / "data", 6)
    record = hashes.record_for(tmp_path / "cache", tmp_path / "data")
    hashes.sha256_files(files[:5], record)
    settle(record)
    reads.take()
    assert hashes.sha256_files(files[1:], record) == [sha(f) for f in files[1:]]
    assert reads.take() == [str(files[5])]
    loaded = hashes._load(record.path)
    assert loaded is not None and set(loaded.rows) == {str(f) for f in files[1:]}  # the record holds just these


@pytest.mark.parametrize("how", ["missing", "under a file", "record is a folder", "zeroed", "truncated",
                                 "a byte flipped", "other format"])
def test_a_missing_unwritable_or_damaged_record_means_reading_every_file(tmp_path: Path, reads: Reads,
                                                                         how: str) -> None:
    files = make_files(tmp_path / "data")
    cache = tmp_path / "cache"
    if how == "under a file":  # a cache folder that cannot be made (running as root, chmod would not do)
        (tmp_path / "plain").write_text("not a folder")
        cache = tmp_path / "plain" / "cache"
    record = hashes.record_for(cache, tmp_path / "data")
    if how == "record is a folder":  # can be neither read nor replaced
        record.path.mkdir(parents=True)
    elif how in {"zeroed", "truncated", "a byte flipped", "other format"}:
        hashes.sha256_files(files, record)
        settle(record)
        body = record.path.read_bytes()
        middle = len(body) // 2
        record.path.write_bytes({"zeroed": b"\x00" * len(body), "truncated": body[: len(body) - 40],
                                 "a byte flipped": body[:middle] + bytes([body[middle] ^ 1]) + body[middle + 1:],
                                 "other format": b"NKFH9L  " + body[8:]}[how])
    reads.take()
    assert hashes.sha256_files(files, record) == [sha(f) for f in files]
    assert len(reads.take()) == len(files)
    if how == "missing":
        assert record.path.is_file()  # and written for the next build


def test_a_record_is_kept_per_data_folder(tmp_path: Path, reads: Reads) -> None:
    one, two = make_files(tmp_path / "one"), make_files(tmp_path / "two")
    first = hashes.record_for(tmp_path / "cache", tmp_path / "one")
    second = hashes.record_for(tmp_path / "cache", tmp_path / "two")
    assert first.path != second.path
    hashes.sha256_files(one, first)
    hashes.sha256_files(two, second)
    settle(first)
    settle(second)
    reads.take()
    hashes.sha256_files(one, first)
    hashes.sha256_files(two, second)
    assert reads.take() == []


# --------------------------------------------------------------------------- in builds


def copy_inputs(tmp_path: Path) -> Paths:
    shutil.copytree(PROJECT_ROOT / "ontology", tmp_path / "ontology")
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    return Paths(ontology_dir=tmp_path / "ontology", data_dir=tmp_path / "data")


def every_input(paths: Paths) -> list[Path]:
    return [*paths.ontology_files(), paths.shapes, *paths.data_files()]


def test_the_inputs_are_the_same_with_and_without_the_record(tmp_path: Path, reads: Reads) -> None:
    paths = copy_inputs(tmp_path)
    onto, data = paths.ontology_files(), paths.data_files()
    record = hashes.record_for(tmp_path / "cache", paths.data_dir)
    plain = Inputs(paths, onto, data)
    Inputs(paths, onto, data, record)
    settle(record)
    reads.take()
    recorded = Inputs(paths, onto, data, record)
    assert reads.take() == []
    assert (recorded.schema, recorded.files, recorded.digest) == (plain.schema, plain.files, plain.digest)


def test_a_builds_digest_is_the_same_with_and_without_the_record(tmp_path: Path, reads: Reads,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    paths = copy_inputs(tmp_path)
    monkeypatch.setenv("NEASPEC_KG_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NEASPEC_KG_FULL_VALIDATION", raising=False)
    without = build(paths, use_cache=False)  # no record read or written
    assert not (tmp_path / "cache" / hashes.RECORD_DIR).exists()
    first = build(paths)
    assert first.how == "full" and first.digest == without.digest
    settle(hashes.record_for(tmp_path / "cache", paths.data_dir))
    reads.take()
    cached = build(paths)
    assert reads.take() == []  # every hash from the record
    assert cached.how == "cached" and cached.digest == without.digest


@pytest.mark.parametrize("how", ["full=True", "CI", "NEASPEC_KG_FULL_VALIDATION"])
def test_full_builds_read_every_file_whatever_the_record_says(tmp_path: Path, reads: Reads,
                                                              monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    paths = copy_inputs(tmp_path)
    monkeypatch.setenv("NEASPEC_KG_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NEASPEC_KG_FULL_VALIDATION", raising=False)
    right = build(paths)
    files = every_input(paths)
    record = hashes.record_for(tmp_path / "cache", paths.data_dir)
    write_record(record, files, ["0" * 64] * len(files))  # a record that lies, at the files' present stat
    reads.take()
    assert build(paths).digest != right.digest  # a build that may use the record believes it
    assert reads.take() == []
    write_record(record, files, ["0" * 64] * len(files))
    if how == "full=True":
        exact = build(paths, full=True)
    else:
        monkeypatch.setenv(how, "1")
        exact = build(paths)
    assert sorted(reads.take()) == sorted(str(f) for f in files)
    assert exact.digest == right.digest
    # and the record they leave is a true one again
    settle(record)
    monkeypatch.delenv(how, raising=False)
    assert build(paths).digest == right.digest
    assert reads.take() == []
