"""Dates as the stages compare them: tz-naive midnight timestamps, one day per date or datetime."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd


def as_day(value: date | datetime | str | pd.Timestamp) -> pd.Timestamp:
    """One date or datetime as a tz-naive midnight timestamp (a zone's clock time kept)."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def day_column(values: pd.Series) -> pd.Series:
    """Dates or datetimes as tz-naive midnight timestamps."""
    stamps = pd.to_datetime(values)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    return stamps.dt.normalize()
