"""Buyer reviews of the demo world: who reviews which lot when, and what they write."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.demo.actors import (
    NEWCOMER,
    BoolArray,
    Catalog,
    IntArray,
    Suppliers,
    string_ids,
)
from supplier_audit.demo.category_voice import VoicedReviews, load_category_bank, speak_category
from supplier_audit.demo.lots import Lots
from supplier_audit.demo.phrases import (
    CLAUSES,
    COUNTERFEIT,
    LANGUAGES,
    LOGISTICS,
    NEGATION,
    NEUTRAL,
    PRAISE,
    QUALITY,
    draw_clauses,
    join_reviews,
)

_DAY: Final = 86_400
CATEGORY_REVIEWS_SCHEMA: Final = pa.schema(
    [
        ("review_id", pa.string()),
        ("sku", pa.string()),
        ("category", pa.string()),
        ("language", pa.string()),
        ("clause", pa.string()),
        ("quality_issue", pa.bool_()),
        ("counterfeit_suspect", pa.bool_()),
    ]
)
_ENGLISH_SHARE: Final = 0.12
_STOCK_TEXT_SHARE: Final = 0.04
# Share of reviews where the merchant tracked the lot (and so the supplier), or the supplier only.
_TRACKED_LOT: Final = 0.35
_TRACKED_SUPPLIER: Final = 0.15


def allocate_reviews(
    rng: np.random.Generator, lots: Lots, *, count: int, as_of_day: int
) -> IntArray:
    """Return how many reviews each lot gets: more for big lots, fewer for lots just received."""
    age = as_of_day - lots.received_day
    weight = lots.quantity.astype(np.float64) ** 0.6 * np.minimum(1.0, (age + 1) / 30.0)
    return np.asarray(rng.multinomial(count, weight / weight.sum()), dtype=np.int64)


@dataclass(frozen=True)
class ReviewPlan:
    """Every review's lot and time, sorted by time; texts are composed chunk by chunk."""

    lot: IntArray
    created_second: IntArray  # seconds since 1970-01-01, local time

    @property
    def count(self) -> int:
        return len(self.lot)


def plan_reviews(
    rng: np.random.Generator, lots: Lots, lot_reviews: IntArray, *, as_of_day: int
) -> ReviewPlan:
    """Place each review at least half a day after its lot arrived, and by the end of as-of day.

    Most reviews come within weeks of receipt (a Beta(1.2, 3) share of the time available,
    capped at 90 days), so the last lots of the window have few reviews yet.
    """
    lot = np.repeat(np.arange(lots.count), lot_reviews)
    received = lots.received_day[lot] * _DAY
    available = np.minimum((as_of_day + 1) * _DAY - 1 - received, 90 * _DAY)
    earliest = _DAY // 2
    delay = earliest + rng.beta(1.2, 3.0, len(lot)) * (available - earliest)
    created = received + delay.astype(np.int64)
    order = np.lexsort((lot, created))
    return ReviewPlan(lot=lot[order], created_second=created[order])


@dataclass
class CategoryReviewsTruth:
    """The running record of reviews said in their product's own vocabulary, with their labels
    by REVIEW_LABELS.md (demo/category_voice.py): one table per chunk of reviews."""

    chunks: list[pa.Table] = field(default_factory=list)

    def add(
        self,
        review_id: pa.Array,
        sku: pa.Array,
        category: IntArray,
        english: BoolArray,
        spoken: VoicedReviews,
    ) -> None:
        rows = np.flatnonzero(spoken.voiced)
        codes = np.array(load_category_bank().codes, dtype=object)
        self.chunks.append(
            pa.table(
                {
                    "review_id": review_id.take(pa.array(rows)),
                    "sku": sku.take(pa.array(rows)),
                    "category": pa.array(codes[category[rows]], pa.string()),
                    "language": pa.array(np.array(LANGUAGES)[english[rows].astype(int)]),
                    "clause": pa.array(np.array(CLAUSES)[spoken.worst_clause[rows]]),
                    "quality_issue": pa.array(spoken.quality_issue[rows]),
                    "counterfeit_suspect": pa.array(spoken.counterfeit_suspect[rows]),
                },
                schema=CATEGORY_REVIEWS_SCHEMA,
            )
        )

    def table(self) -> pa.Table:
        return pa.concat_tables([CATEGORY_REVIEWS_SCHEMA.empty_table(), *self.chunks])


