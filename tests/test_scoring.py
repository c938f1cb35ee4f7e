"""Supplier scores on a small hand-built world: tiers, reasons, actions, history, feedback."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from supplier_audit.config.loading import load_config
from supplier_audit.scoring import (
    ScoringResult,
    ScoringSettings,
    SupplierScores,
    append_history,
    history_dates,
    load_scoring_settings,
    previous_scores,
    score_suppliers,
    self_check_candidates,
    tier_inspection_overrides,
)

AS_OF = date(2026, 11, 26)
HONEST = [f"H{i}" for i in range(8)]
SETTINGS = load_scoring_settings()
ACCEPTANCE = load_config().settings.sampling.acceptance_rule
SERIOUS = {"high", "critical"}


def build_world() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """8 honest suppliers, a counterfeit source, a newcomer and a target of malicious complaints."""
    suppliers = [(s, f"诚信供应商{s}", "manufacturer") for s in HONEST] + [
        ("FAKE", "义乌仿冒商行", "wholesaler"),
        ("NEW", "新来的代发店", "dropship"),
        ("MAL", "被恶意投诉的品牌方", "brand_owner"),
    ]
    shipments, reviews, flags, documents, inspections = [], [], [], [], []
    for s, _, _ in suppliers:
        lots = 1 if s == "NEW" else 5
        for j in range(lots):
            lot = f"{s}-L{j}"
            shipments.append(
                {
                    "shipment_id": lot, "supplier_id": s, "sku": f"SKU-{j}", "brand": "BrandX",
                    "received_on": pd.Timestamp("2026-09-01") + pd.Timedelta(days=10 * j),
                    "quantity": 200, "unit_cost": 30.0 if s == "FAKE" else 50.0,
                    "currency": "CNY", "is_import": False, "dropship": s == "NEW",
                }
            )  # fmt: skip
            if s != "NEW":
                inspections.append(
                    {
                        "shipment_id": lot, "inspected_on": pd.Timestamp("2026-11-01"),
                        "sample_size": 50, "critical_defects": 0, "major_defects": 1,
                        "minor_defects": 2, "counterfeit_units": 0,
                    }
                )  # fmt: skip
        n_reviews, n_fake = {"NEW": (2, 1), "FAKE": (120, 14)}.get(s, (120, 1))
        for k in range(n_reviews):
            rid = f"{s}-R{k}"
            reviews.append(
                {
                    "review_id": rid, "sku": "SKU-0", "supplier_id": s, "shipment_id": None,
                    "created_at": pd.Timestamp("2026-11-10 12:00") + pd.Timedelta(hours=k),
                    "rating": 5, "text": "",
                }
            )  # fmt: skip
            flags.append(
                {"review_id": rid, "counterfeit_suspect": k < n_fake, "quality_issue": k % 12 == 5}
            )
        if s != "FAKE":
            documents += [
                {"supplier_id": s, "doc_type": "brand_authorization", "brand": "BrandX",
                 "issued_on": "2026-01-01", "valid_until": "2027-12-31"},
                {"supplier_id": s, "doc_type": "purchase_contract",
                 "issued_on": "2026-01-01", "valid_until": "2027-12-31"},
                {"supplier_id": s, "doc_type": "test_report", "issued_on": "2026-01-01"},
            ]  # fmt: skip
    complaints = [
        {"complaint_id": "C-FAKE", "sku": "SKU-1", "opened_on": "2026-11-12",
         "complaint_type": "counterfeit", "status": "upheld", "supplier_id": "FAKE",
         "compensation": 500.0},
    ] + [
        {"complaint_id": f"C-MAL{i}", "sku": "SKU-0", "opened_on": "2026-11-15",
         "complaint_type": "counterfeit", "status": "rejected" if i % 2 else "withdrawn",
         "supplier_id": "MAL", "compensation": None}
        for i in range(6)
    ]  # fmt: skip
    docs = pd.DataFrame(documents)
    docs.insert(0, "document_id", [f"D{i}" for i in range(len(docs))])
    for column in ("sku", "shipment_id"):
        docs[column] = None
    for column in ("issued_on", "valid_until"):
        docs[column] = pd.to_datetime(docs[column])
    complaint_frame = pd.DataFrame(complaints)
    complaint_frame["opened_on"] = pd.to_datetime(complaint_frame["opened_on"])
    complaint_frame["shipment_id"] = None
    complaint_frame["closed_on"] = pd.NaT
    tables = {
        "suppliers": pd.DataFrame(suppliers, columns=["supplier_id", "supplier_name", "channel"]),
        "shipments": pd.DataFrame(shipments),
        "documents": docs,
        "reviews": pd.DataFrame(reviews),
        "complaints": complaint_frame,
        "inspections": pd.DataFrame(inspections),
    }
    return tables, pd.DataFrame(flags)


TABLES, FLAGS = build_world()


def score(
    tables: dict[str, pd.DataFrame] | None = None,
    flags: pd.DataFrame | None = None,
    *,
    settings: ScoringSettings = SETTINGS,
    language: str = "zh",
    previous: pd.DataFrame | None = None,
    inspection_status: pd.DataFrame | None = None,
) -> ScoringResult:
    return score_suppliers(
        TABLES if tables is None else tables,
        FLAGS if flags is None else flags,
        as_of=AS_OF,
        settings=settings,
        acceptance=ACCEPTANCE,
        language=language,
        previous=previous,
        inspection_status=inspection_status,
    )


def cell(frame: pd.DataFrame, row: object, column: str) -> Any:
    """One value of a frame (typed Any: pandas-stubs cannot know a cell's type)."""
    return frame.at[row, column]


def by_supplier(result: ScoringResult) -> pd.DataFrame:
    indexed: pd.DataFrame = result.scores.set_index("supplier_id")
    return indexed


@pytest.fixture(scope="module")
def base() -> ScoringResult:
    return score(language="en")


def test_every_supplier_gets_a_validated_row(base: ScoringResult) -> None:
    SupplierScores.validate(base.scores, lazy=True)
    assert set(base.scores["supplier_id"]) == set(TABLES["suppliers"]["supplier_id"])
    assert list(base.scores.columns[:5]) == [
        "supplier_id", "supplier_name", "counterfeit_risk", "quality_risk", "risk_tier",
    ]  # fmt: skip
    assert list(base.scores.columns[-2:]) == ["recommended_action", "main_reasons"]


def test_counterfeit_source_ranks_first_and_is_serious(base: ScoringResult) -> None:
    scores = by_supplier(base)
    assert scores["counterfeit_risk"].idxmax() == "FAKE"
    assert cell(scores, "FAKE", "risk_tier") in SERIOUS
    reasons = str(cell(scores, "FAKE", "main_reasons"))
    assert "14 of 120 reviews (11.7 %) suspect counterfeit" in reasons
    gaps = base.evidence_gaps.set_index(["supplier_id", "brand", "requirement"])
    assert cell(gaps, ("FAKE", "BrandX", "brand_authorization"), "units") == 1000
    assert cell(gaps, ("FAKE", "BrandX", "brand_authorization"), "status") == "missing"
    longer = load_scoring_settings({"top_reasons": 6})
    reasons = str(cell(by_supplier(score(settings=longer, language="en")), "FAKE", "main_reasons"))
    assert "brand authorization never on file for BrandX covering 1,000 units" in reasons


def test_newcomer_with_one_bad_review_of_two_is_watch_at_most(base: ScoringResult) -> None:
    scores = by_supplier(base)
    assert cell(scores, "NEW", "risk_tier") in {"low", "medium"}
    assert not bool(cell(scores, "NEW", "counterfeit_review_rate_significant"))
    assert cell(scores, "NEW", "counterfeit_risk") < cell(scores, "FAKE", "counterfeit_risk")


def test_rejected_and_withdrawn_complaints_change_nothing(base: ScoringResult) -> None:
    tables = dict(TABLES)
    tables["complaints"] = TABLES["complaints"][TABLES["complaints"]["supplier_id"] != "MAL"]
    without = by_supplier(score(tables, language="en"))
    scores = by_supplier(base)
    assert cell(scores, "MAL", "complaints_dismissed") == 6
    assert cell(without, "MAL", "complaints_dismissed") == 0
    shown_only = ["complaints_dismissed", "complaints"]
    pd.testing.assert_frame_equal(scores.drop(columns=shown_only), without.drop(columns=shown_only))
    assert cell(scores, "MAL", "risk_tier") == "low"


_CACHE: dict[str, pd.DataFrame] = {}


def _baseline_scores() -> pd.DataFrame:
    if "base" not in _CACHE:
        _CACHE["base"] = by_supplier(score())
    return _CACHE["base"]


def _with_counterfeit_find(supplier: str, units: int = 1) -> dict[str, pd.DataFrame]:
    tables = dict(TABLES)
    extra = {
        "shipment_id": f"{supplier}-L0", "inspected_on": pd.Timestamp("2026-11-20"),
        "sample_size": 32, "critical_defects": 0, "major_defects": 0, "minor_defects": 0,
        "counterfeit_units": units,
    }  # fmt: skip
    tables["inspections"] = pd.concat(
        [TABLES["inspections"], pd.DataFrame([extra])], ignore_index=True
    )
    return tables


def test_a_counterfeit_unit_found_is_decisive_unless_configured_off() -> None:
    found = by_supplier(score(_with_counterfeit_find("H3")))
    assert cell(found, "H3", "risk_tier") == "critical"
    assert cell(found, "H3", "counterfeit_risk") >= SETTINGS.tiers.counterfeit.critical
    relaxed = load_scoring_settings({"inspections": {"counterfeit_unit_min_tier": "none"}})
    off = by_supplier(score(_with_counterfeit_find("H3"), settings=relaxed))
    assert cell(off, "H3", "risk_tier") != "critical"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    supplier=st.sampled_from(["H0", "H5", "FAKE", "NEW", "MAL"]),
    change=st.sampled_from(["counterfeit_unit", "counterfeit_complaint", "quality_complaint"]),
    units=st.integers(1, 5),
)
def test_a_score_never_falls_when_evidence_is_added(supplier: str, change: str, units: int) -> None:
    before = _baseline_scores()
    if change == "counterfeit_unit":
        tables = _with_counterfeit_find(supplier, units)
    else:
        tables = dict(TABLES)
        kind = "counterfeit" if change == "counterfeit_complaint" else "quality"
        extra = pd.DataFrame(
            [
                {"complaint_id": f"C-NEW{i}", "sku": "SKU-0",
                 "opened_on": pd.Timestamp("2026-11-20"), "complaint_type": kind,
                 "status": "upheld", "supplier_id": supplier, "compensation": 100.0,
                 "shipment_id": None, "closed_on": pd.NaT}
                for i in range(units)
            ]
        )  # fmt: skip
        tables["complaints"] = pd.concat([TABLES["complaints"], extra], ignore_index=True)
    after = by_supplier(score(tables))
    for column in ("counterfeit_risk", "quality_risk"):
        assert float(cell(after, supplier, column)) >= float(cell(before, supplier, column))


