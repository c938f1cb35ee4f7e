"""Reviews in batches: read, validate, flag and attribute one partition at a time, then reduce.

Reviews are the input that grows without bound (a shop collects millions), so the night never
holds them all. The review files are cut into partitions — each file of a ``reviews/`` folder,
and a big Parquet file further into runs of row groups of about ``ingest.review_batch_rows``
rows — and every partition is processed on its own by :func:`process_review_partition`
(read, type, validate and cross-check against the suppliers and lots, flag the texts,
attribute to suppliers, sum per supplier). A review whose flags the flag store holds for its id,
text and tonight's flagger version (:mod:`supplier_audit.night.flag_store`) is not flagged
again; the others are, and their flags are staged for the store. What a partition hands back
is small: its quarantined rows, its flagged reviews (about one in ten), the per-supplier totals of
:mod:`supplier_audit.scoring.review_totals`, and its review ids (for duplicates).

The night runs the partitions and reduces them in :mod:`supplier_audit.night.reviews`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.inputs import INPUT_TABLES
from supplier_audit.contracts.text_hashes import string_hashes
from supplier_audit.ingest.folder import ingest_table
from supplier_audit.ingest.parquet_files import parquet_row_groups
from supplier_audit.ingest.quarantine import quarantine_frame
from supplier_audit.ingest.results import TableResult
from supplier_audit.ingest.tables import RawTable, read_table
from supplier_audit.night.flag_entries import (
    SCHEMA,
    ReviewKeys,
    entries_table,
    flags_frame,
    stage_entries,
    stored_flags,
)
from supplier_audit.night.flag_store import FlagStore
from supplier_audit.review_terms import Lexicon, load_lexicon, spans_as_text
from supplier_audit.review_terms.combined import flag_reviews_combined
from supplier_audit.scoring.attribution import SkuShares, lot_supplier_of
from supplier_audit.scoring.review_totals import ReviewTotals, review_totals

log = logging.getLogger(__name__)


REVIEW_FRAME_COLUMNS = ("review_id", "sku", "created_at", "rating", "text", "shipment_id")


@dataclass(frozen=True)
class ReviewPartition:
    """One batch of reviews: a whole file, or some row groups of a Parquet file."""

    number: int
    path: Path
    row_groups: tuple[int, ...] | None = None
    rows: int | None = None  # known in advance for Parquet

    @property
    def label(self) -> str:
        if self.row_groups is None:
            return self.path.name
        first, last = self.row_groups[0], self.row_groups[-1]
        return f"{self.path.name} row groups {first}-{last}"


def plan_review_partitions(paths: Sequence[Path], *, batch_rows: int) -> list[ReviewPartition]:
    """The partitions of the review files, in reading order.

    Every file is at least one partition; a Parquet file of more than ``batch_rows`` rows is
    cut between row groups into runs of about ``batch_rows`` rows (a row group is never split,
    so a file written as one huge row group stays one partition). CSV and workbook files are
    read whole: put big CSV exports in a ``reviews/`` folder of several files.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    partitions: list[ReviewPartition] = []
    for path in paths:
        if path.suffix.lower() != ".parquet":
            partitions.append(ReviewPartition(number=len(partitions), path=path))
            continue
        sizes = parquet_row_groups(path)
        if sum(sizes) <= batch_rows or len(sizes) < 2:
            partitions.append(ReviewPartition(len(partitions), path, None, sum(sizes)))
            continue
        run: list[int] = []
        rows = 0
        for group, size in enumerate(sizes):
            run.append(group)
            rows += size
            if rows >= batch_rows:
                partitions.append(ReviewPartition(len(partitions), path, tuple(run), rows))
                run, rows = [], 0
        if run:
            partitions.append(ReviewPartition(len(partitions), path, tuple(run), rows))
    return partitions


@dataclass(frozen=True)
class ReviewContext:
    """Everything a partition needs besides its own rows (sent once to every worker)."""

    settings: AuditConfig
    as_of: dt.date
    suppliers: TableResult
    shipments: TableResult
    shares: SkuShares | None = None  # SKU shares of the scoring window, computed once
    flag_store: FlagStore | None = None  # None: every review flagged, nothing stored


@dataclass
class ReviewBatch:
    """What one partition hands back: small, whatever the partition's size."""

    partition: ReviewPartition
    table: TableResult  # counts, quarantine and sources; valid rows are not kept
    flagged: pd.DataFrame  # the flagged reviews (review frame + flag columns)
    totals: ReviewTotals
    ids: pd.DataFrame  # review_id, source_row of every valid review (for duplicates)
    id_hashes: npt.NDArray[np.uint64]  # a 64-bit hash of each of those ids, in the same order
    # read, validate, flag, store (staging the new flags), attribute
    seconds: dict[str, float] = field(default_factory=dict)
    flags_stored: int = 0  # valid reviews whose flags came from the flag store


