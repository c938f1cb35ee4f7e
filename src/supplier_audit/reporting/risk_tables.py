"""The risk report's one-table sheets: column kinds, cells streamed by kind, widths, printing.

A table sheet is written in openpyxl's write-only mode through
:func:`supplier_audit.reporting.cells.stream_rows`: each value becomes the XML openpyxl would
write for it, styled by a style registered once per sheet, so a sheet of 50,000 rows costs
seconds. Every value from an input is made safe by :mod:`supplier_audit.reporting.cells`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

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
    clean_text,
    clean_texts,
    display_width,
    display_widths,
    highlighted_text,
    is_blank,
    plain_value,
    stream_rows,
    text_cell,
    value_cell,
)
from supplier_audit.reporting.labels import label

TIER_COLOURS = {"critical": "C00000", "high": "FF7F27", "medium": "FFD966", "low": "A9D08E"}
TIER_TEXT_COLOURS = {"critical": "FFFFFF", "high": "FFFFFF", "medium": "000000", "low": "000000"}
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
# Formats by kind of column.
FORMATS = {
    "score": "0.0",  # one decimal: 99.7 is not 100
    "int": "#,##0",
    "money": "#,##0.00",
    "percent": "0.0%",
    "change": "+0.0;-0.0;0.0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
MAX_WIDTH = 60
TOP_RISKS_SHOWN = 10


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the frame's column, its label key and its kind."""

    name: str
    kind: str = "text"  # text, wrap, score, int, money, percent, change, date, datetime, tier, bool
    label_key: str | None = None
    # values are keys with words under this prefix ("channel" -> channel.wholesaler); several
    # keys may be joined by ";" (review categories)
    words: str | None = None


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


def translated(key: str, language: str) -> str:
    return label(key, language)


def tier_word(tier: object, language: str) -> str:
    return "" if is_blank(tier) or not str(tier) else translated(f"tier.{tier}", language)


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


_TIER_FILLS = {tier: PatternFill("solid", fgColor=colour) for tier, colour in TIER_COLOURS.items()}
_TIER_FONTS = {tier: Font(bold=True, color=colour) for tier, colour in TIER_TEXT_COLOURS.items()}
_NO_FILL = PatternFill()
_OVERDUE_FILL = PatternFill("solid", fgColor="C00000")
_OVERDUE_FONT = Font(bold=True, color="FFFFFF")
_SOON_FILL = PatternFill("solid", fgColor="FFD966")
_EVIDENCE_FONTS = {
    "not_ready": Font(bold=True, color="C00000"),
    "partial": Font(bold=True, color="C65911"),
    "ready": Font(color="375623"),
}
_PLAIN_BOLD = Font(bold=True)
# Small whole numbers (ratings, severities) read fine without a thousands format.
SMALL_NUMBER = 1000


def _cell_maker(sheet: Sheet, column: Column, language: str) -> Callable[[Any], Any]:
    """What turns a value of this column into a table cell's value for :func:`stream_rows`,
    styled by the column's kind: plain text and numbers as themselves, styled values with a
    style registered once per sheet (:class:`CellStyle`)."""
    kind = column.kind
    if column.words is not None:
        prefix, joiner = column.words, "、" if language == "zh" else ", "

        def word_cell(value: Any) -> Any:
            if is_blank(value) or not str(value):
                return None
            keys = [k for k in str(value).split(";") if k]
            return clean_text(joiner.join(translated(f"{prefix}.{k}", language) for k in keys))

        return word_cell
    if kind == "tier":

        def tier_cell(value: Any) -> Any:
            tier = "" if is_blank(value) else str(value)
            style = sheet.style(
                f"tier:{tier}",
                fill=_TIER_FILLS.get(tier, _NO_FILL),
                font=_TIER_FONTS.get(tier, _PLAIN_BOLD),
            )
            return style(clean_text(tier_word(tier, language)))

        return tier_cell
    if kind == "days_left":
        overdue = sheet.style("days_left:overdue", fill=_OVERDUE_FILL, font=_OVERDUE_FONT)
        soon = sheet.style("days_left:soon", fill=_SOON_FILL, font=_PLAIN_BOLD)

        def days_left_cell(value: Any) -> Any:
            if is_blank(value):
                return None
            days = int(value)
            if value < 0:
                return overdue(days)
            return soon(days) if value <= 2 else days

        return days_left_cell
    if kind in ("evidence_status", "platform", "deadline_source"):
        styles = {
            status: sheet.style(f"{kind}:{status}", font=font)
            for status, font in _EVIDENCE_FONTS.items()
        }

        def status_cell(value: Any) -> Any:
            if is_blank(value):
                return None
            text = clean_text(translated(f"{kind}.{value}", language))
            style = styles.get(str(value)) if kind == "evidence_status" else None
            return style(text) if style is not None else text

        return status_cell
    if kind == "bool":
        yes, no = translated("yes", language), translated("no", language)
        return lambda value: clean_text("" if is_blank(value) else yes if value else no)
    if kind == "text":
        return lambda value: None if is_blank(value) else clean_text(value)
    if kind == "wrap":
        wrap = sheet.style("wrap", alignment=WRAP)
        return lambda value: None if is_blank(value) else wrap(clean_text(value))
    number_format = (
        sheet.style(f"format:{kind}", number_format=FORMATS[kind]) if kind in FORMATS else None
    )

    def value(value: Any) -> Any:
        plain = isinstance(value, int | float)  # (a numpy integer is not: it gets the format)
        made = plain_value(value)
        if made is None or number_format is None:
            return made
        if kind == "int" and plain and isinstance(made, int | float) and abs(made) < SMALL_NUMBER:
            return made
        return number_format(made)

    return value


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
    made = _cell_maker(sheet, column, language)(value)
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
) -> Sheet:
    """A one-table sheet: frozen header, filter, widths, formats, capped at Excel's row limit
    (or at ``max_rows``, with a note saying where the full list is)."""
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
    _table_rows(sheet, frame.iloc[:limit], columns, widths, language, highlight=highlight)
    last_row = sheet.rows
    if columns:
        sheet.ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(last_row, 1)}"
    _data_bars(sheet, [c.name for c in columns], bars)
    if frame.empty:
        # an empty table says so (a blank sheet reads as "not finished")
        sheet.append([text_cell(sheet.ws, translated("no_rows", language), font=Font(italic=True))])
    if len(frame) > limit:
        sheet.append(
            [
                text_cell(
                    sheet.ws,
                    translated(note, language).format(shown=f"{limit:,}", total=f"{len(frame):,}"),
                    font=Font(italic=True, color="C00000"),
                )
            ]
        )
    return sheet


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
    makers = [_cell_maker(sheet, column, language) for column in columns]
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
    return [
        highlighted_text(text, [(int(s[0]), int(s[1])) for s in row_spans])
        if isinstance(row_spans, list | tuple) and row_spans
        else cell
        for text, row_spans, cell in zip(texts, spans, plain, strict=True)
    ]


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
