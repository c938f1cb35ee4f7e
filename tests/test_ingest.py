"""Ingestion: every contract rule quarantines a violating row with a reason naming the column;
merchant-typed forms are accepted; unreadable inputs stop the run with one clear message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import AuditConfig
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.folder import conservation_holds, ingest_folder
from supplier_audit.ingest.results import IngestResult

from .conftest import AS_OF, BASE_TABLES, write_table

Folder = Callable[..., Path]


def ingest(folder: Path, settings: AuditConfig, as_of: dt.date = AS_OF) -> IngestResult:
    result = ingest_folder(folder, settings, as_of=as_of)
    for table in result.tables.values():
        assert conservation_holds(table), table.name
    return result


def base_row(table: str, **changes: object) -> dict[str, object]:
    row = dict(BASE_TABLES[table][0])
    row.update(changes)
    return row


# (table, the violating row's changes to that table's first base row, expected reason)
CONTRACT_RULES = [
    ("suppliers", {"supplier_id": "S1"}, "duplicate supplier_id S1 (first kept, on row 2)"),
    ("suppliers", {"supplier_id": ""}, "supplier_id is empty"),
    ("suppliers", {"supplier_id": "S9", "supplier_name": ""}, "supplier_name is empty"),
    ("suppliers", {"supplier_id": "S9", "channel": "friend"}, "channel 'friend' is not one of"),
    (
        "suppliers",
        {"supplier_id": "S9", "onboarded_on": "2027-01-01"},
        "onboarded_on 2027-01-01 is after the as-of date 2026-11-26",
    ),
    (
        "suppliers",
        {"supplier_id": "S9", "onboarded_on": "03/11/2026"},
        "onboarded_on '03/11/2026' is ambiguous",
    ),
    ("shipments", {"shipment_id": "L1"}, "duplicate shipment_id L1 (first kept, on row 2)"),
    ("shipments", {"shipment_id": "L9", "supplier_id": "S404"}, "unknown supplier S404"),
    ("shipments", {"shipment_id": "L9", "sku": ""}, "sku is empty"),
    (
        "shipments",
        {"shipment_id": "L9", "received_on": "2026-11-27"},
        "received_on 2026-11-27 is after the as-of date 2026-11-26",
    ),
    (
        "shipments",
        {"shipment_id": "L9", "received_on": "last week"},
        "received_on 'last week' is not a date",
    ),
    (
        "shipments",
        {"shipment_id": "L9", "received_on": "2026-02-30"},
        "received_on '2026-02-30' is not a date",
    ),
    ("shipments", {"shipment_id": "L9", "quantity": "0"}, "quantity 0 is below the minimum 1"),
    (
        "shipments",
        {"shipment_id": "L9", "quantity": "12.5"},
        "quantity '12.5' is not a whole number",
    ),
    ("shipments", {"shipment_id": "L9", "quantity": "many"}, "quantity 'many' is not a number"),
    (
        "shipments",
        {"shipment_id": "L9", "quantity": "1000000000000"},
        "quantity 1000000000000 is above the maximum",
    ),
    ("shipments", {"shipment_id": "L9", "unit_cost": "-1"}, "unit_cost -1 is below the minimum 0"),
    (
        "shipments",
        {"shipment_id": "L9", "currency": "RMBX"},
        "currency 'RMBX' is not a 3-letter currency code",
    ),
    ("shipments", {"shipment_id": "L9", "is_import": "maybe"}, "is_import 'maybe' is not yes/no"),
    (
        "shipments",
        {"shipment_id": "L9", "dropship": "sometimes"},
        "dropship 'sometimes' is not yes/no",
    ),
    ("documents", {"document_id": "D1"}, "duplicate document_id D1"),
    ("documents", {"document_id": "D9", "supplier_id": "S404"}, "unknown supplier S404"),
    ("documents", {"document_id": "D9", "doc_type": "selfie"}, "doc_type 'selfie' is not one of"),
    ("documents", {"document_id": "D9", "issued_on": ""}, "issued_on is empty"),
    (
        "documents",
        {"document_id": "D9", "valid_until": "2025-01-01"},
        "valid_until is before issued_on",
    ),
    ("documents", {"document_id": "D9", "shipment_id": "L404"}, "unknown shipment L404"),
    ("reviews", {"review_id": "R1"}, "duplicate review_id R1"),
    ("reviews", {"review_id": "R9", "sku": ""}, "sku is empty"),
    (
        "reviews",
        {"review_id": "R9", "created_at": "2026-11-27 00:00"},
        "created_at 2026-11-27 00:00 is after the as-of date 2026-11-26",
    ),
    ("reviews", {"review_id": "R9", "rating": "0"}, "rating 0 is below the minimum 1"),
    ("reviews", {"review_id": "R9", "rating": "6"}, "rating 6 is above the maximum 5"),
    ("reviews", {"review_id": "R9", "supplier_id": "S404"}, "unknown supplier S404"),
    ("reviews", {"review_id": "R9", "shipment_id": "L404"}, "unknown shipment L404"),
    (
        "reviews",
        {"review_id": "R9", "shipment_id": "L1", "supplier_id": "S2"},
        "shipment L1 is from supplier S1, not S2",
    ),
    ("complaints", {"complaint_id": "C1"}, "duplicate complaint_id C1"),
    (
        "complaints",
        {"complaint_id": "C9", "complaint_type": "rude"},
        "complaint_type 'rude' is not one of",
    ),
    ("complaints", {"complaint_id": "C9", "status": "pending?"}, "status 'pending?' is not one of"),
    (
        "complaints",
        {"complaint_id": "C9", "compensation": "-5"},
        "compensation -5 is below the minimum 0",
    ),
    (
        "complaints",
        {"complaint_id": "C9", "closed_on": "2026-11-01"},
        "closed_on is before opened_on",
    ),
    ("complaints", {"complaint_id": "C9", "opened_on": ""}, "opened_on is empty"),
    ("complaints", {"complaint_id": "C9", "supplier_id": "S404"}, "unknown supplier S404"),
    ("inspections", {"shipment_id": "L404"}, "unknown shipment L404"),
    ("inspections", {}, "duplicate shipment_id / inspected_on L1 / 2026-11-03"),
    (
        "inspections",
        {"inspected_on": "2026-11-04", "sample_size": "0"},
        "sample_size 0 is below the minimum 1",
    ),
    (
        "inspections",
        {"inspected_on": "2026-11-04", "major_defects": "-1"},
        "major_defects -1 is below the minimum 0",
    ),
    (
        "inspections",
        {"inspected_on": "2026-11-04", "counterfeit_units": "81"},
        "counterfeit_units is more than sample_size",
    ),
    (
        "inspections",
        {"inspected_on": "2026-11-27"},
        "inspected_on 2026-11-27 is after the as-of date 2026-11-26",
    ),
]


@pytest.mark.parametrize(("table", "changes", "reason"), CONTRACT_RULES)
def test_violating_row_is_quarantined_with_a_reason(
    make_folder: Folder, settings: AuditConfig, table: str, changes: dict[str, object], reason: str
) -> None:
    folder = make_folder({table: [base_row(table, **changes)]})
    result = ingest(folder, settings)
    quarantine = result.tables[table].quarantine
    assert len(quarantine) == 1, quarantine["reason"].tolist()
    row = quarantine.iloc[0]
    assert reason in row["reason"]
    # The violating row is the last data row: header on row 1, then the base rows.
    assert row["source_row"] == len(BASE_TABLES[table]) + 2
    assert row["source_file"] == f"{table}.csv"
    # Every other row of every table is still valid: one bad row loses nothing else.
    for name, rows in BASE_TABLES.items():
        assert result.tables[name].rows_valid == len(rows)


def test_quarantine_keeps_every_original_value_and_all_problems_of_a_row(
    make_folder: Folder, settings: AuditConfig
) -> None:
    bad = base_row(
        "shipments",
        shipment_id="L9",
        quantity="0",
        unit_cost="-1",
        is_import="maybe",
        received_on="2027-01-01",
    )
    result = ingest(make_folder({"shipments": [bad]}), settings)
    row = result.tables["shipments"].quarantine.iloc[0]
    for problem in (
        "quantity 0 is below",
        "unit_cost -1 is below",
        "is_import 'maybe'",
        "received_on 2027-01-01 is after",
    ):
        assert problem in row["reason"]
    assert row["quantity"] == "0" and row["unit_cost"] == "-1" and row["is_import"] == "maybe"


def test_cascade_names_the_quarantined_supplier(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder(
        {
            "suppliers": [{"supplier_id": "S3", "supplier_name": "", "channel": "dropship"}],
            "shipments": [base_row("shipments", shipment_id="L3", supplier_id="S3")],
            "inspections": [base_row("inspections", shipment_id="L3")],
        }
    )
    result = ingest(folder, settings)
    assert "supplier S3 was quarantined" in result.tables["shipments"].quarantine["reason"].iloc[0]
    assert (
        "shipment L3 was quarantined" in result.tables["inspections"].quarantine["reason"].iloc[0]
    )


def test_end_of_as_of_day_is_still_inside_the_night(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(
        {"reviews": [base_row("reviews", review_id="R9", created_at="2026-11-26 23:59:59")]}
    )
    assert ingest(folder, settings).tables["reviews"].rows_valid == 3


def test_merchant_typed_values_are_read(make_folder: Folder, settings: AuditConfig) -> None:
    shipments = [
        base_row(
            "shipments",
            shipment_id="A",
            received_on="2026/11/3",
            quantity="1,200",
            unit_cost="¥12.50",
            is_import="是",
            dropship="否",
        ),
        base_row(
            "shipments",
            shipment_id="B",
            received_on="2026年11月3日",
            quantity="１２００",
            unit_cost=" 12.5元 ",
            is_import="Y",
            dropship="n",
        ),
        base_row(
            "shipments",
            shipment_id="C",
            received_on="2026.11.3",
            quantity=" 1200 ",
            unit_cost="12.5",
            is_import="yes",
            dropship="1",
            currency="usd",
        ),
        base_row(
            "shipments",
            shipment_id="D",
            received_on="20261103",
            quantity="1200.0",
            unit_cost="1,012.5",
            is_import="TRUE",
            dropship="false",
        ),
    ]
    result = ingest(make_folder(replace={"shipments": shipments}), settings)
    valid = result["shipments"].set_index("shipment_id")
    assert result.tables["shipments"].rows_quarantined == 0
    assert (valid["received_on"] == pd.Timestamp("2026-11-03")).all()
    assert (valid["quantity"] == 1200).all()
    assert valid.loc["A", "unit_cost"] == 12.5 and valid.loc["D", "unit_cost"] == 1012.5
    assert valid["is_import"].tolist() == [True, True, True, True]
    assert valid["dropship"].tolist() == [False, False, True, False]
    assert valid.loc["C", "currency"] == "USD" and valid.loc["A", "currency"] == "CNY"


def test_chinese_enum_values_and_case(make_folder: Folder, settings: AuditConfig) -> None:
    suppliers = [
        {"supplier_id": "S1", "supplier_name": "甲", "channel": "代发"},
        {"supplier_id": "S2", "supplier_name": "乙", "channel": "Manufacturer"},
    ]
    complaints = [
        base_row("complaints", complaint_id="C1", complaint_type="假货", status="成立"),
        base_row("complaints", complaint_id="C2", complaint_type="质量问题", status="驳回"),
        base_row("complaints", complaint_id="C3", complaint_type="QUALITY", status="撤销"),
    ]
    result = ingest(
        make_folder(replace={"suppliers": suppliers, "complaints": complaints}), settings
    )
    assert result["suppliers"]["channel"].tolist() == ["dropship", "manufacturer"]
    assert result["complaints"]["complaint_type"].tolist() == ["counterfeit", "quality", "quality"]
    assert result["complaints"]["status"].tolist() == ["upheld", "rejected", "withdrawn"]


def test_long_order_ids_stay_text(make_folder: Folder, settings: AuditConfig) -> None:
    result = ingest(make_folder(), settings)
    assert result["reviews"].loc[0, "order_id"] == "123456789012345678"


def test_datetime_with_zone_is_converted_to_local_time(
    make_folder: Folder, settings: AuditConfig
) -> None:
    reviews = [base_row("reviews", created_at="2026-11-05T02:30:00Z")]
    result = ingest(make_folder(replace={"reviews": reviews}), settings)
    assert result["reviews"].loc[0, "created_at"] == pd.Timestamp("2026-11-05 10:30:00")


def test_gb18030_csv_with_chinese_headers_and_a_title_line(
    tmp_path: Path, settings: AuditConfig
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    text = (
        "供应商名单（导出时间 2026-11-20）\n"
        "\n"
        "供应商编号,供应商名称,渠道,地区\n"
        "S1,义乌市甲贸易有限公司,批发商,浙江\n"
        "S2,广州乙服饰厂,生产厂家,广东\n"
    )
    (folder / "suppliers.csv").write_bytes(text.encode("gb18030"))
    write_table(folder, "shipments", BASE_TABLES["shipments"], encoding="utf-8-sig")
    write_table(folder, "reviews", BASE_TABLES["reviews"])
    result = ingest(folder, settings)
    suppliers = result["suppliers"]
    assert suppliers["supplier_name"].tolist() == ["义乌市甲贸易有限公司", "广州乙服饰厂"]
    assert suppliers["channel"].tolist() == ["wholesaler", "manufacturer"]
    # Row numbers as a person sees them in a spreadsheet: title, blank and header rows count.
    assert suppliers["source_row"].tolist() == [4, 5]
    assert result.tables["suppliers"].sources[0].encoding == "gb18030"
    assert result.tables["shipments"].sources[0].encoding == "utf-8-sig"


def test_csv_with_crlf_and_newlines_inside_quoted_text(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    body = (
        "review_id,sku,created_at,text\r\n"
        'R1,SKU-1,2026-11-05 10:00,"第一行\r\n第二行, 有逗号"\r\n'
        "R2,SKU-1,2026-11-05 10:00,ok\r\n"
    )
    (folder / "reviews.csv").write_text(body, encoding="utf-8", newline="")
    result = ingest(folder, settings)
    assert result["reviews"]["text"].iloc[0] == "第一行\r\n第二行, 有逗号"
    assert result["reviews"]["source_row"].tolist() == [2, 3]


def test_workbook_with_title_rows_and_excel_serial_dates(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(replace={"shipments": None})
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "入库明细"
    sheet.append([])
    sheet.append(
        ["入库单号", "供应商编号", "商品编码", "品牌", "入库日期", "数量", "单价", "是否代发"]
    )
    sheet.append(["L1", "S1", "SKU-1", "Nike", dt.datetime(2026, 11, 1), 1200, 12.5, "否"])
    sheet.append(["L2", "S2", "SKU-1", "Nike", 46328, "1,500", "13", "是"])
    book.save(folder / "shipments.xlsx")
    result = ingest(folder, settings)
    shipments = result["shipments"]
    assert shipments["received_on"].tolist() == [
        pd.Timestamp("2026-11-01"),
        pd.Timestamp("2026-11-02"),
    ]
    assert shipments["quantity"].tolist() == [1200, 1500]
    assert shipments["dropship"].tolist() == [False, True]
    assert shipments["source_row"].tolist() == [4, 5]


def test_excel_serial_numbers_in_a_csv_are_not_guessed(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(
        {"shipments": [base_row("shipments", shipment_id="L9", received_on="46328")]}
    )
    reason = ingest(folder, settings).tables["shipments"].quarantine["reason"].iloc[0]
    assert "received_on '46328' is not a date" in reason


def test_parquet_input(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder(replace={"reviews": None})
    frame = pd.DataFrame(
        {
            "review_id": ["R1", "R2"],
            "sku": ["SKU-1", "SKU-1"],
            "created_at": pd.to_datetime(["2026-11-05 10:00", "2026-11-06 08:30"]),
            "rating": [5, 2],
            "text": ["很好", None],
        }
    )
    frame.to_parquet(folder / "reviews.parquet")
    reviews = ingest(folder, settings)["reviews"]
    assert reviews["created_at"].tolist() == [
        pd.Timestamp("2026-11-05 10:00"),
        pd.Timestamp("2026-11-06 08:30"),
    ]
    assert reviews["rating"].tolist() == [5, 2]
    assert reviews["text"].isna().tolist() == [False, True]


def test_partition_folder_is_one_table(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder(replace={"reviews": None})
    (folder / "reviews").mkdir()
    write_table(folder / "reviews", "part-0", [base_row("reviews", review_id="R1")])
    write_table(
        folder / "reviews",
        "part-1",
        [base_row("reviews", review_id="R2"), base_row("reviews", review_id="R1")],
    )
    result = ingest(folder, settings)
    assert result.tables["reviews"].rows_read == 3
    assert result["reviews"]["review_id"].tolist() == ["R1", "R2"]
    quarantined = result.tables["reviews"].quarantine.iloc[0]
    assert quarantined["source_file"] == "part-1.csv" and quarantined["source_row"] == 3


def test_unknown_columns_are_ignored_and_listed(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder(
        replace={"suppliers": [dict(r, 备注="老客户") for r in BASE_TABLES["suppliers"]]}
    )
    result = ingest(folder, settings)
    assert result.tables["suppliers"].unknown_columns == ["备注"]
    assert "备注" not in result["suppliers"].columns


def test_configured_alias_extends_the_defaults(make_folder: Folder, tmp_path: Path) -> None:
    config = tmp_path / "shop.toml"
    config.write_text('[aliases.columns]\nsupplier_id = ["厂商代号"]\n', encoding="utf-8")
    settings = load_config(config).settings
    suppliers = [
        {
            "厂商代号": r["supplier_id"],
            "供应商编号_": "",
            "supplier_name": r["supplier_name"],
            "channel": r["channel"],
        }
        for r in BASE_TABLES["suppliers"]
    ]
    result = ingest(make_folder(replace={"suppliers": suppliers}), settings)
    assert result["suppliers"]["supplier_id"].tolist() == ["S1", "S2"]
    assert "供应商编号" in settings.aliases.columns["supplier_id"]  # defaults kept


def test_filled_in_qa_workbook_rows_without_results_are_pending(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "杭州仓"
    sheet.append(
        [
            "入库单号\nshipment_id",
            "样本量\nsample_size",
            "致命缺陷数\ncritical_defects",
            "严重缺陷数\nmajor_defects",
            "轻微缺陷数\nminor_defects",
            "假货数\ncounterfeit_units",
            "检验日期\ninspected_on",
            "批量\nlot_size",
        ]
    )
    sheet.append(["L2", 32, 0, 1, 0, 0, dt.date(2026, 11, 20), 300])
    sheet.append(["L1", 80, None, None, None, None, None, 1200])
    book.save(folder / "inspection-samples-2026-11-19.xlsx")
    result = ingest(folder, settings)
    inspections = result.tables["inspections"]
    assert inspections.rows_read == 3 and inspections.rows_pending == 1
    assert sorted(result["inspections"]["shipment_id"]) == ["L1", "L2"]


# ------------------------------------------------------------------------------ fatal inputs


def _fatal(folder: Path, settings: AuditConfig) -> str:
    with pytest.raises(InputError) as caught:
        ingest_folder(folder, settings, as_of=AS_OF)
    return str(caught.value)


def test_missing_required_table_is_fatal(make_folder: Folder, settings: AuditConfig) -> None:
    message = _fatal(make_folder(replace={"reviews": None}), settings)
    assert "required table reviews is missing" in message


def test_missing_optional_table_is_fine(make_folder: Folder, settings: AuditConfig) -> None:
    result = ingest(
        make_folder(replace={"documents": None, "complaints": None, "inspections": None}), settings
    )
    assert result.tables["documents"].rows_read == 0


def test_missing_required_column_is_fatal(make_folder: Folder, settings: AuditConfig) -> None:
    rows = [{k: v for k, v in r.items() if k != "quantity"} for r in BASE_TABLES["shipments"]]
    message = _fatal(make_folder(replace={"shipments": rows}), settings)
    assert "shipments.csv" in message and "missing required column(s) quantity" in message


def test_unreadable_encoding_is_fatal(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder()
    (folder / "suppliers.csv").write_bytes(
        b"supplier_id,supplier_name,channel\n" + b"\xff\xfe\xff" * 50
    )
    message = _fatal(folder, settings)
    assert "suppliers.csv" in message and "unreadable encoding" in message


def test_corrupt_workbook_is_fatal(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder(replace={"shipments": None})
    (folder / "shipments.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook")
    message = _fatal(folder, settings)
    assert "shipments.xlsx" in message and "corrupt" in message


def test_file_without_a_header_row_is_fatal(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder()
    (folder / "suppliers.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    message = _fatal(folder, settings)
    assert "no header row found" in message and "suppliers" in message


def test_empty_file_is_fatal(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder()
    (folder / "reviews.csv").write_bytes(b"")
    assert "reviews.csv: the file is empty" in _fatal(folder, settings)


def test_header_only_file_is_an_empty_table(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder()
    (folder / "complaints.csv").write_text("complaint_id,sku,opened_on,complaint_type,status\n")
    assert ingest(folder, settings).tables["complaints"].rows_read == 0


def test_two_columns_meaning_the_same_is_fatal(make_folder: Folder, settings: AuditConfig) -> None:
    rows = [dict(r, 供应商编号=r["supplier_id"]) for r in BASE_TABLES["suppliers"]]
    message = _fatal(make_folder(replace={"suppliers": rows}), settings)
    assert "both mean supplier_id" in message


def test_a_parquet_header_is_matched_by_the_same_rules_as_a_csv_one(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """A Parquet file's column names go through the same header matching as a CSV header: a
    Chinese alias is read, two names for one column and a missing required one are refused,
    the message naming the file's own column names."""
    folder = make_folder(replace={"suppliers": None})
    frame = pd.DataFrame(BASE_TABLES["suppliers"]).rename(columns={"supplier_id": "供应商编号"})
    frame.to_parquet(folder / "suppliers.parquet")
    assert ingest(folder, settings).tables["suppliers"].rows_valid == len(frame)

    frame.assign(supplier_id=frame["供应商编号"]).to_parquet(folder / "suppliers.parquet")
    message = _fatal(folder, settings)
    assert "suppliers.parquet" in message
    assert "columns '供应商编号' and 'supplier_id' both mean supplier_id" in message

    frame.drop(columns="供应商编号").to_parquet(folder / "suppliers.parquet")
    message = _fatal(folder, settings)
    assert "missing required column(s) supplier_id for table suppliers" in message
    assert "(the file has: supplier_name" in message


