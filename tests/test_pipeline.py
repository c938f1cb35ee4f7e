"""The nightly stages run directly (no Prefect): outputs, determinism and the QA round trip."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.demo import generate_world
from supplier_audit.night import recipe, stages
from supplier_audit.night.run import LOCK_NAME as LOCK
from supplier_audit.night.run import AuditRun

AS_OF = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, suppliers=25, seed=7, as_of=AS_OF)
    return folder


@pytest.fixture(scope="module")
def small_night(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world's night with the default settings, for the tests that only read it (or
    copy its output folder before they write to it)."""
    return run_night(small_world, tmp_path_factory.mktemp("reports"))


def run_night(data: Path, out: Path, as_of: dt.date = AS_OF, config: Path | None = None) -> Path:
    """The nightly recipe without Prefect."""
    run = AuditRun(data_dir=data, out_dir=out, as_of=as_of, config=load_config(config))
    with run.exclusive():
        return recipe.audit_night(run)


def test_a_night_writes_every_output(small_night: Path) -> None:
    night = small_night
    names = {str(p.relative_to(night)) for p in night.rglob("*") if p.is_file()}
    assert {
        "manifest.json",
        "inspection_plan.csv",
        f"inspection-samples-{AS_OF}.xlsx",
        f"supplier-risk-{AS_OF}.xlsx",
        "review_flags.csv",
    } <= names
    flags = pd.read_csv(night / "review_flags.csv", dtype=str)
    assert list(flags.columns) == [
        "review_id",
        "supplier_id",
        "quality_issue",
        "counterfeit_suspect",
        "categories",
        "matched_terms",
        "flag_source",
        "probability",
        "attributed_to",
    ]
    assert set(flags["flag_source"]) <= {"lexicon", "model", "both"}
    assert (
        len(flags) > 0
        and ((flags["quality_issue"] == "True") | (flags["counterfeit_suspect"] == "True")).all()
    )
    plan = pd.read_csv(night / "inspection_plan.csv", dtype=str)
    assert list(plan.columns) == [
        "shipment_id",
        "supplier_id",
        "sku",
        "lot_size",
        "inspection_level",
        "severity",
        "aql",
        "code_letter",
        "sample_size",
        "acceptance_number",
        "rejection_number",
        "full_inspection",
        "sampled_units",
    ]
    assert len(plan) > 0


