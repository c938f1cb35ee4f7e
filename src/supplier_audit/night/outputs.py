"""The night's files, written into the run's staging folder: each machine table checked against
its output contract first, then the people's workbooks (published only by ``night/publication.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from supplier_audit.complaints.desk import ComplaintDesk
from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.files import defuse_for_spreadsheet, safe_file_stem, write_csv_atomic
from supplier_audit.contracts.outputs import (
    LOT_TO_HOLD_COLUMNS,
    REVIEW_FLAG_COLUMNS,
    InspectionPlanRows,
    LotToHoldRows,
    OpenComplaintRows,
    ReviewFlagRows,
    SupplierScores,
    typed_empty,
)
from supplier_audit.contracts.privacy import mask_contacts
from supplier_audit.ingest.results import IngestResult
from supplier_audit.night.partitions import configured_lexicon
from supplier_audit.night.reviews import ReviewsResult
from supplier_audit.night.run import AuditRun, build_manifest, write_quarantine
from supplier_audit.night.stages import InspectionOutcome
from supplier_audit.reporting import frames as report_frames
from supplier_audit.review_terms import flag_texts, spans_as_text
from supplier_audit.sampling import PLAN_COLUMNS
from supplier_audit.scoring import ScoringResult

if TYPE_CHECKING:
    from supplier_audit.reporting.risk_report import RiskReportInputs


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


def masked_for_people(flagged: pd.DataFrame, settings: AuditConfig) -> pd.DataFrame:
    """Reviews with the phone numbers and e-mail addresses buyers wrote masked, when configured.

    Masking can change a text's length, so the highlighted spans of a changed text are found
    again on the masked text (the flags themselves do not depend on contact details) and kept
    as the night carries them, as JSON text (:func:`~supplier_audit.review_terms.spans_as_text`).
    """
    if not settings.mask_contacts_in_reports or flagged.empty:
        return flagged
    masked = mask_contacts(flagged["text"])
    changed = masked.notna() & (masked != flagged["text"])
    if not changed.any():
        return flagged
    result = flagged.assign(text=masked)
    refound = flag_texts(masked[changed], lexicon=configured_lexicon(settings))
    spans = spans_as_text(refound["spans"])
    result.loc[changed, "spans"] = pd.Series(spans, index=masked[changed].index, dtype=object)
    return result


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
    # a plan of many lots has few distinct reasons: each is put in words once
    said: dict[tuple[object, object], str | None] = {}
    words = []
    for codes, english in zip(plan["reason_codes"], plan["reason"], strict=True):
        key = (codes, english)
        if key not in said:
            said[key] = plan_reason(codes, language, fallback=english)
        words.append(said[key])
    return plan.assign(reason=pd.Series(words, index=plan.index, dtype=object))


def _qa_results_to_redo(ingest: IngestResult) -> pd.DataFrame:
    """Result rows of earlier QA sheets (inspection-samples-*.xlsx) that were quarantined."""
    quarantine = ingest.tables["inspections"].quarantine if "inspections" in ingest.tables else None
    if quarantine is None or quarantine.empty:
        return pd.DataFrame(columns=["__shipment_id", "reason"])
    from_qa = quarantine["source_file"].astype("str").str.startswith("inspection-samples-")
    return quarantine.loc[from_qa, ["__shipment_id", "reason"]]


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
    from supplier_audit.reporting.risk_report import write_risk_report

    names = ingest["suppliers"].set_index("supplier_id")["supplier_name"]
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
            masked_for_people(reviews.flagged, run.settings),
            scoring.attribution if scoring is not None else None,
            names,
        )
        rows = checked(
            ReviewFlagRows, flagged[[*REVIEW_FLAG_COLUMNS, "attributed_to"]], "review_flags.csv"
        )
        written.append(write_csv_atomic(rows, run.staging_dir / "review_flags.csv"))
    if scoring is not None:
        scores = checked(SupplierScores, scoring.scores, SCORE_CSV)
        written.append(write_csv_atomic(scores, run.staging_dir / SCORE_CSV))
        written.append(write_lots_to_hold(run, scoring.lot_defensibility))
    report = risk_report_inputs(
        run, ingest, names, inspection=inspection, flagged=flagged, scoring=scoring, desk=desk
    )
    written.append(
        write_risk_report(report, run.staging_dir / f"supplier-risk-{run.as_of.isoformat()}.xlsx")
    )
    return written


def write_lots_to_hold(run: AuditRun, lot_defensibility: pd.DataFrame) -> Path:
    """``lots_to_hold.csv``: every lot the risk report's "Lots to hold" sheet lists (which
    stops at ``report_max_evidence_rows``), by supplier, newest first."""
    weak = lot_defensibility
    if not weak.empty:
        weak = weak[~weak["defensible"].astype(bool).to_numpy()]
    rows = weak.reindex(columns=list(LOT_TO_HOLD_COLUMNS))
    rows = checked(LotToHoldRows, rows.reset_index(drop=True), LOTS_TO_HOLD_CSV)
    return write_csv_atomic(rows, run.staging_dir / LOTS_TO_HOLD_CSV)


LOTS_TO_HOLD_CSV = "lots_to_hold.csv"


def risk_report_inputs(
    run: AuditRun,
    ingest: IngestResult,
    names: pd.Series,
    *,
    inspection: InspectionOutcome | None,
    flagged: pd.DataFrame | None,
    scoring: ScoringResult | None,
    desk: ComplaintDesk | None,
) -> RiskReportInputs:
    """What the purchaser's workbook shows of the night: every stage's result that ran, shaped
    for people (suppliers by name, reasons in the report's language)."""
    from supplier_audit.reporting.risk_report import RiskReportInputs

    settings = run.settings
    language = settings.report_language
    plan = plan_in_words(inspection.plan, language) if inspection is not None else None
    report = RiskReportInputs(
        as_of=run.as_of,
        language=language,
        manifest=build_manifest(run, ingest, outputs=[]),
        lookback_days=settings.lookback_days,
        quarantine_reasons=ingest.quarantine_reasons(),
        cleaned_rows=ingest.cleaned_rows(),
        data_period=_data_period(ingest),
        inspection_plan=plan,
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
        report.scores = scoring.scores
        report.evidence_gaps = report_frames.document_gaps(
            scoring.evidence_gaps, names, language=language
        )
        report.lots_to_hold = report_frames.lots_to_hold(
            scoring.lot_defensibility, names, language=language
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
            acceptance=settings.sampling.acceptance_rule,
        )
    return report


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
