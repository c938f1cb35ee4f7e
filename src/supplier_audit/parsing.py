"""Reading cell values the way merchants type them, vectorised over whole columns.

Every ``parse_*`` parser takes a column of text cells (or NA) and returns the typed values plus
the reasons for the cells that could not be read (only those rows). A cell that cannot be read
becomes NA in the values and gets a human-readable reason naming the column and the original
value. The ``*_values`` parsers take a column already typed (from Parquet): values that satisfy
the contract as stored are taken directly, and only the others are read as text, so a typed
value gets exactly the value and the reason its text would get.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
# Canonical ISO dates and date-times, read by position without a regex per cell; every other
# spelling goes through _DATE. RE2 (pyarrow) syntax: [0-9] is ASCII only, as intended.
_ISO_DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ISO_SECOND = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}$"
_ISO_FIELDS = (("year", 0, 4), ("month", 5, 7), ("day", 8, 10))
_ISO_TIME_FIELDS = (("hour", 11, 13), ("minute", 14, 16), ("second", 17, 19))
_DATE_FIELDS = ("year", "month", "day", "hour", "minute", "second")
# Years whose timestamps every step below holds exactly (nanosecond range, with a margin for
# a zone shift); stored values outside it are read as their text instead.
_SAFE_YEARS = (1679, 2260)
# A zone offset a written time can carry (_DATE refuses 15 hours or more).
_LARGEST_OFFSET = pd.Timedelta(hours=15)

# pandas' default text dtype ("str"): Arrow storage, NaN for an empty cell.
_ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)

# Renders the stored values of the given rows as the text a person sees (see io.cell_texts).
AsText = Callable[[pd.Index], pd.Series]


@dataclass(frozen=True)
class Parsed:
    """Typed values of one column and, per row, why a cell could not be read ('' if it could)."""

    values: pd.Series
    # Only the rows whose cell could not be read, each with its reason.
    problems: pd.Series


def normalise_cells(cells: pd.Series) -> pd.Series:
    """NFKC (full-width digits and letters to ASCII), trimmed; empty text becomes NA."""
    text = cells.astype("str").str.normalize("NFKC").str.strip()
    return text.where(cells.notna() & (text != ""), None)


def _problems(cells: pd.Series, failed: pd.Series, template: str, column: str) -> pd.Series:
    """Reason text for the rows where ``failed`` (only those): template with {column}, {value}."""
    head, _, tail = template.partition("{value}")
    shown = cells[failed.to_numpy(dtype=bool)]
    message = head.format(column=column) + shown.astype("str") + tail.format(column=column)
    return message.astype(object)


def _no_problems(index: pd.Index) -> pd.Series:
    return pd.Series([], index=index[:0], dtype=object)


def _merged(first: Parsed, rest: Parsed, rest_rows: pd.Index) -> Parsed:
    """``first`` with the rows ``rest_rows`` replaced by ``rest`` (parsed from their text)."""
    if not len(rest_rows):
        return first
    values = first.values.copy()
    values.loc[rest_rows] = rest.values.loc[rest_rows].to_numpy()
    problems = pd.concat([first.problems.drop(rest_rows, errors="ignore"), rest.problems])
    return Parsed(values, problems.sort_index().astype(object))


def parse_text(cells: pd.Series, *, strip: bool = True) -> Parsed:
    """Free text and ids: kept exactly (ids never become numbers), empty -> NA."""
    if cells.dtype == _ARROW_TEXT:
        return Parsed(_clean_arrow_text(cells, strip=strip), _no_problems(cells.index))
    text = cells.astype("str")
    if strip:
        text = text.str.strip()
    values = text.where(cells.notna() & (text != ""), None).astype("str")
    return Parsed(values, _no_problems(cells.index))


def _clean_arrow_text(cells: pd.Series, *, strip: bool) -> pd.Series:
    """`parse_text` of Arrow-backed text, copying the column only when a cell changes."""
    strings = pa.array(cells.array)
    changed = False
    if strip:
        trimmed = pc.utf8_trim_whitespace(strings)
        if pc.any(pc.not_equal(pc.binary_length(trimmed), pc.binary_length(strings))).as_py():
            strings, changed = trimmed, True
        del trimmed
    empty = pc.equal(pc.binary_length(strings), 0)
    if pc.any(empty).as_py():
        strings, changed = pc.if_else(empty, pa.scalar(None, strings.type), strings), True
    if not changed:
        return cells
    return pd.Series(pd.array(strings, dtype=_ARROW_TEXT), index=cells.index)


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
    # The three kinds of failure never overlap.
    problems = pd.concat(
        [
            _problems(cells, fractional, "{column} '{value}' is not a whole number", column),
            _problems(cells, not_number, "{column} '{value}' is not a number", column),
            _problems(cells, too_large, "{column} '{value}' is too large", column),
        ]
    ).sort_index()
    return Parsed(numbers.astype("Int64"), problems.astype(object))


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
    # A column holds few distinct values: read each once.
    codes, distinct = pd.factorize(cells, use_na_sentinel=True)
    text = normalise_cells(pd.Series(np.asarray(distinct, dtype=object), dtype=object))
    keys = text.str.casefold().str.replace(r"[\s\-]+", "_", regex=True)
    mapped_once = keys.map(lookup)
    failed_once = (text.notna() & mapped_once.isna()).to_numpy(dtype=bool)
    present = codes >= 0
    mapped = np.full(len(cells), np.nan, dtype=object)
    mapped[present] = mapped_once.to_numpy(dtype=object)[codes[present]]
    failed = np.zeros(len(cells), dtype=bool)
    failed[present] = failed_once[codes[present]]
    listed = ", ".join(allowed)
    return Parsed(
        pd.Series(mapped, index=cells.index, dtype=object).astype("str"),
        _problems(
            cells,
            pd.Series(failed, index=cells.index),
            "{column} '{value}' is not one of: " + listed,
            column,
        ),
    )


def parse_currency(cells: pd.Series, column: str, *, default: str) -> Parsed:
    """A 3-letter currency code, upper-cased; empty means the configured default."""
    text = normalise_cells(cells).str.upper()
    text = text.replace({"RMB": "CNY", "人民币": "CNY", "元": "CNY"})
    values = text.where(text.notna(), default).astype("str")
    return Parsed(values, _no_problems(cells.index))


def _iso_fields(text: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Year..second of canonical ISO cells (2026-11-03, 2026-11-03 10:00:00), read by position.

    Returns float fields (NaN elsewhere) and which cells were canonical.
    """
    fields = pd.DataFrame(np.nan, index=text.index, columns=list(_DATE_FIELDS))
    strings = pa.array(text.astype("str").array)
    day_only = pc.fill_null(pc.match_substring_regex(strings, _ISO_DAY), False)
    with_time = pc.fill_null(pc.match_substring_regex(strings, _ISO_SECOND), False)
    canonical = pc.or_(day_only, with_time)
    if not pc.any(canonical).as_py():
        return fields, np.zeros(len(text), dtype=bool)
    empty = pa.scalar(None, strings.type)
    for names, hits in ((_ISO_FIELDS, canonical), (_ISO_TIME_FIELDS, with_time)):
        for name, begin, stop in names:
            digits = pc.if_else(hits, pc.utf8_slice_codeunits(strings, begin, stop), empty)
            number = pc.cast(digits, pa.float64()).to_numpy(zero_copy_only=False)
            fields[name] = np.asarray(number, dtype=np.float64)
    return fields, canonical.to_numpy(zero_copy_only=False).astype(bool)


