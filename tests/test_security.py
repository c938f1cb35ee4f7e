"""Hostile files: XML bombs, zip bombs and oversized workbooks are refused with one clear message
naming the file; formula-like text from the inputs never becomes a formula in any output."""

from __future__ import annotations

import csv
import html
import io
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import AuditConfig
from supplier_audit.demo import generate_world
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.folder import ingest_folder

from .conftest import AS_OF
from .test_pipeline import run_night

Folder = Callable[..., Path]


def _workbook_members(rows: list[list[object]]) -> dict[str, bytes]:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


SUPPLIER_ROWS: list[list[object]] = [
    ["supplier_id", "supplier_name", "channel"],
    ["S1", "义乌市甲贸易有限公司", "wholesaler"],
    ["S2", "广州乙服饰厂", "manufacturer"],
]


def _fatal(folder: Path, settings: AuditConfig) -> str:
    with pytest.raises(InputError) as caught:
        ingest_folder(folder, settings, as_of=AS_OF)
    return str(caught.value)


# ------------------------------------------------------------------------------- XML bombs

# Ten levels of ten: &lol9; would expand to 10^9 "lol"s (3 GB) if entities were resolved.
BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)


def test_openpyxl_reads_workbooks_through_defusedxml() -> None:
    import openpyxl.xml.functions as functions
    from openpyxl import DEFUSEDXML

    assert DEFUSEDXML, "defusedxml is a dependency: openpyxl must find it"
    assert functions.iterparse.__module__.startswith("defusedxml")


