"""Counterfeit-risk and quality-risk scores per supplier: the signals gathered, combined, tiered.

:func:`score_suppliers` gathers each supplier's signals (:mod:`.signals`, :mod:`.review_totals`,
:mod:`.evidence`, :mod:`.defensibility`), turns counts into rates (:mod:`.rates`), combines the
strengths into the two scores and the tier (:mod:`.combination`), and adds the trend against
the previous night, the actions and the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from supplier_audit.contracts.days import day_column
from supplier_audit.contracts.outputs import SCORE_LEADING_COLUMNS
from supplier_audit.sampling.acceptance import AcceptanceRule
from supplier_audit.sampling.results import lot_counterfeit_verdicts
from supplier_audit.scoring import messages as msg
from supplier_audit.scoring.actions import compose_actions
from supplier_audit.scoring.attribution import Attribution, attribute_items
from supplier_audit.scoring.combination import add_strengths, score_and_tier
from supplier_audit.scoring.defensibility import DefensibilityResult, lot_defensibility
from supplier_audit.scoring.evidence import EvidenceResult, evidence_readiness, lot_values_cny
from supplier_audit.scoring.rates import add_rates
from supplier_audit.scoring.reasons import main_reasons
from supplier_audit.scoring.review_totals import ReviewTotals
from supplier_audit.scoring.review_totals import review_totals as totals_of_reviews
from supplier_audit.scoring.settings import ScoringSettings
from supplier_audit.scoring.signals import (
    complaint_signals,
    inspection_signals,
    price_signals,
    sourcing_signals,
)
from supplier_audit.scoring.window import in_window

LEADING_COLUMNS = SCORE_LEADING_COLUMNS
COUNT_DECIMALS = 9  # fractional review counts are kept to this many decimals
TRAILING_COLUMNS = (
    "defensibility",
    "evidence_actions",
    "action_codes",
    "stop_buying",
    "recommended_action",
    "main_reasons",
)


@dataclass
class ScoringResult:
    """Everything one scoring run produced."""

    scores: pd.DataFrame
    attribution: pd.DataFrame
    evidence_gaps: pd.DataFrame
    unattributed: dict[str, int]
    baseline: pd.DataFrame
    lot_evidence: pd.DataFrame = field(default_factory=pd.DataFrame)
    lot_defensibility: pd.DataFrame = field(default_factory=pd.DataFrame)


def _optional(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    frame = tables.get(name)
    return None if frame is None or frame.empty else frame


def _in_window(frame: pd.DataFrame, column: str, end: pd.Timestamp, days: int) -> pd.Series:
    """Which rows' ``column`` falls in the scoring window (:func:`.window.in_window`)."""
    return in_window(day_column(frame[column]), end, days)


def _complaint_share(
    complaints: pd.DataFrame, shipments: pd.DataFrame, settings: ScoringSettings
) -> tuple[Attribution, pd.DataFrame]:
    """The window's complaints attributed to suppliers, and their signals per supplier."""
    share = attribute_items(
        complaints,
        shipments,
        id_column="complaint_id",
        date_column="opened_on",
        lookback_days=settings.attribution_days,
    )
    return share, complaint_signals(share.weights, complaints, settings=settings.complaints)


