"""The complaint desk's side of the demo world: platforms, orders, buyers (a few repeat
complainers), supplier contacts, file references and invoice quantities (some too few).

Kept apart from the other generators so that the desk's additions change no other table's
rows: every draw here comes from its own random stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.contracts.inputs import PLATFORMS
from supplier_audit.demo.actors import Catalog, IntArray, Suppliers
from supplier_audit.demo.lots import Lots

# Where the demo merchant sells (shares of complaints), in PLATFORMS order:
# pinduoduo, taobao, tmall, jd, douyin, amazon, other.
PLATFORM_SHARES: Final = (0.34, 0.24, 0.10, 0.10, 0.16, 0.03, 0.03)
RESPONSE_DAYS: Final = (7, 3, 3, 3, 3, 3, 3)
REPEAT_COMPLAINERS: Final = 6
_SURNAMES: Final = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴")
_TITLES: Final = ("经理", "总", "主管", "小姐", "先生")
_DESCRIPTIONS: Final = {
    "counterfeit": ("收到的货和专柜的不一样，怀疑是假货，要求假一赔十", "logo做工粗糙，是假的吧"),
    "quality": ("用了两天就坏了，质量太差", "有异味，洗了还掉色"),
    "damaged": ("快递到了外包装破损，里面也压坏了", "收到就是坏的"),
    "wrong_item": ("发错货了，颜色不对", "尺码发错"),
    "not_as_described": ("与描述不符，材质不一样", "图片和实物差别很大"),
    "other": ("客服不回复", "发货太慢"),
}


def _day_array(column: pa.ChunkedArray) -> np.ndarray:
    days = pc.cast(column, pa.int32()).to_numpy(zero_copy_only=False)
    return np.asarray(days, dtype=np.int64)


def supplier_contacts(rng: np.random.Generator, table: pa.Table, actors: Suppliers) -> pa.Table:
    """The suppliers table with contact_name, contact_phone, contact_email (90 % known)."""
    n = actors.count
    known = rng.random(n) < 0.9
    surname = rng.integers(0, len(_SURNAMES), n)
    title = rng.integers(0, len(_TITLES), n)
    names = [f"{_SURNAMES[s]}{_TITLES[t]}" for s, t in zip(surname, title, strict=True)]
    phones = [f"13{d:09d}" for d in rng.integers(0, 10**9, n)]
    ids = table.column("supplier_id").to_pylist()
    emails = [f"sales.{str(i).lower()}@example.cn" for i in ids]
    mask = ~known
    return (
        table.append_column("contact_name", pa.array(names, pa.string(), mask=mask))
        .append_column("contact_phone", pa.array(phones, pa.string(), mask=mask))
        .append_column(
            "contact_email", pa.array(emails, pa.string(), mask=mask | (rng.random(n) < 0.3))
        )
    )


def document_files(rng: np.random.Generator, table: pa.Table, lots: Lots) -> pa.Table:
    """The documents table with file_ref (85 % known) and, for invoices naming a lot, the
    units they cover: the lot's quantity, or (one invoice in eight) fewer."""
    n = table.num_rows
    ids = table.column("document_id").to_pylist()
    suppliers = table.column("supplier_id").to_pylist()
    refs = [f"\\\\nas\\凭证\\{s}\\{d}.pdf" for s, d in zip(suppliers, ids, strict=True)]
    ref_known = rng.random(n) < 0.85
    lot_index = {sid: i for i, sid in enumerate(lots.shipment_id.to_pylist())}
    doc_lots = table.column("shipment_id").to_pylist()
    doc_types = np.asarray(table.column("doc_type").to_pylist(), dtype=object)
    quantity = np.zeros(n, dtype=np.int64)
    stated = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(doc_types == "purchase_invoice"):
        at = lot_index.get(doc_lots[i])
        if at is not None:
            quantity[i] = int(lots.quantity[at])
            stated[i] = True
    short = stated & (rng.random(n) < 0.125)
    quantity = np.where(short, np.maximum(1, (quantity * rng.uniform(0.3, 0.8, n))), quantity)
    return table.append_column(
        "file_ref", pa.array(refs, pa.string(), mask=~ref_known)
    ).append_column("quantity", pa.array(quantity.astype(np.int64), pa.int64(), mask=~stated))