def test_discontinued_supplier_is_told_to_stop_purchasing() -> None:
    status = pd.DataFrame(
        {"supplier_id": ["H1"], "severity": ["discontinued"], "explanation": ["5 lots rejected"]}
    )
    scores = by_supplier(score(inspection_status=status, language="en"))
    assert cell(scores, "H1", "risk_tier") in SERIOUS
    assert str(cell(scores, "H1", "recommended_action")).startswith(
        "Stop purchasing until corrected"
    )
    assert "inspection is discontinued" in str(cell(scores, "H1", "main_reasons"))
    assert bool(cell(scores, "H1", "inspection_discontinued"))


def test_reasons_and_actions_in_both_languages(base: ScoringResult) -> None:
    zh = by_supplier(score(language="zh"))
    en = by_supplier(base)
    assert "疑似假货" in str(cell(zh, "FAKE", "main_reasons"))
    assert "suspect counterfeit" in str(cell(en, "FAKE", "main_reasons"))
    tier = str(cell(en, "FAKE", "risk_tier"))
    # the tier's action comes first, each action followed by its reason
    assert str(cell(en, "FAKE", "recommended_action")).startswith(SETTINGS.actions[tier].en + " (")
    assert str(cell(zh, "FAKE", "recommended_action")).startswith(SETTINGS.actions[tier].zh + "（")
    assert cell(en, "H2", "recommended_action") == SETTINGS.actions["low"].en
    assert cell(en, "H2", "evidence_actions") == ""
    with pytest.raises(ValueError, match="language"):
        score(language="fr")


