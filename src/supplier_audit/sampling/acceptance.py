"""Whether an inspected lot was accepted: its result judged against one sampling plan's Ac/Re.

The judgement exists once, here (:func:`judge_lots`); each caller chooses the plan:

* the switching rules (:mod:`.nightly`) judge each lot's original inspection by the plan that
  applied to it: its lot size, the one AQL (``[sampling] aql``), the inspection level in force
  and the severity the switching rules had reached when it was inspected;
* scoring (``lots_rejected``) and the reports (the inspection failures of the risk workbook)
  judge every inspection in the window by the lot's **nominal** plan (:func:`nominal_plans`):
  normal severity at the one AQL and the run's inspection level. A lot's quality is then judged
  the same whatever severity its supplier happened to be under: the score already weighs the
  severity itself (``switching_strength``), and a tightened plan's smaller Ac would count the
  same strictness twice.

The rule (ISO 2859-1 clause 3.1.6 and the single sampling plans of tables 2-A/2-B/2-C, where
Re = Ac + 1): a lot is accepted when its nonconforming count is at most Ac and rejected when it
reaches Re. The nonconforming count is the major defects, plus the minor ones when
``[sampling] count_minor_defects`` is true. Whatever the count, a lot with a critical defect or
with counterfeit units not authenticated as genuine (:func:`~.results.disqualifying_find`, and
the lot's latest authentication in :func:`~.results.lot_counterfeit_verdicts`) is not accepted:
a hazard or a fake is never an acceptable quality level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from supplier_audit.sampling.plans import plan_lots
from supplier_audit.sampling.results import disqualifying_find, lot_counterfeit_verdicts

JUDGEMENT_COLUMNS: Final = ("nonconforming", "acceptance_number", "accepted")


@dataclass(frozen=True)
class AcceptanceRule:
    """The settings a lot is judged by: the one AQL, the run's level, whether minors count."""

    aql: float
    level: str
    count_minor_defects: bool


def nominal_plans(lot_sizes: npt.ArrayLike, rule: AcceptanceRule) -> pd.DataFrame:
    """Each lot's nominal plan: normal severity at the rule's AQL and inspection level."""
    return plan_lots(lot_sizes, rule.aql, rule.level, "normal")


def nonconforming_units(results: pd.DataFrame, *, count_minor_defects: bool) -> np.ndarray:
    """Per inspection result, the units counted against Ac: majors, plus minors if they count."""
    count = results["major_defects"].to_numpy(dtype=np.int64)
    if count_minor_defects:
        count = count + results["minor_defects"].to_numpy(dtype=np.int64)
    return count


def judge_lots(
    results: pd.DataFrame,
    plans: pd.DataFrame,
    *,
    count_minor_defects: bool,
    authentications: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each inspection result judged against the plan on the same row of ``plans``.

    ``results`` has shipment_id, critical_defects, major_defects, minor_defects and
    counterfeit_units (counterfeit_status optional); ``plans`` has acceptance_number and
    rejection_number, one row per result (as :func:`~.plans.plan_lots` returns them).
    ``authentications`` are the inspection rows whose latest word on counterfeits decides each
    lot's finds (default: ``results`` themselves), e.g. every result up to tonight when only
    the original inspections are judged. Returns, on the index of ``results``, the
    nonconforming count, the acceptance number applied and whether the lot was accepted.
    """
    acceptance = plans["acceptance_number"].to_numpy(dtype=np.int64)
    rejection = plans["rejection_number"].to_numpy(dtype=np.int64)
    if len(acceptance) != len(results):
        raise ValueError("judge_lots needs one plan per inspection result")
    if (rejection != acceptance + 1).any():
        raise ValueError("a single sampling plan has Re = Ac + 1 (ISO 2859-1 tables 2-A/2-B/2-C)")
    nonconforming = nonconforming_units(results, count_minor_defects=count_minor_defects)
    verdicts = lot_counterfeit_verdicts(results if authentications is None else authentications)
    cleared = set(
        verdicts.loc[verdicts["counterfeit_verdict"].eq("cleared"), "shipment_id"].astype(str)
    )
    fake = disqualifying_find(results) & ~results["shipment_id"].astype(str).isin(cleared).to_numpy(
        dtype=bool
    )
    hazard = results["critical_defects"].to_numpy(dtype=np.int64) > 0
    accepted = ~fake & ~hazard & (nonconforming < rejection)
    return pd.DataFrame(
        {"nonconforming": nonconforming, "acceptance_number": acceptance, "accepted": accepted},
        index=results.index,
    )


def verdict_formula(
    cell: Mapping[str, str], *, count_minor_defects: bool, cleared: str, accept: str, reject: str
) -> str:
    """The rule of :func:`judge_lots` as a spreadsheet formula, for a sheet an inspector fills.

    ``cell`` names the cell of each count (critical_defects, major_defects, minor_defects,
    counterfeit_units), of the lot's rejection_number and of its counterfeit_status (where the
    inspector picks ``cleared`` for units authenticated as genuine). The formula shows
    ``reject`` for a critical defect, counterfeit units not cleared, or nonconforming units at
    or over Re; ``accept`` otherwise; nothing until a count is typed. Written here, beside the
    rule it restates, so that the two change together.
    """
    counts = ("critical_defects", "major_defects", "minor_defects", "counterfeit_units")
    minor = f"+{cell['minor_defects']}" if count_minor_defects else ""
    nonconforming = cell["major_defects"] + minor
    fake = f'AND({cell["counterfeit_units"]}>0,{cell["counterfeit_status"]}<>"{cleared}")'
    return (
        f'=IF(COUNT({",".join(cell[name] for name in counts)})=0,"",'
        f"IF(OR({cell['critical_defects']}>0,{fake},"
        f'{nonconforming}>={cell["rejection_number"]}),"{reject}","{accept}"))'
    )
