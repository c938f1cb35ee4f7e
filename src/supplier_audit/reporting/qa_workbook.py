"""The QA sample list workbook: what to pull and inspect, with empty result columns to fill in.

One sheet per warehouse (one sheet "抽检清单" when no lot names a warehouse), one row per lot.
Every header cell holds two lines — a label in the report language, then the canonical column
name of the data contract — so the filled-in workbook reads back as the ``inspections`` table
(ingestion matches either line). The result columns carry data validation (whole numbers from 0
to the row's sample size; a date), and the sheets print landscape, one page wide, with the
header row repeated on every page.

Cells whose text comes from input data are written as text, never as formulas: a value that
starts with = + - @ or a tab / carriage return (a CSV-injection vector) is stored as a string
cell with Excel's quote prefix, and characters a workbook cannot hold are stripped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
from openpyxl import Workbook
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
    save_write_only,
    starts_like_formula,
    stream_rows,
)
from supplier_audit.reporting.labels import label as label_for

logger = logging.getLogger(__name__)

DEFAULT_SHEET: Final = {lang: label_for("qa.sheet.default", lang) for lang in ("zh", "en")}
_HEADER_LABEL: Final = InlineFont(b=True, sz=11)
_HEADER_NAME: Final = InlineFont(sz=7, color="808080")
NO_WAREHOUSE: Final = {lang: label_for("qa.sheet.no_warehouse", lang) for lang in ("zh", "en")}
_SHEET_NAME_FORBIDDEN: Final = re.compile(r"[\[\]:*?/\\]")


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
_LINE_HEIGHT: Final = 15.0  # points per line of 11 pt text
_MAX_LINES: Final = 15  # a row taller than this is cut on screen (the cell keeps the text)
_MAX_WIDTH: Final = 48


def _sheet_title(name: str, taken: set[str]) -> str:
    title = _SHEET_NAME_FORBIDDEN.sub("_", clean_text(name)).strip("'") or "_"
    title = title[:31]
    candidate, number = title, 2
    while candidate.lower() in taken:
        suffix = f"~{number}"
        candidate, number = title[: 31 - len(suffix)] + suffix, number + 1
    taken.add(candidate.lower())
    return candidate


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


def _wrapped_lines(texts: pd.Series, width: float) -> pd.Series:
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
        wrapped = _wrapped_lines(texts, column.width)
        needed = wrapped.clip(lower=1).to_numpy(dtype=np.int64)
        lines = needed if lines is None else np.maximum(lines, needed)
    if lines is None:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(np.minimum(lines, _MAX_LINES), dtype=np.int64)


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


def _fill_sheet(
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
    sheet.row_dimensions[1 if len(lots) else 2].height = _LINE_HEIGHT * header_lines + 4
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
        row_heights = [_LINE_HEIGHT * n if n > 1 else None for n in heights.tolist()]
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


# The pick list: the units of every lot in rows an inspector ticks as they pull them.
_PICK_TOKENS_PER_ROW: Final = 20
_PICK_COLUMNS: Final = (
    ("warehouse", "qa.pick.warehouse", 10),
    ("priority", "qa.pick.priority", 6),
    ("shipment_id", "qa.pick.lot", 12),
    ("sku", "qa.pick.sku", 12),
    ("units", "qa.pick.units", 64),
    ("count", "qa.pick.count", 6),
    ("done", "qa.pick.done", 8),
)
_PICK_NAMES: Final = tuple((name, width) for name, _, width in _PICK_COLUMNS)
_RANGE: Final = re.compile(r"^(\d+)-(\d+)$")


def _units_in(token: str) -> int:
    """Units a token of :func:`supplier_audit.sampling.format_units` stands for."""
    run = _RANGE.match(token)
    return int(run.group(2)) - int(run.group(1)) + 1 if run else 1


def pick_list(lots: pd.DataFrame) -> pd.DataFrame:
    """The units to pull, lot by lot in the given order: one row per carton where units carry
    carton labels (``C03-U07``), else one row per run of up to twenty unit numbers or ranges.

    Columns: warehouse, priority, shipment_id, sku, units, count (units in the row).
    """
    rows: list[dict[str, object]] = []
    get = lots.get
    warehouses = get("warehouse", pd.Series(None, index=lots.index))
    priorities = get("priority", pd.Series(None, index=lots.index))
    for warehouse, priority, lot, sku, units, size in zip(
        warehouses,
        priorities,
        lots["shipment_id"],
        lots["sku"],
        lots["sampled_units"],
        lots["sample_size"],
        strict=True,
    ):
        text = "" if is_blank(units) else str(units)
        if text.startswith("ALL "):  # a whole lot by carton labels
            chunks = [(text.removeprefix("ALL "), int(size))]
        elif text[:1] == "C" and "-U" in text:
            by_carton: dict[str, list[str]] = {}
            for label in text.split():
                carton, _, unit = label.partition("-")
                by_carton.setdefault(carton, []).append(unit)
            chunks = [(f"{c}: {' '.join(u)}", len(u)) for c, u in by_carton.items()]
        else:
            tokens = text.split()
            chunks = [
                (
                    " ".join(tokens[i : i + _PICK_TOKENS_PER_ROW]),
                    sum(_units_in(t) for t in tokens[i : i + _PICK_TOKENS_PER_ROW]),
                )
                for i in range(0, len(tokens), _PICK_TOKENS_PER_ROW)
            ]
        for chunk, count in chunks:
            rows.append(
                {
                    "warehouse": None if is_blank(warehouse) else warehouse,
                    "priority": None if is_blank(priority) else int(priority),
                    "shipment_id": lot,
                    "sku": sku,
                    "units": chunk,
                    "count": count,
                }
            )
    return pd.DataFrame(
        rows, columns=["warehouse", "priority", "shipment_id", "sku", "units", "count"]
    )


def _pick_list_sheet(sheet: WriteOnlyWorksheet, lots: pd.DataFrame, *, language: str) -> None:
    """The pick list, printed portrait with its header on every page."""
    picks = pick_list(lots)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for index, (_, _, width) in enumerate(_PICK_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    _one_page_wide(sheet, orientation="portrait", header="&A")
    header = []
    for _, key, _ in _PICK_COLUMNS:
        cell = WriteOnlyCell(sheet, value=label_for(key, language))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", start_color="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = border
        header.append(cell)
    sheet.row_dimensions[1].height = 32
    stream_rows(sheet, [header])
    # Rows are many (several a lot): plain values, the units cell alone styled to wrap, and the
    # sheet's grid printed, so that each row is a box to tick (styling every cell cost ~5x).
    sheet.print_options.gridLines = True
    wrapped = CellStyle(sheet, alignment=Alignment(vertical="top", wrap_text=True))
    quoted = CellStyle(sheet, alignment=Alignment(vertical="top"), quotePrefix=True)
    lines = _wrapped_lines(picks["units"].astype("str"), dict(_PICK_NAMES)["units"]).to_numpy()
    heights = [_LINE_HEIGHT * min(n, _MAX_LINES) if n > 1 else None for n in lines.tolist()]
    columns = [
        _pick_cells(picks[name], quoted, wrapped if name == "units" else None)
        for name, _, _ in _PICK_COLUMNS
        if name in picks.columns
    ]
    stream_rows(sheet, zip(*columns, strict=True), heights=heights)


def _pick_cells(values: pd.Series, quoted: CellStyle, text: CellStyle | None) -> list[object]:
    """A pick-list column's values: text clean, quote-prefixed where Excel would read it as a
    formula, else in ``text``'s style (or plain); a blank as no cell."""
    cells: list[object] = []
    for value in values.tolist():
        if isinstance(value, str):
            value = clean_text(value)
            if starts_like_formula(value):
                cells.append(quoted(value))
            else:
                cells.append(text(value) if text is not None else value)
        else:
            cells.append(None if is_blank(value) else value)
    return cells


