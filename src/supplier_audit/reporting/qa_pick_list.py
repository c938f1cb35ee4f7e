"""The QA sample list's pick list: the units of every lot, in rows ticked as they are pulled."""

from __future__ import annotations

import re
from typing import Final

import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from supplier_audit.contracts.files import FORMULA_START
from supplier_audit.reporting.cells import (
    CellStyle,
    clean_text,
    clean_texts,
    is_blank,
    starts_like_formula,
    stream_rows,
)
from supplier_audit.reporting.labels import label as label_for
from supplier_audit.reporting.qa_plan_columns import LINE_HEIGHT, MAX_LINES, wrapped_lines
from supplier_audit.reporting.qa_plan_sheet import one_page_wide

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
# A token of :func:`supplier_audit.sampling.format_units` that is a run of units ("12-40").
_RUN: Final = re.compile(r"(?<!\S)(\d+)-(\d+)(?!\S)")


def _units_in(tokens: list[str]) -> int:
    """Units some tokens stand for: one a token, the units of its run for a run ("12-40": 29)."""
    return len(tokens) + sum(
        int(last) - int(first) for first, last in _RUN.findall(" ".join(tokens))
    )


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
                    _units_in(tokens[i : i + _PICK_TOKENS_PER_ROW]),
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


def pick_list_sheet(sheet: WriteOnlyWorksheet, lots: pd.DataFrame, *, language: str) -> None:
    """The pick list, printed portrait with its header on every page."""
    picks = pick_list(lots)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for index, (_, _, width) in enumerate(_PICK_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    one_page_wide(sheet, orientation="portrait", header="&A")
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
    lines = wrapped_lines(picks["units"].astype("str"), dict(_PICK_NAMES)["units"]).to_numpy()
    heights = [LINE_HEIGHT * min(n, MAX_LINES) if n > 1 else None for n in lines.tolist()]
    columns = [
        _pick_cells(picks[name], quoted, wrapped if name == "units" else None)
        for name, _, _ in _PICK_COLUMNS
        if name in picks.columns
    ]
    stream_rows(sheet, zip(*columns, strict=True), heights=heights)


def _pick_cells(values: pd.Series, quoted: CellStyle, text: CellStyle | None) -> list[object]:
    """A pick-list column's values: text clean, quote-prefixed where Excel would read it as a
    formula, else in ``text``'s style (or plain); a blank as no cell."""
    if pd.api.types.infer_dtype(values, skipna=True) == "string":
        return [
            None
            if value is None
            else quoted(value)
            if value.startswith(FORMULA_START)
            else text(value)
            if text is not None
            else value
            for value in clean_texts(values)
        ]
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
