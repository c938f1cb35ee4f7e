"""What scoring feeds back into sampling: inspection levels per tier and self-checks (自查)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from supplier_audit.contracts.days import day_column
from supplier_audit.scoring.attribution import attribute_items
from supplier_audit.scoring.review_totals import ReviewTotals
from supplier_audit.scoring.review_totals import review_totals as totals_of_reviews
from supplier_audit.scoring.scores import COUNT_DECIMALS
from supplier_audit.scoring.settings import ScoringSettings
from supplier_audit.scoring.window import in_window

SELF_CHECK_COLUMNS = ("supplier_id", "sku", "reason")


def tier_inspection_overrides(
    scores: pd.DataFrame, settings: ScoringSettings
) -> dict[str, dict[str, str]]:
    """Per supplier, the inspection level / severity its tier calls for (config ``inspection``).

    The result is the ``tier_raises`` argument of ``sampling.inspection_in_force``, which only
    ever raises a level or severity; suppliers whose tier maps to nothing are left out. The
    night reads it from the last published night's scores, not tonight's (see
    :mod:`supplier_audit.sampling.in_force`).
    """
    by_tier = {
        tier: {key: value for key, value in override.model_dump().items() if value is not None}
        for tier, override in settings.inspection.items()
    }
    result: dict[str, dict[str, str]] = {}
    for supplier, tier in zip(
        scores["supplier_id"].astype(str), scores["risk_tier"].astype(str), strict=True
    ):
        wanted = by_tier.get(tier)
        if wanted:
            result[supplier] = dict(wanted)
    return result


_TEXT = {
    "en": {
        "counterfeit_review": "{n} counterfeit-suspect review(s)",
        "counterfeit_complaint": "{n} upheld counterfeit complaint(s)",
        "quality_complaint": "{n} upheld quality complaint(s)",
        "quality_review": "{n} quality-issue reviews",
        "window": " in the last {days} days",
        "join": ", ",
    },
    "zh": {
        "counterfeit_review": "{n}条疑似假货评价",
        "counterfeit_complaint": "{n}起假货投诉成立",
        "quality_complaint": "{n}起质量投诉成立",
        "quality_review": "{n}条质量问题评价",
        "window": "（近{days}天）",
        "join": "、",
    },
}


def self_check_candidates(
    tables: Mapping[str, pd.DataFrame],
    review_flags: pd.DataFrame,
    *,
    as_of: date,
    settings: ScoringSettings,
    language: str = "en",
    review_totals: ReviewTotals | None = None,
) -> pd.DataFrame:
    """(supplier_id, sku, reason) pairs that a recent serious signal says to re-inspect.

    A pair qualifies when, in the ``self_check.days`` days up to ``as_of`` (inclusive), a
    counterfeit-suspect review or an upheld counterfeit or quality complaint is attributed to
    it with at least ``self_check.min_weight``, or quality-issue reviews attributed to it sum
    to at least ``self_check.quality_reviews``. Rejected, withdrawn, settled and open
    complaints never trigger one. ``review_totals`` (optional): the reviews' part already
    summed batch by batch (:mod:`.review_totals`); ``tables["reviews"]`` and
    ``review_flags`` are then not read.
    """
    if language not in _TEXT:
        raise ValueError(f"language must be 'zh' or 'en', got {language!r}")
    frames = tables
    cfg = settings.self_check
    end = pd.Timestamp(as_of)
    shipments = frames["shipments"]
    shipments = shipments[day_column(shipments["received_on"]) <= end]
    parts: list[pd.DataFrame] = []

    if review_totals is None:
        # Only the self-check part is used here: its window doubles as the scoring window.
        review_totals = totals_of_reviews(
            frames["reviews"],
            review_flags,
            frames["shipments"],
            as_of=as_of,
            settings=settings,
            lookback_days=cfg.days,
        )
    if not review_totals.self_check.empty:
        parts.append(review_totals.self_check.round({"quality_review": COUNT_DECIMALS}))

    complaints = frames.get("complaints")
    if complaints is not None and not complaints.empty:
        counted = _complaint_counts(complaints, shipments, as_of=end, settings=settings)
        if counted is not None:
            parts.append(counted)

    empty = pd.DataFrame({c: pd.Series(dtype="string") for c in SELF_CHECK_COLUMNS})
    if not parts:
        return empty
    counts = pd.concat(parts, ignore_index=True).fillna(0.0)
    for column in ("counterfeit_review", "quality_review", "counterfeit_complaint",
                   "quality_complaint"):  # fmt: skip
        if column not in counts:
            counts[column] = 0.0
    totals = counts.groupby(["supplier_id", "sku"], as_index=False).sum()
    totals["quality_review"] = np.where(
        totals["quality_review"] >= cfg.quality_reviews, totals["quality_review"], 0.0
    )
    signals = ["counterfeit_complaint", "counterfeit_review", "quality_complaint", "quality_review"]
    chosen = totals[(totals[signals] > 0).any(axis=1)].reset_index(drop=True)
    if chosen.empty:
        return empty
    reasons = _reasons(chosen[signals], _TEXT[language], cfg.days)
    out = chosen[["supplier_id", "sku"]].astype("string")
    out["reason"] = pd.Series(reasons, dtype="string")
    return out.sort_values(["supplier_id", "sku"], kind="stable").reset_index(drop=True)


def _complaint_counts(
    complaints: pd.DataFrame,
    shipments: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    settings: ScoringSettings,
) -> pd.DataFrame | None:
    """Per supplier and SKU, the upheld counterfeit and quality complaints of the self-check
    window attributed to it with at least ``self_check.min_weight`` (None: there are none)."""
    cfg = settings.self_check
    recent = complaints[in_window(day_column(complaints["opened_on"]), as_of, cfg.days)]
    recent = recent[recent["status"].astype("string") == "upheld"]
    if recent.empty:
        return None
    share = attribute_items(
        recent, shipments, id_column="complaint_id", date_column="opened_on",
        lookback_days=settings.attribution_days,
    ).weights  # fmt: skip
    info = pd.DataFrame(
        {
            "item_id": recent["complaint_id"].astype("string").to_numpy(),
            "sku": recent["sku"].astype("string").to_numpy(),
            "type": recent["complaint_type"].astype("string").to_numpy(),
        }
    )
    rows = share.merge(info, on="item_id")
    strong = rows["weight"].to_numpy() >= cfg.min_weight
    kind = rows["type"]
    return pd.DataFrame(
        {
            "supplier_id": rows["supplier_id"].to_numpy(),
            "sku": rows["sku"].to_numpy(),
            "counterfeit_complaint": (
                kind.isin(settings.complaints.counterfeit_types).to_numpy(dtype=bool) & strong
            ).astype(float),
            "quality_complaint": (
                kind.isin(settings.complaints.quality_types).to_numpy(dtype=bool) & strong
            ).astype(float),
        }
    )


def _reasons(counts: pd.DataFrame, text: Mapping[str, str], days: int) -> list[str]:
    """Each pair's reason in words: its non-zero signals, then the window."""
    reasons = []
    for row in counts.to_numpy():
        said = [
            text[name].format(n=f"{value:.0f}" if name != "quality_review" else f"{value:.1f}")
            for name, value in zip(counts.columns, row, strict=True)
            if value > 0
        ]
        reasons.append(text["join"].join(said) + text["window"].format(days=days))
    return reasons