_LEXICONS: dict[str, Lexicon | None] = {}


def configured_lexicon(settings: AuditConfig) -> Lexicon | None:
    """The review lexicon the settings ask for (None: the shipped one); built once per process."""
    if not (settings.lexicon or settings.lexicon_replace):
        return None
    key = json.dumps([settings.lexicon, settings.lexicon_replace], sort_keys=True, default=str)
    if key not in _LEXICONS:
        _LEXICONS[key] = load_lexicon(settings.lexicon, replace=settings.lexicon_replace)
    return _LEXICONS[key]


def flag_reviews(
    reviews: pd.DataFrame,
    settings: AuditConfig,
    *,
    store: FlagStore | None = None,
    id_hashes: npt.NDArray[np.uint64] | None = None,
) -> tuple[pd.DataFrame, int, pa.Table | None]:
    """The flag columns of every valid review, in its row order, as
    :func:`supplier_audit.review_terms.combined.flag_reviews_combined` gives them (lexicon OR
    learned model, with the spans the report highlights, ``flag_source`` and
    ``probability``), except that each review's spans are one JSON text
    (:func:`~supplier_audit.review_terms.spans_as_text`, decoded only for the rows the report
    shows); how many of them came from ``store``; and the store's entries for the
    others (None without a store). ``id_hashes``: the reviews' id hashes
    (:func:`_review_ids`) when already computed."""
    if store is None:
        return _flag_texts(reviews["text"], settings), 0, None
    return _flags_through_store(reviews, settings, store, id_hashes)


def review_flag_rows(reviews: pd.DataFrame, flags: pd.DataFrame, by_lot: pd.Series) -> pd.DataFrame:
    """One row per valid review: the review's own columns, the supplier it names (else the
    supplier of the lot it names, else empty) and its ``flags`` (:func:`flag_reviews`).
    ``by_lot``: the supplier of each review's lot (:func:`lot_supplier_of`)."""
    supplier = reviews["supplier_id"].fillna(by_lot.astype("str"))
    review_flags = pd.concat(
        [
            reviews[list(REVIEW_FRAME_COLUMNS)],
            supplier.rename("supplier_id"),
            flags.set_axis(reviews.index),
        ],
        axis=1,
    )
    return review_flags


def _flag_texts(texts: pd.Series, settings: AuditConfig) -> pd.DataFrame:
    flags = flag_reviews_combined(
        texts,
        lexicon=configured_lexicon(settings),
        use_model=settings.review_model,
        model_languages=settings.review_model_languages,
    )
    flags["spans"] = pd.Series(spans_as_text(flags["spans"]), index=flags.index, dtype="str")
    return flags


def _flags_through_store(
    reviews: pd.DataFrame,
    settings: AuditConfig,
    store: FlagStore,
    id_hashes: npt.NDArray[np.uint64] | None,
) -> tuple[pd.DataFrame, int, pa.Table]:
    """The flags of every review, from the store where it holds them, else flagged now; the
    number that came from the store, and the entries of those flagged now."""
    if id_hashes is None:
        id_hashes = _review_ids(reviews)[1]
    keys = ReviewKeys(reviews["review_id"], id_hashes, string_hashes(reviews["text"]))
    found, stored = stored_flags(store, keys)
    missing = np.nonzero(~found)[0]
    if not len(missing):
        return flags_frame(stored), len(reviews), SCHEMA.empty_table()
    fresh = _flag_texts(reviews["text"].iloc[missing], settings).reset_index(drop=True)
    new_keys = ReviewKeys(
        keys.review_id.iloc[missing], keys.id_hash[missing], keys.text_hash[missing]
    )
    entries = entries_table(new_keys, fresh)
    if not found.any():
        return fresh, 0, entries
    both = pd.concat([flags_frame(stored), fresh], ignore_index=True)
    order = np.argsort(np.concatenate([np.nonzero(found)[0], missing]), kind="stable")
    return both.take(order).reset_index(drop=True), int(found.sum()), entries


def flagged_only(review_flags: pd.DataFrame) -> pd.DataFrame:
    """The reviews with at least one flag."""
    return review_flags[review_flags["quality_issue"] | review_flags["counterfeit_suspect"]]


