"""The learned flagger's features: hashed character and word n-grams of whole text columns at once.

The texts are NFKC-normalised and lower-cased by Arrow kernels, decoded from UTF-8 into one
array of code points, and every n-gram occurrence is hashed (a polynomial hash mod 2**64
finished by splitmix64) at once; a table indexed by the hashes' top bits (:class:`NgramTable`)
maps the hashes of a model's n-grams to their feature numbers. The same n-grams in Python
(:func:`grams_of`) serve training.
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
    """Hash every n-gram ``spec`` asks for, at every position of every text.

    The character n-grams of each size are laid out one after the other (in the order of
    ``spec.char_sizes``), then the words and the word pairs; an n-gram across two texts
    keeps its place with the hash 0. The polynomial of an n-gram is the one of its first
    n - 1 characters plus one term, so each size costs a multiply and an add over the
    block, written into the one output array (no per-size copies to concatenate).
    """
    codes, doc = points.codes, points.doc
    total = len(codes)
    sizes = [n for n in spec.char_sizes if total >= n]
    lasts = {n: total - n + 1 for n in sizes}
    words = _word_hashes(codes, doc) if spec.words and total else None
    extra = 0 if words is None else len(words.hashes)
    hashes = np.empty(sum(lasts.values()) + extra, dtype=np.uint64)
    out_doc = np.empty(len(hashes), dtype=np.int64)
    offset = dict(zip(sizes, itertools.accumulate([0, *lasts.values()]), strict=False))
    finish = np.uint64(_FINISH)
    # text boundaries: an n-gram starting less than n - 1 characters before one crosses it
    inner = points.starts[1:-1]
    inner = inner[(inner > 0) & (inner < total)]
    poly = codes.copy() if sizes else codes
    term = np.empty(total, dtype=np.uint64)
    for n in range(1, max(sizes, default=0) + 1):
        last = total - n + 1
        if n > 1:
            # poly[p] = sum of codes[p + k] * P**k for k < n
            np.multiply(codes[n - 1 :], np.uint64(pow(_P, n - 1, 1 << 64)), out=term[:last])
            np.add(poly[:last], term[:last], out=poly[:last])
        if n not in lasts:
            continue
        h = hashes[offset[n] : offset[n] + last]
        np.add(poly[:last], np.uint64(_tag("char", n)), out=h)
        np.multiply(h, finish, out=h)
        if n > 1 and len(inner):
            # an n-gram across two texts: no n-gram's hash is 0 ... except by a 2**-64 chance
            across = (inner[:, None] - np.arange(1, n, dtype=np.int64)).ravel()
            h[across[(across >= 0) & (across < last)]] = 0
        out_doc[offset[n] : offset[n] + last] = doc[:last]
    if words is not None:
        start = sum(lasts.values())
        hashes[start:] = words.hashes
        out_doc[start:] = words.doc
    return Occurrences(hashes=hashes, doc=out_doc)


def _word_hashes(codes: np.ndarray, doc: np.ndarray) -> Occurrences:
    """The hashes of every word of every text, then of every pair of neighbouring words."""
    total = len(codes)
    finish = np.uint64(_FINISH)
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
    parts_h = [(raw + tags) * finish]
    parts_d = [doc[start]]
    pair = np.nonzero(doc[start[1:]] == doc[start[:-1]])[0]
    if len(pair):
        mixed = raw[pair] * np.uint64(_BIGRAM_MULT) + raw[pair + 1]
        parts_h.append((mixed + np.uint64(_tag("bigram", 2))) * finish)
        parts_d.append(doc[start[pair]])
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
    """A table from n-gram hashes to feature numbers (-1: not a feature).

    A hash's home slot is its top bits, and each slot holds the first of the model's
    n-grams whose home it is; the few others (a slot shared by two n-grams) wait in a
    sorted overflow, and their home slot is marked as one that ``spilled``. A look-up is
    then three gathers per hash and no probing loop: only a hash not found at home whose
    home spilled is searched in the overflow.
    """

    _SPREAD = 8

    def __init__(self, hashes: np.ndarray) -> None:
        # at most an eighth full, so that few n-grams share a home: 20,000 n-grams take
        # 256k slots (3 MB of keys, numbers and marks, in the CPU's cache while a block of
        # texts is looked up), and about 4 % of them wait in the overflow
        bits = max(8, (self._SPREAD * max(len(hashes), 1) - 1).bit_length())
        size = 1 << bits
        self._shift = np.uint64(64 - bits)
        home = (hashes >> self._shift).astype(np.int64)
        slots, first = np.unique(home, return_index=True)
        self._keys = np.zeros(size, dtype=np.uint64)
        self._keys[slots] = hashes[first]
        self._ids = np.full(size, -1, dtype=np.int32)
        self._ids[slots] = first
        waiting = np.ones(len(hashes), dtype=bool)
        waiting[first] = False
        others = np.nonzero(waiting)[0]
        self._spilled = np.zeros(size, dtype=bool)
        self._spilled[home[others]] = True
        order = np.argsort(hashes[others], kind="stable")
        self._overflow_keys = hashes[others][order]
        self._overflow_ids = others[order].astype(np.int32)
        # an n-gram whose hash is 0 (a 2**-64 chance) would be found where texts meet
        self._zero_is_key = bool((hashes == 0).any())

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The feature number (int32) of each hash, -1 where it is not one of the model's
        n-grams (or 0: an n-gram across two texts).

        An empty slot holds the key 0 and the number -1, so the home slot needs no test of
        its own: a hash equal to the key there gets the number there (-1 for a hash 0 that
        lands on an empty slot).
        """
        slot = (hashes >> self._shift).view(np.int64)
        out = self._ids.take(slot)
        miss = self._keys.take(slot) != hashes
        todo = np.nonzero(miss & self._spilled.take(slot))[0]
        np.putmask(out, miss, np.int32(-1))
        if len(todo):
            wanted = hashes[todo]
            at = np.searchsorted(self._overflow_keys, wanted)
            np.minimum(at, len(self._overflow_keys) - 1, out=at)
            found = self._overflow_keys[at] == wanted
            out[todo[found]] = self._overflow_ids[at[found]]
        if self._zero_is_key:
            out[hashes == 0] = -1
        return out


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
    return doc, feature[keep].astype(np.int64), 1.0 / np.sqrt(length[doc]), length


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
