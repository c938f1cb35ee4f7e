"""Switching rules of ISO 2859-1:1999 clause 9 (GB/T 2828.1-2012 clause 9) over a lot history.

The rules, as the standard states them for lots on *original* inspection (re-inspections of a
resubmitted lot do not count):

* 9.1 — inspection starts at normal severity.
* 9.3.1 normal → tightened: when 2 out of 5 or fewer consecutive lots are not accepted.
* 9.3.2 tightened → normal: when 5 consecutive lots are accepted on tightened inspection.
* 9.3.3 normal → reduced: the switching score (set to 0 at the start of normal inspection and
  updated after every lot on normal inspection) is at least 30, production is at a steady rate
  and the responsible authority approves reduced inspection (``allow_reduced``). Score update
  for single sampling (9.3.3.2): when Ac >= 2, add 3 if the lot would have been accepted had the
  AQL been one step tighter, otherwise reset to 0; when Ac is 0 or 1, add 2 if the lot is
  accepted, otherwise reset to 0.
* 9.3.4 reduced → normal: a lot is not accepted, or production becomes irregular or delayed
  (``production_steady`` false), or other conditions warrant it.
* 9.4 discontinuation: when the cumulative number of lots not accepted in a sequence of
  consecutive lots on tightened inspection reaches 5. Inspection under the standard resumes (at
  tightened) only after the supplier has acted and the authority accepts the action; this module
  has no input for that, so "discontinued" stays until the history is reset by the user.

The state machine runs once per group (supplier, or supplier and SKU) over that group's lots in
date order; the total work is one pass over the history rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from supplier_audit.sampling.plans import one_step_tighter_acceptance_number

SWITCHING_SCORE_FOR_REDUCED: Final = 30
STOP_PURCHASING: Final = "stop purchasing until corrected"
HISTORY_COLUMNS: Final = ("accepted", "sample_size", "defects", "acceptance_number")


@dataclass
class SwitchingState:
    """Where one group stands under the switching rules; ``record_lot`` moves it one lot on."""

    severity: str = "normal"
    clause: str = "9.1"
    explanation: str = (
        "No lot inspected yet: inspection starts at normal severity (ISO 2859-1 9.1)."
    )
    switching_score: int = 0
    lots_inspected: int = 0
    # lots since normal inspection (re)started, for the "2 out of 5 or fewer" rule (9.3.1)
    _normal_window: deque[bool] = field(
        default_factory=lambda: deque(maxlen=5), init=False, repr=False
    )
    _normal_lot_labels: deque[str] = field(
        default_factory=lambda: deque(maxlen=5), init=False, repr=False
    )
    # since tightened inspection started: accepted lots in a row (9.3.2), lots not accepted (9.4)
    _tightened_accepted_in_row: int = field(default=0, init=False, repr=False)
    _tightened_not_accepted: int = field(default=0, init=False, repr=False)

    def record_lot(
        self,
        *,
        accepted: bool,
        defects: int,
        acceptance_number: int,
        label: str = "",
        allow_reduced: bool = False,
        production_steady: bool = True,
    ) -> None:
        """Apply the outcome of one lot inspected at the current severity."""
        self.lots_inspected += 1
        lot = f"Lot {label}" if label else "A lot"
        if self.severity == "normal":
            self._after_normal_lot(
                accepted, defects, acceptance_number, label, allow_reduced, production_steady
            )
        elif self.severity == "tightened":
            self._after_tightened_lot(accepted, lot)
        elif self.severity == "reduced":
            if not accepted:
                self._enter_normal(
                    "9.3.4",
                    f"{lot} was not accepted on reduced inspection: "
                    "back to normal inspection (ISO 2859-1 9.3.4).",
                )
            elif not production_steady:
                self._enter_normal(
                    "9.3.4",
                    f"Production became irregular{f' (lot {label})' if label else ''}: "
                    "back to normal inspection (ISO 2859-1 9.3.4).",
                )
            else:
                self.explanation = (
                    "Reduced inspection continues: every lot since the reduction was accepted "
                    "(ISO 2859-1 9.3.3)."
                )
        # discontinued: later lots only hold stock, they do not move the state (9.4)

    def _after_normal_lot(
        self,
        accepted: bool,
        defects: int,
        acceptance_number: int,
        label: str,
        allow_reduced: bool,
        production_steady: bool,
    ) -> None:
        self._normal_window.append(accepted)
        self._normal_lot_labels.append(label)
        not_accepted = [
            lab
            for ok, lab in zip(self._normal_window, self._normal_lot_labels, strict=True)
            if not ok
        ]
        if len(not_accepted) >= 2:
            named = ", ".join(lab for lab in not_accepted if lab)
            which = f" ({named})" if named else ""
            self._enter(
                "tightened",
                "9.3.1",
                f"2 of the last {len(self._normal_window)} lots were not accepted{which}: "
                "tightened inspection (ISO 2859-1 9.3.1).",
            )
            self._tightened_accepted_in_row = 0
            self._tightened_not_accepted = 0
            return
        self._add_to_switching_score(accepted, defects, acceptance_number)
        if (
            self.switching_score >= SWITCHING_SCORE_FOR_REDUCED
            and production_steady
            and allow_reduced
        ):
            self._enter(
                "reduced",
                "9.3.3",
                f"Switching score reached {self.switching_score} (30 needed), production is "
                "steady and reduced inspection is approved: reduced inspection (ISO 2859-1 9.3.3).",
            )
            return
        self.explanation = self._normal_continues(allow_reduced, production_steady)

    def _add_to_switching_score(self, accepted: bool, defects: int, acceptance_number: int) -> None:
        """The switching score after one more lot under normal inspection (9.3.3.2, single
        sampling): +3 for a lot that would have been accepted one AQL step tighter (Ac >= 2),
        +2 for an accepted lot (Ac 0 or 1); back to 0 otherwise."""
        if acceptance_number >= 2:
            tighter = one_step_tighter_acceptance_number(acceptance_number)
            self.switching_score = (
                self.switching_score + 3 if accepted and defects <= tighter else 0
            )
        else:
            self.switching_score = self.switching_score + 2 if accepted else 0

    def _normal_continues(self, allow_reduced: bool, production_steady: bool) -> str:
        """Why normal inspection goes on: the score short of 30, or what else reduced needs."""
        if self.switching_score >= SWITCHING_SCORE_FOR_REDUCED:
            why = (
                "reduced inspection is not approved"
                if not allow_reduced
                else "production is not steady"
            )
            return (
                f"Normal inspection continues: switching score {self.switching_score} reaches 30, "
                f"but {why} (ISO 2859-1 9.3.3)."
            )
        return (
            f"Normal inspection continues: switching score {self.switching_score} of the 30 "
            f"needed for reduced inspection (ISO 2859-1 9.3.3)."
        )

    def _after_tightened_lot(self, accepted: bool, lot: str) -> None:
        if accepted:
            self._tightened_accepted_in_row += 1
            if self._tightened_accepted_in_row >= 5:
                self._enter_normal(
                    "9.3.2",
                    "5 consecutive lots were accepted on tightened inspection: "
                    "back to normal inspection (ISO 2859-1 9.3.2).",
                )
                return
        else:
            self._tightened_accepted_in_row = 0
            self._tightened_not_accepted += 1
            if self._tightened_not_accepted >= 5:
                self._enter(
                    "discontinued",
                    "9.4",
                    f"{lot} was the 5th lot not accepted on tightened inspection: "
                    f"inspection discontinued — {STOP_PURCHASING} (ISO 2859-1 9.4).",
                )
                return
        self.explanation = (
            f"Tightened inspection continues: {self._tightened_accepted_in_row} of 5 consecutive "
            f"accepted lots needed to return to normal; {self._tightened_not_accepted} of 5 lots "
            "not accepted would discontinue inspection (ISO 2859-1 9.3.2, 9.4)."
        )

    def _enter_normal(self, clause: str, explanation: str) -> None:
        self._enter("normal", clause, explanation)

    def _enter(self, severity: str, clause: str, explanation: str) -> None:
        self.severity = severity
        self.clause = clause
        self.explanation = explanation
        if severity == "normal":
            # the switching score and the 2-in-5 window start again with normal inspection
            self.switching_score = 0
            self._normal_window.clear()
            self._normal_lot_labels.clear()


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks the column(s) {', '.join(missing)}")


def switching_trace(
    history: pd.DataFrame,
    *,
    key: Sequence[str] = ("supplier_id",),
    order_by: str = "inspected_on",
    allow_reduced: bool = False,
) -> pd.DataFrame:
    """Each lot of the history with the severity it was inspected at and the state after it.

    ``history`` has the group ``key`` columns, ``order_by`` (a date), ``accepted`` (bool),
    ``sample_size``, ``defects`` (nonconforming count) and ``acceptance_number`` of the plan that
    applied; optional ``shipment_id`` (named in explanations) and ``production_steady`` (bool,
    default true). Returns the history's rows in date order within each group with the columns
    severity_applied, severity_after, clause, explanation and switching_score added.
    """
    key = list(key)
    _require_columns(history, [*key, order_by, *HISTORY_COLUMNS], "the inspection history")
    incomplete = [c for c in (*key, order_by, *HISTORY_COLUMNS) if history[c].isna().any()]
    if incomplete:
        raise ValueError(f"the inspection history has empty cells in {', '.join(incomplete)}")
    sort_columns = [*key, order_by, *(["shipment_id"] if "shipment_id" in history.columns else [])]
    ordered = history.sort_values(sort_columns, kind="stable").reset_index(drop=True)
    labels = (
        ordered["shipment_id"].astype(str).tolist()
        if "shipment_id" in ordered.columns
        else [f"of {pd.Timestamp(d):%Y-%m-%d}" if pd.notna(d) else "" for d in ordered[order_by]]
    )
    steady = (
        ordered["production_steady"].fillna(True).astype(bool).tolist()
        if "production_steady" in ordered.columns
        else [True] * len(ordered)
    )
    group_keys: list[Hashable] = list(zip(*(ordered[c].tolist() for c in key), strict=True))
    accepted = ordered["accepted"].astype(bool).tolist()
    defects = ordered["defects"].astype("int64").tolist()
    acceptance = ordered["acceptance_number"].astype("int64").tolist()
    applied: list[str] = []
    after: list[str] = []
    clauses: list[str] = []
    explanations: list[str] = []
    scores: list[int] = []
    state = SwitchingState()
    previous: Hashable = object()
    for i, group in enumerate(group_keys):
        if group != previous:
            state = SwitchingState()
            previous = group
        applied.append(state.severity)
        state.record_lot(
            accepted=accepted[i],
            defects=defects[i],
            acceptance_number=acceptance[i],
            label=labels[i],
            allow_reduced=allow_reduced,
            production_steady=steady[i],
        )
        after.append(state.severity)
        clauses.append(state.clause)
        explanations.append(state.explanation)
        scores.append(state.switching_score)
    return ordered.assign(
        severity_applied=applied,
        severity_after=after,
        clause=clauses,
        explanation=explanations,
        switching_score=scores,
    )


def switching_states(
    history: pd.DataFrame,
    *,
    key: Sequence[str] = ("supplier_id",),
    order_by: str = "inspected_on",
    allow_reduced: bool = False,
) -> pd.DataFrame:
    """Current severity of every group in the history (normal, tightened, reduced, discontinued).

    One row per group: the ``key`` columns, severity, clause (the clause of ISO 2859-1 that put
    the group there: 9.1, 9.3.1, 9.3.2, 9.3.3, 9.3.4 or 9.4), a one-line explanation,
    switching_score and lots_inspected. A group with no lots is not listed: it starts at normal
    (clause 9.1), as a new :class:`SwitchingState` is.
    """
    key = list(key)
    trace = switching_trace(history, key=key, order_by=order_by, allow_reduced=allow_reduced)
    if trace.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=history[c].dtype) for c in key}
            | {
                "severity": pd.Series(dtype=object),
                "clause": pd.Series(dtype=object),
                "explanation": pd.Series(dtype=object),
                "switching_score": pd.Series(dtype="int64"),
                "lots_inspected": pd.Series(dtype="int64"),
            }
        )
    lots = trace.groupby(key, sort=False).size().rename("lots_inspected").reset_index()
    last = trace.drop_duplicates(key, keep="last")[
        [*key, "severity_after", "clause", "explanation", "switching_score"]
    ]
    result = last.rename(columns={"severity_after": "severity"}).merge(lots, on=key, how="left")
    return result.reset_index(drop=True)
