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
    CellStyle,
    Formula,
    display_width,
    starts_like_formula,
    stream_rows,
)
from supplier_audit.reporting.labels import label as label_for
from supplier_audit.reporting.qa_plan_columns import (
    COUNT_COLUMNS,
    COUNTERFEIT_STATUS_CHOICES,
    LINE_HEIGHT,
    PlanColumn,
    column_values,
    lines_per_row,
)
from supplier_audit.sampling.acceptance import verdict_formula as acceptance_formula

_HEADER_LABEL: Final = InlineFont(b=True, sz=11)
_HEADER_NAME: Final = InlineFont(sz=7, color="808080")


def verdict_formula(
    row: int | str, letter_of: dict[str, str], language: str, *, minor: bool
) -> str:
    """接收/拒收 once any count is typed: the acceptance rule
    (:func:`~supplier_audit.sampling.acceptance.verdict_formula`) over this row's cells."""
    names = (*COUNT_COLUMNS, "rejection_number", "counterfeit_status")
    return acceptance_formula(
        {name: f"{letter_of[name]}{row}" for name in names},
        count_minor_defects=minor,
        # units authenticated as genuine (the status "cleared") do not reject the lot
        cleared=COUNTERFEIT_STATUS_CHOICES[language][2],
        accept=label_for("qa.verdict.accept", language),
        reject=label_for("qa.verdict.reject", language),
    )


@dataclass(frozen=True)
class _ColumnStyles:
    """A column's cell styles, registered once per sheet."""

    text: CellStyle  # input text
    formula_like: CellStyle  # input text Excel would read as a formula: quote-prefixed
    value: CellStyle  # numbers and other values
    blank: CellStyle  # an empty cell (and every cell of a result column)


def _column_styles(sheet: WriteOnlyWorksheet, column: PlanColumn, border: Border) -> _ColumnStyles:
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


_HEADER_FONT: Final = Font(bold=True)
_HEADER_FILL: Final = PatternFill("solid", start_color="DDEBF7")
_RESULT_FILL: Final = PatternFill("solid", start_color="FFF2CC")
_THIN: Final = Side(style="thin", color="999999")
_BORDER: Final = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTRED: Final = Alignment(wrap_text=True, vertical="center", horizontal="center")


def fill_plan_sheet(
    sheet: WriteOnlyWorksheet,
    lots: pd.DataFrame,
    columns: Sequence[PlanColumn],
    *,
    as_of: date,
    language: str,
    count_minor_defects: bool = False,
) -> None:
    """One warehouse's lots: the two-line header, a row per lot, validation of the results."""
    # Every value first (widths must be set before the first row of a write-only sheet).
    values = {c.name: column_values(lots, c.name, language) for c in columns if not c.result}
    headers, header_lines = _header_row(sheet, columns, language)
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
    heights = lines_per_row(values, columns)
    letter_of = {c.name: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    if not len(lots):
        return  # nothing to fill in (and no styles registered that no cell uses)
    styles = [_column_styles(sheet, column, _BORDER) for column in columns]
    empty = np.full(len(lots), None, dtype=object)
    verdicts = _verdict_formulas(len(lots), letter_of, language, minor=count_minor_defects)
    by_column = [
        _column_cells(verdicts if c.computed else empty if c.result else values[c.name][0], style)
        for c, style in zip(columns, styles, strict=True)
    ]
    row_heights = [LINE_HEIGHT * n if n > 1 else None for n in heights.tolist()]
    stream_rows(sheet, zip(*by_column, strict=True), heights=row_heights)
    _validations(sheet, letter_of, len(lots) + 1, as_of=as_of, language=language)


def _header_row(
    sheet: WriteOnlyWorksheet, columns: Sequence[PlanColumn], language: str
) -> tuple[list[WriteOnlyCell], float]:
    """The header cells (label, then the contract's name) and the lines the header needs; sets
    each column's width and hides the hidden ones."""
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
        cell.font = _HEADER_FONT
        cell.fill = _RESULT_FILL if column.result and not column.computed else _HEADER_FILL
        cell.alignment = _CENTRED
        cell.border = _BORDER
        headers.append(cell)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
        if column.hidden:
            sheet.column_dimensions[get_column_letter(index)].hidden = True
            continue
        room = max(column.width - 1, 1)
        header_lines = max(
            header_lines, -(-display_width(label) // room) + 0.6 * -(-len(column.name) // room)
        )
    return headers, header_lines


# Stands for the row number in the verdict formula's template (no label can hold it: XML can't).
_ROW_MARK: Final = "\x00"


def _verdict_formulas(
    lots: int, letter_of: dict[str, str], language: str, *, minor: bool
) -> np.ndarray:
    """The verdict formula of rows 2 to ``lots + 1``, from one template."""
    template = verdict_formula(_ROW_MARK, letter_of, language, minor=minor)
    return np.array(
        [Formula(template.replace(_ROW_MARK, str(row))) for row in range(2, lots + 2)],
        dtype=object,
    )


def _validations(
    sheet: WriteOnlyWorksheet,
    letter_of: dict[str, str],
    last_row: int,
    *,
    as_of: date,
    language: str,
) -> None:
    """Whole counts up to the row's sample size, a recent date, a status from the list, and the
    verdict in red when it rejects."""
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
    for name in COUNT_COLUMNS:
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
