"""The stages of one nightly audit as plain functions: what each reads and decides.

``night/recipe.py`` runs them in order (the Prefect flow as one task per stage, and per review
partition); tests and scripts can call them directly. Writing the files is ``night/outputs.py``;
publishing them ``night/publication.py``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from supplier_audit.complaints.desk import ComplaintDesk, complaint_desk
from supplier_audit.config.versions import review_flagger_version
from supplier_audit.ingest.folder import as_manifest_inputs, ingest_folder, require_rows
from supplier_audit.ingest.results import IngestResult
from supplier_audit.night.flag_store import open_flag_store
from supplier_audit.night.guard import GuardVerdict, check_inputs, rows_dated_after_night
from supplier_audit.night.partitions import ReviewContext
from supplier_audit.night.reviews import BatchRunner, ReviewsResult, process_reviews, run_in_process
from supplier_audit.night.run import AuditRun
from supplier_audit.sampling import (
    InspectionInForce,
    SampleSizing,
    inspection_in_force,
    plan_inspections,
)
from supplier_audit.scoring import (
    ScoringResult,
    previous_scores,
    score_suppliers,
    self_check_candidates,
    tier_inspection_overrides,
)
from supplier_audit.scoring.review_totals import review_sku_shares

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InspectionOutcome:
    """Tonight's inspection plan and the inspection in force it was made with."""

    plan: pd.DataFrame
    in_force: InspectionInForce


def ingest_stage(run: AuditRun) -> IngestResult:
    """Read, type and validate every input table but the reviews, which are listed for
    :func:`reviews_stage` (raises InputError for unreadable files)."""
    return ingest_folder(run.data_dir, run.settings, as_of=run.as_of, batched=("reviews",))


def review_context(run: AuditRun, ingest: IngestResult) -> ReviewContext:
    """What every review partition needs: settings, as-of, the valid suppliers and lots, the
    SKU shares of the scoring window (computed once here, not once per partition) and the
    review flag store of the published nights (opened under the output folder's lock)."""
    settings = run.settings
    return ReviewContext(
        settings=settings,
        as_of=run.as_of,
        suppliers=ingest.tables["suppliers"],
        shipments=ingest.tables["shipments"],
        shares=review_sku_shares(
            ingest["shipments"],
            as_of=run.as_of,
            settings=settings.scoring,
            lookback_days=settings.lookback_days,
        ),
        flag_store=open_flag_store(
            history_dir(run),
            flagger=review_flagger_version(settings)["sha256"],
            night=f"{run.as_of.isoformat()}-{os.getpid()}",
        ),
    )


def reviews_stage(
    run: AuditRun, ingest: IngestResult, *, runner: BatchRunner = run_in_process
) -> tuple[IngestResult, ReviewsResult]:
    """Read, validate, flag and attribute the reviews partition by partition (through
    ``runner``: in this process, as Prefect tasks or on Dask), reduced to the flagged reviews
    and per-supplier totals; the ingest result gains the reviews table (its counts,
    quarantine and files)."""
    reviews = process_reviews(
        ingest.batched_files["reviews"], review_context(run, ingest), runner=runner
    )
    require_rows("reviews", reviews.table.rows_read, ingest.batched_files["reviews"])
    log.info(
        "reviews: %d partition(s), %d valid, %d quality issue, %d counterfeit suspect",
        reviews.partitions,
        reviews.table.rows_valid,
        reviews.flag_counts["quality_issue"],
        reviews.flag_counts["counterfeit_suspect"],
    )
    log.info(
        "review flags: %d reviews flagged tonight, %d from the flag store",
        reviews.flags_fresh,
        reviews.flags_stored,
    )
    return ingest.with_table(reviews.table), reviews


def guard_stage(
    run: AuditRun, ingest: IngestResult, *, check_stale: bool, accept: bool = False
) -> GuardVerdict:
    """Tonight's inputs against the last published night's (supplier_audit.night.guard): whether
    the night will be published or held. ``check_stale`` for a night that audits today; a night
    of a chosen date (a backfill from a later export) does not count its rows dated after it
    as quarantine."""
    later = (
        None
        if check_stale
        else {n: rows_dated_after_night(t.quarantine) for n, t in ingest.tables.items()}
    )
    return check_inputs(
        as_manifest_inputs(ingest, run.data_dir),
        out_dir=run.out_dir,
        as_of=run.as_of,
        settings=run.settings.guard,
        check_stale=check_stale,
        accept=accept,
        later=later,
    )


