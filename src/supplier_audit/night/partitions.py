"""Reviews in batches: read, validate, flag and attribute one partition at a time, then reduce.

Reviews are the input that grows without bound (a shop collects millions), so the night never
holds them all. The review files are cut into partitions — each file of a ``reviews/`` folder,
and a big Parquet file further into runs of row groups of about ``ingest.review_batch_rows``
rows — and every partition is processed on its own by :func:`process_review_partition`
(read, type, validate and cross-check against the suppliers and lots, flag the texts,
attribute to suppliers, sum per supplier). What a partition hands back is small: its
quarantined rows, its flagged reviews (about one in ten), the per-supplier totals of
:mod:`supplier_audit.scoring.review_totals`, and its review ids (for duplicates).

The reduce (:func:`combine_review_batches`) sums the totals in partition order and
concatenates the rest, so the result does not depend on where partitions ran. A review id
repeated in a later partition is the one thing a partition cannot see alone:
:func:`cross_batch_duplicates` finds them among the ids, and the partitions holding the later
copies are processed again with those rows moved to quarantine (rare: a re-export of the same
reviews), exactly as duplicates within one file are.

How partitions run is the caller's choice (a :data:`BatchRunner`): one after another in this
process (:func:`run_in_process`), as one Prefect task each (``flows/``), or on a Dask cluster
(:mod:`supplier_audit.night.scale`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.inputs import INPUT_TABLES
from supplier_audit.ingest.discover import SourceFile, sha256_of
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.folder import ingest_table
from supplier_audit.ingest.parquet_files import parquet_row_groups
from supplier_audit.ingest.quarantine import quarantine_frame
from supplier_audit.ingest.results import TableResult, empty_cleaned
from supplier_audit.ingest.tables import RawTable, read_table
from supplier_audit.night.progress import reporter
from supplier_audit.review_terms import Lexicon, load_lexicon
from supplier_audit.review_terms.combined import flag_reviews_combined
from supplier_audit.scoring.attribution import SkuShares
from supplier_audit.scoring.review_totals import (
    ReviewTotals,
    combine_review_totals,
    review_totals,
)

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


@dataclass
class ReviewBatch:
    """What one partition hands back: small, whatever the partition's size."""

    partition: ReviewPartition
    table: TableResult  # counts, quarantine and sources; valid rows are not kept
    flagged: pd.DataFrame  # the flagged reviews (review frame + flag columns)
    totals: ReviewTotals
    ids: pd.DataFrame  # review_id, source_row of every valid review (for duplicates)
    id_hashes: npt.NDArray[np.uint64]  # a 64-bit hash of each of those ids, in the same order
    seconds: dict[str, float] = field(default_factory=dict)  # read, validate, flag, attribute


