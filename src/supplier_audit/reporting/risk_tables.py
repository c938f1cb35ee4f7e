"""The risk report's one-table sheets: column kinds, cells streamed by kind, widths, printing.

A table sheet is written in openpyxl's write-only mode through
:func:`supplier_audit.reporting.cells.stream_rows`: each value becomes the XML openpyxl would
write for it, styled by a style registered once per sheet, so a sheet of 50,000 rows costs
seconds. Every value from an input is made safe by :mod:`supplier_audit.reporting.cells`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import DataBarRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from supplier_audit.reporting import cells
from supplier_audit.reporting.cells import (
    CellStyle,
    Styled,
    clean_texts,
    display_width,
    display_widths,
    highlighted_text,
    is_blank,
    stream_rows,
    text_cell,
    value_cell,
)
from supplier_audit.reporting.risk_cells import (
    WRAP,
    Column,
    cell_maker,
    translated,
)
from supplier_audit.review_terms import spans_of

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TOP = Alignment(vertical="top")
MAX_WIDTH = 60
TOP_RISKS_SHOWN = 10


class Sheet:
    """A write-only sheet being filled row by row, remembering what it needs at the end."""

    def __init__(self, book: Workbook, title: str) -> None:
        self.ws: WriteOnlyWorksheet = book.create_sheet(title[:31])
        self.rows = 0
        self._styles: dict[str, CellStyle] = {}

    def style(self, key: str, **style: Any) -> CellStyle:
        """The cell style named ``key`` (registered with the workbook on first use)."""
        found = self._styles.get(key)
        if found is None:
            found = self._styles[key] = CellStyle(self.ws, **style)
        return found

    def append(self, cells: Sequence[Any]) -> None:
        self.rows = stream_rows(self.ws, [cells]) - 1

    def stream(self, rows: Iterable[Sequence[Any]], heights: Iterable[float | None]) -> None:
        """Many rows at once (values as :func:`stream_rows` takes them)."""
        self.rows = stream_rows(self.ws, rows, heights=heights) - 1

    def blank(self) -> None:
        self.append([])


def header_cells(sheet: Sheet, headers: Sequence[str]) -> list[Any]:
    return [
        text_cell(sheet.ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=WRAP) for h in headers
    ]


def _widths(frame: pd.DataFrame, columns: Sequence[Column], headers: Sequence[str]) -> list[float]:
    """Column widths that fit CJK text: header and a sample of values, capped."""
    sample = frame.head(300)
    widths: list[float] = []
    for column, header in zip(columns, headers, strict=True):
        longest = max(
            [
                display_width(header),
                *(display_width(v) for v in sample[column.name] if not is_blank(v)),
            ],
            default=8,
        )
        if column.kind in ("score", "int", "percent", "change"):
            longest = max(display_width(header), 8)
        widths.append(min(max(longest + 2, 8), MAX_WIDTH))
    return widths


_BLOCK_ROWS = 10_000


def _column_cells(values: pd.Series, column: Column, make: Callable[[Any], Any]) -> list[Any]:
    """The cells of one column (``make`` applied to each value; plain text vectorised)."""
    if (
        column.kind == "text"
        and column.words is None
        and pd.api.types.infer_dtype(values, skipna=True) == "string"
    ):
        return clean_texts(values)
    return [make(value) for value in values]


def data_cell(sheet: Sheet, value: Any, column: Column, language: str) -> Any:
    """One cell of a table, styled by its column's kind (None for a blank)."""
    made = cell_maker(sheet, column, language)(value)
    if made is None:
        return None
    if isinstance(made, Styled):
        return made.style.apply(value_cell(sheet.ws, made.value))
    return value_cell(sheet.ws, made)


def top_aligned(cell: Any) -> Any:
    """The cell aligned to the top, beside wrapped texts in the same row (small tables only)."""
    if cell is not None:
        cell.alignment = TOP
    return cell


