"""Attribution of reviews and complaints to suppliers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplier_audit.scoring.attribution import attribute_items

SHIPMENTS = pd.DataFrame(
    {
        "shipment_id": ["L1", "L2", "L3", "L4"],
        "supplier_id": ["S1", "S2", "S3", "S1"],
        "sku": ["A", "A", "A", "B"],
        "received_on": pd.to_datetime(["2026-10-01", "2026-10-10", "2026-11-20", "2026-01-01"]),
        "quantity": [300, 100, 500, 50],
    }
)


def _reviews(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("supplier_id", "shipment_id"):
        if column not in frame:
            frame[column] = None
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame


def _weights(result_weights: pd.DataFrame, item: str) -> dict[str, float]:
    rows = result_weights[result_weights["item_id"] == item]
    return dict(zip(rows["supplier_id"], rows["weight"], strict=True))


def test_named_supplier_wins_then_the_lot_then_the_sku_share() -> None:
    reviews = _reviews(
        [
            {"review_id": "R1", "sku": "A", "created_at": "2026-11-01 10:00",
             "supplier_id": "S3", "shipment_id": "L1"},
            {"review_id": "R2", "sku": "A", "created_at": "2026-11-01 10:00", "shipment_id": "L2"},
            {"review_id": "R3", "sku": "A", "created_at": "2026-11-01 10:00"},
        ]
    )  # fmt: skip
    result = attribute_items(
        reviews, SHIPMENTS, id_column="review_id", date_column="created_at", lookback_days=180
    )
    assert _weights(result.weights, "R1") == {"S3": 1.0}
    assert _weights(result.weights, "R2") == {"S2": 1.0}
    # L3 arrived after the review: only L1 (300) and L2 (100) delivered SKU A before it.
    assert _weights(result.weights, "R3") == pytest.approx({"S1": 0.75, "S2": 0.25})
    bases = result.weights.set_index("item_id")["basis"].to_dict()
    assert bases["R1"] == "named_supplier" and bases["R2"] == "lot"
    assert result.unattributed.empty


def test_lots_outside_the_lookback_do_not_share() -> None:
    reviews = _reviews([{"review_id": "R1", "sku": "A", "created_at": "2026-11-01"}])
    result = attribute_items(
        reviews, SHIPMENTS, id_column="review_id", date_column="created_at", lookback_days=25
    )
    assert _weights(result.weights, "R1") == {"S2": 1.0}


def test_a_review_no_supplier_delivered_before_is_counted_not_dropped() -> None:
    reviews = _reviews(
        [
            {"review_id": "R1", "sku": "A", "created_at": "2026-09-01"},
            {"review_id": "R2", "sku": "ZZ", "created_at": "2026-11-01"},
            {"review_id": "R3", "sku": "B", "created_at": "2026-02-01"},
        ]
    )
    result = attribute_items(
        reviews, SHIPMENTS, id_column="review_id", date_column="created_at", lookback_days=180
    )
    assert sorted(result.unattributed) == ["R1", "R2"]
    assert _weights(result.weights, "R3") == {"S1": 1.0}


def test_same_day_delivery_counts_as_before() -> None:
    reviews = _reviews([{"review_id": "R1", "sku": "A", "created_at": "2026-11-20 23:00"}])
    # 45 days back from 2026-11-20 is 2026-10-06: L2 (10-10) and L3 (11-20) share, L1 does not.
    result = attribute_items(
        reviews, SHIPMENTS, id_column="review_id", date_column="created_at", lookback_days=45
    )
    assert _weights(result.weights, "R1") == pytest.approx({"S2": 100 / 600, "S3": 500 / 600})


@settings(max_examples=40, deadline=None)
@given(
    lots=st.lists(
        st.tuples(st.sampled_from(["S1", "S2", "S3"]), st.sampled_from(["A", "B"]),
                  st.integers(0, 60), st.integers(1, 1000)),
        min_size=1, max_size=12,
    ),
    reviews=st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 60)), min_size=1, max_size=15
    ),
)  # fmt: skip
def test_every_review_is_either_attributed_with_weights_summing_to_one_or_counted(
    lots: list[tuple[str, str, int, int]], reviews: list[tuple[str, int]]
) -> None:
    start = pd.Timestamp("2026-09-01")
    shipments = pd.DataFrame(
        {
            "shipment_id": [f"L{i}" for i in range(len(lots))],
            "supplier_id": [s for s, _, _, _ in lots],
            "sku": [k for _, k, _, _ in lots],
            "received_on": [start + pd.Timedelta(days=d) for _, _, d, _ in lots],
            "quantity": [q for _, _, _, q in lots],
        }
    )
    items = _reviews(
        [
            {"review_id": f"R{i}", "sku": sku, "created_at": start + pd.Timedelta(days=day)}
            for i, (sku, day) in enumerate(reviews)
        ]
    )
    result = attribute_items(
        items, shipments, id_column="review_id", date_column="created_at", lookback_days=30
    )
    sums = result.weights.groupby("item_id")["weight"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    placed = set(sums.index) | set(result.unattributed)
    assert placed == set(items["review_id"])
    assert set(sums.index).isdisjoint(set(result.unattributed))
