"""The purchaser's Excel risk report ``supplier-risk-<as_of>.xlsx``.

Readable in ten seconds (Summary: tiers, who is newly high or critical, the top risks with their
reason and action, two charts), complete in ten minutes (one sheet per question), and safe to
open: every value from an input is written through :mod:`supplier_audit.reporting.cells`.
The workbook is written in openpyxl's write-only mode, so a night with 100,000 evidence rows
takes seconds and bounded memory. A sheet appears only when its stage produced something.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import DataBarRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.pagebreak import Break

from supplier_audit.reporting.cells import (
    EXCEL_MAX_ROWS,
    CellStyle,
    Styled,
    clean_text,
    clean_texts,
    display_width,
    display_widths,
    highlighted_text,
    is_blank,
    plain_value,
    save_write_only,
    stream_rows,
    text_cell,
    value_cell,
)
from supplier_audit.reporting.frames import REASON_SEPARATORS, WORST_FIRST, ranked_by_risk
from supplier_audit.reporting.labels import label, reason_in_words

TIERS = WORST_FIRST
TIER_COLOURS = {"critical": "C00000", "high": "FF7F27", "medium": "FFD966", "low": "A9D08E"}
TIER_TEXT_COLOURS = {"critical": "FFFFFF", "high": "FFFFFF", "medium": "000000", "low": "000000"}
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
# Formats by kind of column.
FORMATS = {
    "score": "0.0",  # one decimal: 99.7 is not 100
    "int": "#,##0",
    "money": "#,##0.00",
    "percent": "0.0%",
    "change": "+0.0;-0.0;0.0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
MAX_WIDTH = 60
TOP_RISKS_SHOWN = 10


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the frame's column, its label key and its kind."""

    name: str
    kind: str = "text"  # text, wrap, score, int, money, percent, change, date, datetime, tier, bool
    label_key: str | None = None
    # values are keys with words under this prefix ("channel" -> channel.wholesaler); several
    # keys may be joined by ";" (review categories)
    words: str | None = None


@dataclass
class RiskReportInputs:
    """Everything the risk report may show; ``None`` means that stage did not run."""

    as_of: dt.date
    language: str
    manifest: dict[str, Any]
    lookback_days: int
    quarantine_reasons: pd.DataFrame
    scores: pd.DataFrame | None = None
    flagged_reviews: pd.DataFrame | None = None
    upheld_complaints: pd.DataFrame | None = None
    inspection_failures: pd.DataFrame | None = None
    evidence_gaps: pd.DataFrame | None = None
    lots_to_hold: pd.DataFrame | None = None
    documents_on_file: pd.DataFrame | None = None
    inspection_plan: pd.DataFrame | None = None
    recent_inspections: pd.DataFrame | None = None
    data_period: tuple[dt.date, dt.date] | None = None
    # The Evidence sheet lists the worst this many items (review_flags.csv has every one).
    max_evidence_rows: int | None = None
    # The complaint desk (None when it did not run): open tickets most urgent first, lost
    # complaints worth appealing, and the counts the Summary shows.
    open_complaints: pd.DataFrame | None = None
    appeals: pd.DataFrame | None = None
    complaints_due_soon: int = 0
    complaints_not_ready: int = 0
    complaints_overdue: int = 0
    due_soon_hours: int = 48
    notes: list[str] = field(default_factory=list)
    # Rows the reader cleaned of control characters: table, source_file, source_row, columns.
    cleaned_rows: pd.DataFrame | None = None
    # Who the shown reviews and complaints are attributed to: table, item_id, supplier_id,
    # weight (the Evidence sheet gives each supplier of a shared item a row of its own).
    attribution: pd.DataFrame | None = None


class _Sheet:
    """A write-only sheet being filled row by row, remembering what it needs at the end."""

    def __init__(self, book: Workbook, title: str) -> None:
        self.ws: WriteOnlyWorksheet = book.create_sheet(title[:31])
        self.rows = 0
        self._styles: dict[str, CellStyle] = {}

    def style(self, key: str, **style: Any) -> CellStyle:
        """The cell style named ``key`` (registered with the workbook on first use)."""
        found = self._styles.get(key)
        if found is None:
            found = self._styles[key] = CellStyle(self.ws, **style)
        return found

    def append(self, cells: Sequence[Any]) -> None:
        self.rows = stream_rows(self.ws, [cells]) - 1

    def stream(self, rows: Iterable[Sequence[Any]], heights: Iterable[float | None]) -> None:
        """Many rows at once (values as :func:`stream_rows` takes them)."""
        self.rows = stream_rows(self.ws, rows, heights=heights) - 1

    def blank(self) -> None:
        self.append([])


def _tr(key: str, language: str) -> str:
    return label(key, language)


def _tier_word(tier: object, language: str) -> str:
    return "" if is_blank(tier) or not str(tier) else _tr(f"tier.{tier}", language)


