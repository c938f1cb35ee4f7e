"""Single sampling plans of ISO 2859-1:1999 / GB/T 2828.1-2012, looked up in the shipped tables.

The tables ship as CSV package data in ``supplier_audit/tables/``:

* ``table_1_code_letters.csv`` — Table 1, sample size code letters by lot-size range for the
  special levels S-1…S-4 and the general levels I, II, III;
* ``sample_sizes.csv`` — the sample size of each code letter under normal, tightened and reduced
  inspection (tightened alone has the extra letter S = 3 150);
* ``table_2a_normal.csv``, ``table_2b_tightened.csv``, ``table_2c_reduced.csv`` — the master
  tables 2-A, 2-B and 2-C for every AQL of the series 0.010 … 1000, transcribed cell by cell with
  their arrows: a cell is either ``"Ac Re"``, ``↓``, ``↑`` or empty (no plan: the tightened S row).

How the standard words the arrows (notes under tables 2-A/2-B/2-C, and clause 10): "↓ use the
first sampling plan below the arrow. If sample size equals or exceeds lot size, carry out 100 %
inspection. ↑ use the first sampling plan above the arrow." When an arrow sends the user to
another row, the *whole* plan of that row applies — its own sample size (that row's code letter)
together with its Ac and Re. Many open-source AQL calculators keep the original letter's sample
size and only borrow Ac/Re; that is wrong and gives a plan with different risks.

Where ISO 2859-1:1999 / GB/T 2828.1-2012 differ from ANSI/ASQ Z1.4 and MIL-STD-105E:

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

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from supplier_audit.contracts.vocabulary import INSPECTION_LEVELS, SEVERITIES

CODE_LETTERS: Final = (
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "H",
    "J",
    "K",
    "L",
    "M",
    "N",
    "P",
    "Q",
    "R",
    "S",
)
AQL_SERIES: Final = (
    0.010, 0.015, 0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5,
    10.0, 15.0, 25.0, 40.0, 65.0, 100.0, 150.0, 250.0, 400.0, 650.0, 1000.0,
)  # fmt: skip
MASTER_TABLE_FILES: Final = {
    "normal": "table_2a_normal.csv",
    "tightened": "table_2b_tightened.csv",
    "reduced": "table_2c_reduced.csv",
}


def aql_problem(aql: float) -> str | None:
    """Why ``aql`` cannot be used (it is not in the standard's preferred series, naming the
    nearest values), or None when it is one of them."""
    if any(abs(aql - value) <= 1e-6 * value for value in AQL_SERIES):
        return None
    below = [v for v in AQL_SERIES if v < aql]
    above = [v for v in AQL_SERIES if v > aql]
    nearest = [aql_text(v) for v in below[-1:] + above[:1]]
    return (
        f"AQL {aql:g} is not in the preferred series of ISO 2859-1 / GB/T 2828.1 "
        f"(0.010 … 1000); the nearest "
        + (f"values are {nearest[0]} and {nearest[1]}" if len(nearest) == 2 else f"is {nearest[0]}")
    )


def aql_text(aql: float) -> str:
    """An AQL as the standard's tables print it: 0.010, 0.65, 4.0, 10."""
    if aql < 0.1:
        return f"{aql:.3f}"
    if aql < 1:
        return f"{aql:.2f}"
    return f"{aql:.1f}" if aql < 10 else f"{aql:g}"


ARROW_DOWN: Final = "↓"
ARROW_UP: Final = "↑"


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


@dataclass(frozen=True)
class _Tables:
    lot_size_min: npt.NDArray[np.int64]  # lower bound of each Table 1 row
    letter_by_row_level: npt.NDArray[np.int8]  # [table 1 row, level] -> code letter index
    # [severity, code letter, aql] -> resolved plan; plan_letter == -1 where the table has none
    plan_letter: npt.NDArray[np.int8]
    plan_sample_size: npt.NDArray[np.int64]
    acceptance_number: npt.NDArray[np.int64]
    rejection_number: npt.NDArray[np.int64]


