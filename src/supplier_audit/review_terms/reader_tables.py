"""The arrays the vectorised reading reads, built once per matcher: each term's length, word
edges, polarity, counterfeit and damage bits, severity and category; the cue and modifier
tokens as reversed character tries with their kinds; the characters a cue or a price word
after a term can start with; the coordination words packed into integers.
"""

from __future__ import annotations

import re

import numpy as np

from supplier_audit.review_terms.char_tables import (
    CharTrie,
    clause_breaks,
    code_array,
    pack,
    single_spaced,
)
from supplier_audit.review_terms.lexicon import Lexicon, re2_literal
from supplier_audit.review_terms.matcher import Matcher
from supplier_audit.review_terms.patterns import KINDS, PRODUCT_DAMAGE, alternation, ascii_alnum

try:  # the automaton is a speed-up: without it every candidate is read per text
    import ahocorasick_rs
except ImportError:  # pragma: no cover - exercised only where the package is missing
    ahocorasick_rs = None  # type: ignore[assignment]

#: one bit per kind of cue token
KIND_BIT = {kind: 1 << i for i, kind in enumerate(KINDS)}


class ReaderTables:
    """The parts of a :class:`Matcher` that the vectorised reading needs, as arrays."""

    def __init__(self, matcher: Matcher, lexicon: Lexicon) -> None:
        self.matcher = matcher
        texts = list(matcher.by_text)
        self.terms = [matcher.by_text[t] for t in texts]
        # a space in a term or cue matches any run of whitespace in the regexes; the rows read
        # here hold single spaces only, so a word spelled with other spacing is left to them
        spaced = all(single_spaced(w) for w in [*texts, *matcher.kinds, *matcher.coordination])
        #: whether the vectorised reading is available (``ahocorasick_rs`` installed)
        self.available = ahocorasick_rs is not None and spaced
        self.automaton = (
            ahocorasick_rs.AhoCorasick(texts, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)
            if ahocorasick_rs is not None
            else None
        )
        self._term_arrays(texts, lexicon)
        self._cue_tries(matcher)
        self._after_term(matcher, lexicon, texts)
        #: coordination words by length, packed three characters to an integer
        self.coordination = {
            size: np.unique(
                np.array([pack(w) for w in matcher.coordination if len(w) == size], dtype=np.uint64)
            )
            for size in (1, 2, 3)
        }
        self.long_coordination = max((len(w) for w in matcher.coordination), default=0) > 3

    def _term_arrays(self, texts: list[str], lexicon: Lexicon) -> None:
        """Per term: length, word edges, polarity, counterfeit and damage bits, severity,
        category bit; the hearsay and container words as RE2 alternations."""
        self.length = np.array([len(t) for t in texts], dtype=np.int64)
        self.alnum_start = np.array([ascii_alnum(t[0]) for t in texts], dtype=bool)
        self.alnum_end = np.array([ascii_alnum(t[-1]) for t in texts], dtype=bool)
        self.positive = np.array([t.polarity == "positive" for t in self.terms], dtype=bool)
        self.counterfeit = np.array([t.counterfeit for t in self.terms], dtype=bool)
        self.damage = np.array([t.category in PRODUCT_DAMAGE for t in self.terms], dtype=bool)
        self.hearsay_re2 = "|".join(
            re2_literal(w) for w in [*lexicon.words("zh_hearsay"), *lexicon.words("en_hearsay")]
        )
        self.container_re2 = "|".join(
            re2_literal(w)
            for w in [*lexicon.words("zh_containers"), *lexicon.words("en_containers")]
        )
        self.severity = np.array([t.severity for t in self.terms], dtype=np.int64)
        self._categories = sorted({t.category for t in self.terms})
        bit = {c: 1 << i for i, c in enumerate(self._categories)}
        self.category_bit = np.array([bit[t.category] for t in self.terms], dtype=np.int64)

    def _cue_tries(self, matcher: Matcher) -> None:
        """The cue and modifier tokens as reversed character tries, with their kinds."""
        # cue and modifier tokens, read backwards: Latin ones first, as the regex tries them
        tokens = list(matcher.kinds)
        en = [t for t in tokens if t[:1].isascii()]
        zh = [t for t in tokens if not t[:1].isascii()]
        self.en_trie = CharTrie.build([t[::-1] for t in en])
        self.zh_trie = CharTrie.build([t[::-1] for t in zh])
        self.en_kinds = np.array([_mask(matcher.kinds[t]) for t in en] or [0], dtype=np.int64)
        self.zh_kinds = np.array([_mask(matcher.kinds[t]) for t in zh] or [0], dtype=np.int64)

    def _after_term(self, matcher: Matcher, lexicon: Lexicon, texts: list[str]) -> None:
        """What may follow a term: a post cue's or price word's first characters, questions."""
        self.post_first = code_array(matcher.post_first - frozenset(" \t\n\r-"))
        en_post = {c for c in matcher.post_first if c.isascii() and c.isalpha()}
        self.en_post_first = code_array(frozenset(en_post))
        breaks = clause_breaks()
        #: question rows can be read here unless a term holds clause punctuation (a clause
        #: could then end inside a hit)
        markers = [*lexicon.words("zh_question_markers"), *lexicon.words("en_question_markers")]
        contrast = [*lexicon.words("zh_contrast"), *lexicon.words("en_contrast")]
        self.contrast_re = re.compile(alternation(contrast)) if contrast else None
        self.reads_questions = not any(
            breaks[ord(c)] for c in set("".join([*texts, *markers, *contrast]))
        )
        price = [*lexicon.words("zh_price_after"), *lexicon.words("en_price_after")]
        self.price_single = code_array(frozenset(w for w in price if len(w) == 1))
        self.price_pairs = np.unique(
            np.array([(ord(w[0]) << 21) | ord(w[1]) for w in price if len(w) > 1], dtype=np.uint64)
        )


def _mask(kinds: set[str]) -> int:
    return sum(KIND_BIT[k] for k in kinds)