# The instructions sheet: its title, then one line a step. It has no table header, so the
# reader skips it when the filled-in workbook comes back as inspection results.
INSTRUCTIONS: Final = {
    lang: (
        label_for("qa.instructions.title", lang),
        *(label_for(f"qa.instructions.step{n}", lang) for n in range(1, 8)),
    )
    for lang in ("zh", "en")
}


def _instructions(sheet: WriteOnlyWorksheet, language: str) -> None:
    title, *steps = INSTRUCTIONS[language]
    sheet.column_dimensions["A"].width = 110
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    heading = WriteOnlyCell(sheet, value=title)
    heading.font = Font(bold=True, size=16)
    sheet.append([heading])
    wrap = Alignment(wrap_text=True, vertical="top")
    for number, step in enumerate(steps, start=2):
        cell = WriteOnlyCell(sheet, value=step)
        cell.alignment = wrap
        cell.font = Font(size=12)
        # a write-only row keeps the height it is given: enough lines for the wrapped step
        sheet.row_dimensions[number].height = 17 * (display_width(step) // 100 + 1)
        sheet.append([cell])


def _one_page_wide(sheet: WriteOnlyWorksheet, *, orientation: str, header: str) -> None:
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
    _one_page_wide(
        sheet,
        orientation="landscape",
        header=label_for("qa.print_title", language).format(as_of=as_of.isoformat()),
    )
    sheet.print_options.gridLines = False
    # narrow margins (inches): the width goes to the text, which then prints larger
    sheet.page_margins = PageMargins(
        left=0.3, right=0.3, top=0.5, bottom=0.5, header=0.2, footer=0.2
    )


def write_qa_workbook(
    plan: pd.DataFrame,
    path: Path,
    *,
    as_of: date,
    language: str = "zh",
    count_minor_defects: bool = False,
) -> Path:
    """Write the QA sample list for tonight's plan (see :func:`plan_inspections`, or the
    worklist of :func:`supplier_audit.reporting.frames.qa_worklist`) to ``path``.

    Returns the path written. ``language`` ("zh" or "en") chooses the first header line and the
    sheet names; the second header line is always the contract's column name. The first sheet
    tells the inspector how to fill the list in; ``count_minor_defects`` follows the settings
    (minor defects count towards Re in the verdict).
    """
    if language not in ("zh", "en"):
        raise ValueError("language is 'zh' or 'en'")
    required = [c.name for c in PLAN_SHEET_COLUMNS if not c.result and not c.worklist]
    missing = [c for c in required if c not in plan.columns]
    if missing:
        raise ValueError(f"the inspection plan lacks the column(s) {', '.join(missing)}")
    workbook = Workbook(write_only=True)  # rows streamed to disk: bounded memory, no cell index
    warehouses = (
        plan["warehouse"].map(lambda w: None if is_blank(w) or not str(w).strip() else str(w))
        if "warehouse" in plan.columns
        else pd.Series([None] * len(plan), index=plan.index, dtype=object)
    )
    taken: set[str] = set()
    _instructions(workbook.create_sheet(_sheet_title(INSTRUCTIONS[language][0], taken)), language)
    if warehouses.isna().all():
        groups: list[tuple[str, pd.DataFrame]] = [(DEFAULT_SHEET[language], plan)]
    else:
        names = warehouses.fillna(NO_WAREHOUSE[language])
        # the warehouses in name order, lots with no warehouse last
        places = sorted(names.unique(), key=lambda n: (n == NO_WAREHOUSE[language], n))
        groups = [(str(name), plan[names == name]) for name in places]
    for name, lots in groups:
        sheet = workbook.create_sheet(_sheet_title(name, taken))
        _fill_sheet(
            sheet,
            lots,
            PLAN_SHEET_COLUMNS,
            as_of=as_of,
            language=language,
            count_minor_defects=count_minor_defects,
        )
    if len(plan):
        ordered = pd.concat([lots for _, lots in groups]) if len(groups) > 1 else plan
        _pick_list_sheet(
            workbook.create_sheet(_sheet_title(label_for("qa.sheet.pick_list", language), taken)),
            ordered,
            language=language,
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    save_write_only(workbook, partial)
    partial.replace(path)  # a reader never sees a half-written workbook
    logger.info(
        "QA sample list: %d lots on %d sheet(s) written to %s", len(plan), len(groups), path
    )
    return path