def test_same_inputs_same_outputs(small_world: Path, small_night: Path, tmp_path: Path) -> None:
    first = small_night
    second = run_night(small_world, tmp_path / "b")
    for name in ("inspection_plan.csv", "review_flags.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    # a rerun of the same night into the same folder replaces it with the same content
    shutil.copytree(first.parent, tmp_path / "a")
    again = run_night(small_world, tmp_path / "a")
    assert (again / "inspection_plan.csv").read_bytes() == (
        second / "inspection_plan.csv"
    ).read_bytes()


def _fill_in(workbook: Path, *, counterfeit_lot: str) -> dict[str, int]:
    """Fill the result columns of the first two rows per sheet, as QA would; return what was set."""
    book = openpyxl.load_workbook(workbook)
    filled: dict[str, int] = {}
    for sheet in book.worksheets:
        header = [str(c.value or "") for c in sheet[1]]
        column = {h.split("\n")[-1]: i + 1 for i, h in enumerate(header)}
        if "shipment_id" not in column:
            continue  # the instructions sheet
        for row in range(2, min(sheet.max_row, 3) + 1):
            shipment = sheet.cell(row, column["shipment_id"]).value
            counterfeit = 2 if shipment == counterfeit_lot else 0
            sheet.cell(row, column["critical_defects"]).value = 0
            sheet.cell(row, column["major_defects"]).value = 1
            sheet.cell(row, column["minor_defects"]).value = 3
            sheet.cell(row, column["counterfeit_units"]).value = counterfeit
            sheet.cell(row, column["inspector"]).value = "王芳"
            sheet.cell(row, column["inspected_on"]).value = dt.date(2026, 11, 27)
            filled[str(shipment)] = counterfeit
    book.save(workbook)
    return filled


def test_filled_in_qa_workbook_is_read_back_as_inspections(
    small_world: Path, small_night: Path, tmp_path: Path
) -> None:
    shutil.copytree(small_night.parent, tmp_path / "reports")
    night = tmp_path / "reports" / small_night.name
    plan = pd.read_csv(night / "inspection_plan.csv", dtype=str)
    data = tmp_path / "data"
    shutil.copytree(small_world, data)
    workbook = data / f"inspection-samples-{AS_OF}.xlsx"
    shutil.copy(night / workbook.name, workbook)
    filled = _fill_in(workbook, counterfeit_lot=plan["shipment_id"].iloc[0])

    next_night = AS_OF + dt.timedelta(days=1)
    run = AuditRun(
        data_dir=data, out_dir=tmp_path / "reports", as_of=next_night, config=load_config()
    )
    run.begin()
    inputs = stages.ingest_stage(run)
    inspections = inputs.tables["inspections"]
    # every plan row is either a result now, or pending (result columns still empty)
    assert inspections.rows_pending == len(plan) - len(filled)
    assert inspections.rows_quarantined == 0
    from_workbook = inputs["inspections"][
        inputs["inspections"]["source_file"].str.startswith("inspection-samples")
    ]
    assert (
        dict(zip(from_workbook["shipment_id"], from_workbook["counterfeit_units"], strict=True))
        == filled
    )
    assert set(from_workbook["inspector"]) == {"王芳"}
    # the results are used: those lots are not planned again as uninspected
    inspection = stages.inspection_stage(run, inputs)
    replanned = inspection.plan[inspection.plan["reason"].str.contains("not inspected yet")]
    assert not set(filled) & set(replanned["shipment_id"])
    run.abandon()


def test_the_report_language_is_a_setting(
    small_world: Path, small_night: Path, tmp_path: Path
) -> None:
    config = tmp_path / "en.toml"
    config.write_text('report_language = "en"\n', encoding="utf-8")
    night = run_night(small_world, tmp_path / "reports", config=config)
    book = openpyxl.load_workbook(night / f"supplier-risk-{AS_OF}.xlsx", read_only=True)
    assert book.sheetnames[:2] == ["Summary", "Complaints"]
    desk_sheets = ("Complaints", "Worth appealing")
    others = [name for name in book.sheetnames if name not in desk_sheets]
    assert others[:3] == ["Summary", "Suppliers", "Evidence"]
    qa = openpyxl.load_workbook(night / f"inspection-samples-{AS_OF}.xlsx", read_only=True)
    assert qa.sheetnames[0] == "Instructions"
    first_header = next(qa.worksheets[1].iter_rows(max_row=1, values_only=True))
    assert [str(h).split("\n")[-1] for h in first_header[:2]] == ["priority", "shipment_id"]
    assert str(first_header[0]).split("\n")[0] == "Priority"
    zh = small_night  # the default language
    assert (
        openpyxl.load_workbook(zh / f"supplier-risk-{AS_OF}.xlsx", read_only=True).sheetnames[0]
        == "摘要"
    )


def test_manifest_conserves_every_row_and_flags_name_their_supplier(
    small_world: Path, small_night: Path
) -> None:
    import json

    night = small_night
    manifest = json.loads((night / "manifest.json").read_text(encoding="utf-8"))
    planted = pd.read_csv(small_world / "_truth" / "planted_problems.csv", dtype=str)
    for name, counts in manifest["inputs"].items():
        assert counts["conserved"] and counts["rows_read"] == (
            counts["rows_valid"] + counts["rows_quarantined"] + counts["rows_pending"]
        ), name
    assert (
        sum(c["rows_quarantined"] for c in manifest["inputs"].values())
        == (planted["expected"] == "quarantined").sum()
    )
    assert {"config", "scoring", "lexicon", "flagger_model", "iso_tables"} <= set(manifest["rules"])
    flags = pd.read_csv(night / "review_flags.csv", dtype=str, keep_default_na=False)
    suppliers = set(pd.read_csv(small_world / "suppliers.csv", dtype=str)["supplier_id"])
    named = flags[flags["supplier_id"] != ""]
    assert set(named["supplier_id"]) <= suppliers  # an id, never a list of shares
    assert (flags["attributed_to"] != "").all()


def test_contacts_buyers_write_are_masked_in_the_report(small_world: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(small_world, data)
    reviews = pd.read_csv(data / "reviews.csv", dtype=str, keep_default_na=False)
    extra = reviews.iloc[[0]].assign(
        review_id="RV-CONTACT", text="假货！加我微信或打电话13812345678，邮箱 buyer.li@163.com"
    )
    pd.concat([reviews, extra]).to_csv(data / "reviews.csv", index=False)
    night = run_night(data, tmp_path / "reports")
    book = openpyxl.load_workbook(night / f"supplier-risk-{AS_OF}.xlsx", rich_text=True)
    evidence = book["证据"]
    header = [c.value for c in evidence[1]]
    text_col, ref_col = header.index("内容") + 1, header.index("编号") + 1
    row = next(
        r for r in range(2, evidence.max_row + 1) if evidence.cell(r, ref_col).value == "RV-CONTACT"
    )
    cell = evidence.cell(row, text_col).value
    shown = "".join(block if isinstance(block, str) else block.text for block in cell)
    assert "13812345678" not in shown and "138****5678" in shown
    assert "buyer.li@163.com" not in shown
    assert cell[0].text == "假货" and cell[0].font.b  # the term is still highlighted


def test_a_night_cut_to_half_its_lots_is_held_and_the_published_night_stays(
    small_world: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(small_world, data, ignore=shutil.ignore_patterns("_truth"))
    out = tmp_path / "out"
    run_night(data, out, as_of=AS_OF - dt.timedelta(days=1))
    published = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != LOCK}
    text = (data / "shipments.csv").read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    (data / "shipments.csv").write_text(
        "\n".join(lines[: len(lines) // 2]) + "\n" + lines[len(lines) // 2][:11], encoding="utf-8"
    )
    held = run_night(data, out)
    assert held == out / "held" / AS_OF.isoformat()
    guard = json.loads((held / "manifest.json").read_text(encoding="utf-8"))["guard"]
    assert guard["verdict"] == "held"
    assert [f["kind"] for f in guard["findings"]][:2] == ["cut_row", "row_drop"]
    assert not (out / AS_OF.isoformat()).exists()
    assert not (out / "history" / f"as_of={AS_OF.isoformat()}").exists()
    assert published == {
        p: p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and "held" not in p.parts and p.name != LOCK
    }
