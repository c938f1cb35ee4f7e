"""The review flag store: every review's flags kept by the published nights, keyed by review id,
text hash and flagger version, so a night flags only the reviews it has not flagged before.

Layout, under the history (``<out>/history/review_flags/``)::

    current.json        the store: flagger version, and its segments with their rows and bytes
    seg-<...>.parquet   immutable segments, named by flagger version and night: review_id,
                        id_hash, text_hash and the flag columns of
                        :data:`supplier_audit.review_terms.combined.COMBINED_COLUMNS`
    seg-<...>.ids.npy   beside each segment, its id index: the id hashes sorted with the row of
                        each, and in row order (written with the segment: a night maps it
                        instead of reading and sorting the store's ids)
    .staging-<...>/     a finishing night's new entries, between its publication and the store's

``current.json`` is the only thing a reader trusts: a segment it does not list (a night killed
half-way through :func:`commit_flag_store`) is ignored and removed by the next night, and the
store moves from one state to the next by one atomic rename of ``current.json``; a SIGKILL at
any moment leaves the old store or the new one. Entries of another flagger version are
dropped when the first night of the new version is published (every review is flagged anew
that night). A store that cannot be read — ``current.json`` or a segment missing, cut short or
not Parquet — is reported in one warning and what it held is flagged anew, then stored again.

The lookup and the partition's entries are in :mod:`supplier_audit.night.flag_entries`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from supplier_audit.contracts.files import temporary_beside, write_text_atomic

log = logging.getLogger(__name__)

STORE_FOLDER = "review_flags"
POINTER = "current.json"
FORMAT = 1
# Rows per row group: a partition reads only the row groups holding its reviews.
ROW_GROUP_ROWS = 65_536
# More segments than this and the next publication merges them into one (keeping each review
# id's latest entry): every segment costs each partition a file to open.
MAX_SEGMENTS = 8
_STAGING_PREFIX = ".staging-"


@dataclass(frozen=True)
class Segment:
    """One immutable file of the store."""

    name: str
    rows: int
    bytes: int


@dataclass(frozen=True)
class FlagStore:
    """The store a night reads (``segments``: those of tonight's flagger version that can be
    read) and the folder its partitions stage their new entries in (``staging``)."""

    folder: Path
    flagger: str
    staging: Path
    segments: tuple[Segment, ...] = ()

    @property
    def rows(self) -> int:
        return sum(segment.rows for segment in self.segments)

    def segment_paths(self) -> list[Path]:
        return [self.folder / segment.name for segment in self.segments]


def id_index_path(segment: Path) -> Path:
    """The file beside a segment holding its id index (:func:`id_index`)."""
    return segment.with_name(segment.name.removesuffix(".parquet") + ".ids.npy")


#: the id index's rows: the id hashes sorted, the segment row of each, the hashes in row order
SORTED, ROW, IN_ROW_ORDER = 0, 1, 2


def id_index(id_hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """A segment's id index, a ``(3, rows)`` uint64 array: its id hashes sorted (equal hashes
    in row order: a stable sort), the row of each, and the hashes in row order."""
    order = np.argsort(id_hashes, kind="stable")
    return np.stack([id_hashes[order], order.astype(np.uint64), id_hashes])


def write_id_index(segment: Path, id_hashes: npt.NDArray[np.uint64]) -> None:
    """Write a segment's id index beside it (replacing any file of that name)."""
    target = id_index_path(segment)
    with temporary_beside(target) as temporary, open(temporary, "wb") as stream:
        np.save(stream, id_index(id_hashes))


def mapped_id_index(segment: Path, rows: int) -> npt.NDArray[np.uint64] | None:
    """A segment's id index as written beside it, mapped (not read) from the file; None when
    the file is missing or not of that segment's shape (the caller builds it anew)."""
    try:
        mapped: npt.NDArray[np.uint64] = np.load(
            id_index_path(segment), mmap_mode="r", allow_pickle=False
        )
    except (OSError, ValueError):
        return None
    if mapped.dtype != np.uint64 or mapped.shape != (3, rows):
        return None
    return mapped


def store_folder(history: Path) -> Path:
    """Where the store lives under the history folder."""
    return history / STORE_FOLDER


