"""A column of the risk report's tables and how its values become cells: words for keys, tiers
in their colours, deadlines in red, evidence statuses in their fonts, numbers in their formats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from openpyxl.styles import Alignment, Font, PatternFill

from supplier_audit.reporting.cells import CellStyle, clean_text, is_blank, plain_value
from supplier_audit.reporting.labels import label

TIER_COLOURS = {"critical": "C00000", "high": "FF7F27", "medium": "FFD966", "low": "A9D08E"}
TIER_TEXT_COLOURS = {"critical": "FFFFFF", "high": "FFFFFF", "medium": "000000", "low": "000000"}
WRAP = Alignment(wrap_text=True, vertical="top")
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


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the frame's column, its label key and its kind."""

    name: str
    kind: str = "text"  # text, wrap, score, int, money, percent, change, date, datetime, tier, bool
    label_key: str | None = None
    # values are keys with words under this prefix ("channel" -> channel.wholesaler); several
    # keys may be joined by ";" (review categories)
    words: str | None = None


class StyleBook(Protocol):
    """Where a cell maker gets its styles: each named style registered once per sheet."""

    def style(self, key: str, **style: Any) -> CellStyle: ...


def translated(key: str, language: str) -> str:
    return label(key, language)


def tier_word(tier: object, language: str) -> str:
    return "" if is_blank(tier) or not str(tier) else translated(f"tier.{tier}", language)


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
SMALL_NUMBER = 1000


def cell_maker(sheet: StyleBook, column: Column, language: str) -> Callable[[Any], Any]:
    """What turns a value of this column into a table cell's value for :func:`stream_rows`,
    styled by the column's kind: plain text and numbers as themselves, styled values with a
    style registered once per sheet (:class:`CellStyle`)."""
    kind = column.kind
    if column.words is not None:
        return _word_cells(column.words, language)
    if kind == "tier":
        return _tier_cells(sheet, language)
    if kind == "days_left":
        return _days_left_cells(sheet)
    if kind in ("evidence_status", "platform", "deadline_source"):
        return _status_cells(sheet, kind, language)
    if kind == "bool":
        yes, no = translated("yes", language), translated("no", language)
        return lambda value: clean_text("" if is_blank(value) else yes if value else no)
    if kind == "text":
        return lambda value: None if is_blank(value) else clean_text(value)
    if kind == "wrap":
        wrap = sheet.style("wrap", alignment=WRAP)
        return lambda value: None if is_blank(value) else wrap(clean_text(value))
    return _number_cells(sheet, kind)


def _word_cells(prefix: str, language: str) -> Callable[[Any], Any]:
    """ ";"-separated keys as their words, joined as the language lists them."""
    joiner = "、" if language == "zh" else ", "

    def word_cell(value: Any) -> Any:
        if is_blank(value) or not str(value):
            return None
        keys = [k for k in str(value).split(";") if k]
        return clean_text(joiner.join(translated(f"{prefix}.{k}", language) for k in keys))

    return word_cell


def _tier_cells(sheet: StyleBook, language: str) -> Callable[[Any], Any]:
    """A tier in words, filled in its colour."""

    def tier_cell(value: Any) -> Any:
        tier = "" if is_blank(value) else str(value)
        style = sheet.style(
            f"tier:{tier}",
            fill=_TIER_FILLS.get(tier, _NO_FILL),
            font=_TIER_FONTS.get(tier, _PLAIN_BOLD),
        )
        return style(clean_text(tier_word(tier, language)))

    return tier_cell


def _days_left_cells(sheet: StyleBook) -> Callable[[Any], Any]:
    """Days left to a deadline: overdue in red, two days or fewer marked."""
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


def _status_cells(sheet: StyleBook, kind: str, language: str) -> Callable[[Any], Any]:
    """A status key in words; an evidence status in its font."""
    styles = {
        status: sheet.style(f"{kind}:{status}", font=font)
        for status, font in _EVIDENCE_FONTS.items()
    }

    def status_cell(value: Any) -> Any:
        if is_blank(value):
            return None
        text = clean_text(translated(f"{kind}.{value}", language))
        style = styles.get(str(value)) if kind == "evidence_status" else None
        return style(text) if style is not None else text

    return status_cell


def _number_cells(sheet: StyleBook, kind: str) -> Callable[[Any], Any]:
    """A number in the kind's format (small plain integers as themselves)."""
    number_format = (
        sheet.style(f"format:{kind}", number_format=FORMATS[kind]) if kind in FORMATS else None
    )

    def value(value: Any) -> Any:
        plain = isinstance(value, int | float)  # (a numpy integer is not: it gets the format)
        made = plain_value(value)
        if made is None or number_format is None:
            return made
        if kind == "int" and plain and isinstance(made, int | float) and abs(made) < SMALL_NUMBER:
            return made
        return number_format(made)

    return value
