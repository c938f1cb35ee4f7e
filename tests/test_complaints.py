"""The complaint desk on hand-built frames: deadlines per platform rule, lot tracing, evidence
verdicts, buyer signals, appeals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from supplier_audit.complaints.desk import ComplaintDesk, complaint_desk
from supplier_audit.complaints.rules import ComplaintDeskSettings
from supplier_audit.complaints.tracing import trace_lots
from supplier_audit.config.loading import load_config
from supplier_audit.contracts.inputs import PLATFORMS
from supplier_audit.scoring import score_suppliers
from tests.test_scoring import FLAGS, TABLES

AS_OF = dt.date(2026, 11, 26)
SETTINGS = load_config().settings


def _frame(rows: list[dict[str, Any]], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in dates:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


SUPPLIERS = _frame(
    [
        {
            "supplier_id": "S1",
            "supplier_name": "义乌甲",
            "channel": "wholesaler",
            "contact_name": "王经理",
            "contact_phone": "13800001111",
            "contact_email": "wang@example.cn",
        },
        {"supplier_id": "S2", "supplier_name": "广州乙", "channel": "manufacturer"},
    ]
)


def lot(shipment_id: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "shipment_id": shipment_id,
        "supplier_id": "S1",
        "sku": "SKU-1",
        "brand": "Nike",
        "received_on": "2026-10-01",
        "quantity": 300,
        "unit_cost": 10.0,
        "currency": "CNY",
        "is_import": False,
        "dropship": False,
    }
    row.update(values)
    return row


def doc(document_id: str, doc_type: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "document_id": document_id,
        "supplier_id": "S1",
        "doc_type": doc_type,
        "brand": None,
        "sku": None,
        "shipment_id": None,
        "issued_on": "2026-09-01",
        "valid_until": None,
        "file_ref": f"//nas/{document_id}.pdf",
        "quantity": None,
    }
    row.update(values)
    return row


def complaint(complaint_id: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "complaint_id": complaint_id,
        "sku": "SKU-1",
        "opened_on": "2026-11-24",
        "complaint_type": "counterfeit",
        "status": "open",
        "supplier_id": None,
        "shipment_id": None,
        "closed_on": None,
        "platform": "pinduoduo",
        "order_id": None,
        "buyer_id": None,
        "due_on": None,
        "description": None,
    }
    row.update(values)
    return row


def closed(complaint_id: str, opened_on: str, status: str, **values: Any) -> dict[str, Any]:
    """A complaint decided ten days after it was opened."""
    closed_on = (pd.Timestamp(opened_on) + pd.Timedelta(days=10)).date().isoformat()
    return complaint(
        complaint_id, opened_on=opened_on, status=status, closed_on=closed_on, **values
    )


def desk(
    complaints: list[dict[str, Any]],
    lots: list[dict[str, Any]],
    documents: list[dict[str, Any]] = (),  # type: ignore[assignment]
    orders: list[dict[str, Any]] | None = None,
    *,
    settings: ComplaintDeskSettings | None = None,
    language: str = "en",
) -> ComplaintDesk:
    docs = _frame(list(documents), ("issued_on", "valid_until")) if documents else None
    if docs is not None:
        docs["quantity"] = docs["quantity"].astype("Int64")
    return complaint_desk(
        _frame(complaints, ("opened_on", "closed_on", "due_on")),
        _frame(lots, ("received_on",)),
        suppliers=SUPPLIERS,
        documents=docs,
        orders=_frame(orders, ("ordered_on",)) if orders else None,
        as_of=AS_OF,
        settings=settings or SETTINGS.complaints,
        evidence=SETTINGS.scoring.evidence,
        language=language,
    )


def row_of(result: ComplaintDesk, complaint_id: str) -> pd.Series:
    table = result.open_complaints.set_index("complaint_id")
    return table.loc[complaint_id]


# ------------------------------------------------------------------------------ deadlines

# One row per rule of defaults/platforms.toml: (platform, response days, deadline source).
PLATFORM_RULES = [
    ("pinduoduo", 7, "rule"),  # DOMAIN.md: 7 days of negotiation
    ("taobao", 3, "default"),
    ("tmall", 3, "default"),
    ("jd", 3, "default"),
    ("douyin", 3, "default"),
    ("amazon", 3, "default"),
    ("other", 3, "default"),
]


def test_every_platform_has_a_rule_in_the_table_above() -> None:
    assert sorted(p for p, _, _ in PLATFORM_RULES) == sorted(PLATFORMS)


@pytest.mark.parametrize(("platform", "days", "source"), PLATFORM_RULES)
def test_the_deadline_follows_the_platforms_rule(platform: str, days: int, source: str) -> None:
    result = desk(
        [complaint("C1", platform=platform, opened_on="2026-11-24", shipment_id="L1")], [lot("L1")]
    )
    row = row_of(result, "C1")
    assert row["due_on"] == pd.Timestamp("2026-11-24") + pd.Timedelta(days=days)
    assert row["deadline_source"] == source
    assert row["days_left"] == (row["due_on"] - pd.Timestamp(AS_OF)).days


def test_a_complaints_own_due_date_wins_and_days_left_counts_from_the_as_of_date() -> None:
    result = desk(
        [
            complaint("OWN", due_on="2026-11-25", shipment_id="L1"),
            complaint("RULE", opened_on="2026-11-26", shipment_id="L1"),
            complaint("EMPTY", platform=None, opened_on="2026-11-26", shipment_id="L1"),
        ],
        [lot("L1")],
    )
    own, rule, empty = (row_of(result, c) for c in ("OWN", "RULE", "EMPTY"))
    assert (own["deadline_source"], own["days_left"], bool(own["overdue"])) == (
        "complaint",
        -1,
        True,
    )
    assert (rule["deadline_source"], rule["days_left"]) == ("rule", 7)
    assert (empty["platform"], empty["deadline_source"], empty["days_left"]) == (
        "other",
        "default",
        3,
    )
    # most urgent first; overdue and due within 48 h counted
    assert list(result.open_complaints["complaint_id"]) == ["OWN", "EMPTY", "RULE"]
    assert (result.overdue, result.due_soon) == (1, 0)


def test_a_users_file_changes_a_platforms_window(tmp_path: Any) -> None:
    config = tmp_path / "shop.toml"
    config.write_text("[complaints.platforms.taobao]\nresponse_days = 5\nassumed = false\n")
    settings = load_config(config).settings.complaints
    result = desk(
        [complaint("C1", platform="taobao", shipment_id="L1")], [lot("L1")], settings=settings
    )
    assert row_of(result, "C1")["due_on"] == pd.Timestamp("2026-11-29")
    assert row_of(result, "C1")["deadline_source"] == "rule"
    assert settings.rule("pinduoduo").response_days == 7  # the rest of the table is kept


def test_amazon_wants_invoices_where_pinduoduo_takes_a_delivery_note_or_a_receipt() -> None:
    lots = [lot("L1", brand=None)]
    for documents, expected in (
        (
            [doc("DN", "delivery_note", shipment_id="L1")],
            {"pinduoduo": "ready", "amazon": "not_ready"},
        ),
        (
            [doc("RR", "retail_receipt", shipment_id="L1")],
            {"pinduoduo": "ready", "tmall": "not_ready"},
        ),
        (
            [doc("IN", "purchase_invoice", shipment_id="L1")],
            {"pinduoduo": "ready", "amazon": "ready"},
        ),
    ):
        for platform, verdict in expected.items():
            result = desk([complaint("C1", platform=platform, shipment_id="L1")], lots, documents)
            assert row_of(result, "C1")["evidence_status"] == verdict, (documents, platform)


# ------------------------------------------------------------------------- evidence verdicts

ALL_DOCS = [
    doc("AUTH", "brand_authorization", brand="Nike", valid_until="2027-06-30"),
    doc("INV", "purchase_invoice", shipment_id="L1", quantity=300),
    doc("CUS", "customs_declaration", shipment_id="L1"),
    doc("TEST", "test_report", sku="SKU-1", valid_until="2027-09-01"),
]


def test_a_lot_with_every_document_is_ready_and_lists_where_the_files_are() -> None:
    result = desk([complaint("C1", shipment_id="L1")], [lot("L1", is_import=True)], ALL_DOCS)
    row = row_of(result, "C1")
    assert row["evidence_status"] == "ready"
    assert pd.isna(row["missing_evidence"])
    for document in ("AUTH", "INV", "CUS", "TEST"):
        assert f"{document} " in row["documents_on_file"]
    assert "//nas/INV.pdf" in row["documents_on_file"]
    index = result.evidence_index
    assert set(index.loc[index["document_id"].notna(), "action"]) == {"upload"}


def test_an_authorization_expired_before_the_complaint_makes_the_pack_partial() -> None:
    expired = [
        doc("AUTH", "brand_authorization", brand="Nike", valid_until="2026-11-01"),
        *ALL_DOCS[1:],
    ]
    result = desk([complaint("C1", shipment_id="L1")], [lot("L1", is_import=True)], expired)
    row = row_of(result, "C1")
    assert row["evidence_status"] == "partial"
    assert row["missing_evidence"] == "brand authorization expired (L1)"
    assert "AUTH" not in row["documents_on_file"]
    # the clerk is told whom to ask, with the supplier's contact
    chase = result.evidence_index[result.evidence_index["need"] == "brand authorization"]
    assert chase["action"].iloc[0] == "ask S1 王经理 13800001111 wang@example.cn"
    # a renewal issued after the complaint counts again
    renewed = [*expired, doc("AUTH2", "brand_authorization", brand="Nike", issued_on="2026-11-25")]
    again = desk([complaint("C1", shipment_id="L1")], [lot("L1", is_import=True)], renewed)
    assert row_of(again, "C1")["evidence_status"] == "ready"


def test_an_invoice_covering_fewer_units_than_sold_is_partial_and_says_so() -> None:
    short = [ALL_DOCS[0], doc("INV", "purchase_invoice", shipment_id="L1", quantity=100)]
    lots = [lot("L1")]
    # no orders name the lot: the 300 units received must be covered
    row = row_of(desk([complaint("C1", shipment_id="L1")], lots, short), "C1")
    assert row["evidence_status"] == "partial"
    assert (
        row["missing_evidence"]
        == "purchase proof covers 100 units of the 300 received in the lot (L1)"
    )
    # orders name the lot: what was sold must be covered
    sold = [
        {"order_id": f"O{i}", "sku": "SKU-1", "ordered_on": "2026-10-10", "quantity": 30,
         "shipment_id": "L1", "buyer_id": None}
        for i in range(5)
    ]  # fmt: skip
    row = row_of(desk([complaint("C1", shipment_id="L1")], lots, short, sold), "C1")
    assert row["missing_evidence"] == "purchase proof covers 100 units, 150 sold from the lot (L1)"
    few_sold = sold[:3]
    assert (
        row_of(desk([complaint("C1", shipment_id="L1")], lots, short, few_sold), "C1")[
            "evidence_status"
        ]
        == "ready"
    )
    # an invoice that states no quantity is taken to cover the lot
    unstated = [ALL_DOCS[0], doc("INV", "purchase_invoice", shipment_id="L1")]
    assert (
        row_of(desk([complaint("C1", shipment_id="L1")], lots, unstated), "C1")["evidence_status"]
        == "ready"
    )


def test_an_import_without_customs_declaration_is_partial() -> None:
    row = row_of(
        desk([complaint("C1", shipment_id="L1")], [lot("L1", is_import=True)], ALL_DOCS[:2]), "C1"
    )
    assert row["evidence_status"] == "partial"
    assert row["missing_evidence"] == "customs declaration missing (L1)"


def test_an_unbranded_lot_needs_no_authorization() -> None:
    invoice_only = [doc("INV", "purchase_invoice", shipment_id="L1", quantity=300)]
    row = row_of(
        desk([complaint("C1", shipment_id="L1")], [lot("L1", brand=None)], invoice_only), "C1"
    )
    assert row["evidence_status"] == "ready"
    branded = row_of(desk([complaint("C1", shipment_id="L1")], [lot("L1")], invoice_only), "C1")
    assert branded["evidence_status"] == "partial"
    assert branded["missing_evidence"] == "brand authorization missing (L1)"


def test_nothing_on_file_or_no_lot_is_not_ready_in_words_of_the_report_language() -> None:
    result = desk(
        [complaint("NOTHING", shipment_id="L1"), complaint("NOLOT", sku="SKU-9")],
        [lot("L1")],
        [doc("OTHER", "purchase_invoice", supplier_id="S2", shipment_id=None, sku="SKU-2")],
        language="zh",
    )
    assert row_of(result, "NOTHING")["evidence_status"] == "not_ready"
    assert (
        row_of(result, "NOTHING")["missing_evidence"] == "品牌授权书缺失（L1）；进货凭证缺失（L1）"
    )
    assert row_of(result, "NOLOT")["evidence_status"] == "not_ready"
    assert "无法确定批次" in row_of(result, "NOLOT")["missing_evidence"]
    assert result.not_ready == 2


# ------------------------------------------------------------------------------ lot tracing


def test_the_lot_comes_from_the_complaint_then_the_order_then_the_skus_lots() -> None:
    lots = _frame(
        [
            lot("L1", quantity=300, received_on="2026-09-01"),
            lot("L2", supplier_id="S2", quantity=100, received_on="2026-10-01"),
            lot("L3", quantity=500, received_on="2026-11-20"),  # after the order: not a candidate
            lot("OLD", quantity=900, received_on="2025-01-01"),  # outside the window
        ],
        ("received_on",),
    )
    complaints = _frame(
        [
            complaint("NAMED", shipment_id="L2", order_id="O1"),
            complaint("ORDER", order_id="O1"),
            complaint("GUESS", order_id="O2"),
            complaint("SUPPLIER", order_id="O2", supplier_id="S2"),
        ],
        ("opened_on",),
    )
    orders = _frame(
        [
            {"order_id": "O1", "sku": "SKU-1", "ordered_on": "2026-10-05", "shipment_id": "L1"},
            {"order_id": "O2", "sku": "SKU-1", "ordered_on": "2026-10-05", "shipment_id": None},
        ],
        ("ordered_on",),
    )
    traced = trace_lots(complaints, orders, lots, window_days=180, max_lots=10)
    got = {
        c: sorted(zip(g["shipment_id"], g["share"].round(2), g["basis"], strict=True))
        for c, g in traced.groupby("complaint_id")
    }
    assert got["NAMED"] == [("L2", 1.0, "complaint")]
    assert got["ORDER"] == [("L1", 1.0, "order")]
    assert got["GUESS"] == [("L1", 0.75, "inferred"), ("L2", 0.25, "inferred")]
    assert got["SUPPLIER"] == [("L2", 1.0, "inferred")]


def test_inferred_lots_are_said_to_be_inferred_with_their_shares() -> None:
    result = desk(
        [complaint("C1")],
        [
            lot("L1", quantity=300),
            lot("L2", quantity=100, supplier_id="S2", received_on="2026-10-02"),
        ],
    )
    row = row_of(result, "C1")
    assert row["shipment_ids"] == "inferred: L1 75% · L2 25%"
    assert row["supplier_ids"] == "S1 · S2"
    assert row["supplier_contact"] == "S1 王经理 13800001111 wang@example.cn; S2"


# --------------------------------------------------------------------------------- signals


def test_buyer_signals_are_shown_on_the_ticket_with_the_buyer_masked() -> None:
    history = [
        closed("E1", "2026-08-01", "rejected", buyer_id="pro_buyer"),
        closed("E2", "2026-09-01", "withdrawn", buyer_id="pro_buyer"),
        closed("E3", "2026-10-01", "upheld", buyer_id="pro_buyer", complaint_type="quality"),
        complaint(
            "C1", buyer_id="pro_buyer", description="假货！加我 13912345678", shipment_id="L1"
        ),
        complaint("C2", buyer_id="someone", opened_on="2026-11-23", shipment_id="L1"),
        complaint("C3", opened_on="2026-11-25", shipment_id="L1"),
    ]
    orders = [
        {"order_id": f"O{i}", "sku": "SKU-1", "ordered_on": "2026-11-0" + str(i + 1),
         "buyer_id": "pro_buyer", "shipment_id": None}
        for i in range(3)
    ]  # fmt: skip
    result = desk(history, [lot("L1")], orders=orders)
    row = row_of(result, "C1")
    assert row["repeat_buyer"] == (
        "3 earlier complaints by this buyer, 2 rejected or withdrawn; "
        "this buyer ordered this SKU 3 times"
    )
    assert "3 counterfeit complaints on this SKU within 3 days" in row["signals"]
    assert row["buyer"] == "p***r"
    assert "13912345678" not in row["description"] and "139****5678" in row["description"]
    assert pd.isna(row_of(result, "C2")["repeat_buyer"])
    everything = result.open_complaints.map(str).to_numpy().ravel().tolist()
    assert not any("pro_buyer" in cell or "someone" in cell for cell in everything)


def test_signals_never_raise_a_suppliers_risk() -> None:
    """The scoring world's complaints with and without one buyer behind all of them: the desk
    shows the repeat complainer, the scores do not move."""
    plain = TABLES["complaints"]
    one_buyer = plain.assign(buyer_id="pro_buyer", platform="pinduoduo")
    opened = pd.concat(
        [
            one_buyer,
            one_buyer.head(1).assign(
                complaint_id="C-OPEN", status="open", opened_on=pd.Timestamp(AS_OF)
            ),
        ],
        ignore_index=True,
    )

    def scored(complaints: pd.DataFrame) -> pd.DataFrame:
        result = score_suppliers(
            {**TABLES, "complaints": complaints},
            FLAGS,
            as_of=AS_OF,
            settings=SETTINGS.scoring,
            acceptance=SETTINGS.sampling.acceptance_rule,
            language="en",
        )
        return result.scores[["supplier_id", "counterfeit_risk", "quality_risk", "risk_tier"]]

    pd.testing.assert_frame_equal(scored(plain), scored(one_buyer))
    pd.testing.assert_frame_equal(
        scored(plain.assign(buyer_id=[f"b{i}" for i in range(len(plain))])), scored(one_buyer)
    )
    shown = complaint_desk(
        opened,
        TABLES["shipments"],
        suppliers=TABLES["suppliers"],
        documents=TABLES["documents"],
        orders=None,
        as_of=AS_OF,
        settings=SETTINGS.complaints,
        evidence=SETTINGS.scoring.evidence,
        language="en",
    )
    assert shown.open_complaints.loc[0, "repeat_buyer"] == (
        f"{len(plain)} earlier complaints by this buyer, 6 rejected or withdrawn"
    )


# ---------------------------------------------------------------------------------- appeals


def test_a_counterfeit_complaint_lost_with_a_ready_pack_is_worth_appealing() -> None:
    documents = [ALL_DOCS[0], doc("INV", "purchase_invoice", shipment_id="L1")]
    result = desk(
        [
            closed("LOST_READY", "2026-11-10", "upheld", shipment_id="L1"),
            closed("LOST_BARE", "2026-11-10", "upheld", shipment_id="L2"),
            closed("LOST_LONG_AGO", "2026-06-10", "upheld", shipment_id="L1"),
            closed("QUALITY", "2026-11-10", "upheld", shipment_id="L1", complaint_type="quality"),
            closed("REJECTED", "2026-11-10", "rejected", shipment_id="L1"),
        ],
        [lot("L1"), lot("L2", supplier_id="S2")],
        documents,
    )
    assert list(result.appeals["complaint_id"]) == ["LOST_READY"]
    assert result.open_complaints.empty
    # documents filed after the decision do not make a lost pack ready
    late = [{**d, "issued_on": "2026-11-22"} for d in documents]
    lost = [closed("LOST_READY", "2026-11-10", "upheld", shipment_id="L1")]
    assert desk(lost, [lot("L1")], late).appeals.empty
