"""The columns of the risk report's table sheets, and the frames they are written from.

Suppliers, complaints, appeals, documents, lots to hold, inspections and recent results.
"""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook

from supplier_audit.reporting.risk_cells import Column, translated
from supplier_audit.reporting.risk_inputs import RiskReportInputs
from supplier_audit.reporting.risk_tables import table_sheet

SUPPLIER_COLUMNS = (
    Column("supplier_id"),
    Column("supplier_name"),
    Column("risk_tier", "tier"),
    Column("counterfeit_risk", "score"),
    Column("quality_risk", "score"),
    Column("counterfeit_risk_change", "change"),
    Column("previous_tier", "tier"),
    Column("main_reasons", "wrap"),
    Column("recommended_action", "wrap"),
    Column("evidence_readiness", "percent"),
    Column("defensibility", "score"),
    Column("evidence_actions", "wrap"),
    Column("inspection_severity", words="severity"),
    Column("channel", words="channel"),
    Column("reviews", "int"),
    Column("counterfeit_reviews", "int"),
    Column("quality_reviews", "int"),
    Column("units_received", "int"),
    Column("value_received", "money"),
    Column("dropship_share", "percent"),
)


DOCUMENT_COLUMNS = (
    Column("supplier_id"),
    Column("supplier_name"),
    Column("brand"),
    Column("doc_type"),
    Column("status"),
    Column("units_affected", "int"),
    Column("value_affected", "money"),
)

HOLD_COLUMNS = (
    Column("supplier_id"),
    Column("supplier_name"),
    Column("shipment_id"),
    Column("sku"),
    Column("brand"),
    Column("received_on", "date"),
    Column("quantity", "int", "units_affected"),
    Column("proof_missing", "wrap"),
    Column("proof_expired", "wrap"),
    Column("received_without_check", "bool"),
)

COMPLAINT_COLUMNS = (
    Column("complaint_id"),
    Column("platform", "platform"),
    Column("complaint_type"),
    Column("sku"),
    Column("opened_on", "date"),
    Column("due_on", "date"),
    Column("days_left", "days_left"),
    Column("deadline_source", "deadline_source"),
    Column("evidence_status", "evidence_status"),
    Column("missing_evidence", "wrap"),
    Column("shipment_ids", "wrap"),
    Column("supplier_ids"),
    Column("supplier_names", "wrap"),
    Column("supplier_contact", "wrap"),
    Column("documents_on_file", "wrap"),
    Column("signals", "wrap"),
    Column("buyer"),
    Column("description", "wrap"),
)

APPEAL_COLUMNS = (
    Column("complaint_id"),
    Column("platform", "platform"),
    Column("complaint_type"),
    Column("sku"),
    Column("opened_on", "date"),
    Column("closed_on", "date"),
    Column("compensation", "money"),
    Column("shipment_ids", "wrap"),
    Column("supplier_ids"),
    Column("documents_on_file", "wrap"),
)

PLAN_COLUMNS = (
    Column("shipment_id"),
    Column("supplier_id"),
    Column("sku"),
    Column("lot_size", "int"),
    Column("inspection_level"),
    Column("severity", label_key="inspection_severity", words="severity"),
    Column("aql"),
    Column("code_letter"),
    Column("sample_size", "int"),
    Column("acceptance_number", "int"),
    Column("rejection_number", "int"),
    Column("reason", "wrap"),
)

RESULT_COLUMNS = (
    Column("inspected_on", "date"),
    Column("shipment_id"),
    Column("supplier_id"),
    Column("sku"),
    Column("sample_size", "int"),
    Column("critical_defects", "int"),
    Column("major_defects", "int"),
    Column("minor_defects", "int"),
    Column("counterfeit_units", "int"),
)


def complaint_words(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """The complaint type in words (platform, deadline source and status are worded by their
    cells)."""
    kinds = frame["complaint_type"].astype("string")
    worded = frame.assign(
        complaint_type=kinds.map(lambda k: translated(f"complaint_type.{k}", language)).astype(
            object
        )
    )
    # pandas' NA is no blank to openpyxl: missing texts become empty cells.
    return worded.astype(object).where(worded.notna(), None)


def inspection_sheets(book: Workbook, inputs: RiskReportInputs) -> None:
    language = inputs.language
    plan = inputs.inspection_plan if inputs.inspection_plan is not None else pd.DataFrame()
    table_sheet(
        book,
        translated("sheet.inspections", language),
        plan,
        PLAN_COLUMNS,
        language,
        max_rows=inputs.max_evidence_rows,
        capped_note="plan_capped_note",
    )
    results = inputs.recent_inspections
    if results is None or results.empty:
        return
    # a sheet of its own: printed, each table repeats its own header on every page
    table_sheet(
        book, translated("sheet.recent_results", language), results, RESULT_COLUMNS, language
    )
