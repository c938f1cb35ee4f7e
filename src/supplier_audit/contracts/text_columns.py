"""Text columns at the speed of pyarrow: membership by hash look-up (pandas' ``isin`` on text
goes value by value), and texts joined per group without a Python call per group (one stable
sort and one ``binary_join``: what ``groupby(...).agg(separator.join)`` gives)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def member_of(values: pd.Series, candidates: pd.Series) -> np.ndarray:
    """``values.isin(candidates)`` as a boolean array, by pyarrow's hash look-up where both are
    text (pandas' ``isin`` over millions of strings takes tens of times longer); a blank is
    a member when the candidates hold a blank, as with ``isin``."""
    try:
        found = pc.is_in(
            pa.array(values, from_pandas=True), value_set=pa.array(candidates, from_pandas=True)
        )
    except (pa.ArrowException, TypeError, ValueError):
        return values.isin(candidates).to_numpy(dtype=bool)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def joined_per_group(groups: np.ndarray, texts: pd.Series, separator: str, size: int) -> np.ndarray:
    """Per group number ``0 .. size-1``, the ``texts`` of its rows joined by ``separator`` in
    the order given (an object array of ``str``; ``""`` for a group with no row). Rows whose
    group is negative (a missing key) are left out; every text kept must be a ``str``."""
    codes = np.asarray(groups, dtype=np.int64)
    kept = codes >= 0
    codes = codes[kept]
    values = texts.to_numpy(dtype=object)[kept]
    order = np.argsort(codes, kind="stable")
    offsets = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(codes, minlength=size), out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(
        pa.array(offsets), pa.array(values[order], type=pa.large_string())
    )
    joined = pc.binary_join(lists, pa.scalar(separator, pa.large_string()))
    result: np.ndarray = joined.to_numpy(zero_copy_only=False)
    return result


def join_by_key(keys: pd.Series, texts: pd.Series, separator: str) -> pd.Series:
    """Per key (in the order keys first appear; missing keys dropped), its texts joined by
    ``separator`` in the order given: ``groupby(keys, sort=False).agg(separator.join)``."""
    if len(keys) == 0:
        return pd.Series(dtype="string")
    codes, uniques = pd.factorize(keys.to_numpy(), sort=False)
    joined = joined_per_group(codes, texts, separator, len(uniques))
    return pd.Series(joined, index=pd.Index(uniques, name="key"), dtype="string")


def distinct_by_key(
    keys: pd.Series, texts: pd.Series, separator: str, *, sort: bool = False
) -> pd.Series:
    """Per key, its distinct non-empty texts joined by ``separator``, in the order given (or
    sorted, with ``sort``); keys with no such text are absent."""
    text = texts.astype("string")
    key_codes, text_codes = shared_codes(keys, text)
    kept = (text_codes >= 0) & (key_codes >= 0) & (text != "").fillna(False).to_numpy(dtype=bool)
    pair = key_codes * (int(text_codes.max(initial=0)) + 1) + text_codes
    rows = np.nonzero(kept)[0]
    # the first row of each (key, text) pair, in row order: drop_duplicates on integer codes
    _, first = np.unique(pair[rows], return_index=True)
    rows = rows[np.sort(first)]
    frame = pd.DataFrame(
        {"key": keys.to_numpy()[rows], "text": text.iloc[rows].reset_index(drop=True)}
    )
    if sort:
        frame = frame.sort_values("text", kind="stable")
    return join_by_key(frame["key"], frame["text"], separator)


def shared_codes(*columns: pd.Series) -> list[np.ndarray]:
    """Integer codes of text columns in one shared code space (one pyarrow dictionary
    encoding of them all): equal texts get equal codes in every column, a missing value gets
    -1. Joining on these codes instead of on the texts is what makes a merge of a million
    rows take a fraction of a second; the caller leaves the -1 rows out of any join."""
    if not columns:
        return []
    arrays = [large_text(column) for column in columns]
    encoded = pa.concat_arrays(arrays).dictionary_encode()
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    bounds = np.cumsum([0, *(len(array) for array in arrays)])
    return [indices[bounds[i] : bounds[i + 1]] for i in range(len(arrays))]


def large_text(values: pd.Series) -> pa.LargeStringArray:
    """A text column as one pyarrow large_string array (missing values null)."""
    arrow = pa.array(values.astype("string"), from_pandas=True)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    return arrow.cast(pa.large_string())
