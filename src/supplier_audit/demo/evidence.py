"""Authenticity documents on file and buyer complaints of the demo world."""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa

from supplier_audit.contracts.inputs import COMPLAINT_STATUSES, COMPLAINT_TYPES, DOC_TYPES
from supplier_audit.demo.actors import (
    CNY_PER_UNIT,
    COUNTERFEIT,
    CURRENCIES,
    MALICIOUS_TARGET,
    MARKETPLACE_CHANNEL,
    OTHER_CHANNEL,
    SLOPPY,
    Catalog,
    FloatArray,
    IntArray,
    Offers,
    Suppliers,
    categorical,
    string_ids,
)
from supplier_audit.demo.lots import Lots

_NONE: Final = -1


def _doc_part(
    doc_type: str,
    supplier: IntArray,
    issued: IntArray,
    *,
    valid_until: IntArray | None = None,
    brand: IntArray | None = None,
    sku: IntArray | None = None,
    lot: IntArray | None = None,
) -> dict[str, IntArray]:
    n = len(supplier)
    none = np.full(n, _NONE, dtype=np.int64)
    return {
        "doc_type": np.full(n, DOC_TYPES.index(doc_type), dtype=np.int64),
        "supplier": supplier.astype(np.int64),
        "issued": issued.astype(np.int64),
        "valid_until": none if valid_until is None else valid_until.astype(np.int64),
        "brand": none if brand is None else brand.astype(np.int64),
        "sku": none if sku is None else sku.astype(np.int64),
        "lot": none if lot is None else lot.astype(np.int64),
    }


def make_documents(
    rng: np.random.Generator,
    suppliers: Suppliers,
    catalog: Catalog,
    offers: Offers,
    lots: Lots,
    *,
    as_of_day: int,
    window_days: int,
) -> pa.Table:
    """Return the documents table: honest suppliers mostly documented, counterfeit sources not.

    Some honest authorizations lapse inside the window, and some contracts carry no end date
    (they count for 365 days from issue), so gaps appear for honest suppliers too.
    """
    start = as_of_day - window_days
    parts = [
        _authorizations(rng, suppliers, catalog, offers, start, as_of_day, window_days),
        *_lot_papers(rng, suppliers, lots),
        *_supplier_papers(rng, suppliers, offers, start),
    ]
    return _documents_table(parts, suppliers, catalog, lots)


def _authorizations(
    rng: np.random.Generator,
    suppliers: Suppliers,
    catalog: Catalog,
    offers: Offers,
    start: int,
    as_of_day: int,
    window_days: int,
) -> dict[str, IntArray]:
    """Brand authorizations per (supplier, brand) offered, some lapsing inside the window."""
    fake_source = suppliers.archetype == COUNTERFEIT
    offer_brand = catalog.brand_index[offers.sku]
    branded = offer_brand >= 0
    brands = int(catalog.brand_index.max()) + 1
    owner, brand = np.divmod(
        np.unique(offers.supplier[branded] * brands + offer_brand[branded]), brands
    )
    has = rng.random(len(owner)) < suppliers.auth_coverage[owner]
    owner, brand = owner[has], brand[has]
    n = len(owner)
    issued = start - rng.integers(30, 700, n)
    lapsed = rng.random(n) < np.where(fake_source[owner], 0.3, 0.12)
    valid = np.where(
        lapsed,
        start + rng.integers(10, max(window_days - 10, 11), n),
        as_of_day + rng.integers(30, 700, n),
    )
    return _doc_part("brand_authorization", owner, issued, valid_until=valid, brand=brand)


def _lot_papers(
    rng: np.random.Generator, suppliers: Suppliers, lots: Lots
) -> list[dict[str, IntArray]]:
    """Papers of single lots: invoices, delivery notes, customs declarations for imports,
    platform order records and retail receipts from marketplace and small shops."""
    fake_source = suppliers.archetype == COUNTERFEIT
    lot_supplier = lots.supplier
    marketplace = suppliers.channel[lot_supplier] == MARKETPLACE_CHANNEL
    invoice = rng.random(lots.count) < (
        suppliers.invoice_coverage[lot_supplier] * np.where(marketplace, 0.5, 1.0)
    )
    idx = np.flatnonzero(invoice)
    parts = [
        _doc_part(
            "purchase_invoice",
            lot_supplier[idx],
            lots.received_day[idx] - rng.integers(0, 6, len(idx)),
            sku=lots.sku[idx],
            lot=idx,
        )
    ]
    idx = np.flatnonzero(rng.random(lots.count) < np.where(fake_source[lot_supplier], 0.3, 0.4))
    parts.append(_doc_part("delivery_note", lot_supplier[idx], lots.received_day[idx], lot=idx))
    idx = np.flatnonzero(
        lots.is_import & (rng.random(lots.count) < np.where(fake_source[lot_supplier], 0.2, 0.9))
    )
    parts.append(
        _doc_part(
            "customs_declaration",
            lot_supplier[idx],
            lots.received_day[idx] - rng.integers(5, 30, len(idx)),
            sku=lots.sku[idx],
            lot=idx,
        )
    )
    idx = np.flatnonzero(marketplace & (rng.random(lots.count) < 0.6))
    parts.append(
        _doc_part("platform_order_record", lot_supplier[idx], lots.received_day[idx], lot=idx)
    )
    small_shop = marketplace | (suppliers.channel[lot_supplier] == OTHER_CHANNEL)
    idx = np.flatnonzero(small_shop & (rng.random(lots.count) < 0.1))
    parts.append(_doc_part("retail_receipt", lot_supplier[idx], lots.received_day[idx], lot=idx))
    return parts


