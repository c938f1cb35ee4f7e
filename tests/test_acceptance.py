"""Lot acceptance (sampling/acceptance.py): one judgement of a result against a plan's Ac/Re."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from supplier_audit.reporting.frames import inspection_failures
from supplier_audit.sampling import plan_lots
from supplier_audit.sampling.acceptance import (
    AcceptanceRule,
    judge_lots,
    nominal_plans,
    verdict_formula,
)
from supplier_audit.scoring.signals import inspection_signals

# Published single sampling plans of ISO 2859-1:1999 / GB/T 2828.1-2012 (tables 1, 2-A, 2-B
# and 2-C): lot size, level, AQL, severity -> code letter, n, Ac, Re.
PUBLISHED = [
    (1200, "II", 1.0, "normal", "J", 80, 2, 3),
    (1200, "II", 1.0, "tightened", "J", 80, 1, 2),
    (1200, "II", 1.0, "reduced", "J", 32, 1, 2),
    (1200, "II", 2.5, "normal", "J", 80, 5, 6),
    (2400, "II", 2.5, "normal", "K", 125, 7, 8),
    (1200, "I", 4.0, "normal", "G", 32, 3, 4),
    # D at AQL 0.65 is an arrow down: the whole plan of F applies (n 20, Ac 0, Re 1)
    (50, "II", 0.65, "normal", "D", 20, 0, 1),
]


def results(**columns: list[object]) -> pd.DataFrame:
    """Inspection results, clean unless a column says otherwise."""
    count = len(next(iter(columns.values())))
    frame = pd.DataFrame(
        {
            "shipment_id": [f"L{i}" for i in range(count)],
            "inspected_on": pd.Timestamp("2026-11-20"),
            "sample_size": 80,
            "critical_defects": 0,
            "major_defects": 0,
            "minor_defects": 0,
            "counterfeit_units": 0,
            "counterfeit_status": "",
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


@pytest.mark.parametrize(("lot", "level", "aql", "severity", "letter", "n", "ac", "re"), PUBLISHED)
def test_a_lot_at_ac_is_accepted_and_at_re_rejected(
    lot: int, level: str, aql: float, severity: str, letter: str, n: int, ac: int, re: int
) -> None:
    plans = plan_lots([lot] * 3, aql, level, severity)
    assert plans.loc[0, "code_letter"] == letter
    assert (plans.loc[0, "sample_size"], plans.loc[0, "acceptance_number"]) == (n, ac)
    assert plans.loc[0, "rejection_number"] == re
    judged = judge_lots(results(major_defects=[ac, re, re + 3]), plans, count_minor_defects=False)
    assert judged["accepted"].tolist() == [True, False, False]
    assert judged["acceptance_number"].tolist() == [ac] * 3


def test_minor_defects_count_only_when_the_setting_says_so() -> None:
    plans = plan_lots([1200], 1.0, "II", "normal")  # J: Ac 2, Re 3
    lot = results(major_defects=[2], minor_defects=[1])
    assert judge_lots(lot, plans, count_minor_defects=False)["accepted"].tolist() == [True]
    counted = judge_lots(lot, plans, count_minor_defects=True)
    assert counted["accepted"].tolist() == [False]
    assert counted["nonconforming"].tolist() == [3]


def test_a_critical_defect_or_a_fake_is_never_accepted_but_a_cleared_find_is() -> None:
    plans = plan_lots([2400] * 4, 2.5, "II", "normal")  # K: Ac 7
    lots = results(
        critical_defects=[1, 0, 0, 0],
        counterfeit_units=[0, 1, 1, 1],
        counterfeit_status=["", "suspected", "", "cleared"],
    )
    judged = judge_lots(lots, plans, count_minor_defects=False)
    assert judged["accepted"].tolist() == [False, False, False, True]


def test_a_later_authentication_decides_the_original_inspections_find() -> None:
    first = results(counterfeit_units=[1], counterfeit_status=["suspected"])
    later = results(counterfeit_units=[0], counterfeit_status=["cleared"]).assign(
        inspected_on=pd.Timestamp("2026-11-24")
    )
    plans = plan_lots([2400], 2.5, "II", "normal")
    alone = judge_lots(first, plans, count_minor_defects=False)
    authenticated = judge_lots(
        first, plans, count_minor_defects=False, authentications=pd.concat([first, later])
    )
    assert alone["accepted"].tolist() == [False]
    assert authenticated["accepted"].tolist() == [True]


def test_a_plan_with_a_gap_between_ac_and_re_is_refused() -> None:
    gap = pd.DataFrame({"acceptance_number": [1], "rejection_number": [3]})
    with pytest.raises(ValueError, match="Re = Ac"):
        judge_lots(results(major_defects=[2]), gap, count_minor_defects=False)


def test_scoring_and_the_report_judge_a_lot_the_same_way() -> None:
    """The nominal plan (normal, the one AQL and level) with minors counted: a lot of 1 200 at
    AQL 1.0 with 2 majors and 1 minor (J: Ac 2) is rejected by both, a clean one by neither."""
    rule = AcceptanceRule(aql=1.0, level="II", count_minor_defects=True)
    assert nominal_plans([1200], rule)["acceptance_number"].tolist() == [2]
    inspections = results(major_defects=[2, 0], minor_defects=[1, 0], notes=[None, None])
    shipments = pd.DataFrame(
        {"shipment_id": ["L0", "L1"], "supplier_id": ["S1", "S2"], "sku": "A", "quantity": 1200}
    )
    signals = inspection_signals(inspections, shipments, acceptance=rule)
    assert signals["lots_rejected"].to_dict() == {"S1": 1, "S2": 0}
    failures = inspection_failures(
        inspections,
        shipments,
        pd.Series({"S1": "one", "S2": "two"}),
        as_of=dt.date(2026, 11, 26),
        lookback_days=30,
        acceptance=rule,
    )
    assert failures["shipment_id"].tolist() == ["L0"]


def _evaluate(formula: str, values: dict[str, object]) -> object:
    """A spreadsheet formula of IF / OR / AND / COUNT over named cells, evaluated in Python
    (a blank cell, ``None``, counts as 0 in a comparison and is not counted by COUNT)."""

    class _Blank(int):
        pass

    values = {k: _Blank(0) if v is None else v for k, v in values.items()}

    def _if(test: object, yes: object, no: object) -> object:
        return yes if test else no

    def _count(*cells: object) -> int:
        return sum(isinstance(c, int) and not isinstance(c, _Blank) for c in cells)

    text = formula.removeprefix("=")
    for name in sorted(values, key=len, reverse=True):
        text = text.replace(f"<{name}>", f"values[{name!r}]")
    text = text.replace("<>", "!=").replace(")=0", ")==0")
    text = text.replace("IF(", "_if(").replace("COUNT(", "_count(")
    text = text.replace("OR(", "any_(").replace("AND(", "all_(")
    scope = {
        "values": values,
        "_if": _if,
        "_count": _count,
        "any_": lambda *a: any(a),
        "all_": lambda *a: all(a),
    }
    return eval(text, scope)  # a formula this module built, not input


@pytest.mark.parametrize("minor", [False, True])
def test_the_qa_sheets_formula_judges_every_typed_result_as_judge_lots_does(minor: bool) -> None:
    """The live 接收/拒收 on the inspector's sheet and the night's judgement are one rule."""
    names = ("critical_defects", "major_defects", "minor_defects", "counterfeit_units")
    cells = {n: f"<{n}>" for n in (*names, "rejection_number", "counterfeit_status")}
    formula = verdict_formula(
        cells, count_minor_defects=minor, cleared="cleared", accept="ok", reject="no"
    )
    plans = plan_lots([1200], 1.0, "II", "normal")  # J: Ac 2, Re 3
    grid = [
        (crit, major, mnr, fake, status)
        for crit in (0, 1)
        for major in (0, 2, 3)
        for mnr in (0, 1)
        for fake in (0, 1)
        for status in ("", "suspected", "cleared")
    ]
    for crit, major, mnr, fake, status in grid:
        lot = results(
            critical_defects=[crit],
            major_defects=[major],
            minor_defects=[mnr],
            counterfeit_units=[fake],
            counterfeit_status=[status],
        )
        judged = judge_lots(lot, plans, count_minor_defects=minor)["accepted"].item()
        values = dict(zip(names, (crit, major, mnr, fake), strict=True))
        shown = _evaluate(formula, {**values, "rejection_number": 3, "counterfeit_status": status})
        assert shown == ("ok" if judged else "no"), (crit, major, mnr, fake, status)
    blank = {n: None for n in names} | {"rejection_number": 3, "counterfeit_status": ""}
    assert _evaluate(formula, blank) == ""