@dataclass
class ReviewsResult:
    """Every review partition combined."""

    table: TableResult
    flagged: pd.DataFrame
    totals: ReviewTotals
    partitions: int
    reprocessed: list[int] = field(default_factory=list)
    # Seconds summed over partitions (worker seconds when partitions ran in parallel).
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def flag_counts(self) -> dict[str, int]:
        return {
            "quality_issue": int(self.flagged["quality_issue"].sum()),
            "counterfeit_suspect": int(self.flagged["counterfeit_suspect"].sum()),
        }


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
    reviews: pd.DataFrame, lot_suppliers: pd.Series, settings: AuditConfig
) -> pd.DataFrame:
    """One row per valid review: the review's own columns, the supplier it names (else the
    supplier of the lot it names, else empty) and the flag columns of
    :func:`supplier_audit.review_terms.combined.flag_reviews_combined` (lexicon OR learned
    model, with the spans the report highlights, ``flag_source`` and ``probability``).
    ``lot_suppliers``: shipment_id -> supplier_id."""
    flags = flag_reviews_combined(
        reviews["text"], lexicon=configured_lexicon(settings), use_model=settings.review_model
    )
    # (as text: with no valid lot, the look-up is an empty float column)
    by_lot = reviews["shipment_id"].map(lot_suppliers).astype("str")
    supplier = reviews["supplier_id"].fillna(by_lot)
    return pd.concat(
        [
            reviews[list(REVIEW_FRAME_COLUMNS)],
            supplier.rename("supplier_id"),
            flags.set_axis(reviews.index),
        ],
        axis=1,
    )


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
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = now - clock
        clock = now

    if partition.row_groups is None:
        raw = read_table("reviews", [partition.path], settings)
    else:
        raw = read_table(
            "reviews",
            [partition.path],
            settings,
            row_groups=list(partition.row_groups),
            hash_files=False,
        )
    lap("read")
    done = {"suppliers": context.suppliers, "shipments": context.shipments}
    table = ingest_table(raw, settings, as_of=context.as_of, done=done)
    if duplicates:
        table = _move_to_quarantine(raw, table, duplicates)
    del raw
    lap("validate")
    reviews = table.valid
    lots = context.shipments.valid
    review_flags = flag_reviews(reviews, context.shipments.lot_suppliers, settings)
    lap("flag")
    totals = review_totals(
        reviews,
        review_flags,
        lots,
        as_of=context.as_of,
        settings=settings.scoring,
        lookback_days=settings.lookback_days,
        shares=context.shares,
        lot_suppliers=context.shipments.lot_suppliers,
    )
    ids = pd.DataFrame(
        {
            "review_id": reviews["review_id"].astype("string[pyarrow]"),
            "source_row": reviews["source_row"].astype("int64"),
        }
    )
    id_hashes: npt.NDArray[np.uint64] = np.asarray(
        pd.util.hash_pandas_object(ids["review_id"], index=False), dtype=np.uint64
    )
    flagged = flagged_only(review_flags).reset_index(drop=True)
    # An empty frame of the same columns, built anew: an empty slice would keep the whole
    # partition's Arrow buffers alive until the night ends.
    empty = pd.DataFrame({name: pd.Series(dtype=reviews[name].dtype) for name in reviews})
    kept = replace(table, valid=empty, valid_rows=len(reviews))
    lap("attribute")
    log.info(
        "reviews %s: %d read, %d valid, %d flagged",
        partition.label,
        kept.rows_read,
        len(reviews),
        len(flagged),
    )
    return ReviewBatch(
        partition=partition,
        table=kept,
        flagged=flagged,
        totals=totals,
        ids=ids,
        id_hashes=id_hashes,
        seconds={step: round(value, 3) for step, value in seconds.items()},
    )


def cross_batch_duplicates(batches: Sequence[ReviewBatch]) -> dict[int, dict[int, str]]:
    """Per partition number, the source rows whose review id an earlier partition already
    kept, with the quarantine reason (the first copy in reading order is kept)."""
    if len(batches) < 2:
        return {}
    # The usual night has no id twice: decided on 64-bit hashes of the ids (80 MB for 10 M
    # reviews, a fraction of a second) before any frame of all ids is built. Equal hashes
    # of different ids are told apart by the exact check below.
    hashes = pd.Series(np.concatenate([b.id_hashes for b in batches]))
    if not hashes.duplicated().any():
        return {}
    del hashes
    ids = pd.concat(
        [b.ids.assign(partition=b.partition.number, file=b.partition.path.name) for b in batches],
        ignore_index=True,
    )
    later = ids["review_id"].duplicated(keep="first")
    if not later.any():
        return {}
    first = ids.loc[~later].drop_duplicates("review_id").set_index("review_id")
    repeated = ids.loc[later]
    first_row = repeated["review_id"].map(first["source_row"]).astype("int64")
    first_file = repeated["review_id"].map(first["file"])
    where = ("in " + first_file + " ").where(first_file != repeated["file"], "")
    message = (
        "duplicate review_id "
        + repeated["review_id"].astype(str)
        + " (first kept, "
        + where.astype(str)
        + "on row "
        + first_row.astype(str)
        + ")"
    )
    found: dict[int, dict[int, str]] = {}
    for (number, row), text in zip(
        zip(repeated["partition"], repeated["source_row"], strict=True), message, strict=True
    ):
        found.setdefault(int(number), {})[int(row)] = str(text)
    return found


def _merged_sources(batches: Sequence[ReviewBatch]) -> list[SourceFile]:
    """One SourceFile per file, rows summed over its partitions, each file hashed once."""
    merged: dict[Path, SourceFile] = {}
    for batch in batches:
        for source in batch.table.sources:
            seen = merged.get(source.path)
            if seen is None:
                merged[source.path] = replace(
                    source, sha256=source.sha256 or sha256_of(source.path)
                )
            else:
                merged[source.path] = replace(seen, rows_read=seen.rows_read + source.rows_read)
    return list(merged.values())


