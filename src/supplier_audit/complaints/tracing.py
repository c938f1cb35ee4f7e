"""The lot behind each complaint: named, from its order, or inferred from the SKU's lots.

Order of precedence: the complaint's own ``shipment_id``; else the lot its order was picked
from (``orders.shipment_id``); else the lots that could have shipped it — the SKU's lots (of
the named supplier, when the complaint names one) received on or before the order day (or,
with no order, the complaint day) within ``window_days``, the ``max_lots`` most recent of them,
each with its share of their quantity. Inferred lots are said to be inferred, never certain.

Vectorised: lots are sorted by (key, received day) and each complaint's most recent candidate
lots are found by binary search (``numpy.searchsorted``) and a few fixed offsets, so the work
grows with complaints x ``max_lots``, not complaints x lots of a SKU.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

TRACE_COLUMNS: Final = ("complaint_id", "shipment_id", "supplier_id", "share", "basis")
BASES: Final = ("complaint", "order", "inferred")
_EPOCH = np.datetime64("1970-01-01", "D")


def _days(values: pd.Series) -> np.ndarray:
    """Whole days since 1970 (int64); NaT as a very early day."""
    stamps = pd.to_datetime(values).dt.normalize().to_numpy(dtype="datetime64[D]")
    days = (stamps - _EPOCH).astype("int64")
    return np.where(np.isnat(stamps), np.iinfo(np.int64).min // 4, days)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = frame[column].astype("string").str.strip()
    return values.mask(values == "")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "complaint_id": pd.Series(dtype="string"),
            "shipment_id": pd.Series(dtype="string"),
            "supplier_id": pd.Series(dtype="string"),
            "share": pd.Series(dtype="float64"),
            "basis": pd.Series(dtype="string"),
        }
    )


def _recent_lots(
    keys: pd.Series,
    days: np.ndarray,
    lots: pd.DataFrame,
    lot_keys: pd.Series,
    *,
    window: int,
    max_lots: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(item position, lot position) pairs: per item, the ``max_lots`` most recent lots with
    the same key received in (day - window, day]."""
    codes, _ = pd.factorize(pd.concat([lot_keys, keys], ignore_index=True), sort=False)
    lot_code = codes[: len(lot_keys)].astype(np.int64)
    item_code = codes[len(lot_keys) :].astype(np.int64)
    lot_day = _days(lots["received_on"])
    order = np.lexsort((lot_day, lot_code))
    sorted_code, sorted_day = lot_code[order], lot_day[order]
    span = np.int64(1 << 22)  # days fit in 22 bits (until the year 13,400)
    sorted_key = sorted_code * span + sorted_day
    item_ok = (item_code >= 0) & (days > 0)
    item_key = item_code * span + np.clip(days, 0, span - 1)
    last = np.searchsorted(sorted_key, item_key, side="right") - 1
    items, found = [], []
    for back in range(max_lots):
        at = last - back
        inside = item_ok & (at >= 0)
        safe = np.where(inside, at, 0)
        inside &= (sorted_code[safe] == item_code) & (sorted_day[safe] > days - window)
        hit = np.flatnonzero(inside)
        items.append(hit)
        found.append(order[safe[hit]])
    return np.concatenate(items), np.concatenate(found)


def trace_lots(
    complaints: pd.DataFrame,
    orders: pd.DataFrame | None,
    shipments: pd.DataFrame,
    *,
    window_days: int,
    max_lots: int,
) -> pd.DataFrame:
    """Per complaint, its lot(s) with a share (1 when known) and how it was found
    (``basis``: complaint, order or inferred); complaints no rule can place have no row."""
    if complaints.empty or shipments.empty:
        return _empty()
    ids = complaints["complaint_id"].astype("string").to_numpy()
    named_lot = _text(complaints, "shipment_id")
    order_lot, day = _order_lots(complaints, orders)
    has_lot = named_lot.notna().to_numpy()
    direct = has_lot | order_lot.notna().to_numpy()
    direct_rows = _direct_rows(
        ids[direct], named_lot.where(has_lot, order_lot)[direct], has_lot[direct], shipments
    )
    inferred = _inferred_rows(
        complaints, ids, day, np.flatnonzero(~direct), shipments, window_days, max_lots
    )
    traced = pd.concat([direct_rows, inferred], ignore_index=True)
    traced = traced.astype(
        {
            "complaint_id": "string",
            "shipment_id": "string",
            "supplier_id": "string",
            "share": "float64",
            "basis": "string",
        }
    )
    traced = traced.sort_values(
        ["complaint_id", "share", "shipment_id"], ascending=[True, False, True], kind="stable"
    )
    return traced.loc[:, list(TRACE_COLUMNS)].reset_index(drop=True)


