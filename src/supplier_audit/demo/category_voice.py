"""Buyer clauses in the product's own vocabulary, and the labels they carry.

Real buyers complain in their product's words: a shampoo that leaves an itchy scalp, a flask
cold by noon, a case that does not fit, or a bottle that smells nothing like the one from the
mall. A share of the demo's reviews says its praise, quality complaints and counterfeit
suspicion that way (`category_phrases.toml`, one set per demo category and language), so the
demo shows what the review flagger does on words it was not tuned on.

Each category phrase carries its labels by REVIEW_LABELS.md. In a review written this way every
praise, quality and counterfeit clause is a category phrase; its other clauses are neutral
remarks, negations ("不是假货") and delivery or service complaints, none of which is a quality
issue or counterfeit suspicion. So the review's labels are those of its category phrases, and
the generator records them as truth.

Which reviews and which phrases are drawn from their own random stream: the rest of the demo
world is the same with or without them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import numpy as np
import pyarrow as pa

from supplier_audit.demo.actors import BoolArray, IntArray, load_vocabulary
from supplier_audit.demo.phrases import (
    CLAUSES,
    COUNTERFEIT,
    LANGUAGES,
    NO_CLAUSE,
    PRAISE,
    QUALITY,
    DrawnClauses,
    distinct_phrases,
    load_phrase_bank,
)

#: The clause categories a product's vocabulary replaces, in order of how bad they are.
VOICED: Final = (PRAISE, QUALITY, COUNTERFEIT)
#: Groups of category_phrases.toml: the clause category each serves, and its labels
#: (quality_issue, counterfeit_suspect) by REVIEW_LABELS.md.
_GROUPS: Final = {
    "praise": (PRAISE, False, False),
    "quality": (QUALITY, True, False),
    "counterfeit": (COUNTERFEIT, False, True),
    "counterfeit_symptom": (COUNTERFEIT, True, True),
}
# Share of reviews, by main clause category (CLAUSES order), written in the product's own
# vocabulary. Issue 14 measured the lexicon on real shops' reviews: it finds ~40 % of quality
# complaints (most are said in product words) and ~80 % of counterfeit suspicion (most of it
# says "假货" outright), so half the quality complaints and a third of the counterfeit ones
# here speak the product's language, and a third of the praise does too, so that the product's
# words alone do not mark a complaint.
_VOICED_SHARE: Final = {PRAISE: 0.30, QUALITY: 0.50, COUNTERFEIT: 0.35}


@dataclass(frozen=True)
class CategoryBank:
    """Every category phrase in one array, grouped by (category, language, clause category)."""

    phrases: pa.Array
    offset: IntArray  # [category, language, VOICED index]
    size: IntArray
    quality_issue: BoolArray  # per phrase
    counterfeit_suspect: BoolArray  # per phrase
    codes: tuple[str, ...]  # category codes, in vocabulary.toml order
    version: str


@cache
def load_category_bank() -> CategoryBank:
    """Return the category phrases shipped as package data (`category_phrases.toml`)."""
    text = resources.files("supplier_audit.demo").joinpath("category_phrases.toml")
    raw = tomllib.loads(text.read_text("utf-8"))
    codes = tuple(str(c["code"]) for c in load_vocabulary()["categories"])
    phrases: list[str] = []
    quality: list[bool] = []
    counterfeit: list[bool] = []
    shape = (len(codes), len(LANGUAGES), len(VOICED))
    offset, size = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    for ci, code in enumerate(codes):
        for li, language in enumerate(LANGUAGES):
            groups = raw.get(code, {}).get(language, {})
            for ki, clause in enumerate(VOICED):
                offset[ci, li, ki] = len(phrases)
                for group, (serves, is_quality, is_counterfeit) in _GROUPS.items():
                    if serves == clause:
                        texts = [str(t) for t in groups.get(group, [])]
                        phrases.extend(texts)
                        quality.extend([is_quality] * len(texts))
                        counterfeit.extend([is_counterfeit] * len(texts))
                size[ci, li, ki] = len(phrases) - offset[ci, li, ki]
                if size[ci, li, ki] == 0:
                    raise ValueError(
                        f"category_phrases.toml: no {CLAUSES[clause]} phrase for {code}/{language}"
                    )
    return CategoryBank(
        phrases=pa.array(phrases, pa.string()),
        offset=offset,
        size=size,
        quality_issue=np.array(quality, dtype=bool),
        counterfeit_suspect=np.array(counterfeit, dtype=bool),
        codes=codes,
        version=str(raw["version"]),
    )


@cache
def _all_phrases() -> pa.Array:
    """The generic phrases followed by the category ones: one array the texts are taken from."""
    return pa.concat_arrays([load_phrase_bank().phrases, load_category_bank().phrases])


@dataclass(frozen=True)
class VoicedReviews:
    """Which reviews speak their product's vocabulary, and their labels by REVIEW_LABELS.md."""

    voiced: BoolArray
    quality_issue: BoolArray
    counterfeit_suspect: BoolArray
    worst_clause: IntArray  # the worst category clause (CLAUSES index), NO_CLAUSE if not voiced


def speak_category(
    rng: np.random.Generator,
    clauses: DrawnClauses,
    *,
    category: IntArray,
    default_text: BoolArray,
) -> tuple[DrawnClauses, VoicedReviews]:
    """Return the clauses with a share of reviews said in their product's vocabulary.

    A review is chosen by its worst clause (`_VOICED_SHARE`); in a chosen review every praise,
    quality and counterfeit clause becomes a phrase of its SKU's category and language. Reviews
    that get the platform's stock text (`default_text`) are left alone.
    """
    bank = load_category_bank()
    n = len(clauses.slots)
    share = np.zeros(len(CLAUSES))
    for clause, value in _VOICED_SHARE.items():
        share[clause] = value
    voiced = (rng.random(n) < share[clauses.slots.max(axis=1)]) & ~default_text
    kind = np.full(clauses.slots.shape, -1, dtype=np.int64)
    for ki, clause in enumerate(VOICED):
        kind[clauses.slots == clause] = ki
    replace = voiced[:, None] & (kind >= 0)
    group = (category[:, None], clauses.language[:, None], np.maximum(kind, 0))
    offset, size = bank.offset[group], bank.size[group]
    picked = offset + (rng.random(kind.shape) * size).astype(np.int64)
    picked = distinct_phrases(np.where(replace, picked, -1), offset, size)
    generic = len(load_phrase_bank().phrases)
    phrase = np.where(replace, generic + picked, clauses.phrase)

    label_quality = np.where(replace, bank.quality_issue[picked], False)
    label_counterfeit = np.where(replace, bank.counterfeit_suspect[picked], False)
    worst_voiced = np.where(replace, clauses.slots, NO_CLAUSE).max(axis=1)
    spoken = DrawnClauses(clauses.slots, phrase, clauses.language, _all_phrases())
    return spoken, VoicedReviews(
        voiced=voiced,
        quality_issue=np.asarray(label_quality.any(axis=1), dtype=bool),
        counterfeit_suspect=np.asarray(label_counterfeit.any(axis=1), dtype=bool),
        worst_clause=worst_voiced,
    )
