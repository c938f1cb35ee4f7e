"""A partition's side of the review flag store: each review's key (id and text hash), the flags
the store holds for it, and the entries it adds for the reviews it flagged anew.

A review's stored flags are used when the store holds its exact review id with the same text
hash (64-bit SipHash-2-4 of the UTF-8 text, keyed: a changed text has another hash, so an
edited review is flagged again). The store's id hashes are read once per process into a sorted
index; a partition then reads only the row groups holding its reviews, since a night's
segment keeps the reviews in the order the night read them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from supplier_audit.contracts.files import temporary_beside
from supplier_audit.night.flag_store import ROW_GROUP_ROWS, FlagStore
from supplier_audit.review_terms.combined import COMBINED_COLUMNS

log = logging.getLogger(__name__)

# The key of the text hash (SipHash takes 16 bytes); changing it orphans every stored flag.
_TEXT_HASH_KEY = "supplier-audit-1"
_SPAN = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("term", pa.string())])
SCHEMA = pa.schema(
    [
        ("review_id", pa.string()),
        ("id_hash", pa.uint64()),
        ("text_hash", pa.uint64()),
        ("quality_issue", pa.bool_()),
        ("counterfeit_suspect", pa.bool_()),
        ("categories", pa.string()),
        ("matched_terms", pa.string()),
        ("spans", pa.list_(_SPAN)),
        ("max_severity", pa.int64()),
        ("flag_source", pa.string()),
        ("probability", pa.float64()),
    ]
)
_FLAG_FIELDS = [name for name in SCHEMA.names if name in COMBINED_COLUMNS]
assert tuple(_FLAG_FIELDS) == COMBINED_COLUMNS, "the store holds every flag column, in order"


def text_hashes(texts: pd.Series) -> npt.NDArray[np.uint64]:
    """The 64-bit keyed SipHash of each text's UTF-8 bytes (missing texts share one value)."""
    values = np.asarray(texts.astype(object), dtype=object)
    hashed: npt.NDArray[np.uint64] = pd.util.hash_array(
        values, hash_key=_TEXT_HASH_KEY, categorize=False
    )
    return hashed


@dataclass(frozen=True)
class ReviewKeys:
    """The keys of a partition's reviews, in its row order."""

    review_id: pd.Series
    id_hash: npt.NDArray[np.uint64]
    text_hash: npt.NDArray[np.uint64]


@dataclass
class _Index:
    """The store's id hashes sorted once, with each one's segment and row (latest entry of an
    id hash last among equals: segments are read oldest first, the sort is stable)."""

    hashes: npt.NDArray[np.uint64]
    segment: npt.NDArray[np.int32]
    row: npt.NDArray[np.int64]


_INDEXES: dict[tuple[Path, tuple[str, ...]], _Index] = {}


def _index(store: FlagStore) -> _Index:
    key = (store.folder, tuple(segment.name for segment in store.segments))
    if key not in _INDEXES:
        _INDEXES.clear()  # one store at a time: an older night's index is never asked again
        columns = [
            pq.read_table(path, columns=["id_hash"])["id_hash"].to_numpy()
            for path in store.segment_paths()
        ]
        hashes = np.concatenate(columns) if columns else np.empty(0, np.uint64)
        order = np.argsort(hashes, kind="stable")
        segment = np.repeat(np.arange(len(columns), dtype=np.int32), [len(c) for c in columns])
        row = np.concatenate([np.arange(len(c), dtype=np.int64) for c in columns or [[]]])
        _INDEXES[key] = _Index(hashes[order], segment[order], row[order].astype(np.int64))
    return _INDEXES[key]


