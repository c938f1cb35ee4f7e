"""The reviews' share of the scores, computed per batch of reviews and summed.

Reviews are the one input that grows without bound, so the night never needs them all at
once: each batch is attributed to suppliers (see :mod:`.attribution`) and reduced to

* fractional review counts per supplier in the scoring window (reviews, counterfeit-suspect,
  quality-issue) — what :func:`.scores.score_suppliers` turns into rates;
* per (supplier, SKU) the counterfeit-suspect reviews attributed with at least
  ``self_check.min_weight`` and the quality-issue weight, in the self-check window — what
  :func:`.feedback.self_check_candidates` compares with its thresholds;
* the attribution weights of the flagged reviews in the scoring window (the report shows
  which supplier each flagged review was attributed to), and how many could not be attributed.

Attribution of one review depends only on the review and the lots, so batches may be cut
anywhere: the sums over batches are the sums over all reviews (up to the order of floating-point
additions, which :func:`combine_review_totals` fixes by summing in batch order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from supplier_audit.contracts.days import day_column
from supplier_audit.scoring.attribution import (
    ATTRIBUTION_COLUMNS,
    SkuShares,
    attribute_items,
    lot_supplier_of,
    sku_shares,
)
from supplier_audit.scoring.settings import ScoringSettings
from supplier_audit.scoring.window import in_window, window_start

_ATTRIBUTION_INPUTS = ("review_id", "sku", "created_at", "supplier_id", "shipment_id")
REVIEW_COUNT_COLUMNS = ("reviews", "counterfeit_reviews", "quality_reviews")
SELF_CHECK_REVIEW_COLUMNS = ("supplier_id", "sku", "counterfeit_review", "quality_review")


@dataclass(frozen=True)
class ReviewTotals:
    """What scoring and self-checks need of a set of reviews (see the module docstring)."""

    per_supplier: pd.DataFrame  # index supplier_id; REVIEW_COUNT_COLUMNS
    self_check: pd.DataFrame  # SELF_CHECK_REVIEW_COLUMNS, one row per (supplier_id, sku)
    attribution: pd.DataFrame  # item_id, supplier_id, weight, basis of flagged reviews
    unattributed: int


def _empty(dtypes: dict[str, str], index: pd.Index | None = None) -> pd.DataFrame:
    """A frame with no rows and the given columns and dtypes."""
    columns = {name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()}
    return pd.DataFrame(columns, index=index)


def _empty_counts() -> pd.DataFrame:
    return _empty(
        dict.fromkeys(REVIEW_COUNT_COLUMNS, "float64"),
        index=pd.Index([], dtype="string", name="supplier_id"),
    )


def _empty_self_check() -> pd.DataFrame:
    counts = dict.fromkeys(("counterfeit_review", "quality_review"), "float64")
    return _empty({"supplier_id": "string", "sku": "string", **counts})


def _empty_attribution() -> pd.DataFrame:
    return _empty(
        {"item_id": "string", "supplier_id": "string", "weight": "float64", "basis": "string"}
    )


def _aligned_flags(
    reviews: pd.DataFrame, review_flags: pd.DataFrame
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """counterfeit_suspect and quality_issue for each row of ``reviews`` (False for a review
    with no flag row; the first flag row of an id counts)."""
    if reviews["review_id"].equals(review_flags["review_id"]):  # the flags of these rows
        return (
            review_flags["counterfeit_suspect"].to_numpy(dtype=bool),
            review_flags["quality_issue"].to_numpy(dtype=bool),
        )
    ids = reviews["review_id"].astype("string").to_numpy()
    flag_ids = review_flags["review_id"].astype("string").to_numpy()
    first = pd.DataFrame(
        {
            "counterfeit_suspect": review_flags["counterfeit_suspect"].astype(bool).to_numpy(),
            "quality_issue": review_flags["quality_issue"].astype(bool).to_numpy(),
        },
        index=pd.Index(flag_ids),
    )
    first = first[~first.index.duplicated()].reindex(ids, fill_value=False)
    return (
        first["counterfeit_suspect"].to_numpy(dtype=bool),
        first["quality_issue"].to_numpy(dtype=bool),
    )


def review_totals(
    reviews: pd.DataFrame,
    review_flags: pd.DataFrame,
    shipments: pd.DataFrame,
    *,
    as_of: date,
    settings: ScoringSettings,
    lookback_days: int,
    shares: SkuShares | None = None,
    lot_suppliers: pd.Series | None = None,
    lot_supplier: pd.Series | None = None,
) -> ReviewTotals:
    """The totals of one batch of valid reviews (or of all of them).

    ``reviews``: review_id, sku, created_at and the optional supplier_id / shipment_id as
    ingested (the supplier a buyer named, not yet filled from the lot); ``review_flags``:
    review_id, quality_issue, counterfeit_suspect; ``shipments``: the valid lots;
    ``shares``: the SKU shares of :func:`review_sku_shares` (computed once for all batches);
    ``lot_suppliers``: shipment_id -> supplier_id of ``shipments`` (likewise);
    ``lot_supplier``: the supplier of each review's lot (:func:`.attribution.lot_supplier_of`),
    when the caller already looked it up.
    """
    end = pd.Timestamp(as_of)
    lots = shipments[(day_column(shipments["received_on"]) <= end).to_numpy()]
    counterfeit, quality = _aligned_flags(reviews, review_flags)
    days = day_column(reviews["created_at"]).to_numpy()
    cfg = settings.self_check

    # only the columns attribution reads: filtering the texts too would copy them all
    reviews = reviews[[c for c in _ATTRIBUTION_INPUTS if c in reviews.columns]]
    by_lot = (
        lot_supplier
        if lot_supplier is not None
        else lot_supplier_of(reviews, shipments, lot_suppliers)
    )

    def weights_of(items: pd.DataFrame, rows: npt.NDArray[np.bool_]) -> pd.DataFrame:
        """Attribution weights of ``items`` (the ``rows`` of ``reviews``), each identified by
        its row in ``items``."""
        return attribute_items(
            items,
            lots,
            id_column="review_id",
            date_column="created_at",
            lookback_days=settings.attribution_days,
            shares=shares,
            positions=True,
            item_lot_suppliers=by_lot[rows],
        ).weights

    window_rows = in_window(days, end, lookback_days)
    scored = reviews[window_rows]
    if scored.empty:
        per_supplier, attribution, unattributed = _empty_counts(), _empty_attribution(), 0
        share = None
    else:
        # items are identified by their row in `scored`: flags and SKUs are looked up by
        # position, not joined on id strings
        share = weights_of(scored, window_rows)
        per_supplier, attribution, unattributed = _scoring_counts(
            scored, share, counterfeit[window_rows], quality[window_rows]
        )

    recent_rows = in_window(days, end, cfg.days)
    if not recent_rows.any():
        self_check = _empty_self_check()
    else:
        if share is not None and cfg.days <= lookback_days:
            # the self-check window lies inside the scoring window: reuse its weights
            recent = scored
            recent_in = recent_rows[window_rows]
            weights = share[recent_in[share["item_id"].to_numpy()]]
            fake_all, poor_all = counterfeit[window_rows], quality[window_rows]
        else:
            recent = reviews[recent_rows]
            weights = weights_of(recent, recent_rows)
            fake_all, poor_all = counterfeit[recent_rows], quality[recent_rows]
        self_check = _self_check_counts(recent, weights, fake_all, poor_all, cfg.min_weight)
    return ReviewTotals(
        per_supplier=per_supplier,
        self_check=self_check,
        attribution=attribution,
        unattributed=unattributed,
    )


def _scoring_counts(
    scored: pd.DataFrame, share: pd.DataFrame, fake: np.ndarray, poor: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Fractional reviews, counterfeit-suspect and quality reviews per supplier in the scoring
    window; the flagged reviews' attribution (what a report shows); the reviews no lot could
    be found for. ``share`` identifies items by their row in ``scored``."""
    row = share["item_id"].to_numpy()
    weight = share["weight"].to_numpy(dtype=np.float64)
    fake, poor = fake[row], poor[row]
    # grouped on the supplier column as it is (Arrow text): no Python string per row
    per_supplier = (
        pd.DataFrame(
            {
                "supplier_id": share["supplier_id"].reset_index(drop=True),
                "reviews": weight,
                "counterfeit_reviews": weight * fake,
                "quality_reviews": weight * poor,
            }
        )
        .groupby("supplier_id")
        .sum()
    )
    shown = fake | poor
    ids = scored["review_id"].astype("string").iloc[row[shown]]
    attribution = share.loc[shown, list(ATTRIBUTION_COLUMNS)].assign(item_id=ids.array)
    attributed = int(np.count_nonzero(np.bincount(row, minlength=len(scored))))
    return per_supplier, attribution.reset_index(drop=True), len(scored) - attributed


