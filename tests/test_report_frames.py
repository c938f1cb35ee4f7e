"""The report's frames: who a review or complaint is attributed to, as the report shows it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from supplier_audit.contracts.text_columns import member_of
from supplier_audit.reporting.frames import attributed_to, flagged_reviews_view
from supplier_audit.sampling.acceptance import AcceptanceRule


def _reference(attribution: pd.DataFrame, table: str, items: pd.Series | None) -> pd.Series:
    """The labels spelt out item by item: largest share first (then by id), ' · ' between."""
    rows = attribution[attribution["table"] == table]
    if items is not None:
        rows = rows[rows["item_id"].isin(items)]
    labels = {}
    for item, group in rows.groupby("item_id"):
        ordered = sorted(
            zip(group["weight"], group["supplier_id"], strict=True), key=lambda p: (-p[0], p[1])
        )
        labels[item] = " · ".join(
            supplier if weight >= 0.9995 else f"{supplier} {round(weight * 100)}%"
            for weight, supplier in ordered
        )
    return pd.Series(labels, dtype="str")


def _random_attribution(seed: int, items: int = 400) -> pd.DataFrame:
    """Reviews and complaints, a third shared by up to six suppliers, with tied and near-1
    weights (and the same id in both tables)."""
    rng = np.random.default_rng(seed)
    rows = []
    for table in ("reviews", "complaints"):
        for number in rng.permutation(items):
            item = f"I{number:04d}"
            if rng.random() < 0.6:
                suppliers, weights = [f"S{rng.integers(0, 50):02d}"], [1.0]
            elif rng.random() < 0.1:  # one supplier's share just under and just over the cut
                suppliers, weights = [f"S{rng.integers(0, 50):02d}"], [[0.9994, 0.9996][number % 2]]
            else:
                count = int(rng.integers(2, 7))
                suppliers = [f"S{s:02d}" for s in rng.choice(50, count, replace=False)]
                raw = (
                    rng.choice([1.0, 1.0, 2.0, 3.5], count)
                    if rng.random() < 0.3
                    else (rng.uniform(0.01, 1, count))
                )
                weights = list(raw / raw.sum())
            rows += [
                (table, item, supplier, weight)
                for supplier, weight in zip(suppliers, weights, strict=True)
            ]
    frame = pd.DataFrame(rows, columns=["table", "item_id", "supplier_id", "weight"])
    frame["item_id"] = frame["item_id"].astype("string")
    frame["supplier_id"] = frame["supplier_id"].astype("string")
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("table", ["reviews", "complaints"])
def test_labels_match_a_straightforward_item_by_item_join(seed: int, table: str) -> None:
    attribution = _random_attribution(seed)
    shown = pd.Series([f"I{n:04d}" for n in range(0, 400, 3)] + ["not attributed"])
    for items in (None, shown):
        got = attributed_to(attribution, table, items)
        expected = _reference(attribution, table, items)
        assert got.index.is_unique
        assert got.sort_index().to_dict() == expected.to_dict()
        assert got.str.contains(" · ").any()  # shared items were part of the comparison


def test_a_shared_review_lists_its_suppliers_largest_share_first() -> None:
    attribution = pd.DataFrame(
        {
            "table": ["reviews"] * 6,
            "item_id": ["R1", "R2", "R2", "R2", "R3", "R3"],
            "supplier_id": ["S9", "S2", "S1", "S3", "S5", "S4"],
            "weight": [1.0, 0.25, 0.25, 0.5, 0.9996, 0.0004],
        }
    )
    labels = attributed_to(attribution, "reviews")
    assert labels.to_dict() == {
        "R1": "S9",
        "R2": "S3 50% · S1 25% · S2 25%",
        "R3": "S5 · S4 0%",
    }
    assert attributed_to(attribution, "complaints").empty


def test_flagged_reviews_view_names_the_attributed_supplier() -> None:
    attribution = pd.DataFrame(
        {
            "table": "reviews",
            "item_id": ["R1", "R2", "R2", "R3"],
            "supplier_id": ["S1", "S1", "S2", "S2"],
            "weight": [1.0, 0.6, 0.4, 1.0],
        }
    )
    flagged = pd.DataFrame({"review_id": ["R1", "R2", "R4"], "supplier_id": ["S1", None, "S3"]})
    names = pd.Series({"S1": "甲", "S2": "乙", "S3": "丙"})
    view = flagged_reviews_view(flagged, attribution, names)
    assert view["attributed_to"].tolist() == ["S1", "S1 60% · S2 40%", "S3"]
    assert view["supplier_name"].tolist()[0::2] == ["甲", "丙"]
    assert pd.isna(view["supplier_name"].iloc[1])  # a shared review shows the shares instead
    assert "attributed_to" not in flagged.columns  # the argument is not changed


def test_the_qa_worklist_puts_redo_and_risky_lots_first_and_says_what_to_look_for() -> None:
    from supplier_audit.reporting.frames import qa_worklist

    plan = pd.DataFrame(
        {
            "shipment_id": ["L1", "L2", "L3", "L4", "L5"],
            "supplier_id": ["A", "B", "C", "C", "A"],
            "sku": ["K1", "K2", "K3", "K3", "K9"],
            "severity": ["normal", "normal", "tightened", "normal", "normal"],
            "reason": [
                "received 2026-11-20, not inspected yet",
                "received 2026-11-20, not inspected yet",
                "received 2026-11-20, not inspected yet",
                "self-check (自查): 3 quality reviews",
                "received 2026-11-20, not inspected yet",
            ],
            "warehouse": ["杭州仓", "杭州仓", "杭州仓", "杭州仓", "上海仓"],
        }
    )
    scores = pd.DataFrame(
        {"supplier_id": ["A", "B", "C"], "risk_tier": ["low", "critical", "high"]}
    )
    flagged = pd.DataFrame(
        {
            "sku": ["K3", "K3", "K3", "K2"],
            "categories": ["smell;colour", "colour", "colour;workmanship", "counterfeit"],
        }
    )
    redo = pd.DataFrame({"__shipment_id": ["L1"], "reason": ["major_defects '三' is not a number"]})
    worklist = qa_worklist(plan, scores=scores, flagged_reviews=flagged, redo=redo)
    hangzhou = worklist[worklist["warehouse"] == "杭州仓"]
    # a result to redo, then worst tier; within a tier a self-check before a tightened lot
    assert hangzhou["shipment_id"].tolist() == ["L1", "L2", "L4", "L3"]
    assert hangzhou["priority"].tolist() == [1, 2, 3, 4]
    assert worklist.set_index("shipment_id").at["L5", "priority"] == 1  # its own warehouse
    found = worklist.set_index("shipment_id")
    assert found.at["L3", "look_for"] == "colour;smell;workmanship"  # most frequent first
    assert found.at["L2", "risk_tier"] == "critical"
    assert found.at["L1", "redo_reason"] == "major_defects '三' is not a number"
    assert pd.isna(found.at["L5", "look_for"]) and pd.isna(found.at["L2", "redo_reason"])


def test_the_worklist_reads_self_checks_from_reason_codes_whatever_the_words() -> None:
    from supplier_audit.reporting.frames import qa_worklist

    plan = pd.DataFrame(
        {
            "shipment_id": ["L1", "L2"],
            "supplier_id": ["A", "A"],
            "sku": ["K1", "K2"],
            "severity": ["normal", "normal"],
            "reason": ["2026-11-20 入库，尚未检验", "自查：3条质量问题评价"],
            "reason_codes": ['[["received", "2026-11-20"]]', '[["self_check", "3条质量问题评价"]]'],
        }
    )
    assert qa_worklist(plan)["shipment_id"].tolist() == ["L2", "L1"]


def test_a_lot_behind_an_open_complaint_is_inspected_first_nearest_deadline_first() -> None:
    from supplier_audit.reporting.frames import qa_worklist

    plan = pd.DataFrame(
        {
            "shipment_id": ["L1", "L2", "L3"],
            "supplier_id": ["A", "B", "C"],
            "sku": ["K1", "K2", "K3"],
            "severity": ["normal", "normal", "normal"],
            "reason": ["received", "received", "received"],
        }
    )
    scores = pd.DataFrame({"supplier_id": ["A", "B", "C"], "risk_tier": ["critical", "low", "low"]})
    tickets = pd.DataFrame(
        {"shipment_id": ["L3", "L2", "L3"], "days_left": [5, 1, -2], "complaint_id": list("xyz")}
    )
    worklist = qa_worklist(plan, scores=scores, complaint_lots=tickets)
    assert worklist["shipment_id"].tolist() == ["L3", "L2", "L1"]  # -2 days, 1 day, no ticket
    assert worklist["complaint_days_left"].tolist()[:2] == [-2, 1]


def test_the_evidence_sheets_window_is_the_scores_window() -> None:
    """An inspection failure or upheld complaint exactly ``lookback_days`` before the night is
    counted by the scores (their window is [as_of - lookback, as_of]), so the Evidence sheet
    that explains them lists it too; one day earlier is outside both."""
    from supplier_audit.reporting.frames import inspection_failures, upheld_complaints
    from supplier_audit.scoring.window import in_window

    as_of, lookback = pd.Timestamp("2026-11-26"), 30
    days = pd.to_datetime(["2026-10-27", "2026-10-28", "2026-11-26", "2026-10-26"])
    assert in_window(pd.Series(days), as_of, lookback).tolist() == [True, True, True, False]
    shipments = pd.DataFrame(
        {
            "shipment_id": ["L1", "L2", "L3", "L4"],
            "supplier_id": ["S1"] * 4,
            "sku": ["K"] * 4,
            "quantity": [500] * 4,
        }
    )
    inspections = pd.DataFrame(
        {
            "shipment_id": ["L1", "L2", "L3", "L4"],
            "inspected_on": days,
            "sample_size": [50] * 4,
            "critical_defects": [1] * 4,
            "major_defects": [0] * 4,
            "minor_defects": [0] * 4,
            "counterfeit_units": [0] * 4,
            "notes": [None] * 4,
        }
    )
    names = pd.Series({"S1": "Supplier one"})
    failures = inspection_failures(
        inspections, shipments, names, as_of=as_of.date(), lookback_days=lookback,
        acceptance=AcceptanceRule(aql=1.0, level="II", count_minor_defects=False),
    )  # fmt: skip
    assert sorted(failures["shipment_id"]) == ["L1", "L2", "L3"]
    complaints = pd.DataFrame(
        {
            "complaint_id": ["C1", "C2", "C3", "C4"],
            "supplier_id": ["S1"] * 4,
            "opened_on": days,
            "status": ["upheld"] * 4,
            "complaint_type": ["counterfeit"] * 4,
            "compensation": [np.nan] * 4,
        }
    )
    attribution = pd.DataFrame(columns=["table", "item_id", "supplier_id", "weight"])
    upheld = upheld_complaints(
        complaints, attribution, names, as_of=as_of.date(), lookback_days=lookback
    )
    assert sorted(upheld["complaint_id"]) == ["C1", "C2", "C3"]


def test_member_of_is_isin() -> None:
    values = pd.Series(["RV1", None, "RV3", "RV2", "rv1"], dtype="string")
    for candidates in (
        pd.Series(["RV1", "RV2"], dtype="str"),
        pd.Series(["RV3", None], dtype=object),
        pd.Series([], dtype="string"),
        pd.Series([1, 2]),  # not text: pandas answers
    ):
        expected = values.isin(candidates).to_numpy(dtype=bool)
        assert member_of(values, candidates).tolist() == expected.tolist()
