"""Which supplier each review or complaint belongs to, with fractional weights.

Order of precedence (the data contract): the supplier named on the item; else the supplier of
its lot (shipment_id); else the item is shared among the suppliers that delivered its SKU in
the ``lookback_days`` before it (received_on <= the item's day), in proportion to the quantity
each delivered. Weights sum to 1 per attributed item; items no rule can place are returned
apart (nothing is dropped silently).

Vectorised: the SKU shares are computed once per distinct (sku, day) — far fewer than items —
by a merge with the lots of that SKU, then joined back to the items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from supplier_audit.contracts.days import day_column
from supplier_audit.contracts.text_columns import shared_codes
from supplier_audit.contracts.text_hashes import TextMap

ATTRIBUTION_COLUMNS = ("item_id", "supplier_id", "weight", "basis")
BASES = ("named_supplier", "lot", "sku_share")


@dataclass(frozen=True)
class Attribution:
    """Item -> supplier weights, and the ids of items that could not be attributed."""

    weights: pd.DataFrame  # item_id, supplier_id, weight, basis
    unattributed: pd.Series  # item ids


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = frame[column].astype("string").str.strip()
    return values.mask(values == "")


def _window_quantities(keys: pd.DataFrame, lots: pd.DataFrame, lookback_days: int) -> pd.DataFrame:
    """Per (sku, day) and supplier of that SKU, the quantity it delivered in the window
    [day - lookback_days, day].

    Cumulative quantities per (sku, supplier) looked up at the window's two ends (merge_asof),
    so the work grows with keys x suppliers of a SKU, not keys x lots of a SKU (which exploded
    with a million lots).
    """
    columns = ["sku", "day", "supplier_id", "quantity"]
    if keys.empty or lots.empty:
        return pd.DataFrame(
            {
                "sku": pd.Series(dtype="str"),
                "day": pd.Series(dtype="datetime64[us]"),
                "supplier_id": pd.Series(dtype="str"),
                "quantity": pd.Series(dtype="float64"),
            }
        )
    # One key type on both sides (merge_asof refuses mixed object / string keys).
    keys = keys.astype({"sku": "str"})
    lots = lots.astype({"sku": "str", "supplier_id": "str"})
    daily = lots.groupby(["sku", "supplier_id", "received"], as_index=False, sort=True).agg(
        quantity=("quantity", "sum")
    )
    daily["delivered"] = daily.groupby(["sku", "supplier_id"], sort=False)["quantity"].cumsum()
    daily = daily.sort_values("received", kind="stable")
    pairs = keys.merge(daily[["sku", "supplier_id"]].drop_duplicates(), on="sku", how="inner")

    def delivered_by(day: pd.Series) -> pd.Series:
        at = pairs.assign(at=day).sort_values("at", kind="stable")
        found = pd.merge_asof(
            at,
            daily[["sku", "supplier_id", "received", "delivered"]],
            left_on="at",
            right_on="received",
            by=["sku", "supplier_id"],
            direction="backward",
        )
        return pd.Series(found["delivered"].fillna(0.0).to_numpy(), index=at.index)

    through_day = delivered_by(pairs["day"])
    before_window = delivered_by(pairs["day"] - pd.Timedelta(days=lookback_days + 1))
    quantity = through_day.sort_index() - before_window.sort_index()
    result = pairs.assign(quantity=quantity.to_numpy())[columns]
    return result.sort_values(["sku", "day", "supplier_id"], kind="stable").reset_index(drop=True)


def _lots_frame(shipments: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": shipments["sku"].astype("string").to_numpy(),
            "supplier_id": shipments["supplier_id"].astype("string").to_numpy(),
            "received": day_column(shipments["received_on"]).to_numpy(),
            "quantity": shipments["quantity"].astype("float64").to_numpy(),
        }
    )


def _weights_of(shares: pd.DataFrame) -> pd.DataFrame:
    """Per (sku, day), each supplier's share of the quantity delivered in the window."""
    shares = shares[shares["quantity"] > 0]
    totals = shares.groupby(["sku", "day"], sort=False)["quantity"].transform("sum")
    weighted = shares.assign(weight=shares["quantity"] / totals)
    return weighted[["sku", "day", "supplier_id", "weight"]]


@dataclass(frozen=True)
class SkuShares:
    """SKU-share weights computed once for every SKU with lots and every day of a period, so
    that batches of items need not recompute them (see :func:`sku_shares`)."""

    weights: pd.DataFrame  # sku, day, supplier_id, weight
    first_day: pd.Timestamp
    last_day: pd.Timestamp


def sku_shares(
    shipments: pd.DataFrame, *, first_day: pd.Timestamp, last_day: pd.Timestamp, lookback_days: int
) -> SkuShares:
    """The SKU-share weights of every (SKU, day) from ``first_day`` to ``last_day``."""
    lots = _lots_frame(shipments)
    days = pd.date_range(first_day, last_day, freq="D")
    skus = pd.Series(lots["sku"].dropna().unique(), dtype="string")
    keys = pd.DataFrame(
        {
            "sku": np.repeat(skus.to_numpy(), len(days)),
            "day": np.tile(days.to_numpy(), len(skus)),
        }
    )
    shares = _window_quantities(keys, lots, lookback_days)
    return SkuShares(weights=_weights_of(shares), first_day=first_day, last_day=last_day)


