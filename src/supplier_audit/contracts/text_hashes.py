"""A 64-bit hash of each text of a column, computed on its Arrow buffers (no Python object per
text), and a look-up of texts among a fixed set of keys by those hashes.

The review flag store keys a review's flags by the hash of its text (an edited text has another
hash); every review partition finds the supplier of the lot each review names among the night's
lots (a million lot ids: pandas' own look-up hashes each as a Python string, every partition).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.contracts.text_columns import large_text

# The text hash's constants (changing one orphans every stored flag: keep them): the golden
# ratio and MurmurHash3's multipliers.
_POSITION = np.uint64(0x9E3779B97F4A7C15)
_LENGTH = np.uint64(0xC2B2AE3D27D4EB4F)
_MIX = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_NULL_TEXT = np.uint64(0xFFFFFFFFFFFFFFFF)
_ALL_BITS = np.uint64(0xFFFFFFFFFFFFFFFF)
# Texts hashed at a time: the word arrays of ~16k reviews (~1 MB each) stay in the CPU's
# cache; 131,072 at a time took 1.8x as long on the benchmark's reviews.
_HASH_ROWS = 16_384


def string_hashes(texts: pd.Series) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each string's UTF-8 bytes (texts, ids), computed on the Arrow buffers
    without a Python object per string (missing values share one hash).

    Each text is read as 8-byte little-endian words (the last one zero-padded); every word is
    mixed with its position by MurmurHash3's 64-bit finaliser, the mixes of a text XOR-ed, and
    the result mixed once more with the length. Not a cryptographic hash: it tells an edited
    text from the one flagged before (two different texts agree with a chance of about 2^-64),
    at about a tenth of the cost of hashing each text as a Python string."""
    arrow = pa.array(texts, from_pandas=True)
    column = (arrow if isinstance(arrow, pa.ChunkedArray) else pa.chunked_array([arrow])).cast(
        pa.large_string()
    )
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    hashed = np.empty(len(array), dtype=np.uint64)
    for start in range(0, len(array), _HASH_ROWS):
        hashed[start : start + _HASH_ROWS] = _hash_strings(array.slice(start, _HASH_ROWS))
    return hashed


def _hash_strings(array: pa.LargeStringArray) -> npt.NDArray[np.uint64]:
    _, offsets_buffer, data_buffer = array.buffers()
    n = len(array)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[array.offset : array.offset + n + 1]
    lengths = np.diff(offsets)
    begin, end = int(offsets[0]), int(offsets[-1])
    data = np.zeros(end - begin + 8, dtype=np.uint8)  # + 8: the last word is read whole
    if data_buffer is not None and end > begin:
        data[: end - begin] = np.frombuffer(data_buffer, dtype=np.uint8)[begin:end]
    words_of = (lengths + 7) // 8
    some = np.flatnonzero(words_of)  # the texts with a word (not empty)
    first = np.cumsum(words_of)[some] - words_of[some]  # their first word among all words
    total = int(words_of.sum())
    step = np.arange(total, dtype=np.int64)
    # Per word, its text's first word and the text's start in the data, each a value set at
    # every text's first word and carried forward (np.repeat by counts is twice as slow).
    text_first = np.zeros(total, dtype=np.int64)
    text_first[first] = first
    np.maximum.accumulate(text_first, out=text_first)
    position = step - text_first
    # a word's byte address is base + 8 * step, base falling from one text to the next
    base_change = np.zeros(total, dtype=np.int64)
    base_change[first] = np.diff(offsets[:-1][some] - begin - 8 * first, prepend=0)
    address = np.cumsum(base_change)
    address += 8 * step
    # a word at every byte: 8 bytes read from each start (numpy reads unaligned words)
    words = np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    word = words[address]
    # a text's last word keeps its own 1-8 bytes only
    tail = (lengths[some] - 8 * (words_of[some] - 1)).astype(np.uint64)
    word[first + words_of[some] - 1] &= _ALL_BITS >> (np.uint64(64) - np.uint64(8) * tail)
    mixing = position.astype(np.uint64)
    mixing *= _POSITION
    word ^= mixing
    mixed = _finalise(word)
    per_text = np.zeros(n, dtype=np.uint64)
    if len(some):
        per_text[some] = np.bitwise_xor.reduceat(mixed, first)
    hashed = _finalise(per_text ^ (lengths.astype(np.uint64) * _LENGTH))
    if array.null_count:
        hashed[np.asarray(array.is_null())] = _NULL_TEXT
    return hashed


def _finalise(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """MurmurHash3's 64-bit finaliser, on every value (uint64 arithmetic wraps)."""
    values = values ^ (values >> np.uint64(33))
    values *= _MIX[0]
    values ^= values >> np.uint64(33)
    values *= _MIX[1]
    values ^= values >> np.uint64(33)
    return values


class TextLookup:
    """Where each of a column's texts is among fixed ``keys`` (distinct texts): built once (the
    keys' hashes sorted), then each look-up hashes the texts asked for, finds their hashes by
    binary search and checks the texts found are equal; the rare text whose hash another key
    shares is looked up by pandas' index instead (never a wrong match, never a missed one)."""

    def __init__(self, keys: pd.Series) -> None:
        hashes = string_hashes(keys)
        self._order = np.argsort(hashes, kind="stable")
        self._sorted = hashes[self._order]
        self._keys = large_text(keys)
        self._index: pd.Index | None = None  # built only for a shared hash

    def positions(self, values: pd.Series) -> npt.NDArray[np.int64]:
        """The position in ``keys`` of each value (-1: not among them; a missing value: -1)."""
        n = len(values)
        if n == 0 or len(self._sorted) == 0:
            return np.full(n, -1, dtype=np.int64)
        hashes = string_hashes(values)
        at = np.minimum(np.searchsorted(self._sorted, hashes), len(self._sorted) - 1)
        found = self._sorted[at] == hashes
        position = np.where(found, self._order[at], -1)
        text = large_text(values)
        candidates = np.nonzero(found)[0]
        same = pc.equal(
            text.take(pa.array(candidates)), self._keys.take(pa.array(position[candidates]))
        )
        wrong = candidates[~np.asarray(same.fill_null(False).to_numpy(zero_copy_only=False))]
        if len(wrong):
            if self._index is None:
                self._index = pd.Index(self._keys.to_pandas())
            position[wrong] = self._index.get_indexer(values.iloc[wrong].astype("string"))
        return position


class TextMap:
    """A text -> text mapping (a Series indexed by distinct texts) looked up by
    :class:`TextLookup`: what ``values.map(mapping)`` gives, as a ``string`` column."""

    def __init__(self, mapping: pd.Series) -> None:
        self._lookup = TextLookup(pd.Series(mapping.index))
        self._values = large_text(mapping.reset_index(drop=True))

    def get(self, values: pd.Series) -> pd.Series:
        """The mapped text of each value (missing where the mapping has none)."""
        position = self._lookup.positions(values)
        taken = self._values.take(pa.array(position, mask=position < 0))
        return pd.Series(pd.array(taken, dtype="string"), index=values.index)
