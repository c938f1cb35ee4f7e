"""Making values from untrusted input safe and readable as workbook cells.

Review text is written by strangers on the internet. Whatever it holds, a cell written here is
never a formula: text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
stored as a string cell (the XML holds no ``<f>`` element for it); characters that XML 1.0 and
so Excel cannot hold are removed; text past Excel's cell limit is cut with a marker.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import unicodedata
from copy import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from supplier_audit.contracts.files import FORMULA_START

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
    if value is None or value is pd.NA or value is pd.NaT:
        return True  # (pd.NA != pd.NA is NA, whose truth value raises: test it by identity)
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


def text_value(sheet: WriteOnlyWorksheet, value: object) -> str | WriteOnlyCell:
    """``value`` as text for a write-only row: the cleaned string itself where openpyxl stores a
    plain string as a string anyway (no cell object to build), else a string cell
    (:func:`text_cell`) for text openpyxl would read as a formula or an error code."""
    text = clean_text(value)
    if text.startswith("=") or text in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


# The characters ILLEGAL_CHARACTERS_RE removes, as a pattern pandas can search a column for.
_ILLEGAL_CHARACTER = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def text_values(sheet: WriteOnlyWorksheet, texts: pd.Series) -> list[Any]:
    """:func:`text_value` for a column of strings (None for a blank), vectorised: only the texts
    that need cleaning or would read as a formula or an error code go through it one by one."""
    values = texts.to_numpy(dtype=object).copy()
    blank = texts.isna().to_numpy()
    filled = texts.astype("str").where(~blank, "")
    special = (
        filled.str.contains(_ILLEGAL_CHARACTER, regex=True)
        | (filled.str.len() > EXCEL_MAX_CELL_CHARS)
        | filled.str.startswith("=")
        | filled.isin(ERROR_CODES)
    ).to_numpy(dtype=bool) & ~blank
    result: list[Any] = values.tolist()
    for position in np.flatnonzero(blank):
        result[position] = None
    for position in np.flatnonzero(special):
        result[position] = text_value(sheet, values[position])
    return result


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
    font = _highlight_font(color)
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


@functools.cache
def _highlight_font(color: str) -> InlineFont:
    return InlineFont(b=True, color=color)


def display_width(text: object) -> int:
    """Width of text in Excel's character units: CJK and full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


# Characters a wide column needs two units for: CJK, Hangul, full-width forms (what Excel shows
# double width; a vectorised approximation of display_width's east-asian-width test).
WIDE_CHARACTERS = (
    r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)


def display_widths(texts: pd.Series) -> pd.Series:
    """Width of each text in Excel's character units, vectorised (CJK characters count double);
    blanks are 0."""
    text = texts.astype("str").where(texts.notna(), "")
    return text.str.len() + text.str.count(WIDE_CHARACTERS)


class CellStyle:
    """A cell style registered with a sheet's workbook once, for many cells.

    openpyxl looks each font, fill, border, alignment and number format up in the workbook's
    style lists (by hash) whenever one is assigned to a cell; on a big sheet that costs more than
    the data. Here the look-ups happen once and each cell gets a copy of the resulting style ids
    (what openpyxl itself does for a named style, without adding a named style to the gallery
    Excel shows). ``style`` takes the cell attributes: font, fill, border, alignment,
    number_format, protection, quotePrefix.
    """

    def __init__(self, sheet: WriteOnlyWorksheet, **style: Any) -> None:
        prototype = WriteOnlyCell(sheet)
        for name, setting in style.items():
            setattr(prototype, name, setting)
        self._ids = prototype._style

    def apply(self, cell: WriteOnlyCell) -> WriteOnlyCell:
        """The cell, now carrying this style (replacing any it had)."""
        cell._style = copy(self._ids)
        return cell


def save_write_only(book: Workbook, path: Path) -> None:
    """Save a write-only workbook to ``path``.

    If saving fails (a full disk, say), the sheets' row streams are finished and their temporary
    files removed before the error propagates: an abandoned write-only sheet would otherwise
    report an error when garbage-collected and leave its temporary file behind.
    """
    try:
        book.save(path)
    except BaseException:
        for sheet in book.worksheets:
            with contextlib.suppress(Exception):
                if not sheet.closed:
                    sheet.close()
            writer = getattr(sheet, "_writer", None)
            if writer is not None:
                with contextlib.suppress(OSError):
                    writer.cleanup()
        raise


def starts_like_formula(text: str) -> bool:
    """Whether Excel would read this text as a formula if it were typed into a cell."""
    return text.startswith(FORMULA_START)
