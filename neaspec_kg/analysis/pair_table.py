"""The all-pairs top-K duplication table: each mechanism's best partners, computed once per build.

Why: the bounded search of ``duplication._search`` compares in full every candidate whose bound can still reach
the top, which is milliseconds a mechanism at 1,000 mechanisms but grows with the number that meet it: 0.13 s
for one mechanism at 10,000, and minutes for the top pairs of all. An analyst asks the same two questions again
and again ("what duplicates TEMM?", "where is the real duplication risk?"), so the ranking behind both is worked
out once per build for every mechanism, and a question reads one row and explains only the pairs it shows.

**Exactly the method's ranking.** A row holds the keys ``_pair_sort_key`` sorts by (level, score, partner),
computed by the method itself, not by an approximation of it:

- the concept meeting weights, the activity weights and the evidence weights are read off ``meetings`` and
  ``_evidence_weight`` (probed, not copied), the countries' factor is ``Countries.factor``, and the score is
  Python's ``round(value * factor, 3)`` taken from a table of every value, shared count and smaller size;
- the best meeting is the first of ``meetings``' order (value, then the two concepts' IRIs), and its countries
  are those of its evidence (``countries_of``: a platform's own coverage where it has one);
- pairs the note judges, pairs with an engagement and a part with its whole are compared in full by ``compare``
  (there are few), since the note's verdicts, coordination and "one works within the other" set their level;
- the default reading only: today, evidence down to partially implemented activities, no ``skos:related``,
  partners among the subregional mechanisms. Other readings use the bounded search.

Tests hold every row to the exhaustive ranking on the real data and on synthetic graphs.

**How.** Each mechanism's profile becomes entries (concept, strongest evidence, modalities as a bitmask, its
countries as a bitset); one compiled pass (numba) walks, for each mechanism, its entries, the concepts each meets,
and the mechanisms with those concepts, keeping per partner the best meeting and whether any meeting shares a kind
of activity or is not a different one: the work is the number of meetings, not mechanisms squared.

**Updates.** ``updated`` makes the table of a rebuilt index from the last one: only the rows of mechanisms whose
inputs changed (their profile, countries, pool, judgements, engagements, parts) are computed again, with every
other row's pairs with them; a row that lost a partner it was full with is computed again whole.

A key packs (level, 1000 - score in thousandths, partner row) into one int64, so sorting keys sorts pairs.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

from neaspec_kg.analysis.duplication import (
    DEFAULT_MIN_EVIDENCE,
    LEVELS,
    Work,
    _evidence_weight,
    compare,
    countries_of,
    meetings,
    profile,
)
from neaspec_kg.index import RANK, AnalysisIndex
from neaspec_kg.models import PairAnswer

log = logging.getLogger(__name__)

#: partners kept per mechanism: answers with ``limit`` up to this come from the table
TABLE_K = 20
_LEVEL_SHIFT = 40
_SCORE_SHIFT = 24
_ROW_MASK = (1 << _SCORE_SHIFT) - 1
_SHARED = np.uint8(1)   # some meeting shares a kind of activity (on a focus, not a theme)
_NOT_DIFFERENT = np.uint8(2)  # some meeting is not of a different kind of activity
_T = TypeVar("_T")
RISK, OVERLAP, COMPLEMENTARY = (LEVELS.index(x) for x in ("risk", "overlap", "complementary"))


def pack(level: int, score: float, row: int) -> int:
    """The sort key of a pair, as one integer (smaller is better)."""
    return (level << _LEVEL_SHIFT) | ((1000 - round(score * 1000)) << _SCORE_SHIFT) | row


def unpack(key: int) -> tuple[int, float, int]:
    """(level index, score, partner row) of a key."""
    return key >> _LEVEL_SHIFT, (1000 - ((key >> _SCORE_SHIFT) & 0xFFFF)) / 1000, key & _ROW_MASK


# ---------------------------------------------------------------------------------------------- the method's weights
@dataclass(frozen=True)
class _Weights:
    """The method's weights, read off ``duplication.meetings`` by probing it with one-concept profiles, so that
    the table cannot drift from the method."""

    focus: tuple[float, ...]     # the distinct focus weights of concept meetings
    activity: tuple[float, ...]  # shared, not recorded on one side, different
    evidence: tuple[float, ...]  # indexed by evidence rank
    focus_of: dict[tuple[str, str], int]  # (concept a, concept b) -> index into focus, for the pairs that meet

    @property
    def values(self) -> np.ndarray:
        """Meeting values by code (focus index, activity index, rank): ``Meeting.value``'s arithmetic."""
        out = np.zeros((len(self.focus), 3, len(self.evidence)), dtype=np.float64)
        for f, fw in enumerate(self.focus):
            for a, aw in enumerate(self.activity):
                for r, ew in enumerate(self.evidence):
                    out[f, a, r] = fw * aw * ew
        return out.reshape(-1)


