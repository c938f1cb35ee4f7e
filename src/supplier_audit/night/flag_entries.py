"""A partition's side of the review flag store: each review's key (id and text hash), the flags
the store holds for it, and the entries it adds for the reviews it flagged anew.

A review's stored flags are used when the store holds its review id with the same text hash
(:func:`string_hashes` of its UTF-8 text: a changed text has another hash, so an edited review
is flagged again). The flags are a function of the text alone (for one flagger version), so the
text hash decides whether they still hold; the id says where to look. Each segment's id index
(its id hashes sorted, and in row order) is kept in a file beside it, mapped rather than read;
a partition then reads only the row groups holding its reviews, since a night's segment keeps
the reviews in the order the night read them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from supplier_audit.contracts.files import temporary_beside
from supplier_audit.night.flag_store import (
    IN_ROW_ORDER,
    ROW,
    ROW_GROUP_ROWS,
    SORTED,
    FlagStore,
    id_index,
    mapped_id_index,
)
from supplier_audit.review_terms.combined import COMBINED_COLUMNS

log = logging.getLogger(__name__)

SCHEMA = pa.schema(
    [
        ("review_id", pa.string()),
        ("id_hash", pa.uint64()),
        ("text_hash", pa.uint64()),
        ("quality_issue", pa.bool_()),
        ("counterfeit_suspect", pa.bool_()),
        # large_string: pandas' own string storage, read without a cast
        ("categories", pa.large_string()),
        ("matched_terms", pa.large_string()),
        ("spans", pa.string()),  # JSON [[start, end, term], ...]; "" for none
        ("max_severity", pa.int64()),
        ("flag_source", pa.large_string()),
        ("probability", pa.float64()),
    ]
)
_FLAG_FIELDS = [name for name in SCHEMA.names if name in COMBINED_COLUMNS]
_READ_COLUMNS = ["text_hash", *_FLAG_FIELDS]
assert tuple(_FLAG_FIELDS) == COMBINED_COLUMNS, "the store holds every flag column, in order"


@dataclass(frozen=True)
class ReviewKeys:
    """The keys of a partition's reviews, in its row order."""

    review_id: pd.Series
    id_hash: npt.NDArray[np.uint64]
    text_hash: npt.NDArray[np.uint64]


@dataclass
class _Index:
    """Per segment of the store (oldest first), its id index (:func:`id_index`): the file
    written beside the segment, mapped (:func:`mapped_id_index`), else built here."""

    segments: list[npt.NDArray[np.uint64]]


_INDEXES: dict[tuple[Path, tuple[str, ...]], _Index] = {}


def _index(store: FlagStore) -> _Index:
    key = (store.folder, tuple(segment.name for segment in store.segments))
    if key not in _INDEXES:
        _INDEXES.clear()  # one store at a time: an older night's index is never asked again
        arrays = []
        for segment, path in zip(store.segments, store.segment_paths(), strict=True):
            mapped = mapped_id_index(path, segment.rows)
            if mapped is None:
                log.info("review flag store: %s has no id index beside it; built now", path)
                mapped = id_index(pq.read_table(path, columns=["id_hash"])["id_hash"].to_numpy())
            arrays.append(mapped)
        _INDEXES[key] = _Index(arrays)
    return _INDEXES[key]


def _indexed(index: _Index, id_hash: npt.NDArray[np.uint64]) -> tuple[np.ndarray, np.ndarray]:
    """Segment (-1: none) and row of each id hash's latest entry: the newest segment holding
    it, and there its last row (equal hashes keep their row order in the index)."""
    n = len(id_hash)
    segment, row = np.full(n, -1, dtype=np.int32), np.zeros(n, dtype=np.int64)
    todo = np.argsort(id_hash)  # queries in sorted order: the look-ups walk the file forwards
    for number in reversed(range(len(index.segments))):
        if not len(todo):
            break
        hashes, rows = index.segments[number][SORTED], index.segments[number][ROW]
        wanted = id_hash[todo]
        at = np.searchsorted(hashes, wanted, side="right") - 1
        hit = at >= 0
        hit[hit] = hashes[at[hit]] == wanted[hit]
        segment[todo[hit]] = number
        row[todo[hit]] = rows[at[hit]]
        todo = todo[~hit]
    return segment, row


