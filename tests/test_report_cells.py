"""reporting/cells.py: rows streamed as prebuilt XML are the rows openpyxl writes."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Alignment, Font, PatternFill

from supplier_audit.reporting.cells import CellStyle, Formula, stream_rows, text_cell

BOLD_RED = InlineFont(b=True, color="C00000")


def _sheet_xml(book: Workbook, path: Path) -> tuple[bytes, bytes]:
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml"), archive.read("xl/styles.xml")


def _styles(sheet: object) -> tuple[CellStyle, CellStyle, CellStyle]:
    """Bold on blue, wrapped, and a date format: the sample's styles."""
    return (
        CellStyle(sheet, font=Font(bold=True), fill=PatternFill("solid", fgColor="1F4E78")),
        CellStyle(sheet, alignment=Alignment(wrap_text=True, vertical="top")),
        CellStyle(sheet, number_format="yyyy-mm-dd"),
    )


# The numbers of the sample's second row, the same as values and as cells.
NUMBERS = ("plain", 42, 3.25, True, np.int64(7), np.float64(0.5), float("nan"), None)


def _cells(book: Workbook, sheet: object) -> list[list[object]]:
    """The sample, as openpyxl cells (what the report wrote before stream_rows)."""
    bold, wrap, day = _styles(sheet)

    def text(value: str) -> WriteOnlyCell:
        return text_cell(sheet, value)

    formula = WriteOnlyCell(sheet, value='=IF(A2>0,"拒收","接收")')
    rich = WriteOnlyCell(sheet, value=CellRichText(["买到 ", TextBlock(BOLD_RED, "假货"), " 了 "]))
    rich.data_type = "s"
    return [
        [bold.apply(text("供应商")), bold.apply(text("score")), None, bold.apply(text(" pad "))],
        [
            *NUMBERS,
            day.apply(WriteOnlyCell(sheet, value=dt.date(2026, 11, 26))),
            WriteOnlyCell(sheet, value=dt.datetime(2026, 11, 26, 8, 30)),
        ],
        [
            text('=HYPERLINK("http://x","点我")'),  # untrusted text: stays text
            text("+86 138"),
            text("#N/A"),
            text(""),
            text("  "),
            text("line\nbreak & <tag>"),
            text("carriage\rreturn ]]> > 😀"),
            rich,
            formula,
            wrap.apply(WriteOnlyCell(sheet)),
            wrap.apply(text("wrapped")),
        ],
        [],
        [None, None, text("last")],
    ]


def _values(sheet: object) -> list[list[object]]:
    """The same sample as plain values and styled values for stream_rows."""
    bold, wrap, day = _styles(sheet)
    return [
        [bold("供应商"), bold("score"), None, bold(" pad ")],
        [
            *NUMBERS,
            day(dt.date(2026, 11, 26)),
            dt.datetime(2026, 11, 26, 8, 30),
        ],
        [
            '=HYPERLINK("http://x","点我")',
            "+86 138",
            "#N/A",
            "",
            "  ",
            "line\nbreak & <tag>",
            "carriage\rreturn ]]> > 😀",
            CellRichText(["买到 ", TextBlock(BOLD_RED, "假货"), " 了 "]),
            Formula('=IF(A2>0,"拒收","接收")'),
            wrap(None),
            wrap("wrapped"),
        ],
        [],
        [None, None, "last"],
    ]


def test_stream_rows_writes_the_xml_openpyxl_writes(tmp_path: Path) -> None:
    heights = [30.0, None, 45.0, None, 15.0]
    expected_book = Workbook(write_only=True)
    expected = expected_book.create_sheet("表")
    expected.column_dimensions["A"].width = 20
    for number, (row, height) in enumerate(
        zip(_cells(expected_book, expected), heights, strict=True), start=1
    ):
        if height:
            expected.row_dimensions[number].height = height
        expected.append(row)
    expected.append([text_cell(expected, "appended after", font=Font(italic=True))])

    book = Workbook(write_only=True)
    sheet = book.create_sheet("表")
    sheet.column_dimensions["A"].width = 20
    assert stream_rows(sheet, _values(sheet), heights=heights) == 6
    sheet.append([text_cell(sheet, "appended after", font=Font(italic=True))])

    openpyxl_xml = _sheet_xml(expected_book, tmp_path / "openpyxl.xlsx")
    assert _sheet_xml(book, tmp_path / "streamed.xlsx") == openpyxl_xml
    # cell objects (the small sheets' rows) given to stream_rows are written as openpyxl would
    objects_book = Workbook(write_only=True)
    objects = objects_book.create_sheet("表")
    objects.column_dimensions["A"].width = 20
    stream_rows(objects, _cells(objects_book, objects), heights=heights)
    objects.append([text_cell(objects, "appended after", font=Font(italic=True))])
    assert _sheet_xml(objects_book, tmp_path / "objects.xlsx") == openpyxl_xml
    read = openpyxl.load_workbook(tmp_path / "streamed.xlsx")["表"]
    assert read["A3"].data_type == "s"
    assert read["A3"].value == '=HYPERLINK("http://x","点我")'
    assert read["I3"].value == '=IF(A2>0,"拒收","接收")'
    assert read["I3"].data_type == "f"
    assert read["A6"].value == "appended after"


def test_stream_rows_starts_a_sheet_or_not_at_all(tmp_path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("s")
    sheet.append(["first"])
    with pytest.raises(ValueError, match="first row"):
        stream_rows(sheet, [["second"]])
    book.save(tmp_path / "s.xlsx")  # (the sheet's row stream finished)
