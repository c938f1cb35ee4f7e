"""The risk report's Summary sheet: facts, top risks, tiers with charts, who is newly high."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.pagebreak import Break

from supplier_audit.contracts.vocabulary import WORST_FIRST
from supplier_audit.reporting.cells import (
    display_width,
    is_blank,
    text_cell,
    value_cell,
)
from supplier_audit.reporting.frames import REASON_SEPARATORS, ranked_by_risk
from supplier_audit.reporting.risk_cells import (
    FORMATS,
    SMALL_NUMBER,
    TIER_COLOURS,
    TIER_TEXT_COLOURS,
    WRAP,
    Column,
    tier_word,
    translated,
)
from supplier_audit.reporting.risk_inputs import RiskReportInputs
from supplier_audit.reporting.risk_tables import (
    LINE_HEIGHT,
    TOP,
    TOP_RISKS_SHOWN,
    Sheet,
    data_cell,
    header_cells,
    print_setup,
    top_aligned,
    wrapped_lines,
)


def _section(sheet: Sheet, title: str) -> None:
    sheet.append([text_cell(sheet.ws, title, font=Font(bold=True, size=13))])


def _top_chart(
    book: Workbook, summary: Sheet, anchor: str, ranked: pd.DataFrame, language: str
) -> None:
    """The top suppliers by counterfeit risk as a bar chart on the Summary sheet."""

    def tr(key: str) -> str:
        return translated(key, language)

    chart_data = Sheet(book, tr("sheet.chart_data"))
    chart_data.ws.sheet_state = "hidden"  # the chart's numbers, not a sheet to read or print
    chart_data.ws.column_dimensions["A"].width = 40
    chart_data.append(header_cells(chart_data, [tr("supplier_name"), tr("counterfeit_risk")]))
    by_risk = ranked.sort_values("counterfeit_risk", ascending=False, kind="stable")
    for row in by_risk.head(TOP_RISKS_SHOWN).itertuples():
        chart_data.append(
            [
                text_cell(chart_data.ws, f"{row.supplier_name} ({row.supplier_id})"),
                value_cell(chart_data.ws, row.counterfeit_risk),
            ]
        )
    top_chart = BarChart()
    top_chart.type = "bar"
    top_chart.title = tr("top_by_counterfeit")
    top_chart.legend = None
    top_chart.add_data(
        Reference(chart_data.ws, min_col=2, min_row=1, max_row=chart_data.rows),
        titles_from_data=True,
    )
    top_chart.set_categories(
        Reference(chart_data.ws, min_col=1, min_row=2, max_row=chart_data.rows)
    )
    top_chart.y_axis.scaling.min = 0
    top_chart.y_axis.scaling.max = 100
    top_chart.x_axis.scaling.orientation = "maxMin"  # highest risk at the top
    top_chart.height, top_chart.width = 9, 24
    summary.ws.add_chart(top_chart, anchor)


# The labels of the Summary's facts (column A is sized to the longest).
# Every label of column A's facts: the column is as wide as the longest in the language.
_FACT_KEYS = (
    "as_of",
    "data_covered",
    "lookback",
    "quarantined_rows",
    "open_complaints",
    "complaints_due_soon",
    "complaints_not_ready",
    "complaints_overdue",
    "complaints_to_appeal",
    "lots_to_inspect",
    "units_to_pull",
)


def summary_sheet(
    book: Workbook, inputs: RiskReportInputs, deferred: list[Callable[[], None]]
) -> None:
    """The first sheet: the night's facts, the top risks, tiers with charts, who is newly high.

    Laid out for a laptop screen: the top-risks table comes first, the charts sit beside the
    tier counts, and the newly high or critical list follows below them.
    """
    language = inputs.language

    def tr(key: str) -> str:
        return translated(key, language)

    sheet = Sheet(book, tr("sheet.summary"))
    # column A holds the facts' labels: as wide as the longest in this language
    first = max(16, *(display_width(tr(key)) + 2 for key in _FACT_KEYS))
    for letter, width in zip("ABCDEFG", (min(first, 42), 30, 10, 10, 10, 56, 60), strict=True):
        sheet.ws.column_dimensions[letter].width = width
    print_setup(sheet, title_rows=None)

    _facts(sheet, inputs)
    scores = inputs.scores
    if scores is None or scores.empty:
        return
    ranked = ranked_by_risk(scores)
    _top_risks(sheet, ranked, language)
    charts_row = _tiers_with_charts(sheet, scores, language)
    # The top chart's data goes on a small sheet of its own, written last so the purchaser's
    # sheets come first; the series are plain cells the purchaser can check.
    deferred.append(lambda: _top_chart(book, sheet, f"A{charts_row + 15}", ranked, language))
    # printed, the second chart starts a page of its own rather than being cut in two
    sheet.ws.row_breaks.append(Break(id=charts_row + 14))
    _newly_high(sheet, scores, ranked, language, charts_row)


_LEFT = Alignment(horizontal="left")


def _facts(sheet: Sheet, inputs: RiskReportInputs) -> None:
    """The night's facts: its date, the data it covered, the desk's counts, lots to inspect."""

    def tr(key: str) -> str:
        return translated(key, inputs.language)

    bold = Font(bold=True)
    left = _LEFT

    def fact(key: str, value: object) -> None:
        cell = value_cell(sheet.ws, value, alignment=left)
        if isinstance(value, int) and abs(value) >= SMALL_NUMBER:
            cell.number_format = FORMATS["int"]  # 34,726
        sheet.append([text_cell(sheet.ws, tr(key), font=bold), cell])

    sheet.append([text_cell(sheet.ws, tr("title"), font=Font(bold=True, size=16))])
    fact("as_of", inputs.as_of)
    if inputs.data_period:
        start, end = inputs.data_period
        fact("data_covered", f"{start.isoformat()} – {end.isoformat()}")
    fact("lookback", f"{inputs.lookback_days} {tr('days')}")
    fact(
        "quarantined_rows",
        sum(int(t["rows_quarantined"]) for t in inputs.manifest["inputs"].values()),
    )
    if inputs.open_complaints is not None:
        fact("open_complaints", len(inputs.open_complaints))
        sheet.append(
            [
                text_cell(
                    sheet.ws,
                    tr("complaints_due_soon").format(hours=inputs.due_soon_hours),
                    font=bold,
                ),
                _alarm(sheet, inputs.complaints_due_soon, left),
            ]
        )
        sheet.append(
            [
                text_cell(sheet.ws, tr("complaints_not_ready"), font=bold),
                _alarm(sheet, inputs.complaints_not_ready, left),
            ]
        )
        sheet.append(
            [
                text_cell(sheet.ws, tr("complaints_overdue"), font=bold),
                _alarm(sheet, inputs.complaints_overdue, left),
            ]
        )
        if inputs.appeals is not None:
            fact("complaints_to_appeal", len(inputs.appeals))
    if inputs.inspection_plan is not None:
        fact("lots_to_inspect", len(inputs.inspection_plan))
        if "sample_size" in inputs.inspection_plan.columns:
            fact("units_to_pull", int(inputs.inspection_plan["sample_size"].sum()))
    for note in absence_notes(inputs):
        sheet.append([text_cell(sheet.ws, note, font=Font(italic=True))])


def _top_risks(sheet: Sheet, ranked: pd.DataFrame, language: str) -> None:
    """Every supplier to stop buying from (or the top ten risks), with reason and action."""

    def tr(key: str) -> str:
        return translated(key, language)

    sheet.blank()
    if "stop_buying" in ranked.columns:
        # Every supplier an action stops or suspends buying from (counterfeit or quality),
        # however many: a purchaser acts on each of them, not on a top ten.
        top = ranked[ranked["stop_buying"].fillna(False).astype(bool)]
        _section(sheet, tr("stop_buying").format(n=len(top)))
    else:
        top = ranked.head(TOP_RISKS_SHOWN)
        _section(sheet, tr("top_risks"))
    sheet.append(
        header_cells(
            sheet,
            [
                tr("supplier_id"),
                tr("supplier_name"),
                tr("risk_tier"),
                tr("counterfeit_risk"),
                tr("quality_risk"),
                tr("main_reasons"),
                tr("recommended_action"),
            ],
        )
    )
    if top.empty:
        sheet.append([text_cell(sheet.ws, tr("none"))])
    texts = pd.DataFrame(
        {
            "reason": top.get("main_reasons", pd.Series("", index=top.index)).map(_first_reason),
            "action": top.get("recommended_action", pd.Series("", index=top.index)),
        }
    )
    wrapped = (Column("reason", "wrap"), Column("action", "wrap"))
    lines = wrapped_lines(texts, wrapped, (56, 60)).to_numpy()
    for row, reason, action, needed in zip(
        top.itertuples(index=False), texts["reason"], texts["action"], lines, strict=True
    ):
        if needed > 1:
            sheet.ws.row_dimensions[sheet.rows + 1].height = LINE_HEIGHT * needed
        sheet.append(
            [
                text_cell(sheet.ws, row.supplier_id, alignment=TOP),
                text_cell(sheet.ws, row.supplier_name, alignment=WRAP),
                top_aligned(data_cell(sheet, row.risk_tier, Column("risk_tier", "tier"), language)),
                top_aligned(
                    data_cell(
                        sheet, row.counterfeit_risk, Column("counterfeit_risk", "score"), language
                    )
                ),
                top_aligned(
                    data_cell(
                        sheet,
                        getattr(row, "quality_risk", None),
                        Column("quality_risk", "score"),
                        language,
                    )
                ),
                text_cell(sheet.ws, reason, alignment=WRAP),
                text_cell(sheet.ws, action, alignment=WRAP),
            ]
        )


def _tiers_with_charts(sheet: Sheet, scores: pd.DataFrame, language: str) -> int:
    """Suppliers per tier with the tier chart beside them; the row the charts start at."""

    def tr(key: str) -> str:
        return translated(key, language)

    left = _LEFT
    sheet.blank()
    _section(sheet, tr("suppliers_per_tier"))
    charts_row = sheet.rows
    tier_counts = scores["risk_tier"].value_counts()
    tier_rows_start = sheet.rows + 1
    for tier in WORST_FIRST:
        sheet.append(
            [
                text_cell(
                    sheet.ws,
                    tier_word(tier, language),
                    fill=PatternFill("solid", fgColor=TIER_COLOURS[tier]),
                    font=Font(bold=True, color=TIER_TEXT_COLOURS[tier]),
                ),
                value_cell(sheet.ws, int(tier_counts.get(tier, 0)), alignment=left),
            ]
        )
    tier_rows_end = sheet.rows

    # Charts: tiers (data on this sheet) beside the counts, and the top suppliers by
    # counterfeit risk (data on a small sheet of its own, so the series are plain cells).
    tiers_chart = BarChart()
    tiers_chart.type = "col"
    tiers_chart.title = tr("tier_chart")
    tiers_chart.legend = None
    tiers_chart.add_data(
        Reference(sheet.ws, min_col=2, min_row=tier_rows_start, max_row=tier_rows_end)
    )
    tiers_chart.set_categories(
        Reference(sheet.ws, min_col=1, min_row=tier_rows_start, max_row=tier_rows_end)
    )
    tiers_chart.height, tiers_chart.width = 6.5, 12
    sheet.ws.add_chart(tiers_chart, f"C{charts_row}")
    return charts_row


def _newly_high(
    sheet: Sheet, scores: pd.DataFrame, ranked: pd.DataFrame, language: str, charts_row: int
) -> None:
    """Below the charts: who became high or critical since the last run."""

    def tr(key: str) -> str:
        return translated(key, language)

    # (the charts take about 33 rows)
    while sheet.rows < charts_row + 34:
        sheet.blank()
    _section(sheet, tr("newly_high"))
    first_run = "previous_tier" not in scores.columns or scores["previous_tier"].isna().all()
    if first_run:
        sheet.append([text_cell(sheet.ws, tr("first_run"))])
        return
    newly = ranked[ranked["newly_high_or_critical"].fillna(False).astype(bool)]
    if newly.empty:
        sheet.append([text_cell(sheet.ws, tr("none"))])
    for row in newly.itertuples(index=False):
        sheet.append(
            [
                text_cell(sheet.ws, row.supplier_id),
                text_cell(sheet.ws, row.supplier_name),
                top_aligned(data_cell(sheet, row.risk_tier, Column("risk_tier", "tier"), language)),
                top_aligned(
                    data_cell(
                        sheet, row.counterfeit_risk, Column("counterfeit_risk", "score"), language
                    )
                ),
                text_cell(
                    sheet.ws, _first_reason(getattr(row, "main_reasons", "")), alignment=WRAP
                ),
            ]
        )


def absence_notes(inputs: RiskReportInputs) -> list[str]:
    """What the night did not have, in words: tables not provided or without rows, no lot to
    inspect, no supplier to score (a blank would read as "nothing wrong")."""
    language = inputs.language
    notes = []
    for name, table in inputs.manifest["inputs"].items():
        what = translated(f"table.{name}", language)
        if not table.get("present", True):
            notes.append(translated("table_absent", language).format(table=what))
        elif int(table["rows_read"]) == 0:
            notes.append(translated("table_empty", language).format(table=what))
    if inputs.inspection_plan is not None and inputs.inspection_plan.empty:
        notes.append(translated("no_lot_to_inspect", language))
    if inputs.scores is not None and inputs.scores.empty:
        notes.append(translated("no_supplier_scored", language))
    return notes


_ALARM_FONT = Font(bold=True, color="C00000")


def _alarm(sheet: Sheet, count: int, alignment: Alignment) -> Any:
    """A count in bold red when it is not zero (something for the desk to do today)."""
    if count:
        return value_cell(sheet.ws, count, alignment=alignment, font=_ALARM_FONT)
    return value_cell(sheet.ws, count, alignment=alignment)


def _first_reason(reasons: object) -> str:
    """The main reason: the first of the reasons (they are joined by '; ' or '；')."""
    if is_blank(reasons):
        return ""
    return re.split(REASON_SEPARATORS, str(reasons))[0]
