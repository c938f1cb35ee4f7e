"""Switching computed once per night: the severity that scores a supplier is the one on its plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from supplier_audit.demo import generate_world
from supplier_audit.sampling import inspection_in_force
from tests.test_pipeline import run_night

FIRST, SECOND = dt.date(2026, 11, 25), dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two published nights in a row over one world: the second reads the first's tiers."""
    data = tmp_path_factory.mktemp("world")
    generate_world(data, suppliers=25, seed=7, as_of=SECOND)
    out = tmp_path_factory.mktemp("reports")
    return run_night(data, out, as_of=FIRST), run_night(data, out, as_of=SECOND)


def _outputs(night: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    scores = pd.read_csv(night / "supplier_scores.csv", dtype=str)
    plan = pd.read_csv(night / "inspection_plan.csv", dtype=str)
    return scores, plan


@pytest.mark.parametrize("which", [0, 1], ids=["first night", "second night"])
def test_the_severity_in_the_scores_is_the_one_on_every_plan_row(
    two_nights: tuple[Path, Path], which: int
) -> None:
    scores, plan = _outputs(two_nights[which])
    scored = plan["supplier_id"].map(scores.set_index("supplier_id")["inspection_severity"])
    assert len(plan) > 0
    assert plan["severity"].tolist() == scored.tolist()


def test_the_first_night_has_no_tier_levels_and_the_next_uses_its_tiers(
    two_nights: tuple[Path, Path],
) -> None:
    first_scores, first_plan = _outputs(two_nights[0])
    _, second_plan = _outputs(two_nights[1])
    assert set(first_plan["inspection_level"]) == {"II"}
    raised = set(
        first_scores.loc[first_scores["risk_tier"].isin(["high", "critical"]), "supplier_id"]
    )
    assert raised, "the world should have a high or critical supplier"
    planned = second_plan[second_plan["supplier_id"].isin(raised)]
    assert len(planned) > 0 and set(planned["inspection_level"]) == {"III"}
    others = second_plan[~second_plan["supplier_id"].isin(raised)]
    assert set(others["inspection_level"]) <= {"II"}


def test_a_tier_raise_reaches_the_scores_and_the_plan_alike() -> None:
    """Per SKU switching too: the supplier's strictest SKU is what scores it; a raise to
    tightened applies to the supplier with no history as to the one with one."""
    shipments = pd.DataFrame(
        {
            "shipment_id": ["A1", "A2", "B1"],
            "supplier_id": ["SA", "SA", "SB"],
            "sku": ["K1", "K2", "K1"],
            "received_on": pd.to_datetime(["2026-11-01", "2026-11-02", "2026-11-03"]),
            "quantity": [1200, 1200, 500],
        }
    )
    inspections = pd.DataFrame(
        {
            "shipment_id": ["A1"],
            "inspected_on": pd.to_datetime(["2026-11-04"]),
            "critical_defects": [0],
            "major_defects": [0],
            "minor_defects": [0],
            "counterfeit_units": [0],
        }
    )
    in_force = inspection_in_force(
        shipments,
        inspections,
        as_of="2026-11-26",
        aql=2.5,
        level="II",
        switching_key=("supplier_id", "sku"),
        tier_raises={"SB": {"level": "III", "severity": "tightened"}},
    )
    per_supplier = in_force.per_supplier().set_index("supplier_id")
    severities, explanations = in_force.severities_of_lots(["SA", "SA", "SB"], ["K1", "K2", "K1"])
    assert per_supplier["severity"].to_dict() == {"SA": "normal", "SB": "tightened"}
    assert severities == ["normal", "normal", "tightened"]
    assert "risk tier" in explanations[2]
    assert in_force.levels_of(pd.Series(["SA", "SB"])).tolist() == ["II", "III"]