def complaint_desk_columns(
    rng: np.random.Generator,
    complaints: pa.Table,
    catalog: Catalog,
    lots: Lots,
    *,
    as_of_day: int,
) -> tuple[pa.Table, pa.Table]:
    """(complaints with platform, order_id, buyer_id, due_on, description; the orders table).

    Every complaint with an order gets one (ordered a few days before the complaint); half of
    the orders name the lot the unit was picked from (the complaint's lot when it names one,
    else the SKU's latest lot received before the order). A few buyers complain again and
    again (their earlier complaints rejected or withdrawn) and order the same SKU
    repeatedly. The orders table is the export of those orders only (a shop's after-sales
    export), so most lots' sales are unknown and their received quantity stands in.
    """
    n = complaints.num_rows
    platform = rng.choice(len(PLATFORMS), size=n, p=np.asarray(PLATFORM_SHARES))
    opened = _day_array(complaints.column("opened_on"))
    status = np.asarray(complaints.column("status").to_pylist(), dtype=object)
    kinds = np.asarray(complaints.column("complaint_type").to_pylist(), dtype=object)
    skus = np.asarray(complaints.column("sku").to_pylist(), dtype=object)
    buyers = _buyers(rng, opened, status, kinds, skus)

    has_order = rng.random(n) < 0.7
    order_ids = np.asarray([f"PO{v:018d}" for v in rng.integers(10**15, 10**17, n)], dtype=object)
    ordered = np.minimum(opened - rng.integers(1, 10, n), as_of_day)
    names_lot = has_order & (rng.random(n) < 0.5)
    order_lot = _order_lots(
        complaints.column("shipment_id").to_pylist(), skus, ordered, names_lot, catalog, lots
    )

    # Due dates: about a third of the open tickets carry the platform's own deadline.
    window = np.asarray(RESPONSE_DAYS)[platform]
    own_due = (status == "open") & (rng.random(n) < 0.35)
    due = opened + window + rng.integers(-1, 2, n)
    descriptions, described = _descriptions(rng, kinds)

    table = (
        complaints.append_column(
            "platform", pa.array(PLATFORMS, pa.string()).take(pa.array(platform))
        )
        .append_column("order_id", pa.array(order_ids.tolist(), pa.string(), mask=~has_order))
        .append_column("buyer_id", pa.array(buyers.buyer.tolist(), pa.string(), mask=~buyers.known))
        .append_column("due_on", pa.array(due.astype(np.int32), pa.date32(), mask=~own_due))
        .append_column("description", pa.array(descriptions, pa.string(), mask=~described))
    )
    orders = _orders_table(
        rng,
        {
            "order_id": [str(v) for v in order_ids[has_order]],
            "sku": [str(v) for v in skus[has_order]],
            "ordered_on": [int(v) for v in ordered[has_order]],
            "shipment_id": [lot for lot, h in zip(order_lot, has_order, strict=True) if h],
            "buyer_id": [
                str(b) if known else None
                for b, known in zip(buyers.buyer[has_order], buyers.known[has_order], strict=True)
            ],
            "platform": [PLATFORMS[p] for p in platform[has_order]],
        },
        buyers.repeat_orders,
    )
    return table, orders


@dataclass(frozen=True)
class _Buyers:
    """Who filed each complaint (masked where ``known`` is false) and the repeat buyers'
    repeated orders (buyer, sku, day)."""

    buyer: npt.NDArray[np.object_]
    known: npt.NDArray[np.bool_]
    repeat_orders: list[tuple[str, str, int]]


def _buyers(
    rng: np.random.Generator,
    opened: IntArray,
    status: npt.NDArray[np.object_],
    kinds: npt.NDArray[np.object_],
    skus: npt.NDArray[np.object_],
) -> _Buyers:
    """A buyer per complaint; repeat complainers each take over an open counterfeit complaint
    and a few earlier dismissed ones (rejected or withdrawn), on any SKU."""
    n = len(opened)
    buyer = np.asarray([f"tb{v:08d}" for v in rng.integers(0, 10**8, n)], dtype=object)
    open_fakes = np.flatnonzero((status == "open") & (kinds == "counterfeit"))
    dismissed = np.flatnonzero(np.isin(status, ["rejected", "withdrawn"]))
    repeat_orders: list[tuple[str, str, int]] = []
    for k, at in enumerate(rng.choice(open_fakes, size=min(REPEAT_COMPLAINERS, len(open_fakes)),
                                      replace=False)):  # fmt: skip
        name = f"pro_buyer_{k + 1:02d}"
        earlier = dismissed[opened[dismissed] < opened[at]]
        chosen = rng.choice(earlier, size=min(len(earlier), int(rng.integers(2, 5))), replace=False)
        buyer[at] = name
        buyer[chosen] = name
        for times in range(int(rng.integers(2, 5))):
            repeat_orders.append((name, str(skus[at]), int(opened[at]) - 3 - 5 * times))
    known = rng.random(n) < 0.85
    known[np.isin(buyer, [f"pro_buyer_{k + 1:02d}" for k in range(REPEAT_COMPLAINERS)])] = True
    return _Buyers(buyer=buyer, known=known, repeat_orders=repeat_orders)


