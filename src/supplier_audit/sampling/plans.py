"""Single sampling plans of ISO 2859-1:1999 / GB/T 2828.1-2012, looked up in the shipped tables.

The tables and how their arrows are followed are in :mod:`.tables`. Where ISO 2859-1:1999 /
GB/T 2828.1-2012 differ from ANSI/ASQ Z1.4 and MIL-STD-105E:

* Table 1 and tables 2-A / 2-B (normal, tightened) hold the same plans in all of them.
* Table 2-C (reduced): Z1.4 and MIL-STD-105E reduced plans have a gap between Ac and Re (e.g.
  1/3, 2/5, 5/8, 10/13; a lot with Ac < d < Re is accepted but normal inspection is reinstated).
  ISO 2859-1:1999 and GB/T 2828.1-2012 removed the gap: every reduced plan has Re = Ac + 1, with
  the acceptance numbers 0, 1, 2, 3, 5, 6, 8, 10, 14, 21 (rows A and B, n = 2, repeat the
  normal row A: … 5, 7, 10, 14, 21, 30). This module implements ISO/GB.
* Normal to reduced: Z1.4 uses the "limit numbers" of its Table VIII over the last 10 lots; ISO
  2859-1:1999 uses the switching score of clause 9.3.3 (see :mod:`.switching`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from supplier_audit.contracts.vocabulary import INSPECTION_LEVELS, SEVERITIES
from supplier_audit.sampling.tables import (
    AQL_SERIES,
    CODE_LETTERS,
    aql_problem,
    normalise_level,
    normalise_severity,
    resolved_tables,
)


@dataclass(frozen=True)
class SamplingPlan:
    """One single sampling plan for one lot.

    ``code_letter`` is the letter Table 1 gives for the lot size and inspection level;
    ``plan_letter`` is the row of the master table the plan was taken from (differs from
    ``code_letter`` when the cell was an arrow). ``sample_size`` is what QA pulls: the plan's own
    sample size, or the whole lot when that sample size equals or exceeds the lot size
    (``full_inspection``). ``table_sample_size`` is the plan's sample size before that cap.
    """

    code_letter: str
    sample_size: int
    acceptance_number: int
    rejection_number: int
    full_inspection: bool
    plan_letter: str | None = None
    table_sample_size: int | None = None
    lot_size: int | None = None
    aql: float | None = None
    inspection_level: str | None = None
    severity: str | None = None


def _aql_indices(aqls: npt.ArrayLike) -> npt.NDArray[np.intp]:
    values = np.asarray(aqls, dtype=np.float64)
    series = np.asarray(AQL_SERIES)
    index = np.searchsorted(series, values)
    index = np.clip(index, 0, len(series) - 1)
    # the series is geometric (ratio ~1.6), so the nearest value is index or index - 1
    lower = np.clip(index - 1, 0, len(series) - 1)
    index = np.where(np.abs(series[lower] - values) < np.abs(series[index] - values), lower, index)
    bad = ~np.isclose(series[index], values, rtol=1e-6, atol=0.0)
    if bad.any():
        wrong = np.unique(values[bad])[:5]
        raise ValueError("; ".join(str(aql_problem(float(v))) for v in wrong))
    return index.astype(np.intp)


def _category_indices(
    values: npt.ArrayLike, allowed: Sequence[str], normalise: Callable[[str], str]
) -> npt.NDArray[np.intp]:
    raw = pd.Series(np.asarray(values, dtype=object).ravel())
    # normalise each distinct value once, then map: no Python work per lot
    mapping = {value: allowed.index(normalise(str(value))) for value in raw.drop_duplicates()}
    return raw.map(mapping).to_numpy(dtype=np.intp)


def plan_lots(
    lot_sizes: npt.ArrayLike,
    aqls: npt.ArrayLike,
    levels: npt.ArrayLike = "II",
    severities: npt.ArrayLike = "normal",
) -> pd.DataFrame:
    """The single sampling plan of every lot, vectorised (table look-ups, no loop per lot).

    Each argument is one value for all lots or one value per lot. Returns one row per lot with
    lot_size, aql, inspection_level, severity, code_letter, plan_letter, table_sample_size,
    sample_size, acceptance_number, rejection_number and full_inspection.
    """
    tables = resolved_tables()
    lots = np.atleast_1d(np.asarray(lot_sizes))
    if lots.size and not np.issubdtype(lots.dtype, np.integer):
        as_float = lots.astype(np.float64)
        if not np.all(np.isfinite(as_float)) or not np.all(as_float == np.round(as_float)):
            raise ValueError("lot sizes must be whole numbers")
    lots = lots.astype(np.int64)
    if (lots < 1).any():
        raise ValueError("every lot size must be at least 1")
    count = lots.size
    aql_values = np.broadcast_to(np.asarray(aqls, dtype=np.float64), (count,))
    aql_index = _aql_indices(aql_values)
    level_index = np.broadcast_to(
        _category_indices(
            np.atleast_1d(np.asarray(levels, dtype=object)), INSPECTION_LEVELS, normalise_level
        ),
        (count,),
    )
    severity_index = np.broadcast_to(
        _category_indices(
            np.atleast_1d(np.asarray(severities, dtype=object)), SEVERITIES, normalise_severity
        ),
        (count,),
    )
    # Table 1 starts at a lot of 2; a lot of 1 uses the first row (and is inspected in full).
    row = np.clip(np.searchsorted(tables.lot_size_min, lots, side="right") - 1, 0, None)
    letter = tables.letter_by_row_level[row, level_index].astype(np.intp)
    chosen = tables.plan_letter[severity_index, letter, aql_index]
    # cannot happen with the shipped tables: no initial code letter meets a blank cell
    if (chosen < 0).any():
        raise ValueError("the master table has no plan for some lots")
    table_n = tables.plan_sample_size[severity_index, letter, aql_index]
    full = table_n >= lots
    letters = np.asarray(CODE_LETTERS, dtype=object)
    return pd.DataFrame(
        {
            "lot_size": lots,
            "aql": np.asarray(AQL_SERIES)[aql_index],
            "inspection_level": np.asarray(INSPECTION_LEVELS, dtype=object)[level_index],
            "severity": np.asarray(SEVERITIES, dtype=object)[severity_index],
            "code_letter": letters[letter],
            "plan_letter": letters[chosen.astype(np.intp)],
            "table_sample_size": table_n,
            "sample_size": np.where(full, lots, table_n),
            "acceptance_number": tables.acceptance_number[severity_index, letter, aql_index],
            "rejection_number": tables.rejection_number[severity_index, letter, aql_index],
            "full_inspection": full,
        }
    )


def single_sampling_plan(
    lot_size: int, aql: float, *, level: str = "II", severity: str = "normal"
) -> SamplingPlan:
    """The single sampling plan for one lot (ISO 2859-1:1999 tables 1 and 2-A/2-B/2-C).

    For example a lot of 2 400 at level II and AQL 2.5 under normal inspection is code letter K:
    pull 125 units, accept with 7 or fewer nonconforming, reject with 8 or more.
    """
    if isinstance(lot_size, bool) or int(lot_size) != lot_size:
        raise ValueError(f"lot size must be a whole number, got {lot_size!r}")
    row = plan_lots([int(lot_size)], [aql], [level], [severity]).iloc[0]
    return SamplingPlan(
        code_letter=str(row["code_letter"]),
        sample_size=int(row["sample_size"]),
        acceptance_number=int(row["acceptance_number"]),
        rejection_number=int(row["rejection_number"]),
        full_inspection=bool(row["full_inspection"]),
        plan_letter=str(row["plan_letter"]),
        table_sample_size=int(row["table_sample_size"]),
        lot_size=int(lot_size),
        aql=float(row["aql"]),
        inspection_level=str(row["inspection_level"]),
        severity=str(row["severity"]),
    )


def acceptance_probability(
    plan: SamplingPlan, defect_rates: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Probability that a lot with the given fraction nonconforming is accepted (the OC curve).

    Binomial model (type B OC curve of the standard): P(accept) = P(X <= Ac), X ~ Bin(n, p).
    ``defect_rates`` are fractions in [0, 1] (2.5 % is 0.025).
    """
    rates = np.asarray(defect_rates, dtype=np.float64)
    if np.any((rates < 0) | (rates > 1) | ~np.isfinite(rates)):
        raise ValueError("defect rates are fractions between 0 and 1")
    result = stats.binom.cdf(plan.acceptance_number, plan.sample_size, rates)
    return np.asarray(result, dtype=np.float64)


def one_step_tighter_acceptance_number(acceptance_number: int) -> int:
    """Ac of the normal plan with the same sample size one AQL step tighter (clause 9.3.3.2).

    In table 2-A every row runs through the acceptance numbers 0, 1, 2, 3, 5, 7, 10, 14, 21, 30,
    44 from left to right, one AQL step apart, so for Ac >= 2 the plan one step tighter is the
    previous number of that ladder on the same row (same sample size).
    """
    ladder = (0, 1, 2, 3, 5, 7, 10, 14, 21, 30, 44)
    if acceptance_number < 2:
        raise ValueError("the one-step-tighter rule applies to acceptance numbers of 2 or more")
    smaller = [value for value in ladder if value < acceptance_number]
    return smaller[-1]