def _weights(ix: AnalysisIndex, concepts: Sequence[str]) -> _Weights:
    def one(c: str, modalities: set[str], rank: int = 0) -> dict[str, Work]:
        return {c: Work(rank, set(modalities))}

    probe = concepts[0] if concepts else ""
    shared = meetings(ix, one(probe, {"x"}), one(probe, {"x"}))
    empty = meetings(ix, one(probe, set()), one(probe, {"x"}))
    different = meetings(ix, one(probe, {"x"}), one(probe, {"y"}))
    if concepts and not (shared and empty and different):
        # the probe concept is a theme, which meets nothing: find one that meets itself
        probe = next((c for c in concepts if meetings(ix, one(c, set()), one(c, set()))), probe)
        shared = meetings(ix, one(probe, {"x"}), one(probe, {"x"}))
        empty = meetings(ix, one(probe, set()), one(probe, {"x"}))
        different = meetings(ix, one(probe, {"x"}), one(probe, {"y"}))
    activity = tuple(m[0].activity_weight for m in (shared, empty, different)) if shared else (1.0, 0.6, 0.3)
    focus: list[float] = []
    focus_of: dict[tuple[str, str], int] = {}
    th = ix.thesaurus
    near: dict[str, set[str]] = {c: {c} for c in concepts}
    for c in concepts:  # only concepts in one line of the hierarchy can meet (related ones are not read here)
        for up in th.ancestors(c):
            if up in near:
                near[c].add(up)
                near[up].add(c)
    for a in concepts:
        for b in sorted(near[a]):
            ms = meetings(ix, one(a, set()), one(b, set()))
            if ms:
                w = ms[0].focus_weight
                if w not in focus:
                    focus.append(w)
                focus_of[(a, b)] = focus.index(w)
    evidence = tuple(_evidence_weight(r) for r in range(len(RANK)))
    return _Weights(tuple(focus), activity, evidence, focus_of)


def factors(countries: int) -> np.ndarray:
    """``Countries.factor`` for every shared count (rows) and smaller side (columns) up to ``countries``: the
    same IEEE arithmetic (the share, halved under two shared countries), so the same doubles (a test holds it to
    ``Countries.factor``)."""
    s = np.arange(countries + 1, dtype=np.float64)[:, None]
    m = np.arange(countries + 1, dtype=np.float64)[None, :]
    share = s / np.where(m > 0, m, 1.0)
    out: np.ndarray = np.where(m > 0, np.where(s >= 2, share, share / 2), 0.0)
    return out


def _score_table(values: np.ndarray, countries: int, coordination: float = 1.0) -> np.ndarray:
    """``round(value * factor * coordination, 3)`` in thousandths (``compare``'s arithmetic, in its order), for
    every meeting value, shared count and smaller side: vectorised, with Python's own ``round`` wherever
    ``rint`` could land on the other side of a half."""
    factor = factors(countries)
    raw = values[:, None, None] * factor[None, :, :] * coordination
    scaled = raw * 1000
    out = np.rint(scaled)
    possible = np.arange(countries + 1)[:, None] <= np.arange(countries + 1)[None, :]  # shared <= smaller
    near_half = (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6) & possible[None, :, :]
    for idx in zip(*np.nonzero(near_half), strict=True):
        v, si, mi = (int(x) for x in idx)
        out[v, si, mi] = round(round(float(values[v]) * float(factor[si, mi]) * coordination, 3) * 1000)
    table: np.ndarray = np.clip(out, 0, 1000).astype(np.int16)
    return table


