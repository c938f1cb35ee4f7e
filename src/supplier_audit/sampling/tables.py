"""The shipped tables of ISO 2859-1:1999 / GB/T 2828.1-2012, read once and checked.

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
together with its Ac and Re (:func:`resolved_tables` follows every arrow once). Many
open-source AQL calculators keep the original letter's sample size and only borrow Ac/Re; that
is wrong and gives a plan with different risks.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

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
class ResolvedTables:
    """Tables 1 and 2-A/2-B/2-C as arrays, every arrow followed to the plan it leads to."""

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
def resolved_tables() -> ResolvedTables:
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
    return ResolvedTables(
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
