"""The inspection in force tonight: one replay of the switching rules, raised by the risk tiers.

Computed once per night and passed on: the scores read each supplier's severity from it
(:meth:`InspectionInForce.per_supplier`) and tonight's plan reads each lot's severity and level
from it (:meth:`InspectionInForce.severities_of_lots`, :meth:`InspectionInForce.levels_of`), so
the severity that scored a supplier is the one printed on its plan.

The risk tiers raise (never lower) a supplier's inspection level and severity
(``[inspection.<tier>]`` of scoring.toml). Tonight's tiers come from tonight's scores, which
need tonight's severity: to break that cycle the tiers are those of the **previous published
night** in the score history (the night stage passes them in; the first night has none, so no
tier raises a level or a severity). A tier therefore acts on the plans from the night after it
was published.

How an inspection result decides "accepted" for the switching rules: by
:func:`~supplier_audit.sampling.acceptance.judge_lots` (the one judgement; critical defects and
counterfeit finds are never accepted), against the plan that applied to that lot (the plan for
its lot size, the AQL and level in force for its supplier tonight, and the severity the
switching rules had reached when it was inspected). Only the first inspection of a lot counts
(the standard's "original inspection"); later re-inspections of the same lot are ignored by the
switching rules, except that an authentication recorded later (counterfeit_status ``cleared``)
decides the lot's find. The plan that applied to a past lot is recomputed with this run's AQL
and levels (the inspections table does not record it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

import numpy as np
import pandas as pd

from supplier_audit.contracts.days import as_day, day_column
from supplier_audit.contracts.vocabulary import LEVEL_RANK, SEVERITIES, SEVERITY_RANK
from supplier_audit.sampling.acceptance import judge_lots
from supplier_audit.sampling.plans import plan_lots
from supplier_audit.sampling.results import RESULT_COLUMNS, results_until
from supplier_audit.sampling.switching import SwitchingState
from supplier_audit.sampling.tables import normalise_level

STATUS_COLUMNS: Final = ("severity", "clause", "explanation", "switching_score", "lots_inspected")
TierRaises = Mapping[str, str | Mapping[str, str]]


@dataclass(frozen=True)
class InspectionInForce:
    """Where the switching rules put every group tonight, and what the tiers raise.

    ``rules`` has one row per group with an inspection history (the ``key`` columns and
    severity, clause, explanation, switching_score, lots_inspected) as the switching rules left
    it; ``level_raises`` and ``severity_raises`` map a supplier to the level and severity its
    tier asks for. Groups never inspected are at normal inspection (clause 9.1).
    """

    key: tuple[str, ...]
    aql: float
    level: str
    rules: pd.DataFrame
    level_raises: Mapping[str, str] = field(default_factory=dict)
    severity_raises: Mapping[str, str] = field(default_factory=dict)

    def levels_of(self, suppliers: pd.Series) -> np.ndarray:
        """Each lot's inspection level: the run's, raised (never lowered) by the tier."""
        return _raised_levels(suppliers, self.level, self.level_raises)

    def severities_of_lots(
        self, suppliers: Sequence[str], skus: Sequence[str]
    ) -> tuple[list[str], list[str]]:
        """Each lot's severity in force and why: its group's standing, raised by the tier."""
        standing = {
            tuple(str(v) for v in group): (str(severity), str(explanation))
            for *group, severity, explanation in self.rules.loc[
                :, [*self.key, "severity", "explanation"]
            ].itertuples(index=False)
        }
        start = SwitchingState()
        severities: list[str] = []
        explanations: list[str] = []
        for supplier, sku in zip(suppliers, skus, strict=True):
            group = (supplier,) if self.key == ("supplier_id",) else (supplier, sku)
            severity, explanation = standing.get(group, (start.severity, start.explanation))
            severity, explanation = self._raised(supplier, severity, explanation)
            severities.append(severity)
            explanations.append(explanation)
        return severities, explanations

    def per_supplier(self) -> pd.DataFrame:
        """One row per supplier with a history or a tier raise: its strictest group (when the
        rules run per SKU), raised by its tier; the columns of ``rules`` without ``sku``."""
        ranked = self.rules.assign(_rank=self.rules["severity"].map(SEVERITY_RANK))
        order = ["supplier_id", "_rank", *self.key[1:]]
        worst = ranked.sort_values(order, ascending=[c != "_rank" for c in order])
        worst = worst.drop_duplicates("supplier_id")
        rows = {
            str(row["supplier_id"]): {c: row[c] for c in STATUS_COLUMNS}
            for row in worst.to_dict(orient="records")
        }
        start = SwitchingState()
        for supplier in self.severity_raises:
            rows.setdefault(
                supplier,
                {
                    "severity": start.severity,
                    "clause": start.clause,
                    "explanation": start.explanation,
                    "switching_score": 0,
                    "lots_inspected": 0,
                },
            )
        for supplier, row in rows.items():
            row["severity"], row["explanation"] = self._raised(
                supplier, str(row["severity"]), str(row["explanation"])
            )
        frame = pd.DataFrame(
            [{"supplier_id": supplier, **row} for supplier, row in sorted(rows.items())],
            columns=["supplier_id", *STATUS_COLUMNS],
        )
        return frame.astype({"switching_score": "int64", "lots_inspected": "int64"})

    def _raised(self, supplier: str, severity: str, explanation: str) -> tuple[str, str]:
        raise_to = self.severity_raises.get(supplier)
        if raise_to is None or SEVERITY_RANK[raise_to] <= SEVERITY_RANK[severity]:
            return severity, explanation
        return raise_to, (
            f"{explanation} Raised to {raise_to} for this supplier by its risk tier "
            "(last published night)."
        )


def inspection_in_force(
    shipments: pd.DataFrame,
    inspections: pd.DataFrame | None,
    *,
    as_of: date | datetime | str | pd.Timestamp,
    aql: float,
    level: str,
    switching_key: Sequence[str] = ("supplier_id",),
    allow_reduced: bool = False,
    count_minor_defects: bool = False,
    tier_raises: TierRaises | None = None,
) -> InspectionInForce:
    """The switching rules replayed once over the inspection history up to ``as_of``.

    ``tier_raises`` maps a supplier to a level (e.g. "III") or to {"level": …, "severity": …}
    from its risk tier (the previous published night's), which raise that supplier's level and
    severity, never lower them; the raised level is also the level each past lot of the
    supplier is judged by.
    """
    key = tuple(switching_key)
    if not key or any(c not in ("supplier_id", "sku") for c in key):
        raise ValueError("switching_key is ('supplier_id',) or ('supplier_id', 'sku')")
    level_raises, severity_raises = _raises(tier_raises)
    day = as_day(as_of)
    lots = shipments.astype({"shipment_id": str, "supplier_id": str, "sku": str})
    if "received_on" in lots.columns:
        lots = lots[day_column(lots["received_on"]) <= day]
    results = results_until(inspections, day)
    history = _lot_history(lots, results)
    states = _replay_switching(
        history,
        key=key,
        aql=aql,
        levels=_raised_levels(history["supplier_id"], level, level_raises),
        allow_reduced=allow_reduced,
        count_minor_defects=count_minor_defects,
        authentications=results,
    )
    rules = pd.DataFrame(
        [
            {
                **dict(zip(key, group, strict=True)),
                "severity": state.severity,
                "clause": state.clause,
                "explanation": state.explanation,
                "switching_score": state.switching_score,
                "lots_inspected": state.lots_inspected,
            }
            for group, state in sorted(states.items())
        ],
        columns=[*key, *STATUS_COLUMNS],
    )
    return InspectionInForce(
        key=key,
        aql=aql,
        level=level,
        rules=rules,
        level_raises=level_raises,
        severity_raises=severity_raises,
    )


def _raises(tier_raises: TierRaises | None) -> tuple[dict[str, str], dict[str, str]]:
    levels: dict[str, str] = {}
    severities: dict[str, str] = {}
    for supplier, value in (tier_raises or {}).items():
        if isinstance(value, str):
            levels[str(supplier)] = value
            continue
        if "level" in value:
            levels[str(supplier)] = value["level"]
        if "severity" in value:
            severity = str(value["severity"]).strip().lower()
            if severity not in SEVERITIES:
                raise ValueError(
                    f"severity override {value['severity']!r} for {supplier}: "
                    f"use one of {', '.join(SEVERITIES)}"
                )
            severities[str(supplier)] = severity
    return levels, severities


def _raised_levels(suppliers: pd.Series, level: str, level_raises: Mapping[str, str]) -> np.ndarray:
    """Each lot's inspection level: ``level``, raised (never lowered) by its supplier's tier."""
    base = normalise_level(level)
    raised = {
        supplier: max(base, normalise_level(wanted), key=LEVEL_RANK.__getitem__)
        for supplier, wanted in level_raises.items()
    }
    return suppliers.astype(str).map(lambda s: raised.get(s, base)).to_numpy(dtype=object)


def _lot_history(shipments: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """First (original) inspection of every lot among ``results``, with its lot data."""
    if results.empty:
        return pd.DataFrame(columns=[*RESULT_COLUMNS, "supplier_id", "sku", "quantity"])
    first = results.sort_values(["shipment_id", "inspected_on"], kind="stable").drop_duplicates(
        "shipment_id"
    )
    lots = shipments.loc[:, ["shipment_id", "supplier_id", "sku", "quantity"]]
    return first.merge(lots, on="shipment_id", how="inner")


def _replay_switching(
    history: pd.DataFrame,
    *,
    key: Sequence[str],
    aql: float,
    levels: np.ndarray,
    allow_reduced: bool,
    count_minor_defects: bool,
    authentications: pd.DataFrame,
) -> dict[tuple[str, ...], SwitchingState]:
    """Run the switching rules over the history, judging each lot by the plan that applied."""
    states: dict[tuple[str, ...], SwitchingState] = {}
    if history.empty:
        return states
    lot_sizes = history["quantity"].to_numpy(dtype=np.int64)
    # each lot judged under each severity, looked up once for all lots (vectorised); the loop
    # only picks the severity the rules had reached
    judged = {
        severity: judge_lots(
            history,
            plan_lots(lot_sizes, aql, levels, severity),
            count_minor_defects=count_minor_defects,
            authentications=authentications,
        )
        for severity in SEVERITIES
    }
    accepted = {s: j["accepted"].to_numpy(dtype=bool) for s, j in judged.items()}
    acceptance = {s: j["acceptance_number"].to_numpy(dtype=np.int64) for s, j in judged.items()}
    nonconforming = judged["normal"]["nonconforming"].to_numpy(dtype=np.int64)
    group_keys = list(zip(*(history[c].astype(str).tolist() for c in key), strict=True))
    labels = history["shipment_id"].astype(str).tolist()
    for i in np.argsort(history["inspected_on"].to_numpy(), kind="stable").tolist():
        state = states.setdefault(group_keys[i], SwitchingState())
        table_severity = "tightened" if state.severity == "discontinued" else state.severity
        state.record_lot(
            accepted=bool(accepted[table_severity][i]),
            defects=int(nonconforming[i]),
            acceptance_number=int(acceptance[table_severity][i]),
            label=labels[i],
            allow_reduced=allow_reduced,
        )
    return states
