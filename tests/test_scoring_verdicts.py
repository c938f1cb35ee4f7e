"""Verdicts a purchaser can act on, each case built from its own small situation.

A background of ordinary, fully documented suppliers sets the population's baselines; each
test adds the supplier of its case: an authorized distributor with one suspected unit among
many clean lots, a factory selling another company's brand without authorization, a
discontinued counterfeiter, and so on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.contracts.outputs import SupplierScores
from supplier_audit.reporting.labels import plan_reason
from supplier_audit.sampling.results import lot_counterfeit_verdicts
from supplier_audit.scoring import load_scoring_settings, score_suppliers
from tests.test_sampling import plan_tonight

AS_OF = date(2026, 11, 26)
SETTINGS = load_scoring_settings()
ACCEPTANCE = load_config().settings.sampling.acceptance_rule
BACKGROUND = [f"B{i}" for i in range(10)]


@dataclass
class World:
    """Tables under construction; every supplier delivers lots of one branded SKU."""

    suppliers: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    inspections: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)

    def supplier(
        self,
        sid: str,
        channel: str = "manufacturer",
        *,
        lots: int = 12,
        brand: str | None = "BrandX",
        documented: bool = True,
        is_import: bool = False,
        quantity: int = 200,
        inspected: int | None = None,
        major: int = 1,
        critical: int = 0,
        reviews: int = 60,
        every: int = 10,
    ) -> list[str]:
        self.suppliers.append(
            {"supplier_id": sid, "supplier_name": f"{sid}商行", "channel": channel}
        )
        ids = []
        for j in range(lots):
            lot = f"{sid}-L{j:02d}"
            ids.append(lot)
            received = pd.Timestamp("2026-06-01") + pd.Timedelta(days=every * j)
            self.shipments.append(
                {
                    "shipment_id": lot, "supplier_id": sid, "sku": f"{sid}-SKU", "brand": brand,
                    "received_on": received, "quantity": quantity, "unit_cost": 50.0,
                    "currency": "CNY", "is_import": is_import, "dropship": False,
                }
            )  # fmt: skip
            if j < (lots if inspected is None else inspected):
                self.inspect(lot, received + pd.Timedelta(days=2), major=major,
                             critical=critical if j == 0 else 0)  # fmt: skip
        if documented:
            self.document(sid, "brand_authorization", brand=brand)
            self.document(sid, "purchase_contract")
            self.document(sid, "test_report")
            if is_import:
                self.document(sid, "customs_declaration")
        for k in range(reviews):
            rid = f"{sid}-R{k}"
            self.reviews.append(
                {
                    "review_id": rid, "sku": f"{sid}-SKU", "supplier_id": sid,
                    "shipment_id": None, "rating": 5, "text": "",
                    "created_at": pd.Timestamp("2026-11-01 12:00") + pd.Timedelta(hours=k),
                }
            )  # fmt: skip
            self.flags.append(
                {"review_id": rid, "counterfeit_suspect": k == 0, "quality_issue": k % 10 == 3}
            )
        return ids

    def document(
        self,
        sid: str,
        doc_type: str,
        *,
        brand: str | None = None,
        shipment_id: str | None = None,
        issued_on: str = "2026-01-01",
        valid_until: str | None = "2027-12-31",
        quantity: int | None = None,
    ) -> None:
        self.documents.append(
            {
                "document_id": f"D{len(self.documents)}", "supplier_id": sid,
                "doc_type": doc_type, "brand": brand, "sku": None, "shipment_id": shipment_id,
                "issued_on": pd.Timestamp(issued_on),
                "valid_until": pd.Timestamp(valid_until) if valid_until else pd.NaT,
                "quantity": quantity,
            }
        )  # fmt: skip

    def inspect(
        self,
        lot: str,
        day: pd.Timestamp | str,
        *,
        fakes: int = 0,
        status: str | None = None,
        major: int = 1,
        critical: int = 0,
        notes: str | None = None,
    ) -> None:
        self.inspections.append(
            {
                "shipment_id": lot, "inspected_on": pd.Timestamp(day), "sample_size": 50,
                "critical_defects": critical, "major_defects": major, "minor_defects": 2,
                "counterfeit_units": fakes, "counterfeit_status": status, "notes": notes,
            }
        )  # fmt: skip

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "suppliers": pd.DataFrame(self.suppliers),
            "shipments": pd.DataFrame(self.shipments),
            "documents": pd.DataFrame(self.documents),
            "reviews": pd.DataFrame(self.reviews),
            "inspections": pd.DataFrame(self.inspections),
        }

    def score(self, *, language: str = "en", discontinued: Iterable[str] = ()) -> pd.DataFrame:
        stopped = list(discontinued)
        status = pd.DataFrame(
            {
                "supplier_id": stopped,
                "severity": ["discontinued"] * len(stopped),
                "explanation": ["5 lots not accepted in a row"] * len(stopped),
            }
        )
        result = score_suppliers(
            self.tables(),
            pd.DataFrame(self.flags),
            as_of=AS_OF,
            settings=SETTINGS,
            acceptance=ACCEPTANCE,
            language=language,
            inspection_status=status if stopped else None,
        )
        SupplierScores.validate(result.scores, lazy=True)
        indexed: pd.DataFrame = result.scores.set_index("supplier_id")
        return indexed


def background() -> World:
    world = World()
    for sid in BACKGROUND:
        world.supplier(sid, critical=1)  # one critical unit in its first lot
    return world


def row(scores: pd.DataFrame, sid: str) -> dict[str, Any]:
    values: dict[str, Any] = scores.loc[sid].to_dict()
    return values


def codes(scores: pd.DataFrame, sid: str) -> list[str]:
    return str(scores.at[sid, "action_codes"]).split(";")


def distributor_with_one_find(status: str | None) -> tuple[World, str]:
    """An authorized distributor, fully documented: one unit recorded as fake in its first
    lot, the inspector's note "疑似仿冒，已留样", and 15 clean lots since (all one SKU)."""
    world = background()
    lots = world.supplier("DIST", "authorized_distributor", lots=16, inspected=16)
    first = next(i for i in world.inspections if i["shipment_id"] == lots[0])
    first.update(counterfeit_units=1, counterfeit_status=status, notes="疑似仿冒，已留样")
    return world, lots[0]


