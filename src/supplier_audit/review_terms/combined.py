"""The review flags the audit uses: the lexicon's, or the learned model's where it is sure.

Per review and label: flagged when the lexicon flags it (with its spans, negation and
hearsay rules) OR the learned model's calibrated probability reaches the label's threshold
(chosen on held-out categories of the training corpus, see ``training``) and the text holds
no lexicon term of that label: where the lexicon read such a term and left it quiet
("不是假货", "没有异味", hearsay), its reading stands, since n-grams cannot see negation.
``flag_source`` says which fired (``lexicon``, ``model``, ``both``, or "" for no flag);
``probability`` is the model's highest label probability; a review only the model flagged
names the n-grams that pushed it up most in ``matched_terms`` (category ``learned``), so
the Evidence sheet can still say why.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import ahocorasick_rs
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.review_terms.features import normalised_column
from supplier_audit.review_terms.flagging import (
    FLAG_COLUMNS,
    _as_string_array,
    _mostly_repeated,
    flag_texts,
)
from supplier_audit.review_terms.learned import LearnedFlagger, shipped_flagger
from supplier_audit.review_terms.lexicon import Lexicon, load_lexicon

#: Output columns of :func:`flag_reviews_combined`, in order.
COMBINED_COLUMNS = (*FLAG_COLUMNS, "flag_source", "probability")

#: The category and severity given to a review only the model flags.
MODEL_CATEGORY = "learned"
MODEL_SEVERITY = 1


def flag_reviews_combined(
    texts: pd.Series | Sequence[str | None] | pa.Array | Iterable[str | None],
    *,
    lexicon: Lexicon | None = None,
    flagger: LearnedFlagger | None = None,
    use_model: bool = True,
    model_languages: Collection[str] | None = None,
) -> pd.DataFrame:
    """Lexicon flags OR learned-model flags for each text (columns ``COMBINED_COLUMNS``).

    ``flagger``: the model (default: the shipped one); ``use_model=False`` gives the lexicon
    alone with the same columns; ``model_languages`` (``zh``, ``en``; default: every language
    the model has) limits the model to texts of those languages, the others get the
    lexicon's flags and probability 0.
    """
    index, values = _as_string_array(texts)
    flags = flag_texts(values, lexicon=lexicon)
    flags.index = index
    lex_quality = flags["quality_issue"].to_numpy(dtype=bool)
    lex_counterfeit = flags["counterfeit_suspect"].to_numpy(dtype=bool)
    model = (flagger or shipped_flagger()) if use_model else None
    if model is not None and model_languages is not None:
        model = model.only(model_languages)
    n = len(values)
    probability = np.full(n, np.nan)
    model_quality = np.zeros(n, dtype=bool)
    model_counterfeit = np.zeros(n, dtype=bool)
    if model is not None and n:
        prob, flagged = _score_distinct(model, values)
        probability = np.round(prob.max(axis=1), 3)
        model_quality, model_counterfeit = flagged[:, 0].copy(), flagged[:, 1].copy()
        # the lexicon's reading stands where it saw a term of the label and left it quiet
        ask = np.nonzero((model_quality & ~lex_quality) | (model_counterfeit & ~lex_counterfeit))[0]
        if len(ask):
            holds = lexicon_terms_present(pc.take(values, pa.array(ask)), lexicon)
            model_quality[ask] &= ~holds[:, 0]
            model_counterfeit[ask] &= ~holds[:, 1]
    by_lexicon = lex_quality | lex_counterfeit
    by_model = model_quality | model_counterfeit
    source = np.select(
        [by_lexicon & by_model, by_lexicon, by_model], ["both", "lexicon", "model"], default=""
    )
    out = flags.assign(
        quality_issue=lex_quality | model_quality,
        counterfeit_suspect=lex_counterfeit | model_counterfeit,
        flag_source=pd.array(source, dtype="str"),
        probability=probability,
    )
    only_model = np.nonzero(by_model & ~by_lexicon)[0]
    if len(only_model) and model is not None:
        # the label the model is surest of explains the flag
        chosen = np.where(model_counterfeit[only_model] & ~model_quality[only_model], 1, 0)
        label_of = np.zeros(n, dtype=np.int64)
        label_of[only_model] = chosen
        subset = pc.take(values, pa.array(only_model))
        reasons = model.reasons(subset, label_of[only_model])
        terms = out["matched_terms"].to_numpy(dtype=object)
        categories = out["categories"].to_numpy(dtype=object)
        severity = out["max_severity"].to_numpy().copy()
        for j, row in enumerate(only_model.tolist()):
            terms[row] = reasons[j] or MODEL_CATEGORY
            categories[row] = MODEL_CATEGORY
            severity[row] = MODEL_SEVERITY
        out["matched_terms"] = pd.array(terms, dtype="str")
        out["categories"] = pd.array(categories, dtype="str")
        out["max_severity"] = severity
    return out[list(COMBINED_COLUMNS)]


@functools.lru_cache(maxsize=8)
def _term_automaton(lexicon: Lexicon) -> tuple[Any, np.ndarray]:
    """Aho-Corasick over every term text, and each term's label (0 quality, 1 counterfeit)."""
    texts: dict[str, int] = {}
    for term in lexicon.terms:
        texts.setdefault(term.text, int(term.counterfeit))
    words = sorted(texts)
    automaton = ahocorasick_rs.AhoCorasick(words)
    return automaton, np.array([texts[w] for w in words], dtype=np.int64)


def lexicon_terms_present(values: pa.Array, lexicon: Lexicon | None = None) -> np.ndarray:
    """(texts, labels) bool: whether each text holds a lexicon term of each label, flagged
    or not (negated, hearsay, a genuineness statement)."""
    automaton, label_of = _term_automaton(lexicon or _default_lexicon())
    out = np.zeros((len(values), 2), dtype=bool)
    for i, text in enumerate(normalised_column(values).to_pylist()):
        for index, _, _ in automaton.find_matches_as_indexes(text, overlapping=True):
            out[i, label_of[index]] = True
    return out


@functools.cache
def _default_lexicon() -> Lexicon:
    return load_lexicon()


def _score_distinct(model: LearnedFlagger, values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Model output per text, scoring each distinct text once when texts repeat."""
    if not _mostly_repeated(values):
        scores = model.score(values)
        return scores.probability, scores.flagged
    encoded = pc.dictionary_encode(values)
    scores = model.score(encoded.dictionary)
    k = len(encoded.dictionary)
    codes = encoded.indices.fill_null(k).to_numpy(zero_copy_only=False)
    prob = np.vstack([scores.probability, np.zeros((1, scores.probability.shape[1]))])
    flagged = np.vstack([scores.flagged, np.zeros((1, scores.flagged.shape[1]), dtype=bool)])
    return prob[codes], flagged[codes]


def flag_summary(frame: pd.DataFrame) -> dict[str, Any]:
    """How many reviews each source flagged (for logs and benchmarks)."""
    counts = frame["flag_source"].value_counts()
    return {name: int(counts.get(name, 0)) for name in ("lexicon", "model", "both")}
