"""The purchaser's Excel risk report ``supplier-risk-<as_of>.xlsx``.

Readable in ten seconds (Summary: tiers, who is newly high or critical, the top risks with their
reason and action, two charts), complete in ten minutes (one sheet per question), and safe to
open: every value from an input is written through :mod:`supplier_audit.reporting.cells`.
The workbook is written in openpyxl's write-only mode, so a night with 100,000 evidence rows
takes seconds and bounded memory. A sheet appears only when its stage produced something.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

from supplier_audit.reporting.cells import (
    save_write_only,
)
from supplier_audit.reporting.frames import ranked_by_risk
from supplier_audit.reporting.risk_cells import TIER_COLOURS, translated
from supplier_audit.reporting.risk_evidence import EVIDENCE_COLUMNS, evidence_list, evidence_rows
from supplier_audit.reporting.risk_inputs import RiskReportInputs
from supplier_audit.reporting.risk_run_info import data_quality_sheet, run_info_sheet
from supplier_audit.reporting.risk_sheets import (
    APPEAL_COLUMNS,
    COMPLAINT_COLUMNS,
    DOCUMENT_COLUMNS,
    HOLD_COLUMNS,
    SUPPLIER_COLUMNS,
    complaint_words,
    inspection_sheets,
)
from supplier_audit.reporting.risk_summary import summary_sheet
from supplier_audit.reporting.risk_tables import table_sheet

__all__ = ["TIER_COLOURS", "RiskReportInputs", "evidence_rows", "write_risk_report"]


def write_risk_report(inputs: RiskReportInputs, path: Path) -> Path:
    """Write the purchaser's workbook to ``path`` (the caller writes it into a staging folder)."""
    language = inputs.language
    book = Workbook(write_only=True)
    deferred: list[Callable[[], None]] = []
    summary_sheet(book, inputs, deferred)
    if inputs.open_complaints is not None:
        # The desk's sheet comes right after the Summary: the worst day starts with a ticket.
        table_sheet(
            book,
            translated("sheet.complaints", language),
            complaint_words(inputs.open_complaints, language),
            COMPLAINT_COLUMNS,
            language,
            max_rows=inputs.max_evidence_rows,
            capped_note="complaints_capped_note",
        )
    if inputs.appeals is not None and not inputs.appeals.empty:
        table_sheet(
            book,
            translated("sheet.appeals", language),
            complaint_words(inputs.appeals, language),
            APPEAL_COLUMNS,
            language,
        )
    if inputs.scores is not None and not inputs.scores.empty:
        table_sheet(
            book,
            translated("sheet.suppliers", language),
            ranked_by_risk(inputs.scores),
            SUPPLIER_COLUMNS,
            language,
            bars=("counterfeit_risk", "quality_risk"),
        )
    evidence = evidence_list(inputs, limit=inputs.max_evidence_rows)
    if not evidence.rows.empty:
        table_sheet(
            book,
            translated("sheet.evidence", language),
            evidence.rows,
            EVIDENCE_COLUMNS,
            language,
            highlight=("text", "spans"),
            max_rows=inputs.max_evidence_rows,
            total=evidence.total,
        )
    if inputs.evidence_gaps is not None:
        table_sheet(
            book,
            translated("sheet.documents", language),
            inputs.evidence_gaps,
            DOCUMENT_COLUMNS,
            language,
        )
    if inputs.lots_to_hold is not None and not inputs.lots_to_hold.empty:
        table_sheet(
            book,
            translated("sheet.lots_to_hold", language),
            inputs.lots_to_hold,
            HOLD_COLUMNS,
            language,
            max_rows=inputs.max_evidence_rows,
            capped_note="hold_capped_note",
            keep_largest="received_on",
        )
    if inputs.inspection_plan is not None or inputs.recent_inspections is not None:
        inspection_sheets(book, inputs)
    data_quality_sheet(book, inputs)
    run_info_sheet(book, inputs)
    for finish in deferred:
        finish()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_write_only(book, path)
    return path
