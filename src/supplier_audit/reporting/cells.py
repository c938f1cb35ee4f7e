"""Making values from untrusted input safe and readable as workbook cells.

Review text is written by strangers on the internet. Whatever it holds, a cell written here is
never a formula: text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
stored as a string cell (the XML holds no ``<f>`` element for it); characters that XML 1.0 and
so Excel cannot hold are removed; text past Excel's cell limit is cut with a marker.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from supplier_audit.io import FORMULA_START

# Excel's limits (Microsoft, "Excel specifications and limits").
EXCEL_MAX_CELL_CHARS = 32_767
EXCEL_MAX_ROWS = 1_048_576
TRUNCATION_MARKER = " …[truncated]"


def clean_text(value: object) -> str:
    """Text Excel can hold: illegal control characters removed, cut to the cell limit."""
    text = str(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    if len(text) > EXCEL_MAX_CELL_CHARS:
        text = text[: EXCEL_MAX_CELL_CHARS - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
    return text


def is_blank(value: object) -> bool:
    """None, NaN, NaT and pandas' NA are empty cells."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(value != value)  # NaT and pd.NA
    except (TypeError, ValueError):
        return False


def text_cell(sheet: WriteOnlyWorksheet, value: object, **style: Any) -> WriteOnlyCell:
    """A cell holding ``value`` as a string, whatever it starts with."""
    cell = WriteOnlyCell(sheet, value=clean_text(value))
    cell.data_type = "s"
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def value_cell(sheet: WriteOnlyWorksheet, value: object, **style: Any) -> WriteOnlyCell:
    """A cell for any value: numbers, dates and booleans as themselves, text made safe."""
    if is_blank(value):
        cell = WriteOnlyCell(sheet, value=None)
    elif isinstance(value, bool | int | float) and not isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
    elif hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value_cell(sheet, value.item(), **style)
    elif isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm" if value.time() != dt.time() else "yyyy-mm-dd"
    elif isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
    else:
        return text_cell(sheet, value, **style)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def highlighted_cell(
    sheet: WriteOnlyWorksheet,
    text: str,
    spans: list[tuple[int, int]],
    *,
    color: str = "C00000",
) -> WriteOnlyCell:
    """Review text with the matched terms in bold colour (rich text); plain text if no span."""
    text = "" if is_blank(text) else str(text)
    cleaned = clean_text(text)
    if not spans or cleaned != text:
        # Spans index the original text; when cleaning changed it, show it plain but safe.
        return text_cell(sheet, cleaned)
    font = InlineFont(b=True, color=color)
    parts: list[str | TextBlock] = []
    position = 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        if start > position:
            parts.append(text[position:start])
        parts.append(TextBlock(font, text[start:end]))
        position = end
    if position < len(text):
        parts.append(text[position:])
    cell = WriteOnlyCell(sheet, value=CellRichText(parts))
    cell.data_type = "s"
    return cell


def display_width(text: object) -> int:
    """Width of text in Excel's character units: CJK and full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def starts_like_formula(text: str) -> bool:
    """Whether Excel would read this text as a formula if it were typed into a cell."""
    return text.startswith(FORMULA_START)
