"""The stages of one nightly audit as plain functions: what each reads, decides and writes.

The Prefect flow (``flows/nightly_audit.py``) calls these in order, one task per stage; tests
and scripts can call them directly. Every file is written into the run's staging folder and
published only when all stages succeeded (:meth:`AuditRun.publish`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from supplier_audit.ingest import IngestResult, ingest_folder
from supplier_audit.io import write_csv_atomic
from supplier_audit.review_terms import flag_texts, load_lexicon
from supplier_audit.run import (
    AuditRun,
    build_manifest,
    staged_outputs,
    write_manifest,
    write_quarantine,
)
from supplier_audit.sampling import (
    PLAN_COLUMNS,
    SampleSizing,
    inspection_status,
    plan_inspections,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InspectionOutcome:
    """Tonight's inspection plan and where the switching rules stand per supplier."""

    plan: pd.DataFrame
    status: pd.DataFrame


def ingest_stage(run: AuditRun) -> IngestResult:
    """Read, type and validate every input table (raises InputError for unreadable files)."""
    with run.stage("ingest"):
        return ingest_folder(run.data_dir, run.settings, as_of=run.as_of)


REVIEW_FLAG_COLUMNS = (
    "review_id",
    "supplier_id",
    "quality_issue",
    "counterfeit_suspect",
    "categories",
    "matched_terms",
)


def flag_stage(run: AuditRun, ingest: IngestResult) -> pd.DataFrame:
    """Flag quality and counterfeit terms in every valid review.

    One row per review: its id, SKU, date, rating and text, the supplier it names (or the
    supplier of the lot it names, else empty), and the flag columns of
    :func:`supplier_audit.review_terms.flag_texts` (with the spans the report highlights).
    """
    settings = run.settings
    with run.stage("flag_reviews"):
        lexicon = (
            load_lexicon(settings.lexicon, replace=settings.lexicon_replace)
            if settings.lexicon or settings.lexicon_replace
            else None
        )
        reviews = ingest["reviews"]
        flags = flag_texts(reviews["text"], lexicon=lexicon)
        lots = ingest["shipments"].set_index("shipment_id")["supplier_id"]
        supplier = reviews["supplier_id"].fillna(reviews["shipment_id"].map(lots))
        flagged = pd.concat(
            [
                reviews[["review_id", "sku", "created_at", "rating", "text", "shipment_id"]],
                supplier.rename("supplier_id"),
                flags.set_axis(reviews.index),
            ],
            axis=1,
        )
    log.info(
        "reviews flagged: %d quality issue, %d counterfeit suspect, of %d",
        int(flagged["quality_issue"].sum()),
        int(flagged["counterfeit_suspect"].sum()),
        len(flagged),
    )
    return flagged


def flagged_only(review_flags: pd.DataFrame) -> pd.DataFrame:
    """The reviews with at least one flag."""
    return review_flags[review_flags["quality_issue"] | review_flags["counterfeit_suspect"]]


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
    level_by_supplier: dict[str, dict[str, str]] | None = None,
    self_check: pd.DataFrame | None = None,
) -> InspectionOutcome:
    """Switching state per supplier and tonight's plan: which lots, how many and which units."""
    sampling = run.settings.sampling
    key = _switching_key(run)
    with run.stage("inspection_plan"):
        status = inspection_status(
            ingest["shipments"],
            ingest["inspections"],
            as_of=run.as_of,
            aql=sampling.aql,
            level=sampling.inspection_level,
            switching_key=key,
            allow_reduced=sampling.allow_reduced,
            count_minor_defects=sampling.count_minor_defects,
            level_by_supplier=level_by_supplier,
        )
        plan = plan_inspections(
            ingest["shipments"],
            ingest["inspections"],
            as_of=run.as_of,
            aql=sampling.aql,
            level=sampling.inspection_level,
            seed=run.settings.seed,
            switching_key=key,
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


def write_inspection_outputs(run: AuditRun, inspection: InspectionOutcome) -> list[Path]:
    """``inspection_plan.csv`` for machines and ``inspection-samples-<as_of>.xlsx`` for QA."""
    from supplier_audit.reporting.qa_workbook import write_qa_workbook

    plan_csv = write_csv_atomic(
        inspection.plan[list(PLAN_COLUMNS)], run.staging_dir / "inspection_plan.csv"
    )
    workbook = write_qa_workbook(
        inspection.plan,
        run.staging_dir / f"inspection-samples-{run.as_of.isoformat()}.xlsx",
        as_of=run.as_of,
        language=run.settings.report_language,
    )
    return [plan_csv, workbook]


def report_stage(
    run: AuditRun,
    ingest: IngestResult,
    *,
    inspection: InspectionOutcome | None = None,
    review_flags: pd.DataFrame | None = None,
) -> list[Path]:
    """Quarantine files, the machines' CSVs and the people's workbooks, into the staging folder."""
    from supplier_audit.reporting.risk_report import RiskReportInputs, write_risk_report

    with run.stage("report"):
        written = write_quarantine(run, ingest)
        if inspection is not None:
            written += write_inspection_outputs(run, inspection)
        flagged = None
        if review_flags is not None:
            flagged = _with_supplier_names(flagged_only(review_flags), ingest)
            written.append(
                write_csv_atomic(
                    flagged[list(REVIEW_FLAG_COLUMNS)], run.staging_dir / "review_flags.csv"
                )
            )
        draft = build_manifest(run, ingest, outputs=[])
        report = RiskReportInputs(
            as_of=run.as_of,
            language=run.settings.report_language,
            manifest=draft,
            lookback_days=run.settings.lookback_days,
            quarantine_reasons=ingest.quarantine_reasons(),
            data_period=_data_period(ingest),
            inspection_plan=inspection.plan if inspection is not None else None,
            flagged_reviews=flagged,
            recent_inspections=_recent_inspections(run, ingest),
        )
        written.append(
            write_risk_report(
                report, run.staging_dir / f"supplier-risk-{run.as_of.isoformat()}.xlsx"
            )
        )
    return written


def _with_supplier_names(frame: pd.DataFrame, ingest: IngestResult) -> pd.DataFrame:
    names = ingest["suppliers"].set_index("supplier_id")["supplier_name"]
    return frame.assign(supplier_name=frame["supplier_id"].map(names))


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


def finish(run: AuditRun, ingest: IngestResult) -> Path:
    """Write the manifest, then publish the run's folder atomically."""
    manifest = build_manifest(run, ingest, outputs=[*staged_outputs(run), "manifest.json"])
    write_manifest(run, manifest)
    return run.publish()
