"""Cells as text: decoding bytes (UTF-8, GB18030), rendering typed values as a person sees them,
removing control characters that a workbook cannot hold.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from supplier_audit.contracts.inputs import TableSpec
from supplier_audit.ingest.errors import InputError

# Excel's own cap on worksheet rows (and so on a CSV a person can open).
_UTF8_TOLERATED_BAD_BYTE_SHARE = 0.02


def is_text_column(series: pd.Series) -> bool:
    """Whether a column of cells holds text (str or object) rather than stored typed values."""
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)


def decode_text(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM) or GB18030, without being told which.

    A UTF-8 file with a few stray bytes is read as UTF-8 with U+FFFD in their place (the rows
    holding them are quarantined later), rather than mis-read wholesale as GB18030.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig (with undecodable bytes)"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(path, "unreadable encoding: UTF-16 marker but bad bytes") from exc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    non_ascii = int(np.count_nonzero(np.frombuffer(raw, dtype=np.uint8) >= 0x80))
    replaced = raw.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd")
    if non_ascii and bad / non_ascii <= _UTF8_TOLERATED_BAD_BYTE_SHARE:
        return replaced, "utf-8 (with undecodable bytes)"
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            "unreadable encoding: the file is neither UTF-8 nor GB18030/GBK text "
            "(save it from Excel as 'CSV UTF-8' and try again)",
        ) from exc


def _cell_text(value: object) -> object:
    """A workbook or parquet cell as the text a person sees; None when empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | pd.Timestamp):
        if value.hour == value.minute == value.second == 0 and not value.microsecond:
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def datetime_text_format(series: pd.Series) -> str:
    """How a timestamp column reads as text: a date alone unless some value has a time of day.

    An instant with a zone keeps its offset, so that it is converted to local time.
    """
    if getattr(series.dt, "tz", None) is not None:
        return "%Y-%m-%d %H:%M:%S%z"
    present = series.dropna()
    has_time = bool((present != present.dt.normalize()).any())
    return "%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"


def cell_texts(series: pd.Series, *, time_format: str | None = None) -> pd.Series:
    """A column of stored (Parquet) values as the text a person sees; None where empty.

    Whole floats read as integers ('1200', not '1200.0'), other floats as Python writes them,
    booleans as true/false, timestamps per ``time_format`` (judged on ``series`` when not
    given), anything else as ``str``.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        fmt = time_format or datetime_text_format(series)
        stamps: pd.Series = series.dt.strftime(fmt).astype(object)
        return stamps.where(series.notna(), None)
    if pd.api.types.is_bool_dtype(series):
        return series.map({True: "true", False: "false"}).astype(object)
    if pd.api.types.is_float_dtype(series):
        whole = series.notna() & (series == np.floor(series)) & (series.abs() < 1e15)
        as_text = series.astype(object).where(series.notna(), None)
        as_text = as_text.where(~whole, series.where(whole, 0).astype("int64").astype(str))
        return as_text.map(lambda v: repr(v) if isinstance(v, float) else v)
    if series.dtype.kind in "iu":
        return series.astype(str).astype(object)
    return (
        series.astype(object)
        .where(series.notna(), None)
        .map(lambda v: v if v is None or isinstance(v, str) else str(v))
    )


# Characters that XML 1.0 (and so a workbook cell) cannot hold: the C0 controls other than
# tab, line feed and carriage return. Shop systems' exports carry a stray one now and then.
CONTROL_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f]"


_CONTROL_RE = re.compile(CONTROL_CHARACTERS)


def _without_control_characters(
    cells: pd.DataFrame, spec: TableSpec
) -> tuple[pd.DataFrame, pd.Series]:
    """``cells`` with control characters removed from its text, and for each row touched the
    contract columns that lost one (the row itself stays as valid as it was)."""
    touched: dict[str, np.ndarray] = {}
    for column in spec.column_names:
        if column not in cells.columns or not is_text_column(cells[column]):
            continue
        values = cells[column]
        found = values.astype("str").str.contains(CONTROL_CHARACTERS, regex=True)
        mask = found.fillna(False).to_numpy(dtype=bool) & values.notna().to_numpy(dtype=bool)
        if mask.any():
            touched[column] = mask
    if not touched:
        return cells, pd.Series(dtype=object)
    cleaned = cells.copy()
    for column, mask in touched.items():
        fixed = cleaned.loc[mask, column].astype("str")
        fixed = fixed.str.replace(CONTROL_CHARACTERS, "", regex=True)
        cleaned[column] = cleaned[column].astype(object)
        cleaned.loc[mask, column] = fixed.where(fixed.str.strip() != "", None).astype(object)
    any_hit = np.logical_or.reduce(list(touched.values()))
    rows = np.flatnonzero(any_hit)
    names = [", ".join(c for c, mask in touched.items() if mask[row]) for row in rows]
    return cleaned, pd.Series(names, index=cells.index[rows], dtype=object)
