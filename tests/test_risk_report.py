"""The purchaser's workbook, read back as a person's Excel would read it."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from supplier_audit.reporting import cells, risk_evidence, risk_report
from supplier_audit.reporting.cells import EXCEL_MAX_CELL_CHARS, TRUNCATION_MARKER
from supplier_audit.reporting.labels import all_keys, label
from supplier_audit.reporting.risk_report import RiskReportInputs, write_risk_report

HOSTILE = [
    '=HYPERLINK("http://evil.example/","点我")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
]

MANIFEST = {
    "as_of": "2026-11-26",
    "inputs": {
        "suppliers": {
            "rows_read": 3,
            "rows_valid": 3,
            "rows_quarantined": 0,
            "rows_pending": 0,
            "files": [{"file": "suppliers.csv", "sha256": "ab" * 32, "rows_read": 3}],
        },
        "reviews": {
            "rows_read": 9,
            "rows_valid": 8,
            "rows_quarantined": 1,
            "rows_pending": 0,
            "files": [{"file": "reviews.csv", "sha256": "cd" * 32, "rows_read": 9}],
        },
    },
    "config": {"version": "2026.11.0", "sha256": "ef" * 32, "timezone": "Asia/Shanghai"},
    "seed": 7,
    "versions": {"supplier_audit": "0.1.0", "pandas": "3.1.1"},
    "stages": {"ingest": {"seconds": 1.5}},
}


def scores() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "supplier_id": ["S1", "S2", "S3", "=S4"],
            "supplier_name": ["义乌市甲贸易有限公司", "广州乙服饰厂", "深圳丙电子商行", "=cmd()"],
            "counterfeit_risk": [92.0, 40.0, 10.0, 65.0],
            "quality_risk": [50.0, 70.0, 5.0, 20.0],
            "risk_tier": ["critical", "medium", "low", "high"],
            "main_reasons": [
                "4 of 52 reviews suspect counterfeit; no brand authorization",
                "",
                "",
                "",
            ],
            "recommended_action": ["stop purchasing", "monitor", "none", "request documents"],
            "evidence_readiness": [0.2, 0.9, 1.0, 0.5],
            "newly_high_or_critical": [True, False, False, True],
        }
    )


def flagged_reviews(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "review_id": [f"R{i}" for i in range(len(texts))],
            "created_at": pd.Timestamp("2026-11-20 10:00"),
            "sku": "SKU-1",
            "supplier_id": "S1",
            "rating": 1,
            "text": texts,
            "counterfeit_suspect": True,
            "categories": "counterfeit",
            "matched_terms": "假货",
            "max_severity": 3,
            "spans": [[(0, 2)] if t.startswith("假货") else [] for t in texts],
        }
    )


def inputs(language: str = "zh", **extra: object) -> RiskReportInputs:
    values: dict[str, object] = {
        "as_of": dt.date(2026, 11, 26),
        "language": language,
        "manifest": MANIFEST,
        "lookback_days": 180,
        "quarantine_reasons": pd.DataFrame(
            {"table": ["reviews"], "reason": ["rating '…' is below the minimum 1"], "rows": [1]}
        ),
        "scores": scores(),
        "flagged_reviews": flagged_reviews(["假货，和专柜的不一样", *HOSTILE]),
    }
    values.update(extra)
    return RiskReportInputs(**values)  # type: ignore[arg-type]


@pytest.fixture
def book_path(tmp_path: Path) -> Path:
    return write_risk_report(inputs(), tmp_path / "supplier-risk-2026-11-26.xlsx")


def test_sheets_in_order_and_only_those_with_content(book_path: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["摘要", "供应商风险", "证据", "数据质量", "运行信息", "图表数据"]
    bare = write_risk_report(inputs(scores=None, flagged_reviews=None), tmp_path / "bare.xlsx")
    assert openpyxl.load_workbook(bare).sheetnames == ["摘要", "数据质量", "运行信息"]


def test_english_report(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write_risk_report(inputs("en"), tmp_path / "en.xlsx"))
    assert book.sheetnames == [
        "Summary",
        "Suppliers",
        "Evidence",
        "Data quality",
        "Run info",
        "Chart data",
    ]
    assert book["Suppliers"]["A1"].value == "Supplier ID"
    assert book["Suppliers"]["C2"].value == "critical"


def test_every_label_exists_in_both_languages() -> None:
    for key in all_keys():
        assert label(key, "zh") and label(key, "en")
        assert label(key, "zh") != key


def test_suppliers_sheet_is_ranked_coloured_frozen_and_filtered(book_path: Path) -> None:
    sheet = openpyxl.load_workbook(book_path)["供应商风险"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["供应商编号", "供应商名称", "风险等级", "假货风险", "质量风险"]
    assert [sheet.cell(r, 1).value for r in range(2, 6)] == ["S1", "=S4", "S2", "S3"]
    tier_cell = sheet["C2"]
    assert tier_cell.value == "严重"
    assert tier_cell.fill.fgColor.rgb.endswith(risk_report.TIER_COLOURS["critical"])
    assert sheet["C3"].fill.fgColor.rgb.endswith(risk_report.TIER_COLOURS["high"])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:H5"
    rules = {r.type for cf in sheet.conditional_formatting for r in cf.rules}
    assert "dataBar" in rules
    assert sheet["H1"].value == "凭证完备率" and sheet["H2"].number_format == "0.0%"
    assert sheet.column_dimensions["B"].width >= 20  # CJK names fit


def test_summary_has_tiers_newly_high_top_risks_and_charts(book_path: Path) -> None:
    sheet = openpyxl.load_workbook(book_path)["摘要"]
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "供应商假货与质量风险日报" in values
    assert "新升为高 / 严重风险" in values and "最高风险供应商" in values
    assert "4 of 52 reviews suspect counterfeit" in values  # the main reason, first clause
    with zipfile.ZipFile(book_path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2


def test_summary_lists_every_supplier_to_stop_or_suspend_buying(tmp_path: Path) -> None:
    # 14 counterfeit sources to stop and one quality supplier suspended (discontinued) whose
    # counterfeit risk is low: all 15 are listed, however many; the others are not.
    n = 16
    many = pd.DataFrame(
        {
            "supplier_id": [f"S{i:02d}" for i in range(n)],
            "supplier_name": [f"供应商{i}" for i in range(n)],
            "counterfeit_risk": [90.0 - i for i in range(14)] + [12.0, 80.0],
            "quality_risk": [10.0] * 14 + [66.0, 10.0],
            "risk_tier": ["critical"] * 14 + ["high", "critical"],
            "main_reasons": ["confirmed fakes"] * 14 + ["5 of 5 lots rejected", "fakes"],
            "recommended_action": ["stop purchasing"] * 14 + ["stop until corrected", "x"],
            "stop_buying": [True] * 15 + [False],
            "newly_high_or_critical": [False] * n,
        }
    )
    path = write_risk_report(inputs(scores=many), tmp_path / "stop.xlsx")
    sheet = openpyxl.load_workbook(path)["摘要"]
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "需停止或暂停采购的供应商（15家）" in values and "最高风险供应商" not in values
    listed = {v for v in values if isinstance(v, str) and v.startswith("S")}
    assert {f"S{i:02d}" for i in range(15)} <= listed
    assert "S15" not in listed
    assert "5 of 5 lots rejected" in values and 66.0 in values  # the quality verdict too


def test_hostile_text_never_becomes_a_formula(book_path: Path) -> None:
    with zipfile.ZipFile(book_path) as archive:
        sheets = [
            archive.read(n).decode("utf-8")
            for n in archive.namelist()
            if n.startswith("xl/worksheets/sheet")
        ]
    # the report has no formulas of its own, so no <f> element may appear anywhere
    assert not any(re.search(r"<f[ >]", xml) for xml in sheets)
    evidence = openpyxl.load_workbook(book_path)["证据"]
    texts = {evidence.cell(r, 13).value for r in range(2, evidence.max_row + 1)}
    # (XML stores a carriage return as a line feed; the text stays text either way)
    for hostile in HOSTILE:
        assert hostile.replace("\r", "\n") in {str(t).replace("\r", "\n") for t in texts}
    names = {c.value for c in openpyxl.load_workbook(book_path)["供应商风险"]["B"]}
    assert "=cmd()" in names


def test_matched_terms_are_highlighted(tmp_path: Path) -> None:
    path = write_risk_report(inputs(), tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(path, rich_text=True)["证据"]
    cell = next(
        sheet.cell(r, 13)
        for r in range(2, sheet.max_row + 1)
        if str(sheet.cell(r, 13).value).startswith("假货")
    )
    blocks = list(cell.value)
    assert blocks[0].text == "假货" and blocks[0].font.b


def test_characters_excel_cannot_hold_are_removed_and_long_text_cut(tmp_path: Path) -> None:
    long_text = "质量差" * 20_000
    path = write_risk_report(
        inputs(flagged_reviews=flagged_reviews(["坏了\x00\x07\x1b了", long_text])),
        tmp_path / "r.xlsx",
    )
    sheet = openpyxl.load_workbook(path)["证据"]
    texts = [sheet.cell(r, 13).value for r in range(2, sheet.max_row + 1)]
    assert "坏了了" in texts
    cut = next(t for t in texts if t.startswith("质量差"))
    assert len(cut) == EXCEL_MAX_CELL_CHARS and cut.endswith(TRUNCATION_MARKER)


def test_a_sheet_past_excels_row_limit_is_capped_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cells, "EXCEL_MAX_ROWS", 6)
    path = write_risk_report(
        inputs(flagged_reviews=flagged_reviews(["差"] * 10)), tmp_path / "r.xlsx"
    )
    sheet = openpyxl.load_workbook(path)["证据"]
    assert sheet.max_row == 6
    assert "仅列出前 4 行（共 10 行）" in sheet.cell(6, 1).value


def test_data_quality_and_run_info(book_path: Path) -> None:
    book = openpyxl.load_workbook(book_path)
    quality = book["数据质量"]
    assert [c.value for c in quality[1]] == [
        "数据表",
        "读取行数",
        "有效行数",
        "隔离行数",
        "待填行数",
    ]
    assert [c.value for c in quality[3]] == ["reviews", 9, 8, 1, 0]
    run_info = [c.value for row in book["运行信息"].iter_rows() for c in row if c.value]
    assert "ef" * 32 in run_info and "ab" * 32 in run_info and 7 in run_info


def test_the_evidence_sheet_lists_the_worst_items_up_to_the_configured_cap(tmp_path: Path) -> None:
    reviews = flagged_reviews([f"差{i}" for i in range(30)]).assign(
        max_severity=[3 if i < 5 else 1 for i in range(30)]
    )
    path = write_risk_report(
        inputs(flagged_reviews=reviews, max_evidence_rows=10), tmp_path / "r.xlsx"
    )
    sheet = openpyxl.load_workbook(path)["证据"]
    assert sheet.max_row == 12  # header, 10 items, the note
    severities = [sheet.cell(r, 2).value for r in range(2, 12)]
    assert severities[:5] == [3] * 5  # the most serious come first
    assert "仅列出最严重的前 10 条（共 30 条）" in sheet.cell(12, 1).value


def test_lots_to_hold_and_inspections_stop_at_the_cap_saying_where_the_rest_are(
    tmp_path: Path,
) -> None:
    # 30 lots of three suppliers, received on 30 different days, sorted by supplier and
    # newest first, as the night gives them
    received = pd.Timestamp("2026-11-25") - pd.to_timedelta(range(30), unit="D")
    hold = pd.DataFrame(
        {
            "supplier_id": [f"S{i % 3}" for i in range(30)],
            "supplier_name": "义乌市甲贸易有限公司",
            "shipment_id": [f"LOT{i:02d}" for i in range(30)],
            "sku": "SKU-1",
            "brand": "青麦",
            "received_on": received,
            "quantity": 10,
            "proof_missing": "品牌授权书",
            "proof_expired": "",
            "received_without_check": True,
        }
    ).sort_values(["supplier_id", "received_on"], ascending=[True, False], kind="stable")
    plan = pd.DataFrame(
        {
            "shipment_id": [f"LOT{i:02d}" for i in range(25)],
            "supplier_id": "S1",
            "sku": "SKU-1",
            "lot_size": 500,
            "sample_size": 50,
        }
    )
    path = write_risk_report(
        inputs(lots_to_hold=hold, inspection_plan=plan, max_evidence_rows=10), tmp_path / "r.xlsx"
    )
    book = openpyxl.load_workbook(path)
    sheet = book["暂缓上架批次"]
    assert sheet.max_row == 12  # header, 10 lots, the note
    header = [c.value for c in sheet[1]]
    shown = [sheet.cell(r, header.index("入库单号") + 1).value for r in range(2, 12)]
    # the ten most recently received lots (LOT00..LOT09), still grouped by supplier
    assert sorted(shown) == [f"LOT{i:02d}" for i in range(10)]
    suppliers = [sheet.cell(r, 1).value for r in range(2, 12)]
    assert suppliers == sorted(suppliers)
    assert "仅列出最近到货的 10 批（共 30 批）" in sheet.cell(12, 1).value
    assert "lots_to_hold.csv" in sheet.cell(12, 1).value
    inspections = book["抽检"]
    assert inspections.max_row == 12
    assert "仅列出前 10 批（共 25 批）" in inspections.cell(12, 1).value
    assert "inspection_plan.csv" in inspections.cell(12, 1).value


def test_table_cells_are_styled_by_their_column_kind(tmp_path: Path) -> None:
    reviews = flagged_reviews(["#N/A", "=1+1", "差评\n第二行", "#REF!"]).assign(
        sku=["#DIV/0!", "SKU-1", "SKU-2", "SKU-3"],
        rating=[1, 2, 3, 1500],
        matched_terms=["\x01=1+1", "假货\x07", None, "+1"],
    )
    path = write_risk_report(inputs(flagged_reviews=reviews), tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(path)
    suppliers = book["供应商风险"]
    for row in range(2, 6):
        tier = suppliers.cell(row, 3)
        colour = risk_report.TIER_COLOURS[
            scores().set_index("supplier_name").loc[suppliers.cell(row, 2).value, "risk_tier"]
        ]
        assert tier.fill.fgColor.rgb.endswith(colour) and tier.font.b
        assert suppliers.cell(row, 4).number_format == "0.0"  # scores keep one decimal
    assert suppliers["F2"].alignment.wrap_text and suppliers["F2"].alignment.vertical == "top"
    assert not suppliers["A2"].alignment.wrap_text
    evidence = book["证据"]
    header = [c.value for c in evidence[1]]
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("1F4E78") for c in evidence[1])
    rows = list(evidence.iter_rows(min_row=2))
    column = {name: header.index(label(name, "zh")) for name in ("date", "sku", "rating", "text")}
    for row in rows:
        assert row[column["date"]].number_format == "yyyy-mm-dd"  # the column kind wins
        text = row[column["text"]]
        assert text.data_type == "s" and text.alignment.wrap_text
    # error-code-like and formula-like input stays text, in plain and in wrapped columns
    texts = {r[column["text"]].value: r[column["text"]].data_type for r in rows}
    assert texts["#N/A"] == texts["#REF!"] == texts["=1+1"] == "s"
    skus = {r[column["sku"]].value: r[column["sku"]].data_type for r in rows}
    assert skus["#DIV/0!"] == "s"
    terms = header.index(label("matched_terms", "zh"))
    # cleaned first: a formula hidden behind a control character is still only text
    assert {r[terms].value: r[terms].data_type for r in rows if r[terms].value} == {
        "=1+1": "s",
        "假货": "s",
        "+1": "s",
    }
    ratings = {r[column["rating"]].value: r[column["rating"]].number_format for r in rows}
    assert ratings == {1: "General", 2: "General", 3: "General", 1500: "#,##0"}


def test_every_sheet_prints_one_page_wide_with_its_name_and_page_numbers(
    book_path: Path,
) -> None:
    """fitToWidth means nothing without the sheet's fitToPage flag (a write-only sheet writes
    that flag with its first row): without it the zh demo report printed as 681 pages."""
    book = openpyxl.load_workbook(book_path)
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible" or sheet.max_row < 2:
            continue
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.page_setup.orientation == "landscape", sheet.title
    for sheet in book.worksheets[1:]:
        if sheet.sheet_state == "visible":
            assert sheet.oddHeader.center.text == "&A" and sheet.oddFooter.center.text == "&P / &N"


def test_the_summary_labels_fit_their_column_in_english(tmp_path: Path) -> None:
    path = write_risk_report(inputs("en"), tmp_path / "en.xlsx")
    summary = openpyxl.load_workbook(path).worksheets[0]
    labels = [row[0].value for row in summary.iter_rows(min_row=2, max_row=7) if row[0].value]
    assert "Quarantined input rows" in labels
    assert summary.column_dimensions["A"].width >= max(len(str(t)) for t in labels) + 2


def test_evidence_gives_each_supplier_of_a_shared_review_its_own_row(tmp_path: Path) -> None:
    """A review attributed by SKU share to two suppliers is two rows, each with its share, so
    the filter on a supplier finds all of its evidence (was: 'S1 60% · S2 40%' in one cell)."""
    reviews = flagged_reviews(["假货，和专柜的不一样", "质量差"]).assign(supplier_id=None)
    attribution = pd.DataFrame(
        {
            "table": ["reviews", "reviews", "reviews"],
            "item_id": ["R0", "R0", "R1"],
            "supplier_id": ["S1", "S2", "S2"],
            "weight": [0.6, 0.4, 1.0],
        }
    )
    path = write_risk_report(
        inputs(flagged_reviews=reviews, attribution=attribution), tmp_path / "r.xlsx"
    )
    sheet = openpyxl.load_workbook(path)["证据"]
    header = [c.value for c in sheet[1]]
    rows = [
        dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    shown = sorted((r["编号"], r["供应商编号"], r["供应商名称"], r["归属比例"]) for r in rows)
    assert shown == [
        ("R0", "S1", "义乌市甲贸易有限公司", 0.6),
        ("R0", "S2", "广州乙服饰厂", 0.4),
        ("R1", "S2", "广州乙服饰厂", 1),
    ]


def test_the_data_quality_reasons_are_in_chinese_in_the_chinese_report(tmp_path: Path) -> None:
    reasons = pd.DataFrame(
        {
            "table": ["shipments", "shipments", "reviews", "suppliers"],
            "reason": [
                "supplier_id: unknown supplier S404 (not in suppliers)",
                "received_on '…' is ambiguous (day and month order unknown); "
                "write it as 2026-11-03",
                "rating 0 is below the minimum 1",
                "duplicate supplier_id S1 (first kept, on row 2)",
            ],
            "rows": [3, 2, 1, 1],
        }
    )
    path = write_risk_report(inputs(quarantine_reasons=reasons), tmp_path / "r.xlsx")
    cells = [
        str(c.value)
        for row in openpyxl.load_workbook(path)["数据质量"].iter_rows()
        for c in row
        if c.value is not None
    ]
    assert "supplier_id：未知的供应商 S404（供应商 表中没有）" in cells
    assert "received_on：'…' 无法确定日和月的顺序，请写成 2026-11-03" in cells
    assert "rating 0 小于最小值 1" in cells
    assert "重复的 supplier_id S1（保留第 2 行的第一条）" in cells
    assert "入库批次" in cells  # the table named in words too
    english = write_risk_report(inputs("en", quarantine_reasons=reasons), tmp_path / "e.xlsx")
    en_cells = {
        str(c.value)
        for row in openpyxl.load_workbook(english)["Data quality"].iter_rows()
        for c in row
    }
    assert "rating 0 is below the minimum 1" in en_cells


def test_a_capped_evidence_list_shows_what_the_whole_list_starts_with() -> None:
    # 40 reviews: three severities, two counterfeit states, a few dates (many ties), and
    # every third one shared between two or three suppliers with different shares
    n = 40
    reviews = flagged_reviews([f"差{i}" for i in range(n)]).assign(
        max_severity=[(i * 7) % 3 + 1 for i in range(n)],
        counterfeit_suspect=[i % 4 == 0 for i in range(n)],
        created_at=[pd.Timestamp("2026-11-20") - pd.Timedelta(days=i % 3) for i in range(n)],
    )
    links = []
    for i in range(n):
        if i % 3 == 0:
            shares = [0.5, 0.3, 0.2] if i % 2 else [0.6, 0.4]
            for k, share in enumerate(shares):
                links.append(("reviews", f"R{i}", f"S{k + 1}", share, "sku_share"))
        else:
            links.append(("reviews", f"R{i}", "S1", 1.0, "lot"))
    attribution = pd.DataFrame(
        links, columns=["table", "item_id", "supplier_id", "weight", "basis"]
    )
    whole = risk_evidence.evidence_rows(inputs(flagged_reviews=reviews, attribution=attribution))
    for limit in (1, 5, 10, 17, 33):
        capped = risk_evidence.evidence_list(
            inputs(flagged_reviews=reviews, attribution=attribution), limit=limit
        )
        assert capped.total == len(whole) > limit
        assert len(capped.rows) >= limit
        shown = capped.rows.head(limit)[["reference", "supplier_id", "share", "severity"]]
        expected = whole.head(limit)[["reference", "supplier_id", "share", "severity"]]
        pd.testing.assert_frame_equal(shown, expected)
