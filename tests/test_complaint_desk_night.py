"""The complaint desk in a whole night (no Prefect): open_complaints.csv, the evidence folder,
the Complaints sheet and the Summary's counts; buyer ids masked; hostile text stays text."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.contracts.outputs import OPEN_COMPLAINT_COLUMNS
from supplier_audit.demo import generate_world
from supplier_audit.night import outputs, recipe
from supplier_audit.night.run import AuditRun

AS_OF = dt.date(2026, 11, 26)


def run_night(data: Path, out: Path, config: Path | None = None) -> Path:
    run = AuditRun(data_dir=data, out_dir=out, as_of=AS_OF, config=load_config(config))
    with run.exclusive():
        return recipe.audit_night(run)


@pytest.fixture(scope="module")
def world_night(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    world = tmp_path_factory.mktemp("world")
    generate_world(world, suppliers=30, seed=11, as_of=AS_OF)
    return world, run_night(world, tmp_path_factory.mktemp("reports"))


def test_every_open_complaint_is_listed_once_and_no_closed_one(
    world_night: tuple[Path, Path],
) -> None:
    world, night = world_night
    complaints = pd.read_csv(world / "complaints.csv", dtype=str)
    listed = pd.read_csv(night / "open_complaints.csv", dtype=str, keep_default_na=False)
    assert list(listed.columns) == list(OPEN_COMPLAINT_COLUMNS)
    open_ids = set(complaints.loc[complaints["status"] == "open", "complaint_id"])
    assert len(open_ids) > 5
    assert listed["complaint_id"].is_unique
    assert set(listed["complaint_id"]) == open_ids
    days_left = listed["days_left"].astype(int)
    assert days_left.is_monotonic_increasing
    due = pd.to_datetime(listed["due_on"])
    assert ((due - pd.Timestamp(AS_OF)).dt.days == days_left).all()
    assert set(listed["evidence_status"]) <= {"ready", "partial", "not_ready"}
    assert set(listed["deadline_source"]) == {"complaint", "rule", "default"}
    manifest = json.loads((night / "manifest.json").read_text())
    assert manifest["complaints"]["open"] == len(open_ids)
    assert manifest["complaints"]["not_ready"] == (listed["evidence_status"] == "not_ready").sum()


def test_each_open_complaint_has_a_checklist_to_follow(world_night: tuple[Path, Path]) -> None:
    _, night = world_night
    listed = pd.read_csv(night / "open_complaints.csv", dtype=str)
    index = pd.read_csv(night / "evidence_index.csv", dtype=str)
    assert set(index["complaint_id"]) <= set(listed["complaint_id"])
    for complaint_id in listed["complaint_id"].head(20):
        checklist = pd.read_csv(night / "evidence" / f"{complaint_id}.csv", dtype=str)
        assert (checklist["complaint_id"] == complaint_id).all()
        uploads = checklist[checklist["document_id"].notna()]
        for row in uploads.itertuples():
            assert (
                row.document_id
                in str(listed.set_index("complaint_id").loc[complaint_id, "documents_on_file"])
                or row.action != "上传"
            )


def test_the_report_has_a_complaints_sheet_and_summary_counts(
    world_night: tuple[Path, Path],
) -> None:
    _, night = world_night
    listed = pd.read_csv(night / "open_complaints.csv", dtype=str)
    book = openpyxl.load_workbook(night / f"supplier-risk-{AS_OF}.xlsx")
    assert book.sheetnames[:2] == ["摘要", "投诉工单"]
    sheet = book["投诉工单"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["投诉编号", "平台", "投诉类型"]
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids == list(listed["complaint_id"])
    days_column = header.index("剩余天数") + 1
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=days_column)
        overdue = cell.fill.fgColor.rgb.endswith("C00000")
        assert overdue == (cell.value < 0)
    missing = header.index("缺少的凭证") + 1
    words = [sheet.cell(row=r, column=missing).value for r in range(2, sheet.max_row + 1)]
    assert any(w and ("缺失" in w or "已过期" in w or "只覆盖" in w) for w in words)
    summary = {row[0]: row[1] for row in book["摘要"].iter_rows(values_only=True) if row[0]}
    assert summary["未结投诉"] == len(listed)
    days = listed["days_left"].astype(int)
    assert summary["48小时内到期的投诉"] == ((days >= 0) & (days <= 2)).sum()
    assert (
        summary["举证材料未备齐（无任何可用凭证）"]
        == (listed["evidence_status"] == "not_ready").sum()
    )


def test_buyer_ids_appear_in_no_output(world_night: tuple[Path, Path]) -> None:
    world, night = world_night
    buyers = set(pd.read_csv(world / "complaints.csv", dtype=str)["buyer_id"].dropna())
    buyers |= set(pd.read_csv(world / "orders.csv", dtype=str)["buyer_id"].dropna())
    assert len(buyers) > 10
    texts = [p.read_text(encoding="utf-8-sig") for p in night.rglob("*.csv")]
    texts.append((night / "manifest.json").read_text())
    for name in night.glob("*.xlsx"):
        book = openpyxl.load_workbook(name, read_only=True)
        texts += [
            str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
        ]
    found = [b for b in buyers if any(b in text for text in texts)]
    assert found == []


def test_hostile_complaint_text_and_ids_stay_text(
    make_folder: Callable[..., Path], tmp_path: Path
) -> None:
    data = make_folder(
        {
            "complaints": [
                {
                    "complaint_id": "../../escape",
                    "sku": "SKU-1",
                    "opened_on": "2026-11-25",
                    "complaint_type": "假货",
                    "status": "处理中",
                    "platform": "拼多多",
                    "buyer_id": "evil_buyer",
                    "description": '=HYPERLINK("http://x","click")',
                    "shipment_id": "L1",
                },
            ],
            "documents": [
                {
                    "document_id": "D9",
                    "supplier_id": "S1",
                    "doc_type": "发票",
                    "shipment_id": "L1",
                    "issued_on": "2026-11-01",
                    "file_ref": "=cmd|' /C calc'!A0",
                    "quantity": "1,200",
                }
            ],
        }
    )
    night = run_night(data, tmp_path / "out")
    listed = pd.read_csv(night / "open_complaints.csv", dtype=str)
    row = listed.set_index("complaint_id").loc["../../escape"]
    assert row["platform"] == "pinduoduo"
    assert row["deadline_source"] == "rule" and row["due_on"] == "2026-12-02"
    assert row["evidence_status"] == "ready"
    assert "D9 进货发票 → =cmd" in row["documents_on_file"]
    raw = (night / "open_complaints.csv").read_text(encoding="utf-8-sig")
    assert "'D9" not in raw  # a cell starting with text is safe as it is
    files = [p.relative_to(night) for p in (night / "evidence").iterdir()]
    assert len(files) == 1 and files[0].parent == Path("evidence")
    assert files[0].name.startswith("__.._escape-") and not (night.parent / "escape.csv").exists()
    checklist = (night / files[0]).read_text(encoding="utf-8-sig")
    assert "'=cmd" in checklist  # the file_ref cell of the checklist is defused for Excel
    book = openpyxl.load_workbook(night / f"supplier-risk-{AS_OF}.xlsx")
    sheet = book["投诉工单"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("投诉内容") + 1)
    assert cell.value == '=HYPERLINK("http://x","click")' and cell.data_type == "s"
    assert sheet.cell(row=2, column=header.index("买家（已脱敏）") + 1).value == "e***r"


def test_checklists_with_line_breaks_are_written_the_sure_way(tmp_path: Path) -> None:
    index = pd.DataFrame(
        {
            "complaint_id": ["A", "A", "B"],
            "file_ref": ["//nas/a.pdf", "=cmd", "//nas/b.pdf"],
        }
    )
    fast = outputs.write_checklists(index, tmp_path / "fast")
    broken = index.assign(file_ref=["//nas/a.pdf", "=cmd", "two\nlines"])
    sure = outputs.write_checklists(broken, tmp_path / "sure")
    assert [p.name for p in fast] == [p.name for p in sure] == ["A.csv", "B.csv"]
    for folder, last in (("fast", "//nas/b.pdf"), ("sure", "two\nlines")):
        a = pd.read_csv(tmp_path / folder / "A.csv", dtype=str, encoding="utf-8-sig")
        b = pd.read_csv(tmp_path / folder / "B.csv", dtype=str, encoding="utf-8-sig")
        assert list(a["file_ref"]) == ["//nas/a.pdf", "'=cmd"]
        assert list(b["file_ref"]) == [last]


def test_a_quarantined_complaint_keeps_its_buyer_masked(
    make_folder: Callable[..., Path], tmp_path: Path
) -> None:
    data = make_folder(
        {
            "complaints": [
                {
                    "complaint_id": "BAD",
                    "sku": "SKU-1",
                    "opened_on": "2026-13-40",
                    "complaint_type": "counterfeit",
                    "status": "open",
                    "buyer_id": "secret_buyer",
                },
            ],
            "orders": [
                {"order_id": "O1", "sku": "SKU-1", "ordered_on": "2027-01-01", "buyer_id": "x_y"}
            ],
        }
    )
    night = run_night(data, tmp_path / "out")
    complaints = (night / "quarantine" / "complaints.csv").read_text(encoding="utf-8-sig")
    orders = (night / "quarantine" / "orders.csv").read_text(encoding="utf-8-sig")
    assert "BAD" in complaints and "secret_buyer" not in complaints and "s***r" in complaints
    assert "O1" in orders and "x_y" not in orders and "x***y" in orders
