"""The QA sample list workbook, read back with openpyxl (values, validation, print settings)."""

from __future__ import annotations

import errno
import gc
import re
import sys
from datetime import date
from pathlib import Path

import openpyxl
import openpyxl.writer.excel
import pandas as pd
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.ingest.folder import ingest_folder
from supplier_audit.reporting.qa_workbook import write_qa_workbook
from tests.test_sampling import plan_tonight

AS_OF = date(2026, 11, 20)
# The verdict formula: only references to the row's own cells and the two verdict words.
VERDICT = (
    r'=IF\(COUNT\([A-Z]+(\d+),[A-Z]+\1,[A-Z]+\1,[A-Z]+\1\)=0,"",IF\(OR\([A-Z]+\1>0,'
    r'AND\([A-Z]+\1>0,[A-Z]+\1<>"(已排除|cleared)"\),'
    r'[A-Z]+\1(\+[A-Z]+\1)?>=[A-Z]+\1\),"(拒收|reject)","(接收|accept)"\)\)'
)


def _plan(
    warehouses: list[str | None] | None = None, skus: list[str] | None = None
) -> pd.DataFrame:
    shipments = pd.DataFrame(
        {
            "shipment_id": ["S1", "S2", "S3"],
            "supplier_id": ["V1", "V1", "V2"],
            "sku": skus or ["K1", "K2", "K3"],
            "received_on": pd.to_datetime(["2026-11-18", "2026-11-19", "2026-11-19"]),
            "quantity": [2400, 400, 5],
            "unit_cost": 3.5,
            "warehouse": warehouses or [None, None, None],
        }
    )
    return plan_tonight(shipments, None, as_of=AS_OF, aql=2.5, level="II", seed=9)


def _write(tmp_path: Path, plan: pd.DataFrame, **kwargs: object) -> openpyxl.Workbook:
    path = write_qa_workbook(plan, tmp_path / "qa.xlsx", as_of=AS_OF, **kwargs)  # type: ignore[arg-type]
    assert path == tmp_path / "qa.xlsx" and path.exists()
    return openpyxl.load_workbook(path)