def score_suppliers(
    tables: Mapping[str, pd.DataFrame],
    review_flags: pd.DataFrame,
    *,
    as_of: date,
    settings: ScoringSettings,
    acceptance: AcceptanceRule,
    lookback_days: int = 180,
    inspection_status: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    language: str = "zh",
    review_totals: ReviewTotals | None = None,
) -> ScoringResult:
    """Score every supplier in ``tables["suppliers"]`` over the window ending on ``as_of``.

    The window is [as_of - lookback_days, as_of], both days included. ``review_flags`` has
    review_id, quality_issue, counterfeit_suspect; ``acceptance`` is the sampling AQL, level
    and minor-defect rule a lot's inspection is judged by (``lots_rejected``);
    ``inspection_status`` (optional) has
    supplier_id, severity, explanation from the switching rules; ``previous`` (optional) is an
    earlier run's scores (see :mod:`.history`). ``language`` ("zh" or "en") is the language of
    main_reasons and recommended_action. ``review_totals`` (optional) are the reviews'
    totals already summed batch by batch (:mod:`.review_totals`); when given,
    ``tables["reviews"]`` and ``review_flags`` are not read. ``attribution`` in the result
    holds the flagged reviews (the ones a report shows) and every complaint in the window.
    """
    if language not in msg.LANGUAGES:
        raise ValueError(f"language must be one of {msg.LANGUAGES}, got {language!r}")
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1")
    end = pd.Timestamp(as_of)
    shipments = tables["shipments"]
    shipments = shipments[day_column(shipments["received_on"]) <= end]
    frame = _supplier_frame(tables["suppliers"])

    if review_totals is None:
        review_totals = totals_of_reviews(
            tables["reviews"],
            review_flags,
            shipments,
            as_of=as_of,
            settings=settings,
            lookback_days=lookback_days,
        )
    # Counts summed batch by batch differ from one sum in the last bits; rounded to 1e-9 (far
    # below a fraction of a review) they are the same, so the prior's fit is too.
    frame = frame.join(review_totals.per_supplier.round(COUNT_DECIMALS))
    frame, share = _join_complaints(frame, tables, shipments, end, lookback_days, settings)
    frame, suspected_lots = _join_inspections(
        frame, tables, shipments, end, lookback_days, acceptance
    )
    attributions = [review_totals.attribution.assign(table="reviews")]
    unattributed = {"reviews": review_totals.unattributed, "complaints": 0}
    if share is not None:
        attributions.append(share.weights.assign(table="complaints"))
        unattributed["complaints"] = len(share.unattributed)

    lots = shipments[_in_window(shipments, "received_on", end, lookback_days)]
    documents = _optional(tables, "documents")
    evidence = evidence_readiness(lots, documents, settings=settings.evidence)
    defensible = lot_defensibility(lots, documents, as_of=as_of, settings=settings)
    frame = _join_lot_signals(frame, lots, evidence, defensible, settings)
    frame = _fill_counts(frame, settings)
    frame = _fill_defensibility(frame, suspected_lots)
    frame = _inspection_state(frame, inspection_status)

    baseline = add_rates(frame, settings)
    add_strengths(frame, settings)
    score_and_tier(frame, settings)
    _add_trend(frame, previous)
    _add_actions_and_reasons(frame, evidence.gaps, settings, language)

    scores = _scores_table(frame)
    attribution = pd.concat(attributions, ignore_index=True).loc[
        :, ["table", "item_id", "supplier_id", "weight", "basis"]
    ]
    return ScoringResult(
        scores=scores,
        attribution=attribution,
        evidence_gaps=evidence.gaps,
        unattributed=unattributed,
        baseline=baseline,
        lot_evidence=evidence.lot_status,
        lot_defensibility=defensible.per_lot,
    )


def _join_complaints(
    frame: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    shipments: pd.DataFrame,
    end: pd.Timestamp,
    lookback_days: int,
    settings: ScoringSettings,
) -> tuple[pd.DataFrame, Attribution | None]:
    """The complaint signals joined to the suppliers, with the complaints' attribution
    (``None`` when the shop has no complaints table)."""
    complaints = _optional(tables, "complaints")
    if complaints is None:
        return frame, None
    complaints = complaints[_in_window(complaints, "opened_on", end, lookback_days)]
    share, signals = _complaint_share(complaints, shipments, settings)
    return frame.join(signals), share


def _join_inspections(
    frame: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    shipments: pd.DataFrame,
    end: pd.Timestamp,
    lookback_days: int,
    acceptance: AcceptanceRule,
) -> tuple[pd.DataFrame, pd.Series]:
    """The inspection signals joined to the suppliers, with the lots whose counterfeit find is
    still only suspected."""
    inspections = _optional(tables, "inspections")
    if inspections is None:
        return frame, pd.Series(dtype=object)
    inspections = inspections[_in_window(inspections, "inspected_on", end, lookback_days)]
    frame = frame.join(inspection_signals(inspections, shipments, acceptance=acceptance))
    return frame, _suspected_lots(inspections, shipments)


