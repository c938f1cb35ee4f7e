"""Where a lexicon term can start in many texts at once: the batch scan's tables over pairs of
characters, and the leftmost-longest reading of the terms found there.

``Matcher.batch`` joins its texts with NUL and reads them as one array of code points: numpy
keeps the positions whose two characters begin some term (a sorted table of packed pairs), a
small trie regex per pair reads the longest term at each of them, and a table of the cues'
last characters says which hits might be negated at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np

from supplier_audit.review_terms.lexicon import Term
from supplier_audit.review_terms.patterns import MAX_PREFIX, trie_pattern


def _pair_key(pair: str) -> int:
    return (ord(pair[0]) << 21) | ord(pair[1])


class _PrefixPatterns(dict[str, "re.Pattern[str]"]):
    """The trie regex of the terms starting with each pair of characters, built and compiled
    the first time the pair is read: a lexicon has about a thousand pairs, and compiling
    them all took most of a process's first second of flagging, mostly for pairs no text of
    the night starts a hit with."""

    def __init__(self, by_prefix: Mapping[str, list[str]]) -> None:
        super().__init__()
        self.by_prefix = by_prefix

    def __missing__(self, prefix: str) -> re.Pattern[str]:
        compiled = self[prefix] = re.compile(trie_pattern(self.by_prefix[prefix]))
        return compiled


class TermStarts:
    """The tables the batch scan reads: term-starting pairs and the cues' last characters."""

    def __init__(self, by_text: Mapping[str, Term], cue_tokens: Iterable[str]) -> None:
        self.by_text = by_text
        by_prefix: dict[str, list[str]] = {}
        for text in by_text:
            by_prefix.setdefault(text[:2], []).append(text)
        self.prefix_re = _PrefixPatterns(by_prefix)
        self.prefix_keys = np.unique(
            np.array([_pair_key(p) for p in by_prefix if len(p) == 2], dtype=np.uint64)
        )
        self.first_char = np.zeros(0x110000, dtype=bool)
        self.first_char[[ord(p[0]) for p in by_prefix]] = True
        #: a hit can only be negated if a cue ENDS close before it: the last characters
        #: of the cues
        self.cue_char = np.zeros(0x110000, dtype=bool)
        for token in cue_tokens:
            self.cue_char[ord(token[-1])] = True
        #: one-character terms, which the batch scan cannot find
        self.short_terms = [t for t in by_text if len(t) < 2]

    def longest_terms(self, big: str, codes: np.ndarray) -> tuple[list[int], list[int], list[Term]]:
        """Start, end and term of every hit in ``big``, leftmost-longest: numpy finds the
        positions whose two characters begin a term, a per-prefix trie regex reads there."""
        maybe = np.nonzero(self.first_char[codes[:-1]])[0]
        keys = (codes[maybe].astype(np.uint64) << np.uint64(21)) | codes[maybe + 1]
        where = np.searchsorted(self.prefix_keys, keys)
        where[where == len(self.prefix_keys)] = 0
        positions = maybe[self.prefix_keys[where] == keys].tolist()
        found_start: list[int] = []
        found_end: list[int] = []
        found_term: list[Term] = []
        last_end = -1
        by_text = self.by_text
        prefix_re = self.prefix_re
        for p in positions:
            if p < last_end:
                continue
            m = prefix_re[big[p : p + 2]].match(big, p)
            if m is None:
                continue
            matched = m.group()
            found_start.append(p)
            found_end.append(m.end())
            found_term.append(by_text.get(matched) or by_text[" ".join(matched.split())])
            last_end = m.end()
        return found_start, found_end, found_term

    def near_cue(self, starts: np.ndarray, offsets: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Which hits have a cue character close before them in their own text (most do not):
        only those are read for a negation chain."""
        near = np.zeros(len(starts), dtype=bool)
        for back in range(1, MAX_PREFIX + 1):
            idx = starts - back
            ok = idx >= offsets
            near[ok] |= self.cue_char[codes[idx[ok]]]
        return near