def test_unattributable_reviews_are_counted() -> None:
    tables = dict(TABLES)
    orphan = {
        "review_id": "ORPHAN", "sku": "NOBODY-SELLS-THIS", "supplier_id": None,
        "shipment_id": None, "created_at": pd.Timestamp("2026-11-20"), "rating": 1, "text": "",
    }  # fmt: skip
    tables["reviews"] = pd.concat([TABLES["reviews"], pd.DataFrame([orphan])], ignore_index=True)
    result = score(tables)
    assert result.unattributed == {"reviews": 1, "complaints": 0}
    assert "ORPHAN" not in set(result.attribution["item_id"])


def test_history_round_trip_and_trend(tmp_path: Path, base: ScoringResult) -> None:
    first = base.scores.assign(counterfeit_risk=0.0, risk_tier="low")
    append_history(first, tmp_path, date(2026, 11, 24))
    append_history(base.scores, tmp_path, date(2026, 11, 25))
    append_history(first, tmp_path, date(2026, 11, 25))  # a rerun replaces its own partition
    assert history_dates(tmp_path) == [date(2026, 11, 24), date(2026, 11, 25)]
    files = sorted(p.name for p in (tmp_path / "as_of=2026-11-25").iterdir())
    assert files == ["part-0.parquet"]
    previous = previous_scores(tmp_path, AS_OF)
    assert previous is not None
    assert (previous["counterfeit_risk"] == 0).all()
    assert previous_scores(tmp_path, date(2026, 11, 24)) is None
    trend = by_supplier(score(previous=previous, language="en"))
    now = by_supplier(base)
    assert cell(trend, "FAKE", "counterfeit_risk_change") == pytest.approx(
        cell(now, "FAKE", "counterfeit_risk")
    )
    assert cell(trend, "FAKE", "previous_tier") == "low"
    assert bool(cell(trend, "FAKE", "newly_high_or_critical"))
    assert not bool(cell(trend, "H0", "newly_high_or_critical"))
    again = by_supplier(score(previous=base.scores, language="en"))
    assert not again["newly_high_or_critical"].any()
    assert (again["counterfeit_risk_change"] == 0).all()


