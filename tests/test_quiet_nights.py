"""Any night, any shop: absent and empty optional tables, quiet weeks and a year later.

Each night is run with the stages called directly (no Prefect) on the small world of
conftest.py, spoiled one way at a time. The property: the night completes, publishes every
output, and the manifest conserves every row it read.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Literal

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplier_audit.config.loading import load_config
from supplier_audit.ingest.errors import InputError
from supplier_audit.night import recipe
from supplier_audit.night.run import AuditRun

from .conftest import AS_OF, BASE_TABLES, write_table

OPTIONAL = ("documents", "orders", "complaints", "inspections")
# The conftest world has no orders: a quiet night's world sells one unit of SKU-1 from L1.
ORDERS = [
    {
        "order_id": "123456789012345678",
        "sku": "SKU-1",
        "ordered_on": "2026-11-04",
        "shipment_id": "L1",
        "buyer_id": "tb_buyer_1",
        "platform": "拼多多",
    }
]
State = Literal["rows", "absent", "header only", "zero bytes"]
STATES: tuple[State, ...] = ("rows", "absent", "header only", "zero bytes")
# The data's last day, a quiet week later (nothing new arrived), and a year later.
NIGHTS = (AS_OF, AS_OF + dt.timedelta(days=7), AS_OF + dt.timedelta(days=365))
OUTPUTS = {
    "manifest.json",
    "inspection_plan.csv",
    "review_flags.csv",
    "supplier_scores.csv",
    "inspection-samples-{night}.xlsx",
    "supplier-risk-{night}.xlsx",
}


def build(
    folder: Path, states: dict[str, State], *, one_supplier: bool = False, channel: str = ""
) -> Path:
    """The conftest world with each optional table in the given state (and, with
    ``channel``, every supplier buying through that channel)."""
    folder.mkdir(parents=True)
    tables = {name: list(rows) for name, rows in BASE_TABLES.items()}
    tables["orders"] = list(ORDERS)
    if one_supplier:
        tables["suppliers"] = tables["suppliers"][:1]
        tables["shipments"] = [row for row in tables["shipments"] if row["supplier_id"] == "S1"]
    if channel:
        tables["suppliers"] = [dict(row, channel=channel) for row in tables["suppliers"]]
    for name, rows in tables.items():
        state = states.get(name, "rows")
        if state == "absent":
            continue
        path = write_table(folder, name, rows)
        if state == "header only":
            path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n")
        elif state == "zero bytes":
            path.write_bytes(b"")
    return folder


def night(data: Path, out: Path, as_of: dt.date) -> Path:
    run = AuditRun(data_dir=data, out_dir=out, as_of=as_of, config=load_config(None))
    with run.exclusive():
        return recipe.audit_night(run)


def check_published(published: Path, states: dict[str, State], as_of: dt.date) -> None:
    names = {p.name for p in published.iterdir()}
    assert {o.format(night=as_of.isoformat()) for o in OUTPUTS} <= names
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    for name, table in manifest["inputs"].items():
        assert table["conserved"], name
        assert table["rows_read"] == (
            table["rows_valid"] + table["rows_quarantined"] + table["rows_pending"]
        )
        state = states.get(name, "rows")
        assert table["present"] == (state != "absent"), name
        if state != "rows":
            assert table["rows_read"] == 0, name
    # Every machine CSV has its header, even with no row.
    for csv in ("inspection_plan.csv", "review_flags.csv", "supplier_scores.csv"):
        assert len(pd.read_csv(published / csv, dtype=str).columns) > 3, csv


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    states=st.fixed_dictionaries({name: st.sampled_from(STATES) for name in OPTIONAL}),
    as_of=st.sampled_from(NIGHTS),
    one_supplier=st.booleans(),
)
def test_every_night_completes_publishes_and_conserves_rows(
    tmp_path_factory: pytest.TempPathFactory,
    states: dict[str, State],
    as_of: dt.date,
    one_supplier: bool,
) -> None:
    root = tmp_path_factory.mktemp("night")
    data = build(root / "data", states, one_supplier=one_supplier)
    published = night(data, root / "reports", as_of)
    check_published(published, states, as_of)
    shutil.rmtree(root)


def test_a_one_supplier_shop_with_nothing_in_its_window_gets_its_night(tmp_path: Path) -> None:
    """One supplier (a manufacturer: no channel risk) and no signal of any kind left in the
    window: the night completes and its reasons say there is no risk signal (this crashed
    scoring: no supplier had a reason to name)."""
    states: dict[str, State] = {"complaints": "absent", "inspections": "absent"}
    data = build(tmp_path / "data", states, one_supplier=True, channel="manufacturer")
    as_of = NIGHTS[-1]  # a year later: every lot, review and document out of the window
    published = night(data, tmp_path / "reports", as_of)
    check_published(published, states, as_of)
    scores = pd.read_csv(published / "supplier_scores.csv", dtype=str)
    assert scores["supplier_id"].tolist() == ["S1"]
    assert scores["main_reasons"].tolist() == ["窗口期内无风险信号"]


@pytest.mark.parametrize("state", ["absent", "header only", "zero bytes"])
@pytest.mark.parametrize("table", OPTIONAL)
def test_each_optional_table_may_be_missing_or_empty(
    tmp_path: Path, table: str, state: State
) -> None:
    """Every subset is reached by the property above; each single case is pinned here."""
    states: dict[str, State] = {table: state}
    published = night(build(tmp_path / "data", states), tmp_path / "reports", AS_OF)
    check_published(published, states, AS_OF)


def summary_texts(published: Path, as_of: dt.date) -> list[str]:
    book = openpyxl.load_workbook(published / f"supplier-risk-{as_of.isoformat()}.xlsx")
    return [str(c.value) for row in book.worksheets[0].iter_rows() for c in row if c.value]


def test_the_report_says_what_was_absent_in_words(tmp_path: Path) -> None:
    states: dict[str, State] = {"complaints": "absent", "documents": "header only"}
    later = AS_OF + dt.timedelta(days=365)
    published = night(build(tmp_path / "data", states), tmp_path / "reports", later)
    texts = summary_texts(published, later)
    assert "未提供投诉表" in texts  # no complaints table was provided
    assert "正品凭证表没有数据行" in texts  # the documents table has no rows
    assert "今晚没有需要抽检的批次" in texts  # no lot to inspect tonight
    assert pd.read_csv(published / "inspection_plan.csv").empty
    qa = openpyxl.load_workbook(published / f"inspection-samples-{later.isoformat()}.xlsx")
    assert qa.sheetnames == ["填写说明", "抽检清单"]  # no pick list without lots
    assert qa["抽检清单"]["A1"].value == "今晚没有需要抽检的批次"


def test_an_empty_qa_sheet_dropped_back_reads_as_no_inspections(tmp_path: Path) -> None:
    """The QA workbook of a night with nothing to inspect is still a valid inspections input."""
    later = AS_OF + dt.timedelta(days=365)
    published = night(build(tmp_path / "data", {}), tmp_path / "first", later)
    data = build(tmp_path / "again", {"inspections": "absent"})
    shutil.copy(published / f"inspection-samples-{later.isoformat()}.xlsx", data)
    manifest = json.loads(
        (night(data, tmp_path / "second", later) / "manifest.json").read_text(encoding="utf-8")
    )
    assert manifest["inputs"]["inspections"]["present"]
    assert manifest["inputs"]["inspections"]["rows_read"] == 0


@pytest.mark.parametrize("table", ["suppliers", "shipments", "reviews"])
def test_a_required_table_with_no_rows_is_one_clear_fatal_error(tmp_path: Path, table: str) -> None:
    data = build(tmp_path / "data", {table: "header only"})
    with pytest.raises(InputError, match=f"table {table} has a header but no rows"):
        night(data, tmp_path / "reports", AS_OF)
    assert not (tmp_path / "reports" / AS_OF.isoformat()).exists()


def test_a_stray_nul_byte_costs_one_character_and_the_report_names_the_row(
    tmp_path: Path,
) -> None:
    data = build(tmp_path / "data", {})
    reviews = data / "reviews.csv"
    reviews.write_bytes(reviews.read_bytes().replace("假货".encode(), "假\x00货".encode()))
    published = night(data, tmp_path / "reports", AS_OF)
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["reviews"]["rows_valid"] == 2
    assert manifest["inputs"]["reviews"]["rows_cleaned"] == 1
    flags = pd.read_csv(published / "review_flags.csv", dtype=str)
    assert flags["review_id"].tolist() == ["R2"]  # 假货 still read as 假货
    book = openpyxl.load_workbook(published / f"supplier-risk-{AS_OF.isoformat()}.xlsx")
    quality = [[c.value for c in row] for row in book["数据质量"].iter_rows()]
    title = next(i for i, row in enumerate(quality) if str(row[0]).startswith("已删除控制字符"))
    assert quality[title][0].endswith(": 1")
    assert quality[title + 2][:4] == ["评价", "reviews.csv", 3, "text"]