def _order_lots(
    complaints: pd.DataFrame, orders: pd.DataFrame | None
) -> tuple[pd.Series, np.ndarray]:
    """Per complaint, the lot its order shipped (NA when unknown) and the day its unit was
    bought (the order's date, else the day the complaint was opened) as day numbers."""
    order_id = _text(complaints, "order_id")
    day = _days(complaints["opened_on"])
    order_lot = pd.Series(pd.NA, index=complaints.index, dtype="string")
    if orders is not None and not orders.empty and order_id.notna().any():
        by_order = orders.drop_duplicates("order_id").set_index(
            orders.drop_duplicates("order_id")["order_id"].astype("string")
        )
        order_lot = order_id.map(by_order["shipment_id"].astype("string")).astype("string")
        order_day = order_id.map(by_order["ordered_on"])
        known = order_day.notna().to_numpy()
        day = np.where(known, _days(order_day.fillna(pd.Timestamp(0))), day)
    return order_lot, day


def _direct_rows(
    ids: np.ndarray, lots: pd.Series, named: np.ndarray, shipments: pd.DataFrame
) -> pd.DataFrame:
    """The complaints whose lot is known (named on the complaint, else from its order): one
    row each, share 1; a lot that is not among the shipments places nothing."""
    lot_index = pd.Index(shipments["shipment_id"].astype("string"))
    positions = lot_index.get_indexer(pd.Index(lots.astype("string")))
    placed = positions >= 0
    return pd.DataFrame(
        {
            "complaint_id": ids[placed],
            "shipment_id": lots.to_numpy()[placed],
            "supplier_id": shipments["supplier_id"].astype("string").to_numpy()[positions[placed]],
            "share": 1.0,
            "basis": np.where(named[placed], BASES[0], BASES[1]),
        }
    )


def _inferred_rows(
    complaints: pd.DataFrame,
    ids: np.ndarray,
    day: np.ndarray,
    rest_at: np.ndarray,
    shipments: pd.DataFrame,
    window_days: int,
    max_lots: int,
) -> pd.DataFrame:
    """The complaints at ``rest_at`` (no known lot): the SKU's lots (of the complaint's
    supplier when it names one) received in the window before the unit was bought, each with
    its share of their units."""
    sku = complaints["sku"].astype("string").to_numpy()[rest_at]
    supplier = _text(complaints, "supplier_id").to_numpy()[rest_at]
    named_supplier = pd.notna(supplier)
    lot_sku = shipments["sku"].astype("string")
    by_supplier = lot_sku + "\x1f" + shipments["supplier_id"].astype("string")
    pairs_items, pairs_lots = [], []
    for subset, keys, lot_keys in (
        (~named_supplier, pd.Series(sku), lot_sku),
        (
            named_supplier,
            pd.Series(sku).astype("string") + "\x1f" + pd.Series(supplier).astype("string"),
            by_supplier,
        ),
    ):
        if not subset.any():
            continue
        chosen = np.flatnonzero(subset)
        item, lot = _recent_lots(
            keys.iloc[chosen].reset_index(drop=True).astype("string"),
            day[rest_at][chosen],
            shipments,
            lot_keys.reset_index(drop=True).astype("string"),
            window=window_days,
            max_lots=max_lots,
        )
        pairs_items.append(rest_at[chosen[item]])
        pairs_lots.append(lot)
    if not pairs_items:
        return _empty()
    item = np.concatenate(pairs_items)
    lot = np.concatenate(pairs_lots)
    inferred = pd.DataFrame(
        {
            "complaint_id": ids[item],
            "shipment_id": shipments["shipment_id"].astype("string").to_numpy()[lot],
            "supplier_id": shipments["supplier_id"].astype("string").to_numpy()[lot],
            "quantity": shipments["quantity"].astype("float64").to_numpy()[lot],
            "basis": BASES[2],
        }
    )
    total = inferred.groupby("complaint_id", sort=False)["quantity"].transform("sum")
    inferred["share"] = inferred["quantity"] / total
    return inferred.drop(columns="quantity")