#: every this many reviews of a partition, one is looked up in the sorted ids to anchor the
#: rows around it (see :func:`_located`)
_ANCHOR_EVERY = 64


def _located(index: _Index, id_hash: npt.NDArray[np.uint64]) -> tuple[np.ndarray, np.ndarray]:
    """Segment (-1: none) and row of each review's entry.

    A partition read again is mostly runs of rows of one segment (a night's segment keeps its
    reviews in reading order; new reviews interleaved between them shift the rest by one).
    One review in every :data:`_ANCHOR_EVERY` is looked up in the sorted ids; each review is
    then tried at the shift of the found anchor before it and of the one after it, checked id
    by id against the segment's ids in row order. Only the reviews neither holds (new ones,
    or an export whose order changed) are looked up one by one in the sorted ids."""
    n = len(id_hash)
    segment, row = np.full(n, -1, dtype=np.int32), np.zeros(n, dtype=np.int64)
    anchors = np.unique(np.append(np.arange(0, n, _ANCHOR_EVERY), n - 1)) if n else np.arange(0)
    anchor_segment, anchor_row = _indexed(index, id_hash[anchors])
    held = anchor_segment >= 0
    anchors, anchor_segment = anchors[held], anchor_segment[held]
    shift = anchor_row[held] - anchors
    if len(anchors):
        position = np.arange(n)
        before = np.clip(np.searchsorted(anchors, position, side="right") - 1, 0, None)
        after = np.minimum(before + 1, len(anchors) - 1)
        for nearest in (before, after):
            for number in np.unique(anchor_segment).tolist():
                in_order = index.segments[number][IN_ROW_ORDER]
                tried = np.flatnonzero((segment < 0) & (anchor_segment[nearest] == number))
                at = tried + shift[nearest[tried]]
                inside = (at >= 0) & (at < len(in_order))
                tried, at = tried[inside], at[inside]
                same = in_order[at] == id_hash[tried]
                segment[tried[same]], row[tried[same]] = number, at[same]
    rest = np.flatnonzero(segment < 0)
    if len(rest):
        segment[rest], row[rest] = _indexed(index, id_hash[rest])
    return segment, row


def stored_flags(store: FlagStore, keys: ReviewKeys) -> tuple[npt.NDArray[np.bool_], pa.Table]:
    """Which reviews the store holds flags for (an entry of their id with their text hash),
    and those flags in the reviews' order (the :data:`SCHEMA` table of the found rows only)."""
    n = len(keys.id_hash)
    found = np.zeros(n, dtype=bool)
    empty = SCHEMA.empty_table()
    if not store.segments or not n:
        return found, empty
    try:
        index = _index(store)
        segment, row = _located(index, keys.id_hash)
        tables, positions = _verified(store, keys, np.arange(n), segment, row)
        for where in positions:
            found[where] = True
        # an edited review found in an older segment's run: its latest entry may hold the
        # new text
        again = np.flatnonzero((segment >= 0) & ~found)
        if len(again):
            more, also = _verified(store, keys, again, *_indexed(index, keys.id_hash[again]))
            tables, positions = tables + more, positions + also
    except (OSError, ValueError, pa.ArrowException) as error:
        log.warning(
            "review flag store %s cannot be read (%s): this partition's reviews are flagged "
            "anew and stored again when the night is published",
            store.folder,
            error,
        )
        return np.zeros(n, dtype=bool), empty
    tables = [table for table in tables if table.num_rows]
    positions = [where for where in positions if len(where)]
    if not tables:
        return np.zeros(n, dtype=bool), empty
    where = np.concatenate(positions)
    found[where] = True
    if len(tables) == 1:  # one segment's rows, positions ascending: in the reviews' order
        return found, tables[0]
    return found, pa.concat_tables(tables).take(pa.array(np.argsort(where, kind="stable")))


