"""How a column of texts is read against the lexicon: a bare scan for any term, then the rows
that may hold one normalised and routed to the vectorised reader, the matcher's batch scan or
its clause analysis, and their hits collected."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.review_terms.flag_table import FlaggedRows, HitTable
from supplier_audit.review_terms.hit_table import reader_for
from supplier_audit.review_terms.hits import Hit, reported_term
from supplier_audit.review_terms.lexicon import Lexicon, Term, load_lexicon, re2_literal
from supplier_audit.review_terms.matcher import Matcher, matcher_for
from supplier_audit.review_terms.normalise import (
    fold_column,
    normalise_slow_rows,
    normalise_with_map,
    slow_pattern,
)

logger = logging.getLogger(__name__)


@functools.cache
def default_lexicon() -> Lexicon:
    """The shipped lexicon (loaded once)."""
    return load_lexicon()


def prefilter_patterns(lexicon: Lexicon | None = None) -> tuple[str, ...]:
    """RE2 alternations that together match every term (rows matching none flag nothing)."""
    return matcher_for(lexicon or default_lexicon()).prefilter


def scan_any_term(column: pa.Array, lexicon: Lexicon | None = None) -> pa.Array:
    """Whether each text contains any lexicon term: a bare RE2 scan, no negation."""
    found: pa.Array | None = None
    for pattern in prefilter_patterns(lexicon):
        hit = pc.match_substring_regex(column, pattern)
        found = hit if found is None else pc.or_(found, hit)
    return found if found is not None else pa.array([False] * len(column))


#: the most alternation branches a prefilter pattern may have to take the slow-row pattern
#: along in the same RE2 pass (about 1,300 exhaust RE2's DFA budget: see ``matcher``)
_SHARED_SCAN_BRANCHES = 600


@dataclass(frozen=True)
class _ScannedColumn:
    """``normalise_column``'s result, and whether each row may hold a term (if not slow)."""

    folded: pa.Array
    slow_rows: pa.Array
    slow_text: pa.Array
    may_hold_term: np.ndarray


def _normalise_and_scan(values: pa.Array, lexicon: Lexicon) -> _ScannedColumn:
    """Normalise like ``normalise_column`` and scan for terms, in as few RE2 passes as can be.

    The pattern of rows needing further normalisation rides along with the smallest term
    pattern when its DFA has room: a row matching that pass either holds a term or is such a
    row, which one pass over the (few) matching rows then tells apart.
    """
    folded = fold_column(values)
    slow = slow_pattern()
    patterns = prefilter_patterns(lexicon)
    branches = [p.count("|") + 1 for p in patterns]
    shared = int(np.argmin(branches)) if patterns else -1
    if shared >= 0 and branches[shared] > _SHARED_SCAN_BRANCHES:
        shared = -1
    hit = np.zeros(len(folded), dtype=bool)
    for i, pattern in enumerate(patterns):
        if i == shared:
            pattern = f"{pattern}|{slow}"
        hit |= pc.match_substring_regex(folded, pattern).to_numpy(zero_copy_only=False)
    if shared >= 0:
        maybe = np.nonzero(hit)[0]
        is_slow = pc.match_substring_regex(pc.take(folded, pa.array(maybe)), slow)
        slow_rows = pa.array(maybe[is_slow.to_numpy(zero_copy_only=False)], type=pa.uint64())
    else:
        slow_rows = pc.indices_nonzero(pc.match_substring_regex(folded, slow))
    slow_text = normalise_slow_rows(pc.take(folded, slow_rows))
    return _ScannedColumn(folded, slow_rows, slow_text, hit)


#: whitespace other than a single space: ``\s+`` in terms and cues may then match more than
#: one character, so such rows are read by the per-text regexes
_ODD_SPACE = (
    r"[\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}"
    r"\x{2029}\x{202f}\x{205f}\x{3000}]|  "
)


def flag_column(values: pa.Array, matcher: Matcher, lexicon: Lexicon) -> FlaggedRows:
    """The flags of the rows of ``values`` that flag something."""
    table = HitTable(reader_for(matcher, lexicon))
    rows, cand, origins = _candidates(values, lexicon)
    if not len(rows):
        return table.flagged(origins)
    complex_mask, odd = _marked(cand, matcher)
    if matcher.starts.short_terms:  # one-character terms: the batch scan cannot find them
        complex_mask = np.ones(len(cand), dtype=bool)
    # rows with a question are read vectorised too, but for the hits near the question
    asking = np.zeros(len(cand), dtype=bool)
    vectorised = table.reader.available and not matcher.starts.short_terms
    if vectorised and table.reader.reads_questions:
        asking = complex_mask & ~odd
        asking[_with_ignored_phrase(cand, np.nonzero(asking)[0], lexicon)] = False
        complex_mask = complex_mask & ~asking
    readable = ~complex_mask & ~odd & vectorised
    per_row: dict[int, list[tuple[int, int, str, Term]]] = {}
    simple = np.nonzero(~complex_mask & ~readable)[0]
    if readable.any():
        to_batch, to_clauses = table.read(cand, readable, asking, rows, matcher)
        simple = np.sort(np.concatenate([simple, to_batch]))
        complex_mask[to_clauses] = True
    logger.debug(
        "%d candidate texts: %d read by the batch scan, %d by the clause analysis, "
        "the rest vectorised", len(cand), len(simple), int(complex_mask.sum()),
    )  # fmt: skip
    if len(simple):
        _read_batch(per_row, cand, simple, rows, matcher)
    complex_rows = np.nonzero(complex_mask)[0]
    if len(complex_rows):
        texts = pc.take(cand, pa.array(complex_rows)).to_pylist()
        for j, text in zip(complex_rows.tolist(), texts, strict=True):
            _add_hits(per_row, int(rows[j]), matcher.hits(text))
    table.add_python(per_row)
    return table.flagged(origins)