def _move_to_quarantine(
    raw: RawTable, table: TableResult, reasons_by_row: Mapping[int, str]
) -> TableResult:
    """``table`` with the valid rows at the given source rows quarantined for the given reasons."""
    rows = raw.cells["source_row"].astype("int64")
    chosen = (
        rows.isin(list(reasons_by_row)).to_numpy()
        & raw.cells["source_row"].isin(table.valid["source_row"]).to_numpy()
    )
    bad = pd.Series(chosen, index=raw.cells.index)
    reasons = rows.map(reasons_by_row).fillna("").astype(object)
    spec = INPUT_TABLES[raw.table]
    moved = quarantine_frame(raw, spec, bad, reasons)
    keep = ~table.valid["source_row"].isin(list(reasons_by_row))
    quarantine = pd.concat([table.quarantine, moved], ignore_index=True).sort_values(
        ["source_file", "source_row"], kind="stable"
    )
    return replace(
        table,
        valid=table.valid.loc[keep].reset_index(drop=True),
        quarantine=quarantine.reset_index(drop=True),
    )


def process_review_partition(
    partition: ReviewPartition,
    context: ReviewContext,
    duplicates: Mapping[int, str] | None = None,
) -> ReviewBatch:
    """Read, validate, flag and attribute one partition; see the module docstring.

    ``duplicates`` maps source rows of this partition to the reason they are quarantined
    (ids already kept from an earlier partition). Raises InputError when the file cannot be
    read at all.
    """
    settings = context.settings
    laps = _Laps()
    raw = _read_partition(partition, settings)
    laps.lap("read")
    done = {"suppliers": context.suppliers, "shipments": context.shipments}
    table = ingest_table(raw, settings, as_of=context.as_of, done=done)
    if duplicates:
        table = _move_to_quarantine(raw, table, duplicates)
    del raw
    reviews = table.valid
    ids, id_hashes = _review_ids(reviews)
    laps.lap("validate")
    flags, stored, entries = flag_reviews(
        reviews, settings, store=context.flag_store, id_hashes=id_hashes
    )
    laps.lap("flag")
    if context.flag_store is not None and entries is not None:
        stage_entries(context.flag_store, partition.number, entries)
    del entries
    laps.lap("store")
    # the supplier of each review's lot, looked up once for the flag rows and attribution
    by_lot = lot_supplier_of(reviews, context.shipments.valid, context.shipments.lot_supplier_map)
    review_flags = review_flag_rows(reviews, flags, by_lot)
    totals = review_totals(
        reviews,
        review_flags,
        context.shipments.valid,
        as_of=context.as_of,
        settings=settings.scoring,
        lookback_days=settings.lookback_days,
        shares=context.shares,
        lot_supplier=by_lot,
    )
    flagged = flagged_only(review_flags).reset_index(drop=True)
    # An empty frame of the same columns, built anew: an empty slice would keep the whole
    # partition's Arrow buffers alive until the night ends.
    empty = pd.DataFrame({name: pd.Series(dtype=reviews[name].dtype) for name in reviews})
    kept = replace(table, valid=empty, valid_rows=len(reviews))
    laps.lap("attribute")
    log.info(
        "reviews %s: %d read, %d valid, %d flagged (%d flags from the store)",
        partition.label,
        kept.rows_read,
        len(reviews),
        len(flagged),
        stored,
    )
    return ReviewBatch(
        partition=partition,
        table=kept,
        flagged=flagged,
        totals=totals,
        ids=ids,
        id_hashes=id_hashes,
        seconds=laps.rounded(),
        flags_stored=stored,
    )


class _Laps:
    """Seconds per step of one partition, each from the end of the step before."""

    def __init__(self) -> None:
        self.clock = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = now - self.clock
        self.clock = now

    def rounded(self) -> dict[str, float]:
        return {step: round(value, 3) for step, value in self.seconds.items()}


def _read_partition(partition: ReviewPartition, settings: AuditConfig) -> RawTable:
    """The partition's rows as read: the whole file, or its run of Parquet row groups."""
    if partition.row_groups is None:
        return read_table("reviews", [partition.path], settings)
    return read_table(
        "reviews",
        [partition.path],
        settings,
        row_groups=list(partition.row_groups),
        hash_files=False,
    )


def _review_ids(reviews: pd.DataFrame) -> tuple[pd.DataFrame, npt.NDArray[np.uint64]]:
    """The partition's review ids with their source rows, and their hashes (for finding an id
    repeated in another partition)."""
    ids = pd.DataFrame(
        {
            "review_id": reviews["review_id"].astype("string[pyarrow]"),
            "source_row": reviews["source_row"].astype("int64"),
        }
    )
    return ids, string_hashes(ids["review_id"])
