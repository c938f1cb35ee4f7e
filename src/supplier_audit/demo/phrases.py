"""Buyer review texts composed from phrase banks, vectorised over millions of reviews.

Every phrase, connector, opener and ending of both languages sits in one Arrow string array;
a review is a handful of integer indices into it, and the texts are joined by one Arrow kernel.
A review's clauses are drawn first and joined after, so that some can be said in the product's
own vocabulary in between (demo/category_voice.py).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.demo.actors import BoolArray, IntArray, categorical

# Clause categories, ordered by how bad they are: the worst clause of a review sets its rating.
CLAUSES: Final = ("praise", "negation", "neutral", "logistics", "quality", "counterfeit")
PRAISE, NEGATION, NEUTRAL, LOGISTICS, QUALITY, COUNTERFEIT = range(6)
LANGUAGES: Final = ("zh", "en")
_PIECES: Final = (
    *CLAUSES,
    "same",
    "contrast",
    "openers",
    "endings_good",
    "endings_bad",
    "empty_default",
)
NO_CLAUSE: Final = -1

# Category of the extra clauses, given the primary one (rows in CLAUSES order). Counterfeit
# suspicion only ever comes from the primary clause, so its planted rate stays the lot's.
_EXTRA_MIX: Final = np.array(
    [
        (0.50, 0.12, 0.25, 0.13, 0.00, 0.0),
        (0.55, 0.15, 0.20, 0.10, 0.00, 0.0),
        (0.60, 0.10, 0.00, 0.15, 0.15, 0.0),
        (0.30, 0.00, 0.25, 0.45, 0.00, 0.0),
        (0.20, 0.00, 0.20, 0.25, 0.35, 0.0),
        (0.05, 0.00, 0.15, 0.20, 0.60, 0.0),
    ]
)
# Rating (1..5) mix by the worst clause of the review: correlated with content, not perfectly.
_RATING_MIX: Final = np.array(
    [
        (0.01, 0.01, 0.05, 0.23, 0.70),
        (0.01, 0.01, 0.05, 0.25, 0.68),
        (0.02, 0.03, 0.15, 0.35, 0.45),
        (0.08, 0.15, 0.35, 0.30, 0.12),
        (0.35, 0.30, 0.22, 0.09, 0.04),
        (0.60, 0.20, 0.10, 0.05, 0.05),
    ]
)


@dataclass(frozen=True)
class PhraseBank:
    """All phrases in one array, with the offset and size of each (language, piece) group."""

    phrases: pa.Array
    offset: IntArray  # [language, piece]
    size: IntArray  # [language, piece]
    version: str

    def pick(self, rng: np.random.Generator, language: IntArray, piece: IntArray) -> IntArray:
        """Return one random phrase index per row from the (language, piece) group of the row."""
        size = self.size[language, piece]
        return np.asarray(
            self.offset[language, piece] + (rng.random(len(language)) * size).astype(np.int64),
            dtype=np.int64,
        )


@cache
def load_phrase_bank() -> PhraseBank:
    """Return the phrase bank shipped as package data (`phrases.toml`)."""
    text = resources.files("supplier_audit.demo").joinpath("phrases.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    phrases: list[str] = []
    offset = np.zeros((len(LANGUAGES), len(_PIECES)), dtype=np.int64)
    size = np.zeros_like(offset)
    for li, language in enumerate(LANGUAGES):
        groups = {**raw[language], **raw[language]["connectors"]}
        for pi, piece in enumerate(_PIECES):
            offset[li, pi] = len(phrases)
            size[li, pi] = len(groups[piece])
            phrases.extend(groups[piece])
    return PhraseBank(pa.array(phrases, pa.string()), offset, size, str(raw["version"]))


@dataclass(frozen=True)
class DrawnClauses:
    """The clauses of each review: their categories and phrases, before they are joined."""

    slots: IntArray  # (reviews, 3): clause category (CLAUSES index), NO_CLAUSE when absent
    phrase: IntArray  # (reviews, 3): index into `phrases`
    language: IntArray  # LANGUAGES index
    phrases: pa.Array

    @property
    def present(self) -> BoolArray:
        return np.asarray(self.slots != NO_CLAUSE, dtype=bool)


def draw_clauses(
    rng: np.random.Generator, *, primary: IntArray, english: BoolArray
) -> DrawnClauses:
    """Draw each review's clauses: the main one (category `primary`), up to two extra ones (the
    main one first or last) and a phrase of the bank for each, never the same one twice."""
    bank = load_phrase_bank()
    n = len(primary)
    language = english.astype(np.int64)
    extras = categorical(rng, np.tile([0.45, 0.40, 0.15], (n, 1)))
    slots = np.full((n, 3), NO_CLAUSE, dtype=np.int64)
    slots[:, 0] = primary
    for j in (1, 2):
        drawn = categorical(rng, _EXTRA_MIX[primary])
        slots[:, j] = np.where(extras >= j, drawn, NO_CLAUSE)
    # Put the main clause last in 40 % of reviews that have extras.
    rows = np.arange(n)
    swap = (extras > 0) & (rng.random(n) < 0.4)
    last = slots[rows, extras]
    slots[swap, extras[swap]] = slots[swap, 0]
    slots[swap, 0] = last[swap]

    clause = np.where(slots != NO_CLAUSE, slots, 0)
    chosen = np.column_stack([bank.pick(rng, language, clause[:, j]) for j in range(3)])
    offset, size = bank.offset[language[:, None], clause], bank.size[language[:, None], clause]
    return DrawnClauses(slots, distinct_phrases(chosen, offset, size), language, bank.phrases)


def distinct_phrases(chosen: IntArray, offset: IntArray, size: IntArray) -> IntArray:
    """Never repeat a phrase within one review: step to the next phrase of the same group."""
    chosen = chosen.copy()
    for j, earlier in ((1, 0), (2, 0), (2, 1), (2, 0)):
        repeat = chosen[:, j] == chosen[:, earlier]
        chosen[:, j] = np.where(
            repeat, offset[:, j] + (chosen[:, j] - offset[:, j] + 1) % size[:, j], chosen[:, j]
        )
    return chosen


def join_reviews(
    rng: np.random.Generator, clauses: DrawnClauses, *, default_text: BoolArray
) -> tuple[pa.Array, IntArray]:
    """Return review texts and ratings: each review's clauses joined, with their connectors.

    Connectors turn contrastive where the tone changes ("质量很好，但是物流太慢"); an optional
    opener and ending frame the review. `default_text` reviews get the platform's stock text
    (此用户没有填写评价) or none. Ratings follow the worst clause, with noise.
    """
    bank = load_phrase_bank()
    slots, present, language = clauses.slots, clauses.present, clauses.language
    n = len(slots)
    pieces = [
        clauses.phrases.take(pa.array(clauses.phrase[:, j], mask=~present[:, j])) for j in range(3)
    ]
    # Tone: +1 praise, 0 neutral remark, -1 complaint; a connector turns contrastive ("但是")
    # only where praise meets complaint.
    tone = np.select([slots < NEUTRAL, slots == NEUTRAL], [1, 0], -1)
    connectors = []
    for j in (1, 2):
        contrast = tone[:, j] * tone[:, j - 1] < 0
        piece = np.where(contrast, _PIECES.index("contrast"), _PIECES.index("same"))
        connectors.append(_take(bank, rng, language, piece, present[:, j]))
    everyone = np.ones(n, dtype=bool)
    worst = np.where(default_text, PRAISE, slots.max(axis=1))
    opener = _take(bank, rng, language, np.full(n, _PIECES.index("openers")), everyone)
    mood = np.where(worst <= NEUTRAL, _PIECES.index("endings_good"), _PIECES.index("endings_bad"))
    ending = _take(bank, rng, language, mood, everyone)
    text = pc.binary_join_element_wise(
        opener,
        pieces[0],
        connectors[0],
        pieces[1],
        connectors[1],
        pieces[2],
        ending,
        "",
        null_handling="replace",
        null_replacement="",
    )
    stock = _take(bank, rng, language, np.full(n, _PIECES.index("empty_default")), everyone)
    text = pc.if_else(pa.array(default_text), stock, text)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)

    rating = categorical(rng, _RATING_MIX[worst]) + 1
    rating = np.where(default_text, 5, rating)
    return text, rating.astype(np.int64)


def _take(
    bank: PhraseBank,
    rng: np.random.Generator,
    language: IntArray,
    piece: IntArray,
    present: BoolArray,
) -> pa.Array:
    index = bank.pick(rng, language, piece)
    return bank.phrases.take(pa.array(index, mask=~present))
