"""Raw per-supplier signals over the scoring window: complaints, inspections, price, sourcing
(the reviews' signals are summed batch by batch in :mod:`.review_totals`).

Every function returns one row per supplier that has the signal (index supplier_id); the
caller reindexes onto all suppliers. Fractional counts come from attribution weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplier_audit.sampling.acceptance import AcceptanceRule, judge_lots, nominal_plans
from supplier_audit.sampling.results import lot_counterfeit_verdicts
from supplier_audit.scoring.settings import ComplaintSettings, PriceSettings


def complaint_signals(
    weights: pd.DataFrame, complaints: pd.DataFrame, *, settings: ComplaintSettings
) -> pd.DataFrame:
    """Upheld / settled counterfeit and quality complaints, open, dismissed and compensation.

    Rejected and withdrawn complaints are only counted as ``complaints_dismissed`` (shown so a
    purchaser sees them, never scored); open ones as ``complaints_open``.
    """
    info = pd.DataFrame(
        {
            "item_id": complaints["complaint_id"].astype("string").to_numpy(),
            "complaint_type": complaints["complaint_type"].astype("string").to_numpy(),
            "status": complaints["status"].astype("string").to_numpy(),
            "compensation": complaints["compensation"].astype("float64").fillna(0.0).to_numpy()
            if "compensation" in complaints.columns
            else 0.0,
        }
    )
    merged = weights.merge(info, on="item_id", how="inner")
    w = merged["weight"].to_numpy(dtype=np.float64)
    status = merged["status"].to_numpy(dtype=object)
    kind = merged["complaint_type"]
    fake = kind.isin(settings.counterfeit_types).to_numpy(dtype=bool)
    quality = kind.isin(settings.quality_types).to_numpy(dtype=bool)
    upheld, settled = status == "upheld", status == "settled"
    frame = pd.DataFrame(
        {
            "supplier_id": merged["supplier_id"].to_numpy(),
            "counterfeit_complaints_upheld": w * (fake & upheld),
            "counterfeit_complaints_settled": w * (fake & settled),
            "quality_complaints_upheld": w * (quality & upheld),
            "quality_complaints_settled": w * (quality & settled),
            "complaints_open": w * (status == "open"),
            "complaints_dismissed": w * np.isin(status, ["rejected", "withdrawn"]),
            "complaints": w,
            "compensation_paid": w
            * merged["compensation"].to_numpy(dtype=np.float64)
            * (upheld | settled),
        }
    )
    return frame.groupby("supplier_id").sum()


def inspection_signals(
    inspections: pd.DataFrame, shipments: pd.DataFrame, *, acceptance: AcceptanceRule
) -> pd.DataFrame:
    """Per supplier: lots inspected, units sampled, defects, counterfeit finds, rejections.

    Every inspection in the window counts (re-inspections too: each sampled unit is evidence).
    Counterfeit finds are judged per lot (:func:`lot_counterfeit_verdicts`): confirmed ones
    (and units recorded with no status) are ``counterfeit_units_found`` in
    ``lots_with_counterfeit``; suspected ones, awaiting authentication, are
    ``counterfeit_units_suspected`` in ``lots_with_suspected_counterfeit``; cleared ones
    (authenticated as genuine) count as clean. A lot is rejected when one of its inspections
    was not accepted (:func:`~supplier_audit.sampling.acceptance.judge_lots`) by the lot's
    nominal plan: normal severity at the sampling AQL and inspection level of ``acceptance``.
    """
    lots = shipments[["shipment_id", "supplier_id", "quantity"]].astype(
        {"shipment_id": "string", "supplier_id": "string"}
    )
    rows = inspections.assign(shipment_id=inspections["shipment_id"].astype("string")).merge(
        lots, on="shipment_id", how="inner"
    )
    if rows.empty:
        return pd.DataFrame()
    verdicts = lot_counterfeit_verdicts(rows)
    judged = judge_lots(
        rows,
        nominal_plans(rows["quantity"].to_numpy(dtype=np.int64), acceptance),
        count_minor_defects=acceptance.count_minor_defects,
    )
    rows["rejected"] = ~judged["accepted"].to_numpy(dtype=bool)
    per_lot = rows.groupby(["supplier_id", "shipment_id"])["rejected"].any().reset_index()
    out = rows.groupby("supplier_id").agg(
        lots_inspected=("shipment_id", "nunique"),
        units_sampled=("sample_size", "sum"),
        critical_defects=("critical_defects", "sum"),
        major_defects=("major_defects", "sum"),
    )
    out["lots_rejected"] = per_lot.groupby("supplier_id")["rejected"].sum()
    found = verdicts.merge(lots[["shipment_id", "supplier_id"]], on="shipment_id", how="inner")
    for kind, units_column, lots_column in (
        ("confirmed", "counterfeit_units_found", "lots_with_counterfeit"),
        ("suspected", "counterfeit_units_suspected", "lots_with_suspected_counterfeit"),
    ):
        these = found[found["counterfeit_verdict"].eq(kind)].groupby("supplier_id")
        out[units_column] = these["counterfeit_units"].sum()
        out[lots_column] = these["shipment_id"].nunique()
    out = out.fillna(0)
    return out.astype("int64")


def price_signals(lots: pd.DataFrame, *, settings: PriceSettings) -> pd.DataFrame:
    """Robust low-price signal per supplier on branded lots (unbranded goods are exempt).

    For each (sku, currency) sold by at least ``min_suppliers`` suppliers, the reference is the
    median over suppliers of each supplier's median log unit cost, and the scale is 1.4826 x
    their MAD (floored at ``min_log_scale``): a robust z-score per lot. Taking one value per
    supplier first keeps a supplier with many lots from defining "normal" for everyone.

    Returns price_lots_compared, price_ratio (units-weighted geometric mean of own cost /
    reference), price_robust_z (units-weighted mean z) and price_anomaly (units-weighted
    strength in [0, 1]).
    """
    brand = lots["brand"].astype("string").str.strip() if "brand" in lots.columns else None
    if brand is None:
        return pd.DataFrame()
    keep = brand.notna() & (brand != "") & (lots["unit_cost"].astype("float64") > 0)
    frame = pd.DataFrame(
        {
            "supplier_id": lots.loc[keep, "supplier_id"].astype("string").to_numpy(),
            "sku": lots.loc[keep, "sku"].astype("string").to_numpy(),
            "currency": lots.loc[keep, "currency"].astype("string").fillna("CNY").to_numpy()
            if "currency" in lots.columns
            else "CNY",
            "log_cost": np.log(lots.loc[keep, "unit_cost"].to_numpy(dtype=np.float64)),
            "quantity": lots.loc[keep, "quantity"].to_numpy(dtype=np.float64),
        }
    )
    if frame.empty:
        return pd.DataFrame()
    key = ["sku", "currency"]
    ref = _price_references(frame, settings)
    compared = frame.merge(ref, left_on=key, right_index=True, how="inner")
    if compared.empty:
        return pd.DataFrame()
    diff = compared["log_cost"] - compared["reference"]
    z = diff / compared["scale"]
    span = settings.full_z - settings.start_z
    strength = np.clip((-z - settings.start_z) / span, 0.0, 1.0)
    q = compared["quantity"]
    parts = (
        pd.DataFrame(
            {
                "supplier_id": compared["supplier_id"].to_numpy(),
                "price_lots_compared": 1,
                "q": q.to_numpy(),
                "q_diff": (q * diff).to_numpy(),
                "q_z": (q * z).to_numpy(),
                "q_strength": (q * strength).to_numpy(),
            }
        )
        .groupby("supplier_id")
        .sum()
    )
    return pd.DataFrame(
        {
            "price_lots_compared": parts["price_lots_compared"].astype("int64"),
            "price_ratio": np.exp(parts["q_diff"] / parts["q"]),
            "price_robust_z": parts["q_z"] / parts["q"],
            "price_anomaly": parts["q_strength"] / parts["q"],
        }
    )


def _price_references(frame: pd.DataFrame, settings: PriceSettings) -> pd.DataFrame:
    """Per (sku, currency) sold by at least ``min_suppliers`` suppliers: the median over
    suppliers of each one's median log unit cost, and 1.4826 x their MAD (floored)."""
    key = ["sku", "currency"]
    own = frame.groupby([*key, "supplier_id"], as_index=False)["log_cost"].median()
    grouped = own.groupby(key)["log_cost"]
    ref = pd.DataFrame(
        {
            "suppliers": grouped.size(),
            "reference": grouped.median(),
        }
    )
    own = own.merge(ref["reference"].rename("ref_for_mad"), left_on=key, right_index=True)
    own["deviation"] = (own["log_cost"] - own["ref_for_mad"]).abs()
    ref["scale"] = np.maximum(
        1.4826 * own.groupby(key)["deviation"].median(), settings.min_log_scale
    )
    return ref[ref["suppliers"] >= settings.min_suppliers]


def sourcing_signals(lots: pd.DataFrame) -> pd.DataFrame:
    """Lots, units and drop-shipped (代发) share of units received per supplier."""
    dropship = (
        lots["dropship"].astype(bool).to_numpy()
        if "dropship" in lots.columns
        else np.zeros(len(lots), dtype=bool)
    )
    quantity = lots["quantity"].to_numpy(dtype=np.float64)
    frame = (
        pd.DataFrame(
            {
                "supplier_id": lots["supplier_id"].astype("string").to_numpy(),
                "lots_received": 1,
                "units_received": quantity,
                "dropship_units": quantity * dropship,
            }
        )
        .groupby("supplier_id")
        .sum()
    )
    frame["dropship_share"] = frame["dropship_units"] / frame["units_received"].where(
        frame["units_received"] > 0
    )
    return frame.drop(columns="dropship_units")
