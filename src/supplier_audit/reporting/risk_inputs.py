"""What the purchaser's risk report is made from: one night's frames and facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass
class RiskReportInputs:
    """Everything the risk report may show; ``None`` means that stage did not run."""

    as_of: dt.date
    language: str
    manifest: dict[str, Any]
    lookback_days: int
    quarantine_reasons: pd.DataFrame
    scores: pd.DataFrame | None = None
    flagged_reviews: pd.DataFrame | None = None
    upheld_complaints: pd.DataFrame | None = None
    inspection_failures: pd.DataFrame | None = None
    evidence_gaps: pd.DataFrame | None = None
    lots_to_hold: pd.DataFrame | None = None
    inspection_plan: pd.DataFrame | None = None
    recent_inspections: pd.DataFrame | None = None
    data_period: tuple[dt.date, dt.date] | None = None
    # The Evidence sheet lists the worst this many items (review_flags.csv has every one).
    max_evidence_rows: int | None = None
    # The complaint desk (None when it did not run): open tickets most urgent first, lost
    # complaints worth appealing, and the counts the Summary shows.
    open_complaints: pd.DataFrame | None = None
    appeals: pd.DataFrame | None = None
    complaints_due_soon: int = 0
    complaints_not_ready: int = 0
    complaints_overdue: int = 0
    due_soon_hours: int = 48
    # Rows the reader cleaned of control characters: table, source_file, source_row, columns.
    cleaned_rows: pd.DataFrame | None = None
    # Who the shown reviews and complaints are attributed to: table, item_id, supplier_id,
    # weight (the Evidence sheet gives each supplier of a shared item a row of its own).
    attribution: pd.DataFrame | None = None