# ------------------------------------------------------------------ 1. finds have a status


def test_a_suspected_find_sets_high_with_authenticate_not_stop_buying() -> None:
    world, lot = distributor_with_one_find("suspected")
    scores = world.score()
    dist = row(scores, "DIST")
    assert dist["risk_tier"] == "high"
    assert dist["counterfeit_risk"] < SETTINGS.tiers.counterfeit.critical
    assert dist["counterfeit_units_found"] == 0 and dist["counterfeit_units_suspected"] == 1
    assert not dist["stop_buying"] and "critical" not in codes(scores, "DIST")
    assert codes(scores, "DIST")[0] == "authenticate"
    first_line = str(dist["recommended_action"]).split("\n")[0]
    assert first_line.startswith(SETTINGS.actions["authenticate"].en)
    assert lot in first_line  # the reason names the lot whose sample is kept
    assert "Stop purchasing" not in str(dist["recommended_action"])
    assert "QA suspects 1 counterfeit units in 1 of 16 inspected lots" in dist["main_reasons"]


@pytest.mark.parametrize("status", ["confirmed", None])
def test_a_confirmed_or_unlabelled_find_keeps_the_critical_floor(status: str | None) -> None:
    world, _ = distributor_with_one_find(status)
    dist = row(world.score(), "DIST")
    assert dist["risk_tier"] == "critical" and dist["stop_buying"]
    assert dist["counterfeit_units_found"] == 1
    assert str(dist["recommended_action"]).startswith(SETTINGS.actions["critical"].en)


