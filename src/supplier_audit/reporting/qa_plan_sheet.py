"""The QA sample list's plan sheets: one row per lot, its verdict formula, validation, print.

The contract's columns (label and canonical name), row heights for wrapped text, data
validation of the result columns, landscape print setup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from supplier_audit.reporting.cells import (
    WIDE_CHARACTERS,
    CellStyle,
    Formula,
    clean_text,
    display_width,
    is_blank,
    starts_like_formula,
    stream_rows,
)
from supplier_audit.reporting.labels import label as label_for

_HEADER_LABEL: Final = InlineFont(b=True, sz=11)
_HEADER_NAME: Final = InlineFont(sz=7, color="808080")


@dataclass(frozen=True)
class _Column:
    name: str  # canonical contract name (second header line); its label is qa.column.<name>
    width: int  # width in Excel's character units
    result: bool = False  # an empty column for the inspector
    # filled by the worklist (report_frames.qa_worklist); a bare plan leaves it empty
    worklist: bool = False
    # the audit's own formula, computed from the row's typed counts (never from input text)
    computed: bool = False
    # kept for the record and for a person who unhides it, but not printed or shown
    hidden: bool = False


_UNITS_COLUMN_WIDTH: Final = 18
# Widths in Excel's character units, chosen so that a row fits one landscape A4 page at 8 pt or
# more when printed (about 170 units shown, measured in LibreOffice): longer text wraps, and
# each row is as tall as its longest wrapped cell. The plan's level, AQL and code letter stay
# in the sheet (and in inspection_plan.csv) but hidden: the inspector needs n, Ac and Re.
PLAN_SHEET_COLUMNS: Final = (
    _Column("priority", 5, worklist=True),
    _Column("shipment_id", 10),
    _Column("supplier_id", 8),
    _Column("risk_tier", 5, worklist=True),
    _Column("sku", 10),
    _Column("lot_size", 6),
    _Column("inspection_level", 5, hidden=True),
    _Column("severity", 8),
    _Column("aql", 5, hidden=True),
    _Column("code_letter", 5, hidden=True),
    _Column("sample_size", 5),
    _Column("acceptance_number", 4),
    _Column("rejection_number", 4),
    _Column("sampled_units", _UNITS_COLUMN_WIDTH),
    _Column("reason", 20),
    _Column("look_for", 12, worklist=True),
    # GB/T 2828.1's classes: 致命 (critical), 严重 (major), 轻微 (minor)
    _Column("critical_defects", 5, result=True),
    _Column("major_defects", 5, result=True),
    _Column("minor_defects", 5, result=True),
    _Column("counterfeit_units", 5, result=True),
    _Column("counterfeit_status", 5, result=True),
    _Column("verdict", 5, result=True, computed=True),
    _Column("inspector", 7, result=True),
    _Column("inspected_on", 9, result=True),
    _Column("notes", 8, result=True),
)
_COUNT_COLUMNS: Final = ("critical_defects", "major_defects", "minor_defects", "counterfeit_units")
# What became of recorded counterfeit units, as the inspector picks it (read back through the
# value aliases of counterfeit_status): suspected (sample kept), confirmed, cleared (genuine).
COUNTERFEIT_STATUS_CHOICES: Final = {
    lang: tuple(
        label_for(f"qa.status.{code}", lang) for code in ("suspected", "confirmed", "cleared")
    )
    for lang in ("zh", "en")
}
LINE_HEIGHT: Final = 15.0  # points per line of 11 pt text
MAX_LINES: Final = 15  # a row taller than this is cut on screen (the cell keeps the text)
_MAX_WIDTH: Final = 48


_INT_COLUMNS: Final = (
    "priority",
    "lot_size",
    "sample_size",
    "acceptance_number",
    "rejection_number",
)


def verdict_formula(row: int, letter_of: dict[str, str], language: str, *, minor: bool) -> str:
    """接收/拒收 once any count is typed: a critical defect or a counterfeit unit not cleared
    rejects the lot (GB/T 2828.1: critical nonconformities are not accepted), as do
    nonconforming units at or over Re (major, plus minor where the settings count them); blank
    until then."""
    names = (*_COUNT_COLUMNS, "rejection_number", "counterfeit_status")
    cell = {name: f"{letter_of[name]}{row}" for name in names}
    nonconforming = cell["major_defects"] + (f"+{cell['minor_defects']}" if minor else "")
    counted = ",".join(cell[name] for name in _COUNT_COLUMNS)
    accept = label_for("qa.verdict.accept", language)
    reject = label_for("qa.verdict.reject", language)
    # units authenticated as genuine (the status "cleared") do not reject the lot
    cleared = COUNTERFEIT_STATUS_CHOICES[language][2]
    fake = f'AND({cell["counterfeit_units"]}>0,{cell["counterfeit_status"]}<>"{cleared}")'
    return (
        f'=IF(COUNT({counted})=0,"",IF(OR({cell["critical_defects"]}>0,'
        f"{fake},{nonconforming}>={cell['rejection_number']}),"
        f'"{reject}","{accept}"))'
    )


def _column_values(lots: pd.DataFrame, name: str, language: str) -> tuple[np.ndarray, np.ndarray]:
    """A column's cell values and which of them are text.

    Values are None for blanks, Python ints for counts, a float for the AQL, the severity in the
    report language, and text cleaned of what a workbook cannot hold.
    """
    series = lots[name] if name in lots.columns else pd.Series(None, index=lots.index, dtype=object)
    values = series.to_numpy(dtype=object).copy()
    present = series.notna().to_numpy()
    values[~present] = None
    kept = series[present]
    if name in _INT_COLUMNS:
        values[present] = kept.astype("int64").to_numpy().astype(object)
    elif name == "aql":
        values[present] = kept.astype("float64").to_numpy().astype(object)
    elif name == "severity":
        values[present] = [label_for(f"severity.{v}", language) for v in kept.astype("str")]
    elif name == "sampled_units":
        # a long list lives in the pick list, where each run of units is ticked as pulled
        sizes = lots["sample_size"].to_numpy(dtype=object) if "sample_size" in lots else None
        room = 2 * _UNITS_COLUMN_WIDTH
        values[present] = [
            text
            if display_width(text) <= room or sizes is None
            else label_for("qa.see_pick_list", language).format(n=int(size))
            for text, size in zip(
                kept.astype("str"), sizes[present] if sizes is not None else kept, strict=True
            )
        ]
    elif name == "risk_tier":
        values[present] = [label_for(f"tier.{t}", language) for t in kept.astype("str")]
    elif name == "look_for":
        joiner = label_for("list_joiner", language)
        values[present] = [
            joiner.join(label_for(f"category.{c}", language) for c in str(keys).split(";") if c)
            for keys in kept
        ]
    elif name == "reason":
        if "complaint_days_left" in lots.columns:
            values[:] = [
                _complaint_note(days, language) + ("\n" + str(why) if why is not None else "")
                if not is_blank(days)
                else why
                for why, days in zip(values, lots["complaint_days_left"], strict=True)
            ]
        if "redo_reason" in lots.columns:
            redo = lots["redo_reason"].to_numpy(dtype=object)
            values[:] = [
                label_for("qa.redo", language).format(reason=again)
                + ("\n" + str(why) if why is not None else "")
                if isinstance(again, str) and again
                else why
                for why, again in zip(values, redo, strict=True)
            ]
    is_text = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
    values[is_text] = [clean_text(v) for v in values[is_text]]
    return values, is_text


def wrapped_lines(texts: pd.Series, width: float) -> pd.Series:
    """About how many lines each text takes wrapped in a column ``width`` units wide: a CJK
    character takes two units, other characters (proportional) about 0.87; two units of a
    line are lost to the cell's padding and to breaking at word ends and before punctuation."""
    wide = texts.str.count(WIDE_CHARACTERS)
    units = (texts.str.len() - wide) / 1.15 + 2 * wide
    lines = pd.Series(np.ceil(units.to_numpy(dtype=float) / max(width - 2, 1)), index=texts.index)
    lines = lines.clip(lower=1)
    return lines + texts.str.count("\n")