def _candidates(
    values: pa.Array, lexicon: Lexicon
) -> tuple[np.ndarray, pa.Array, dict[int, list[int]]]:
    """The rows that may hold a term, their normalised texts, and for the rows that needed
    Python normalisation the index map that takes spans back to the original text."""
    column = _normalise_and_scan(values, lexicon)
    slow_rows = column.slow_rows.to_numpy()
    is_slow = np.zeros(len(values), dtype=bool)
    is_slow[slow_rows] = True
    fast_rows = np.nonzero(column.may_hold_term & ~is_slow)[0]
    slow_hit = scan_any_term(column.slow_text, lexicon).to_numpy(zero_copy_only=False)
    slow_cand = slow_rows[slow_hit] if len(slow_rows) else slow_rows
    logger.debug(
        "%d texts: %d may hold a term, %d need Python normalisation",
        len(values), len(fast_rows), len(slow_rows),
    )  # fmt: skip
    origins: dict[int, list[int]] = {}
    # rows needing Python normalisation join the others once normalised (with the index map
    # that takes their spans back to the original text)
    slow_texts: list[str] = []
    if len(slow_cand):
        raw = pc.take(values, pa.array(slow_cand)).to_pylist()
        for i, text in zip(slow_cand.tolist(), raw, strict=True):
            norm, origins[i] = normalise_with_map(text)
            slow_texts.append(norm)
    rows = np.concatenate([fast_rows, slow_cand]).astype(np.int64)
    cand = pa.concat_arrays([
        pc.take(column.folded, pa.array(fast_rows)).cast(pa.large_string()),
        pa.array(slow_texts, type=pa.large_string()),
    ])  # fmt: skip
    return rows, cand, origins


def _marked(cand: pa.Array, matcher: Matcher) -> tuple[np.ndarray, np.ndarray]:
    """Texts with a question or an ignored phrase (read in their clauses), and texts with
    unusual whitespace: one scan of all, then one of each kind over the few found."""
    complex_mask = np.zeros(len(cand), dtype=bool)
    odd = np.zeros(len(cand), dtype=bool)
    either = pc.match_substring_regex(cand, f"{matcher.complex_re2}|{_ODD_SPACE}")
    marked = np.nonzero(either.to_numpy(zero_copy_only=False))[0]
    if len(marked):
        some = pc.take(cand, pa.array(marked))
        complex_mask[marked] = pc.match_substring_regex(some, matcher.complex_re2).to_numpy(
            zero_copy_only=False
        )
        odd[marked] = pc.match_substring_regex(some, _ODD_SPACE).to_numpy(zero_copy_only=False)
    return complex_mask, odd


def _with_ignored_phrase(cand: pa.Array, where: np.ndarray, lexicon: Lexicon) -> np.ndarray:
    """Those of the texts at ``where`` that hold a phrase the lexicon ignores (zh_ignore,
    en_ignore)."""
    ignore = [*lexicon.words("zh_ignore"), *lexicon.words("en_ignore")]
    if not ignore or not len(where):
        return where[:0]
    pattern = "|".join(re2_literal(w) for w in ignore)
    masked = pc.match_substring_regex(pc.take(cand, pa.array(where)), pattern)
    return np.asarray(where[masked.to_numpy(zero_copy_only=False)], dtype=np.int64)


def _read_batch(
    per_row: dict[int, list[tuple[int, int, str, Term]]],
    cand: pa.Array,
    simple: np.ndarray,
    rows: np.ndarray,
    matcher: Matcher,
) -> None:
    """The texts at ``simple`` read by the matcher's batch scan; hearsay or a shipping box can
    only unflag a hit, so only the rows the batch flagged that mention one are read again in
    their clauses."""
    texts = pc.take(cand, pa.array(simple)).to_pylist()
    simple_rows = rows[simple]
    for r, start, end, term, negated in matcher.batch(texts):
        reported = reported_term(term, negated=negated, doubt=False)
        per_row.setdefault(int(simple_rows[r]), []).append((start, end, reported, term))
    if not matcher.context.context_re2:
        return
    context = pc.match_substring_regex(
        pc.take(cand, pa.array(simple)), matcher.context.context_re2
    ).to_numpy(zero_copy_only=False)
    for j in np.nonzero(context)[0].tolist():
        row = int(simple_rows[j])
        found = per_row.get(row)
        if found and matcher.context.may_have_context(
            texts[j], [(start, term) for start, _, _, term in found]
        ):
            del per_row[row]
            _add_hits(per_row, row, matcher.hits(texts[j]))


def _add_hits(
    per_row: dict[int, list[tuple[int, int, str, Term]]], row: int, hits: list[Hit]
) -> None:
    for hit in hits:
        if hit.flagged:
            start = hit.cue_start if hit.term.polarity == "positive" and hit.negated else hit.start
            per_row.setdefault(row, []).append((start, hit.end, hit.reported, hit.term))


def original_span(hit: Hit, origin: list[int] | None) -> tuple[int, int]:
    start = hit.cue_start if hit.term.polarity == "positive" and hit.negated else hit.start
    if origin is None:
        return start, hit.end
    return origin[start], origin[hit.end - 1] + 1
