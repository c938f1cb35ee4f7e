"""The learned flagger's features: hashed character and word n-grams of whole text columns at once.

The texts are NFKC-normalised and lower-cased by Arrow kernels, decoded from UTF-8 into one
array of code points, and every n-gram occurrence is hashed (a polynomial hash mod 2**64
finished by splitmix64) at once; an open-addressing table (:class:`NgramTable`) maps the hashes
of a model's n-grams to their feature numbers. The same n-grams in Python (:func:`grams_of`)
serve training.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_MASK64 = (1 << 64) - 1


_P = 0x100000001B3  # odd, so invertible mod 2**64 (the word hash divides by its powers)


_P_INV = pow(_P, -1, 1 << 64)


_BIGRAM_MULT = 0xD6E8FEB86659FD93


#: odd: multiplying by it mod 2**64 is a bijection that spreads the polynomial hash's bits
#: to the top, which pick the n-gram's slot in the lookup table
_FINISH = 0x9E3779B97F4A7C15


#: added before finishing so that equal strings of different kinds hash apart
_KIND_TAG = {"char": 0x51A7, "word": 0xB0D5, "bigram": 0xE11E}


def _poly(text: str) -> int:
    return sum(ord(ch) * pow(_P, k, 1 << 64) for k, ch in enumerate(text)) & _MASK64


def _tag(kind: str, n: int) -> int:
    return (_KIND_TAG[kind] << 32 | n) & _MASK64


def feature_hash(kind: str, gram: str) -> int:
    """The hash the vectorised featuriser gives one n-gram (``kind``: char, word, bigram)."""
    if kind == "bigram":
        first, second = gram.split(" ")
        mixed = (_poly(first) * _BIGRAM_MULT + _poly(second)) & _MASK64
        return ((mixed + _tag(kind, 2)) * _FINISH) & _MASK64
    return ((_poly(gram) + _tag(kind, len(gram))) * _FINISH) & _MASK64


@dataclass(frozen=True)
class FeatureSpec:
    """Which n-grams a language's model reads."""

    char_sizes: tuple[int, ...]
    words: bool

    def as_json(self) -> dict[str, Any]:
        return {"char_sizes": list(self.char_sizes), "words": self.words}


#: Chinese: characters and their pairs and triples (no segmentation needed); English:
#: character 3- to 5-grams (spelling variants, word pieces) and word uni- and bigrams.
SPECS = {
    "zh": FeatureSpec(char_sizes=(1, 2, 3), words=False),
    "en": FeatureSpec(char_sizes=(3, 4, 5), words=True),
}


def normalised_column(values: pa.Array) -> pa.Array:
    """Texts as the model reads them: NFKC, lower case, missing as ""."""
    filled = pc.fill_null(values.cast(pa.large_string()), "")
    out: pa.Array = pc.utf8_lower(pc.utf8_normalize(filled, "NFKC"))
    return out


def is_chinese(values: pa.Array) -> np.ndarray:
    """Whether each text holds a Chinese character (it is then scored by the zh model)."""
    found = pc.match_substring_regex(pc.fill_null(values, ""), r"\p{Han}")
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


@dataclass(frozen=True)
class CodePoints:
    """A block of texts as one array of code points with each character's text number."""

    codes: np.ndarray  # uint64
    doc: np.ndarray  # int64, ascending
    starts: np.ndarray  # int64, first character of each text (len = texts + 1)


def code_points(values: pa.Array) -> CodePoints:
    """Decode a string column's UTF-8 buffer into code points (one C-level decode)."""
    arr = values.cast(pa.large_string())
    n = len(arr)
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    base, stop = int(offsets[0]), int(offsets[-1])
    raw = memoryview(buffers[2])[base:stop] if buffers[2] is not None and stop > base else b""
    decoded = str(raw, "utf-8").encode("utf-32-le")
    codes = np.frombuffer(decoded, dtype=np.uint32).astype(np.uint64)
    lengths = pc.utf8_length(pc.fill_null(arr, "")).to_numpy(zero_copy_only=False)
    starts = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
    doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
    return CodePoints(codes=codes, doc=doc, starts=starts)


