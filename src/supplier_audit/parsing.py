"""Reading cell values the way merchants type them, vectorised over whole columns.

Every parser takes a column of text cells (or NA) and returns the typed values plus a column of
reasons (empty where the cell was read). A cell that cannot be read becomes NA in the values and
a human-readable reason naming the column and the original value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from supplier_audit.io import normalise_label

# ISO-like dates as merchants type them: 2026-11-03, 2026/11/3, 2026.11.3, 2026年11月3日,
# optionally followed by a time and a zone.
_DATE = (
    r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:(?:\s+|T)(?P<hour>\d{1,2})[:：](?P<minute>\d{2})(?:[:：](?P<second>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)
_COMPACT_DATE = r"^(?P<year>(?:19|20)\d{2})(?P<month>\d{2})(?P<day>\d{2})$"
# 03/11/2026 may be 3 November or 11 March: never guessed.
_AMBIGUOUS_DATE = r"^\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}$"
_EXCEL_SERIAL = r"^\d{1,6}(?:\.\d+)?$"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_INTEGER = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?$"
_DECIMAL = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$"
_CURRENCY_MARKS = r"^[¥$€£]\s*|\s*(?:元|rmb|cny)$"
_LARGEST_EXACT_INTEGER = 2**53


@dataclass(frozen=True)
class Parsed:
    """Typed values of one column and, per row, why a cell could not be read ('' if it could)."""

    values: pd.Series
    problems: pd.Series


def normalise_cells(cells: pd.Series) -> pd.Series:
    """NFKC (full-width digits and letters to ASCII), trimmed; empty text becomes NA."""
    text = cells.astype("str").str.normalize("NFKC").str.strip()
    return text.where(cells.notna() & (text != ""), None)


def _problems(cells: pd.Series, failed: pd.Series, template: str, column: str) -> pd.Series:
    """Per-row reason text where ``failed``: template with {column} and {value}."""
    head, _, tail = template.partition("{value}")
    message = head.format(column=column) + cells.astype("str") + tail.format(column=column)
    return message.where(failed, "").astype(object)


def _no_problems(index: pd.Index) -> pd.Series:
    return pd.Series("", index=index, dtype=object)


def parse_text(cells: pd.Series, *, strip: bool = True) -> Parsed:
    """Free text and ids: kept exactly (ids never become numbers), empty -> NA."""
    text = cells.astype("str")
    if strip:
        text = text.str.strip()
    values = text.where(cells.notna() & (text != ""), None).astype("str")
    return Parsed(values, _no_problems(cells.index))


def parse_int(cells: pd.Series, column: str) -> Parsed:
    """Whole numbers: '1,200', full-width '１２００', '1200.0' from a workbook."""
    text = normalise_cells(cells)
    ok = text.str.fullmatch(_INTEGER).fillna(False).astype(bool)
    digits = text.where(ok).str.replace(",", "", regex=False).str.replace(r"\.0+$", "", regex=True)
    numbers = pd.to_numeric(digits, errors="coerce")
    # Past 2**53 a float no longer holds every whole number (and past 2**63 the cast to Int64
    # fails): no lot size or rating is that large, so such a cell is a typo, not a count.
    too_large = numbers.abs() > _LARGEST_EXACT_INTEGER
    numbers = numbers.where(~too_large)
    fractional = text.notna() & ~ok & text.str.fullmatch(_DECIMAL).fillna(False).astype(bool)
    # Digits NFKC leaves alone (e.g. Arabic-Indic ٣) match the pattern but are no number.
    not_number = text.notna() & ((~ok & ~fractional) | (ok & numbers.isna() & ~too_large))
    problems = _problems(cells, fractional, "{column} '{value}' is not a whole number", column)
    problems = problems.where(
        ~not_number, _problems(cells, not_number, "{column} '{value}' is not a number", column)
    )
    problems = problems.where(
        ~too_large, _problems(cells, too_large, "{column} '{value}' is too large", column)
    )
    return Parsed(numbers.astype("Int64"), problems)


def parse_decimal(cells: pd.Series, column: str) -> Parsed:
    """Prices and money: '1,200.50', '¥12.5', '12.5元', full-width digits."""
    text = normalise_cells(cells)
    bare = text.str.lower().str.replace(_CURRENCY_MARKS, "", regex=True).str.strip()
    ok = bare.str.fullmatch(_DECIMAL).fillna(False).astype(bool)
    numbers = pd.to_numeric(bare.where(ok).str.replace(",", "", regex=False), errors="coerce")
    failed = text.notna() & (~ok | numbers.isna())
    return Parsed(
        numbers.astype("float64"),
        _problems(cells, failed, "{column} '{value}' is not a number", column),
    )


def parse_bool(
    cells: pd.Series, column: str, *, truthy: list[str], falsy: list[str], default: bool
) -> Parsed:
    """Yes/no flags: true/false, 1/0, Y/N, yes/no, 是/否 (and configured aliases)."""
    text = normalise_cells(cells).str.casefold()
    mapping = {t.casefold(): True for t in truthy} | {f.casefold(): False for f in falsy}
    mapped = text.map(mapping)
    failed = text.notna() & mapped.isna()
    values = mapped.where(mapped.notna(), default).astype(bool)
    return Parsed(
        values,
        _problems(
            cells, failed, "{column} '{value}' is not yes/no (use 是/否, Y/N or true/false)", column
        ),
    )


def parse_enum(
    cells: pd.Series, column: str, *, allowed: tuple[str, ...], aliases: Mapping[str, list[str]]
) -> Parsed:
    """A value from a fixed list, matched case-insensitively, with Chinese aliases."""
    lookup = {normalise_label(v): v for v in allowed}
    for canonical, names in aliases.items():
        for name in names:
            lookup.setdefault(normalise_label(name), canonical)
    text = normalise_cells(cells)
    keys = text.str.casefold().str.replace(r"[\s\-]+", "_", regex=True)
    mapped = keys.map(lookup)
    failed = text.notna() & mapped.isna()
    listed = ", ".join(allowed)
    return Parsed(
        mapped.astype("str"),
        _problems(cells, failed, "{column} '{value}' is not one of: " + listed, column),
    )


def parse_currency(cells: pd.Series, column: str, *, default: str) -> Parsed:
    """A 3-letter currency code, upper-cased; empty means the configured default."""
    text = normalise_cells(cells).str.upper()
    text = text.replace({"RMB": "CNY", "人民币": "CNY", "元": "CNY"})
    values = text.where(text.notna(), default).astype("str")
    return Parsed(values, _no_problems(cells.index))


def _date_parts(text: pd.Series, *, excel_serial: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Year..second columns for every readable date; and which cells were ambiguous."""
    parts = text.str.extract(_DATE)
    compact = text.str.extract(_COMPACT_DATE)
    use_compact = parts["year"].isna() & compact["year"].notna()
    for name in ("year", "month", "day"):
        parts[name] = parts[name].where(~use_compact, compact[name])
    numeric = parts[["year", "month", "day", "hour", "minute", "second"]].apply(
        pd.to_numeric, errors="coerce"
    )
    serial = (
        excel_serial
        & parts["year"].isna()
        & text.str.fullmatch(_EXCEL_SERIAL).fillna(False).astype(bool)
    )
    if serial.any():
        days = pd.to_numeric(text.where(serial), errors="coerce")
        stamps = _EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
        stamps = stamps.dt.round("s")
        for name in ("year", "month", "day", "hour", "minute", "second"):
            numeric[name] = numeric[name].where(~serial, getattr(stamps.dt, name))
    ambiguous = text.str.fullmatch(_AMBIGUOUS_DATE).fillna(False).astype(bool)
    # 25:00 or a zone of -99:99 would otherwise roll silently into another day: not a time.
    zone_hours = pd.to_numeric(parts["zone"].str[1:3], errors="coerce")
    zone_minutes = pd.to_numeric(
        parts["zone"].str.replace(":", "", regex=False).str[3:5], errors="coerce"
    )
    impossible = (
        (numeric["hour"] > 23)
        | (numeric["minute"] > 59)
        | (numeric["second"] > 59)
        | (zone_hours > 14)
        | (zone_minutes > 59)
    )
    numeric.loc[impossible, "year"] = np.nan
    numeric["zone"] = parts["zone"]
    return numeric, ambiguous


