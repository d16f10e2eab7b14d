"""The SHA-256 of each input file of a build, taken from a stat record when the file cannot have changed.

Why: a build is identified by the hashes of all its inputs (``neaspec_kg.build.Inputs``), so even a build
that is cached, or an incremental rebuild of one edited file, read and hashed every data file: at 100,000
mechanisms that alone took 2.5 s. Like git's index, a small record in the build cache keeps, for each file
hashed, its size, ``st_mtime_ns``, inode and ``st_ctime_ns`` beside the hash, and the next build takes the
hash from the record when all four still match, reading only files that were touched.

The record is a cache and nothing more: a record that is missing, damaged, of another format, or in a cache
folder that is absent or read-only means every file is hashed from its bytes, never an error. A hash from the
record is the hash of the bytes, so a build's digest does not depend on where its hashes came from; builds
that must be exact (``validate --full``, CI) read every file anyway (``Record.reuse`` false) and only refresh
the record.

Racily clean files (git's "racy git" problem): timestamps are coarse on some file systems (a second, or
two on FAT) and an edit that keeps a file's size within the same timestamp tick as the hashing leaves every
recorded field as it was. So each record carries the time its hashing *started* (``stamp``), and an entry is
trusted only for a file whose mtime and ctime are both older than ``stamp - RACY_MARGIN_NS``: any later
write then gives the file a newer timestamp than the one recorded. A file changed within the margin is hashed
from its bytes at every build until a record is written well after it last changed. Taking the stamp before
the first file is read (git takes its index file's mtime, written after hashing) also covers edits made
while a long hashing run is still going. The ctime counts because ``os.utime`` can put an old mtime back
after an edit, but not an old ctime; the inode, because an editor that saves by writing a new file and
renaming it over the old one makes a new inode even when size and times match.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import sys
import time
import uuid
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: where the records are kept, under the build cache folder; one file per data folder
RECORD_DIR = "file-hashes"
#: how much older than a record's stamp a file's mtime and ctime must be for its recorded hash to be used:
#: more than any file system's timestamp granularity (FAT: 2 s), with room for a little clock skew
RACY_MARGIN_NS = 2_000_000_000
#: the format: a version, and the byte order of the integers (a record is read by the machine that wrote it)
_MAGIC = b"NKFH1" + (b"L  " if sys.byteorder == "little" else b"B  ")
#: magic, stamp (ns since the epoch), number of entries, CRC-32 of the rest: a damaged record is not read
_HEADER = struct.Struct("<8sqqQ")
_DIGEST_SIZE = 32


@dataclass(frozen=True)
class Record:
    """Where the stat record of one data folder is kept, and whether its hashes may be used (``reuse``;
    if not, every file is read and the record is only written, for the next build that may use it)."""

    path: Path
    reuse: bool = True


def record_for(cache: Path, data_dir: Path, *, reuse: bool = True) -> Record:
    """The record of the builds of ``data_dir`` in the cache folder ``cache``: one per data folder (by its
    resolved path), so that builds of two data folders neither clobber nor evict each other's entries."""
    key = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:32]
    return Record(cache / RECORD_DIR / f"{key}.bin", reuse)


def sha256_bytes(body: bytes) -> str:
    """The hex SHA-256 of a file's bytes: what names a file's content in a build's digest."""
    return hashlib.sha256(body).hexdigest()


