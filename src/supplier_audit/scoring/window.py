"""A window of days, decided once: the night audited and the ``days`` days before it, both ends
included (``[as_of - days, as_of]``) — the scoring window, the self-check window and the
report's "in the window" sheets all use it."""

from __future__ import annotations

import datetime as dt
from typing import overload

import numpy as np
import pandas as pd


def window_start(as_of: dt.date | pd.Timestamp, days: int) -> pd.Timestamp:
    """The first day of the window of ``days`` days before ``as_of``."""
    return pd.Timestamp(as_of) - pd.Timedelta(days=days)


@overload
def in_window(day: pd.Series, as_of: dt.date | pd.Timestamp, days: int) -> pd.Series: ...
@overload
def in_window(day: np.ndarray, as_of: dt.date | pd.Timestamp, days: int) -> np.ndarray: ...
def in_window(
    day: pd.Series | np.ndarray, as_of: dt.date | pd.Timestamp, days: int
) -> pd.Series | np.ndarray:
    """Whether each day (midnight timestamps) falls in the window of ``days`` days before
    ``as_of``, both ends included."""
    end = pd.Timestamp(as_of)
    return (day >= window_start(end, days)) & (day <= end)
