"""Flag quality complaints and counterfeit suspicion in review texts (the public API).

Reviews repeat (好评, platform default texts, copied praise), so each distinct text is
flagged once (Arrow ``dictionary_encode``) and its flags are gathered back to every row;
when a sample shows the texts are mostly distinct (as a shop's review column usually is),
that step is skipped.

The hot path is vectorised: the texts are case-folded with pyarrow kernels and RE2
alternations of every term mark the rows that can match (the rows needing NFKC,
traditional -> simplified or filler removal are found in the same passes and normalised
in Python, with the index map that takes spans back to the original text). The candidate
rows are joined into one buffer and read by the hit table (see ``hit_table``): one
Aho-Corasick pass finds the terms, numpy reads the negation chain before each hit and the
clause of hits in rows with a question. Only the rows it cannot decide (a cue after the
term, a price word, a term joined to a negated one, an ignored phrase, a quoted question,
a contrast word in a questioned clause, unusual whitespace, hearsay or a shipping box
before a hit) reach the per-text regexes of ``matcher``; the result is the same.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
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

#: Output columns of :func:`flag_texts`, in order.
FLAG_COLUMNS = (
    "quality_issue", "counterfeit_suspect", "categories", "matched_terms", "spans",
    "max_severity",
)  # fmt: skip


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


def explain_text(text: str | None, *, lexicon: Lexicon | None = None) -> list[dict[str, Any]]:
    """Every candidate hit in one review, flagged or not, with the reason (for a CLI)."""
    if not text:
        return []
    lex = lexicon or default_lexicon()
    norm, origin = normalise_with_map(text)
    out = []
    for hit in matcher_for(lex).hits(norm, clauses=True):
        start, end = _original_span(hit, origin)
        out.append({
            "term": hit.reported,
            "canonical": hit.term.canonical,
            "text": text[start:end],
            "start": start,
            "end": end,
            "category": hit.term.category,
            "severity": hit.term.severity,
            "polarity": hit.term.polarity,
            "counterfeit": hit.term.counterfeit,
            "negated": hit.negated,
            "negation_cues": list(hit.cues),
            "question": hit.question,
            "doubt": hit.doubt,
            "contrast": hit.contrast,
            "ignored": hit.ignored,
            "flagged": hit.flagged,
            "why": hit.why,
        })  # fmt: skip
    return out


def flag_texts(
    texts: pd.Series | Sequence[str | None] | pa.Array | pa.ChunkedArray | Iterable[str | None],
    *,
    lexicon: Lexicon | None = None,
) -> pd.DataFrame:
    """Flag quality complaints and counterfeit suspicion in review texts.

    Returns one row per input text, in input order and with the input's index (a Series'
    index, else a RangeIndex), with the columns of ``FLAG_COLUMNS``: ``quality_issue`` and
    ``counterfeit_suspect`` (bool), ``categories`` (sorted, ";"-joined), ``matched_terms``
    (canonical terms in text order, ";"-joined), ``spans`` (list of ``(start, end, term)``
    on the original text) and ``max_severity`` (0 when nothing is flagged). Empty and
    missing texts flag nothing.
    """
    lex = lexicon or default_lexicon()
    index, values = _as_string_array(texts)
    n = len(values)
    with _gc_paused():
        # reviews repeat a lot ("好评", "此用户没有填写评价", copied praise): each distinct text
        # is flagged once and its flags are copied to every row holding it
        deduplicate = _mostly_repeated(values)
        distinct, codes = _distinct_texts(values) if deduplicate else (values, np.arange(n))
        k = len(distinct)
        flags = _PerText(k)
        flagged = _flag_column(distinct, matcher_for(lex), lex) if k else None
        if flagged is not None:
            flags.record(flagged)
        # every row gets its own list, so that changing one row's spans changes no other
        span_column = np.fromiter(([] for _ in range(n)), dtype=object, count=n)
        if flagged is not None and deduplicate:
            per_text = np.full(k + 1, -1, dtype=np.int64)
            per_text[flagged.rows] = np.arange(len(flagged.rows))
            holder = np.nonzero(per_text[codes] >= 0)[0]
            span_column[holder] = np.fromiter(
                (flagged.spans[j].copy() for j in per_text[codes[holder]].tolist()),
                dtype=object,
                count=len(holder),
            )
        elif flagged is not None and len(flagged.rows):
            span_column[flagged.rows] = flagged.spans
        take = pa.array(codes)
        frame = pd.DataFrame(
            {
                "quality_issue": flags.quality[codes],
                "counterfeit_suspect": flags.counterfeit[codes],
                "categories": _take_str(flags.category_names, flags.category_of, take),
                "matched_terms": _take_str(flags.term_lists, flags.terms_of, take),
                "spans": span_column,
                "max_severity": flags.severity[codes],
            },
            index=index,
        )
    return frame


def _distinct_texts(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct texts, and for every row the position of its text among them (missing
    texts point one past the end: an empty slot that flags nothing)."""
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):  # (a partition with no text at all)
        encoded = encoded.combine_chunks()
    distinct = encoded.dictionary
    return distinct, encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)


