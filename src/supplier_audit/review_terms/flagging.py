"""Flag quality complaints and counterfeit suspicion in review texts (the public API).

Reviews repeat (好评, platform default texts, copied praise), so each distinct text is
flagged once (Arrow ``dictionary_encode``) and its flags are gathered back to every row;
when a sample shows the texts are mostly distinct, that step is skipped.

The hot path is vectorised: the distinct texts are normalised with pyarrow kernels and RE2
alternations of every term mark the rows that can match. Only those rows (typically a
minority) reach Python, and most of them in one batch (see ``matcher``); each hit is read
for negation cues right before it, and in its clause (split on punctuation and contrast
words such as 但是 / "but") for doubting questions.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.review_terms.lexicon import Lexicon, Term, load_lexicon
from supplier_audit.review_terms.matcher import Hit, Matcher, matcher_for, reported_term
from supplier_audit.review_terms.normalise import normalise_column, normalise_with_map

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
        if deduplicate:
            encoded = pc.dictionary_encode(values)
            distinct = encoded.dictionary
            k = len(distinct)
            # one extra, empty slot at the end stands for missing texts
            codes = encoded.indices.fill_null(k).to_numpy(zero_copy_only=False)
        else:
            distinct = values
            k = n
            codes = np.arange(n, dtype=np.int64)  # a missing text flags nothing in place
        quality = np.zeros(k + 1, dtype=bool)
        counterfeit = np.zeros(k + 1, dtype=bool)
        severity = np.zeros(k + 1, dtype=np.int64)
        categories = np.full(k + 1, "", dtype=object)
        matched = np.full(k + 1, "", dtype=object)
        spans: list[list[tuple[int, int, str]]] = [[] for _ in range(k + 1)]
        if k:
            _flag_column(distinct, matcher_for(lex), lex, quality, counterfeit, severity,
                         categories, matched, spans)  # fmt: skip
        per_text = np.empty(k + 1, dtype=object)
        for i, row_spans in enumerate(spans):  # item by item: numpy would broadcast lists
            per_text[i] = row_spans
        span_column = np.empty(n, dtype=object)
        if deduplicate:
            # every row gets its own list, so that changing one row's spans changes no other
            span_column[:] = [row_spans.copy() for row_spans in per_text[codes].tolist()]
        else:
            span_column[:] = per_text[:n]
        take = pa.array(codes)
        frame = pd.DataFrame(
            {
                "quality_issue": quality[codes],
                "counterfeit_suspect": counterfeit[codes],
                "categories": _take_str(categories, take),
                "matched_terms": _take_str(matched, take),
                "spans": span_column,
                "max_severity": severity[codes],
            },
            index=index,
        )
    return frame


def _mostly_repeated(values: pa.Array, *, sample: int = 20_000) -> bool:
    """Whether an evenly spaced sample of the texts holds fewer than half distinct texts.

    Deduplicating costs a hash of every text and a gather of every output column: worth it
    when texts repeat, wasted when (nearly) all are distinct.
    """
    if len(values) <= sample:
        return True
    picked = values.take(pa.array(np.linspace(0, len(values) - 1, sample).astype(np.int64)))
    return int(pc.count_distinct(picked, mode="all").as_py()) < sample // 2


def _take_str(per_text: np.ndarray, codes: pa.Array) -> pd.api.extensions.ExtensionArray:
    """A pandas string array holding ``per_text[codes]``, gathered by Arrow."""
    gathered = pa.array(per_text, type=pa.large_string()).take(codes)
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


def _flag_column(
    values: pa.Array, matcher: Matcher, lexicon: Lexicon, quality: np.ndarray,
    counterfeit: np.ndarray, severity: np.ndarray, categories: np.ndarray,
    matched: np.ndarray, spans: list[list[tuple[int, int, str]]],
) -> None:  # fmt: skip
    """Fill the output arrays in place for the rows that flag something."""
    column = normalise_column(values)
    slow_rows = column.slow_rows.to_numpy()
    is_slow = np.zeros(len(values), dtype=bool)
    is_slow[slow_rows] = True
    fast_hit = scan_any_term(column.folded, lexicon).to_numpy(zero_copy_only=False)
    fast_rows = np.nonzero(fast_hit & ~is_slow)[0]
    slow_hit = scan_any_term(column.slow_text, lexicon).to_numpy(zero_copy_only=False)
    slow_cand = slow_rows[slow_hit] if len(slow_rows) else slow_rows

    logger.debug(
        "%d texts: %d may hold a term, %d need Python normalisation",
        len(values), len(fast_rows), len(slow_rows),
    )  # fmt: skip
    per_row: dict[int, list[tuple[int, int, str, Term]]] = {}
    origins: dict[int, list[int]] = {}
    # rows needing Python normalisation join the others once normalised (with the index map
    # that takes their spans back to the original text)
    texts = pc.take(column.folded, pa.array(fast_rows)).to_pylist()
    if len(slow_cand):
        raw = pc.take(values, pa.array(slow_cand)).to_pylist()
        for i, text in zip(slow_cand.tolist(), raw, strict=True):
            norm, origins[i] = normalise_with_map(text)
            texts.append(norm)
    rows = np.concatenate([fast_rows, slow_cand]).astype(np.int64)
    if not len(rows):
        return
    cand = pa.array(texts, type=pa.large_string())
    complex_mask = pc.match_substring_regex(cand, matcher.complex_re2).to_numpy(
        zero_copy_only=False
    )
    if matcher.short_terms:  # one-character terms: the batch scan cannot find them
        complex_mask = np.ones(len(cand), dtype=bool)
    simple = np.nonzero(~complex_mask)[0]
    if len(simple):
        simple_rows = rows[simple]
        for r, start, end, term, negated in matcher.batch([texts[j] for j in simple]):
            reported = reported_term(term, negated=negated, doubt=False)
            per_row.setdefault(int(simple_rows[r]), []).append((start, end, reported, term))
        # hearsay or a shipping box can only unflag a hit: read in their clause again only
        # the rows the batch flagged that mention one
        if matcher.context_re2:
            context = pc.match_substring_regex(cand, matcher.context_re2).to_numpy(
                zero_copy_only=False
            )
            for j in simple[context[simple]].tolist():
                row = int(rows[j])
                found = per_row.get(row)
                if found and matcher.may_have_context(
                    texts[j], [(start, term) for start, _, _, term in found]
                ):
                    del per_row[row]
                    _add_hits(per_row, row, matcher.hits(texts[j]))
    for j in np.nonzero(complex_mask)[0].tolist():
        _add_hits(per_row, int(rows[j]), matcher.hits(texts[j]))

    # one pass over the flagged rows; the numeric columns are then filled in one go
    flagged = list(per_row)
    is_quality: list[bool] = []
    is_counterfeit: list[bool] = []
    worst: list[int] = []
    row_categories: list[str] = []
    row_terms: list[str] = []
    for i in flagged:
        found = per_row[i]
        origin = origins.get(i)
        if len(found) == 1:  # the usual case, kept cheap
            a, b, reported, term = found[0]
            is_quality.append(not term.counterfeit)
            is_counterfeit.append(term.counterfeit)
            worst.append(term.severity)
            row_categories.append(term.category)
            row_terms.append(reported)
            spans[i] = [
                (a, b, reported) if origin is None else (origin[a], origin[b - 1] + 1, reported)
            ]
            continue
        terms = [t for _, _, _, t in found]
        is_quality.append(any(not t.counterfeit for t in terms))
        is_counterfeit.append(any(t.counterfeit for t in terms))
        worst.append(max(t.severity for t in terms))
        row_categories.append(";".join(sorted({t.category for t in terms})))
        row_terms.append(";".join(dict.fromkeys(r for _, _, r, _ in found)))
        if origin is None:
            spans[i] = [(a, b, r) for a, b, r, _ in found]
        else:
            spans[i] = [(origin[a], origin[b - 1] + 1, r) for a, b, r, _ in found]
    if flagged:
        where = np.array(flagged, dtype=np.int64)
        quality[where] = is_quality
        counterfeit[where] = is_counterfeit
        severity[where] = worst
        categories[where] = row_categories
        matched[where] = row_terms


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