def _supplier_papers(
    rng: np.random.Generator, suppliers: Suppliers, offers: Offers, start: int
) -> list[dict[str, IntArray]]:
    """Purchase contracts per supplier (some open-ended) and test reports per offered SKU."""
    archetype = suppliers.archetype
    who = np.flatnonzero(
        rng.random(suppliers.count) < np.where(archetype == COUNTERFEIT, 0.25, 0.7)
    )
    issued = start - rng.integers(0, 200, len(who))
    open_ended = rng.random(len(who)) < 0.4
    contracts = _doc_part(
        "purchase_contract", who, issued, valid_until=np.where(open_ended, _NONE, issued + 730)
    )
    chance = np.select(
        [archetype[offers.supplier] == COUNTERFEIT, archetype[offers.supplier] == SLOPPY],
        [0.1, 0.25],
        0.35,
    )
    idx = np.flatnonzero(rng.random(len(offers.sku)) < chance)
    issued = start - rng.integers(0, 300, len(idx))
    reports = _doc_part(
        "test_report", offers.supplier[idx], issued, valid_until=issued + 365, sku=offers.sku[idx]
    )
    return [contracts, reports]


def _documents_table(
    parts: list[dict[str, IntArray]], suppliers: Suppliers, catalog: Catalog, lots: Lots
) -> pa.Table:
    """The parts as one documents table, in a stable order, each with its id."""
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort(
        (
            cols["lot"],
            cols["sku"],
            cols["brand"],
            cols["doc_type"],
            cols["supplier"],
            cols["issued"],
        )
    )
    cols = {k: v[order] for k, v in cols.items()}
    return pa.table(
        {
            "document_id": string_ids("DOC", len(order), width=6),
            "supplier_id": suppliers.supplier_id.take(pa.array(cols["supplier"])),
            "doc_type": pa.array(DOC_TYPES, pa.string()).take(pa.array(cols["doc_type"])),
            "brand": catalog.brand_names.take(_masked(cols["brand"])),
            "sku": catalog.sku.take(_masked(cols["sku"])),
            "shipment_id": lots.shipment_id.take(_masked(cols["lot"])),
            "issued_on": pa.array(cols["issued"].astype(np.int32), pa.date32()),
            "valid_until": pa.array(
                cols["valid_until"].astype(np.int32), pa.date32(), mask=cols["valid_until"] == _NONE
            ),
        }
    )


def _masked(index: IntArray) -> pa.Array:
    return pa.array(np.maximum(index, 0), mask=index == _NONE)


# Complaints per expected review of a lot, by complaint type.
_TYPE_RATE: Final = {
    "damaged": 0.006,
    "wrong_item": 0.004,
    "not_as_described": 0.004,
    "other": 0.002,
}
# Outcome mix in COMPLAINT_STATUSES order: open, upheld, rejected, withdrawn, settled.
_OUTCOMES: Final = {
    "fake_confirmed": (0.08, 0.55, 0.10, 0.12, 0.15),
    "fake_mistaken": (0.08, 0.03, 0.50, 0.30, 0.09),
    "malicious": (0.08, 0.00, 0.57, 0.35, 0.00),
    "ordinary": (0.10, 0.40, 0.15, 0.10, 0.25),
}


