"""The stages of one nightly audit as plain functions: what each reads, decides and writes.

The Prefect flow (``flows/nightly_audit.py``) calls these in order, one task per stage (and one
per review partition, or the partitions on Dask); tests
and scripts can call them directly. Every file is written into the run's staging folder and
published only when all stages succeeded (:meth:`AuditRun.publish`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from supplier_audit.complaints.desk import ComplaintDesk, complaint_desk
from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.files import defuse_for_spreadsheet, safe_file_stem, write_csv_atomic
from supplier_audit.contracts.outputs import (
    InspectionPlanRows,
    OpenComplaintRows,
    ReviewFlagRows,
    SupplierScores,
    typed_empty,
)
from supplier_audit.contracts.privacy import mask_contacts
from supplier_audit.ingest.folder import as_manifest_inputs, ingest_folder, require_rows
from supplier_audit.ingest.results import IngestResult
from supplier_audit.night.guard import GuardVerdict, check_inputs, rows_dated_after_night
from supplier_audit.night.partitions import (
    BatchRunner,
    ReviewContext,
    ReviewsResult,
    configured_lexicon,
    process_reviews,
    run_in_process,
)
from supplier_audit.night.run import (
    AuditRun,
    build_manifest,
    staged_outputs,
    write_manifest,
    write_quarantine,
)
from supplier_audit.reporting import frames as report_frames
from supplier_audit.review_terms import flag_texts
from supplier_audit.sampling import (
    PLAN_COLUMNS,
    SampleSizing,
    inspection_status,
    plan_inspections,
)
from supplier_audit.scoring import (
    ScoringResult,
    append_history,
    previous_scores,
    score_suppliers,
    self_check_candidates,
    tier_inspection_overrides,
)
from supplier_audit.scoring.review_totals import review_sku_shares

log = logging.getLogger(__name__)


class OutputContractError(RuntimeError):
    """An output table broke its contract: a defect of this program, not of the inputs."""


def checked(model: type[pa.DataFrameModel], frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` validated against its output contract (a few failures named if it breaks).

    Zero rows is a normal size (a quiet night has no lot to inspect): an empty frame is given
    the contract's column types first, so its CSV has the same header as any other night's.
    """
    if frame.empty:
        frame = typed_empty(model, frame.columns)
    try:
        return model.validate(frame, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases.head(5)
        found = "; ".join(
            f"{c.column} {c.check} ({c.failure_case!r})" for c in cases.itertuples(index=False)
        )
        raise OutputContractError(f"{name} breaks its contract: {found}") from None


@dataclass(frozen=True)
class InspectionOutcome:
    """Tonight's inspection plan and where the switching rules stand per supplier."""

    plan: pd.DataFrame
    status: pd.DataFrame


def ingest_stage(run: AuditRun) -> IngestResult:
    """Read, type and validate every input table but the reviews, which are listed for
    :func:`reviews_stage` (raises InputError for unreadable files)."""
    return ingest_folder(run.data_dir, run.settings, as_of=run.as_of, batched=("reviews",))


REVIEW_FLAG_COLUMNS = (
    "review_id",
    "supplier_id",
    "quality_issue",
    "counterfeit_suspect",
    "categories",
    "matched_terms",
    "flag_source",
    "probability",
)


def review_context(run: AuditRun, ingest: IngestResult) -> ReviewContext:
    """What every review partition needs: settings, as-of, the valid suppliers and lots, and
    the SKU shares of the scoring window (computed once here, not once per partition)."""
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


def masked_for_people(flagged: pd.DataFrame, settings: AuditConfig) -> pd.DataFrame:
    """Reviews with the phone numbers and e-mail addresses buyers wrote masked, when configured.

    Masking can change a text's length, so the highlighted spans of a changed text are found
    again on the masked text (the flags themselves do not depend on contact details).
    """
    if not settings.mask_contacts_in_reports or flagged.empty:
        return flagged
    masked = mask_contacts(flagged["text"])
    changed = masked.notna() & (masked != flagged["text"])
    if not changed.any():
        return flagged
    result = flagged.assign(text=masked)
    refound = flag_texts(masked[changed], lexicon=configured_lexicon(settings))
    result.loc[changed, "spans"] = pd.Series(
        refound["spans"].to_numpy(), index=masked[changed].index
    )
    return result


def switching_stage(run: AuditRun, ingest: IngestResult) -> pd.DataFrame:
    """Where ISO 2859-1's switching rules stand for every supplier (or supplier and SKU)."""
    sampling = run.settings.sampling
    return inspection_status(
        ingest["shipments"],
        ingest["inspections"],
        as_of=run.as_of,
        aql=sampling.aql,
        level=sampling.inspection_level,
        switching_key=_switching_key(run),
        allow_reduced=sampling.allow_reduced,
        count_minor_defects=sampling.count_minor_defects,
    )


_SEVERITY_ORDER = {"reduced": 0, "normal": 1, "tightened": 2, "discontinued": 3}


def _worst_per_supplier(status: pd.DataFrame) -> pd.DataFrame:
    """One status row per supplier: the strictest of its SKUs when switching is per SKU."""
    if "sku" not in status.columns:
        return status
    ranked = status.assign(_rank=status["severity"].map(_SEVERITY_ORDER))
    worst = ranked.sort_values(["supplier_id", "_rank", "sku"], ascending=[True, False, True])
    return worst.drop_duplicates("supplier_id").drop(columns=["_rank", "sku"])


def history_dir(run: AuditRun) -> Path:
    """The store of every night's scores: ``<out>/history/as_of=YYYY-MM-DD/``."""
    return run.out_dir / "history"


def score_stage(
    run: AuditRun, ingest: IngestResult, reviews: ReviewsResult, status: pd.DataFrame
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
        lookback_days=settings.lookback_days,
        inspection_status=_worst_per_supplier(status),
        previous=previous_scores(history_dir(run), run.as_of),
        language=settings.report_language,
    )


def sampling_feedback(
    run: AuditRun, ingest: IngestResult, reviews: ReviewsResult, scoring: ScoringResult
) -> tuple[dict[str, dict[str, str]], pd.DataFrame]:
    """What the scores ask of tonight's sampling: raised levels by tier, and self-checks (自查)."""
    settings = run.settings
    overrides = tier_inspection_overrides(scoring.scores, settings.scoring)
    self_check = self_check_candidates(
        ingest.valid_tables(),
        reviews.flagged,
        review_totals=reviews.totals,
        as_of=run.as_of,
        settings=settings.scoring,
        language=settings.report_language,
    )
    return overrides, self_check


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
    status: pd.DataFrame | None = None,
    level_by_supplier: dict[str, dict[str, str]] | None = None,
    self_check: pd.DataFrame | None = None,
) -> InspectionOutcome:
    """Tonight's plan: which lots, how many units and which, Ac/Re, and why each lot."""
    sampling = run.settings.sampling
    if status is None:
        status = switching_stage(run, ingest)
    plan = plan_inspections(
        ingest["shipments"],
        ingest["inspections"],
        as_of=run.as_of,
        aql=sampling.aql,
        level=sampling.inspection_level,
        seed=run.settings.seed,
        switching_key=_switching_key(run),
        allow_reduced=sampling.allow_reduced,
        level_by_supplier=level_by_supplier,
        self_check=self_check,
        units_per_carton=sampling.units_per_carton or None,
        recent_days=sampling.recent_days,
        count_minor_defects=sampling.count_minor_defects,
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
    return InspectionOutcome(plan=plan, status=status)


def write_inspection_outputs(
    run: AuditRun,
    inspection: InspectionOutcome,
    *,
    ingest: IngestResult | None = None,
    reviews: ReviewsResult | None = None,
    scoring: ScoringResult | None = None,
    desk: ComplaintDesk | None = None,
) -> list[Path]:
    """``inspection_plan.csv`` for machines and ``inspection-samples-<as_of>.xlsx`` for QA: the
    plan as a worklist (priority, risk tier, what to look for, results to redo)."""
    from supplier_audit.reporting.qa_workbook import write_qa_workbook

    plan = checked(InspectionPlanRows, inspection.plan[list(PLAN_COLUMNS)], "inspection_plan.csv")
    plan_csv = write_csv_atomic(plan, run.staging_dir / "inspection_plan.csv")
    worklist = report_frames.qa_worklist(
        plan_in_words(inspection.plan, run.settings.report_language),
        scores=scoring.scores if scoring is not None else None,
        flagged_reviews=reviews.flagged if reviews is not None else None,
        redo=_qa_results_to_redo(ingest) if ingest is not None else None,
        complaint_lots=desk.evidence_index if desk is not None else None,
    )
    workbook = write_qa_workbook(
        worklist,
        run.staging_dir / f"inspection-samples-{run.as_of.isoformat()}.xlsx",
        as_of=run.as_of,
        language=run.settings.report_language,
        count_minor_defects=run.settings.sampling.count_minor_defects,
    )
    return [plan_csv, workbook]


def plan_in_words(plan: pd.DataFrame, language: str) -> pd.DataFrame:
    """The plan with each lot's reason in the report's language (from its reason codes)."""
    from supplier_audit.reporting.labels import plan_reason

    if plan.empty or "reason_codes" not in plan.columns:
        return plan
    words = [
        plan_reason(codes, language, fallback=english)
        for codes, english in zip(plan["reason_codes"], plan["reason"], strict=True)
    ]
    return plan.assign(reason=pd.Series(words, index=plan.index, dtype=object))


def _qa_results_to_redo(ingest: IngestResult) -> pd.DataFrame:
    """Result rows of earlier QA sheets (inspection-samples-*.xlsx) that were quarantined."""
    quarantine = ingest.tables["inspections"].quarantine if "inspections" in ingest.tables else None
    if quarantine is None or quarantine.empty:
        return pd.DataFrame(columns=["__shipment_id", "reason"])
    from_qa = quarantine["source_file"].astype("str").str.startswith("inspection-samples-")
    return quarantine.loc[from_qa, ["__shipment_id", "reason"]]


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


OPEN_COMPLAINTS_CSV = "open_complaints.csv"
EVIDENCE_DIR = "evidence"


def write_complaint_outputs(run: AuditRun, desk: ComplaintDesk) -> list[Path]:
    """``open_complaints.csv``; the checklists of the most urgent ``[complaints]
    evidence_files_max`` open complaints, one ``evidence/<complaint_id>.csv`` each and all of
    them in ``evidence_index.csv``."""
    rows = checked(OpenComplaintRows, desk.contract_rows, OPEN_COMPLAINTS_CSV)
    written = [write_csv_atomic(rows, run.staging_dir / OPEN_COMPLAINTS_CSV)]
    index = desk.evidence_index
    written.append(write_csv_atomic(index, run.staging_dir / "evidence_index.csv"))
    written += write_checklists(index, run.staging_dir / EVIDENCE_DIR)
    return written


def write_checklists(index: pd.DataFrame, folder: Path) -> list[Path]:
    """``<folder>/<complaint_id>.csv`` per complaint of ``index`` (its rows grouped by
    complaint, in order): the rows are made safe for Excel and turned into CSV text once,
    then cut per complaint (a thousand small files cost no thousand DataFrame writes). The
    folder is inside the run's staging folder, published atomically with it."""
    if index.empty:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    ids = index["complaint_id"].astype("str").to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    broken = [
        column
        for column in index.columns
        if index[column].astype("str").str.contains("[\r\n]", regex=True).any()
    ]
    if broken:  # a cell with a line break: one CSV per complaint, the slow and sure way
        return [
            write_csv_atomic(
                index.iloc[start:end],
                folder / f"{safe_file_stem(str(ids[start]))}.csv",
            )
            for start, end in zip(starts, ends, strict=True)
        ]
    text = defuse_for_spreadsheet(index).to_csv(index=False, lineterminator="\n")
    header, _, body = text.partition("\n")
    lines = body.split("\n")[: len(index)]
    written = []
    for start, end in zip(starts, ends, strict=True):
        path = folder / f"{safe_file_stem(str(ids[start]))}.csv"
        content = "\ufeff" + header + "\n" + "\n".join(lines[start:end]) + "\n"
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


SCORE_CSV = "supplier_scores.csv"


def report_stage(
    run: AuditRun,
    ingest: IngestResult,
    *,
    inspection: InspectionOutcome | None = None,
    reviews: ReviewsResult | None = None,
    scoring: ScoringResult | None = None,
    desk: ComplaintDesk | None = None,
) -> list[Path]:
    """Quarantine files, the machines' CSVs and the people's workbooks, into the staging folder."""
    from supplier_audit.reporting.risk_report import RiskReportInputs, write_risk_report

    settings = run.settings
    names = ingest["suppliers"].set_index("supplier_id")["supplier_name"]
    attribution = scoring.attribution if scoring is not None else None
    written = write_quarantine(run, ingest)
    if inspection is not None:
        written += write_inspection_outputs(
            run, inspection, ingest=ingest, reviews=reviews, scoring=scoring, desk=desk
        )
    if desk is not None:
        written += write_complaint_outputs(run, desk)
    flagged = None
    if reviews is not None:
        flagged = report_frames.flagged_reviews_view(
            masked_for_people(reviews.flagged, settings), attribution, names
        )
        rows = checked(
            ReviewFlagRows, flagged[[*REVIEW_FLAG_COLUMNS, "attributed_to"]], "review_flags.csv"
        )
        written.append(write_csv_atomic(rows, run.staging_dir / "review_flags.csv"))
    report = RiskReportInputs(
        as_of=run.as_of,
        language=settings.report_language,
        manifest=build_manifest(run, ingest, outputs=[]),
        lookback_days=settings.lookback_days,
        quarantine_reasons=ingest.quarantine_reasons(),
        cleaned_rows=ingest.cleaned_rows(),
        data_period=_data_period(ingest),
        inspection_plan=plan_in_words(inspection.plan, settings.report_language)
        if inspection is not None
        else None,
        recent_inspections=_recent_inspections(run, ingest),
        flagged_reviews=flagged,
        max_evidence_rows=settings.report_max_evidence_rows,
    )
    if desk is not None:
        report.open_complaints = desk.open_complaints
        report.appeals = desk.appeals
        report.complaints_due_soon = desk.due_soon
        report.complaints_not_ready = desk.not_ready
        report.complaints_overdue = desk.overdue
        report.due_soon_hours = settings.complaints.due_soon_hours
    if scoring is not None:
        report.attribution = scoring.attribution
        scores = checked(SupplierScores, scoring.scores, SCORE_CSV)
        written.append(write_csv_atomic(scores, run.staging_dir / SCORE_CSV))
        report.scores = scoring.scores
        report.evidence_gaps = report_frames.document_gaps(
            scoring.evidence_gaps, names, language=settings.report_language
        )
        report.lots_to_hold = report_frames.lots_to_hold(
            scoring.lot_defensibility, names, language=settings.report_language
        )
        report.upheld_complaints = report_frames.upheld_complaints(
            ingest["complaints"],
            scoring.attribution,
            names,
            as_of=run.as_of,
            lookback_days=settings.lookback_days,
        )
        report.inspection_failures = report_frames.inspection_failures(
            ingest["inspections"],
            ingest["shipments"],
            names,
            as_of=run.as_of,
            lookback_days=settings.lookback_days,
            aql=settings.sampling.aql,
            level=settings.sampling.inspection_level,
        )
    written.append(
        write_risk_report(report, run.staging_dir / f"supplier-risk-{run.as_of.isoformat()}.xlsx")
    )
    return written


def _data_period(ingest: IngestResult) -> tuple[dt.date, dt.date] | None:
    received = ingest["shipments"]["received_on"]
    if received.empty:
        return None
    return received.min().date(), received.max().date()


def _recent_inspections(run: AuditRun, ingest: IngestResult, days: int = 30) -> pd.DataFrame:
    """Results fed back in the last ``days`` days, newest first, with the lot's supplier and SKU."""
    results = ingest["inspections"]
    since = pd.Timestamp(run.as_of) - pd.Timedelta(days=days - 1)
    recent = results[results["inspected_on"] >= since]
    lots = ingest["shipments"][["shipment_id", "supplier_id", "sku"]]
    return recent.merge(lots, on="shipment_id", how="left").sort_values(
        ["inspected_on", "shipment_id"], ascending=[False, True], kind="stable"
    )


def finish(
    run: AuditRun,
    ingest: IngestResult,
    *,
    scoring: ScoringResult | None = None,
    desk: ComplaintDesk | None = None,
    verdict: GuardVerdict | None = None,
) -> Path:
    """Write the manifest, publish the run's folder atomically, then record the night's scores
    in the history (only a published night enters the history). A night the guards hold goes
    to ``<out>/held/<as-of>/`` instead, and neither the reports nor the history change."""
    manifest = build_manifest(run, ingest, outputs=[*staged_outputs(run), "manifest.json"])
    if scoring is not None:
        manifest["scoring"] = {
            "unattributed": scoring.unattributed,
            "tiers": scoring.scores["risk_tier"].value_counts().to_dict(),
        }
    if desk is not None:
        manifest["complaints"] = {
            **desk.counts(),
            "rules_version": run.settings.complaints.rules_version,
        }
    if verdict is not None:
        manifest["guard"] = verdict.as_manifest(run.settings.report_language)
    write_manifest(run, manifest)
    if verdict is not None and verdict.held:
        return run.hold()
    published = run.publish()
    if scoring is not None:
        append_history(scoring.scores, history_dir(run), run.as_of)
    return published


def hold_unfinished(
    run: AuditRun, ingest: IngestResult, verdict: GuardVerdict, error: BaseException
) -> tuple[Path, GuardVerdict]:
    """A night the guards hold whose later stages failed on the same bad inputs (a table cut to
    nothing, say): whatever was written is held with the manifest, and the night ends held —
    the reason names the input first, then the failure it caused."""
    unfinished = replace(verdict, unfinished=f"{type(error).__name__}: {error}")
    return finish(run, ingest, verdict=unfinished), unfinished


@dataclass(frozen=True)
class NightSummary:
    """What the orchestrator shows of a published night: markdown, top risks, the report."""

    markdown: str
    top_risks: list[dict[str, object]]
    report_path: Path


def night_summary(
    run: AuditRun,
    ingest: IngestResult,
    published: Path,
    *,
    scoring: ScoringResult | None = None,
    inspection: InspectionOutcome | None = None,
    desk: ComplaintDesk | None = None,
) -> NightSummary:
    """The night in a few lines, for Prefect's UI (artifacts)."""
    report = published / f"supplier-risk-{run.as_of.isoformat()}.xlsx"
    scores = scoring.scores if scoring is not None else None
    return NightSummary(
        markdown=report_frames.run_summary_markdown(
            scores,
            {name: table.counts() for name, table in ingest.tables.items()},
            as_of=run.as_of,
            report_path=str(report.resolve()),
            lots_to_inspect=len(inspection.plan) if inspection is not None else 0,
            complaints=desk.counts() if desk is not None else None,
        ),
        top_risks=report_frames.top_risks_table(scores) if scores is not None else [],
        report_path=report.resolve(),
    )
