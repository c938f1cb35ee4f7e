"""Counterfeit-risk and quality-risk scores per supplier, with tiers, reasons and actions.

How a score is made: each signal becomes a strength in [0, 1] (reviews and defect rates via
empirical-Bayes shrinkage and an FDR-controlled excess test, so small samples cannot look
alarming; complaints via 1 - exp(-evidence / scale); documents as the value share missing;
price as a robust z-score), and the score is the weighted noisy-OR

    risk = 100 * (1 - prod_i (1 - weight_i * strength_i)),

which accumulates independent evidence, stays within 0..100 and never falls when a signal
rises. Weights, scales and tier thresholds are in ``defaults/scoring.toml`` with their rationale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from supplier_audit.contracts.days import day_column
from supplier_audit.contracts.outputs import SCORE_LEADING_COLUMNS
from supplier_audit.contracts.vocabulary import RISK_TIERS, TIER_RANK
from supplier_audit.sampling.acceptance import AcceptanceRule
from supplier_audit.sampling.results import lot_counterfeit_verdicts
from supplier_audit.scoring import messages as msg
from supplier_audit.scoring.actions import compose_actions
from supplier_audit.scoring.attribution import attribute_items
from supplier_audit.scoring.defensibility import lot_defensibility
from supplier_audit.scoring.evidence import evidence_readiness, lot_values_cny
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
from supplier_audit.scoring.statistics import clopper_pearson, rate_evidence

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


def _window(frame: pd.DataFrame, column: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    days = day_column(frame[column])
    return (days >= start) & (days <= end)


def _optional(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    frame = tables.get(name)
    return None if frame is None or frame.empty else frame


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
    start = end - pd.Timedelta(days=lookback_days)
    suppliers = tables["suppliers"]
    shipments = tables["shipments"]
    shipments = shipments[day_column(shipments["received_on"]) <= end]
    index = pd.Index(suppliers["supplier_id"].astype("string"), name="supplier_id")
    frame = pd.DataFrame(index=index)
    frame["supplier_name"] = suppliers["supplier_name"].astype("string").to_numpy()
    frame["channel"] = (
        suppliers["channel"].astype("string").to_numpy() if "channel" in suppliers else pd.NA
    )

    attributions: list[pd.DataFrame] = []
    unattributed: dict[str, int] = {}
    if review_totals is None:
        review_totals = totals_of_reviews(
            tables["reviews"],
            review_flags,
            shipments,
            as_of=as_of,
            settings=settings,
            lookback_days=lookback_days,
        )
    attributions.append(review_totals.attribution.assign(table="reviews"))
    unattributed["reviews"] = review_totals.unattributed
    # Counts summed batch by batch differ from one sum in the last bits; rounded to 1e-9 (far
    # below a fraction of a review) they are the same, so the prior's fit is too.
    frame = frame.join(review_totals.per_supplier.round(COUNT_DECIMALS))

    complaints = _optional(tables, "complaints")
    unattributed["complaints"] = 0
    if complaints is not None:
        complaints = complaints[_window(complaints, "opened_on", start, end)]
        complaint_share = attribute_items(
            complaints,
            shipments,
            id_column="complaint_id",
            date_column="opened_on",
            lookback_days=settings.attribution_days,
        )
        attributions.append(complaint_share.weights.assign(table="complaints"))
        unattributed["complaints"] = len(complaint_share.unattributed)
        frame = frame.join(
            complaint_signals(complaint_share.weights, complaints, settings=settings.complaints)
        )

    inspections = _optional(tables, "inspections")
    suspected_lots = pd.Series(dtype=object)
    if inspections is not None:
        inspections = inspections[_window(inspections, "inspected_on", start, end)]
        frame = frame.join(inspection_signals(inspections, shipments, acceptance=acceptance))
        suspected_lots = _suspected_lots(inspections, shipments)

    lots = shipments[_window(shipments, "received_on", start, end)]
    frame = frame.join(sourcing_signals(lots))
    value = lot_values_cny(lots, settings.evidence)
    frame["value_received_cny"] = value.groupby(lots["supplier_id"].astype("string")).sum()
    evidence = evidence_readiness(lots, _optional(tables, "documents"), settings=settings.evidence)
    frame = frame.join(evidence.per_supplier.set_index("supplier_id"))
    frame = frame.join(price_signals(lots, settings=settings.price))
    defensible = lot_defensibility(
        lots, _optional(tables, "documents"), as_of=as_of, settings=settings
    )
    frame = frame.join(defensible.per_supplier.set_index("supplier_id"))
    frame = _fill_counts(frame, settings)
    frame = _fill_defensibility(frame, suspected_lots)
    frame = _inspection_state(frame, inspection_status)

    baseline = _add_rates(frame, settings)
    _add_strengths(frame, settings)
    _score_and_tier(frame, settings)
    _add_trend(frame, previous)
    actions = compose_actions(frame, settings, language)
    frame["action_codes"] = actions.codes
    frame["stop_buying"] = actions.stop_buying
    frame["evidence_actions"] = actions.evidence
    frame["recommended_action"] = actions.recommended
    frame["main_reasons"] = main_reasons(frame, evidence.gaps, settings, language)

    scores = frame.reset_index()
    scores = scores.drop(
        columns=[c for c in scores.columns if c.startswith("_") or c in _LIST_COLUMNS]
    )
    middle = [c for c in scores.columns if c not in (*LEADING_COLUMNS, *TRAILING_COLUMNS)]
    scores = scores.loc[:, [*LEADING_COLUMNS, *middle, *TRAILING_COLUMNS]]
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


# Lists behind the actions: turned into words, not CSV columns.
_LIST_COLUMNS = ("lots_to_hold", "proof_missing", "brands_missing_proof", "suspected_lots")


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


def _add_rates(frame: pd.DataFrame, settings: ScoringSettings) -> pd.DataFrame:
    """Raw, shrunk and tested rates; returns the baseline table (one row per rate)."""
    stats_cfg = settings.statistics
    frame["serious_defects"] = (frame["critical_defects"] + frame["major_defects"]).astype("int64")
    settled = settings.complaints.settled_weight
    frame["quality_complaint_evidence"] = (
        frame["quality_complaints_upheld"] + settled * frame["quality_complaints_settled"]
    )
    # Quality complaints grow with sales: they are read as a rate per buyer contact (reviews
    # plus the scored complaints themselves, so k <= n), unlike counterfeit complaints, where
    # each upheld one is damning on its own. Open, rejected and withdrawn ones stay out.
    frame["buyer_contacts"] = frame["reviews"] + frame["quality_complaint_evidence"]
    rows = []
    for name, k_col, n_col in (
        ("counterfeit_review_rate", "counterfeit_reviews", "reviews"),
        ("quality_review_rate", "quality_reviews", "reviews"),
        ("quality_complaint_rate", "quality_complaint_evidence", "buyer_contacts"),
        ("serious_defect_rate", "serious_defects", "units_sampled"),
        ("critical_defect_rate", "critical_defects", "units_sampled"),
    ):
        k = frame[k_col].to_numpy(dtype=np.float64)
        n = frame[n_col].to_numpy(dtype=np.float64)
        evidence = rate_evidence(
            k, n,
            fdr_alpha=stats_cfg.fdr_alpha,
            full_strength_ratio=stats_cfg.full_strength_ratio,
            not_significant_factor=stats_cfg.not_significant_factor,
            min_strength=stats_cfg.prior_min_strength,
            max_strength=stats_cfg.prior_max_strength,
        )  # fmt: skip
        with np.errstate(invalid="ignore", divide="ignore"):
            frame[name] = np.where(n > 0, k / np.where(n > 0, n, 1.0), np.nan)
        frame[f"{name}_shrunk"] = evidence.shrunk
        frame[f"{name}_q"] = evidence.q_value
        frame[f"{name}_significant"] = evidence.significant
        frame[f"_{name}_strength"] = evidence.strength
        frame[f"_{name}_baseline"] = evidence.prior.mean
        rows.append(
            {
                "rate": name,
                "baseline": evidence.prior.mean,
                "prior_alpha": evidence.prior.alpha,
                "prior_beta": evidence.prior.beta,
                "prior_strength": evidence.prior.strength,
                "pooled_rate": float(k.sum() / n.sum()) if n.sum() > 0 else np.nan,
                "suppliers_with_data": int((n > 0).sum()),
                "significant_suppliers": int(evidence.significant.sum()),
            }
        )
    for name, k_col in (("serious_defect_rate", "serious_defects"),
                        ("critical_defect_rate", "critical_defects")):  # fmt: skip
        low, high = clopper_pearson(
            frame[k_col].to_numpy(), frame["units_sampled"].to_numpy(),
            confidence=stats_cfg.confidence,
        )  # fmt: skip
        frame[f"{name}_low"] = low
        frame[f"{name}_high"] = high
    return pd.DataFrame(rows)


def _add_strengths(frame: pd.DataFrame, settings: ScoringSettings) -> None:
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


def _score_and_tier(frame: pd.DataFrame, settings: ScoringSettings) -> None:
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