class _PerText:
    """The flags of ``k`` distinct texts plus one empty slot; the string columns as indices
    into small tables whose entry 0 is ""."""

    def __init__(self, k: int) -> None:
        self.quality = np.zeros(k + 1, dtype=bool)
        self.counterfeit = np.zeros(k + 1, dtype=bool)
        self.severity = np.zeros(k + 1, dtype=np.int64)
        self.category_of = np.zeros(k + 1, dtype=np.int64)
        self.terms_of = np.zeros(k + 1, dtype=np.int64)
        self.category_names: list[str] = [""]
        self.term_lists: list[str] = [""]

    def record(self, flagged: FlaggedRows) -> None:
        where = flagged.rows
        self.quality[where] = flagged.quality
        self.counterfeit[where] = flagged.counterfeit
        self.severity[where] = flagged.severity
        self.category_names += flagged.categories
        self.category_of[where] = flagged.category_index + 1
        self.term_lists += flagged.terms
        self.terms_of[where] = flagged.term_index + 1


def _mostly_repeated(values: pa.Array, *, sample: int = 20_000) -> bool:
    """Whether an evenly spaced sample of the texts holds fewer than half distinct texts.

    Deduplicating costs a hash of every text and a gather of every output column: worth it
    when texts repeat, wasted when (nearly) all are distinct.
    """
    if len(values) <= sample:
        return True
    picked = values.take(pa.array(np.linspace(0, len(values) - 1, sample).astype(np.int64)))
    return int(pc.count_distinct(picked, mode="all").as_py()) < sample // 2


def _take_str(
    table: list[str], per_text: np.ndarray, codes: pa.Array
) -> pd.api.extensions.ExtensionArray:
    """A pandas string array holding ``table[per_text[codes]]``, gathered by Arrow."""
    gathered = pa.array(table, type=pa.large_string()).take(pa.array(per_text).take(codes))
    out: pd.api.extensions.ExtensionArray = pd.array(gathered, dtype="str")
    return out


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while allocating many small lists and tuples.

    They hold no cycles; the collector's passes over them otherwise cost about a third
    of the run time on a million reviews.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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


def _flag_column(values: pa.Array, matcher: Matcher, lexicon: Lexicon) -> FlaggedRows:
    """The flags of the rows of ``values`` that flag something."""
    table = HitTable(reader_for(matcher, lexicon))
    rows, cand, origins = _candidates(values, lexicon)
    if not len(rows):
        return table.flagged(origins)
    complex_mask, odd = _marked(cand, matcher)
    if matcher.short_terms:  # one-character terms: the batch scan cannot find them
        complex_mask = np.ones(len(cand), dtype=bool)
    # rows with a question are read vectorised too, but for the hits near the question
    asking = np.zeros(len(cand), dtype=bool)
    vectorised = table.reader.available and not matcher.short_terms
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
    if not matcher.context_re2:
        return
    context = pc.match_substring_regex(
        pc.take(cand, pa.array(simple)), matcher.context_re2
    ).to_numpy(zero_copy_only=False)
    for j in np.nonzero(context)[0].tolist():
        row = int(simple_rows[j])
        found = per_row.get(row)
        if found and matcher.may_have_context(
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


def _original_span(hit: Hit, origin: list[int] | None) -> tuple[int, int]:
    start = hit.cue_start if hit.term.polarity == "positive" and hit.negated else hit.start
    if origin is None:
        return start, hit.end
    return origin[start], origin[hit.end - 1] + 1


def _as_string_array(texts: Any) -> tuple[pd.Index, pa.Array]:
    if isinstance(texts, pd.Series):
        index = texts.index
        try:
            values = pa.array(texts, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            values = pa.array([_text_or_none(v) for v in texts], type=pa.large_string())
        return index, values
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if isinstance(texts, pa.Array):
        if not pa.types.is_large_string(texts.type):
            texts = texts.cast(pa.large_string())
        return pd.RangeIndex(len(texts)), texts
    items = list(texts)
    values = pa.array([_text_or_none(v) for v in items], type=pa.large_string())
    return pd.RangeIndex(len(items)), values


def _text_or_none(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return value if isinstance(value, str) else str(value)