def _complaint_note(days: object, language: str) -> str:
    """An open complaint's deadline on the lot, in words."""
    left = int(days)  # type: ignore[call-overload]
    if left < 0:
        return label_for("qa.complaint_overdue", language).format(days=-left)
    return label_for("qa.complaint_due", language).format(days=left)


def _row_heights(
    values: dict[str, tuple[np.ndarray, np.ndarray]], columns: Sequence[_Column]
) -> np.ndarray:
    """Lines each row needs: its longest text wrapped in its column (a printed row never runs
    over the next one: a write-only row keeps the height it is given)."""
    lines: np.ndarray | None = None
    for column in columns:
        if column.name not in values or column.hidden:
            continue
        column_values, is_text = values[column.name]
        texts = pd.Series(np.where(is_text, column_values, ""), dtype="str")
        wrapped = wrapped_lines(texts, column.width)
        needed = wrapped.clip(lower=1).to_numpy(dtype=np.int64)
        lines = needed if lines is None else np.maximum(lines, needed)
    if lines is None:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(np.minimum(lines, MAX_LINES), dtype=np.int64)


@dataclass(frozen=True)
class _ColumnStyles:
    """A column's cell styles, registered once per sheet."""

    text: CellStyle  # input text
    formula_like: CellStyle  # input text Excel would read as a formula: quote-prefixed
    value: CellStyle  # numbers and other values
    blank: CellStyle  # an empty cell (and every cell of a result column)


