"""The catalogue of hostile and messy input (docs/reliability.md): each case and its documented
outcome — read as valid, quarantined with a reason that names the column, or one clear fatal
error naming the file. Nothing else may happen: no traceback, no lost row."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import AuditConfig
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.folder import as_manifest_inputs, conservation_holds, ingest_folder
from supplier_audit.ingest.results import IngestResult
from supplier_audit.night.run import AuditRun, write_quarantine
from supplier_audit.reporting.cells import EXCEL_MAX_CELL_CHARS, TRUNCATION_MARKER, clean_text

from .conftest import AS_OF, BASE_TABLES, write_table

Folder = Callable[..., Path]


def ingest(folder: Path, settings: AuditConfig) -> IngestResult:
    result = ingest_folder(folder, settings, as_of=AS_OF)
    for table in result.tables.values():
        assert conservation_holds(table), table.name
    return result


def fatal(folder: Path, settings: AuditConfig) -> str:
    with pytest.raises(InputError) as caught:
        ingest_folder(folder, settings, as_of=AS_OF)
    return str(caught.value)


def base_row(table: str, **changes: object) -> dict[str, object]:
    row = dict(BASE_TABLES[table][0])
    row.update(changes)
    return row


def reasons(result: IngestResult, table: str) -> list[str]:
    return result.tables[table].quarantine["reason"].tolist()


SUPPLIERS_CSV = "supplier_id,supplier_name,channel\n"
# Enough Chinese text that a stray byte is a small share of the non-ASCII bytes, as in a real
# export (the share, not the count, is what tells damaged UTF-8 from GB18030).
MANY_SUPPLIERS = "".join(f"S{i},义乌市第{i}贸易有限公司,批发商\n" for i in range(1, 31))


# ------------------------------------------------------------------------------- encodings


def test_gb18030_file_is_read_and_its_encoding_recorded(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    (folder / "suppliers.csv").write_bytes((SUPPLIERS_CSV + MANY_SUPPLIERS).encode("gb18030"))
    result = ingest(folder, settings)
    assert result.tables["suppliers"].sources[0].encoding == "gb18030"
    assert result["suppliers"]["supplier_name"].iloc[0] == "义乌市第1贸易有限公司"
    assert (result["suppliers"]["channel"] == "wholesaler").all()


def test_utf8_with_bom_header_is_recognised(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder()
    (folder / "suppliers.csv").write_bytes(
        ("\ufeff供应商编号,供应商名称,渠道\nS1,甲,代发\n").encode()
    )
    result = ingest(folder, settings)
    # the BOM is not part of the first header, so 供应商编号 still means supplier_id
    assert result["suppliers"]["supplier_id"].tolist() == ["S1"]
    assert result.tables["suppliers"].sources[0].encoding == "utf-8-sig"


def test_utf8_file_with_a_few_stray_bytes_quarantines_only_the_damaged_rows(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    body = (SUPPLIERS_CSV + MANY_SUPPLIERS).encode()
    damaged_line = body.index(b"S7,")
    raw = body[:damaged_line] + b"S7\xff" + body[damaged_line + 2 :]
    (folder / "suppliers.csv").write_bytes(raw)
    result = ingest(folder, settings)
    assert result.tables["suppliers"].rows_read == 30
    assert result.tables["suppliers"].rows_valid == 29
    quarantined = result.tables["suppliers"].quarantine.iloc[0]
    assert quarantined["source_row"] == 8
    assert "undecodable bytes in the row (check the file's encoding)" in quarantined["reason"]


def test_mostly_ascii_file_with_a_byte_of_another_encoding_is_fatal(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """Neither UTF-8 nor GB18030 and too much damage to guess: one clear message."""
    folder = make_folder()
    (folder / "suppliers.csv").write_bytes(b"supplier_id,supplier_name,channel\nS1,Caf\xff,other\n")
    message = fatal(folder, settings)
    assert "suppliers.csv" in message and "unreadable encoding" in message
    assert "CSV UTF-8" in message  # tells the person how to save it


def test_utf16_text_from_excel_is_read(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder()
    (folder / "suppliers.csv").write_bytes((SUPPLIERS_CSV + "S1,甲,wholesaler\n").encode("utf-16"))
    assert ingest(folder, settings)["suppliers"]["supplier_name"].tolist() == ["甲"]


def test_a_stray_nul_byte_costs_the_character_not_the_file(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """Shop systems' exports carry stray control characters: the one cell loses them, the row
    stays valid, and the rows touched are counted and named."""
    folder = make_folder()
    reviews = "review_id,sku,created_at,text\n" + "".join(
        f"R{i},SKU-1,2026-11-05 10:00,质量很好 {i}\n" for i in range(1, 40)
    )
    reviews += "R40,SKU-1,2026-11-06 11:00,假\x00货\x07 一点也不好\n"
    (folder / "reviews.csv").write_bytes(reviews.encode("utf-8"))
    result = ingest(folder, settings)
    table = result.tables["reviews"]
    assert table.rows_valid == 40 and table.rows_quarantined == 0
    texts = result["reviews"].set_index("review_id")["text"]
    assert texts["R40"] == "假货 一点也不好"
    assert table.cleaned.to_dict("records") == [
        {"source_file": "reviews.csv", "source_row": 41, "columns": "text"}
    ]
    manifest = as_manifest_inputs(result, folder)["reviews"]
    assert manifest["rows_cleaned"] == 1 and manifest["conserved"]


def test_control_characters_in_a_parquet_cell_are_removed_too(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(replace={"suppliers": None})
    pd.DataFrame(
        {
            "supplier_id": ["S1", "S2"],
            "supplier_name": ["义乌\x0b甲贸易", "广州乙服饰厂"],
            "channel": ["wholesaler", "manufacturer"],
        }
    ).to_parquet(folder / "suppliers.parquet")
    result = ingest(folder, settings)
    assert result["suppliers"]["supplier_name"].tolist() == ["义乌甲贸易", "广州乙服饰厂"]
    assert result.tables["suppliers"].cleaned["columns"].tolist() == ["supplier_name"]


def test_a_workbook_renamed_csv_is_one_clear_fatal_error(
    make_folder: Folder, settings: AuditConfig, tmp_path: Path
) -> None:
    folder = make_folder()
    book = openpyxl.Workbook()
    book.active.append(["supplier_id", "supplier_name", "channel"])
    book.save(tmp_path / "suppliers.xlsx")
    (folder / "suppliers.csv").write_bytes((tmp_path / "suppliers.xlsx").read_bytes())
    message = fatal(folder, settings)
    assert "suppliers.csv" in message and "not a text file" in message and ".xlsx" in message


def test_a_binary_file_without_a_known_signature_is_fatal(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    noise = bytes(range(0, 32)) * 200
    (folder / "suppliers.csv").write_bytes(b"supplier_id,supplier_name,channel\n" + noise)
    message = fatal(folder, settings)
    assert "suppliers.csv" in message and "control characters" in message


# --------------------------------------------------------------------------- lines and rows


def test_crlf_and_newlines_inside_quoted_cells(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["review_id", "sku", "created_at", "text"])
    writer.writerow(["R1", "SKU-1", "2026-11-05 10:00", '第一行\r\n第二行, "引号"\n第三行'])
    writer.writerow(["R2", "SKU-1", "2026-11-05 11:00", "ok"])
    (folder / "reviews.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
    reviews = ingest(folder, settings)["reviews"]
    assert reviews["text"].iloc[0] == '第一行\r\n第二行, "引号"\n第三行'
    # one spreadsheet row per record, however many lines its text spans
    assert reviews["source_row"].tolist() == [2, 3]


def test_a_quote_that_is_never_closed_is_fatal_not_a_silent_merge(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    (folder / "suppliers.csv").write_text(
        SUPPLIERS_CSV + 'S1,"甲 unterminated,wholesaler\nS2,乙,manufacturer\n', encoding="utf-8"
    )
    message = fatal(folder, settings)
    assert "suppliers.csv" in message and "row 2 opens a quoted cell" in message


def test_a_literal_quote_in_an_unquoted_cell_is_text(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    (folder / "suppliers.csv").write_text(
        SUPPLIERS_CSV + 'S1,27" 显示器厂,manufacturer\nS2,乙,wholesaler\n', encoding="utf-8"
    )
    assert ingest(folder, settings)["suppliers"]["supplier_name"].iloc[0] == '27" 显示器厂'


def test_title_and_blank_rows_above_the_header_and_blank_rows_between(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    (folder / "suppliers.csv").write_text(
        "供应商名单\n导出人: 王芳,,\n\n,,\n"
        + SUPPLIERS_CSV
        + "S1,甲,wholesaler\n\n,,\nS2,乙,manufacturer\n",
        encoding="utf-8",
    )
    result = ingest(folder, settings)
    suppliers = result.tables["suppliers"]
    assert suppliers.rows_read == 2  # blank rows are not rows
    assert suppliers.valid["source_row"].tolist() == [6, 9]  # as a spreadsheet numbers them
    assert suppliers.sources[0].header_row == 5


def test_a_header_repeated_inside_the_data_is_quarantined(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    (folder / "suppliers.csv").write_text(
        SUPPLIERS_CSV + "S1,甲,wholesaler\n" + SUPPLIERS_CSV + "S2,乙,manufacturer\n",
        encoding="utf-8",
    )
    result = ingest(folder, settings)
    assert result["suppliers"]["supplier_id"].tolist() == ["S1", "S2"]
    assert reasons(result, "suppliers") == [
        "channel 'channel' is not one of: manufacturer, brand_owner, authorized_distributor, "
        "wholesaler, dropship, marketplace, other"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (b"\n\n,,\n", "the file is empty"),
        (b"   \n", "no header row found"),
    ],
)
def test_empty_files_are_fatal(
    make_folder: Folder, settings: AuditConfig, content: bytes, expected: str
) -> None:
    folder = make_folder()
    (folder / "reviews.csv").write_bytes(content)
    message = fatal(folder, settings)
    assert "reviews.csv" in message and expected in message


def test_header_only_required_table_is_fatal_and_optional_one_is_empty(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    (folder / "complaints.csv").write_text(
        "complaint_id,sku,opened_on,complaint_type,status\n", encoding="utf-8"
    )
    assert ingest(folder, settings).tables["complaints"].rows_read == 0
    (folder / "suppliers.csv").write_text(SUPPLIERS_CSV, encoding="utf-8")
    message = fatal(folder, settings)
    assert "suppliers.csv: table suppliers has a header but no rows" in message


def test_extra_unknown_columns_are_ignored_and_listed(
    make_folder: Folder, settings: AuditConfig
) -> None:
    rows = [dict(r, 备注="老客户", **{"Unnamed: 9": "x"}) for r in BASE_TABLES["shipments"]]
    folder = make_folder(replace={"shipments": rows})
    result = ingest(folder, settings)
    assert result.tables["shipments"].unknown_columns == ["备注", "Unnamed: 9"]
    assert result.tables["shipments"].rows_valid == 2
    manifest = as_manifest_inputs(result, folder)
    assert manifest["shipments"]["ignored_columns"] == ["备注", "Unnamed: 9"]
    assert manifest["suppliers"]["ignored_columns"] == []


# ------------------------------------------------------------------------------- workbooks

SHIPMENT_HEADER = ["入库单号", "供应商编号", "商品编码", "品牌", "入库日期", "数量", "单价"]
SHIPMENT_ROWS: list[list[object]] = [
    ["L1", "S1", "SKU-1", "Nike", dt.datetime(2026, 11, 1), 1200, 12.5],
    ["L2", "S2", "SKU-1", "Nike", 46328, "1,500", "13"],
]


def _save(book: openpyxl.Workbook, folder: Path) -> None:
    book.save(folder / "shipments.xlsx")


def test_workbook_with_merged_title_and_merged_group_header(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(replace={"shipments": None})
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "2026年11月入库明细"
    sheet.merge_cells("A1:G1")
    sheet.append([])
    sheet.append(["基本信息", None, None, None, "入库", None, None])
    sheet.merge_cells("A3:D3")
    sheet.merge_cells("E3:G3")
    sheet.append(SHIPMENT_HEADER)
    for row in SHIPMENT_ROWS:
        sheet.append(row)
    _save(book, folder)
    result = ingest(folder, settings)
    shipments = result["shipments"]
    assert shipments["quantity"].tolist() == [1200, 1500]
    assert shipments["source_row"].tolist() == [5, 6]
    assert result.tables["shipments"].sources[0].header_row == 4


def test_workbook_header_cell_merged_over_an_unnamed_column(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """数量 merged across F:G (G holds the unit): no column called 'nan' appears anywhere."""
    folder = make_folder(replace={"shipments": None})
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["入库单号", "供应商编号", "商品编码", "品牌", "入库日期", "数量", None, "单价"])
    sheet.merge_cells("F1:G1")
    sheet.append(["L1", "S1", "SKU-1", "Nike", "2026-11-01", 1200, "件", "12.5"])
    sheet.append(["L2", "S2", "SKU-1", "Nike", "2026-11-02", 300, "件", "-1"])
    _save(book, folder)
    result = ingest(folder, settings)
    assert result.tables["shipments"].unknown_columns == []
    assert result["shipments"]["quantity"].tolist() == [1200]
    quarantine = result.tables["shipments"].quarantine
    assert "nan" not in quarantine.columns
    # the unnamed column's values stay with the row, under the column letter a person sees
    assert quarantine["(column G)"].tolist() == ["件"]


def test_workbook_with_a_repeated_header_cell_is_fatal(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(replace={"shipments": None})
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*SHIPMENT_HEADER, "数量"])
    for row in SHIPMENT_ROWS:
        sheet.append([*row, 5])
    _save(book, folder)
    message = fatal(folder, settings)
    assert "shipments.xlsx" in message
    assert "columns F ('数量') and H ('数量') both mean quantity; keep one" in message


def test_workbook_with_a_repeated_unknown_header_is_fine(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(replace={"shipments": None})
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*SHIPMENT_HEADER, "备注", "备注"])
    for row in SHIPMENT_ROWS:
        sheet.append([*row, "a", "b"])
    _save(book, folder)
    result = ingest(folder, settings)
    assert result.tables["shipments"].unknown_columns == ["备注"]
    assert result.tables["shipments"].rows_valid == 2


def test_empty_and_header_only_workbooks(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder(replace={"shipments": None, "inspections": None})
    _save(openpyxl.Workbook(), folder)
    assert "shipments.xlsx: the file is empty" in fatal(folder, settings)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(SHIPMENT_HEADER)
    _save(book, folder)
    assert "table shipments has a header but no rows" in fatal(folder, settings)
    # an optional table's empty workbook is a night without inspections
    (folder / "shipments.xlsx").unlink()
    write_table(folder, "shipments", BASE_TABLES["shipments"])
    openpyxl.Workbook().save(folder / "inspections.xlsx")
    result = ingest(folder, settings)
    assert result.tables["inspections"].rows_read == 0 and result.tables["inspections"].present


def test_a_notes_sheet_beside_the_data_sheet_is_skipped(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(replace={"shipments": None})
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(SHIPMENT_HEADER)
    for row in SHIPMENT_ROWS:
        sheet.append(row)
    book.create_sheet("说明")["A1"] = "本表由ERP导出"
    _save(book, folder)
    assert ingest(folder, settings).tables["shipments"].rows_valid == 2


def test_a_formula_without_a_saved_value_is_quarantined_naming_the_cell(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """A workbook saved by a program, not Excel, has formulas without values: never run, and
    never read as empty (an empty brand would make a branded lot 'unbranded')."""
    folder = make_folder(replace={"shipments": None})
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(SHIPMENT_HEADER)
    sheet.append(["L1", "S1", "SKU-1", "Nike", "2026-11-01", "=100*12", "12.5"])
    sheet.append(["L2", "S2", "SKU-1", '=UPPER("nike")', "2026-11-02", "300", "13"])
    sheet.append(["L3", "S2", "SKU-1", "Nike", "2026-11-03", "300", "13"])
    _save(book, folder)
    result = ingest(folder, settings)
    assert result["shipments"]["shipment_id"].tolist() == ["L3"]
    assert reasons(result, "shipments") == [
        "cell F2 (数量) holds a formula without a saved value: open the file in Excel and "
        "save it again",
        "cell D3 (品牌) holds a formula without a saved value: open the file in Excel and "
        "save it again",
    ]


def test_parquet_instants_with_a_zone_are_converted_to_local_time(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """A UTC timestamp column is an instant: 18:00Z on the as-of day is 02:00 the next day in
    Shanghai, after the night audited (was: read as 18:00 local and accepted)."""
    folder = make_folder(replace={"reviews": None})
    stamps = pd.to_datetime(["2026-11-05 02:30", "2026-11-26 18:00"]).tz_localize("UTC")
    pd.DataFrame(
        {"review_id": ["R1", "R2"], "sku": ["SKU-1", "SKU-1"], "created_at": stamps}
    ).to_parquet(folder / "reviews.parquet")
    result = ingest(folder, settings)
    assert result["reviews"]["created_at"].tolist() == [pd.Timestamp("2026-11-05 10:30")]
    assert reasons(result, "reviews") == [
        "created_at 2026-11-27 02:00 is after the as-of date 2026-11-26"
    ]


# ----------------------------------------------------------------------- values, row by row

# (case, table, the row's changes to that table's first base row, expected reason or None)
ROW_CASES: list[tuple[str, str, dict[str, object], str | None]] = [
    ("channel in upper case", "suppliers", {"supplier_id": "S9", "channel": "MANUFACTURER"}, None),
    ("channel 代发", "suppliers", {"supplier_id": "S9", "channel": "代发"}, None),
    (
        "channel full-width",
        "suppliers",
        {"supplier_id": "S9", "channel": "ｗｈｏｌｅｓａｌｅｒ"},
        None,
    ),
    ("is_import 是", "shipments", {"shipment_id": "L9", "is_import": "是"}, None),
    ("dropship 否", "shipments", {"shipment_id": "L9", "dropship": "否"}, None),
    ("dropship 代发", "shipments", {"shipment_id": "L9", "dropship": "代发"}, None),
    (
        "date 2026年11月3日",
        "shipments",
        {"shipment_id": "L9", "received_on": "2026年11月3日"},
        None,
    ),
    ("date 2026/11/3", "shipments", {"shipment_id": "L9", "received_on": "2026/11/3"}, None),
    ("date 2026.11.3", "shipments", {"shipment_id": "L9", "received_on": "2026.11.3"}, None),
    ("date 20261103", "shipments", {"shipment_id": "L9", "received_on": "20261103"}, None),
    ("number 1,200", "shipments", {"shipment_id": "L9", "quantity": "1,200"}, None),
    ("number full-width", "shipments", {"shipment_id": "L9", "quantity": "１２,０００"}, None),
    ("price ¥12.50", "shipments", {"shipment_id": "L9", "unit_cost": "¥12.50"}, None),
    ("price 12.5元", "shipments", {"shipment_id": "L9", "unit_cost": " 12.5元 "}, None),
    (
        "date 03/11/2026",
        "shipments",
        {"shipment_id": "L9", "received_on": "03/11/2026"},
        "received_on '03/11/2026' is ambiguous (day and month order unknown)",
    ),
    (
        "time 25:00",
        "reviews",
        {"review_id": "R9", "created_at": "2026-11-05 25:00"},
        "created_at '2026-11-05 25:00' is not a date",
    ),
    (
        "zone -99:99",
        "reviews",
        {"review_id": "R9", "created_at": "2026-11-05 10:00-99:99"},
        "created_at '2026-11-05 10:00-99:99' is not a date",
    ),
    (
        "duplicate id",
        "suppliers",
        {"supplier_id": "S1", "supplier_name": "另一个"},
        "duplicate supplier_id S1 (first kept, on row 2)",
    ),
    (
        "duplicate id after trimming",
        "suppliers",
        {"supplier_id": " S1 ", "supplier_name": "另一个"},
        "duplicate supplier_id S1 (first kept, on row 2)",
    ),
    (
        "orphan supplier",
        "shipments",
        {"shipment_id": "L9", "supplier_id": "S404"},
        "supplier_id: unknown supplier S404 (not in suppliers)",
    ),
    (
        "orphan lot",
        "inspections",
        {"shipment_id": "L404"},
        "shipment_id: unknown shipment L404 (not in shipments)",
    ),
    (
        "future date",
        "shipments",
        {"shipment_id": "L9", "received_on": "2026-12-24"},
        "received_on 2026-12-24 is after the as-of date 2026-11-26",
    ),
    (
        "future datetime",
        "reviews",
        {"review_id": "R9", "created_at": "2099-01-01 08:00"},
        "created_at 2099-01-01 08:00 is after the as-of date 2026-11-26",
    ),
    (
        "quantity 10^12",
        "shipments",
        {"shipment_id": "L9", "quantity": "1000000000000"},
        "quantity 1000000000000 is above the maximum 100000000",
    ),
    (
        "quantity 10^23 - 1",
        "shipments",
        {"shipment_id": "L9", "quantity": "99999999999999999999999"},
        "quantity '99999999999999999999999' is too large",
    ),
    (
        "rating 10^23 - 1",
        "reviews",
        {"review_id": "R9", "rating": "99999999999999999999999"},
        "rating '99999999999999999999999' is too large",
    ),
    ("rating 0", "reviews", {"review_id": "R9", "rating": "0"}, "rating 0 is below the minimum 1"),
    (
        "Arabic-Indic digits",
        "reviews",
        {"review_id": "R9", "rating": "٣"},
        "rating '٣' is not a number",
    ),
    (
        "price 1e400",
        "shipments",
        {"shipment_id": "L9", "unit_cost": "1e400"},
        "unit_cost '1e400' is not a number",
    ),
    (
        "sample size not whole, counterfeit units given",
        "inspections",
        {"inspected_on": "2026-11-04", "sample_size": "12.5", "counterfeit_units": "1"},
        "sample_size '12.5' is not a whole number",
    ),
]


_UNIQUE_KEYS = {"S9", "L9", "R9"}


@pytest.fixture(scope="module")
def row_cases_ingested(tmp_path_factory: pytest.TempPathFactory) -> IngestResult:
    """Every row case appended to the base tables of one folder, ingested once: each case has
    its own row (and its own id where the case is not about ids), so the cases are independent.
    """
    folder = tmp_path_factory.mktemp("row-cases")
    tables = {name: list(rows) for name, rows in BASE_TABLES.items()}
    for number, (_, table, changes, _) in enumerate(ROW_CASES):
        unique = {k: f"{v}-{number}" if v in _UNIQUE_KEYS else v for k, v in changes.items()}
        tables[table].append(base_row(table, **unique))
    for name, rows in tables.items():
        write_table(folder, name, rows)
    return ingest(folder, load_config().settings)


@pytest.mark.parametrize("number", range(len(ROW_CASES)), ids=[case[0] for case in ROW_CASES])
def test_row_values_are_read_or_quarantined_with_the_documented_reason(
    row_cases_ingested: IngestResult, number: int
) -> None:
    _, table, _, expected = ROW_CASES[number]
    # the case's row, numbered as a spreadsheet shows it: header row 1, base rows, earlier cases
    earlier = sum(1 for case in ROW_CASES[:number] if case[1] == table)
    row = len(BASE_TABLES[table]) + earlier + 2
    result = row_cases_ingested.tables[table]
    quarantined = result.quarantine[result.quarantine["source_row"] == row]
    if expected is None:
        assert quarantined.empty, quarantined["reason"].tolist()
        assert row in set(result.valid["source_row"])
    else:
        assert len(quarantined) == 1, f"row {row} of {table} was not quarantined"
        assert expected in quarantined["reason"].iloc[0]


def test_no_row_case_disturbs_the_base_rows(row_cases_ingested: IngestResult) -> None:
    for name, rows in BASE_TABLES.items():
        valid_rows = set(row_cases_ingested.tables[name].valid["source_row"])
        assert set(range(2, len(rows) + 2)) <= valid_rows, name


def test_merchant_forms_mean_the_same_values(make_folder: Folder, settings: AuditConfig) -> None:
    rows = [
        base_row("shipments", shipment_id="A", received_on="2026年11月3日", quantity="１２００"),
        base_row("shipments", shipment_id="B", received_on="2026/11/3", quantity="1,200"),
    ]
    shipments = ingest(make_folder(replace={"shipments": rows}), settings)["shipments"]
    assert (shipments["received_on"] == pd.Timestamp("2026-11-03")).all()
    assert (shipments["quantity"] == 1200).all()


# ---------------------------------------------------------------------------- hostile text


def test_control_characters_leave_the_data_as_they_leave_workbook_cells(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """Controls that XML cannot hold are removed on reading (the row stays valid and is listed
    as cleaned); other invisible characters are text and stay."""
    text = "质量\x07差\x1b[31m 退货\u202e\u200b"
    reviews = [base_row("reviews", review_id="R9", text=text)]
    result = ingest(make_folder({"reviews": reviews}), settings)
    assert result["reviews"]["text"].iloc[-1] == "质量差[31m 退货\u202e\u200b"
    assert result.tables["reviews"].cleaned["source_row"].tolist() == [4]
    assert clean_text(text) == "质量差[31m 退货\u202e\u200b"  # what a workbook cell holds


def test_a_40000_character_review_is_read_whole_and_cut_only_in_the_workbook(
    make_folder: Folder, settings: AuditConfig
) -> None:
    text = "质量差" + "很" * 39_997
    result = ingest(
        make_folder({"reviews": [base_row("reviews", review_id="R9", text=text)]}), settings
    )
    assert len(result["reviews"]["text"].iloc[-1]) == 40_000
    cell = clean_text(text)
    assert len(cell) == EXCEL_MAX_CELL_CHARS and cell.endswith(TRUNCATION_MARKER)


def test_a_cell_past_the_csv_field_limit_is_fatal(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    (folder / "reviews.csv").write_text(
        "review_id,sku,created_at,text\nR1,SKU-1,2026-11-05," + "长" * 200_000 + "\n",
        encoding="utf-8",
    )
    message = fatal(folder, settings)
    assert "reviews.csv" in message and "field larger than field limit" in message


FORMULA_LIKE = ['=HYPERLINK("http://evil.example","点我")', "+86 138", "-2+3", "@SUM(A1)"]


def test_formula_like_text_stays_text_and_is_defused_in_the_quarantine_csv(
    make_folder: Folder, settings: AuditConfig, tmp_path: Path
) -> None:
    suppliers = [
        {"supplier_id": f"X{i}", "supplier_name": text, "channel": "friend"}
        for i, text in enumerate(FORMULA_LIKE)
    ]
    reviews = [base_row("reviews", review_id=f"F{i}", text=t) for i, t in enumerate(FORMULA_LIKE)]
    result = ingest(make_folder({"suppliers": suppliers, "reviews": reviews}), settings)
    # valid rows keep the text exactly: the defusing is for spreadsheets, not for the data
    assert result["reviews"]["text"].tolist()[-4:] == FORMULA_LIKE
    run = AuditRun(data_dir=tmp_path, out_dir=tmp_path / "out", as_of=AS_OF, config=load_config())
    run.begin()
    (path,) = write_quarantine(run, result)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        names = [row["supplier_name"] for row in csv.DictReader(handle)]
    assert names == ["'" + text for text in FORMULA_LIKE]
    run.abandon()


def test_negative_numbers_in_the_quarantine_csv_stay_numbers(
    make_folder: Folder, settings: AuditConfig, tmp_path: Path
) -> None:
    rows = [base_row("shipments", shipment_id="L9", unit_cost="-5")]
    result = ingest(make_folder({"shipments": rows}), settings)
    run = AuditRun(data_dir=tmp_path, out_dir=tmp_path / "out", as_of=AS_OF, config=load_config())
    run.begin()
    (path,) = write_quarantine(run, result)
    quarantined = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert quarantined["unit_cost"].tolist() == ["-5"]
    run.abandon()