def open_flag_store(history: Path, *, flagger: str, night: str) -> FlagStore:
    """The store as the last published night left it, for a night flagging with ``flagger``
    (a version digest) and staging under ``.staging-<night>``. Called under the output
    folder's lock: leftovers of interrupted nights are removed first."""
    folder = store_folder(history)
    store = FlagStore(folder=folder, flagger=flagger, staging=folder / f"{_STAGING_PREFIX}{night}")
    pointer = folder / POINTER
    if not pointer.exists():
        if folder.is_dir() and any(folder.glob("seg-*.parquet")):
            _warn(folder, [f"{POINTER} is missing"])
        _remove_unlisted(folder, keep=set())
        return store
    try:
        recorded = _read_pointer(pointer)
    except (OSError, ValueError, KeyError, TypeError) as error:
        _warn(folder, [f"{POINTER} cannot be read ({error})"])
        return store
    listed = {segment.name for segment in recorded[1]}
    _remove_unlisted(folder, keep=listed)
    if recorded[0] != flagger:
        log.info(
            "review flag store: flagger version %s stored, %s tonight: every review is flagged "
            "anew, and the old entries are dropped when the night is published",
            recorded[0],
            flagger,
        )
        return store
    readable, problems = [], []
    for segment in recorded[1]:
        problem = _segment_problem(folder / segment.name, segment)
        if problem:
            problems.append(f"{segment.name} {problem}")
        else:
            readable.append(segment)
    if problems:
        _warn(folder, problems)
    return replace(store, segments=tuple(readable))


def _warn(folder: Path, problems: list[str]) -> None:
    log.warning(
        "review flag store %s: %s; the reviews it held are flagged anew tonight and stored "
        "again when the night is published",
        folder,
        "; ".join(problems),
    )


def _read_pointer(pointer: Path) -> tuple[str, list[Segment]]:
    record = json.loads(pointer.read_text("utf-8"))
    if record.get("format") != FORMAT:
        raise ValueError(f"format {record.get('format')!r}, expected {FORMAT}")
    segments = [
        Segment(name=str(s["name"]), rows=int(s["rows"]), bytes=int(s["bytes"]))
        for s in record["segments"]
    ]
    if any(Path(s.name).name != s.name or not s.name.startswith("seg-") for s in segments):
        raise ValueError("a segment name outside the store")
    return str(record["flagger"]), segments


def _segment_problem(path: Path, segment: Segment) -> str:
    """Why a listed segment cannot be used ("" when it can): missing, another size, or a
    Parquet footer that cannot be read or disagrees on the rows."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "is missing"
    if size != segment.bytes:
        return f"has {size:,} bytes, {segment.bytes:,} recorded"
    try:
        rows = pq.ParquetFile(path).metadata.num_rows
    except (OSError, pa.ArrowException) as error:
        return f"cannot be read ({error})"
    return "" if rows == segment.rows else f"has {rows:,} rows, {segment.rows:,} recorded"


def _remove_unlisted(folder: Path, *, keep: set[str]) -> None:
    """Remove what interrupted nights left: staging folders and segments no store lists."""
    if not folder.is_dir():
        return
    for leftover in sorted(folder.glob(f"{_STAGING_PREFIX}*")):
        log.warning("removing %s left by an interrupted run", leftover)
        shutil.rmtree(leftover, ignore_errors=True)
    for path in sorted(folder.glob("seg-*.parquet")):
        if path.name not in keep:
            path.unlink(missing_ok=True)
    for path in sorted(folder.glob("seg-*.ids.npy")):
        if path.name.removesuffix(".ids.npy") + ".parquet" not in keep:
            path.unlink(missing_ok=True)


def discard_staged(store: FlagStore) -> None:
    """Forget a night's new entries (a held night): the store stays as it was."""
    shutil.rmtree(store.staging, ignore_errors=True)