def combine_review_batches(batches: Sequence[ReviewBatch]) -> ReviewsResult:
    """Every partition's result as one (in partition order)."""
    ordered = sorted(batches, key=lambda b: b.partition.number)
    unknown: list[str] = []
    for batch in ordered:
        unknown.extend(c for c in batch.table.unknown_columns if c not in unknown)
    quarantines = [b.table.quarantine for b in ordered if not b.table.quarantine.empty]
    template = ordered[0].table if ordered else None
    table = TableResult(
        name="reviews",
        valid=template.valid if template is not None else pd.DataFrame(),
        quarantine=pd.concat(quarantines, ignore_index=True)
        if quarantines
        else (template.quarantine if template is not None else pd.DataFrame()),
        rows_read=sum(b.table.rows_read for b in ordered),
        rows_pending=sum(b.table.rows_pending for b in ordered),
        sources=_merged_sources(ordered),
        unknown_columns=unknown,
        valid_rows=sum(b.table.rows_valid for b in ordered),
        cleaned=pd.concat([b.table.cleaned for b in ordered], ignore_index=True)
        if any(len(b.table.cleaned) for b in ordered)
        else empty_cleaned(),
    )
    flagged_parts = [b.flagged for b in ordered]
    flagged = pd.concat(flagged_parts, ignore_index=True) if flagged_parts else pd.DataFrame()
    seconds: dict[str, float] = {}
    for batch in ordered:
        for step, value in batch.seconds.items():
            seconds[step] = round(seconds.get(step, 0.0) + value, 3)
    return ReviewsResult(
        table=table,
        flagged=flagged,
        totals=combine_review_totals([b.totals for b in ordered]),
        partitions=len(ordered),
        seconds=seconds,
    )


T = TypeVar("T")
R = TypeVar("R")
# runner(function, items, shared) -> [function(item, shared) for item in items], in order.
BatchRunner = Callable[[Callable[[Any, Any], Any], Sequence[Any], Any], list[Any]]


def run_in_process(function: Callable[[T, Any], R], items: Sequence[T], shared: Any) -> list[R]:
    """Run ``function(item, shared)`` for every item, one after another, in this process."""
    results = []
    for item in items:
        results.append(function(item, shared))
        reporter().advanced("reviews", len(results), len(items))
    return results


@dataclass(frozen=True)
class PartitionWork:
    """One run of a partition: its rows, and the source rows an earlier partition's ids make
    duplicates (quarantined with the given reasons; none on the first run)."""

    partition: ReviewPartition
    duplicates: Mapping[int, str] | None = None

    @property
    def label(self) -> str:
        return self.partition.label


def process_partition_item(item: PartitionWork, shared: ReviewContext) -> ReviewBatch:
    """:func:`process_review_partition` in a runner's shape."""
    return process_review_partition(item.partition, shared, item.duplicates)


def process_reviews(
    paths: Sequence[Path],
    context: ReviewContext,
    *,
    runner: BatchRunner = run_in_process,
) -> ReviewsResult:
    """Every review file, partition by partition through ``runner``, reduced to one result."""
    partitions = plan_review_partitions(paths, batch_rows=context.settings.ingest.review_batch_rows)
    if not partitions:
        raise InputError("reviews", "no review file found")
    batches: list[ReviewBatch] = runner(
        process_partition_item, [PartitionWork(p) for p in partitions], context
    )
    duplicates = cross_batch_duplicates(batches)
    reprocessed = sorted(duplicates)
    if duplicates:
        log.info(
            "review ids repeated across partitions: %d rows in %d partition(s), reprocessed",
            sum(len(rows) for rows in duplicates.values()),
            len(duplicates),
        )
        again: list[ReviewBatch] = runner(
            process_partition_item,
            [PartitionWork(partitions[number], duplicates[number]) for number in reprocessed],
            context,
        )
        by_number = {b.partition.number: b for b in batches}
        by_number.update({b.partition.number: b for b in again})
        batches = [by_number[p.number] for p in partitions]
    result = combine_review_batches(batches)
    result.reprocessed = reprocessed
    return result
