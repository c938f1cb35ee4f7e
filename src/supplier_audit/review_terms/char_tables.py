"""The vectorised reader's lookup tables over code points (clause breaks, letters and digits,
word characters) and its character tries, walked for many positions at once."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from supplier_audit.review_terms.patterns import PUNCT_CLASS

SHIFT = np.uint64(21)  # code points fit in 21 bits


@functools.cache
def clause_breaks() -> np.ndarray:
    """Lookup table of the characters that end a clause (the matcher's punctuation), and NUL."""
    punct = re.compile(PUNCT_CLASS)
    table = np.zeros(0x110000, dtype=bool)
    table[[c for c in range(0x10000) if punct.fullmatch(chr(c))]] = True
    table[0] = True
    return table


@functools.cache
def char_tables() -> tuple[np.ndarray, np.ndarray]:
    """Lookup tables over all code points: [a-z0-9] and [a-z0-9'] (the regexes' boundaries)."""
    alnum = np.zeros(0x110000, dtype=bool)
    alnum[[ord(c) for c in "abcdefghijklmnopqrstuvwxyz0123456789"]] = True
    word = alnum.copy()
    word[ord("'")] = True
    return alnum, word


@dataclass(frozen=True)
class CharTrie:
    """A character trie as sorted ``(node << 21) | char`` keys, for vectorised walks."""

    keys: np.ndarray
    child: np.ndarray
    accept: np.ndarray  # token index at each node, -1 for none
    first: np.ndarray  # over all code points: whether a word starts with it

    @classmethod
    def build(cls, words: list[str]) -> CharTrie:
        edges: dict[tuple[int, str], int] = {}
        accept = [-1]
        for index, word in enumerate(words):
            node = 0
            for ch in word:
                nxt = edges.get((node, ch))
                if nxt is None:
                    nxt = edges[(node, ch)] = len(accept)
                    accept.append(-1)
                node = nxt
            if accept[node] < 0:
                accept[node] = index
        keys = np.array([(n << 21) | ord(ch) for n, ch in edges], dtype=np.uint64)
        child = np.array(list(edges.values()), dtype=np.int64)
        order = np.argsort(keys)
        first = np.zeros(0x110000, dtype=bool)
        first[[ord(w[0]) for w in words if w]] = True
        return cls(keys[order], child[order], np.array(accept, dtype=np.int64), first)

    def step(self, node: np.ndarray, code: np.ndarray) -> np.ndarray:
        """The child of each node along each character, -1 where there is none."""
        if not len(self.keys):
            return np.full(len(node), -1, dtype=np.int64)
        key = (node.astype(np.uint64) << SHIFT) | code.astype(np.uint64)
        where = np.searchsorted(self.keys, key)
        where[where == len(self.keys)] = 0
        return np.where(self.keys[where] == key, self.child[where], -1)


def pack(word: str) -> int:
    key = 0
    for ch in word:
        key = (key << 21) | ord(ch)
    return key


def code_array(chars: frozenset[str]) -> np.ndarray:
    return np.array(sorted(ord(c) for c in chars), dtype=np.uint32)


def single_spaced(word: str) -> bool:
    """Whether a word's only whitespace is single spaces between its characters."""
    return word == " ".join(word.split())