def _self_check_counts(
    recent: pd.DataFrame,
    weights: pd.DataFrame,
    fake: np.ndarray,
    poor: np.ndarray,
    min_weight: float,
) -> pd.DataFrame:
    """Per supplier and SKU in the self-check window: counterfeit-suspect reviews attributed
    with at least ``min_weight``, and fractional quality reviews."""
    row = weights["item_id"].to_numpy()
    weight = weights["weight"].to_numpy(dtype=np.float64)
    strong = weight >= min_weight
    return (
        pd.DataFrame(
            {
                "supplier_id": weights["supplier_id"].astype("string").to_numpy(),
                "sku": recent["sku"].astype("string").to_numpy()[row],
                "counterfeit_review": (fake[row] & strong).astype(np.float64),
                "quality_review": weight * poor[row],
            }
        )
        .groupby(["supplier_id", "sku"], as_index=False, sort=True)
        .sum()
    )


def review_sku_shares(
    shipments: pd.DataFrame, *, as_of: date, settings: ScoringSettings, lookback_days: int
) -> SkuShares:
    """The SKU shares every batch of reviews needs, for each day of the scoring window (and of
    the self-check window), computed once instead of once per batch."""
    end = pd.Timestamp(as_of)
    lots = shipments[(day_column(shipments["received_on"]) <= end).to_numpy()]
    days = max(lookback_days, settings.self_check.days)
    return sku_shares(
        lots,
        first_day=window_start(end, days),
        last_day=end,
        lookback_days=settings.attribution_days,
    )


def combine_review_totals(parts: Sequence[ReviewTotals]) -> ReviewTotals:
    """The totals of several batches: counts summed (in the given order), rows concatenated."""
    counts = [p.per_supplier for p in parts if not p.per_supplier.empty]
    checks = [p.self_check for p in parts if not p.self_check.empty]
    attributions = [p.attribution for p in parts if not p.attribution.empty]
    per_supplier = (
        pd.concat(counts).groupby(level="supplier_id", sort=True).sum()
        if counts
        else _empty_counts()
    )
    self_check = (
        pd.concat(checks, ignore_index=True)
        .groupby(["supplier_id", "sku"], as_index=False, sort=True)
        .sum()
        if checks
        else _empty_self_check()
    )
    attribution = (
        pd.concat(attributions, ignore_index=True) if attributions else _empty_attribution()
    )
    return ReviewTotals(
        per_supplier=per_supplier,
        self_check=self_check,
        attribution=attribution,
        unattributed=sum(p.unattributed for p in parts),
    )