def attribute_items(
    items: pd.DataFrame,
    shipments: pd.DataFrame,
    *,
    id_column: str,
    date_column: str,
    lookback_days: int,
    shares: SkuShares | None = None,
    positions: bool = False,
    lot_suppliers: pd.Series | None = None,
    item_lot_suppliers: pd.Series | None = None,
) -> Attribution:
    """Attribute items (reviews or complaints) to suppliers; see the module docstring.

    ``shares`` (optional): SKU-share weights precomputed with the same ``shipments`` and
    ``lookback_days`` (:func:`sku_shares`); items on days outside its period are computed
    as usual. ``positions``: identify items by their row position in ``items`` (int64)
    instead of ``id_column`` (for callers that look up more columns of the same rows).
    ``lot_suppliers`` (optional): shipment_id -> supplier_id of ``shipments``, when the
    caller already has it (one index for many batches); ``item_lot_suppliers`` (optional):
    the supplier of each item's lot (:func:`lot_supplier_of`), when the caller looked it up.
    """
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1")
    item_id = (
        pd.Series(np.arange(len(items), dtype=np.int64), index=items.index)
        if positions
        else items[id_column].astype("string")
    )
    if item_lot_suppliers is None:
        item_lot_suppliers = lot_supplier_of(items, shipments, lot_suppliers)
    direct, rest_mask = _direct(items, item_id, item_lot_suppliers)
    rest = pd.DataFrame(
        {
            "item_id": item_id[rest_mask].to_numpy(),
            "sku": items.loc[rest_mask, "sku"].astype("string").to_numpy(),
            "day": day_column(items.loc[rest_mask, date_column]).to_numpy(),
        }
    )
    weights = _share_weights(
        rest[["sku", "day"]].drop_duplicates(), shipments, lookback_days, shares
    )
    shared = _merge_on_sku_day(rest, weights)
    # An item whose (sku, day) no lot matched comes back with no supplier: it is counted.
    lonely = shared["supplier_id"].isna().to_numpy()
    unattributed = shared.loc[lonely, "item_id"].reset_index(drop=True)
    shared = shared.loc[~lonely]
    shared["basis"] = BASES[2]
    weights = pd.concat(
        [direct, shared[["item_id", "supplier_id", "weight", "basis"]]], ignore_index=True
    )
    weights = weights.loc[:, list(ATTRIBUTION_COLUMNS)]
    weights["item_id"] = weights["item_id"].astype("int64" if positions else "string")
    weights["supplier_id"] = weights["supplier_id"].astype("string")
    weights["weight"] = weights["weight"].astype("float64")
    weights["basis"] = weights["basis"].astype("string")
    return Attribution(weights=weights, unattributed=unattributed)


def lot_supplier_of(
    items: pd.DataFrame,
    shipments: pd.DataFrame,
    lot_suppliers: pd.Series | TextMap | None = None,
) -> pd.Series:
    """The supplier of the lot each item names (missing where it names none, or one no valid
    lot has), aligned with ``items``; ``lot_suppliers``: shipment_id -> supplier_id of
    ``shipments`` when the caller already has it (as a Series, or as a hash look-up built once
    for many batches)."""
    if isinstance(lot_suppliers, TextMap):
        return lot_suppliers.get(_text(items, "shipment_id"))
    if lot_suppliers is None:
        lot_suppliers = pd.Series(
            shipments["supplier_id"].astype("string").to_numpy(),
            index=shipments["shipment_id"].astype("string").to_numpy(),
        )
        lot_suppliers = lot_suppliers[~lot_suppliers.index.duplicated()]
    return _text(items, "shipment_id").map(lot_suppliers).astype("string")


def _merge_on_sku_day(rest: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """``rest.merge(weights, on=["sku", "day"], how="left")``, joined on integer codes of the
    SKUs rather than on their texts (the same rows, in the same order)."""
    left, right = shared_codes(rest["sku"], weights["sku"])
    right_frame = weights.drop(columns="sku").assign(_sku=right)
    shared = rest.assign(_sku=left).merge(right_frame, on=["_sku", "day"], how="left")
    return shared.drop(columns="_sku")


def _direct(
    items: pd.DataFrame, item_id: pd.Series, by_lot: pd.Series
) -> tuple[pd.DataFrame, npt.NDArray[np.bool_]]:
    """The items that name their supplier, or a lot whose supplier is known (``by_lot``),
    each with weight 1; and the mask of the rest (shared by SKU)."""
    named = _text(items, "supplier_id")
    has_name = named.notna().to_numpy()
    has_lot = (~has_name) & by_lot.notna().to_numpy()
    direct = pd.concat(
        [
            pd.DataFrame(
                {"item_id": item_id[has_name], "supplier_id": named[has_name], "basis": BASES[0]}
            ),
            pd.DataFrame(
                {"item_id": item_id[has_lot], "supplier_id": by_lot[has_lot], "basis": BASES[1]}
            ),
        ],
        ignore_index=True,
    )
    direct["weight"] = 1.0
    return direct, ~(has_name | has_lot)


def _share_weights(
    keys: pd.DataFrame, shipments: pd.DataFrame, lookback_days: int, shares: SkuShares | None
) -> pd.DataFrame:
    """sku, day, supplier_id, weight for every (sku, day) of ``keys``: from ``shares`` where
    it covers the day, computed from ``shipments`` otherwise."""
    known = pd.DataFrame(columns=["sku", "day", "supplier_id", "weight"])
    if shares is not None:
        inside = ((keys["day"] >= shares.first_day) & (keys["day"] <= shares.last_day)).to_numpy()
        keys = keys[~inside]
        known = shares.weights
    if keys.empty and shares is not None:
        return known
    computed = _weights_of(_window_quantities(keys, _lots_frame(shipments), lookback_days))
    return computed if shares is None else pd.concat([known, computed], ignore_index=True)