def _date_parts(text: pd.Series, *, excel_serial: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Year..second columns for every readable date; and which cells were ambiguous.

    Canonical ISO cells are read by position; only the others go through the regexes.
    """
    numeric, canonical = _iso_fields(text)
    zone = pd.Series(np.nan, index=text.index, dtype=object)
    ambiguous = pd.Series(False, index=text.index)
    others = text.notna().to_numpy(dtype=bool) & ~canonical
    if others.any():
        rest = text[others]
        parts = rest.str.extract(_DATE)
        compact = rest.str.extract(_COMPACT_DATE)
        use_compact = parts["year"].isna() & compact["year"].notna()
        for name in ("year", "month", "day"):
            parts[name] = parts[name].where(~use_compact, compact[name])
        found = parts[list(_DATE_FIELDS)].apply(pd.to_numeric, errors="coerce")
        serial = (
            excel_serial[others]
            & parts["year"].isna()
            & rest.str.fullmatch(_EXCEL_SERIAL).fillna(False).astype(bool)
        )
        if serial.any():
            days = pd.to_numeric(rest.where(serial), errors="coerce")
            stamps = _EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
            stamps = stamps.dt.round("s")
            for name in _DATE_FIELDS:
                found[name] = found[name].where(~serial, getattr(stamps.dt, name))
        for name in _DATE_FIELDS:
            numeric.loc[others, name] = found[name].astype("float64").to_numpy()
        zone.loc[others] = parts["zone"].to_numpy()
        ambiguous.loc[others] = rest.str.fullmatch(_AMBIGUOUS_DATE).fillna(False).to_numpy(bool)
    # 25:00 or a zone of -99:99 would otherwise roll silently into another day: not a time.
    impossible = (numeric["hour"] > 23) | (numeric["minute"] > 59) | (numeric["second"] > 59)
    zoned = zone.notna()
    if zoned.any():
        zones = zone[zoned].astype("str")
        zone_hours = pd.to_numeric(zones.str[1:3], errors="coerce")
        zone_minutes = pd.to_numeric(
            zones.str.replace(":", "", regex=False).str[3:5], errors="coerce"
        )
        bad_zone = (zone_hours > 14) | (zone_minutes > 59)
        impossible = impossible | bad_zone.reindex(impossible.index, fill_value=False)
    numeric.loc[impossible, "year"] = np.nan
    numeric["zone"] = zone.where(zone.notna(), np.nan)
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
    problems = pd.concat(
        [
            _problems(
                cells,
                unclear,
                "{column} '{value}' is ambiguous (day and month order unknown); "
                "write it as 2026-11-03",
                column,
            ),
            _problems(
                cells,
                unreadable,
                "{column} '{value}' is not a date (write it as 2026-11-03)",
                column,
            ),
        ]
    )
    ordered: pd.Series = problems.sort_index().astype(object)
    return ordered


# ---------------------------------------------------------------------------------------------
# Columns already typed (Parquet)


def _from_text(
    values: pd.Series, direct: np.ndarray, as_text: AsText, read: Callable[[pd.Series], Parsed]
) -> tuple[pd.Index, Parsed | None]:
    """Read the rows not taken directly from their text; return those rows and the result."""
    rest_rows = values.index[~direct]
    if not len(rest_rows):
        return rest_rows, None
    texts = as_text(rest_rows)
    return rest_rows, read(pd.Series(texts.to_numpy(), index=rest_rows, dtype=object))


def _with_text_rest(
    values: pd.Series,
    direct: np.ndarray,
    taken: pd.Series,
    as_text: AsText,
    read: Callable[[pd.Series], Parsed],
) -> Parsed:
    first = Parsed(taken, _no_problems(values.index))
    rest_rows, rest = _from_text(values, direct, as_text, read)
    return first if rest is None else _merged(first, rest, rest_rows)


def _exact_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values of a stored number column, and where they equal what their text reads as.

    Integers up to 2**53; whole floats below 1e15 (written without a decimal point); other
    floats from 1e-4 to 1e15 (written without an exponent); empty cells.
    """
    raw = values.to_numpy()
    if raw.dtype.kind in "iu":
        limit = _LARGEST_EXACT_INTEGER
        direct = (raw <= limit) & ((raw >= -limit) if raw.dtype.kind == "i" else True)
        return raw.astype(np.float64), np.asarray(direct, dtype=bool)
    numbers = raw.astype(np.float64)
    size = np.abs(numbers)
    with np.errstate(invalid="ignore"):
        whole = numbers == np.floor(numbers)
        direct = np.isnan(numbers) | ((size < 1e15) & (whole | (size >= 1e-4)))
    # -0.0 reads as '0'.
    return numbers + 0.0, direct


def parse_int_values(values: pd.Series, column: str, *, as_text: AsText) -> Parsed:
    """Whole numbers from a stored integer or float column (see `parse_int`)."""
    numbers, direct = _exact_numbers(values)
    if values.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            direct &= np.isnan(numbers) | (numbers == np.floor(numbers))
    taken = pd.Series(np.where(direct, numbers, np.nan), index=values.index).astype("Int64")
    return _with_text_rest(values, direct, taken, as_text, lambda t: parse_int(t, column))


def parse_decimal_values(values: pd.Series, column: str, *, as_text: AsText) -> Parsed:
    """Prices and money from a stored integer or float column (see `parse_decimal`)."""
    numbers, direct = _exact_numbers(values)
    taken = pd.Series(np.where(direct, numbers, np.nan), index=values.index, dtype="float64")
    return _with_text_rest(values, direct, taken, as_text, lambda t: parse_decimal(t, column))


def _safe_stamps(stamps: pd.Series) -> np.ndarray:
    """Where a stored timestamp is empty or in the years every step holds exactly."""
    years = stamps.dt.year
    return np.asarray(
        stamps.isna() | ((years >= _SAFE_YEARS[0]) & (years <= _SAFE_YEARS[1])), dtype=bool
    )


def _written_offset_ok(stamps: pd.Series) -> np.ndarray:
    """Where an instant's zone offset is one a written time can carry (whole minutes, < 15 h)."""
    offset = stamps.dt.tz_localize(None) - stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    fine = (offset.abs() < _LARGEST_OFFSET) & (offset % pd.Timedelta(minutes=1) == pd.Timedelta(0))
    return np.asarray(fine | stamps.isna(), dtype=bool)


def parse_date_values(values: pd.Series, column: str, *, as_text: AsText) -> Parsed:
    """Calendar dates from a stored date or timestamp column (see `parse_date`).

    A time of day is dropped; an instant with a zone gives its date in that zone, as its text
    (2026-11-03 23:30:00+0800) does.
    """
    stamps = values
    direct = np.ones(len(values), dtype=bool)
    if getattr(values.dt, "tz", None) is not None:
        direct &= _written_offset_ok(values)
        stamps = values.dt.tz_localize(None)
    direct &= _safe_stamps(stamps)
    taken = stamps.dt.normalize().where(direct).astype("datetime64[us]")
    serial = pd.Series(False, index=values.index)
    return _with_text_rest(
        values,
        direct,
        taken,
        as_text,
        lambda t: parse_date(t, column, excel_serial=serial.loc[t.index]),
    )


def parse_datetime_values(
    values: pd.Series, column: str, *, as_text: AsText, zone: ZoneInfo
) -> Parsed:
    """Local date-times from a stored timestamp column (see `parse_datetime`).

    Seconds are kept (fractions dropped, as in the text); an instant with a zone is converted
    to the configured zone.
    """
    direct = np.ones(len(values), dtype=bool)
    if getattr(values.dt, "tz", None) is not None:
        direct &= _written_offset_ok(values)
        utc = values.dt.tz_convert("UTC")
        direct &= _safe_stamps(utc.dt.tz_localize(None))
        local = utc.dt.floor("s").dt.tz_convert(zone).dt.tz_localize(None)
    else:
        direct &= _safe_stamps(values)
        local = values.dt.floor("s")
    taken = local.where(direct).astype("datetime64[us]")
    serial = pd.Series(False, index=values.index)
    return _with_text_rest(
        values,
        direct,
        taken,
        as_text,
        lambda t: parse_datetime(t, column, excel_serial=serial.loc[t.index], zone=zone),
    )


def parse_bool_values(
    values: pd.Series,
    column: str,
    *,
    as_text: AsText,
    truthy: list[str],
    falsy: list[str],
    default: bool,
) -> Parsed:
    """Yes/no flags from a stored boolean column (true/false, as its text reads)."""
    if "true" in {t.casefold() for t in truthy} and "false" in {f.casefold() for f in falsy}:
        return Parsed(values.astype(bool), _no_problems(values.index))
    direct = np.zeros(len(values), dtype=bool)
    return _with_text_rest(
        values,
        direct,
        values.astype(bool),
        as_text,
        lambda t: parse_bool(t, column, truthy=truthy, falsy=falsy, default=default),
    )


def end_of_day(day: dt.date) -> pd.Timestamp:
    """The first instant after ``day`` (local): datetimes must be before it."""
    return pd.Timestamp(day) + pd.Timedelta(days=1)