def _headers(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[str]:
    return [str(cell.value) for cell in sheet[1]]


def book_rows(tmp_path: Path) -> list[tuple[object, ...]]:
    """The pick list's rows of the workbook last written by ``_write``."""
    book = openpyxl.load_workbook(tmp_path / "qa.xlsx")
    return list(book["抽样明细"].iter_rows(min_row=2, values_only=True))


def _column(sheet: openpyxl.worksheet.worksheet.Worksheet, name: str) -> list[object]:
    """The values of one column (by its contract name) below the header."""
    position = [h.split("\n")[1] for h in _headers(sheet)].index(name)
    return [row[position].value for row in sheet.iter_rows(min_row=2)]


def test_one_sheet_named_for_the_list_when_no_lot_names_a_warehouse(tmp_path: Path) -> None:
    book = _write(tmp_path, _plan())
    assert book.sheetnames == ["填写说明", "抽检清单", "抽样明细"]  # instructions, list, picks
    assert book["抽检清单"].max_row == 4  # header + 3 lots


def test_one_sheet_per_warehouse(tmp_path: Path) -> None:
    book = _write(tmp_path, _plan(warehouses=["上海仓", "北京仓", None]))
    # instructions, the warehouses by name, lots without a warehouse last, then the pick list
    assert book.sheetnames == ["填写说明", "上海仓", "北京仓", "未指定仓库", "抽样明细"]
    assert _column(book["上海仓"], "shipment_id") == ["S1"]
    assert _column(book["未指定仓库"], "shipment_id") == ["S3"]


def test_headers_are_a_chinese_label_then_the_contract_column_name(tmp_path: Path) -> None:
    headers = _headers(_write(tmp_path, _plan())["抽检清单"])
    for expected in (
        "入库单号\nshipment_id",
        "致命缺陷数\ncritical_defects",
        "严重缺陷数\nmajor_defects",
        "轻微缺陷数\nminor_defects",
        "检验日期\ninspected_on",
        "样本量\nsample_size",
        "备注\nnotes",
    ):
        assert expected in headers
    for header in headers:
        label, name = header.split("\n")
        assert label and name == name.lower() and " " not in name
    canonical = [h.split("\n")[1] for h in headers]
    assert canonical[:5] == ["priority", "shipment_id", "supplier_id", "risk_tier", "sku"]
    assert {"major_defects", "minor_defects", "counterfeit_units", "inspector"} <= set(canonical)
    assert {"lot_size", "aql", "code_letter", "acceptance_number", "rejection_number"} <= set(
        canonical
    )


def test_rows_hold_the_plan_and_empty_result_columns(tmp_path: Path) -> None:
    plan = _plan()
    sheet = _write(tmp_path, plan)["抽检清单"]
    names = [h.split("\n")[1] for h in _headers(sheet)]
    rows = [
        dict(zip(names, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    first = next(r for r in rows if r["shipment_id"] == "S1")
    assert (first["code_letter"], first["sample_size"]) == ("K", 125)
    assert (first["acceptance_number"], first["rejection_number"]) == (7, 8)
    assert first["severity"] == "正常检验"
    # 125 units are a pick list, not an overflowing cell
    assert first["sampled_units"] == "125件，见抽样明细"
    picked = [r for r in book_rows(tmp_path) if r[2] == "S1"]
    assert (
        " ".join(str(r[4]) for r in picked)
        == plan.set_index("shipment_id").at["S1", "sampled_units"]
    )
    assert sum(int(r[5]) for r in picked) == 125
    for row in rows:
        for result in ("critical_defects", "major_defects", "inspector", "inspected_on", "notes"):
            assert row[result] is None


def test_result_columns_are_validated(tmp_path: Path) -> None:
    sheet = _write(tmp_path, _plan())["抽检清单"]
    names = [h.split("\n")[1] for h in _headers(sheet)]
    letter = {n: openpyxl.utils.get_column_letter(i) for i, n in enumerate(names, start=1)}
    validations = sheet.data_validations.dataValidation
    counts = next(v for v in validations if v.type == "whole")
    assert counts.operator == "between" and counts.formula1 == "0"
    assert counts.formula2 == f"${letter['sample_size']}2"  # each row: at most its sample size
    covered = str(counts.sqref)
    for name in ("critical_defects", "major_defects", "minor_defects", "counterfeit_units"):
        assert f"{letter[name]}2:{letter[name]}4" in covered
    dates = next(v for v in validations if v.type == "date")
    assert str(dates.sqref) == f"{letter['inspected_on']}2:{letter['inspected_on']}4"
    assert sheet[f"{letter['inspected_on']}2"].number_format == "yyyy-mm-dd"


def test_sheets_print_landscape_one_page_wide_with_the_header_on_every_page(
    tmp_path: Path,
) -> None:
    sheet = _write(tmp_path, _plan())["抽检清单"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.freeze_panes == "A2"
    names = [h.split("\n")[1] for h in _headers(sheet)]
    letter = {n: openpyxl.utils.get_column_letter(i) for i, n in enumerate(names, start=1)}
    shown = [
        sheet.column_dimensions[letter[n]].width
        for n in names
        if not sheet.column_dimensions[letter[n]].hidden
    ]
    # about 170 units a row: 8 pt or more on landscape A4 (tests/test_print.py measures it)
    assert sum(shown) <= 175
    hidden = {n for n in names if sheet.column_dimensions[letter[n]].hidden}
    assert hidden == {"inspection_level", "aql", "code_letter"}  # kept, not printed


def test_formula_like_values_stay_text(tmp_path: Path) -> None:
    skus = ['=HYPERLINK("http://evil.example","x")', "+86-1", "@SUM(A1)"]
    book = _write(tmp_path, _plan(skus=skus))
    sheet = book["抽检清单"]
    names = [h.split("\n")[1] for h in _headers(sheet)]
    column = names.index("sku")
    written = sorted(str(row[column].value) for row in sheet.iter_rows(min_row=2))
    assert written == sorted(skus)
    for row in sheet.iter_rows(min_row=2):
        assert row[column].data_type == "s"
    verdicts = _column(sheet, "verdict")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            # the one formula is the audit's verdict, made of cell references and two words
            assert cell.data_type != "f" or cell.value in verdicts
    assert all(re.fullmatch(VERDICT, str(v)) for v in verdicts)


def test_characters_excel_cannot_hold_are_stripped(tmp_path: Path) -> None:
    book = _write(tmp_path, _plan(skus=["K\x01\x07one", "K2", "K3"]))
    assert "Kone" in _column(book["抽检清单"], "sku")


def test_english_headers_keep_the_contract_names(tmp_path: Path) -> None:
    book = _write(tmp_path, _plan(), language="en")
    assert book.sheetnames == ["Instructions", "Inspection list", "Pick list"]
    headers = _headers(book["Inspection list"])
    assert "Shipment\nshipment_id" in headers
    assert "Critical defects\ncritical_defects" in headers
    with pytest.raises(ValueError, match="language"):
        write_qa_workbook(_plan(), tmp_path / "x.xlsx", as_of=AS_OF, language="fr")


def test_filled_in_workbook_reads_back_as_inspections(tmp_path: Path) -> None:
    book = _write(tmp_path, _plan())
    sheet = book["抽检清单"]
    names = [h.split("\n")[1] for h in _headers(sheet)]
    col = {n: i + 1 for i, n in enumerate(names)}
    sheet.cell(row=2, column=col["major_defects"], value=3)
    sheet.cell(row=2, column=col["inspected_on"], value=date(2026, 11, 21))
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    frame = pd.read_excel(filled, sheet_name="抽检清单", dtype={"入库单号\nshipment_id": str})
    frame.columns = [c.split("\n")[1] for c in frame.columns]
    inspections = ["shipment_id", "inspected_on", "sample_size", "critical_defects"]
    assert set(inspections) <= set(frame.columns)
    assert frame.loc[0, "major_defects"] == 3
    assert str(frame.loc[0, "inspected_on"])[:10] == "2026-11-21"


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [("zh", "疑似", "suspected"), ("zh", "已排除", "cleared"), ("en", "confirmed", "confirmed")],
)
def test_counterfeit_status_is_offered_as_a_list_and_reads_back(
    tmp_path: Path, language: str, typed: str, expected: str
) -> None:
    book = _write(tmp_path, _plan(), language=language)
    sheet = book["抽检清单" if language == "zh" else "Inspection list"]
    names = [h.split("\n")[1] for h in _headers(sheet)]
    col = {n: i + 1 for i, n in enumerate(names)}
    letter = openpyxl.utils.get_column_letter(col["counterfeit_status"])
    offered = next(v for v in sheet.data_validations.dataValidation if v.type == "list")
    assert str(offered.sqref) == f"{letter}2:{letter}4"
    assert typed in offered.formula1.strip('"').split(",")
    for name, value in (
        ("critical_defects", 0), ("major_defects", 0), ("minor_defects", 0),
        ("counterfeit_units", 1), ("inspected_on", date(2026, 11, 20)),
        ("counterfeit_status", typed),
    ):  # fmt: skip
        sheet.cell(row=2, column=col[name], value=value)
    data = tmp_path / "data"
    data.mkdir()
    book.save(data / "inspections.xlsx")
    (data / "suppliers.csv").write_text(
        "supplier_id,supplier_name,channel\nV1,One,wholesaler\nV2,Two,wholesaler\n", "utf-8"
    )
    (data / "shipments.csv").write_text(
        "shipment_id,supplier_id,sku,received_on,quantity,unit_cost\n"
        "S1,V1,K1,2026-11-18,2400,3.5\nS2,V1,K2,2026-11-19,400,3.5\n"
        "S3,V2,K3,2026-11-19,5,3.5\n",
        "utf-8",
    )
    (data / "reviews.csv").write_text("review_id,sku,created_at\nR1,K1,2026-11-19\n", "utf-8")
    ingested = ingest_folder(data, load_config().settings, as_of=AS_OF)
    inspections = ingested["inspections"]
    lot = sheet.cell(row=2, column=col["shipment_id"]).value
    first = inspections[inspections["shipment_id"] == lot]
    assert first["counterfeit_status"].tolist() == [expected]
    assert first["counterfeit_units"].tolist() == [1]


def test_cells_are_bordered_top_aligned_and_text_wraps(tmp_path: Path) -> None:
    skus = ["=1+1", "K2", "K3"]
    sheet = _write(tmp_path, _plan(skus=skus))["抽检清单"]
    names = [h.split("\n")[1] for h in _headers(sheet)]
    col = {n: i for i, n in enumerate(names)}
    header = sheet[1]
    assert sheet.row_dimensions[1].height >= 45  # label and contract name, wrapped
    assert all(c.font.b and c.alignment.wrap_text and c.border.left.style == "thin" for c in header)
    assert header[col["inspector"]].fill.fgColor.rgb.endswith("FFF2CC")  # to fill in
    assert header[col["sku"]].fill.fgColor.rgb.endswith("DDEBF7")
    for row in sheet.iter_rows(min_row=2):
        assert all(c.border.bottom.style == "thin" for c in row)  # result cells too
        assert (
            row[col["reason"]].alignment.wrap_text and row[col["sampled_units"]].alignment.wrap_text
        )
        assert row[col["shipment_id"]].alignment.wrap_text  # every text wraps in its column
        assert row[col["shipment_id"]].alignment.vertical == "top"
        assert row[col["sample_size"]].alignment.vertical == "top"
        assert isinstance(row[col["sample_size"]].value, int)
        assert isinstance(row[col["aql"]].value, float)
        assert row[col["inspected_on"]].number_format == "yyyy-mm-dd"
    lot = col["shipment_id"]
    formula_like = next(r[col["sku"]] for r in sheet.iter_rows(min_row=2) if r[lot].value == "S1")
    assert formula_like.value == "=1+1" and formula_like.data_type == "s"
    assert formula_like.quotePrefix  # Excel shows the text, and keeps it text when edited
    plain = next(r[col["sku"]] for r in sheet.iter_rows(min_row=2) if r[lot].value == "S2")
    assert not plain.quotePrefix


def test_rows_are_as_tall_as_their_longest_wrapped_text_counting_cjk_double(
    tmp_path: Path,
) -> None:
    plan = _plan()
    plan["reason"] = plan["shipment_id"].map(
        {"S3": "新批次", "S2": "received today\n首次入库的批次", "S1": "很长的抽检原因" * 6}
    )
    sheet = _write(tmp_path, plan)["抽检清单"]
    heights = {
        str(row[1].value): sheet.row_dimensions[row[0].row].height or 15.0
        for row in sheet.iter_rows(min_row=2)
    }
    assert heights["S3"] <= 30.0  # a few units: at most two lines
    assert heights["S2"] >= 30.0  # the reason's line break
    assert heights["S1"] >= 15.0 * 5  # 42 CJK characters (84 units) in a 20-unit column
    assert sheet.row_dimensions[1].height >= 45  # the wrapped two-line headers


def test_the_pick_list_has_a_row_per_run_of_units_or_per_carton(tmp_path: Path) -> None:
    from supplier_audit.reporting.qa_workbook import pick_list

    lots = pd.DataFrame(
        {
            "shipment_id": ["L1", "L2", "L3"],
            "sku": ["K1", "K2", "K3"],
            "sampled_units": [
                " ".join(str(u) for u in range(1, 50, 2)) + " 60-64",  # 25 numbers and a run
                "C01-U02 C01-U07 C03-U01",
                "ALL C01-U01..C02-U12",
            ],
            "sample_size": [30, 3, 24],
            "priority": [1, 2, 3],
        }
    )
    picks = pick_list(lots)
    first = picks[picks["shipment_id"] == "L1"]
    assert first["count"].tolist() == [20, 10] and first["count"].sum() == 30
    assert first["units"].iloc[-1].endswith("60-64")
    assert picks[picks["shipment_id"] == "L2"]["units"].tolist() == ["C01: U02 U07", "C03: U01"]
    assert picks[picks["shipment_id"] == "L3"]["count"].tolist() == [24]
    book = _write(tmp_path, _plan())
    assert [c.value for c in book["抽样明细"][1]][-1] == "已抽 ✓"  # a column to tick


def test_an_empty_plan_says_so_above_the_headers_and_keeps_the_print_setup(
    tmp_path: Path,
) -> None:
    sheet = _write(tmp_path, _plan().iloc[:0])["抽检清单"]
    assert sheet["A1"].value == "今晚没有需要抽检的批次"
    assert sheet.max_row == 2 and sheet["B2"].value == "入库单号\nshipment_id"
    assert not sheet.data_validations.dataValidation  # nothing to fill in
    assert sheet.freeze_panes == "A3" and sheet.page_setup.orientation == "landscape"
    assert sheet.oddHeader.center.text == "抽检清单 2026-11-20"
    assert sheet.oddFooter.center.text == "&P / &N"


def test_a_failed_save_publishes_nothing_and_leaves_no_open_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(self: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    # the disk fills while the sheets are packed into the archive
    monkeypatch.setattr(openpyxl.writer.excel.ExcelWriter, "write_data", full_disk)
    complaints: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", complaints.append)
    with pytest.raises(OSError, match="No space"):
        write_qa_workbook(_plan(), tmp_path / "qa.xlsx", as_of=AS_OF)
    gc.collect()  # the workbook's sheets are collected here
    assert not complaints  # no "exception ignored" from a half-written sheet
    assert not (tmp_path / "qa.xlsx").exists()