def _add_actions_and_reasons(
    frame: pd.DataFrame, gaps: pd.DataFrame, settings: ScoringSettings, language: str
) -> None:
    """What each supplier's findings call for (codes, words, stop buying) and its reasons."""
    actions = compose_actions(frame, settings, language)
    frame["action_codes"] = actions.codes
    frame["stop_buying"] = actions.stop_buying
    frame["evidence_actions"] = actions.evidence
    frame["recommended_action"] = actions.recommended
    frame["main_reasons"] = main_reasons(frame, gaps, settings, language)


def _supplier_frame(suppliers: pd.DataFrame) -> pd.DataFrame:
    """One row per supplier (index supplier_id) with its name and channel."""
    frame = pd.DataFrame(
        index=pd.Index(suppliers["supplier_id"].astype("string"), name="supplier_id")
    )
    frame["supplier_name"] = suppliers["supplier_name"].astype("string").to_numpy()
    frame["channel"] = (
        suppliers["channel"].astype("string").to_numpy() if "channel" in suppliers else pd.NA
    )
    return frame


# Lists behind the actions: turned into words, not CSV columns.
_LIST_COLUMNS = ("lots_to_hold", "proof_missing", "brands_missing_proof", "suspected_lots")


def _join_lot_signals(
    frame: pd.DataFrame,
    lots: pd.DataFrame,
    evidence: EvidenceResult,
    defensible: DefensibilityResult,
    settings: ScoringSettings,
) -> pd.DataFrame:
    """The signals of the lots received in the window: sourcing, value, documents, price."""
    frame = frame.join(sourcing_signals(lots))
    value = lot_values_cny(lots, settings.evidence)
    frame["value_received_cny"] = value.groupby(lots["supplier_id"].astype("string")).sum()
    frame = frame.join(evidence.per_supplier.set_index("supplier_id"))
    frame = frame.join(price_signals(lots, settings=settings.price))
    return frame.join(defensible.per_supplier.set_index("supplier_id"))


def _scores_table(frame: pd.DataFrame) -> pd.DataFrame:
    """supplier_scores.csv's columns in their order: leading, the rest, trailing."""
    scores = frame.reset_index()
    scores = scores.drop(
        columns=[c for c in scores.columns if c.startswith("_") or c in _LIST_COLUMNS]
    )
    middle = [c for c in scores.columns if c not in (*LEADING_COLUMNS, *TRAILING_COLUMNS)]
    return scores.loc[:, [*LEADING_COLUMNS, *middle, *TRAILING_COLUMNS]]


def _suspected_lots(inspections: pd.DataFrame, shipments: pd.DataFrame) -> pd.Series:
    """Per supplier, the lots whose counterfeit find awaits authentication (latest first)."""
    verdicts = lot_counterfeit_verdicts(inspections)
    suspected = verdicts[verdicts["counterfeit_verdict"].eq("suspected")]
    owners = shipments[["shipment_id", "supplier_id"]].astype("string")
    suspected = suspected.astype({"shipment_id": "string"}).merge(owners, on="shipment_id")
    ordered = suspected.sort_values(
        ["decided_on", "shipment_id"], ascending=[False, True], kind="stable"
    )
    return ordered.groupby("supplier_id")["shipment_id"].agg(lambda ids: [str(i) for i in ids])


def _as_list(value: object) -> list[str]:
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    return []


def _fill_defensibility(frame: pd.DataFrame, suspected_lots: pd.Series) -> pd.DataFrame:
    frame = frame.copy()
    for column in ("branded_units", "defensible_units", "lots_received_unchecked"):
        frame[column] = frame[column].fillna(0).astype("int64") if column in frame else np.int64(0)
    if "defensibility" not in frame:
        frame["defensibility"] = np.nan
    frame["defensibility"] = frame["defensibility"].astype("float64")
    frame["suspected_lots"] = suspected_lots.reindex(frame.index)
    for column in ("lots_to_hold", "proof_missing", "suspected_lots"):
        values = frame[column] if column in frame else pd.Series(None, index=frame.index)
        frame[column] = pd.Series(
            [_as_list(v) for v in values.astype(object)], index=frame.index, dtype=object
        )
    values = (
        frame["brands_missing_proof"]
        if "brands_missing_proof" in frame
        else pd.Series(None, index=frame.index)
    )
    frame["brands_missing_proof"] = values.apply(lambda v: v if isinstance(v, dict) else {})
    return frame


