"""Realistic input problems planted into the demo tables, and the record of what was planted.

Two kinds: values as merchants type them, which ingestion must accept (2026/11/3, 2026年11月3日,
"1,200", 是/否, Y/N, channel 代发), and a handful of bad rows it must quarantine (a duplicate
shipment id, an unknown supplier, a lot received after the as-of date, a negative quantity, an
ambiguous 03/11/2026, a rating of 0). Tables touched by the first kind are rendered as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.demo.output import render_table

ACCEPTED: Final = "accepted"
QUARANTINED: Final = "quarantined"
PROBLEM_COLUMNS: Final = ("table", "id", "column", "problem", "expected")

ObjectArray = npt.NDArray[np.object_]


@dataclass
class PlantedProblems:
    """The running record of planted problems: one row per (table, id, column)."""

    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def add(self, table: str, row_id: str, column: str, problem: str, expected: str) -> None:
        self.rows.append((table, row_id, column, problem, expected))

    def table(self) -> pa.Table:
        ordered = sorted(self.rows)
        return pa.table(
            {
                name: pa.array([r[i] for r in ordered], pa.string())
                for i, name in enumerate(PROBLEM_COLUMNS)
            }
        )


def _few(
    rng: np.random.Generator, candidates: npt.NDArray[np.int64], share: float, *, at_least: int = 1
) -> npt.NDArray[np.int64]:
    count = min(len(candidates), max(at_least, round(share * len(candidates))))
    return np.sort(rng.choice(candidates, size=count, replace=False)) if count else candidates[:0]


def _merchant_date(iso: str, style: int) -> str:
    day = date.fromisoformat(iso)
    return (
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}.{day.month}.{day.day}",
    )[style % 3]


def _column(table: pa.Table, name: str) -> ObjectArray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=object)


def mess_suppliers(rng: np.random.Generator, table: pa.Table, record: PlantedProblems) -> pa.Table:
    """Type 代发 for some dropship channels and Chinese dates for a few onboarding dates."""
    text = render_table(table)
    ids, channel, onboarded = (
        _column(text, "supplier_id"),
        _column(text, "channel"),
        _column(text, "onboarded_on"),
    )
    for i in _few(rng, np.flatnonzero(channel == "dropship"), 0.3):
        channel[i] = "代发"
        record.add("suppliers", ids[i], "channel", "channel typed as 代发", ACCEPTED)
    known = np.asarray(pc.is_valid(text.column("onboarded_on")).to_numpy(zero_copy_only=False))
    for i in _few(rng, np.flatnonzero(known), 0.01):
        onboarded[i] = _merchant_date(onboarded[i], 1)
        record.add("suppliers", ids[i], "onboarded_on", f"date typed as {onboarded[i]}", ACCEPTED)
    text = text.set_column(
        text.schema.get_field_index("channel"), "channel", pa.array(channel, pa.string())
    )
    return text.set_column(
        text.schema.get_field_index("onboarded_on"),
        "onboarded_on",
        pa.array(onboarded, pa.string()),
    )


def mess_shipments(
    rng: np.random.Generator,
    table: pa.Table,
    record: PlantedProblems,
    *,
    as_of: date,
    unknown_supplier: str,
) -> pa.Table:
    """Plant merchant-typed dates, quantities and booleans, then insert five bad rows."""
    text = render_table(table)
    cols = {name: _column(text, name) for name in text.column_names}
    rows = np.arange(text.num_rows)
    _type_like_merchants(rng, cols, table.column("quantity").to_numpy(), record)
    extra = _bad_shipment_rows(
        rng, cols, table, record, as_of=as_of, unknown_supplier=unknown_supplier
    )
    # Interleave: an extra row at position p goes just before original row p.
    keys = np.concatenate([2 * rows + 1, 2 * np.array([p for p, _ in extra])])
    order = np.argsort(keys, kind="stable")
    merged = {
        name: np.concatenate([cols[name], np.array([r[name] for _, r in extra], dtype=object)])
        for name in cols
    }
    return pa.table({name: pa.array(merged[name][order], pa.string()) for name in cols})


def _type_like_merchants(
    rng: np.random.Generator,
    cols: dict[str, ObjectArray],
    quantity: npt.NDArray[np.int64],
    record: PlantedProblems,
) -> None:
    """Dates, thousands separators and booleans typed as merchants do, in place."""
    ids = cols["shipment_id"]
    rows = np.arange(len(ids))
    for k, i in enumerate(_few(rng, rows, 0.002, at_least=2)):
        cols["received_on"][i] = _merchant_date(cols["received_on"][i], k)
        record.add(
            "shipments", ids[i], "received_on", f"date typed as {cols['received_on'][i]}", ACCEPTED
        )
    big = np.flatnonzero(quantity >= 1000)
    for i in _few(rng, big, 0.01):
        cols["quantity"][i] = f"{int(cols['quantity'][i]):,}"
        record.add(
            "shipments", ids[i], "quantity", f"thousands separator {cols['quantity'][i]}", ACCEPTED
        )
    for name, forms in (("is_import", ("是", "否")), ("dropship", ("Y", "N"))):
        for i in _few(rng, rows, 0.0005):
            cols[name][i] = forms[0] if cols[name][i] == "true" else forms[1]
            record.add("shipments", ids[i], name, f"boolean typed as {cols[name][i]}", ACCEPTED)


def _bad_shipment_rows(
    rng: np.random.Generator,
    cols: dict[str, ObjectArray],
    table: pa.Table,
    record: PlantedProblems,
    *,
    as_of: date,
    unknown_supplier: str,
) -> list[tuple[int, dict[str, object]]]:
    """Five bad rows, each a copy of a random lot with one thing wrong, with the position
    each goes before. Fresh ids are never referenced by reviews, documents or inspections,
    so nothing else cascades."""
    ids = cols["shipment_id"]
    n = len(ids)
    width = len(ids[0]) - 2 if n else 6
    extra: list[tuple[int, dict[str, object]]] = []
    source = rng.integers(0, max(n, 1), 5)

    def copy(i: int, **changes: object) -> dict[str, object]:
        row = {name: cols[name][i] for name in cols}
        row.update(changes)
        return row

    duplicate = int(source[0])
    extra.append(
        (
            int(rng.integers(duplicate + 1, n + 1)),
            copy(duplicate, quantity=str(int(table.column("quantity")[duplicate].as_py()) + 10)),
        )
    )
    record.add(
        "shipments",
        ids[duplicate],
        "shipment_id",
        "duplicate shipment_id (the later row)",
        QUARANTINED,
    )
    fresh = [f"RK{n + k:0{width}d}" for k in range(1, 5)]
    late = (as_of + timedelta(days=3)).isoformat()
    bad = (
        ("supplier_id", unknown_supplier, f"unknown supplier {unknown_supplier}"),
        ("received_on", late, f"received_on {late} after the as-of date"),
        ("quantity", "-40", "negative quantity -40"),
        ("received_on", "03/11/2026", "ambiguous date 03/11/2026 (day/month order unknown)"),
    )
    for k, (column, value, problem) in enumerate(bad):
        extra.append(
            (
                int(rng.integers(0, n + 1)),
                copy(int(source[k + 1]), shipment_id=fresh[k], **{column: value}),
            )
        )
        record.add("shipments", fresh[k], column, problem, QUARANTINED)

    return extra


def mess_documents(rng: np.random.Generator, table: pa.Table, record: PlantedProblems) -> pa.Table:
    """Type a few issue dates the way merchants do (2026/1/5)."""
    text = render_table(table)
    ids, issued = _column(text, "document_id"), _column(text, "issued_on")
    for i in _few(rng, np.arange(text.num_rows), 0.002):
        issued[i] = _merchant_date(issued[i], 0)
        record.add("documents", ids[i], "issued_on", f"date typed as {issued[i]}", ACCEPTED)
    return text.set_column(
        text.schema.get_field_index("issued_on"), "issued_on", pa.array(issued, pa.string())
    )


def mess_reviews(rng: np.random.Generator, chunk: pa.Table, record: PlantedProblems) -> pa.Table:
    """Give one rated review a rating of 0 (outside 1-5)."""
    rating = chunk.column("rating")
    rated = np.flatnonzero(pc.is_valid(rating).to_numpy(zero_copy_only=False))
    if len(rated) == 0:
        return chunk
    i = int(rng.choice(rated))
    values = np.array(pc.fill_null(rating, 0).to_numpy(), dtype=np.int64)
    values[i] = 0
    mask = np.asarray(pc.is_null(rating).to_numpy(zero_copy_only=False), dtype=bool)
    record.add(
        "reviews",
        chunk.column("review_id")[i].as_py(),
        "rating",
        "rating 0 (outside 1-5)",
        QUARANTINED,
    )
    return chunk.set_column(
        chunk.schema.get_field_index("rating"), "rating", pa.array(values, mask=mask)
    )
