"""Malicious-complaint signals (恶意投诉), as facts about a ticket, never as verdicts.

* the buyer's earlier complaints, and how many of them were rejected or withdrawn;
* how often the buyer ordered the same SKU (the playbook: "一而再、再而三拍下");
* a burst of counterfeit complaints on one SKU: at least ``min_complaints`` within ``days``
  of this one (either side).

These are shown on the ticket; nothing here feeds a supplier's score (a malicious complaint
says nothing about the supplier). Vectorised: cumulative counts per buyer after one sort, and
binary searches over (SKU, day) for bursts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplier_audit.complaints.tracing import _days

SIGNAL_COLUMNS = (
    "complaint_id",
    "earlier_complaints",
    "earlier_dismissed",
    "same_sku_orders",
    "burst_complaints",
)


def _blank_as_missing(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def buyer_signals(
    complaints: pd.DataFrame,
    orders: pd.DataFrame | None,
    *,
    burst_days: int,
    burst_min_complaints: int,
    counterfeit_types: tuple[str, ...] = ("counterfeit",),
) -> pd.DataFrame:
    """Per complaint (all of them), the signals above; 0 where there is nothing to say
    (``burst_complaints`` is 0 unless the burst reaches ``burst_min_complaints``)."""
    ids = complaints["complaint_id"].astype("string").to_numpy()
    day = _days(complaints["opened_on"])
    buyer = (
        _blank_as_missing(complaints["buyer_id"])
        if "buyer_id" in complaints.columns
        else pd.Series(pd.NA, index=complaints.index, dtype="string")
    )
    dismissed = complaints["status"].isin(["rejected", "withdrawn"]).to_numpy(dtype=bool)
    earlier, earlier_dismissed = _earlier_by_buyer(buyer, ids, day, dismissed)
    same_sku_orders = _same_sku_orders(complaints, buyer, orders)
    fake = complaints["complaint_type"].isin(counterfeit_types).to_numpy(dtype=bool)
    burst = _bursts(complaints["sku"], day, fake, burst_days, burst_min_complaints)
    return pd.DataFrame(
        {
            "complaint_id": pd.array(ids, dtype="string"),
            "earlier_complaints": earlier,
            "earlier_dismissed": earlier_dismissed,
            "same_sku_orders": same_sku_orders,
            "burst_complaints": burst,
        }
    )


def _earlier_by_buyer(
    buyer: pd.Series, ids: np.ndarray, day: np.ndarray, dismissed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per complaint, how many complaints its buyer made before it, and how many of those were
    dismissed (rejected or withdrawn); 0 where the buyer is unknown."""
    n = len(ids)
    earlier = np.zeros(n, dtype=np.int64)
    earlier_dismissed = np.zeros(n, dtype=np.int64)
    known = buyer.notna().to_numpy()
    if not known.any():
        return earlier, earlier_dismissed
    at = np.flatnonzero(known)
    code, _ = pd.factorize(buyer.to_numpy()[at])
    order = np.lexsort((ids[at], day[at], code))
    sorted_code = code[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_code[1:] != sorted_code[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    rank = np.arange(len(order)) - group_start
    cumulative = np.cumsum(dismissed[at][order])
    before: np.ndarray = cumulative - dismissed[at][order]
    start_total: np.ndarray = before[group_start]
    earlier[at[order]] = rank
    earlier_dismissed[at[order]] = before - start_total
    return earlier, earlier_dismissed


def _same_sku_orders(
    complaints: pd.DataFrame, buyer: pd.Series, orders: pd.DataFrame | None
) -> np.ndarray:
    """Per complaint, how many orders of the same SKU its buyer placed (一而再、再而三拍下)."""
    none = np.zeros(len(complaints), dtype=np.int64)
    if orders is None or orders.empty or "buyer_id" not in orders.columns:
        return none
    if not buyer.notna().any():
        return none
    counted = (
        orders[orders["buyer_id"].notna()]
        .groupby([orders["buyer_id"].astype("string"), orders["sku"].astype("string")])
        .size()
    )
    keys = pd.MultiIndex.from_arrays([buyer.astype("string"), complaints["sku"].astype("string")])
    found = counted.reindex(keys).to_numpy()
    counts: np.ndarray = np.nan_to_num(found.astype("float64"), nan=0.0).astype(np.int64)
    return counts


def _bursts(
    sku: pd.Series, day: np.ndarray, fake: np.ndarray, burst_days: int, burst_min: int
) -> np.ndarray:
    """Per counterfeit complaint, how many counterfeit complaints its SKU had within
    ``burst_days`` either side (itself included), when that reaches ``burst_min``; else 0."""
    burst = np.zeros(len(sku), dtype=np.int64)
    if not fake.any():
        return burst
    at = np.flatnonzero(fake)
    code, _ = pd.factorize(sku.astype("string").to_numpy()[at])
    span = np.int64(1 << 22)
    key = code.astype(np.int64) * span + np.clip(day[at], 0, span - 1)
    ordered = np.sort(key)
    low = np.searchsorted(ordered, key - burst_days, side="left")
    high = np.searchsorted(ordered, key + burst_days, side="right")
    count = high - low
    burst[at] = np.where(count >= burst_min, count, 0)
    return burst