@dataclass(frozen=True)
class Occurrences:
    """Every n-gram occurrence of a block: its hash, its text and where it starts."""

    hashes: np.ndarray  # uint64
    doc: np.ndarray  # int64


def _is_word_char(codes: np.ndarray) -> np.ndarray:
    out: np.ndarray = (
        ((codes >= 0x61) & (codes <= 0x7A))
        | ((codes >= 0x30) & (codes <= 0x39))
        | (codes == 0x27)
        | ((codes >= 0xC0) & (codes < 0x2000) & (codes != 0xD7) & (codes != 0xF7))
    )
    return out


def occurrences(points: CodePoints, spec: FeatureSpec) -> Occurrences:
    """Hash every n-gram ``spec`` asks for, at every position of every text."""
    codes, doc = points.codes, points.doc
    total = len(codes)
    finish = np.uint64(_FINISH)
    parts_h: list[np.ndarray] = []
    parts_d: list[np.ndarray] = []
    for n in spec.char_sizes:
        if total < n:
            continue
        last = total - n + 1
        h = codes[:last] + np.uint64(_tag("char", n))
        for k in range(1, n):
            h += codes[k : k + last] * np.uint64(pow(_P, k, 1 << 64))
        h *= finish
        if n > 1:
            # an n-gram across two texts: no n-gram's hash is 0 ... except by a 2**-64 chance
            h[doc[:last] != doc[n - 1 :]] = 0
        parts_h.append(h)
        parts_d.append(doc[:last])
    if spec.words and total:
        word = _is_word_char(codes)
        same_next = doc[1:] == doc[:-1]
        before = np.concatenate([[False], word[:-1] & same_next])
        after = np.concatenate([word[1:] & same_next, [False]])
        start = np.nonzero(word & ~before)[0]
        end = np.nonzero(word & ~after)[0] + 1
        # the polynomial hash of a word from prefix sums: (S[end] - S[start]) / P**start,
        # dividing by multiplying with the inverse of P mod 2**64
        powers = _powers(total, _P)
        inverse = _powers(total, _P_INV)
        prefix = np.concatenate([[np.uint64(0)], np.cumsum(codes * powers, dtype=np.uint64)])
        raw = (prefix[end] - prefix[start]) * inverse[start]
        tags = (np.uint64(_KIND_TAG["word"]) << np.uint64(32)) | (end - start).astype(np.uint64)
        parts_h.append((raw + tags) * finish)
        parts_d.append(doc[start])
        pair = np.nonzero(doc[start[1:]] == doc[start[:-1]])[0]
        if len(pair):
            mixed = raw[pair] * np.uint64(_BIGRAM_MULT) + raw[pair + 1]
            parts_h.append((mixed + np.uint64(_tag("bigram", 2))) * finish)
            parts_d.append(doc[start[pair]])
    if not parts_h:
        return Occurrences(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
    return Occurrences(hashes=np.concatenate(parts_h), doc=np.concatenate(parts_d))


@functools.cache
def _power_table(base: int, size: int) -> np.ndarray:
    out = np.empty(size, dtype=np.uint64)
    out[0] = 1
    # doubling: out[k:2k] = out[0:k] * base**k (mod 2**64 by wrap-around)
    k = 1
    power = base
    while k < size:
        m = min(k, size - k)
        out[k : k + m] = out[:m] * np.uint64(power)
        power = (power * power) & _MASK64
        k += m
    return out


def _powers(size: int, base: int) -> np.ndarray:
    """base**j mod 2**64 for j < size."""
    grown = 1 << max(10, (max(size, 1) - 1).bit_length())
    return _power_table(base, grown)[:size]


class NgramTable:
    """Open-addressing table from n-gram hashes to feature numbers (-1: not a feature)."""

    def __init__(self, hashes: np.ndarray) -> None:
        bits = max(8, (4 * max(len(hashes), 1) - 1).bit_length())
        size = 1 << bits
        self._shift = np.uint64(64 - bits)
        self._mask = np.uint64(size - 1)
        self._keys = np.zeros(size, dtype=np.uint64)
        self._ids = np.full(size, -1, dtype=np.int32)
        pending = np.arange(len(hashes))
        slot = hashes >> self._shift
        while len(pending):
            # place the first claimant of each free slot; the rest probe the next slot
            candidate = slot[pending].astype(np.int64)
            free = self._ids[candidate] == -1
            order = np.argsort(candidate, kind="stable")
            first = np.ones(len(order), dtype=bool)
            first[1:] = candidate[order][1:] != candidate[order][:-1]
            winners = order[first & free[order]]
            self._keys[candidate[winners]] = hashes[pending[winners]]
            self._ids[candidate[winners]] = pending[winners]
            placed = np.zeros(len(pending), dtype=bool)
            placed[winners] = True
            pending = pending[~placed]
            slot[pending] = (slot[pending] + np.uint64(1)) & self._mask
        self._probes = 1 + int(_longest_probe(self._ids, hashes, self._shift, size))

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The feature number of each hash, -1 where it is not one of the model's n-grams
        (or 0: an n-gram across two texts)."""
        out = np.full(len(hashes), -1, dtype=np.int64)
        slot = (hashes >> self._shift).astype(np.int64)
        # most occurrences settle at their first slot, without building index arrays
        ids = self._ids[slot]
        hit = (ids >= 0) & (self._keys[slot] == hashes) & (hashes != 0)
        out[hit] = ids[hit]
        todo = np.nonzero(~hit & (ids >= 0) & (hashes != 0))[0]
        slot = (slot[todo] + 1) & int(self._mask)
        for _ in range(self._probes):
            if not len(todo):
                break
            ids = self._ids[slot]
            hit = (ids >= 0) & (self._keys[slot] == hashes[todo])
            out[todo[hit]] = ids[hit]
            go_on = ~hit & (ids >= 0)
            todo = todo[go_on]
            slot = (slot[go_on] + 1) & int(self._mask)
        return out


def _longest_probe(ids: np.ndarray, hashes: np.ndarray, shift: np.uint64, size: int) -> int:
    if not len(hashes):
        return 0
    home = (hashes >> shift).astype(np.int64)
    where = np.empty(len(hashes), dtype=np.int64)
    where[ids[ids >= 0]] = np.nonzero(ids >= 0)[0]
    return int(((where - home) % size).max())


def feature_counts(
    model_spec: FeatureSpec, table: NgramTable, norm: pa.Array
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(text, feature, value, length) of every feature occurrence: the training matrix entries."""
    points = code_points(norm)
    found = occurrences(points, model_spec)
    feature = table.lookup(found.hashes)
    keep = feature >= 0
    length = np.maximum(np.diff(points.starts), 1).astype(np.float64)
    doc = found.doc[keep]
    return doc, feature[keep], 1.0 / np.sqrt(length[doc]), length


def grams_of(text: str, spec: FeatureSpec) -> Iterator[tuple[str, str]]:
    """(kind, n-gram) of every occurrence in one normalised text, in Python (for training)."""
    for n in spec.char_sizes:
        for i in range(len(text) - n + 1):
            yield "char", text[i : i + n]
    if spec.words:
        words = _python_words(text)
        for w in words:
            yield "word", w
        for a, b in itertools.pairwise(words):
            yield "bigram", f"{a} {b}"


def _python_words(text: str) -> list[str]:
    codes = np.array([ord(c) for c in text], dtype=np.uint64)
    word = _is_word_char(codes) if len(codes) else np.zeros(0, dtype=bool)
    out: list[str] = []
    current: list[str] = []
    for ch, w in zip(text, word.tolist(), strict=True):
        if w:
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out