def _header_cells(sheet: _Sheet, headers: Sequence[str]) -> list[Any]:
    return [
        text_cell(sheet.ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=WRAP) for h in headers
    ]


def _widths(frame: pd.DataFrame, columns: Sequence[Column], headers: Sequence[str]) -> list[float]:
    """Column widths that fit CJK text: header and a sample of values, capped."""
    sample = frame.head(300)
    widths: list[float] = []
    for column, header in zip(columns, headers, strict=True):
        longest = max(
            [
                display_width(header),
                *(display_width(v) for v in sample[column.name] if not is_blank(v)),
            ],
            default=8,
        )
        if column.kind in ("score", "int", "percent", "change"):
            longest = max(display_width(header), 8)
        widths.append(min(max(longest + 2, 8), MAX_WIDTH))
    return widths


_TIER_FILLS = {tier: PatternFill("solid", fgColor=colour) for tier, colour in TIER_COLOURS.items()}
_TIER_FONTS = {tier: Font(bold=True, color=colour) for tier, colour in TIER_TEXT_COLOURS.items()}
_NO_FILL = PatternFill()
_OVERDUE_FILL = PatternFill("solid", fgColor="C00000")
_OVERDUE_FONT = Font(bold=True, color="FFFFFF")
_SOON_FILL = PatternFill("solid", fgColor="FFD966")
_EVIDENCE_FONTS = {
    "not_ready": Font(bold=True, color="C00000"),
    "partial": Font(bold=True, color="C65911"),
    "ready": Font(color="375623"),
}
_PLAIN_BOLD = Font(bold=True)
# Small whole numbers (ratings, severities) read fine without a thousands format.
_SMALL = 1000


def _cell_maker(sheet: _Sheet, column: Column, language: str) -> Callable[[Any], Any]:
    """What turns a value of this column into a table cell's value for :func:`stream_rows`,
    styled by the column's kind: plain text and numbers as themselves, styled values with a
    style registered once per sheet (:class:`CellStyle`)."""
    kind = column.kind
    if column.words is not None:
        prefix, joiner = column.words, "、" if language == "zh" else ", "

        def word_cell(value: Any) -> Any:
            if is_blank(value) or not str(value):
                return None
            keys = [k for k in str(value).split(";") if k]
            return clean_text(joiner.join(_tr(f"{prefix}.{k}", language) for k in keys))

        return word_cell
    if kind == "tier":

        def tier_cell(value: Any) -> Any:
            tier = "" if is_blank(value) else str(value)
            style = sheet.style(
                f"tier:{tier}",
                fill=_TIER_FILLS.get(tier, _NO_FILL),
                font=_TIER_FONTS.get(tier, _PLAIN_BOLD),
            )
            return style(clean_text(_tier_word(tier, language)))

        return tier_cell
    if kind == "days_left":
        overdue = sheet.style("days_left:overdue", fill=_OVERDUE_FILL, font=_OVERDUE_FONT)
        soon = sheet.style("days_left:soon", fill=_SOON_FILL, font=_PLAIN_BOLD)

        def days_left_cell(value: Any) -> Any:
            if is_blank(value):
                return None
            days = int(value)
            if value < 0:
                return overdue(days)
            return soon(days) if value <= 2 else days

        return days_left_cell
    if kind in ("evidence_status", "platform", "deadline_source"):
        styles = {
            status: sheet.style(f"{kind}:{status}", font=font)
            for status, font in _EVIDENCE_FONTS.items()
        }

        def status_cell(value: Any) -> Any:
            if is_blank(value):
                return None
            text = clean_text(_tr(f"{kind}.{value}", language))
            style = styles.get(str(value)) if kind == "evidence_status" else None
            return style(text) if style is not None else text

        return status_cell
    if kind == "bool":
        yes, no = _tr("yes", language), _tr("no", language)
        return lambda value: clean_text("" if is_blank(value) else yes if value else no)
    if kind == "text":
        return lambda value: None if is_blank(value) else clean_text(value)
    if kind == "wrap":
        wrap = sheet.style("wrap", alignment=WRAP)
        return lambda value: None if is_blank(value) else wrap(clean_text(value))
    number_format = (
        sheet.style(f"format:{kind}", number_format=FORMATS[kind]) if kind in FORMATS else None
    )

    def value(value: Any) -> Any:
        plain = isinstance(value, int | float)  # (a numpy integer is not: it gets the format)
        made = plain_value(value)
        if made is None or number_format is None:
            return made
        if kind == "int" and plain and abs(made) < _SMALL:
            return made
        return number_format(made)

    return value


_BLOCK_ROWS = 10_000


def _column_cells(values: pd.Series, column: Column, make: Callable[[Any], Any]) -> list[Any]:
    """The cells of one column (``make`` applied to each value; plain text vectorised)."""
    if (
        column.kind == "text"
        and column.words is None
        and pd.api.types.infer_dtype(values, skipna=True) == "string"
    ):
        return clean_texts(values)
    return [make(value) for value in values]