def test_a_cleared_find_counts_as_a_clean_lot() -> None:
    world, _ = distributor_with_one_find("cleared")
    cleared = row(world.score(), "DIST")
    clean_world, _ = distributor_with_one_find(None)
    clean_world.inspections[-16]["counterfeit_units"] = 0  # the same lot, nothing recorded
    next(i for i in clean_world.inspections if i["shipment_id"] == "DIST-L00").update(
        counterfeit_units=0, counterfeit_status=None
    )
    clean = row(clean_world.score(), "DIST")
    assert cleared["counterfeit_units_found"] == 0 and cleared["counterfeit_units_suspected"] == 0
    for column in ("risk_tier", "counterfeit_risk", "lots_rejected", "action_codes"):
        assert cleared[column] == clean[column]


def test_a_later_authentication_resolves_a_suspected_find() -> None:
    world, lot = distributor_with_one_find("suspected")
    world.inspect(lot, "2026-11-20", fakes=1, status="confirmed")
    assert row(world.score(), "DIST")["risk_tier"] == "critical"
    world, lot = distributor_with_one_find("suspected")
    world.inspect(lot, "2026-11-20", status="cleared")  # the kept sample is genuine
    assert row(world.score(), "DIST")["counterfeit_units_suspected"] == 0
    world, lot = distributor_with_one_find("confirmed")
    world.inspect(lot, "2026-11-20", fakes=1, status="suspected")  # a later doubt
    verdicts = lot_counterfeit_verdicts(pd.DataFrame(world.inspections))
    assert verdicts["counterfeit_verdict"].tolist() == ["confirmed"]


def test_a_suspected_lot_stays_on_the_qa_list_until_resolved() -> None:
    world, lot = distributor_with_one_find("suspected")
    shipments = pd.DataFrame(world.shipments)
    inspections = pd.DataFrame(world.inspections)

    def planned(inspections: pd.DataFrame) -> pd.DataFrame:
        plan = plan_tonight(
            shipments, inspections, as_of=AS_OF, aql=2.5, level="II", seed=1, recent_days=30
        )
        return plan[plan["shipment_id"] == lot]

    listed = planned(inspections)  # received in June, inspected: listed only for the doubt
    assert len(listed) == 1 and "suspected counterfeit" in str(listed["reason"].iloc[0])
    codes_json = str(listed["reason_codes"].iloc[0])
    assert '"suspected_counterfeit"' in codes_json
    assert "疑似假货待鉴定" in str(plan_reason(codes_json, "zh"))
    resolved = pd.concat(
        [inspections, pd.DataFrame([{**world.inspections[0], "shipment_id": lot,
                                     "inspected_on": pd.Timestamp("2026-11-25"),
                                     "counterfeit_units": 0, "counterfeit_status": "cleared"}])],
        ignore_index=True,
    )  # fmt: skip
    assert planned(resolved).empty
    unresolved = pd.concat(
        [inspections, pd.DataFrame([{**world.inspections[0], "shipment_id": lot,
                                     "inspected_on": pd.Timestamp("2026-11-25"),
                                     "counterfeit_units": 0, "counterfeit_status": None}])],
        ignore_index=True,
    )  # fmt: skip
    assert len(planned(unresolved)) == 1  # a clean re-inspection does not authenticate


# ------------------------------------------------------------ 2. defensibility, its own axis


def test_a_factory_selling_another_brand_without_authorization_has_document_actions() -> None:
    world = background()
    lots = world.supplier("FACT", "manufacturer", lots=3, brand="Maison Corvel", documented=False)
    world.document("FACT", "purchase_invoice")  # invoices, but no brand authorization
    for language in ("en", "zh"):
        scores = world.score(language=language)
        fact = row(scores, "FACT")
        assert fact["defensibility"] == 0.0
        assert fact["recommended_action"] != getattr(SETTINGS.actions["low"], language)
        assert {"hold_listings", "collect_documents", "goods_in_warning"} <= set(
            codes(scores, "FACT")
        )
        assert "Maison Corvel" in fact["evidence_actions"]
        assert all(lot in fact["evidence_actions"] for lot in lots)
    assert "Collect brand authorization for Maison Corvel before the next order" in str(
        row(world.score(), "FACT")["evidence_actions"]
    )