def wrapped_lines(
    frame: pd.DataFrame, columns: Sequence[Column], widths: Sequence[float]
) -> pd.Series:
    """How many lines each row's wrapped texts need (vectorised: CJK characters count double)."""
    lines = pd.Series(1, index=frame.index, dtype="int64")
    for column, width in zip(columns, widths, strict=True):
        if column.kind != "wrap":
            continue
        text = frame[column.name].astype("str").where(frame[column.name].notna(), "")
        display = display_widths(text)
        per_line = max(int(width) - 2, 4)
        needed = -(-display // per_line) + text.str.count("\n")
        lines = lines.where(lines >= needed, needed)
    return lines.clip(upper=MAX_LINES)


def table_sheet(
    book: Workbook,
    title: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    language: str,
    *,
    highlight: tuple[str, str] | None = None,
    bars: Sequence[str] = (),
    max_rows: int | None = None,
    capped_note: str = "evidence_capped_note",
    keep_largest: str | None = None,
    total: int | None = None,
) -> Sheet:
    """A one-table sheet: frozen header, filter, widths, formats, capped at Excel's row limit
    (or at ``max_rows``, with a note saying where the full list is). A capped table keeps its
    first rows, or with ``keep_largest`` the rows with the largest values of that column
    (ties: the earlier row), still in the frame's order. ``total``: how many rows the whole
    list has, when ``frame`` holds only its first rows (at least ``max_rows`` of them)."""
    columns = [c for c in columns if c.name in frame.columns]
    headers = [translated(c.label_key or c.name, language) for c in columns]
    sheet = Sheet(book, title)
    widths = _widths(frame, columns, headers)
    for position, width in enumerate(widths, start=1):
        sheet.ws.column_dimensions[get_column_letter(position)].width = width
    sheet.ws.freeze_panes = "A2"
    # before the first row: a write-only sheet writes its properties (fitToPage) with it
    print_setup(sheet, title_rows="1:1")
    sheet.append(header_cells(sheet, headers))
    limit = cells.EXCEL_MAX_ROWS - 2  # header and the note
    note = "capped_note"
    if max_rows is not None and max_rows < limit:
        limit, note = max_rows, capped_note
    _table_rows(
        sheet, _capped(frame, limit, keep_largest), columns, widths, language, highlight=highlight
    )
    last_row = sheet.rows
    if columns:
        sheet.ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(last_row, 1)}"
    _data_bars(sheet, [c.name for c in columns], bars)
    if frame.empty:
        # an empty table says so (a blank sheet reads as "not finished")
        sheet.append([text_cell(sheet.ws, translated("no_rows", language), font=Font(italic=True))])
    total = len(frame) if total is None else total
    if total > limit:
        sheet.append(
            [
                text_cell(
                    sheet.ws,
                    translated(note, language).format(shown=f"{limit:,}", total=f"{total:,}"),
                    font=Font(italic=True, color="C00000"),
                )
            ]
        )
    return sheet


def _capped(frame: pd.DataFrame, limit: int, keep_largest: str | None) -> pd.DataFrame:
    """The rows a table capped at ``limit`` rows shows (see :func:`table_sheet`)."""
    if len(frame) <= limit or keep_largest is None:
        return frame.iloc[:limit]
    # rank 1 for the largest value, ties in the frame's order (a missing value last)
    order = np.argsort(frame[keep_largest].rank(method="first", ascending=False).to_numpy())
    return frame.iloc[np.sort(order[:limit])]


def _table_rows(
    sheet: Sheet,
    shown: pd.DataFrame,
    columns: Sequence[Column],
    widths: Sequence[float],
    language: str,
    *,
    highlight: tuple[str, str] | None,
) -> None:
    """The table's rows, each as tall as its wrapped texts, the matched terms highlighted."""
    line_counts = wrapped_lines(shown, columns, widths).to_numpy()
    names = [c.name for c in columns]
    text_position = names.index(highlight[0]) if highlight and highlight[0] in names else None
    spans = shown[highlight[1]].tolist() if highlight and highlight[1] in shown.columns else None
    makers = [cell_maker(sheet, column, language) for column in columns]
    heights = [LINE_HEIGHT * n if n > 1 else None for n in line_counts.tolist()]
    # Cells are made column by column, a block of rows at a time (memory stays bounded).
    for first in range(0, len(shown), _BLOCK_ROWS):
        block = shown.iloc[first : first + _BLOCK_ROWS]
        made = [
            _column_cells(block[column.name], column, make)
            for column, make in zip(columns, makers, strict=True)
        ]
        if text_position is not None and spans is not None:
            made[text_position] = _highlighted(
                block[names[text_position]].tolist(),
                spans[first : first + _BLOCK_ROWS],
                made[text_position],
            )
        sheet.stream(zip(*made, strict=True), heights[first : first + _BLOCK_ROWS])


def _data_bars(sheet: Sheet, names: Sequence[str], bars: Sequence[str]) -> None:
    """A data bar (0 to 100) in each of the ``bars`` columns."""
    last_row = sheet.rows
    for name in bars:
        if name in names and last_row > 1:
            letter = get_column_letter(names.index(name) + 1)
            sheet.ws.conditional_formatting.add(
                f"{letter}2:{letter}{last_row}",
                DataBarRule(
                    start_type="num",
                    start_value=0,
                    end_type="num",
                    end_value=100,
                    color="FFC00000" if name == "counterfeit_risk" else "FF5B9BD5",
                ),
            )


LINE_HEIGHT = 15.0
MAX_LINES = 8


def _highlighted(texts: list[Any], spans: list[Any], plain: list[Any]) -> list[Any]:
    """Review texts with their matched terms in bold colour where a row has spans (the plain
    cell where it has none)."""
    highlighted = []
    for text, row_spans, cell in zip(texts, spans, plain, strict=True):
        pairs = spans_of(row_spans)
        highlighted.append(highlighted_text(text, pairs) if pairs else cell)
    return highlighted


def print_setup(sheet: Sheet, *, title_rows: str | None) -> None:
    """Landscape, one page wide, the header row repeated on every printed page."""
    if title_rows:
        sheet.ws.print_title_rows = title_rows
    sheet.ws.page_setup.orientation = "landscape"
    sheet.ws.page_setup.paperSize = "9"  # A4
    sheet.ws.page_setup.fitToWidth = 1
    sheet.ws.page_setup.fitToHeight = 0
    sheet.ws.sheet_properties.pageSetUpPr.fitToPage = True
    # the sheet's name on top and "page / pages" below every printed page
    sheet.ws.oddHeader.center.text = "&A"
    sheet.ws.oddFooter.center.text = "&P / &N"