def _column_styles(sheet: WriteOnlyWorksheet, column: _Column, border: Border) -> _ColumnStyles:
    if column.result:
        number_format = "yyyy-mm-dd" if column.name == "inspected_on" else "General"
        blank = CellStyle(sheet, border=border, number_format=number_format)
        return _ColumnStyles(blank, blank, blank, blank)
    text = Alignment(wrap_text=True, vertical="top")
    return _ColumnStyles(
        text=CellStyle(sheet, border=border, alignment=text),
        formula_like=CellStyle(sheet, border=border, alignment=text, quotePrefix=True),
        value=CellStyle(sheet, border=border, alignment=Alignment(vertical="top")),
        blank=CellStyle(sheet, border=border),
    )


def _column_cells(values: np.ndarray, style: _ColumnStyles) -> list[object]:
    """A column's values for :func:`stream_rows`, each with its style: text quote-prefixed
    where Excel would read it as a formula (it stays text), the audit's formula as a formula,
    a blank as an empty bordered cell."""
    cells: list[object] = []
    for value in values.tolist():
        if value is None:
            cells.append(style.blank(None))
        elif type(value) is Formula:
            cells.append(style.value(value))
        elif isinstance(value, str):
            cells.append(
                style.formula_like(value) if starts_like_formula(value) else style.text(value)
            )
        else:
            cells.append(style.value(value))
    return cells