def test_billion_laughs_in_a_sheet_is_refused_with_a_clear_message(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(replace={"suppliers": None})
    members = _workbook_members(SUPPLIER_ROWS)
    sheet = members["xl/worksheets/sheet1.xml"].decode("utf-8")
    body = sheet.split("?>", 1)[-1]  # after the XML declaration, if any
    body = body.replace("义乌市甲贸易有限公司", "&lol9;")
    members["xl/worksheets/sheet1.xml"] = (BILLION_LAUGHS + body).encode("utf-8")
    (folder / "suppliers.xlsx").write_bytes(_zip(members))
    message = _fatal(folder, settings)
    assert "suppliers.xlsx" in message
    assert "refused" in message and "XML bomb" in message


def test_entities_in_other_workbook_parts_are_never_expanded(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """workbook.xml goes through lxml with resolve_entities=False: the bomb never goes off and
    the sheet is read as it is."""
    folder = make_folder(replace={"suppliers": None})
    members = _workbook_members(SUPPLIER_ROWS)
    workbook = members["xl/workbook.xml"].decode("utf-8").split("?>", 1)[-1]
    members["xl/workbook.xml"] = (BILLION_LAUGHS + workbook).encode("utf-8")
    (folder / "suppliers.xlsx").write_bytes(_zip(members))
    result = ingest_folder(folder, settings, as_of=AS_OF)
    assert result["suppliers"]["supplier_name"].tolist() == ["义乌市甲贸易有限公司", "广州乙服饰厂"]


# ------------------------------------------------------------------------ zip bombs and size


def _tiny_limit(tmp_path: Path, megabytes: float) -> AuditConfig:
    config = tmp_path / "tiny.toml"
    config.write_text(f"[ingest]\nmax_workbook_megabytes = {megabytes}\n", encoding="utf-8")
    return load_config(config).settings


def test_a_workbook_that_unpacks_to_far_more_than_the_limit_is_refused(
    make_folder: Folder, tmp_path: Path
) -> None:
    settings = _tiny_limit(tmp_path, 0.02)  # 20 KB packed, 200 KB unpacked at most
    folder = make_folder(replace={"suppliers": None})
    members = _workbook_members(SUPPLIER_ROWS)
    members["xl/media/padding.bin"] = b"\0" * 2_000_000  # deflates to a few KB
    content = _zip(members)
    assert len(content) < 20 * 1024  # small on disk: only the unpacked size gives it away
    (folder / "suppliers.xlsx").write_bytes(content)
    message = _fatal(folder, settings)
    assert "suppliers.xlsx" in message and "refused as a possible zip bomb" in message


def _forge_declared_size(content: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size the central directory declares for one member."""
    data = bytearray(content)
    name = member.encode()
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if bytes(data[position + 46 : position + 46 + name_length]) == name:
            struct.pack_into("<I", data, position + 24, size)
            return bytes(data)
        position += 4
    raise AssertionError(f"{member} not in the archive")


def test_a_workbook_declaring_a_huge_member_is_refused_before_unpacking(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(replace={"suppliers": None})
    content = _forge_declared_size(
        _zip(_workbook_members(SUPPLIER_ROWS)), "xl/worksheets/sheet1.xml", 0xFFFF_FFF0
    )
    (folder / "suppliers.xlsx").write_bytes(content)
    message = _fatal(folder, settings)
    assert "suppliers.xlsx: workbook unpacks to 4096 MB" in message
    assert "refused as a possible zip bomb" in message


def test_a_workbook_larger_than_the_configured_limit_is_refused(
    make_folder: Folder, tmp_path: Path
) -> None:
    settings = _tiny_limit(tmp_path, 0.001)  # about 1 KB; any workbook is larger
    folder = make_folder(replace={"suppliers": None})
    (folder / "suppliers.xlsx").write_bytes(_zip(_workbook_members(SUPPLIER_ROWS)))
    message = _fatal(folder, settings)
    assert "suppliers.xlsx: workbook larger than 0.001 MB" in message


def test_the_same_workbook_under_the_default_limit_is_read(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(replace={"suppliers": None})
    (folder / "suppliers.xlsx").write_bytes(_zip(_workbook_members(SUPPLIER_ROWS)))
    assert ingest_folder(folder, settings, as_of=AS_OF).tables["suppliers"].rows_valid == 2


# ------------------------------------------------------------- formula-like text, end to end

HOSTILE_NAME = "=cmd|' /C calc'!A0"
HOSTILE_SKU = '=HYPERLINK("http://evil.example","点我")'
HOSTILE_REVIEW = "@SUM(1+1)*cmd 假货, 跟专柜的不一样"
HOSTILE_BAD_ROW = "+86-1 bad row"


def _spoil_world(world: Path) -> None:
    """Formula-like text where a merchant's data can hold it: a supplier name, every SKU (so
    whichever lots are planned carry one), a review text, and a row that will be quarantined."""
    suppliers = pd.read_csv(world / "suppliers.csv", dtype=str, keep_default_na=False)
    suppliers.loc[0, "supplier_name"] = HOSTILE_NAME
    bad = suppliers.iloc[[1]].assign(supplier_id="SX", supplier_name=HOSTILE_BAD_ROW)
    bad["channel"] = "friend"
    pd.concat([suppliers, bad]).to_csv(world / "suppliers.csv", index=False)
    shipments = pd.read_csv(world / "shipments.csv", dtype=str, keep_default_na=False)
    skus = sorted(shipments["sku"].unique())
    starts = ("=", "+", "-", "@")
    hostile = {sku: starts[i % 4] + sku for i, sku in enumerate(skus)} | {skus[0]: HOSTILE_SKU}
    for table in ("shipments", "reviews", "complaints", "documents"):
        frame = pd.read_csv(world / f"{table}.csv", dtype=str, keep_default_na=False)
        frame["sku"] = frame["sku"].map(lambda sku: hostile.get(sku, sku))
        if table == "reviews":
            frame.loc[0, "text"] = HOSTILE_REVIEW
        frame.to_csv(world / f"{table}.csv", index=False)
    # ids are text too: one supplier's id, every lot's and every review's id formula-like
    spoilt_id = {"supplier_id": ("SUP0001", "=SUP0001")}
    for table in ("suppliers", "shipments", "reviews", "complaints", "documents", "inspections"):
        frame = pd.read_csv(world / f"{table}.csv", dtype=str, keep_default_na=False)
        for column, (plain, spoilt) in spoilt_id.items():
            if column in frame.columns:
                frame[column] = frame[column].replace(plain, spoilt)
        if "shipment_id" in frame.columns:
            frame["shipment_id"] = frame["shipment_id"].map(lambda v: f"+{v}" if v else v)
        if table == "reviews":
            frame["review_id"] = "-" + frame["review_id"]
        frame.to_csv(world / f"{table}.csv", index=False)


@pytest.fixture(scope="module")
def hostile_night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    world = tmp_path_factory.mktemp("hostile-world")
    generate_world(world, suppliers=10, seed=11, as_of=AS_OF)
    _spoil_world(world)
    return run_night(world, tmp_path_factory.mktemp("hostile-out"))


def _sheet_xml(workbook: Path) -> list[str]:
    with zipfile.ZipFile(workbook) as archive:
        return [
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("xl/worksheets/sheet")
        ]


def _all_values(workbook: Path) -> set[str]:
    book = openpyxl.load_workbook(workbook)
    return {
        str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
    }


def test_no_workbook_of_the_night_holds_a_formula_made_of_input(hostile_night: Path) -> None:
    report = hostile_night / f"supplier-risk-{AS_OF}.xlsx"
    # the risk report writes no formula of its own: no <f> element may appear at all
    assert not any(re.search(r"<f[ >]", xml) for xml in _sheet_xml(report))
    # the QA list's only formulas are its verdicts: cell references and two fixed words
    formulas = [
        html.unescape(f)
        for xml in _sheet_xml(hostile_night / f"inspection-samples-{AS_OF}.xlsx")
        for f in re.findall(r"<f>(.*?)</f>", xml)
    ]
    assert formulas
    verdict = re.compile(
        r'IF\(COUNT\([A-Z]+\d+(,[A-Z]+\d+){3}\)=0,"",IF\(OR\([A-Z]+\d+>0,'
        r'AND\([A-Z]+\d+>0,[A-Z]+\d+<>"已排除"\),'
        r'[A-Z]+\d+(\+[A-Z]+\d+)?>=[A-Z]+\d+\),"拒收","接收"\)\)'
    )
    assert all(verdict.fullmatch(f) for f in formulas), formulas[:3]


def test_hostile_text_reaches_the_reports_as_text(hostile_night: Path) -> None:
    plan = pd.read_csv(hostile_night / "inspection_plan.csv", dtype=str)
    # the machine CSV is defused like every CSV the audit writes: a leading apostrophe
    assert len(plan) > 0 and plan["sku"].str.match(r"'[=+\-@]").all()
    skus = set(plan["sku"].str.removeprefix("'"))
    qa_values = _all_values(hostile_night / f"inspection-samples-{AS_OF}.xlsx")
    assert skus <= qa_values  # every planned SKU, as the text it is
    report_values = _all_values(hostile_night / f"supplier-risk-{AS_OF}.xlsx")
    assert HOSTILE_NAME in report_values
    assert skus <= report_values  # the report's Inspections sheet


def test_no_csv_of_the_night_holds_a_cell_a_spreadsheet_would_run(hostile_night: Path) -> None:
    """Every CSV the audit writes, machine-facing or not: ids, names, SKUs, terms, reasons."""
    csvs = sorted(hostile_night.rglob("*.csv"))
    assert {p.name for p in csvs} >= {
        "supplier_scores.csv",
        "review_flags.csv",
        "inspection_plan.csv",
        "suppliers.csv",  # quarantine/
    }
    defused = 0
    for path in csvs:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    runs = cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                    assert not runs or re.fullmatch(r"[+-]?\d+(\.\d+)?", cell), (path.name, cell)
                    defused += cell.startswith(("'=", "'+", "'-", "'@"))
    assert defused > 100  # the spoilt ids, names and SKUs came through, defused
    scores = pd.read_csv(hostile_night / "supplier_scores.csv", dtype=str)
    assert "'" + HOSTILE_NAME in set(scores["supplier_name"])
    assert "'=SUP0001" in set(scores["supplier_id"])
    flags = pd.read_csv(hostile_night / "review_flags.csv", dtype=str)
    assert flags["review_id"].str.startswith("'-").all()


def test_the_quarantine_csv_defuses_formula_like_cells(hostile_night: Path) -> None:
    path = hostile_night / "quarantine" / "suppliers.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["supplier_name"] for row in rows] == ["'" + HOSTILE_BAD_ROW]
