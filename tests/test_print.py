"""The workbooks as a spreadsheet client prints them: LibreOffice (headless) renders each to
PDF, and the pages are read back with poppler's pdfinfo / pdftotext.

`make render-tools` installs the three Debian packages (root on Debian; CI does); elsewhere
these tests are skipped with the reason.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import openpyxl
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.demo import generate_world
from supplier_audit.night import recipe
from supplier_audit.night.run import AuditRun
from supplier_audit.reporting.printing import libreoffice_convert

AS_OF = dt.date(2026, 11, 26)
TOOLS = ("soffice", "pdfinfo", "pdftotext")
missing = [tool for tool in TOOLS if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(missing),
    reason=f"{', '.join(missing)} not installed: run `make render-tools` (Debian: "
    "libreoffice-calc-nogui, fonts-noto-cjk, poppler-utils) to check the printed pages",
)


def _to_pdf(workbook: Path, folder: Path) -> Path:
    return libreoffice_convert(workbook, folder)


def _pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    count = int(next(line for line in info.stdout.splitlines() if line.startswith("Pages:"))[6:])
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for n in range(1, count + 1)
    ]


class Printed(NamedTuple):
    """A workbook of the night, its printed pages' text, and the PDF they came from."""

    workbook: Path
    pages: list[str]
    pdf: Path


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Printed]:
    world = demo_or_small_world(tmp_path_factory)
    out = tmp_path_factory.mktemp("print-out")
    run = AuditRun(data_dir=world, out_dir=out, as_of=AS_OF, config=load_config(None))
    with run.exclusive():
        night = recipe.audit_night(run)
    pdfs = tmp_path_factory.mktemp("pdf")
    found = {}
    for prefix in ("supplier-risk", "inspection-samples"):
        workbook = night / f"{prefix}-{AS_OF.isoformat()}.xlsx"
        pdf = _to_pdf(workbook, pdfs)
        found[prefix] = Printed(workbook, _pages(pdf), pdf)
    return found


def demo_or_small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 25-supplier world from the demo generator; ``WORKBOOK_TEST_DATA=data/demo`` (``make
    check-workbooks``) runs the same tests on the bundled demo night (a minute more)."""
    chosen = os.environ.get("WORKBOOK_TEST_DATA")
    if chosen:
        return Path(chosen).resolve()
    world = tmp_path_factory.mktemp("print-world")
    generate_world(world, suppliers=25, seed=7, as_of=AS_OF)
    return world


def _first_row(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[str]:
    return [str(c.value).split("\n")[0] for c in next(sheet.iter_rows(max_row=1)) if c.value]


def test_every_table_sheet_prints_its_whole_header_on_every_page(
    printed: dict[str, Printed],
) -> None:
    """One page wide: no column spills onto a page of its own. Each printed page of a table
    sheet repeats the header row, so its first and last column headers are on every page."""
    workbook, pages, _ = printed["supplier-risk"]
    book = openpyxl.load_workbook(workbook)
    checked = 0
    for sheet in book.worksheets[1:]:
        if sheet.sheet_state != "visible" or sheet.title == "运行信息":
            continue
        header = _first_row(sheet)
        own = [page for page in pages if page.lstrip().startswith(sheet.title)]
        assert own, f"no printed page is headed {sheet.title}"
        for page in own:
            assert header[0] in page and header[-1] in page, (sheet.title, header[-1])
        checked += 1
    assert checked >= 4


def test_the_reports_print_as_a_handful_of_pages(
    printed: dict[str, Printed],
) -> None:
    _, pages, _ = printed["supplier-risk"]
    summary = [p for p in pages if p.lstrip().startswith("摘要")]
    assert 1 <= len(summary) <= 4  # facts, stop list, top risks, charts (the second on its own)
    # a column per few pages before fitToPage: 681 pages for the 200-supplier demo, now 87
    assert len(pages) <= (40 if not os.environ.get("WORKBOOK_TEST_DATA") else 200)
    _, qa_pages, _ = printed["inspection-samples"]
    # instructions, the lists, the pick list
    assert 2 <= len(qa_pages) <= (30 if not os.environ.get("WORKBOOK_TEST_DATA") else 160)


def _word_heights(pdf: Path, page: int) -> list[float]:
    """The height of every word's box on one page, in points (about 1.16 x the font size for
    the Latin fonts LibreOffice uses here, more for CJK)."""
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [
        float(bottom) - float(top)
        for top, bottom in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', boxes)
    ]


def test_the_qa_list_prints_legibly_with_its_whole_header_on_every_page(
    printed: dict[str, Printed],
) -> None:
    """At least 8 pt (word boxes of 9.2 pt and more: it printed at about 3 pt before), one page
    wide: every page of a list repeats the header row, first column to last."""
    _, pages, pdf = printed["inspection-samples"]
    lists = [n for n, page in enumerate(pages, start=1) if "抽检清单" in page[:200]]
    assert lists
    for number in lists:
        page = pages[number - 1]
        assert "入库单号" in page and "备注" in page  # second and last column headers
        heights = sorted(_word_heights(pdf, number))
        assert heights[len(heights) // 2] >= 9.2, number


def _lo_resave(workbook: Path, folder: Path) -> Path:
    """The workbook opened and saved again by LibreOffice (formulas computed and cached)."""
    return libreoffice_convert(workbook, folder, to="xlsx")


def test_a_filled_qa_sheet_shows_its_verdicts_and_reads_back_as_inspections(
    printed: dict[str, Printed], tmp_path: Path
) -> None:
    """Counts typed by an inspector: the client shows 接收/拒收 against Ac/Re, and the saved file
    is the next night's inspection results (its verdict column ignored, blank rows pending)."""
    from supplier_audit.ingest.folder import ingest_table
    from supplier_audit.ingest.tables import read_table

    workbook, _, _ = printed["inspection-samples"]
    book = openpyxl.load_workbook(workbook)
    sheet = book.worksheets[1]
    column = {str(c.value).split("\n")[-1]: c.column for c in sheet[1]}
    re_of_row3 = int(sheet.cell(4, column["rejection_number"]).value)
    typed = {  # row: (critical, major, minor, counterfeit) -> expected verdict
        2: ((0, 0, 0, 0), "接收"),
        3: ((1, 0, 0, 0), "拒收"),
        4: ((0, re_of_row3, 0, 0), "拒收"),
    }
    for row, (counts, _) in typed.items():
        names = ("critical_defects", "major_defects", "minor_defects", "counterfeit_units")
        for name, count in zip(names, counts, strict=True):
            sheet.cell(row, column[name]).value = count
        sheet.cell(row, column["inspected_on"]).value = AS_OF
        sheet.cell(row, column["inspector"]).value = "王芳"
    filled = tmp_path / workbook.name
    book.save(filled)
    saved = _lo_resave(filled, tmp_path / "saved")
    shown = openpyxl.load_workbook(saved, data_only=True).worksheets[1]
    for row, (_, verdict) in typed.items():
        assert shown.cell(row, column["verdict"]).value == verdict, row
    assert shown.cell(5, column["verdict"]).value in (None, "")  # nothing typed yet

    settings = load_config(None).settings
    raw = read_table("inspections", [saved], settings)
    result = ingest_table(raw, settings, as_of=AS_OF)
    assert result.rows_quarantined == 0
    assert result.rows_valid == 3 and result.rows_read == result.rows_valid + result.rows_pending
    assert any(c.endswith("verdict") for c in result.unknown_columns)  # read, and ignored
