"""Flag quality complaints and counterfeit suspicion in review texts (the public API).

Reviews repeat (好评, platform default texts, copied praise), so each distinct text is
flagged once (Arrow ``dictionary_encode``) and its flags are gathered back to every row;
when a sample shows the texts are mostly distinct (as a shop's review column usually is),
that step is skipped.

The hot path is vectorised (:mod:`.reading`): the texts are case-folded with pyarrow kernels and RE2
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
import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.review_terms.flag_table import FlaggedRows
from supplier_audit.review_terms.lexicon import Lexicon
from supplier_audit.review_terms.matcher import matcher_for
from supplier_audit.review_terms.normalise import normalise_with_map
from supplier_audit.review_terms.reading import default_lexicon, flag_column, original_span

#: Output columns of :func:`flag_texts`, in order.
FLAG_COLUMNS = (
    "quality_issue", "counterfeit_suspect", "categories", "matched_terms", "spans",
    "max_severity",
)  # fmt: skip


def spans_as_text(spans: Iterable[Sequence[Any]]) -> list[str]:
    """Each row's spans as one JSON text ``[[start, end, term], ...]`` ("" for none): how the
    night carries them from a review partition to the report, which reads only the rows it
    shows (:func:`spans_of`); a list per flagged review would cost more to decode, move and
    keep than everything else the partition hands on."""
    return [json.dumps(row, ensure_ascii=False) if len(row) else "" for row in spans]


def spans_of(value: object) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each span of one review, whether its spans are a list (as
    :func:`flag_texts` gives them) or the JSON text of :func:`spans_as_text`."""
    if isinstance(value, str):
        value = json.loads(value) if value else []
    if not isinstance(value, list | tuple):
        return []
    return [(int(span[0]), int(span[1])) for span in value]


def explain_text(text: str | None, *, lexicon: Lexicon | None = None) -> list[dict[str, Any]]:
    """Every candidate hit in one review, flagged or not, with the reason (for a CLI)."""
    if not text:
        return []
    lex = lexicon or default_lexicon()
    norm, origin = normalise_with_map(text)
    out = []
    for hit in matcher_for(lex).hits(norm, clauses=True):
        start, end = original_span(hit, origin)
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
        flagged = flag_column(distinct, matcher_for(lex), lex) if k else None
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
