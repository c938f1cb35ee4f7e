"""The QA plan sheet's columns: what each holds, the cell values of a lot, the lines a row needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from supplier_audit.reporting.cells import (
    WIDE_CHARACTERS,
    clean_text,
    display_width,
    is_blank,
)
from supplier_audit.reporting.labels import label as label_for


@dataclass(frozen=True)
class PlanColumn:
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
    PlanColumn("priority", 5, worklist=True),
    PlanColumn("shipment_id", 10),
    PlanColumn("supplier_id", 8),
    PlanColumn("risk_tier", 5, worklist=True),
    PlanColumn("sku", 10),
    PlanColumn("lot_size", 6),
    PlanColumn("inspection_level", 5, hidden=True),
    PlanColumn("severity", 8),
    PlanColumn("aql", 5, hidden=True),
    PlanColumn("code_letter", 5, hidden=True),
    PlanColumn("sample_size", 5),
    PlanColumn("acceptance_number", 4),
    PlanColumn("rejection_number", 4),
    PlanColumn("sampled_units", _UNITS_COLUMN_WIDTH),
    PlanColumn("reason", 20),
    PlanColumn("look_for", 12, worklist=True),
    # GB/T 2828.1's classes: 致命 (critical), 严重 (major), 轻微 (minor)
    PlanColumn("critical_defects", 5, result=True),
    PlanColumn("major_defects", 5, result=True),
    PlanColumn("minor_defects", 5, result=True),
    PlanColumn("counterfeit_units", 5, result=True),
    PlanColumn("counterfeit_status", 5, result=True),
    PlanColumn("verdict", 5, result=True, computed=True),
    PlanColumn("inspector", 7, result=True),
    PlanColumn("inspected_on", 9, result=True),
    PlanColumn("notes", 8, result=True),
)
COUNT_COLUMNS: Final = ("critical_defects", "major_defects", "minor_defects", "counterfeit_units")
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


def column_values(lots: pd.DataFrame, name: str, language: str) -> tuple[np.ndarray, np.ndarray]:
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
            # (a text longer than the room is wider still: only a short one is measured)
            if sizes is None or (len(text) <= room and display_width(text) <= room)
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


def lines_per_row(
    values: dict[str, tuple[np.ndarray, np.ndarray]], columns: Sequence[PlanColumn]
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