def switching_stage(run: AuditRun, ingest: IngestResult) -> InspectionInForce:
    """The inspection in force tonight: ISO 2859-1's switching rules replayed once per supplier
    (or supplier and SKU), raised by the risk tiers of the last published night in the score
    history (the first night has none). Scoring and tonight's plan both read this one result."""
    sampling = run.settings.sampling
    return inspection_in_force(
        ingest["shipments"],
        ingest["inspections"],
        as_of=run.as_of,
        aql=sampling.aql,
        level=sampling.inspection_level,
        switching_key=_switching_key(run),
        allow_reduced=sampling.allow_reduced,
        count_minor_defects=sampling.count_minor_defects,
        tier_raises=_previous_tier_raises(run),
    )


def _previous_tier_raises(run: AuditRun) -> dict[str, dict[str, str]]:
    """What the last published night's tiers raise tonight (levels, severities), by supplier.

    Tonight's tiers come from tonight's scores, which read tonight's severity: the previous
    published night's tiers break that cycle, so a tier acts on the plans of the next night."""
    previous = previous_scores(history_dir(run), run.as_of)
    if previous is None:
        return {}
    return tier_inspection_overrides(previous, run.settings.scoring)


def history_dir(run: AuditRun) -> Path:
    """The store of every night's scores: ``<out>/history/as_of=YYYY-MM-DD/``."""
    return run.out_dir / "history"


def score_stage(
    run: AuditRun, ingest: IngestResult, reviews: ReviewsResult, in_force: InspectionInForce
) -> ScoringResult:
    """Counterfeit and quality risk per supplier, with reasons, actions and the change since
    the previous night in the history."""
    settings = run.settings
    return score_suppliers(
        ingest.valid_tables(),
        reviews.flagged,
        review_totals=reviews.totals,
        as_of=run.as_of,
        settings=settings.scoring,
        acceptance=settings.sampling.acceptance_rule,
        lookback_days=settings.lookback_days,
        inspection_status=in_force.per_supplier(),
        previous=previous_scores(history_dir(run), run.as_of),
        language=settings.report_language,
    )


def sampling_feedback(run: AuditRun, ingest: IngestResult, reviews: ReviewsResult) -> pd.DataFrame:
    """The self-checks (自查) tonight's serious signals ask of sampling, by supplier and SKU."""
    settings = run.settings
    return self_check_candidates(
        ingest.valid_tables(),
        reviews.flagged,
        review_totals=reviews.totals,
        as_of=run.as_of,
        settings=settings.scoring,
        language=settings.report_language,
    )


def _switching_key(run: AuditRun) -> tuple[str, ...]:
    return (
        ("supplier_id", "sku")
        if run.settings.sampling.switching_by == "supplier_sku"
        else ("supplier_id",)
    )


def inspection_stage(
    run: AuditRun,
    ingest: IngestResult,
    *,
    in_force: InspectionInForce | None = None,
    self_check: pd.DataFrame | None = None,
) -> InspectionOutcome:
    """Tonight's plan: which lots, how many units and which, Ac/Re, and why each lot; each
    lot's severity and level are the ones ``in_force`` (by default replayed here)."""
    sampling = run.settings.sampling
    if in_force is None:
        in_force = switching_stage(run, ingest)
    plan = plan_inspections(
        ingest["shipments"],
        ingest["inspections"],
        in_force=in_force,
        as_of=run.as_of,
        seed=run.settings.seed,
        self_check=self_check,
        units_per_carton=sampling.units_per_carton or None,
        recent_days=sampling.recent_days,
        sizing=SampleSizing(
            mode=sampling.sample_sizing,
            max_defect_rate=sampling.zero_acceptance_max_defect_rate,
            confidence=sampling.zero_acceptance_confidence,
            daily_budget=sampling.daily_budget_units,
        ),
    )
    log.info(
        "inspection plan: %d lots, %d units to pull", len(plan), int(plan["sample_size"].sum())
    )
    return InspectionOutcome(plan=plan, in_force=in_force)


def complaints_stage(run: AuditRun, ingest: IngestResult) -> ComplaintDesk:
    """The complaint desk: every open complaint with its deadline, lot(s), evidence pack,
    supplier contact and buyer signals; and lost complaints worth appealing. Shown, never
    scored: nothing here changes a supplier's risk."""
    settings = run.settings
    desk = complaint_desk(
        ingest["complaints"],
        ingest["shipments"],
        suppliers=ingest["suppliers"],
        documents=ingest["documents"],
        orders=ingest["orders"],
        as_of=run.as_of,
        settings=settings.complaints,
        evidence=settings.scoring.evidence,
        language=settings.report_language,
        counterfeit_types=tuple(settings.scoring.complaints.counterfeit_types),
    )
    log.info(
        "complaints: %d open, %d due within %d h, %d not ready, %d overdue, %d worth appealing",
        len(desk.open_complaints),
        desk.due_soon,
        settings.complaints.due_soon_hours,
        desk.not_ready,
        desk.overdue,
        len(desk.appeals),
    )
    return desk
