"""Reading dates and date-times as merchants type them (2026-11-03, 2026年11月3日, Excel serials),
vectorised, with a reason for every cell that cannot be a date.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.ingest.values import AsText, Parsed, _problems, _with_text_rest, normalise_cells

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


def end_of_day(day: dt.date) -> pd.Timestamp:
    """The first instant after ``day`` (local): datetimes must be before it."""
    return pd.Timestamp(day) + pd.Timedelta(days=1)