def commit_flag_store(store: FlagStore, *, night: str) -> dict[str, Any]:
    """Add the night's staged entries to the store, for a night just published.

    The staged partitions become one new segment; with more than :data:`MAX_SEGMENTS`
    segments, all of them are merged into one that keeps each review id's latest entry. The new
    ``current.json`` replaces the old in one rename, after which the segments it no longer
    lists (those of an older flagger version included) are removed. Returns what the store
    holds now (for the log)."""
    parts = sorted(store.staging.glob("part-*.parquet")) if store.staging.is_dir() else []
    segments = list(store.segments)
    added = 0
    if parts:
        new = _write_segment(store.folder, f"seg-{store.flagger[:12]}-{night}.parquet", parts)
        segments.append(new)
        added = new.rows
    merged = len(segments) > MAX_SEGMENTS
    if merged:
        merged_name = f"seg-{store.flagger[:12]}-{night}-merged.parquet"
        segments = [_merge_segments(store.folder, segments, merged_name)]
    for segment in segments:  # an id index lost since: written again
        path = store.folder / segment.name
        if mapped_id_index(path, segment.rows) is None:
            write_id_index(path, pq.read_table(path, columns=["id_hash"])["id_hash"].to_numpy())
    _write_pointer(store.folder, store.flagger, segments)
    discard_staged(store)
    _remove_unlisted(store.folder, keep={segment.name for segment in segments})
    return {"rows": sum(s.rows for s in segments), "added": added, "segments": len(segments)}


def _write_pointer(folder: Path, flagger: str, segments: list[Segment]) -> None:
    record = {
        "format": FORMAT,
        "flagger": flagger,
        "segments": [{"name": s.name, "rows": s.rows, "bytes": s.bytes} for s in segments],
    }
    write_text_atomic(json.dumps(record, indent=1) + "\n", folder / POINTER)


def _unused_name(folder: Path, name: str) -> str:
    """``name``, or with a counter when a segment of that name exists (a night rerun)."""
    stem, suffix = name.removesuffix(".parquet"), ".parquet"
    candidate, number = name, 1
    while (folder / candidate).exists():
        candidate = f"{stem}-{number}{suffix}"
        number += 1
    return candidate


def _write_segment(folder: Path, name: str, sources: list[Path]) -> Segment:
    """One segment holding every row of ``sources`` in order, row group by row group."""
    return _stream_segment(folder, name, [(source, None) for source in sources])


def _merge_segments(folder: Path, segments: list[Segment], name: str) -> Segment:
    """One segment of every review id's latest entry over ``segments`` (later wins)."""
    import numpy as np
    import pandas as pd

    paths = [folder / segment.name for segment in segments]
    hashes = [pq.read_table(path, columns=["id_hash"])["id_hash"].to_numpy() for path in paths]
    latest = ~pd.Series(np.concatenate(hashes)).duplicated(keep="last").to_numpy()
    bounds = np.cumsum([0, *(len(h) for h in hashes)])
    return _stream_segment(
        folder,
        name,
        [(path, latest[bounds[i] : bounds[i + 1]]) for i, path in enumerate(paths)],
    )


def _stream_segment(folder: Path, name: str, sources: list[tuple[Path, Any]]) -> Segment:
    """Write the rows of each source (those its mask keeps, or all) into a new segment,
    one row group of a source in memory at a time; written beside and renamed into place."""
    path = folder / _unused_name(folder, name)
    folder.mkdir(parents=True, exist_ok=True)
    rows = 0
    id_hashes: list[npt.NDArray[np.uint64]] = []
    with temporary_beside(path) as temporary:
        writer: pq.ParquetWriter | None = None
        for source, keep in sources:
            reader = pq.ParquetFile(source)
            offset = 0
            for group in range(reader.num_row_groups):
                table = reader.read_row_group(group)
                if keep is not None:
                    table = table.filter(pa.array(keep[offset : offset + table.num_rows]))
                    offset += reader.metadata.row_group(group).num_rows
                if writer is None:
                    writer = pq.ParquetWriter(temporary, table.schema, compression="zstd")
                writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
                rows += table.num_rows
                id_hashes.append(table["id_hash"].to_numpy())
        if writer is not None:
            writer.close()
        # the id index first: a segment in place always has its own beside it
        write_id_index(path, np.concatenate(id_hashes or [np.empty(0, np.uint64)]))
    return Segment(name=path.name, rows=rows, bytes=os.path.getsize(path))