def _data_cell(sheet: _Sheet, value: Any, column: Column, language: str) -> Any:
    """One cell of a table, styled by its column's kind (None for a blank)."""
    made = _cell_maker(sheet, column, language)(value)
    if made is None:
        return None
    if isinstance(made, Styled):
        return made.style.apply(value_cell(sheet.ws, made.value))
    return value_cell(sheet.ws, made)


def _top(cell: Any) -> Any:
    """The cell aligned to the top, beside wrapped texts in the same row (small tables only)."""
    if cell is not None:
        cell.alignment = TOP
    return cell


def _wrapped_lines(
    frame: pd.DataFrame, columns: Sequence[Column], widths: Sequence[float]
) -> pd.Series:
    """How many lines each row's wrapped texts need (vectorised: CJK characters count double)."""
    lines = pd.Series(1, index=frame.index, dtype="int64")
    for column, width in zip(columns, widths, strict=True):
        if column.kind != "wrap":
            continue
        text = frame[column.name].astype("str").where(frame[column.name].notna(), "")
        display = display_widths(text)
        per_line = max(int(width) - 2, 4)
        needed = -(-display // per_line) + text.str.count("\n")
        lines = lines.where(lines >= needed, needed)
    return lines.clip(upper=MAX_LINES)


def _table(
    book: Workbook,
    title: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    language: str,
    *,
    highlight: tuple[str, str] | None = None,
    bars: Sequence[str] = (),
    max_rows: int | None = None,
    capped_note: str = "evidence_capped_note",
) -> _Sheet:
    """A one-table sheet: frozen header, filter, widths, formats, capped at Excel's row limit
    (or at ``max_rows``, with a note saying where the full list is)."""
    columns = [c for c in columns if c.name in frame.columns]
    headers = [_tr(c.label_key or c.name, language) for c in columns]
    sheet = _Sheet(book, title)
    widths = _widths(frame, columns, headers)
    for position, width in enumerate(widths, start=1):
        sheet.ws.column_dimensions[get_column_letter(position)].width = width
    sheet.ws.freeze_panes = "A2"
    # before the first row: a write-only sheet writes its properties (fitToPage) with it
    _print_setup(sheet, title_rows="1:1")
    sheet.append(_header_cells(sheet, headers))
    limit = EXCEL_MAX_ROWS - 2  # header and the note
    note = "capped_note"
    if max_rows is not None and max_rows < limit:
        limit, note = max_rows, capped_note
    shown = frame.iloc[:limit]
    line_counts = _wrapped_lines(shown, columns, widths).to_numpy()
    names = [c.name for c in columns]
    text_position = names.index(highlight[0]) if highlight and highlight[0] in names else None
    spans = shown[highlight[1]].tolist() if highlight and highlight[1] in shown.columns else None
    makers = [_cell_maker(sheet, column, language) for column in columns]
    heights = [LINE_HEIGHT * n if n > 1 else None for n in line_counts.tolist()]
    # Cells are made column by column, a block of rows at a time (memory stays bounded).
    for first in range(0, len(shown), _BLOCK_ROWS):
        block = shown.iloc[first : first + _BLOCK_ROWS]
        made = [
            _column_cells(block[column.name], column, make)
            for column, make in zip(columns, makers, strict=True)
        ]
        if text_position is not None and spans is not None:
            made[text_position] = _highlighted(
                block[names[text_position]].tolist(),
                spans[first : first + _BLOCK_ROWS],
                made[text_position],
            )
        sheet.stream(zip(*made, strict=True), heights[first : first + _BLOCK_ROWS])
    last_row = sheet.rows
    if columns:
        sheet.ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(last_row, 1)}"
    for name in bars:
        if name in names and last_row > 1:
            letter = get_column_letter(names.index(name) + 1)
            sheet.ws.conditional_formatting.add(
                f"{letter}2:{letter}{last_row}",
                DataBarRule(
                    start_type="num",
                    start_value=0,
                    end_type="num",
                    end_value=100,
                    color="FFC00000" if name == "counterfeit_risk" else "FF5B9BD5",
                ),
            )
    if frame.empty:
        # an empty table says so (a blank sheet reads as "not finished")
        sheet.append([text_cell(sheet.ws, _tr("no_rows", language), font=Font(italic=True))])
    if len(frame) > limit:
        sheet.append(
            [
                text_cell(
                    sheet.ws,
                    _tr(note, language).format(shown=f"{limit:,}", total=f"{len(frame):,}"),
                    font=Font(italic=True, color="C00000"),
                )
            ]
        )
    return sheet


LINE_HEIGHT = 15.0
MAX_LINES = 8