def test_tier_inspection_overrides_follow_the_config(base: ScoringResult) -> None:
    scores = base.scores.copy()
    scores["risk_tier"] = ["critical", "high", "medium", "low"] + ["low"] * (len(scores) - 4)
    overrides = tier_inspection_overrides(scores, SETTINGS)
    ids = list(scores["supplier_id"])
    assert overrides[ids[0]] == {"level": "III", "severity": "tightened"}
    assert overrides[ids[1]] == {"level": "III"}
    assert overrides[ids[2]] == {"level": "II"}
    assert overrides[ids[3]] == {"level": "II"}


def test_self_check_lists_recent_serious_signals_only() -> None:
    tables = dict(TABLES)
    extra = pd.DataFrame(
        [
            {"complaint_id": "C-Q", "sku": "SKU-3", "opened_on": pd.Timestamp("2026-11-25"),
             "complaint_type": "quality", "status": "upheld", "supplier_id": "H4",
             "compensation": 0.0, "shipment_id": None, "closed_on": pd.NaT},
            {"complaint_id": "C-OLD", "sku": "SKU-2", "opened_on": pd.Timestamp("2026-10-01"),
             "complaint_type": "counterfeit", "status": "upheld", "supplier_id": "H5",
             "compensation": 0.0, "shipment_id": None, "closed_on": pd.NaT},
        ]
    )  # fmt: skip
    tables["complaints"] = pd.concat([TABLES["complaints"], extra], ignore_index=True)
    checks = self_check_candidates(tables, FLAGS, as_of=AS_OF, settings=SETTINGS)
    pairs = set(zip(checks["supplier_id"], checks["sku"], strict=True))
    assert ("FAKE", "SKU-0") in pairs  # counterfeit-suspect reviews on 2026-11-10
    assert ("FAKE", "SKU-1") in pairs  # upheld counterfeit complaint
    assert ("H4", "SKU-3") in pairs  # upheld quality complaint
    assert ("H5", "SKU-2") not in pairs  # too old
    mal = checks.loc[checks["supplier_id"] == "MAL", "reason"]
    assert not mal.str.contains("complaint").any()  # its complaints were rejected / withdrawn
    reason = cell(checks.set_index(["supplier_id", "sku"]), ("FAKE", "SKU-1"), "reason")
    assert reason == "1 upheld counterfeit complaint(s) in the last 14 days"