def _read_table_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("supplier_audit").joinpath("tables", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def table_1_code_letters() -> pd.DataFrame:
    """Table 1 as shipped: lot_size_min, lot_size_max (NA: no bound) and one column per level."""
    rows = _read_table_csv("table_1_code_letters.csv")
    frame = pd.DataFrame(rows)
    frame["lot_size_min"] = frame["lot_size_min"].astype("int64")
    frame["lot_size_max"] = pd.to_numeric(frame["lot_size_max"].replace("", None)).astype("Int64")
    return frame


def master_table(severity: str) -> pd.DataFrame:
    """Master table 2-A, 2-B or 2-C as shipped, arrows included (cells "Ac Re", "↓", "↑" or "")."""
    severity = normalise_severity(severity)
    rows = _read_table_csv(MASTER_TABLE_FILES[severity])
    frame = pd.DataFrame(rows).set_index("code_letter")
    frame["sample_size"] = frame["sample_size"].astype("int64")
    return frame


def sample_size_table() -> pd.DataFrame:
    """Sample size of each code letter under normal, tightened and reduced inspection (NA: none)."""
    frame = pd.DataFrame(_read_table_csv("sample_sizes.csv")).set_index("code_letter")
    return pd.DataFrame(
        {c: pd.to_numeric(frame[c].replace("", None)).astype("Int64") for c in SEVERITIES}
    )


def _resolve_column(cells: Sequence[str], *, where: str) -> list[int]:
    """Row index of the plan each cell of one AQL column leads to (-1 for an empty cell).

    Follows the arrows as the standard words them: the first plan below a ↓, above a ↑.
    """
    targets: list[int] = []
    for row, cell in enumerate(cells):
        if cell == "":
            targets.append(-1)
            continue
        if cell not in (ARROW_DOWN, ARROW_UP):
            targets.append(row)
            continue
        step = 1 if cell == ARROW_DOWN else -1
        target = row + step
        while 0 <= target < len(cells) and cells[target] == cell:
            target += step
        if not 0 <= target < len(cells) or cells[target] in ("", ARROW_DOWN, ARROW_UP):
            raise ValueError(f"{where}: the arrow in row {row} leads to no sampling plan")
        targets.append(target)
    return targets


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    letter_index = {letter: i for i, letter in enumerate(CODE_LETTERS)}
    table1 = _read_table_csv("table_1_code_letters.csv")
    letter_by_row_level = np.array(
        [[letter_index[row[level]] for level in INSPECTION_LEVELS] for row in table1],
        dtype=np.int8,
    )
    sizes = {row["code_letter"]: row for row in _read_table_csv("sample_sizes.csv")}
    shape = (len(SEVERITIES), len(CODE_LETTERS), len(AQL_SERIES))
    plan_letter = np.full(shape, -1, dtype=np.int8)
    plan_n = np.zeros(shape, dtype=np.int64)
    plan_ac = np.zeros(shape, dtype=np.int64)
    plan_re = np.zeros(shape, dtype=np.int64)
    for s, severity in enumerate(SEVERITIES):
        rows = _read_table_csv(MASTER_TABLE_FILES[severity])
        letters = [row["code_letter"] for row in rows]
        for row in rows:
            letter = row["code_letter"]
            if sizes[letter][severity] != row["sample_size"]:
                raise ValueError(f"sample size of {letter} ({severity}) disagrees between tables")
        aql_columns = [c for c in rows[0] if c not in ("code_letter", "sample_size")]
        if [float(c) for c in aql_columns] != list(AQL_SERIES):
            raise ValueError(f"{MASTER_TABLE_FILES[severity]}: unexpected AQL columns")
        for a, column in enumerate(aql_columns):
            cells = [row[column].strip() for row in rows]
            for r, target in enumerate(_resolve_column(cells, where=f"{severity} AQL {column}")):
                if target < 0:
                    continue
                ac, re = (int(v) for v in cells[target].split())
                li = letter_index[letters[r]]
                plan_letter[s, li, a] = letter_index[letters[target]]
                plan_n[s, li, a] = int(rows[target]["sample_size"])
                plan_ac[s, li, a] = ac
                plan_re[s, li, a] = re
    return _Tables(
        lot_size_min=np.array([int(row["lot_size_min"]) for row in table1], dtype=np.int64),
        letter_by_row_level=letter_by_row_level,
        plan_letter=plan_letter,
        plan_sample_size=plan_n,
        acceptance_number=plan_ac,
        rejection_number=plan_re,
    )


def normalise_level(level: str) -> str:
    """The canonical name of an inspection level ("s1" -> "S-1", "G-2" -> "II")."""
    text = str(level).strip().upper().replace(" ", "")
    if text in ("S1", "S2", "S3", "S4"):
        text = f"S-{text[1]}"
    text = {"G-1": "I", "G-2": "II", "G-3": "III", "1": "I", "2": "II", "3": "III"}.get(text, text)
    if text not in INSPECTION_LEVELS:
        raise ValueError(
            f"unknown inspection level {level!r}: use one of {', '.join(INSPECTION_LEVELS)}"
        )
    return text


def normalise_severity(severity: str) -> str:
    """The canonical name of a severity of inspection (normal, tightened, reduced)."""
    text = str(severity).strip().lower()
    if text not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    return text


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
    tables = _tables()
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