def _highlighted(texts: list[Any], spans: list[Any], plain: list[Any]) -> list[Any]:
    """Review texts with their matched terms in bold colour where a row has spans (the plain
    cell where it has none)."""
    return [
        highlighted_text(text, [(int(s[0]), int(s[1])) for s in row_spans])
        if isinstance(row_spans, list | tuple) and row_spans
        else cell
        for text, row_spans, cell in zip(texts, spans, plain, strict=True)
    ]


def _print_setup(sheet: _Sheet, *, title_rows: str | None) -> None:
    """Landscape, one page wide, the header row repeated on every printed page."""
    if title_rows:
        sheet.ws.print_title_rows = title_rows
    sheet.ws.page_setup.orientation = "landscape"
    sheet.ws.page_setup.paperSize = "9"  # A4
    sheet.ws.page_setup.fitToWidth = 1
    sheet.ws.page_setup.fitToHeight = 0
    sheet.ws.sheet_properties.pageSetUpPr.fitToPage = True
    # the sheet's name on top and "page / pages" below every printed page
    sheet.ws.oddHeader.center.text = "&A"
    sheet.ws.oddFooter.center.text = "&P / &N"


# ------------------------------------------------------------------------------------ sheets

SUPPLIER_COLUMNS = (
    Column("supplier_id"),
    Column("supplier_name"),
    Column("risk_tier", "tier"),
    Column("counterfeit_risk", "score"),
    Column("quality_risk", "score"),
    Column("counterfeit_risk_change", "change"),
    Column("previous_tier", "tier"),
    Column("main_reasons", "wrap"),
    Column("recommended_action", "wrap"),
    Column("evidence_readiness", "percent"),
    Column("defensibility", "score"),
    Column("evidence_actions", "wrap"),
    Column("inspection_severity", words="severity"),
    Column("channel", words="channel"),
    Column("reviews", "int"),
    Column("counterfeit_reviews", "int"),
    Column("quality_reviews", "int"),
    Column("units_received", "int"),
    Column("value_received", "money"),
    Column("dropship_share", "percent"),
)


def _section(sheet: _Sheet, title: str) -> None:
    sheet.append([text_cell(sheet.ws, title, font=Font(bold=True, size=13))])


def _top_chart(
    book: Workbook, summary: _Sheet, anchor: str, ranked: pd.DataFrame, language: str
) -> None:
    """The top suppliers by counterfeit risk as a bar chart on the Summary sheet."""

    def tr(key: str) -> str:
        return _tr(key, language)

    chart_data = _Sheet(book, tr("sheet.chart_data"))
    chart_data.ws.sheet_state = "hidden"  # the chart's numbers, not a sheet to read or print
    chart_data.ws.column_dimensions["A"].width = 40
    chart_data.append(_header_cells(chart_data, [tr("supplier_name"), tr("counterfeit_risk")]))
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
_FACT_KEYS = (
    "as_of",
    "data_covered",
    "lookback",
    "quarantined_rows",
    "lots_to_inspect",
    "units_to_pull",
)


