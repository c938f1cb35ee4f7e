"""The output contracts: pandera models of every table the night writes (scores, review flags,
the inspection plan, open complaints, quarantine), checked before a file is written; an empty
frame gets the contract's column types, so a quiet night's CSV has the usual header."""

from __future__ import annotations

from typing import Final

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from supplier_audit.contracts.inputs import (
    DEADLINE_SOURCES,
    EVIDENCE_STATUSES,
    INPUT_TABLES,
    PLATFORMS,
)
from supplier_audit.contracts.vocabulary import (
    INSPECTION_LEVELS,
    RISK_TIERS,
    SWITCHING_SEVERITIES,
)


class QuarantineRows(pa.DataFrameModel):
    """Rows rejected by ingestion, with where they came from and why."""

    table: Series[str] = pa.Field(isin=tuple(INPUT_TABLES))
    source_file: Series[str]
    source_row: Series[int] = pa.Field(ge=1)
    reason: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = False


SCORE_LEADING_COLUMNS: Final = (
    "supplier_id",
    "supplier_name",
    "counterfeit_risk",
    "quality_risk",
    "risk_tier",
)


class SupplierScores(pa.DataFrameModel):
    """supplier_scores.csv: one row per supplier, its scores, tier, components, action, reasons."""

    supplier_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    supplier_name: Series[str]
    counterfeit_risk: Series[float] = pa.Field(ge=0, le=100)
    quality_risk: Series[float] = pa.Field(ge=0, le=100)
    risk_tier: Series[str] = pa.Field(isin=RISK_TIERS)
    evidence_readiness: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    counterfeit_review_rate_shrunk: Series[float] = pa.Field(ge=0, le=1)
    quality_review_rate_shrunk: Series[float] = pa.Field(ge=0, le=1)
    counterfeit_units_found: Series[int] = pa.Field(ge=0)
    counterfeit_risk_change: Series[float] = pa.Field(ge=-100, le=100, nullable=True)
    previous_tier: Series[str] = pa.Field(isin=RISK_TIERS, nullable=True)
    newly_high_or_critical: Series[bool]
    counterfeit_units_suspected: Series[int] = pa.Field(ge=0)
    # Share (0-100) of the supplier's branded units received in the window whose lots hold
    # every proof the platform accepts, valid today; empty when it delivered no branded lot.
    defensibility: Series[float] = pa.Field(ge=0, le=100, nullable=True)
    # The document actions (collect, hold listings, goods-in warning); empty only when no
    # branded lot lacks anything the platform accepts.
    evidence_actions: Series[str]
    # The actions' codes, most urgent first (critical, discontinued, authenticate,
    # hold_listings, high, collect_documents, goods_in_warning, medium, low), ";"-joined.
    action_codes: Series[str] = pa.Field(str_length={"min_value": 1})
    # True when an action stops or suspends buying (critical, discontinued).
    stop_buying: Series[bool]
    recommended_action: Series[str] = pa.Field(str_length={"min_value": 1})
    main_reasons: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = False
        coerce = False

    @pa.dataframe_check
    @classmethod
    def columns_start_with_the_contract(cls, frame: pd.DataFrame) -> bool:
        """supplier_scores.csv starts with these five columns, in this order."""
        return list(frame.columns[:5]) == list(SCORE_LEADING_COLUMNS)


class ReviewFlagRows(pa.DataFrameModel):
    """review_flags.csv: one row per review with at least one flag."""

    review_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    supplier_id: Series[str] = pa.Field(nullable=True)
    quality_issue: Series[bool]
    counterfeit_suspect: Series[bool]
    categories: Series[str]
    matched_terms: Series[str] = pa.Field(str_length={"min_value": 1})
    # which flagger fired: the lexicon, the learned model, or both
    flag_source: Series[str] = pa.Field(isin=("lexicon", "model", "both"))
    # the learned model's highest label probability (empty when the model is switched off)
    probability: Series[float] = pa.Field(ge=0, le=1, nullable=True)

    class Config:
        strict = False

    @pa.dataframe_check
    @classmethod
    def every_row_is_flagged(cls, frame: pd.DataFrame) -> pd.Series:
        """Only reviews with a flag are listed."""
        return frame["quality_issue"] | frame["counterfeit_suspect"]


#: review_flags.csv's columns in contract order (the file adds ``attributed_to`` last).
REVIEW_FLAG_COLUMNS: Final = tuple(ReviewFlagRows.to_schema().columns)