def fill_plan_sheet(
    sheet: WriteOnlyWorksheet,
    lots: pd.DataFrame,
    columns: Sequence[_Column],
    *,
    as_of: date,
    language: str,
    count_minor_defects: bool = False,
) -> None:
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", start_color="DDEBF7")
    result_fill = PatternFill("solid", start_color="FFF2CC")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centred = Alignment(wrap_text=True, vertical="center", horizontal="center")

    # Every value first (widths must be set before the first row of a write-only sheet).
    data_columns = [c for c in columns if not c.result]
    values = {c.name: _column_values(lots, c.name, language) for c in data_columns}
    headers: list[WriteOnlyCell] = []
    header_lines = 1.0
    for index, column in enumerate(columns, start=1):
        label = label_for(f"qa.column.{column.name}", language)
        # the label, then the contract's column name in small grey (what the reader matches)
        cell = WriteOnlyCell(
            sheet,
            value=CellRichText(
                [TextBlock(_HEADER_LABEL, label), TextBlock(_HEADER_NAME, f"\n{column.name}")]
            ),
        )
        cell.font = header_font
        cell.fill = result_fill if column.result and not column.computed else header_fill
        cell.alignment = centred
        cell.border = border
        headers.append(cell)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
        if column.hidden:
            sheet.column_dimensions[get_column_letter(index)].hidden = True
            continue
        room = max(column.width - 1, 1)
        header_lines = max(
            header_lines, -(-display_width(label) // room) + 0.6 * -(-len(column.name) // room)
        )

    _print_setup(sheet, as_of=as_of, language=language)
    if not len(lots):
        # Said in words above the header (a title row the reader skips when the workbook comes
        # back as inspection results), rather than an empty list that looks unfinished.
        note = WriteOnlyCell(sheet, value=label_for("no_lot_to_inspect", language))
        note.font = Font(bold=True, size=14)
        sheet.freeze_panes = "A3"
        sheet.print_title_rows = "1:2"
        stream_rows(sheet, [[note]])
    sheet.row_dimensions[1 if len(lots) else 2].height = LINE_HEIGHT * header_lines + 4
    stream_rows(sheet, [headers])
    heights = _row_heights(values, columns)
    letter_of = {c.name: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    if len(lots):  # (an empty sheet registers no styles it does not use)
        styles = [_column_styles(sheet, column, border) for column in columns]
        empty = np.full(len(lots), None, dtype=object)
        verdicts = np.array(
            [
                Formula(verdict_formula(row, letter_of, language, minor=count_minor_defects))
                for row in range(2, len(lots) + 2)
            ],
            dtype=object,
        )
        by_column = [
            _column_cells(
                verdicts if c.computed else empty if c.result else values[c.name][0], style
            )
            for c, style in zip(columns, styles, strict=True)
        ]
        row_heights = [LINE_HEIGHT * n if n > 1 else None for n in heights.tolist()]
        stream_rows(sheet, zip(*by_column, strict=True), heights=row_heights)

    if not len(lots):
        return  # nothing to fill in
    last_row = len(lots) + 1
    sample = letter_of["sample_size"]
    counts = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2=f"${sample}2",  # relative row: each row is bounded by its own sample size
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=label_for("qa.invalid_count.title", language),
        error=label_for("qa.invalid_count", language),
    )
    for name in _COUNT_COLUMNS:
        counts.add(f"{letter_of[name]}2:{letter_of[name]}{last_row}")
    earliest = as_of - timedelta(days=30)
    dates = DataValidation(
        type="date",
        operator="greaterThanOrEqual",
        formula1=f"DATE({earliest.year},{earliest.month},{earliest.day})",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=label_for("qa.invalid_date.title", language),
        error=label_for("qa.invalid_date", language),
    )
    dates.add(f"{letter_of['inspected_on']}2:{letter_of['inspected_on']}{last_row}")
    status = DataValidation(
        type="list",
        formula1='"' + ",".join(COUNTERFEIT_STATUS_CHOICES[language]) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=label_for("qa.invalid_status.title", language),
        error=label_for("qa.invalid_status", language),
    )
    status.add(f"{letter_of['counterfeit_status']}2:{letter_of['counterfeit_status']}{last_row}")
    sheet.data_validations.append(counts)
    sheet.data_validations.append(dates)
    sheet.data_validations.append(status)
    verdict = letter_of["verdict"]
    sheet.conditional_formatting.add(
        f"{verdict}2:{verdict}{last_row}",
        FormulaRule(
            formula=[f'{verdict}2="{label_for("qa.verdict.reject", language)}"'],
            font=Font(bold=True, color="C00000"),
        ),
    )


def one_page_wide(sheet: WriteOnlyWorksheet, *, orientation: str, header: str) -> None:
    """A4, one page wide, the frozen header row repeated on every page, ``header`` on top and
    page numbers below (set before the sheet's first row: fitToPage is written with it)."""
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = orientation
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddHeader.center.text = header
    sheet.oddFooter.center.text = "&P / &N"


def _print_setup(sheet: WriteOnlyWorksheet, *, as_of: date, language: str) -> None:
    """Frozen header; landscape A4, one page wide, the header row on every printed page."""
    one_page_wide(
        sheet,
        orientation="landscape",
        header=label_for("qa.print_title", language).format(as_of=as_of.isoformat()),
    )
    sheet.print_options.gridLines = False
    # narrow margins (inches): the width goes to the text, which then prints larger
    sheet.page_margins = PageMargins(
        left=0.3, right=0.3, top=0.5, bottom=0.5, header=0.2, footer=0.2
    )