def test_defensibility_is_the_share_of_branded_units_with_everything_valid_today() -> None:
    world = background()
    world.supplier("PART", lots=2, quantity=100, documented=False)
    world.shipments[-1]["quantity"] = 300  # PART-L01: 300 units, PART-L00: 100
    world.document("PART", "brand_authorization", brand="BrandX")
    world.document("PART", "purchase_invoice", shipment_id="PART-L01", quantity=300)
    world.document("PART", "purchase_invoice", shipment_id="PART-L00", quantity=40)  # short
    world.supplier("PLAIN", lots=2, brand=None, documented=False)  # unbranded only
    scores = world.score()
    assert row(scores, "PART")["defensibility"] == 75.0
    assert "PART-L00" in row(scores, "PART")["evidence_actions"]
    assert "PART-L01" not in row(scores, "PART")["evidence_actions"]
    assert np.isnan(row(scores, "PLAIN")["defensibility"])
    assert row(scores, "B0")["defensibility"] == 100.0
    assert row(scores, "B0")["evidence_actions"] == ""
    assert row(scores, "PLAIN")["evidence_actions"] == ""


def test_an_authorization_expired_since_receipt_lowers_defensibility_not_counterfeit_risk() -> None:
    valid = background()
    valid.supplier("EXP", documented=False)
    valid.document("EXP", "brand_authorization", brand="BrandX", valid_until="2027-12-31")
    valid.document("EXP", "purchase_contract")
    expired = background()
    expired.supplier("EXP", documented=False)
    # in force when every lot arrived (June to September), lapsed before tonight
    expired.document("EXP", "brand_authorization", brand="BrandX", valid_until="2026-10-31")
    expired.document("EXP", "purchase_contract")
    before, after = row(valid.score(), "EXP"), row(expired.score(), "EXP")
    assert before["defensibility"] == 100.0 and after["defensibility"] == 0.0
    assert after["counterfeit_risk"] == before["counterfeit_risk"]
    assert after["risk_tier"] == before["risk_tier"]
    assert "collect_documents" in str(after["action_codes"])
    assert "goods_in_warning" not in str(after["action_codes"])  # it was there on arrival


def test_an_import_lot_needs_its_customs_declaration() -> None:
    world = background()
    world.supplier("IMP", lots=2, is_import=True, documented=False)
    world.document("IMP", "brand_authorization", brand="BrandX")
    world.document("IMP", "purchase_contract")
    imp = row(world.score(), "IMP")
    assert imp["defensibility"] == 0.0
    assert "customs declaration" in imp["evidence_actions"]
    assert "goods_in_warning" not in str(imp["action_codes"])


# --------------------------------------------------------------------- 3. actions compose


def test_a_discontinued_counterfeiter_gets_every_action() -> None:
    world = background()
    lots = world.supplier("DISC", "wholesaler", lots=12, documented=False)
    for lot in lots[:8]:
        next(i for i in world.inspections if i["shipment_id"] == lot).update(
            counterfeit_units=3, counterfeit_status="confirmed"
        )
    for language in ("en", "zh"):
        scores = world.score(language=language, discontinued=["DISC"])
        disc = row(scores, "DISC")
        assert codes(scores, "DISC")[:2] == ["critical", "discontinued"]
        text = str(disc["recommended_action"])
        critical = getattr(SETTINGS.actions["critical"], language)
        for step in critical.split("；" if language == "zh" else "; "):
            assert text.count(step) == 1  # every step of the critical action, said once
        stop = getattr(SETTINGS.actions["discontinued"], language)
        assert stop.split("；" if language == "zh" else "; ")[0] in text
        assert {"hold_listings", "collect_documents"} <= set(codes(scores, "DISC"))
        assert disc["stop_buying"]