def _verified(
    store: FlagStore,
    keys: ReviewKeys,
    positions: npt.NDArray[np.int64],
    segment: npt.NDArray[np.int32],
    row: npt.NDArray[np.int64],
) -> tuple[list[pa.Table], list[npt.NDArray[np.int64]]]:
    """The entries at (segment, row) of the reviews at ``positions`` whose text hash is the
    review's, per segment, with the positions they belong to."""
    tables, found = [], []
    for number, path in enumerate(store.segment_paths()):
        mine = np.nonzero(segment == number)[0]
        if len(mine):
            at = positions[mine]
            table, same = _read_rows(path, row[mine], keys.text_hash[at])
            tables.append(table)
            found.append(at[same])
    return tables, found


def _read_rows(
    path: Path, rows: npt.NDArray[np.int64], text_hash: npt.NDArray[np.uint64]
) -> tuple[pa.Table, npt.NDArray[np.bool_]]:
    """Those rows of a segment whose text hash is ``text_hash`` (in the given order, reading
    only the row groups holding them), and which of the rows asked for they are.

    The same text hash means the same flags: an id hash shared with another review changes
    nothing, since the flags are the text's."""
    reader = pq.ParquetFile(path)
    sizes = [reader.metadata.row_group(g).num_rows for g in range(reader.num_row_groups)]
    starts = np.cumsum([0, *sizes])
    group_of = np.searchsorted(starts, rows, side="right") - 1
    groups = np.flatnonzero(np.bincount(group_of, minlength=len(sizes)))
    table = reader.read_row_groups(groups.tolist(), columns=_READ_COLUMNS)
    # rows' positions within the groups read, which follow each other in the table
    offset_of = np.zeros(len(sizes), dtype=np.int64)
    offset_of[groups] = np.cumsum([0, *(sizes[g] for g in groups)])[:-1]
    local = rows - starts[group_of] + offset_of[group_of]
    same = table["text_hash"].to_numpy()[local] == text_hash
    kept = local[same]
    if len(kept) and kept[-1] - kept[0] + 1 == len(kept) and (np.diff(kept) == 1).all():
        # the partition's reviews in the order they were stored: no copy
        return table.slice(int(kept[0]), len(kept)), same
    return table.take(pa.array(kept)), same


def flags_frame(table: pa.Table) -> pd.DataFrame:
    """Stored flags as :func:`flag_reviews` gives them: the columns of
    :func:`~supplier_audit.review_terms.combined.flag_reviews_combined`, the spans as their
    JSON text (:func:`~supplier_audit.review_terms.spans_as_text`), read without decoding."""
    frame: pd.DataFrame = table.select(_FLAG_FIELDS).to_pandas()
    for name in ("categories", "matched_terms", "spans", "flag_source"):
        if frame[name].dtype != "str":
            frame[name] = frame[name].astype("str")
    return frame


def entries_table(keys: ReviewKeys, flags: pd.DataFrame) -> pa.Table:
    """The store's rows for these reviews and their flags (same order, same length; the
    spans as JSON text)."""
    columns = {
        "review_id": pa.array(keys.review_id.to_numpy(dtype=object), pa.string()),
        "id_hash": pa.array(keys.id_hash, pa.uint64()),
        "text_hash": pa.array(keys.text_hash, pa.uint64()),
        **{
            name: pa.array(flags[name].to_numpy(), SCHEMA.field(name).type) for name in _FLAG_FIELDS
        },
    }
    return pa.table([columns[name] for name in SCHEMA.names], schema=SCHEMA)


def stage_entries(store: FlagStore, partition: int, table: pa.Table) -> None:
    """Write a partition's new entries into the night's staging folder (replacing an earlier
    run of the same partition); nothing when there are none."""
    path = store.staging / f"part-{partition:05d}.parquet"
    if not table.num_rows:
        path.unlink(missing_ok=True)
        return
    store.staging.mkdir(parents=True, exist_ok=True)
    with temporary_beside(path) as temporary:
        pq.write_table(table, temporary, row_group_size=ROW_GROUP_ROWS, compression="zstd")