def _assemble(numeric: pd.DataFrame, *, with_time: bool) -> pd.Series:
    fields = numeric[["year", "month", "day"]].copy()
    if with_time:
        for name in ("hour", "minute", "second"):
            fields[name] = numeric[name].fillna(0)
    complete = fields.notna().all(axis=1)
    stamps = pd.Series(pd.NaT, index=numeric.index, dtype="datetime64[us]")
    if complete.any():
        stamps.loc[complete] = pd.to_datetime(
            fields.loc[complete].astype("int64"), errors="coerce"
        ).astype("datetime64[us]")
    return stamps


def parse_date(cells: pd.Series, column: str, *, excel_serial: pd.Series) -> Parsed:
    """Calendar dates; a time part, if any, is dropped. Day/month order is never guessed."""
    text = normalise_cells(cells)
    numeric, ambiguous = _date_parts(text, excel_serial=excel_serial)
    stamps = _assemble(numeric, with_time=False)
    return Parsed(stamps, _date_problems(cells, text, stamps, ambiguous, column))


def parse_datetime(
    cells: pd.Series, column: str, *, excel_serial: pd.Series, zone: ZoneInfo
) -> Parsed:
    """Local date-times in the configured zone; a written zone (Z, +08:00) is converted."""
    text = normalise_cells(cells)
    numeric, ambiguous = _date_parts(text, excel_serial=excel_serial)
    stamps = _assemble(numeric, with_time=True)
    zoned = numeric["zone"].notna() & stamps.notna()
    if zoned.any():
        offsets = numeric["zone"].where(zoned).str.replace(":", "", regex=False)
        sign = np.where(offsets.str.startswith("-"), -1, 1)
        hours = pd.to_numeric(offsets.str[1:3], errors="coerce").fillna(0)
        minutes = pd.to_numeric(offsets.str[3:5], errors="coerce").fillna(0)
        minutes_east = pd.Series(sign * (hours * 60 + minutes), index=stamps.index).where(
            offsets != "Z", 0
        )
        utc = stamps[zoned] - pd.to_timedelta(minutes_east[zoned], unit="min")
        local = utc.dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
        stamps.loc[zoned] = local.astype("datetime64[us]")
    return Parsed(stamps, _date_problems(cells, text, stamps, ambiguous, column))


def _date_problems(
    cells: pd.Series, text: pd.Series, stamps: pd.Series, ambiguous: pd.Series, column: str
) -> pd.Series:
    failed = text.notna() & stamps.isna()
    unclear = failed & ambiguous
    unreadable = failed & ~ambiguous
    problems = _problems(
        cells,
        unclear,
        "{column} '{value}' is ambiguous (day and month order unknown); write it as 2026-11-03",
        column,
    )
    other = _problems(
        cells, unreadable, "{column} '{value}' is not a date (write it as 2026-11-03)", column
    )
    return problems.where(~unreadable, other)


def end_of_day(day: dt.date) -> pd.Timestamp:
    """The first instant after ``day`` (local): datetimes must be before it."""
    return pd.Timestamp(day) + pd.Timedelta(days=1)