def _complained_lots(
    rng: np.random.Generator, suppliers: Suppliers, lots: Lots, lot_reviews: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Per complaint: its lot, its type and its kind (0 a confirmed fake, 1 a mistaken
    counterfeit complaint, 2 a malicious one, 3 any other), by rates per expected review."""
    exposure = lot_reviews.astype(np.float64) + 0.5
    supplier = lots.supplier
    fake = lots.is_counterfeit
    rates = {
        "counterfeit": np.where(fake, 0.06, 0.002),
        "quality": suppliers.quality_review_rate[supplier] * 0.12,
        **{k: np.full(lots.count, v) for k, v in _TYPE_RATE.items()},
    }
    rates["not_as_described"] = rates["not_as_described"] + np.where(fake, 0.01, 0.0)
    lot_parts, type_parts, kind_parts = [], [], []
    for complaint_type, rate in rates.items():
        per_lot = rng.poisson(rate * exposure)
        lot = np.repeat(np.arange(lots.count), per_lot)
        lot_parts.append(lot)
        type_parts.append(np.full(len(lot), COMPLAINT_TYPES.index(complaint_type)))
        if complaint_type == "counterfeit":
            kind_parts.append(np.where(fake[lot], 0, 1))
        else:
            kind_parts.append(np.full(len(lot), 3))
    targets = np.flatnonzero(suppliers.archetype == MALICIOUS_TARGET)
    for s in targets:  # a handful of suppliers, not rows
        own = np.flatnonzero(supplier == s)
        lot = rng.choice(own, size=int(suppliers.malicious_complaints[s]))
        lot_parts.append(lot)
        type_parts.append(np.full(len(lot), COMPLAINT_TYPES.index("counterfeit")))
        kind_parts.append(np.full(len(lot), 2))
    return (
        np.concatenate(lot_parts).astype(np.int64),
        np.concatenate(type_parts).astype(np.int64),
        np.concatenate(kind_parts).astype(np.int64),
    )


def _outcomes(
    rng: np.random.Generator, received: IntArray, kind: IntArray, as_of_day: int
) -> tuple[IntArray, IntArray, IntArray]:
    """When each complaint was opened (by the as-of day), its status (0 open, recent ones
    mostly so) by the kind's outcome mix, and when it was closed."""
    n = len(received)
    opened = received + 3 + rng.poisson(18.0, n)
    late = opened > as_of_day
    opened = np.where(
        late, received + (rng.random(n) * (as_of_day - received + 1)).astype(int), opened
    ).astype(np.int64)
    mixes = np.array(list(_OUTCOMES.values()))
    status = categorical(rng, mixes[kind])
    recent = (as_of_day - opened < 5) & (rng.random(n) < 0.8)
    closed = opened + 1 + rng.poisson(8.0, n)
    status = np.where(recent | (closed > as_of_day), 0, status)
    return opened, status, closed


def _compensation(
    rng: np.random.Generator, lots: Lots, lot: IntArray, ctype: IntArray, status: IntArray
) -> FloatArray:
    """What the shop paid (CNY): ten-fold for an upheld counterfeit complaint (假一赔十), part
    of the price for another upheld or a settled one, nothing otherwise (NaN)."""
    n = len(lot)
    to_cny = np.asarray([CNY_PER_UNIT[c] for c in CURRENCIES])[lots.currency[lot]]
    retail = lots.unit_cost_cents[lot] / 100.0 * to_cny * 2.0 * np.exp(rng.normal(0.0, 0.2, n))
    units = np.where(rng.random(n) < 0.15, 2, 1)
    upheld = status == COMPLAINT_STATUSES.index("upheld")
    settled = status == COMPLAINT_STATUSES.index("settled")
    is_cf = ctype == COMPLAINT_TYPES.index("counterfeit")
    return np.select(
        [upheld & is_cf, upheld, settled],
        [
            10.0 * retail * units,
            retail * units * rng.uniform(0.3, 1.0, n),
            retail * rng.uniform(0.2, 1.0, n),
        ],
        np.nan,
    )


def make_complaints(
    rng: np.random.Generator,
    suppliers: Suppliers,
    catalog: Catalog,
    lots: Lots,
    *,
    lot_reviews: IntArray,
    as_of_day: int,
) -> pa.Table:
    """Return complaints, upheld counterfeit ones paid ten-fold (假一赔十).

    Malicious complaints (恶意投诉) hit the malicious-target suppliers and end rejected or
    withdrawn; honest suppliers also get the occasional mistaken counterfeit complaint.
    """
    lot, ctype, kind = _complained_lots(rng, suppliers, lots, lot_reviews)
    n = len(lot)
    opened, status, closed = _outcomes(rng, lots.received_day[lot], kind, as_of_day)
    is_open = status == 0
    compensation = _compensation(rng, lots, lot, ctype, status)
    known_lot = rng.random(n) < 0.35
    known_supplier = np.where(known_lot, rng.random(n) < 0.7, rng.random(n) < 0.5)

    order = np.lexsort((ctype, lot, opened))
    lot, opened, ctype, status = lot[order], opened[order], ctype[order], status[order]
    compensation, closed, is_open = compensation[order], closed[order], is_open[order]
    known_lot, known_supplier = known_lot[order], known_supplier[order]
    return pa.table(
        {
            "complaint_id": string_ids("TS", n, width=6),
            "sku": catalog.sku.take(pa.array(lots.sku[lot])),
            "opened_on": pa.array(opened.astype(np.int32), pa.date32()),
            "complaint_type": pa.array(COMPLAINT_TYPES, pa.string()).take(pa.array(ctype)),
            "status": pa.array(COMPLAINT_STATUSES, pa.string()).take(pa.array(status)),
            "supplier_id": suppliers.supplier_id.take(
                pa.array(lots.supplier[lot], mask=~known_supplier)
            ),
            "shipment_id": lots.shipment_id.take(pa.array(lot, mask=~known_lot)),
            "compensation": pa.array(np.round(compensation, 2), mask=np.isnan(compensation)),
            "closed_on": pa.array(closed.astype(np.int32), pa.date32(), mask=is_open),
        }
    )