_COUNT_COLUMNS = (
    "reviews", "counterfeit_reviews", "quality_reviews",
    "counterfeit_complaints_upheld", "counterfeit_complaints_settled",
    "quality_complaints_upheld", "quality_complaints_settled",
    "complaints_open", "complaints_dismissed", "complaints", "compensation_paid",
    "lots_received", "units_received", "value_received_cny",
)  # fmt: skip
_INT_COLUMNS = (
    "lots_inspected", "units_sampled", "critical_defects", "major_defects",
    "counterfeit_units_found", "lots_with_counterfeit", "lots_rejected", "price_lots_compared",
    "counterfeit_units_suspected", "lots_with_suspected_counterfeit",
)  # fmt: skip


def _fill_counts(frame: pd.DataFrame, settings: ScoringSettings) -> pd.DataFrame:
    frame = frame.copy()
    for column in _COUNT_COLUMNS:
        frame[column] = frame[column].astype("float64").fillna(0.0) if column in frame else 0.0
    for column in _INT_COLUMNS:
        frame[column] = frame[column].fillna(0).astype("int64") if column in frame else np.int64(0)
    frame["lots_received"] = frame["lots_received"].astype("int64")
    for column in (
        "dropship_share", "price_ratio", "price_robust_z", "price_anomaly", "evidence_readiness",
    ):  # fmt: skip
        if column not in frame:
            frame[column] = np.nan
    for name in settings.evidence.requirements:
        if f"{name}_coverage" not in frame:
            frame[f"{name}_coverage"] = np.nan
    return frame


def _inspection_state(frame: pd.DataFrame, status: pd.DataFrame | None) -> pd.DataFrame:
    frame = frame.copy()
    if status is None or status.empty:
        frame["inspection_severity"] = "normal"
        frame["inspection_explanation"] = ""
    else:
        by_supplier = status.drop_duplicates("supplier_id", keep="last").set_index(
            status.drop_duplicates("supplier_id", keep="last")["supplier_id"].astype("string")
        )
        frame["inspection_severity"] = (
            by_supplier["severity"].astype("string").reindex(frame.index).fillna("normal")
        )
        explanation = (
            by_supplier["explanation"].astype("string")
            if "explanation" in by_supplier
            else pd.Series("", index=by_supplier.index, dtype="string")
        )
        frame["inspection_explanation"] = explanation.reindex(frame.index).fillna("")
    frame["inspection_severity"] = frame["inspection_severity"].astype("string")
    frame["inspection_explanation"] = frame["inspection_explanation"].astype("string")
    frame["inspection_discontinued"] = (
        frame["inspection_severity"].eq("discontinued").to_numpy(dtype=bool)
    )
    return frame


def _add_trend(frame: pd.DataFrame, previous: pd.DataFrame | None) -> None:
    serious = frame["risk_tier"].isin(["high", "critical"]).to_numpy(dtype=bool)
    if previous is None or previous.empty:
        frame["counterfeit_risk_change"] = np.nan
        frame["previous_tier"] = pd.Series(pd.NA, index=frame.index, dtype="string")
        frame["newly_high_or_critical"] = serious
        return
    before = previous.drop_duplicates("supplier_id", keep="last")
    before = before.set_index(before["supplier_id"].astype("string"))
    earlier = before["counterfeit_risk"].astype("float64").reindex(frame.index)
    frame["counterfeit_risk_change"] = (frame["counterfeit_risk"] - earlier).round(1)
    frame["previous_tier"] = before["risk_tier"].astype("string").reindex(frame.index)
    was_serious = frame["previous_tier"].isin(["high", "critical"]).to_numpy(dtype=bool)
    frame["newly_high_or_critical"] = serious & ~was_serious
