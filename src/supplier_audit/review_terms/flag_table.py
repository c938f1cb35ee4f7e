"""The hit table of a column's candidate texts, and the per-row flags gathered from it.

Hits come from two readers: the vectorised one (:mod:`hit_table`), as arrays, and the
per-text regexes of :class:`Matcher`, as Python lists for the rows it cannot decide. Both
land in one table (row, order, start, end, term, reported name); the output columns of the
rows that flag something are then computed with whole-array operations, and only the spans
(one list of tuples per row, as the output holds them) are built item by item.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.review_terms.hit_table import VectorReader
from supplier_audit.review_terms.hits import reported_term
from supplier_audit.review_terms.lexicon import Term
from supplier_audit.review_terms.matcher import Matcher


@dataclass(frozen=True)
class FlaggedRows:
    """The output columns of the rows that flag something (``rows``, ascending).

    The string columns are indices into small tables (``categories[category_index]``).
    """

    rows: np.ndarray
    quality: np.ndarray
    counterfeit: np.ndarray
    severity: np.ndarray
    categories: list[str]
    category_index: np.ndarray
    terms: list[str]
    term_index: np.ndarray
    spans: np.ndarray  # object: one list of (start, end, term) per row


@dataclass(frozen=True)
class _TermNames:
    """A reader's terms and the names a hit of each is reported under (plain, negated,
    doubted), as indices into ``names``: the same for every call over one lexicon."""

    term_index: dict[int, int]
    names: list[str]
    name_index: dict[str, int]
    plain: np.ndarray
    negated: np.ndarray
    doubted: np.ndarray

    @classmethod
    def of(cls, reader: VectorReader) -> _TermNames:
        names: list[str] = []
        name_index: dict[str, int] = {}

        def index_of(reported: str) -> int:
            index = name_index.get(reported)
            if index is None:
                index = name_index[reported] = len(names)
                names.append(reported)
            return index

        def indices(reported: Iterable[str]) -> np.ndarray:
            return np.array([index_of(name) for name in reported], dtype=np.int64)

        terms = reader.terms
        return cls(
            term_index={id(t): i for i, t in enumerate(terms)},
            plain=indices(t.canonical for t in terms),
            negated=indices(reported_term(t, negated=True, doubt=False) for t in terms),
            doubted=indices(reported_term(t, negated=False, doubt=True) for t in terms),
            names=names,
            name_index=name_index,
        )


# per reader (kept alive here, so its id is not reused while cached): its term names, which
# cost more than reading a few thousand texts to build (a lexicon has ~20,000 terms)
_TERM_NAMES: dict[int, tuple[VectorReader, _TermNames]] = {}


def _term_names(reader: VectorReader) -> _TermNames:
    cached = _TERM_NAMES.get(id(reader))
    if cached is None or cached[0] is not reader:
        if len(_TERM_NAMES) >= 4:
            _TERM_NAMES.clear()
        cached = _TERM_NAMES[id(reader)] = (reader, _TermNames.of(reader))
    return cached[1]


class HitTable:
    """Flagged hits as arrays (row, order, start, end, term, reported), then per-row flags."""

    def __init__(self, reader: VectorReader) -> None:
        self.reader = reader
        shared = _term_names(reader)
        self.term_index = shared.term_index
        # this call's own copies: the per-text reader adds the names it reports
        self.names: list[str] = list(shared.names)
        self.name_index: dict[str, int] = dict(shared.name_index)
        self.plain, self.negated, self.doubted = shared.plain, shared.negated, shared.doubted
        self.parts: list[tuple[np.ndarray, ...]] = []

    def _name(self, reported: str) -> int:
        index = self.name_index.get(reported)
        if index is None:
            index = self.name_index[reported] = len(self.names)
            self.names.append(reported)
        return index

    def read(
        self,
        cand: pa.Array,
        readable: np.ndarray,
        asking: np.ndarray,
        rows: np.ndarray,
        matcher: Matcher,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Read the candidates where ``readable`` vectorised (``asking``: with a question).

        Returns the candidates left to ``Matcher.batch`` and those left to ``Matcher.hits``
        (hits near a question).
        """
        big, row_starts, lengths = _joined(cand)
        row, start, end, term, negated, doubt, undecided = self.reader.read(
            big, row_starts, readable=readable, asking=asking
        )
        bad = np.unique(row[undecided])
        positive, counterfeit = self.reader.positive[term], self.reader.counterfeit[term]
        # Hit.flagged: a positive term negated or doubted (counterfeit terms), a problem term
        # neither negated nor asked about
        reports = np.where(
            positive, negated | (doubt & counterfeit), ~negated & ~(doubt & ~counterfeit)
        )
        flagged = np.nonzero(reports & ~undecided)[0]
        order = flagged  # hits come in text order
        row, start, end, term, negated, doubt = (
            row[flagged], start[flagged], end[flagged], term[flagged], negated[flagged],
            doubt[flagged],
        )  # fmt: skip
        offset = row_starts[row]
        start, end = start - offset, end - offset
        # hearsay or a shipping box can only unflag a hit: rows mentioning one whose hits
        # could be that are read again in their clauses
        suspect = self._maybe_context(cand, row, term)
        again = self._context_rows(big, row_starts, lengths, suspect, row, start, term, matcher)
        if again:
            keep = ~np.isin(row, np.array(again, dtype=np.int64))
            row, start, end, term, negated, doubt, order = (
                row[keep], start[keep], end[keep], term[keep], negated[keep], doubt[keep],
                order[keep],
            )  # fmt: skip
        positive = self.reader.positive[term]
        name = np.where(
            positive & negated,
            self.negated[term],
            np.where(positive & doubt, self.doubted[term], self.plain[term]),
        )
        self.parts.append((rows[row], order, start, end, term, name))
        left = np.union1d(bad, np.array(again, dtype=np.int64)).astype(np.int64)
        # rows with a question go to the clause analysis, the others to the batch reading
        return left[~asking[left]], left[asking[left]]

    def _maybe_context(self, cand: pa.Array, row: np.ndarray, term: np.ndarray) -> np.ndarray:
        """The hits hearsay or a shipping box could unflag: a counterfeit hit in a row that
        mentions hearsay, a damage hit in a row that mentions a container."""
        reader = self.reader
        suspect = np.zeros(len(row), dtype=bool)
        for pattern, kind in ((reader.hearsay_re2, reader.counterfeit),
                              (reader.container_re2, reader.damage)):  # fmt: skip
            of_kind = np.nonzero(kind[term])[0]
            if pattern and len(of_kind):
                kind_rows = np.unique(row[of_kind])
                mention = pc.match_substring_regex(pc.take(cand, pa.array(kind_rows)), pattern)
                mentioned = kind_rows[mention.to_numpy(zero_copy_only=False)]
                suspect[of_kind[np.isin(row[of_kind], mentioned)]] = True
        return suspect

    def _context_rows(
        self,
        big: str,
        row_starts: np.ndarray,
        lengths: np.ndarray,
        suspect: np.ndarray,
        row: np.ndarray,
        start: np.ndarray,
        term: np.ndarray,
        matcher: Matcher,
    ) -> list[int]:
        """The rows of the ``suspect`` hits that the matcher must read again in their clauses."""
        again: list[int] = []
        check = np.nonzero(suspect)[0]
        terms = self.reader.terms
        for r, group in itertools.groupby(check.tolist(), key=lambda h: int(row[h])):
            found = [(int(start[h]), terms[int(term[h])]) for h in group]
            text = big[row_starts[r] : row_starts[r] + lengths[r] - 1]
            if matcher.context.may_have_context(text, found):
                again.append(r)
        return again

    def add_python(self, per_row: dict[int, list[tuple[int, int, str, Term]]]) -> None:
        """Add the hits the per-text regexes flagged (in text order within each row)."""
        if not per_row:
            return
        row: list[int] = []
        order: list[int] = []
        start: list[int] = []
        end: list[int] = []
        term: list[int] = []
        name: list[int] = []
        for r, found in per_row.items():
            for k, (a, b, reported, t) in enumerate(found):
                row.append(r)
                order.append(k)
                start.append(a)
                end.append(b)
                term.append(self.term_index[id(t)])
                name.append(self._name(reported))
        self.parts.append(tuple(np.array(x, dtype=np.int64) for x in
                                (row, order, start, end, term, name)))  # fmt: skip

    def flagged(self, origins: dict[int, list[int]]) -> FlaggedRows:
        """Per flagged row: its flags, categories, terms and spans on the original text."""
        if not self.parts:
            empty = np.zeros(0, dtype=np.int64)
            return FlaggedRows(
                empty, empty.astype(bool), empty.astype(bool), empty, [], empty, [], empty,
                np.empty(0, dtype=object),
            )  # fmt: skip
        row, order, start, end, term, name = (
            np.concatenate(c) for c in zip(*self.parts, strict=True)
        )
        sort = np.lexsort((order, row))
        row, start, end, term, name = row[sort], start[sort], end[sort], term[sort], name[sort]
        reader = self.reader
        if origins:  # rows normalised in Python: spans go back through their index map
            for h in np.nonzero(np.isin(row, np.fromiter(origins, dtype=np.int64)))[0].tolist():
                origin = origins[int(row[h])]
                start[h], end[h] = origin[start[h]], origin[end[h] - 1] + 1
        first = np.ones(len(row), dtype=bool)
        first[1:] = row[1:] != row[:-1]
        bounds = np.nonzero(first)[0]
        rows = row[bounds]
        counterfeit = reader.counterfeit[term]
        quality = np.logical_or.reduceat(~counterfeit, bounds)
        counterfeit_any = np.logical_or.reduceat(counterfeit, bounds)
        severity = np.maximum.reduceat(reader.severity[term], bounds)
        masks = np.bitwise_or.reduceat(reader.category_bit[term], bounds)
        unique_masks, category_index = np.unique(masks, return_inverse=True)
        categories = [reader.category_names(int(m)) for m in unique_masks]
        names = list(self.names)
        reported = np.array(names, dtype=object)[name].tolist()
        spans_flat = list(zip(start.tolist(), end.tolist(), reported, strict=True))
        ends = np.append(bounds[1:], len(row))
        single = ends - bounds == 1
        spans = np.empty(len(bounds), dtype=object)
        lone = np.nonzero(single)[0]
        spans[lone] = np.fromiter(
            ([spans_flat[a]] for a in bounds[lone].tolist()), dtype=object, count=len(lone)
        )
        # rows with several hits: their terms once each, in text order
        term_index = name[bounds]
        for i, a, b in zip(
            np.nonzero(~single)[0].tolist(),
            bounds[~single].tolist(),
            ends[~single].tolist(),
            strict=True,
        ):
            spans[i] = spans_flat[a:b]
            joined = ";".join(dict.fromkeys(reported[a:b]))
            index = self.name_index.get(joined)
            if index is None:
                index = self.name_index[joined] = len(names)
                names.append(joined)
            term_index[i] = index
        return FlaggedRows(
            rows, quality, counterfeit_any, severity, categories, category_index, names,
            term_index, spans,
        )  # fmt: skip


def _joined(cand: pa.Array) -> tuple[str, np.ndarray, np.ndarray]:
    """The candidate texts joined by NUL into one string, where each row starts in it, and each
    row's length plus its NUL."""
    nul = pa.scalar("\x00", pa.large_string())
    joined = pc.binary_join_element_wise(cand, nul, pa.scalar("", pa.large_string()))
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[
        joined.offset : joined.offset + len(joined) + 1
    ]
    data = joined.buffers()[2]
    big = data.to_pybytes()[offsets[0] : offsets[-1]].decode("utf-8")
    lengths = pc.utf8_length(cand).to_numpy(zero_copy_only=False).astype(np.int64) + 1
    row_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return big, row_starts, lengths
