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
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.writer.excel import ExcelWriter

from supplier_audit.contracts.files import FORMULA_START
from supplier_audit.reporting.cell_style import CellStyle, Formula, Styled
from supplier_audit.reporting.sheet_xml import stream_rows

# Writing rows (stream_rows) lives in sheet_xml, styles and formulas in cell_style; cells are
# made here.
__all__ = [
    "EXCEL_MAX_CELL_CHARS",
    "EXCEL_MAX_ROWS",
    "TRUNCATION_MARKER",
    "WIDE_CHARACTERS",
    "CellStyle",
    "Formula",
    "Styled",
    "clean_text",
    "clean_texts",
    "display_width",
    "display_widths",
    "highlighted_text",
    "is_blank",
    "plain_value",
    "save_write_only",
    "starts_like_formula",
    "stream_rows",
    "text_cell",
    "value_cell",
]

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


# The characters ILLEGAL_CHARACTERS_RE removes, as a pattern pandas can search a column for.
_ILLEGAL_CHARACTER = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def clean_texts(texts: pd.Series) -> list[Any]:
    """:func:`clean_text` for a column of strings (None for a blank), vectorised: only the texts
    that hold characters a workbook cannot or run past the cell limit go through it one by
    one. The texts are values for :func:`stream_rows`, which writes any text as text."""
    blank = texts.isna().to_numpy()
    filled = texts.astype("str").where(~blank, "")
    special = (
        filled.str.contains(_ILLEGAL_CHARACTER, regex=True)
        | (filled.str.len() > EXCEL_MAX_CELL_CHARS)
    ).to_numpy(dtype=bool) & ~blank
    result: list[Any] = texts.to_numpy(dtype=object).tolist()
    for position in np.flatnonzero(blank):
        result[position] = None
    for position in np.flatnonzero(special):
        result[position] = clean_text(result[position])
    return result


def plain_value(value: object) -> object:
    """A value as :func:`value_cell` writes it, for :func:`stream_rows`: None for a blank,
    numbers, booleans and dates as themselves (numpy scalars as Python's, datetimes without
    their time zone), anything else as clean text."""
    if is_blank(value):
        return None
    if isinstance(value, bool | int | float):
        return value
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return plain_value(value.item())
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    return clean_text(value)


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


def highlighted_text(
    text: object, spans: list[tuple[int, int]], *, color: str = "C00000"
) -> str | CellRichText:
    """Review text with the matched terms in bold colour (rich text), for :func:`stream_rows`;
    the clean plain text if no span."""
    text = "" if is_blank(text) else str(text)
    cleaned = clean_text(text)
    if not spans or cleaned != text:
        # Spans index the original text; when cleaning changed it, show it plain but safe.
        return cleaned
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
    return CellRichText(parts)


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


def save_write_only(book: Workbook, path: Path) -> None:
    """Save a write-only workbook to ``path``.

    If saving fails (a full disk, say), the sheets' row streams are finished and their temporary
    files removed before the error propagates: an abandoned write-only sheet would otherwise
    report an error when garbage-collected and leave its temporary file behind; the half-written
    archive is removed.
    """
    try:
        _save(book, path)
    except BaseException:
        for sheet in book.worksheets:
            with contextlib.suppress(Exception):
                if not sheet.closed:
                    sheet.close()
            writer = getattr(sheet, "_writer", None)
            if writer is not None:
                with contextlib.suppress(OSError):
                    writer.cleanup()
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)  # half an archive is no workbook
        raise


# zlib level 1, not openpyxl's 6: a big night's sheets hold hundreds of MB of XML; on the demo
# night's sheets level 6 took 3.1-3.3x the CPU time of level 1 for files 18-25 % smaller
_ZIP_LEVEL = 1


def _save(book: Workbook, path: Path) -> None:
    """What ``Workbook.save`` does, with the archive packed at :data:`_ZIP_LEVEL`."""
    if book.write_only and not book.worksheets:
        book.create_sheet()
    book.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=_ZIP_LEVEL)
    try:
        ExcelWriter(book, archive).save()  # closes the archive
    finally:
        archive.close()


def starts_like_formula(text: str) -> bool:
    """Whether Excel would read this text as a formula if it were typed into a cell."""
    return text.startswith(FORMULA_START)
