"""From signals to scores: each signal's strength, the weighted noisy-OR, and the risk tier.

Each signal becomes a strength in [0, 1] (reviews and defect rates via :mod:`.rates`;
complaints via 1 - exp(-evidence / scale); documents as the value share missing; price as a
robust z-score), and each score is the weighted noisy-OR

    risk = 100 * (1 - prod_i (1 - weight_i * strength_i)),

which accumulates independent evidence, stays within 0..100 and never falls when a signal
rises. Weights, scales and tier thresholds are in ``defaults/scoring.toml`` with their
rationale; a counterfeit find lifts a supplier to a floor tier, a discontinued inspection to
``discontinued_min_tier``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from supplier_audit.contracts.vocabulary import RISK_TIERS, TIER_RANK
from supplier_audit.scoring.settings import ScoringSettings

COUNTERFEIT_COMPONENTS = (
    "counterfeit_reviews",
    "counterfeit_complaints",
    "counterfeit_units",
    "evidence_gaps",
    "price_anomaly",
    "sourcing",
)
QUALITY_COMPONENTS = (
    "quality_reviews",
    "quality_complaints",
    "defect_rate",
    "critical_defects",
    "lots_rejected",
    "switching",
)


def noisy_or(strengths: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """100 * (1 - prod(1 - w_i * s_i)) over the given components (strengths clipped to 0..1)."""
    remaining = pd.Series(1.0, index=strengths.index)
    for name, weight in weights.items():
        remaining = remaining * (1.0 - weight * strengths[name].clip(0.0, 1.0).fillna(0.0))
    return 100.0 * (1.0 - remaining)


def tier_of(risk: pd.Series, *, medium: float, high: float, critical: float) -> pd.Series:
    """The tier each score falls in (a score equal to a threshold is in the higher tier)."""
    codes = np.select(
        [risk >= critical, risk >= high, risk >= medium], [3, 2, 1], default=0
    ).astype(np.int64)
    return pd.Series(codes, index=risk.index)


def add_strengths(frame: pd.DataFrame, settings: ScoringSettings) -> None:
    comp = settings.complaints
    insp = settings.inspections
    cf_evidence = (
        frame["counterfeit_complaints_upheld"]
        + comp.settled_weight * frame["counterfeit_complaints_settled"]
    )
    weights = {n: r.weight for n, r in settings.evidence.requirements.items()}
    gap = pd.Series(0.0, index=frame.index)
    weight_sum = pd.Series(0.0, index=frame.index)
    for name, weight in weights.items():
        coverage = frame[f"{name}_coverage"]
        applies = coverage.notna()
        gap = gap + weight * (1.0 - coverage.fillna(1.0))
        weight_sum = weight_sum + weight * applies
    channel_risk = (
        frame["channel"].map(settings.sourcing.channel_risk).astype("float64").fillna(0.0)
    )
    # A suspected find (awaiting authentication) is part of a find; a cleared one is none.
    finds = (
        frame["lots_with_counterfeit"]
        + insp.suspected_find_weight * frame["lots_with_suspected_counterfeit"]
    )
    strengths = {
        "counterfeit_reviews": frame.pop("_counterfeit_review_rate_strength"),
        "counterfeit_complaints": 1.0 - np.exp(-cf_evidence / comp.counterfeit_scale),
        "counterfeit_units": finds
        / (finds + insp.counterfeit_lot_pseudo + insp.false_find_rate * frame["lots_inspected"]),
        "evidence_gaps": (gap / weight_sum.where(weight_sum > 0)).fillna(0.0),
        "price_anomaly": frame["price_anomaly"].fillna(0.0),
        "sourcing": np.maximum(channel_risk, frame["dropship_share"].fillna(0.0)),
        "quality_reviews": frame.pop("_quality_review_rate_strength"),
        "quality_complaints": frame.pop("_quality_complaint_rate_strength"),
        "defect_rate": frame.pop("_serious_defect_rate_strength"),
        "critical_defects": frame.pop("_critical_defect_rate_strength"),
        "lots_rejected": frame["lots_rejected"] / (frame["lots_inspected"] + 1.0),
        "switching": frame["inspection_severity"]
        .map(settings.switching_strength)
        .astype("float64")
        .fillna(0.0),
    }
    for name, values in strengths.items():
        frame[f"strength_{name}"] = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)


def score_and_tier(frame: pd.DataFrame, settings: ScoringSettings) -> None:
    tiers = settings.tiers
    cf_strengths = frame[[f"strength_{c}" for c in COUNTERFEIT_COMPONENTS]]
    cf_strengths.columns = list(COUNTERFEIT_COMPONENTS)
    q_strengths = frame[[f"strength_{c}" for c in QUALITY_COMPONENTS]]
    q_strengths.columns = list(QUALITY_COMPONENTS)
    counterfeit = noisy_or(cf_strengths, settings.counterfeit_weights.model_dump())
    quality = noisy_or(q_strengths, settings.quality_weights.model_dump())
    thresholds = {"none": 0.0, "low": 0.0, "medium": tiers.counterfeit.medium,
                  "high": tiers.counterfeit.high, "critical": tiers.counterfeit.critical,
                  "ceiling": 100.0}  # fmt: skip
    confirmed = (frame["counterfeit_units_found"] > 0).to_numpy(dtype=bool)
    suspected = (frame["counterfeit_units_suspected"] > 0).to_numpy(dtype=bool) & ~confirmed
    floors = (
        (confirmed, settings.inspections.counterfeit_unit_min_tier),
        (suspected, settings.inspections.suspected_find_min_tier),
    )
    raw = counterfeit
    for who, floor_tier in floors:
        if floor_tier == "none":
            continue
        floor = thresholds[floor_tier]
        above = RISK_TIERS[TIER_RANK[floor_tier] + 1] if floor_tier != "critical" else "ceiling"
        # Lifted into [floor, next tier's threshold) keeping the order among the lifted
        # suppliers (a plain max(score, floor) would tie them all at the floor); never below
        # the raw score, and never into the next tier by the lift alone (scores show one
        # decimal, so the band ends one tenth below the next threshold).
        top = thresholds[above] - (0.1 if above != "ceiling" else 0.0)
        lifted = np.maximum(raw, floor + (top - floor) * raw / 100.0)
        counterfeit = counterfeit.where(~who, lifted)
    frame["counterfeit_risk"] = counterfeit.round(1)
    frame["quality_risk"] = quality.round(1)
    cf_tier = tier_of(frame["counterfeit_risk"], **tiers.counterfeit.model_dump())
    q_tier = tier_of(frame["quality_risk"], **tiers.quality.model_dump()).clip(
        upper=TIER_RANK[tiers.quality_max_tier]
    )
    cf_code = cf_tier.to_numpy()
    for who, floor_tier in floors:
        if floor_tier != "none":
            cf_code = np.where(who, np.maximum(cf_code, TIER_RANK[floor_tier]), cf_code)
    # Each axis's own tier: what it calls for is composed into the actions.
    frame["_counterfeit_tier"] = np.asarray(RISK_TIERS, dtype=object)[cf_code]
    frame["_quality_tier"] = np.asarray(RISK_TIERS, dtype=object)[q_tier.to_numpy()]
    code = np.maximum(cf_code, q_tier.to_numpy())
    stopped = frame["inspection_discontinued"].to_numpy(dtype=bool)
    code = np.where(stopped, np.maximum(code, TIER_RANK[tiers.discontinued_min_tier]), code)
    frame["risk_tier"] = pd.Series(
        np.asarray(RISK_TIERS, dtype=object)[code], index=frame.index, dtype="string"
    )
