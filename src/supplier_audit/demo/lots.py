"""Received lots (shipments) of the demo world and the inspection results QA fed back on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.demo.actors import (
    COUNTERFEIT,
    CURRENCIES,
    DROPSHIP_CHANNEL,
    NEWCOMER,
    BoolArray,
    Catalog,
    FloatArray,
    IntArray,
    Offers,
    Suppliers,
    load_vocabulary,
    string_ids,
)

# GB/T 2828.1 (= ISO 2859-1) general inspection level II, single sampling, normal inspection:
# lot-size upper bounds (Table 1) and the sample size of each code letter A..R (Table 2-A).
_LOT_UPPER: Final = (8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10_000, 35_000, 150_000, 500_000)
_SAMPLE_SIZE: Final = (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250)


@dataclass(frozen=True)
class Lots:
    """The received lots, sorted by received date; index i is shipment_id[i]."""

    shipment_id: pa.Array
    supplier: IntArray
    sku: IntArray
    received_day: IntArray
    quantity: IntArray
    unit_cost_cents: IntArray
    currency: IntArray
    is_import: BoolArray
    dropship: BoolArray
    warehouse: pa.Array
    is_counterfeit: BoolArray

    @property
    def count(self) -> int:
        return len(self.supplier)


def make_lots(
    rng: np.random.Generator,
    suppliers: Suppliers,
    catalog: Catalog,
    offers: Offers,
    *,
    count: int,
    as_of_day: int,
    window_days: int,
) -> Lots:
    """Draw `count` received lots over the window before the as-of date.

    Lot sizes are heavy-tailed (lognormal, clipped to 10..60,000 units); a newcomer delivers one
    to three lots, everyone else at least one and otherwise in proportion to its activity.
    """
    is_new = suppliers.archetype == NEWCOMER
    per_supplier = np.where(is_new, rng.integers(1, 4, suppliers.count), 1).astype(np.int64)
    remaining = count - int(per_supplier.sum())
    if remaining < 0:
        raise ValueError(f"{count} lots are too few for {suppliers.count} suppliers")
    weights = np.where(is_new, 0.0, suppliers.activity)
    per_supplier += rng.multinomial(remaining, weights / weights.sum())
    supplier = np.repeat(np.arange(suppliers.count), per_supplier)
    offer = offers.start[supplier] + (rng.random(count) * offers.size[supplier]).astype(np.int64)

    window_start = as_of_day - window_days
    first_day = np.maximum(window_start, suppliers.onboarded_day[supplier])
    received = first_day + (rng.random(count) * (as_of_day - first_day + 1)).astype(np.int64)

    channel_dropship = suppliers.channel[supplier] == DROPSHIP_CHANNEL
    dropship = np.where(channel_dropship, rng.random(count) < 0.9, rng.random(count) < 0.02)
    quantity = np.exp(rng.normal(np.log(300.0), 1.25, count)) * np.where(dropship, 0.3, 1.0)
    quantity = np.clip(np.rint(quantity), 10, 60_000).astype(np.int64)
    cost = offers.unit_cost[offer] * np.exp(rng.normal(0.0, 0.04, count))
    is_counterfeit = (suppliers.archetype[supplier] == COUNTERFEIT) & (
        rng.random(count) < suppliers.fake_lot_share[supplier]
    )
    warehouses = load_vocabulary()["logistics"]["warehouses"]
    house = rng.integers(0, len(warehouses), count)
    no_house = dropship | (rng.random(count) < 0.08)  # dropship goods never reach a warehouse

    order = np.lexsort((offers.sku[offer], supplier, received))
    sku = offers.sku[offer][order]
    return Lots(
        shipment_id=string_ids("RK", count, width=6),
        supplier=supplier[order],
        sku=sku,
        received_day=received[order],
        quantity=quantity[order],
        unit_cost_cents=np.maximum(np.rint(cost * 100.0), 1).astype(np.int64)[order],
        currency=offers.currency[offer][order],
        is_import=catalog.is_import[sku],
        dropship=dropship[order],
        warehouse=pa.array(warehouses, pa.string()).take(
            pa.array(house[order], mask=no_house[order])
        ),
        is_counterfeit=is_counterfeit[order],
    )


def level_two_sample_size(lot_size: IntArray) -> IntArray:
    """Return the GB/T 2828.1 level II normal single-sampling sample size for each lot size."""
    letter = np.searchsorted(np.asarray(_LOT_UPPER), lot_size, side="left")
    sample = np.minimum(np.asarray(_SAMPLE_SIZE, dtype=np.int64)[letter], lot_size)
    return np.asarray(sample, dtype=np.int64)


SUSPECTED_NOTE = "疑似仿冒，已留样"


def make_inspections(
    rng: np.random.Generator, suppliers: Suppliers, lots: Lots, *, as_of_day: int
) -> pa.Table:
    """Return inspection results for most older lots and few recent ones (typed columns).

    Recent lots (last three weeks) are mostly uninspected, so tonight's plan has work to do;
    dropship lots are rarely inspected, since the merchant never sees those goods.
    """
    lot, days, merged, is_second = _inspected_lots(rng, suppliers, lots, as_of_day)
    logistics = load_vocabulary()["logistics"]
    inspectors = pa.array(logistics["inspectors"], pa.string())
    who = rng.integers(0, len(inspectors), len(lot))
    u = rng.random((len(lot), 2))
    notes, status = _notes_and_status(logistics, lots.is_counterfeit[lot], merged, is_second, u)
    return pa.table(
        {
            "shipment_id": lots.shipment_id.take(pa.array(lot)),
            "inspected_on": pa.array(days.astype(np.int32), pa.date32()),
            "sample_size": pa.array(merged["sample"]),
            "critical_defects": pa.array(merged["critical"]),
            "major_defects": pa.array(merged["major"]),
            "minor_defects": pa.array(merged["minor"]),
            "counterfeit_units": pa.array(merged["counterfeit"]),
            "inspector": inspectors.take(pa.array(who, mask=rng.random(len(lot)) < 0.05)),
            "notes": notes,
            "counterfeit_status": status,
        }
    )


def _inspected_lots(
    rng: np.random.Generator, suppliers: Suppliers, lots: Lots, as_of_day: int
) -> tuple[IntArray, IntArray, dict[str, IntArray], BoolArray]:
    """Which lots were inspected when, with what result, in inspection order; some failed
    lots inspected a second time (QA's self-check after a bad result), marked as such."""
    age = as_of_day - lots.received_day
    chance = np.where(age > 21, 0.75, np.where(age > 7, 0.2, 0.06))
    chance = chance * np.where(lots.dropship, 0.2, 1.0)
    first = np.flatnonzero(rng.random(lots.count) < chance)
    day = np.minimum(lots.received_day[first] + 1 + rng.poisson(2.0, len(first)), as_of_day)
    results = _inspect(rng, suppliers, lots, first)
    # Re-inspect some lots that failed: QA's self-check after a bad result.
    failed = (results["major"] > 0.05 * results["sample"]) | (results["counterfeit"] > 0)
    again = failed & (rng.random(len(first)) < 0.35)
    again_day = day[again] + rng.integers(2, 7, int(again.sum()))
    keep = again_day <= as_of_day
    second = first[again][keep]
    second_results = _inspect(rng, suppliers, lots, second)
    lot = np.concatenate([first, second])
    days = np.concatenate([day, again_day[keep]])
    merged = {k: np.concatenate([results[k], second_results[k]]) for k in results}
    order = np.lexsort((lot, days))
    lot, days = lot[order], days[order]
    merged = {k: v[order] for k, v in merged.items()}
    is_second = np.concatenate([np.zeros(len(first), bool), np.ones(len(second), bool)])[order]

    return lot, days, merged, is_second


def _notes_and_status(
    logistics: dict[str, Any],
    fake_lot: BoolArray,
    merged: dict[str, IntArray],
    is_second: BoolArray,
    u: FloatArray,
) -> tuple[pa.Array, pa.Array]:
    """The inspector's note per result (by what was found; a second inspection says 复检) and
    the status of the units recorded as fake."""
    notes_bank = [
        *logistics["notes_ok"],
        *logistics["notes_defect"],
        *logistics["notes_counterfeit"],
    ]
    n_ok, n_defect = len(logistics["notes_ok"]), len(logistics["notes_defect"])
    n_fake = len(logistics["notes_counterfeit"])
    has_defect = (merged["critical"] + merged["major"]) > 0
    note = np.where(
        merged["counterfeit"] > 0,
        n_ok + n_defect + (u[:, 0] * n_fake).astype(np.int64),
        np.where(
            has_defect,
            n_ok + (u[:, 0] * n_defect).astype(np.int64),
            (u[:, 0] * n_ok).astype(np.int64),
        ),
    )
    # What became of the units recorded as fake (counterfeit_status, written as QA types it):
    # a genuine lot's find is an inspector's error, kept as a sample and still "疑似"
    # (suspected) awaiting the brand owner; a fake lot's is "确认" (confirmed) unless its note
    # says the sample was only kept. Uses no random draw, so the rest of the world is unchanged.
    found = merged["counterfeit"] > 0
    suspect_note = n_ok + n_defect + logistics["notes_counterfeit"].index(SUSPECTED_NOTE)
    note = np.where(found & ~fake_lot, suspect_note, note)
    suspected = found & (note == suspect_note)
    status = pa.array(np.where(found, np.where(suspected, "疑似", "确认"), ""), pa.string())
    status = pc.if_else(pa.array(found), status, pa.nulls(len(found), pa.string()))
    no_note = np.where(merged["counterfeit"] > 0, False, u[:, 1] < np.where(has_defect, 0.4, 0.7))
    notes = pa.array(notes_bank, pa.string()).take(pa.array(note, mask=no_note))
    notes = pc.if_else(
        pa.array(is_second),
        pc.binary_join_element_wise("复检：", pc.fill_null(notes, "复检"), ""),
        notes,
    )
    return notes, status


def _inspect(
    rng: np.random.Generator, suppliers: Suppliers, lots: Lots, lot: IntArray
) -> dict[str, IntArray]:
    """Draw one inspection result per lot index: sample size and binomial defect counts."""
    size = level_two_sample_size(lots.quantity[lot])
    # Some inspectors pull a reduced (level I-like) sample, as busy QA teams do.
    reduced = rng.random(len(lot)) < 0.15
    sample = np.maximum(np.where(reduced, np.ceil(size * 0.4), size), 1).astype(np.int64)
    supplier = lots.supplier[lot]
    fake = lots.is_counterfeit[lot]
    major_rate: FloatArray = suppliers.major_defect_rate[supplier] * np.where(fake, 1.3, 1.0)
    # A genuine unit is very rarely recorded as a fake (an inspector's error: about one per
    # 200,000 units inspected, a handful of false finds across the whole world); real fakes
    # are found now and then.
    fake_rate = np.where(fake, suppliers.counterfeit_unit_rate[supplier], 0.000005)
    return {
        "sample": sample,
        "critical": rng.binomial(sample, major_rate / 10.0).astype(np.int64),
        "major": rng.binomial(sample, major_rate).astype(np.int64),
        "minor": rng.binomial(sample, np.minimum(major_rate * 3.0, 0.5)).astype(np.int64),
        "counterfeit": rng.binomial(sample, fake_rate).astype(np.int64),
    }


def shipments_table(suppliers: Suppliers, catalog: Catalog, lots: Lots) -> pa.Table:
    """Return the shipments input table with typed columns (money as float with 2 decimals)."""
    return pa.table(
        {
            "shipment_id": lots.shipment_id,
            "supplier_id": suppliers.supplier_id.take(pa.array(lots.supplier)),
            "sku": catalog.sku.take(pa.array(lots.sku)),
            "brand": catalog.brand.take(pa.array(lots.sku)),
            "received_on": pa.array(lots.received_day.astype(np.int32), pa.date32()),
            "quantity": pa.array(lots.quantity),
            "unit_cost": pa.array(lots.unit_cost_cents / 100.0),
            "currency": pa.array(CURRENCIES, pa.string()).take(pa.array(lots.currency)),
            "warehouse": lots.warehouse,
            "is_import": pa.array(lots.is_import),
            "dropship": pa.array(lots.dropship),
        }
    )