def read_and_hash(path: Path | str) -> tuple[os.stat_result, str]:
    """The file's stat (taken on the open file, before reading: a write during the read leaves a newer
    mtime than the one recorded, so the next build reads it again) and the hash of its bytes."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        return st, sha256_bytes(f.read())


def sha256_file(path: Path | str) -> str:
    """The hash of a file from its bytes, without a record."""
    return read_and_hash(path)[1]


@dataclass
class _Entries:
    """A loaded record, in columns (loading 100,000 entries is a few arrays and one split, 0.07 s here; a
    dict of 100,000 tuples took three times as long): the stamp, each absolute path's row, the recorded
    size, mtime_ns, inode and ctime_ns of each row, and the raw digests, 32 bytes a row."""

    stamp: int
    rows: dict[str, int]
    sizes: list[int]
    mtimes: list[int]
    inodes: list[int]
    ctimes: list[int]
    digests: bytes


def _load(path: Path) -> _Entries | None:
    """The record at ``path``, or None if there is none or it cannot be read whole."""
    try:
        body = path.read_bytes()
        magic, stamp, n, crc = _HEADER.unpack_from(body)
        at = _HEADER.size
        if magic != _MAGIC or n < 0 or zlib.crc32(memoryview(body)[at:]) != crc:
            return None
        columns: list[list[int]] = []
        for code in "qqQq":  # size, mtime_ns, inode, ctime_ns
            column = array(code)
            column.frombytes(body[at:at + n * column.itemsize])
            if len(column) != n:
                return None
            columns.append(column.tolist())
            at += n * column.itemsize
        sizes, mtimes, inodes, ctimes = columns
        digests = body[at:at + n * _DIGEST_SIZE]
        at += n * _DIGEST_SIZE
        names = os.fsdecode(body[at:]).split("\0") if n else []
        if len(digests) != n * _DIGEST_SIZE or len(names) != n:
            return None
    except (OSError, ValueError, struct.error):
        return None
    return _Entries(stamp, dict(zip(names, range(n), strict=True)), sizes, mtimes, inodes, ctimes, digests)


def _save(path: Path, stamp: int, names: list[str], stats: list[os.stat_result], hexes: list[str]) -> None:
    """Write the record whole to a temporary sibling and rename it into place, so that a reader (another
    build of the same folder) finds the old record or the new one, never a mix. Errors are the caller's."""
    body: list[bytes] = []
    for code, field in (("q", "st_size"), ("q", "st_mtime_ns"), ("Q", "st_ino"), ("q", "st_ctime_ns")):
        body.append(array(code, [getattr(st, field) for st in stats]).tobytes())
    body.append(bytes.fromhex("".join(hexes)))
    body.append(os.fsencode("\0".join(names)))
    crc = 0
    for part in body:
        crc = zlib.crc32(part, crc)
    body.insert(0, _HEADER.pack(_MAGIC, stamp, len(names), crc))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(b"".join(body))
        tmp.replace(path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def sha256_files(files: Sequence[Path], record: Record | None = None) -> list[str]:
    """The hex SHA-256 of each file's bytes, in order: from ``record`` where it may be trusted (see the
    module docstring), else read. With a record, it is written again (best effort) whenever a file was read
    or the set of files changed, so that it holds exactly the files of the latest build."""
    if record is None:
        return [sha256_file(f) for f in files]
    stamp = time.time_ns()  # before any file is looked at: see the module docstring
    known = _load(record.path) if record.reuse else None
    cwd = os.getcwd()
    names: list[str] = []
    stats: list[os.stat_result] = []
    hexes: list[str] = []
    read = 0
    if known is not None:
        rows, digests = known.rows, known.digests
        sizes, mtimes, inodes, ctimes = known.sizes, known.mtimes, known.inodes, known.ctimes
        limit = known.stamp - RACY_MARGIN_NS
    for f in files:
        name = os.fspath(f)
        if not os.path.isabs(name):
            name = os.path.join(cwd, name)
        sha = None
        if known is not None:
            # inline, not a method: this loop runs once per data file (100,000 at scale)
            st = os.stat(name)
            i = rows.get(name)
            if (i is not None and st.st_size == sizes[i] and st.st_mtime_ns == mtimes[i]
                    and st.st_ino == inodes[i] and st.st_ctime_ns == ctimes[i]
                    and mtimes[i] < limit and ctimes[i] < limit):  # not racily clean
                sha = digests[i * _DIGEST_SIZE:(i + 1) * _DIGEST_SIZE].hex()
        if sha is None:
            st, sha = read_and_hash(name)
            read += 1
        names.append(name)
        stats.append(st)
        hexes.append(sha)
    if read or known is None or len(known.rows) != len(names):
        with contextlib.suppress(OSError, ValueError):  # a read-only or absent cache: hashed all the same
            _save(record.path, stamp, names, stats, hexes)
    return hexes