def test_a_suspected_find_and_a_document_gap_add_up() -> None:
    world, _ = distributor_with_one_find("suspected")
    world.supplier("GAP", lots=4, documented=False)
    world.document("GAP", "purchase_contract")
    world.inspect("GAP-L03", "2026-09-05", fakes=1, status="suspected")
    world.inspections = [
        i for i in world.inspections
        if not (i["shipment_id"] == "GAP-L03" and i["counterfeit_units"] == 0)
    ]  # fmt: skip
    scores = world.score()
    got = codes(scores, "GAP")
    assert got.index("authenticate") < got.index("hold_listings") < got.index("collect_documents")
    lines = str(row(scores, "GAP")["recommended_action"]).split("\n")
    assert len(lines) == len(got)
    assert all(line.endswith(")") for line in lines)  # each action with its reason


def test_quality_and_counterfeit_findings_both_call_for_their_action() -> None:
    world = background()
    world.supplier("BOTH", lots=12, major=12, critical=3)
    next(i for i in world.inspections if i["shipment_id"] == "BOTH-L05").update(
        counterfeit_units=1, counterfeit_status="suspected"
    )
    scores = world.score()
    both = row(scores, "BOTH")
    assert both["quality_risk"] >= SETTINGS.tiers.quality.high
    got = codes(scores, "BOTH")
    assert {"authenticate", "high", "quality_high"} <= set(got)
    text = str(both["recommended_action"])
    assert "corrective-action report on quality" in text and "make a test purchase" in text
    assert text.count("Tightened inspection") == 1  # a shared step is said once


def test_nothing_to_do_only_when_nothing_is_found() -> None:
    scores = background().score()
    assert (scores["action_codes"] == "low").all()
    assert (scores["recommended_action"] == SETTINGS.actions["low"].en).all()


# ---------------------------------------------------------------------- 4. honest reasons


def test_evidence_below_the_tier_threshold_is_said_not_hidden() -> None:
    world = background()
    world.supplier("MILD", lots=37, major=0, every=4)
    for lot in ("MILD-L03", "MILD-L20"):
        next(i for i in world.inspections if i["shipment_id"] == lot)["critical_defects"] = 1
    mild = row(world.score(), "MILD")
    reasons = str(mild["main_reasons"])
    assert "no risk signal" not in reasons
    assert "2 of 37 inspected lots rejected" in reasons
    assert "2 critical (hazardous) defects in 1,850 sampled units" in reasons
    assert "below the level that changes the tier" in reasons


def test_counts_are_whole_and_shares_say_about_with_their_basis() -> None:
    world = background()
    world.supplier("SHARE", lots=3, reviews=0)
    world.supplier("OTHER", lots=3, reviews=0)
    for sid in ("SHARE", "OTHER"):  # both deliver one SKU: reviews naming nobody are shared
        for shipment in world.shipments:
            if shipment["supplier_id"] == sid:
                shipment["sku"] = "SHARED-SKU"
    world.shipments[-1]["quantity"] = 600  # OTHER delivers more than SHARE
    for k in range(90):
        rid = f"S-R{k}"
        created = pd.Timestamp("2026-11-02") + pd.Timedelta(hours=k)
        world.reviews.append(
            {"review_id": rid, "sku": "SHARED-SKU", "supplier_id": None, "shipment_id": None,
             "rating": 1, "text": "", "created_at": created}
        )  # fmt: skip
        world.flags.append(
            {"review_id": rid, "counterfeit_suspect": k < 30, "quality_issue": False}
        )
    reasons = str(row(world.score(), "SHARE")["main_reasons"])
    assert "about " in reasons and "shared among the SKU's suppliers" in reasons
    assert not any(mark in reasons for mark in ("≈", "<1", ".04"))
    zh = str(row(world.score(language="zh"), "SHARE")["main_reasons"])
    assert "约" in zh and "分摊" in zh and "≈" not in zh