def test_settings_reject_unknown_keys_and_merge_overrides() -> None:
    with pytest.raises(pydantic.ValidationError):
        load_scoring_settings({"tiers": {"no_such_key": 1}})
    changed = load_scoring_settings({"complaints": {"settled_weight": 0.5}})
    assert changed.complaints.settled_weight == 0.5
    assert changed.complaints.counterfeit_types == SETTINGS.complaints.counterfeit_types


def test_inputs_are_not_mutated() -> None:
    tables, flags = build_world()
    copies = {name: frame.copy(deep=True) for name, frame in tables.items()}
    flag_copy = flags.copy(deep=True)
    score(tables, flags)
    self_check_candidates(tables, flags, as_of=AS_OF, settings=SETTINGS)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, copies[name])
    pd.testing.assert_frame_equal(flags, flag_copy)


def test_only_the_required_tables_and_no_reviews_still_scores_everyone() -> None:
    tables = {
        "suppliers": TABLES["suppliers"],
        "shipments": TABLES["shipments"],
        "reviews": TABLES["reviews"].iloc[0:0],
    }
    result = score(tables, FLAGS.iloc[0:0], language="en")
    SupplierScores.validate(result.scores, lazy=True)
    assert len(result.scores) == len(TABLES["suppliers"])
    # with no documents on file, every branded lot lacks its authorization
    assert (result.scores["evidence_readiness"] == 0).all()


def test_clopper_pearson_interval_shown_for_inspected_suppliers(base: ScoringResult) -> None:
    scores = by_supplier(base)
    # H0: 5 lots x 50 units sampled, 1 major defect each -> 5 of 250
    ci = stats.binomtest(5, 250).proportion_ci(confidence_level=0.95, method="exact")
    assert cell(scores, "H0", "serious_defect_rate") == pytest.approx(5 / 250)
    assert cell(scores, "H0", "serious_defect_rate_low") == pytest.approx(ci.low)
    assert cell(scores, "H0", "serious_defect_rate_high") == pytest.approx(ci.high)
    assert np.isnan(cell(scores, "NEW", "serious_defect_rate"))