def _summary(book: Workbook, inputs: RiskReportInputs, deferred: list[Callable[[], None]]) -> None:
    """The first sheet: the night's facts, the top risks, tiers with charts, who is newly high.

    Laid out for a laptop screen: the top-risks table comes first, the charts sit beside the
    tier counts, and the newly high or critical list follows below them.
    """
    language = inputs.language

    def tr(key: str) -> str:
        return _tr(key, language)

    sheet = _Sheet(book, tr("sheet.summary"))
    # column A holds the facts' labels: as wide as the longest in this language
    first = max(16, *(display_width(tr(key)) + 2 for key in _FACT_KEYS))
    for letter, width in zip("ABCDEFG", (min(first, 34), 30, 10, 10, 10, 56, 60), strict=True):
        sheet.ws.column_dimensions[letter].width = width
    _print_setup(sheet, title_rows=None)
    bold = Font(bold=True)
    left = Alignment(horizontal="left")

    def fact(key: str, value: object) -> None:
        cell = value_cell(sheet.ws, value, alignment=left)
        if isinstance(value, int) and abs(value) >= _SMALL:
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
    for note in [*absence_notes(inputs), *inputs.notes]:
        sheet.append([text_cell(sheet.ws, note, font=Font(italic=True))])

    scores = inputs.scores
    if scores is None or scores.empty:
        return
    ranked = ranked_by_risk(scores)

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
        _header_cells(
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
    lines = _wrapped_lines(texts, wrapped, (56, 60)).to_numpy()
    for row, reason, action, needed in zip(
        top.itertuples(index=False), texts["reason"], texts["action"], lines, strict=True
    ):
        if needed > 1:
            sheet.ws.row_dimensions[sheet.rows + 1].height = LINE_HEIGHT * needed
        sheet.append(
            [
                text_cell(sheet.ws, row.supplier_id, alignment=TOP),
                text_cell(sheet.ws, row.supplier_name, alignment=WRAP),
                _top(_data_cell(sheet, row.risk_tier, Column("risk_tier", "tier"), language)),
                _top(
                    _data_cell(
                        sheet, row.counterfeit_risk, Column("counterfeit_risk", "score"), language
                    )
                ),
                _top(
                    _data_cell(
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

    sheet.blank()
    _section(sheet, tr("suppliers_per_tier"))
    charts_row = sheet.rows
    tier_counts = scores["risk_tier"].value_counts()
    tier_rows_start = sheet.rows + 1
    for tier in TIERS:
        sheet.append(
            [
                text_cell(
                    sheet.ws,
                    _tier_word(tier, language),
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

    # The top chart's data goes on a small sheet of its own, written last so the purchaser's
    # sheets come first; the series are plain cells the purchaser can check.
    deferred.append(lambda: _top_chart(book, sheet, f"A{charts_row + 15}", ranked, language))
    # printed, the second chart starts a page of its own rather than being cut in two
    sheet.ws.row_breaks.append(Break(id=charts_row + 14))

    # Below the charts (about 33 rows in all): who became high or critical since the last run.
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
                _top(_data_cell(sheet, row.risk_tier, Column("risk_tier", "tier"), language)),
                _top(
                    _data_cell(
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
        what = _tr(f"table.{name}", language)
        if not table.get("present", True):
            notes.append(_tr("table_absent", language).format(table=what))
        elif int(table["rows_read"]) == 0:
            notes.append(_tr("table_empty", language).format(table=what))
    if inputs.inspection_plan is not None and inputs.inspection_plan.empty:
        notes.append(_tr("no_lot_to_inspect", language))
    if inputs.scores is not None and inputs.scores.empty:
        notes.append(_tr("no_supplier_scored", language))
    return notes


_ALARM_FONT = Font(bold=True, color="C00000")


def _alarm(sheet: _Sheet, count: int, alignment: Alignment) -> Any:
    """A count in bold red when it is not zero (something for the desk to do today)."""
    if count:
        return value_cell(sheet.ws, count, alignment=alignment, font=_ALARM_FONT)
    return value_cell(sheet.ws, count, alignment=alignment)


def _first_reason(reasons: object) -> str:
    """The main reason: the first of the reasons (they are joined by '; ' or '；')."""
    if is_blank(reasons):
        return ""
    return re.split(REASON_SEPARATORS, str(reasons))[0]


def _data_quality(book: Workbook, inputs: RiskReportInputs) -> None:
    language = inputs.language
    counts = pd.DataFrame(
        [
            {
                "table": name,
                **{
                    k: t[k] for k in ("rows_read", "rows_valid", "rows_quarantined", "rows_pending")
                },
            }
            for name, t in inputs.manifest["inputs"].items()
        ]
    )
    columns = [
        Column("table"),
        Column("rows_read", "int"),
        Column("rows_valid", "int"),
        Column("rows_quarantined", "int"),
        Column("rows_pending", "int"),
    ]
    sheet = _table(book, _tr("sheet.data_quality", language), counts, columns, language)
    _cleaned_rows(sheet, inputs)
    if inputs.quarantine_reasons.empty:
        return
    sheet.blank()
    sheet.append([text_cell(sheet.ws, _tr("quarantine_reasons", language), font=Font(bold=True))])
    sheet.append(
        _header_cells(
            sheet, [_tr("table", language), _tr("rows", language), _tr("reason", language)]
        )
    )
    for row in inputs.quarantine_reasons.itertuples(index=False):
        sheet.append(
            [
                text_cell(sheet.ws, _tr(f"table.{row.table}", language)),
                value_cell(sheet.ws, row.rows),
                text_cell(sheet.ws, reason_in_words(str(row.reason), language)),
            ]
        )


# The data-quality sheet names at most this many cleaned rows (the manifest counts them all).
MAX_CLEANED_ROWS_SHOWN = 1000


def _cleaned_rows(sheet: _Sheet, inputs: RiskReportInputs) -> None:
    """How many rows lost control characters, and which (table, file, row, columns)."""
    cleaned = inputs.cleaned_rows
    if cleaned is None or cleaned.empty:
        return
    language = inputs.language
    sheet.blank()
    title = f"{_tr('cleaned_rows', language)}: {len(cleaned):,}"
    sheet.append([text_cell(sheet.ws, title, font=Font(bold=True))])
    sheet.append(
        _header_cells(
            sheet,
            [
                _tr("table", language),
                _tr("file", language),
                _tr("source_row", language),
                _tr("cleaned_columns", language),
            ],
        )
    )
    for row in cleaned.head(MAX_CLEANED_ROWS_SHOWN).itertuples(index=False):
        sheet.append(
            [
                text_cell(sheet.ws, _tr(f"table.{row.table}", language)),
                text_cell(sheet.ws, row.source_file),
                value_cell(sheet.ws, row.source_row),
                text_cell(sheet.ws, row.columns),
            ]
        )
    if len(cleaned) > MAX_CLEANED_ROWS_SHOWN:
        note = _tr("cleaned_capped_note", language).format(
            shown=f"{MAX_CLEANED_ROWS_SHOWN:,}", total=f"{len(cleaned):,}"
        )
        sheet.append([text_cell(sheet.ws, note, font=Font(italic=True))])


def _run_info(book: Workbook, inputs: RiskReportInputs) -> None:
    language = inputs.language
    manifest = inputs.manifest
    sheet = _Sheet(book, _tr("sheet.run_info", language))
    for letter, width in zip("ABCD", (28, 40, 70, 12), strict=True):
        sheet.ws.column_dimensions[letter].width = width
    _print_setup(sheet, title_rows=None)
    bold = Font(bold=True)
    rows = [
        ("as_of", manifest["as_of"]),
        ("config_version", manifest["config"]["version"]),
        ("config_sha256", manifest["config"]["sha256"]),
        ("seed", manifest["seed"]),
        ("timezone", manifest["config"].get("timezone", "")),
    ]
    sheet.append(_header_cells(sheet, [_tr("setting", language), _tr("value", language)]))
    for key, value in rows:
        sheet.append(
            [text_cell(sheet.ws, _tr(key, language), font=bold), value_cell(sheet.ws, value)]
        )
    sheet.blank()
    sheet.append(
        _header_cells(
            sheet,
            [
                _tr("table", language),
                _tr("file", language),
                _tr("sha256", language),
                _tr("rows_read", language),
            ],
        )
    )
    for table, entry in manifest["inputs"].items():
        for source in entry.get("files", []):
            sheet.append(
                [
                    text_cell(sheet.ws, table),
                    text_cell(sheet.ws, source["file"]),
                    text_cell(sheet.ws, source["sha256"]),
                    value_cell(sheet.ws, source["rows_read"]),
                ]
            )
    sheet.blank()
    sheet.append([text_cell(sheet.ws, _tr("versions", language), font=bold)])
    for name, version in manifest["versions"].items():
        sheet.append([text_cell(sheet.ws, name), text_cell(sheet.ws, version)])
    if manifest.get("stages"):
        sheet.blank()
        sheet.append([text_cell(sheet.ws, _tr("stage_seconds", language), font=bold)])
        for name, stage in manifest["stages"].items():
            sheet.append([text_cell(sheet.ws, name), value_cell(sheet.ws, stage["seconds"])])


EVIDENCE_COLUMNS = (
    Column("kind"),
    Column("severity", "int"),
    Column("date", "date"),
    Column("supplier_id"),
    Column("supplier_name"),
    Column("share", "percent"),
    Column("sku"),
    Column("reference"),
    Column("rating", "int"),
    Column("counterfeit_suspect", "bool"),
    Column("categories", words="category"),
    Column("matched_terms"),
    Column("text", "wrap"),
)


# A complaint's type as the review category it shares (the Evidence sheet's category column).
_COMPLAINT_CATEGORY = {"counterfeit": "counterfeit", "quality": "quality", "damaged": "damage"}


def _complaint_texts(complaints: pd.DataFrame, language: str) -> list[str]:
    """Type, status and payout of each complaint in words (the description is on the ticket)."""
    template = _tr("evidence.complaint", language)
    money = complaints.get("compensation", pd.Series(None, index=complaints.index))
    return [
        template.format(
            type=_tr(f"complaint_type.{kind}", language),
            status=_tr(f"complaint_status.{status}", language),
            money=""
            if is_blank(paid)
            else f"；¥{float(paid):,.2f}"
            if language == "zh"
            else f"; ¥{float(paid):,.2f}",
        )
        for kind, status, paid in zip(
            complaints["complaint_type"], complaints["status"], money, strict=True
        )
    ]


def _inspection_texts(failures: pd.DataFrame, language: str) -> list[str]:
    """What a failed inspection found, in words."""
    template = _tr("evidence.inspection", language)
    return [
        template.format(n=int(n), counterfeit=int(c), critical=int(cr), major=int(ma))
        for n, c, cr, ma in zip(
            failures["sample_size"],
            failures["counterfeit_units"],
            failures["critical_defects"],
            failures["major_defects"],
            strict=True,
        )
    ]


def evidence_rows(inputs: RiskReportInputs) -> pd.DataFrame:
    """Flagged reviews, upheld complaints and failed inspections in one list, worst first."""
    language = inputs.language
    parts = []
    if inputs.flagged_reviews is not None and not inputs.flagged_reviews.empty:
        reviews = inputs.flagged_reviews
        parts.append(
            pd.DataFrame(
                {
                    "kind": _tr("kind.review", language),
                    "severity": reviews.get("max_severity", 1),
                    "date": reviews["created_at"],
                    "supplier_id": reviews.get("attributed_to", reviews.get("supplier_id")),
                    "supplier_name": reviews.get("supplier_name"),
                    "sku": reviews["sku"],
                    "reference": reviews["review_id"],
                    "rating": reviews.get("rating"),
                    "counterfeit_suspect": reviews["counterfeit_suspect"],
                    "categories": reviews.get("categories"),
                    "matched_terms": reviews.get("matched_terms"),
                    "text": reviews["text"],
                    "spans": reviews.get("spans"),
                }
            )
        )
    if inputs.upheld_complaints is not None and not inputs.upheld_complaints.empty:
        complaints = inputs.upheld_complaints
        parts.append(
            pd.DataFrame(
                {
                    "kind": _tr("kind.complaint", language),
                    "severity": complaints.get("severity", 3),
                    "date": complaints["opened_on"],
                    "supplier_id": complaints.get("supplier_id"),
                    "supplier_name": complaints.get("supplier_name"),
                    "sku": complaints["sku"],
                    "reference": complaints["complaint_id"],
                    "counterfeit_suspect": complaints["complaint_type"] == "counterfeit",
                    "categories": complaints["complaint_type"].map(_COMPLAINT_CATEGORY),
                    "text": _complaint_texts(complaints, language),
                }
            )
        )
    if inputs.inspection_failures is not None and not inputs.inspection_failures.empty:
        failures = inputs.inspection_failures
        parts.append(
            pd.DataFrame(
                {
                    "kind": _tr("kind.inspection", language),
                    "severity": failures.get("severity", 3),
                    "date": failures["inspected_on"],
                    "supplier_id": failures.get("supplier_id"),
                    "supplier_name": failures.get("supplier_name"),
                    "sku": failures.get("sku"),
                    "reference": failures["shipment_id"],
                    "counterfeit_suspect": failures["counterfeit_units"] > 0,
                    "text": _inspection_texts(failures, language),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=[c.name for c in EVIDENCE_COLUMNS])
    rows = _one_supplier_per_row(pd.concat(parts, ignore_index=True), inputs)
    rows["severity"] = pd.to_numeric(rows["severity"], errors="coerce").fillna(1).astype("int64")
    return rows.sort_values(
        ["severity", "counterfeit_suspect", "date", "reference", "share", "supplier_id"],
        ascending=[False, False, False, True, False, True],
        kind="stable",
    ).reset_index(drop=True)


_ATTRIBUTED_KINDS = {"kind.review": "reviews", "kind.complaint": "complaints"}


def _one_supplier_per_row(rows: pd.DataFrame, inputs: RiskReportInputs) -> pd.DataFrame:
    """Each review or complaint shared between suppliers (attributed by SKU share) as one row
    per supplier with its share, so that a filter on the supplier finds all its evidence."""
    rows = rows.assign(share=1.0)
    attribution = inputs.attribution
    if attribution is None or attribution.empty:
        return rows
    language = inputs.language
    table = rows["kind"].map({_tr(k, language): t for k, t in _ATTRIBUTED_KINDS.items()})
    links = attribution.rename(
        columns={"item_id": "reference", "supplier_id": "_supplier", "weight": "_weight"}
    )[["table", "reference", "_supplier", "_weight"]]
    links = links[links["reference"].isin(rows["reference"])]  # (a big night's: a few rows)
    keyed = rows.assign(table=table, _row=np.arange(len(rows)))
    joined = keyed.merge(links, on=["table", "reference"], how="left", sort=False)
    found = joined["_supplier"].notna()
    joined.loc[found, "supplier_id"] = joined.loc[found, "_supplier"]
    joined.loc[found, "share"] = joined.loc[found, "_weight"].astype("float64")
    if inputs.scores is not None and "supplier_name" in inputs.scores.columns:
        names = inputs.scores.set_index("supplier_id")["supplier_name"]
        joined.loc[found, "supplier_name"] = joined.loc[found, "supplier_id"].map(names)
    joined = joined.sort_values("_row", kind="stable")
    return joined.drop(columns=["table", "_row", "_supplier", "_weight"]).reset_index(drop=True)


DOCUMENT_COLUMNS = (
    Column("supplier_id"),
    Column("supplier_name"),
    Column("brand"),
    Column("doc_type"),
    Column("status"),
    Column("units_affected", "int"),
    Column("value_affected", "money"),
)

HOLD_COLUMNS = (
    Column("supplier_id"),
    Column("supplier_name"),
    Column("shipment_id"),
    Column("sku"),
    Column("brand"),
    Column("received_on", "date"),
    Column("quantity", "int", "units_affected"),
    Column("proof_missing", "wrap"),
    Column("proof_expired", "wrap"),
    Column("received_without_check", "bool"),
)

COMPLAINT_COLUMNS = (
    Column("complaint_id"),
    Column("platform", "platform"),
    Column("complaint_type"),
    Column("sku"),
    Column("opened_on", "date"),
    Column("due_on", "date"),
    Column("days_left", "days_left"),
    Column("deadline_source", "deadline_source"),
    Column("evidence_status", "evidence_status"),
    Column("missing_evidence", "wrap"),
    Column("shipment_ids", "wrap"),
    Column("supplier_ids"),
    Column("supplier_names", "wrap"),
    Column("supplier_contact", "wrap"),
    Column("documents_on_file", "wrap"),
    Column("signals", "wrap"),
    Column("buyer"),
    Column("description", "wrap"),
)

APPEAL_COLUMNS = (
    Column("complaint_id"),
    Column("platform", "platform"),
    Column("complaint_type"),
    Column("sku"),
    Column("opened_on", "date"),
    Column("closed_on", "date"),
    Column("compensation", "money"),
    Column("shipment_ids", "wrap"),
    Column("supplier_ids"),
    Column("documents_on_file", "wrap"),
)

PLAN_COLUMNS = (
    Column("shipment_id"),
    Column("supplier_id"),
    Column("sku"),
    Column("lot_size", "int"),
    Column("inspection_level"),
    Column("severity", label_key="inspection_severity", words="severity"),
    Column("aql"),
    Column("code_letter"),
    Column("sample_size", "int"),
    Column("acceptance_number", "int"),
    Column("rejection_number", "int"),
    Column("reason", "wrap"),
)

RESULT_COLUMNS = (
    Column("inspected_on", "date"),
    Column("shipment_id"),
    Column("supplier_id"),
    Column("sku"),
    Column("sample_size", "int"),
    Column("critical_defects", "int"),
    Column("major_defects", "int"),
    Column("minor_defects", "int"),
    Column("counterfeit_units", "int"),
)


def write_risk_report(inputs: RiskReportInputs, path: Path) -> Path:
    """Write the purchaser's workbook to ``path`` (the caller writes it into a staging folder)."""
    language = inputs.language
    book = Workbook(write_only=True)
    deferred: list[Callable[[], None]] = []
    _summary(book, inputs, deferred)
    if inputs.open_complaints is not None:
        # The desk's sheet comes right after the Summary: the worst day starts with a ticket.
        _table(
            book,
            _tr("sheet.complaints", language),
            _complaint_words(inputs.open_complaints, language),
            COMPLAINT_COLUMNS,
            language,
            max_rows=inputs.max_evidence_rows,
            capped_note="complaints_capped_note",
        )
    if inputs.appeals is not None and not inputs.appeals.empty:
        _table(
            book,
            _tr("sheet.appeals", language),
            _complaint_words(inputs.appeals, language),
            APPEAL_COLUMNS,
            language,
        )
    if inputs.scores is not None and not inputs.scores.empty:
        _table(
            book,
            _tr("sheet.suppliers", language),
            ranked_by_risk(inputs.scores),
            SUPPLIER_COLUMNS,
            language,
            bars=("counterfeit_risk", "quality_risk"),
        )
    evidence = evidence_rows(inputs)
    if not evidence.empty:
        _table(
            book,
            _tr("sheet.evidence", language),
            evidence,
            EVIDENCE_COLUMNS,
            language,
            highlight=("text", "spans"),
            max_rows=inputs.max_evidence_rows,
        )
    if inputs.evidence_gaps is not None:
        _table(
            book, _tr("sheet.documents", language), inputs.evidence_gaps, DOCUMENT_COLUMNS, language
        )
    if inputs.lots_to_hold is not None and not inputs.lots_to_hold.empty:
        _table(
            book, _tr("sheet.lots_to_hold", language), inputs.lots_to_hold, HOLD_COLUMNS, language
        )
    if inputs.inspection_plan is not None or inputs.recent_inspections is not None:
        _inspections(book, inputs)
    _data_quality(book, inputs)
    _run_info(book, inputs)
    for finish in deferred:
        finish()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_write_only(book, path)
    return path


def _complaint_words(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """The complaint type in words (platform, deadline source and status are worded by their
    cells)."""
    kinds = frame["complaint_type"].astype("string")
    worded = frame.assign(
        complaint_type=kinds.map(lambda k: _tr(f"complaint_type.{k}", language)).astype(object)
    )
    # pandas' NA is no blank to openpyxl: missing texts become empty cells.
    return worded.astype(object).where(worded.notna(), None)


def _inspections(book: Workbook, inputs: RiskReportInputs) -> None:
    language = inputs.language
    plan = inputs.inspection_plan if inputs.inspection_plan is not None else pd.DataFrame()
    _table(book, _tr("sheet.inspections", language), plan, PLAN_COLUMNS, language)
    results = inputs.recent_inspections
    if results is None or results.empty:
        return
    # a sheet of its own: printed, each table repeats its own header on every page
    _table(book, _tr("sheet.recent_results", language), results, RESULT_COLUMNS, language)