def stored_flags(store: FlagStore, keys: ReviewKeys) -> tuple[npt.NDArray[np.bool_], pa.Table]:
    """Which reviews the store holds flags for (same id, same text hash), and those flags in
    the reviews' order (the :data:`SCHEMA` table of the found rows only)."""
    n = len(keys.id_hash)
    found = np.zeros(n, dtype=bool)
    empty = SCHEMA.empty_table()
    if not store.segments or not n:
        return found, empty
    index = _index(store)
    if not len(index.hashes):
        return found, empty
    # the last entry of each id hash: an id's latest text
    at = np.searchsorted(index.hashes, keys.id_hash, side="right") - 1
    at_valid = np.clip(at, 0, None)
    candidate = (at >= 0) & (index.hashes[at_valid] == keys.id_hash)
    wanted = np.nonzero(candidate)[0]
    tables, positions = [], []
    try:
        for number, path in enumerate(store.segment_paths()):
            mine = wanted[index.segment[at_valid[wanted]] == number]
            if len(mine):
                tables.append(_read_rows(path, index.row[at_valid[mine]]))
                positions.append(mine)
    except (OSError, pa.ArrowException) as error:
        log.warning(
            "review flag store %s cannot be read (%s): this partition's reviews are flagged "
            "anew and stored again when the night is published",
            store.folder,
            error,
        )
        return found, empty
    if not tables:
        return found, empty
    rows = pa.concat_tables(tables)
    where = np.concatenate(positions)
    same = np.asarray(
        pc.and_(
            pc.equal(rows["review_id"], pa.array(keys.review_id.to_numpy()[where], pa.string())),
            pc.equal(rows["text_hash"], pa.array(keys.text_hash[where])),
        ).fill_null(False)
    )
    where = where[same]
    rows = rows.filter(pa.array(same))
    order = np.argsort(where, kind="stable")
    found[where] = True
    return found, rows.take(pa.array(order))


def _read_rows(path: Path, rows: npt.NDArray[np.int64]) -> pa.Table:
    """Those rows of a segment, in the given order, reading only the row groups holding them."""
    reader = pq.ParquetFile(path)
    sizes = [reader.metadata.row_group(g).num_rows for g in range(reader.num_row_groups)]
    starts = np.cumsum([0, *sizes])
    groups = np.unique(np.searchsorted(starts, rows, side="right") - 1)
    table = reader.read_row_groups(groups.tolist())
    # rows' positions within the groups read, which follow each other in the table
    offset_of = np.zeros(len(sizes), dtype=np.int64)
    offset_of[groups] = np.cumsum([0, *(sizes[g] for g in groups)])[:-1]
    group_of = np.searchsorted(starts, rows, side="right") - 1
    local = rows - starts[group_of] + offset_of[group_of]
    return table.take(pa.array(local))


def flags_frame(table: pa.Table) -> pd.DataFrame:
    """Stored flags as :func:`~supplier_audit.review_terms.combined.flag_reviews_combined`
    returns them (same columns, types and values)."""
    spans = np.empty(table.num_rows, dtype=object)
    spans[:] = [[] for _ in range(table.num_rows)]
    lengths = pc.list_value_length(table["spans"]).fill_null(0).to_numpy()
    with_spans = np.nonzero(lengths)[0]
    if len(with_spans):
        listed = table["spans"].take(pa.array(with_spans)).to_pylist()
        for row, items in zip(with_spans.tolist(), listed, strict=True):
            spans[row] = [(item["start"], item["end"], item["term"]) for item in items]
    frame: pd.DataFrame = table.select([n for n in _FLAG_FIELDS if n != "spans"]).to_pandas()
    frame.insert(_FLAG_FIELDS.index("spans"), "spans", spans)
    for name in ("categories", "matched_terms", "flag_source"):
        frame[name] = frame[name].astype("str")
    return frame


def entries_table(keys: ReviewKeys, flags: pd.DataFrame) -> pa.Table:
    """The store's rows for these reviews and their flags (same order, same length)."""
    spans = [[tuple(span) for span in row] for row in flags["spans"]]
    columns = {
        "review_id": pa.array(keys.review_id.to_numpy(dtype=object), pa.string()),
        "id_hash": pa.array(keys.id_hash, pa.uint64()),
        "text_hash": pa.array(keys.text_hash, pa.uint64()),
        **{
            name: pa.array(flags[name].to_numpy(), SCHEMA.field(name).type)
            for name in _FLAG_FIELDS
            if name != "spans"
        },
        "spans": pa.array(spans, SCHEMA.field("spans").type),
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
