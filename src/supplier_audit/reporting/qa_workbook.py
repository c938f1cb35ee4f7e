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
from datetime import date
from pathlib import Path
from typing import Final

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from supplier_audit.reporting.cells import (
    clean_text,
    display_width,
    is_blank,
    save_write_only,
)
from supplier_audit.reporting.labels import label as label_for
from supplier_audit.reporting.qa_pick_list import pick_list, pick_list_sheet
from supplier_audit.reporting.qa_plan_columns import PLAN_SHEET_COLUMNS
from supplier_audit.reporting.qa_plan_sheet import fill_plan_sheet

__all__ = ["pick_list", "write_qa_workbook"]

logger = logging.getLogger(__name__)

DEFAULT_SHEET: Final = {lang: label_for("qa.sheet.default", lang) for lang in ("zh", "en")}
NO_WAREHOUSE: Final = {lang: label_for("qa.sheet.no_warehouse", lang) for lang in ("zh", "en")}
_SHEET_NAME_FORBIDDEN: Final = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str, taken: set[str]) -> str:
    title = _SHEET_NAME_FORBIDDEN.sub("_", clean_text(name)).strip("'") or "_"
    title = title[:31]
    candidate, number = title, 2
    while candidate.lower() in taken:
        suffix = f"~{number}"
        candidate, number = title[: 31 - len(suffix)] + suffix, number + 1
    taken.add(candidate.lower())
    return candidate


# The instructions sheet: its title, then one line a step. It has no table header, so the
# reader skips it when the filled-in workbook comes back as inspection results.
INSTRUCTIONS: Final = {
    lang: (
        label_for("qa.instructions.title", lang),
        *(label_for(f"qa.instructions.step{n}", lang) for n in range(1, 8)),
    )
    for lang in ("zh", "en")
}


# Column A of the instructions: as wide as a portrait A4 page prints it (a wider column was cut
# at the page's edge), and the width a wrapped line of a step fills in it.
_INSTRUCTION_WIDTH = 70
_INSTRUCTION_LINE = 64


def _instructions(sheet: WriteOnlyWorksheet, language: str) -> None:
    title, *steps = INSTRUCTIONS[language]
    sheet.column_dimensions["A"].width = _INSTRUCTION_WIDTH
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
        sheet.row_dimensions[number].height = 17 * (display_width(step) // _INSTRUCTION_LINE + 1)
        sheet.append([cell])


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
        fill_plan_sheet(
            sheet,
            lots,
            PLAN_SHEET_COLUMNS,
            as_of=as_of,
            language=language,
            count_minor_defects=count_minor_defects,
        )
    if len(plan):
        ordered = pd.concat([lots for _, lots in groups]) if len(groups) > 1 else plan
        pick_list_sheet(
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
