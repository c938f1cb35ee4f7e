"""Evidence readiness on a hand-made case: expired vs missing, 365-day invoices, imports."""

from __future__ import annotations

import pandas as pd
import pytest

from supplier_audit.scoring import load_scoring_settings
from supplier_audit.scoring.evidence import EvidenceResult, evidence_readiness

LOTS = pd.DataFrame(
    {
        "shipment_id": ["L1", "L2", "L3", "L4"],
        "supplier_id": ["S1", "S1", "S1", "S2"],
        "sku": ["A", "U", "C", "A"],
        "brand": ["BrandX", None, "BrandX", "BrandX"],
        "received_on": pd.to_datetime(["2026-10-01", "2026-10-05", "2026-03-01", "2026-10-01"]),
        "quantity": [100, 50, 10, 20],
        "unit_cost": [10.0, 2.0, 100.0, 1.0],
        "currency": ["CNY", "CNY", "CNY", "USD"],
        "is_import": [True, False, False, False],
    }
)


DocRow = tuple[str, str, str, str | None, str | None, str | None, str | None]


def _documents(rows: list[DocRow]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=["supplier_id", "doc_type", "issued_on", "valid_until", "brand", "sku",
                 "shipment_id"],
    )  # fmt: skip
    frame.insert(0, "document_id", [f"D{i}" for i in range(len(frame))])
    frame["issued_on"] = pd.to_datetime(frame["issued_on"])
    frame["valid_until"] = pd.to_datetime(frame["valid_until"])
    return frame


DOCUMENTS = _documents(
    [
        # authorization for BrandX, valid Jan–Sep 2026: covers L3 (March), expired for L1 (Oct)
        ("S1", "brand_authorization", "2026-01-01", "2026-09-30", "BrandX", None, None),
        # invoice for lot L1 with no valid_until: 365 days from 2025-10-15 -> covers 2026-10-01
        ("S1", "purchase_invoice", "2025-10-15", None, None, None, "L1"),
        # invoice for SKU U issued 2025-09-01, no valid_until: ran out 2026-09-01 -> L2 expired
        ("S1", "purchase_invoice", "2025-09-01", None, None, "U", None),
        # contract for SKU C, valid through 2026
        ("S1", "purchase_contract", "2026-02-01", "2026-12-31", None, "C", None),
        # a test report covering everything the supplier sells, no expiry
        ("S1", "test_report", "2026-01-01", None, None, None, None),
        # another supplier's documents never cover S1's lots
        ("S2", "customs_declaration", "2026-01-01", None, None, None, None),
        ("S2", "brand_authorization", "2026-01-01", "2027-01-01", "BrandX", None, None),
    ]
)


@pytest.fixture(scope="module")
def result() -> EvidenceResult:
    return evidence_readiness(LOTS, DOCUMENTS, settings=load_scoring_settings().evidence)


def _status(result: EvidenceResult, shipment: str, requirement: str) -> str:
    table = result.lot_status
    row = table[(table["shipment_id"] == shipment) & (table["requirement"] == requirement)]
    return "not required" if row.empty else str(row["status"].iloc[0])


def test_lot_statuses(result: EvidenceResult) -> None:
    assert _status(result, "L1", "brand_authorization") == "expired"
    assert _status(result, "L1", "purchase_invoice_or_contract") == "on_file"
    assert _status(result, "L1", "customs_declaration") == "missing"  # import needs customs
    assert _status(result, "L1", "test_report") == "on_file"
    assert _status(result, "L2", "brand_authorization") == "not required"  # unbranded
    assert _status(result, "L2", "customs_declaration") == "not required"  # not an import
    assert _status(result, "L2", "purchase_invoice_or_contract") == "expired"
    assert _status(result, "L3", "brand_authorization") == "on_file"
    assert _status(result, "L3", "purchase_invoice_or_contract") == "on_file"
    assert _status(result, "L4", "brand_authorization") == "on_file"
    assert _status(result, "L4", "purchase_invoice_or_contract") == "missing"


def test_readiness_is_the_documented_share_of_value(result: EvidenceResult) -> None:
    per = result.per_supplier.set_index("supplier_id")
    # S1: L1 1000, L2 100, L3 1000 CNY; only L3 has everything.
    assert per.loc["S1", "evidence_readiness"] == pytest.approx(1000 / 2100)
    assert per.loc["S1", "brand_authorization_coverage"] == pytest.approx(1000 / 2000)
    assert per.loc["S1", "customs_declaration_coverage"] == pytest.approx(0.0)
    assert per.loc["S2", "evidence_readiness"] == pytest.approx(0.0)
    assert per["customs_declaration_coverage"].isna().to_dict()["S2"]  # S2 imports nothing


def test_gaps_say_what_is_missing_per_supplier_and_brand(result: EvidenceResult) -> None:
    gaps = result.gaps
    s1 = gaps[gaps["supplier_id"] == "S1"].set_index(["brand", "requirement"])
    assert s1.loc[("BrandX", "brand_authorization"), "status"] == "expired"
    assert s1.loc[("BrandX", "brand_authorization"), "units"] == 100
    assert s1.loc[("BrandX", "customs_declaration"), "status"] == "missing"
    assert s1.loc[("BrandX", "customs_declaration"), "value_cny"] == pytest.approx(1000.0)
    assert s1.loc[("", "purchase_invoice_or_contract"), "status"] == "expired"
    assert s1.loc[("", "purchase_invoice_or_contract"), "units"] == 50
    assert len(s1) == 3
    s2 = gaps[gaps["supplier_id"] == "S2"]
    # 20 units x 1 USD at the configured 7.1 CNY per USD
    assert s2["value_cny"].iloc[0] == pytest.approx(20 * 7.1)


def test_no_documents_at_all_means_everything_missing() -> None:
    out = evidence_readiness(LOTS, None, settings=load_scoring_settings().evidence)
    assert set(out.lot_status["status"]) == {"missing"}
    assert (out.per_supplier["evidence_readiness"] == 0).all()