def _order_lots(
    named_lots: list[str | None],
    skus: npt.NDArray[np.object_],
    ordered: IntArray,
    names_lot: npt.NDArray[np.bool_],
    catalog: Catalog,
    lots: Lots,
) -> list[str | None]:
    """The lot each order names where it names one: the complaint's lot when it has one, else
    the SKU's latest lot received by the order's day."""
    sku_index = {s: i for i, s in enumerate(catalog.sku.to_pylist())}
    lot_ids = lots.shipment_id.to_pylist()
    order_of_lots = np.lexsort((lots.received_day, lots.sku))
    sorted_sku = lots.sku[order_of_lots]
    sorted_day = lots.received_day[order_of_lots]
    order_lot: list[str | None] = []
    for i in range(len(skus)):  # demo-sized (about a thousand complaints)
        if not names_lot[i]:
            order_lot.append(None)
            continue
        if named_lots[i] is not None:
            order_lot.append(named_lots[i])
            continue
        code = sku_index[str(skus[i])]
        lo = np.searchsorted(sorted_sku, code, side="left")
        hi = np.searchsorted(sorted_sku, code, side="right")
        last = lo + np.searchsorted(sorted_day[lo:hi], ordered[i], side="right") - 1
        order_lot.append(lot_ids[order_of_lots[last]] if last >= lo else None)
    return order_lot


def _descriptions(
    rng: np.random.Generator, kinds: npt.NDArray[np.object_]
) -> tuple[list[str], npt.NDArray[np.bool_]]:
    """A buyer's words per complaint (a few with a phone number), and which are filled in."""
    n = len(kinds)
    pick = rng.integers(0, 2, n)
    descriptions = [_DESCRIPTIONS[str(k)][p] for k, p in zip(kinds, pick, strict=True)]
    with_phone = rng.random(n) < 0.05
    descriptions = [
        d + f"，联系我 139{int(v):08d}" if w else d
        for d, v, w in zip(descriptions, rng.integers(0, 10**8, n), with_phone, strict=True)
    ]
    return descriptions, rng.random(n) < 0.8


def _orders_table(
    rng: np.random.Generator,
    rows: dict[str, list[Any]],
    repeat_orders: list[tuple[str, str, int]],
) -> pa.Table:
    """The orders: one per complaint that has one, and the repeat buyers' repeated orders,
    ordered by day and id."""
    for k, (name, sku, day) in enumerate(repeat_orders):
        rows["order_id"].append(f"PR{k + 1:08d}")
        rows["sku"].append(sku)
        rows["ordered_on"].append(max(day, 0))
        rows["shipment_id"].append(None)
        rows["buyer_id"].append(name)
        rows["platform"].append("pinduoduo")
    quantity = np.where(rng.random(len(rows["order_id"])) < 0.1, 2, 1)
    orders = pa.table(
        {
            "order_id": pa.array(rows["order_id"], pa.string()),
            "sku": pa.array(rows["sku"], pa.string()),
            "ordered_on": pa.array(np.asarray(rows["ordered_on"], dtype=np.int32), pa.date32()),
            "quantity": pa.array(quantity.astype(np.int64)),
            "shipment_id": pa.array(rows["shipment_id"], pa.string()),
            "buyer_id": pa.array(rows["buyer_id"], pa.string()),
            "platform": pa.array(rows["platform"], pa.string()),
        }
    )
    order = np.lexsort((np.asarray(rows["order_id"], dtype=object), np.asarray(rows["ordered_on"])))
    return orders.take(pa.array(order))