# ---------------------------------------------------------------------------------------------- the compiled pass
@intrinsic
def _ctpop(typingctx: Any, x: Any) -> Any:  # pragma: no cover - compiled
    """The CPU's population count (LLVM's ctpop) on a 64-bit word."""
    sig = types.uint64(types.uint64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return sig, codegen


@numba.njit(cache=True, nogil=True, inline="always")
def _offer(heap: np.ndarray, h: int, k: int, key: np.int64) -> int:  # pragma: no cover - compiled
    """Keep the ``k`` smallest keys seen in ``heap`` (a max-heap of ``h`` entries); returns the new ``h``. A key
    costs one comparison unless it enters the top, so choosing a row's best is linear in its candidates."""
    if h < k:
        i = h
        heap[i] = key
        while i > 0:
            parent = (i - 1) // 2
            if heap[parent] >= heap[i]:
                break
            heap[parent], heap[i] = heap[i], heap[parent]
            i = parent
        return h + 1
    if key >= heap[0]:
        return h
    heap[0] = key
    i = 0
    while True:
        left = 2 * i + 1
        largest = i
        if left < k and heap[left] > heap[largest]:
            largest = left
        if left + 1 < k and heap[left + 1] > heap[largest]:
            largest = left + 1
        if largest == i:
            return h
        heap[largest], heap[i] = heap[i], heap[largest]
        i = largest


@numba.njit(cache=True, nogil=True)
def _chunk(lo: int, hi: int, sources: np.ndarray, ent_ptr: np.ndarray, ent_concept: np.ndarray,
           ent_rank: np.ndarray, ent_bits: np.ndarray, ent_countries: np.ndarray, ent_sizes: np.ndarray,
           ent_mech: np.ndarray, post_ptr: np.ndarray, post_ent: np.ndarray, rel_ptr: np.ndarray,
           rel_col: np.ndarray, rel_focus: np.ndarray, focus_strong: np.ndarray,
           activity_not_different: np.ndarray, n_ranks: int, values: np.ndarray, scores: np.ndarray,
           scores_half: np.ndarray, partner_ok: np.ndarray, skip_ptr: np.ndarray, skip_row: np.ndarray,
           skip_kind: np.ndarray, k: int, full: np.ndarray,
           full_total: np.ndarray, forward: np.ndarray, forward_total: np.ndarray) -> None:  # pragma: no cover
    """The rows of ``sources[lo:hi]`` (see ``_pass``), with scratch arrays of its own."""
    n = partner_ok.shape[0]
    words = ent_countries.shape[1]
    best = np.full(n, -1.0)
    best_code = np.zeros(n, dtype=np.int64)
    best_ea = np.zeros(n, dtype=np.int64)
    best_eb = np.zeros(n, dtype=np.int64)
    flags = np.zeros(n, dtype=np.uint8)
    mark = np.zeros(n, dtype=np.uint8)  # 1: compared in full elsewhere; 2: coordinated (a delivered engagement)
    touched = np.zeros(n, dtype=np.int64)
    heap = np.empty(k, dtype=np.int64)
    fheap = np.empty(k, dtype=np.int64)
    for si in range(lo, hi):
        a = sources[si]
        for x in range(skip_ptr[si], skip_ptr[si + 1]):
            mark[skip_row[x]] = skip_kind[x]
        nt = 0
        for ea in range(ent_ptr[a], ent_ptr[a + 1]):
            ca = ent_concept[ea]
            ba = ent_bits[ea]
            ra = ent_rank[ea]
            for ri in range(rel_ptr[ca], rel_ptr[ca + 1]):
                cb = rel_col[ri]
                fi = rel_focus[ri]
                for pi in range(post_ptr[cb], post_ptr[cb + 1]):
                    eb = post_ent[pi]
                    b = ent_mech[eb]
                    if b == a or not partner_ok[b] or mark[b] == 1:
                        continue
                    bb = ent_bits[eb]
                    if (ba & bb) != 0:
                        ai = 0
                    elif ba == 0 or bb == 0:
                        ai = 1
                    else:
                        ai = 2
                    rank = ra if ra > ent_rank[eb] else ent_rank[eb]
                    code = (fi * 3 + ai) * n_ranks + rank
                    v = values[code]
                    f = np.uint8(0)
                    if ai == 0 and focus_strong[fi]:
                        f |= np.uint8(1)
                    if activity_not_different[ai]:
                        f |= np.uint8(2)
                    if best[b] < 0:
                        touched[nt] = b
                        nt += 1
                        best[b] = v
                        best_code[b] = code
                        best_ea[b] = ea
                        best_eb[b] = eb
                        flags[b] = f
                    else:
                        flags[b] |= f
                        if v > best[b]:  # strictly: the first of equal meetings in concept order stays
                            best[b] = v
                            best_code[b] = code
                            best_ea[b] = ea
                            best_eb[b] = eb
        h = 0
        fh = 0
        nf = 0
        for t in range(nt):
            b = touched[t]
            ea = best_ea[b]
            eb = best_eb[b]
            s = 0
            for w in range(words):
                s += _ctpop(ent_countries[ea, w] & ent_countries[eb, w])  # type: ignore[call-arg]
            smaller = min(ent_sizes[ea], ent_sizes[eb])
            coordinated = mark[b] == 2
            if smaller == 0:
                milli = 0
            elif coordinated:  # halved, and a risk is coordinated work (``compare``, ``level_of``)
                milli = scores_half[best_code[b], s, smaller]
            else:
                milli = scores[best_code[b], s, smaller]
            if (flags[b] & 1) != 0 and s >= 2:
                level = 2 if coordinated else 1
            elif (flags[b] & 2) == 0:
                level = 4
            else:
                level = 3
            key = (np.int64(level) << 40) | (np.int64(1000 - milli) << 24) | np.int64(b)
            h = _offer(heap, h, k, key)
            if b > a:
                nf += 1
                fh = _offer(fheap, fh, k, key)
            best[b] = -1.0
            flags[b] = 0
        for x in range(skip_ptr[si], skip_ptr[si + 1]):
            mark[skip_row[x]] = 0
        full_total[si] = nt
        forward_total[si] = nf
        full[si, :h] = np.sort(heap[:h])
        forward[si, :fh] = np.sort(fheap[:fh])


@numba.njit(cache=True, nogil=True, parallel=True)
def _pass(sources: np.ndarray, ent_ptr: np.ndarray, ent_concept: np.ndarray, ent_rank: np.ndarray,
          ent_bits: np.ndarray, ent_countries: np.ndarray, ent_sizes: np.ndarray, ent_mech: np.ndarray,
          post_ptr: np.ndarray, post_ent: np.ndarray, rel_ptr: np.ndarray, rel_col: np.ndarray,
          rel_focus: np.ndarray, focus_strong: np.ndarray, activity_not_different: np.ndarray, n_ranks: int,
          values: np.ndarray, scores: np.ndarray, scores_half: np.ndarray, partner_ok: np.ndarray,
          skip_ptr: np.ndarray, skip_row: np.ndarray, skip_kind: np.ndarray, k: int,
          chunks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """For each source row: the keys of its best ``k`` partners (and of those later in the order), and how
    many candidates it had. Compiled, in ``chunks`` of rows shared out over every core (the rows are
    independent); reads only arrays."""
    count = sources.shape[0]
    full = np.full((count, k), -1, dtype=np.int64)
    forward = np.full((count, k), -1, dtype=np.int64)
    full_total = np.zeros(count, dtype=np.int64)
    forward_total = np.zeros(count, dtype=np.int64)
    for c in numba.prange(chunks):
        _chunk(c * count // chunks, (c + 1) * count // chunks, sources, ent_ptr, ent_concept, ent_rank, ent_bits,
               ent_countries, ent_sizes, ent_mech, post_ptr, post_ent, rel_ptr, rel_col, rel_focus, focus_strong,
               activity_not_different, n_ranks, values, scores, scores_half, partner_ok, skip_ptr, skip_row,
               skip_kind, k, full,
               full_total, forward, forward_total)
    return full, full_total, forward, forward_total


# ---------------------------------------------------------------------------------------------- inputs of the pass
class _Inputs:
    """The index as the compiled pass reads it (see the module docstring)."""

    def __init__(self, ix: AnalysisIndex) -> None:
        self.mechanisms = ix.mechanisms  # the same list: pickled once with the index, compared by identity
        self.row = {m: i for i, m in enumerate(self.mechanisms)}
        profiles = {m: profile(ix, m, DEFAULT_MIN_EVIDENCE) for m in self.mechanisms}
        concepts = sorted(set(ix.thesaurus.concepts) | {c for p in profiles.values() for c in p})
        modalities = sorted({x for p in profiles.values() for w in p.values() for x in w.modalities})
        if len(modalities) > 64:
            raise TableUnavailable(f"{len(modalities)} kinds of activity: more than a 64-bit mask holds")
        countries = sorted(ix.country_labels)
        self.weights = _weights(ix, concepts)
        self.context = hashlib.sha256(repr((concepts, modalities, countries, self.weights)).encode()).hexdigest()
        col = {c: i for i, c in enumerate(concepts)}
        bit = {x: 1 << i for i, x in enumerate(modalities)}
        country_bit = {c: i for i, c in enumerate(countries)}
        words = max(1, (len(countries) + 63) // 64)
        self.pool = np.array([ix.units[m].subregional for m in self.mechanisms], dtype=np.bool_)
        ent_mech: list[int] = []
        ent_concept: list[int] = []
        ent_rank: list[int] = []
        ent_bits: list[int] = []
        ent_countries: list[list[int]] = []
        ptr = [0]
        self.signatures: list[bytes] = []
        memo: dict[tuple[str, frozenset[str]], frozenset[str]] = {}
        engaged = _partners(ix.engagements_by_pair)
        judged = _partners(ix.judgements_by_pair)
        parts: dict[str, list[str]] = {}
        for m in self.mechanisms:
            wider = ix.units[m].wider
            if wider:
                parts.setdefault(wider, []).append(m)
        for r, m in enumerate(self.mechanisms):
            prof = profiles[m]
            sig: list[object] = [m, bool(self.pool[r]), ix.units[m].wider]
            for c in sorted(prof):
                w = prof[c]
                scopes = frozenset(ix.evidence[i].scope for i in w.items)
                key = (m, scopes)
                if key not in memo:
                    if not ix.has_coverage[r] and all(ix.owner(x) == m for x in scopes):
                        # no component with its own coverage: every scope takes part as the mechanism does
                        # (``countries_of``), which the index holds as its member row
                        memo[key] = frozenset(ix.country_ids[i] for i in np.flatnonzero(ix.member_matrix[r]))
                    else:
                        memo[key] = frozenset(countries_of(ix, w.items, m, None)[0])
                members = memo[key]
                words_of = [0] * words
                for x in members:
                    b = country_bit[x]
                    words_of[b // 64] |= 1 << (b % 64)
                mask = 0
                for x in w.modalities:
                    mask |= bit[x]
                ent_mech.append(r)
                ent_concept.append(col[c])
                ent_rank.append(w.rank)
                ent_bits.append(mask)
                ent_countries.append(words_of)
                sig.append((c, w.rank, sorted(w.modalities), sorted(members)))
            sig.append(sorted((p, sorted((e.iri, e.delivered) for e in es)) for p, es in engaged.get(m, {}).items()))
            sig.append(sorted((p, sorted((j.iri, j.verdict) for j in js)) for p, js in judged.get(m, {}).items()))
            sig.append(parts.get(m, []))
            self.signatures.append(hashlib.sha256(repr(sig).encode()).digest())
            ptr.append(len(ent_mech))
        self.ent_ptr = np.array(ptr, dtype=np.int64)
        self.ent_mech = np.array(ent_mech, dtype=np.int64)
        self.ent_concept = np.array(ent_concept, dtype=np.int64)
        self.ent_rank = np.array(ent_rank, dtype=np.int64)
        self.ent_bits = np.array(ent_bits, dtype=np.uint64)
        self.ent_countries = np.array(ent_countries, dtype=np.uint64).reshape(len(ent_mech), words)
        self.ent_sizes = np.array([sum(w.bit_count() for w in ws) for ws in ent_countries], dtype=np.int64)
        order = np.lexsort((self.ent_mech, self.ent_concept))  # by concept, then mechanism
        self.post_ent = order.astype(np.int64)
        self.post_ptr = np.searchsorted(self.ent_concept[order], np.arange(len(concepts) + 1)).astype(np.int64)
        meets: dict[str, list[tuple[str, int]]] = {c: [] for c in concepts}
        for (ca, cb), fi in self.weights.focus_of.items():
            meets[ca].append((cb, fi))
        rel_ptr, rel_col, rel_focus = [0], [], []
        for ca in concepts:
            for cb, fi in sorted(meets[ca]):  # in concept order: the first of equal meetings is the one listed first
                rel_col.append(col[cb])
                rel_focus.append(fi)
            rel_ptr.append(len(rel_col))
        self.rel_ptr = np.array(rel_ptr, dtype=np.int64)
        self.rel_col = np.array(rel_col, dtype=np.int64)
        self.rel_focus = np.array(rel_focus, dtype=np.int64)
        self.focus_strong = np.array([w > 0.5 for w in self.weights.focus] or [False], dtype=np.bool_)
        self.activity_not_different = np.array([w != 0.3 for w in self.weights.activity], dtype=np.bool_)
        self.values = self.weights.values
        self.scores = _score_table(self.values, len(countries))
        self.scores_half = _score_table(self.values, len(countries), 0.5)
        # pairs the note judges and a part with its whole are compared in full; a delivered engagement only
        # makes the pair coordinated (halved, a risk read as coordinated work), which the pass applies itself;
        # a proposed one leaves the pair as it is
        self.special: dict[str, set[str]] = {m: set() for m in self.mechanisms}
        self.coordinated: dict[str, set[str]] = {
            m: {p for p, es in engaged.get(m, {}).items() if any(e.delivered for e in es)} for m in self.mechanisms}
        for m in self.mechanisms:
            self.special[m] |= set(judged.get(m, {}))
            wider = ix.units[m].wider
            if wider in self.row:
                self.special[m].add(wider)
                self.special[wider].add(m)

    def run(self, sources: Sequence[int], k: int, partner_ok: np.ndarray | None = None,
            postings: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, ...]:
        """The compiled pass for the mechanisms at ``sources`` (rows), partners limited to ``partner_ok``."""
        ok = self.pool if partner_ok is None else partner_ok
        skip_ptr, skip_row, skip_kind = [0], [], []
        for r in sources:
            m = self.mechanisms[r]
            marks = {self.row[p]: 2 for p in self.coordinated[m] if p in self.row}
            marks.update({self.row[p]: 1 for p in self.special[m] if p in self.row})
            for row in sorted(marks):
                skip_row.append(row)
                skip_kind.append(marks[row])
            skip_ptr.append(len(skip_row))
        post_ptr, post_ent = postings if postings is not None else (self.post_ptr, self.post_ent)
        return _pass(np.asarray(sources, dtype=np.int64), self.ent_ptr, self.ent_concept, self.ent_rank,
                     self.ent_bits, self.ent_countries, self.ent_sizes, self.ent_mech, post_ptr, post_ent,
                     self.rel_ptr,
                     self.rel_col, self.rel_focus, self.focus_strong, self.activity_not_different, len(RANK),
                     self.values, self.scores, self.scores_half, ok, np.array(skip_ptr, dtype=np.int64),
                     np.array(skip_row, dtype=np.int64), np.array(skip_kind, dtype=np.uint8), k,
                     max(1, min(len(sources), 4 * numba.get_num_threads())))


def _partners(by_pair: dict[frozenset[str], list[_T]]) -> dict[str, dict[str, list[_T]]]:
    """{mechanism: {the other: items}} of an index's by-pair map."""
    out: dict[str, dict[str, list[_T]]] = {}
    for key, items in by_pair.items():
        if len(key) == 2:
            a, b = sorted(key)
            out.setdefault(a, {})[b] = list(items)
            out.setdefault(b, {})[a] = list(items)
    return out


class TableUnavailable(Exception):
    """The data does not fit the table's packing (the bounded search answers instead)."""


# ---------------------------------------------------------------------------------------------- the table
@dataclass
class PairTable:
    """Per mechanism (rows in the index's order), the keys of its best ``k`` partners among the pool (``full``),
    and of its best ``k`` partners later in the order (``forward``: the ranking of all pairs counts a pair once,
    from its earlier mechanism, as ``duplication`` compares it), with how many candidates each had."""

    mechanisms: list[str]
    k: int
    full: np.ndarray
    full_total: np.ndarray
    forward: np.ndarray
    forward_total: np.ndarray
    signatures: list[bytes]
    context: str
    pool: np.ndarray  # the partners' pool (the subregional mechanisms)
    recomputed: int = 0  # rows computed by the pass that made this table (all, or those an update needed)
    ranking: np.ndarray | None = None  # the best k pairs of all, as (level, score milli, row, row), on first use

    def row(self, ix: AnalysisIndex, mechanism: str) -> list[tuple[int, float, str]]:
        """(level index, score, partner IRI) of a mechanism's best partners, best first."""
        r = ix.mech_row[mechanism]
        return [(lv, sc, self.mechanisms[p]) for lv, sc, p in (unpack(int(x)) for x in self.full[r] if x >= 0)]

    def truncated(self, mechanism_row: int) -> bool:
        """Whether the mechanism had more candidates than its row holds."""
        return bool(self.full_total[mechanism_row] > self.k)

    def top_pairs(self, limit: int) -> list[tuple[int, float, int, int]]:
        """The best ``limit`` (up to ``k``) pairs of all among the pool, (level index, score, earlier row, later
        row): ranked once from the forward rows of the pool's mechanisms (a pair in the top ``limit`` of all is
        in the top ``limit`` of its earlier mechanism), then read."""
        if self.ranking is None:
            rows = np.flatnonzero(self.pool)
            keys = self.forward[rows]
            valid = keys >= 0
            flat = keys[valid]
            owners = np.repeat(rows, valid.sum(axis=1)).astype(np.int64)
            # (level, inverse score, earlier row, later row) in one int64: 3 + 10 + 24 + 24 bits
            level_score = ((flat >> _LEVEL_SHIFT) << 10) | ((flat >> _SCORE_SHIFT) & 0x3FF)
            order_key = (level_score << (2 * _SCORE_SHIFT)) | (owners << _SCORE_SHIFT) | (flat & _ROW_MASK)
            best = order_key if len(order_key) <= self.k else np.partition(order_key, self.k - 1)[: self.k]
            self.ranking = np.sort(best)
        out = []
        for key in self.ranking[:limit].tolist():
            level_score = key >> (2 * _SCORE_SHIFT)
            out.append((level_score >> 10, (1000 - (level_score & 0x3FF)) / 1000,
                        (key >> _SCORE_SHIFT) & _ROW_MASK, key & _ROW_MASK))
        return out


def _merge_special(ix: AnalysisIndex, inputs: _Inputs, rows: Sequence[int], full: np.ndarray,
                   full_total: np.ndarray, forward: np.ndarray, forward_total: np.ndarray, k: int,
                   partner_ok: np.ndarray) -> None:
    """Pairs the pass leaves out (judged, engaged, a part and its whole), compared in full and merged in."""
    for i, r in enumerate(rows):
        a = inputs.mechanisms[r]
        extra: list[int] = []
        fextra: list[int] = []
        for p in sorted(inputs.special[a]):
            pr = inputs.row.get(p)
            if pr is None or pr == r or not partner_ok[pr]:
                continue
            answer = compare(ix, a, p)
            if not answer.meetings and not answer.judgements:
                continue
            key = pack(LEVELS.index(answer.level), answer.score, pr)
            extra.append(key)
            if pr > r:
                fextra.append(key)
        if extra:
            merged = np.sort(np.concatenate([full[i][full[i] >= 0], np.array(extra, dtype=np.int64)]))[:k]
            full[i] = -1
            full[i, :len(merged)] = merged
            full_total[i] += len(extra)
        if fextra:
            merged = np.sort(np.concatenate([forward[i][forward[i] >= 0], np.array(fextra, dtype=np.int64)]))[:k]
            forward[i] = -1
            forward[i, :len(merged)] = merged
            forward_total[i] += len(fextra)


def _rows(ix: AnalysisIndex, inputs: _Inputs, rows: Sequence[int], k: int) -> tuple[np.ndarray, ...]:
    full, full_total, forward, forward_total = inputs.run(rows, k)
    _merge_special(ix, inputs, rows, full, full_total, forward, forward_total, k, inputs.pool)
    return full, full_total, forward, forward_total


def compute(ix: AnalysisIndex, k: int = TABLE_K) -> PairTable:
    """The table of an index, from scratch."""
    return _from_inputs(ix, _Inputs(ix), k)


def updated(old: PairTable, ix: AnalysisIndex) -> PairTable:
    """The table of ``ix`` made from ``old``, the table of an earlier build of the same data (see the module
    docstring): rows are computed again only for the mechanisms whose inputs changed (or that came or went), and
    every other row gets its pairs with those merged in. The result equals ``compute(ix)`` (a test holds it to
    that), except that a row's count of candidates may stay an overestimate above ``k``: it only says the row is
    cut, which makes a filtered question search rather than trust the row. From scratch when the vocabulary,
    the kinds of activity or the countries changed (the rows' positions and bits mean something else then)."""
    inputs = _Inputs(ix)
    n = len(inputs.mechanisms)
    if inputs.context != old.context:
        return _from_inputs(ix, inputs, old.k)
    k = old.k
    before = dict(zip(old.mechanisms, old.signatures, strict=True))
    changed = {m for m, sig in zip(inputs.mechanisms, inputs.signatures, strict=True) if before.get(m) != sig}
    gone = set(old.mechanisms) - set(inputs.mechanisms)
    if len(changed) + len(gone) > max(64, n // 4):
        return _from_inputs(ix, inputs, k)
    touched = changed | gone
    new_row = np.array([inputs.row.get(m, -1) for m in old.mechanisms], dtype=np.int64)
    old_row = {m: i for i, m in enumerate(old.mechanisms)}
    is_changed = np.zeros(n, dtype=np.bool_)
    for m in changed:
        is_changed[inputs.row[m]] = True
    old_touched = np.array([m in touched for m in old.mechanisms], dtype=np.bool_)

    full = np.full((n, k), -1, dtype=np.int64)
    forward = np.full((n, k), -1, dtype=np.int64)
    full_total = np.zeros(n, dtype=np.int64)
    forward_total = np.zeros(n, dtype=np.int64)
    again: list[int] = sorted(inputs.row[m] for m in changed)
    stay = [r for r, m in enumerate(inputs.mechanisms) if m not in changed]
    if stay:
        # every other row's pairs with the changed mechanisms: the pass over their entries alone
        mine = is_changed[inputs.ent_mech[inputs.post_ent]]
        post_ent = inputs.post_ent[mine]
        post_ptr = np.searchsorted(inputs.ent_concept[post_ent], np.arange(len(inputs.post_ptr))).astype(np.int64)
        ok = inputs.pool & is_changed
        c_full, c_total, c_forward, c_ftotal = inputs.run(stay, k, partner_ok=ok, postings=(post_ptr, post_ent))
        _merge_special(ix, inputs, stay, c_full, c_total, c_forward, c_ftotal, k, ok)
        for i, r in enumerate(stay):
            o = old_row[inputs.mechanisms[r]]
            for keys, totals, c_keys, c_totals, out, out_total in (
                    (old.full, old.full_total, c_full, c_total, full, full_total),
                    (old.forward, old.forward_total, c_forward, c_ftotal, forward, forward_total)):
                row = keys[o][keys[o] >= 0]
                partners = row & _ROW_MASK
                kept = ~old_touched[partners]
                if totals[o] > k and not kept.all():
                    again.append(r)  # it lost a pair it was full with: whatever came after is not known here
                    break
                repacked = (row[kept] & ~np.int64(_ROW_MASK)) | new_row[partners[kept]]
                merged = np.sort(np.concatenate([repacked, c_keys[i][c_keys[i] >= 0]]))[:k]
                out[r, :len(merged)] = merged
                out_total[r] = (totals[o] - (~kept).sum() if totals[o] <= k else totals[o]) + c_totals[i]
    again = sorted(set(again))
    if again:
        a_full, a_total, a_forward, a_ftotal = _rows(ix, inputs, again, k)
        full[again], full_total[again], forward[again], forward_total[again] = a_full, a_total, a_forward, a_ftotal
    table = PairTable(inputs.mechanisms, k, full, full_total, forward, forward_total, inputs.signatures,
                      inputs.context, inputs.pool)
    table.recomputed = len(again)
    return table


def _from_inputs(ix: AnalysisIndex, inputs: _Inputs, k: int) -> PairTable:
    rows = list(range(len(inputs.mechanisms)))
    full, full_total, forward, forward_total = _rows(ix, inputs, rows, k)
    table = PairTable(inputs.mechanisms, k, full, full_total, forward, forward_total, inputs.signatures,
                      inputs.context, inputs.pool)
    table.recomputed = len(rows)
    return table


def table_of(ix: AnalysisIndex) -> PairTable | None:
    """The index's table, computed on first use and kept with it (``cached_index`` saves it in the index file)."""
    table = getattr(ix, "pair_table", None)
    if isinstance(table, PairTable) and (table.mechanisms is ix.mechanisms or table.mechanisms == ix.mechanisms):
        return table
    try:
        table = compute(ix)
    except TableUnavailable:
        return None
    ix.pair_table = table  # type: ignore[attr-defined]
    return table


def attach(ix: AnalysisIndex, base: AnalysisIndex | None = None) -> None:
    """Give an index its table before it is written to its file (``cached_index``), so that it is computed
    once per build: updated from the table of ``base`` (the build this one was made from) when it has one,
    else computed. Data the table cannot pack leaves the index without one (the search answers)."""
    old = getattr(base, "pair_table", None) if base is not None else None
    try:
        ix.pair_table = updated(old, ix) if isinstance(old, PairTable) else compute(ix)  # type: ignore[attr-defined]
    except TableUnavailable:
        return


def explained(ix: AnalysisIndex, a: str, b: str, key: tuple[int, float]) -> PairAnswer | None:
    """The full comparison of a pair the table ranks, or None if it does not agree with the table: a stale or
    wrong table must not silently reorder an answer (the caller then searches instead)."""
    answer = compare(ix, a, b)
    if (LEVELS.index(answer.level), answer.score) != key:
        log.warning("pair table disagrees with the method on %s / %s: %s vs %s; searching instead", a, b, key,
                    (LEVELS.index(answer.level), answer.score))
        return None
    return answer


__all__ = ["TABLE_K", "PairTable", "TableUnavailable", "attach", "compute", "explained", "factors", "pack", "table_of",
           "unpack",
           "updated"]