def test_two_files_for_one_table_is_fatal(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder()
    pd.DataFrame(BASE_TABLES["suppliers"]).to_parquet(folder / "suppliers.parquet")
    assert "more than one file for table suppliers" in _fatal(folder, settings)


# ------------------------------------------------------------------------ the bundled demo data

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def test_demo_data_planted_problems_land_where_the_truth_says(settings: AuditConfig) -> None:
    """Every messy-but-valid value planted in the demo is read; every bad row is quarantined."""
    result = ingest(DEMO, settings)
    planted = pd.read_csv(DEMO / "_truth" / "planted_problems.csv", dtype=str)
    for row in planted.itertuples(index=False):
        spec_key = {"inspections": "shipment_id"}.get(row.table)
        table = result.tables[row.table]
        key = spec_key or next(c for c in table.valid.columns if c.endswith("_id"))
        if row.expected == "accepted":
            assert row.id in set(table.valid[key]), (row.table, row.id, row.problem)
        else:
            quarantined = table.quarantine[table.quarantine[f"__{key}"] == row.id]
            assert len(quarantined) >= 1, (row.table, row.id, row.problem)
            assert quarantined["reason"].str.contains(row.column).any(), quarantined["reason"]
    quarantined_total = sum(t.rows_quarantined for t in result.tables.values())
    assert quarantined_total == (planted["expected"] == "quarantined").sum()


def test_defect_classes_are_read_as_gb_t_2828_names_them(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """致命 = critical, 严重 = major, 轻微 = minor (GB/T 2828.1). A merchant's own 严重缺陷数
    column is major; a QA workbook of an earlier version ("严重缺陷数\\ncritical_defects")
    still reads by its contract line."""
    folder = make_folder(replace={"inspections": None})
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["入库单号", "检验日期", "样本量", "致命缺陷数", "严重缺陷数", "轻微缺陷数", "假货数"]
    )
    sheet.append(["L1", dt.date(2026, 11, 20), 80, 1, 2, 3, 0])
    book.save(folder / "inspections.xlsx")
    old = openpyxl.Workbook()
    sheet = old.active
    assert sheet is not None
    sheet.append(
        [
            "入库单号\nshipment_id",
            "检验日期\ninspected_on",
            "样本量\nsample_size",
            "严重缺陷数\ncritical_defects",
            "主要缺陷数\nmajor_defects",
            "次要缺陷数\nminor_defects",
            "假货件数\ncounterfeit_units",
        ]
    )
    sheet.append(["L2", dt.date(2026, 11, 21), 32, 1, 2, 3, 0])
    old.save(folder / "inspection-samples-2026-11-20.xlsx")
    found = ingest(folder, settings)["inspections"].set_index("shipment_id")
    counts = ["critical_defects", "major_defects", "minor_defects"]
    assert found.loc["L1", counts].tolist() == [1, 2, 3]
    assert found.loc["L2", counts].tolist() == [1, 2, 3]