def review_chunks(
    rng: np.random.Generator,
    suppliers: Suppliers,
    catalog: Catalog,
    lots: Lots,
    plan: ReviewPlan,
    *,
    chunk_rows: int,
    voice_rng: np.random.Generator,
    truth: CategoryReviewsTruth,
) -> Iterator[pa.Table]:
    """Yield the reviews table in chunks of `chunk_rows` rows, typed, in review-id order.

    `voice_rng` draws which reviews speak their product's vocabulary; they are recorded in
    `truth` as their chunks are made.
    """
    review_id = string_ids("RV", plan.count, width=8)
    newcomer_first = _newcomer_bad_reviews(rng, suppliers, lots, plan)
    for begin in range(0, max(plan.count, 1), chunk_rows):
        end = min(begin + chunk_rows, plan.count)
        yield _chunk(
            rng,
            voice_rng,
            truth,
            suppliers,
            catalog,
            lots,
            plan,
            review_id,
            newcomer_first,
            begin,
            end,
        )


def _newcomer_bad_reviews(
    rng: np.random.Generator, suppliers: Suppliers, lots: Lots, plan: ReviewPlan
) -> BoolArray:
    """Mark the first review of about half the newcomers to be a bad one: little history, one
    bad review, which must not be enough to brand them."""
    supplier = lots.supplier[plan.lot]
    is_new = suppliers.archetype[supplier] == NEWCOMER
    candidates = np.flatnonzero(is_new)
    _, first = np.unique(supplier[candidates], return_index=True)
    chosen = candidates[first][rng.random(len(first)) < 0.5]
    marked = np.zeros(plan.count, dtype=bool)
    marked[chosen] = True
    return marked


def _chunk(
    rng: np.random.Generator,
    voice_rng: np.random.Generator,
    truth: CategoryReviewsTruth,
    suppliers: Suppliers,
    catalog: Catalog,
    lots: Lots,
    plan: ReviewPlan,
    review_id: pa.Array,
    newcomer_bad: BoolArray,
    begin: int,
    end: int,
) -> pa.Table:
    n = end - begin
    lot = plan.lot[begin:end]
    supplier = lots.supplier[lot]
    fake = lots.is_counterfeit[lot]
    p_counterfeit = np.where(
        fake,
        suppliers.counterfeit_review_rate[supplier],
        np.minimum(suppliers.counterfeit_review_rate[supplier], 0.014),
    )
    p_quality = suppliers.quality_review_rate[supplier] + np.where(fake, 0.04, 0.0)
    probs = np.column_stack(
        [
            p_counterfeit,
            p_quality,
            suppliers.logistics_review_rate[supplier],
            suppliers.negation_review_rate[supplier],
            np.full(n, 0.04),
        ]
    )
    cumulative = np.cumsum(probs, axis=1)
    u = rng.random(n)[:, None]
    drawn = (u >= cumulative).sum(axis=1)
    primary = np.array([COUNTERFEIT, QUALITY, LOGISTICS, NEGATION, NEUTRAL, PRAISE])[drawn]
    bad = newcomer_bad[begin:end]
    primary = np.where(bad, np.where(rng.random(n) < 0.3, COUNTERFEIT, QUALITY), primary)
    english = rng.random(n) < _ENGLISH_SHARE
    stock = (primary == PRAISE) & (rng.random(n) < _STOCK_TEXT_SHARE / 0.75)
    sku = lots.sku[lot]
    clauses, spoken = speak_category(
        voice_rng,
        draw_clauses(rng, primary=primary, english=english),
        category=catalog.category[sku],
        default_text=stock,
    )
    text, rating = join_reviews(rng, clauses, default_text=stock)
    ids, sku_text = review_id.slice(begin, n), catalog.sku.take(pa.array(sku))
    truth.add(ids, sku_text, catalog.category[sku], english, spoken)

    # 18-digit order numbers: they must stay text end to end (a float would mangle them).
    order_id = rng.integers(10**17, 10**18, n, dtype=np.int64)
    tracking = rng.random(n)
    lot_known = tracking < _TRACKED_LOT
    # Some exports carry the lot but not the supplier; some only the supplier.
    supplier_known = (lot_known & (rng.random(n) < 0.8)) | (
        (tracking >= _TRACKED_LOT) & (tracking < _TRACKED_LOT + _TRACKED_SUPPLIER)
    )
    return pa.table(
        {
            "review_id": ids,
            "sku": sku_text,
            "created_at": pa.array(plan.created_second[begin:end], pa.timestamp("s")),
            "rating": pa.array(rating, mask=rng.random(n) < 0.02),
            "text": text,
            "order_id": pc.cast(pa.array(order_id), pa.string()),
            "shipment_id": lots.shipment_id.take(pa.array(lot, mask=~lot_known)),
            "supplier_id": suppliers.supplier_id.take(pa.array(supplier, mask=~supplier_known)),
        }
    )