class InspectionPlanRows(pa.DataFrameModel):
    """inspection_plan.csv: one row per lot to inspect tonight."""

    shipment_id: Series[str] = pa.Field(str_length={"min_value": 1})
    supplier_id: Series[str]
    sku: Series[str]
    lot_size: Series[int] = pa.Field(ge=1)
    inspection_level: Series[str] = pa.Field(isin=INSPECTION_LEVELS)
    severity: Series[str] = pa.Field(isin=SWITCHING_SEVERITIES)
    aql: Series[float] = pa.Field(gt=0)
    code_letter: Series[str] = pa.Field(str_matches=r"^[A-R]$")
    sample_size: Series[int] = pa.Field(ge=1)
    acceptance_number: Series[int] = pa.Field(ge=0)
    rejection_number: Series[int] = pa.Field(ge=1)
    full_inspection: Series[bool]
    sampled_units: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = False

    @pa.dataframe_check
    @classmethod
    def sample_fits_the_lot(cls, frame: pd.DataFrame) -> pd.Series:
        """No sample is larger than its lot, and Re is above Ac."""
        return (frame["sample_size"] <= frame["lot_size"]) & (
            frame["rejection_number"] > frame["acceptance_number"]
        )


class LotToHoldRows(pa.DataFrameModel):
    """lots_to_hold.csv: every branded lot in the scoring window the shop could not defend in
    a counterfeit ticket today (a proof the platform accepts is missing or expired), by
    supplier, newest first. ``missing_proof`` / ``expired_proof``: requirement names,
    ";"-joined."""

    shipment_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    supplier_id: Series[str]
    sku: Series[str]
    brand: Series[str]
    received_on: Series[pd.Timestamp]
    quantity: Series[int] = pa.Field(ge=0)
    missing_proof: Series[str]
    expired_proof: Series[str]
    received_without_check: Series[bool]

    class Config:
        strict = True
        coerce = False


#: lots_to_hold.csv's columns in contract order.
LOT_TO_HOLD_COLUMNS: Final = tuple(LotToHoldRows.to_schema().columns)


def typed_empty(model: type[pa.DataFrameModel], columns: pd.Index | list[str]) -> pd.DataFrame:
    """A frame of zero rows with ``columns`` in order, typed as ``model`` declares them (text
    for columns the model does not name): what an output contract expects of a quiet night."""
    declared = model.empty()
    return pd.DataFrame(
        {
            name: declared[name] if name in declared.columns else pd.Series(dtype="str")
            for name in columns
        }
    )


OPEN_COMPLAINT_COLUMNS: Final = (
    "complaint_id",
    "platform",
    "sku",
    "opened_on",
    "due_on",
    "days_left",
    "deadline_source",
    "shipment_ids",
    "supplier_ids",
    "evidence_status",
    "missing_evidence",
    "documents_on_file",
    "supplier_contact",
    "repeat_buyer",
)


class OpenComplaintRows(pa.DataFrameModel):
    """open_complaints.csv: one row per open complaint, most urgent first."""

    complaint_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    platform: Series[str] = pa.Field(isin=PLATFORMS)
    sku: Series[str] = pa.Field(str_length={"min_value": 1})
    opened_on: Series[pd.Timestamp]
    due_on: Series[pd.Timestamp]
    days_left: Series[int]
    deadline_source: Series[str] = pa.Field(isin=DEADLINE_SOURCES)
    shipment_ids: Series[str] = pa.Field(nullable=True)
    supplier_ids: Series[str] = pa.Field(nullable=True)
    evidence_status: Series[str] = pa.Field(isin=EVIDENCE_STATUSES)
    missing_evidence: Series[str] = pa.Field(nullable=True)
    documents_on_file: Series[str] = pa.Field(nullable=True)
    supplier_contact: Series[str] = pa.Field(nullable=True)
    repeat_buyer: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = False

    @pa.dataframe_check
    @classmethod
    def columns_are_the_contract(cls, frame: pd.DataFrame) -> bool:
        """open_complaints.csv has exactly the contract's columns, in its order."""
        return list(frame.columns) == list(OPEN_COMPLAINT_COLUMNS)

    @pa.dataframe_check
    @classmethod
    def most_urgent_first(cls, frame: pd.DataFrame) -> bool:
        """Rows are sorted by days_left (overdue first)."""
        return bool(frame["days_left"].is_monotonic_increasing)
