"""The night's reviews: every partition through a runner, then one reduce.

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

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from supplier_audit.ingest.discover import SourceFile, sha256_of
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.results import TableResult, empty_cleaned
from supplier_audit.night.flag_store import FlagStore
from supplier_audit.night.partitions import (
    ReviewBatch,
    ReviewContext,
    ReviewPartition,
    plan_review_partitions,
    process_review_partition,
)
from supplier_audit.night.progress import reporter
from supplier_audit.scoring.review_totals import ReviewTotals, combine_review_totals

log = logging.getLogger(__name__)


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
    flags_stored: int = 0  # valid reviews whose flags came from the flag store
    flag_store: FlagStore | None = None  # where the new flags are staged (None: not kept)

    @property
    def flags_fresh(self) -> int:
        """Valid reviews flagged tonight (not found in the flag store)."""
        return self.table.rows_valid - self.flags_stored

    @property
    def flag_counts(self) -> dict[str, int]:
        return {
            "quality_issue": int(self.flagged["quality_issue"].sum()),
            "counterfeit_suspect": int(self.flagged["counterfeit_suspect"].sum()),
        }


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
        flags_stored=sum(b.flags_stored for b in ordered),
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
    result.flag_store = context.flag_store
    return result
