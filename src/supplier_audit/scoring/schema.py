"""The output contract of supplier_scores.csv (to move into schemas.py with the others)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from supplier_audit.scoring.settings import TIERS

LEADING_COLUMNS = ("supplier_id", "supplier_name", "counterfeit_risk", "quality_risk", "risk_tier")


class SupplierScores(pa.DataFrameModel):
    """One row per supplier: the scores, the tier, the components, the action and reasons."""

    supplier_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    supplier_name: Series[str]
    counterfeit_risk: Series[float] = pa.Field(ge=0, le=100)
    quality_risk: Series[float] = pa.Field(ge=0, le=100)
    risk_tier: Series[str] = pa.Field(isin=list(TIERS))
    evidence_readiness: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    counterfeit_review_rate_shrunk: Series[float] = pa.Field(ge=0, le=1)
    quality_review_rate_shrunk: Series[float] = pa.Field(ge=0, le=1)
    counterfeit_units_found: Series[int] = pa.Field(ge=0)
    counterfeit_risk_change: Series[float] = pa.Field(ge=-100, le=100, nullable=True)
    previous_tier: Series[str] = pa.Field(isin=list(TIERS), nullable=True)
    newly_high_or_critical: Series[bool]
    recommended_action: Series[str] = pa.Field(str_length={"min_value": 1})
    main_reasons: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = False
        coerce = False

    @pa.dataframe_check
    @classmethod
    def columns_start_with_the_contract(cls, frame: pd.DataFrame) -> bool:
        """supplier_scores.csv starts with these five columns, in this order."""
        return list(frame.columns[:5]) == list(LEADING_COLUMNS)
