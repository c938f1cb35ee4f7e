"""What a published (or held) night has to tell people, read back from its folder.

Delivery reads the night's own files — ``manifest.json``, ``supplier_scores.csv``,
``inspection_plan.csv`` and, when the night has one, ``open_complaints.csv`` — so that what
is sent is exactly what was published, and a night can be sent again from its folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from supplier_audit.contracts.vocabulary import WORST_FIRST
from supplier_audit.reporting.frames import ranked_by_risk

# A ticket is "due soon" when its deadline is at most this many days away (48 hours).
DUE_SOON_DAYS = 2
SCORES_FILE = "supplier_scores.csv"
PLAN_FILE = "inspection_plan.csv"
OPEN_COMPLAINTS_FILE = "open_complaints.csv"


@dataclass(frozen=True)
class NightNews:
    """The facts of one night that the mails and chat messages tell."""

    as_of: str
    folder: Path
    tiers: dict[str, int] = field(default_factory=dict)
    # supplier_id, supplier_name, risk_tier, previous_tier of the suppliers newly high or
    # critical, worst first
    newly_serious: list[dict[str, str]] = field(default_factory=list)
    lots_to_inspect: int = 0
    units_to_pull: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    # open tickets past / within DUE_SOON_DAYS of their deadline; None: the night has no
    # open_complaints.csv, so nothing is known of deadlines
    overdue_tickets: list[dict[str, str]] | None = None
    tickets_due_soon: list[dict[str, str]] | None = None
    # the guards' reason when the night was published with --accept-drift
    accepted_drift: str | None = None
    # no earlier night in the history: nobody is "newly" high or critical
    first_run: bool = False

    @property
    def risk_report(self) -> Path:
        return self.folder / f"supplier-risk-{self.as_of}.xlsx"

    @property
    def qa_workbook(self) -> Path:
        return self.folder / f"inspection-samples-{self.as_of}.xlsx"


def _csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _tickets(frame: pd.DataFrame, mask: pd.Series) -> list[dict[str, str]]:
    chosen = frame[mask].sort_values(["days_left", "complaint_id"], kind="stable")
    columns = [c for c in ("complaint_id", "platform", "due_on", "days_left") if c in frame]
    rows: list[dict[str, str]] = chosen[columns].astype(str).to_dict(orient="records")  # type: ignore[assignment]
    return rows


def read_night(folder: Path) -> NightNews:
    """The news of the night published (or held) in ``folder``."""
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    quarantined = {
        name: int(table["rows_quarantined"])
        for name, table in manifest.get("inputs", {}).items()
        if int(table.get("rows_quarantined") or 0)
    }
    guard = manifest.get("guard") or {}
    news: dict[str, Any] = {
        "as_of": str(manifest["as_of"]),
        "folder": folder,
        "quarantined": quarantined,
        "accepted_drift": guard.get("reason") if guard.get("verdict") == "accepted" else None,
    }
    scores = _csv(folder / SCORES_FILE)
    if scores is not None and not scores.empty:
        counts = scores["risk_tier"].value_counts()
        news["tiers"] = {tier: int(counts.get(tier, 0)) for tier in WORST_FIRST}
        earlier = scores.get("previous_tier", pd.Series(dtype=str)).replace("", pd.NA)
        news["first_run"] = bool(earlier.isna().all())
        if "newly_high_or_critical" in scores and not news["first_run"]:
            scores = scores.assign(
                counterfeit_risk=pd.to_numeric(scores["counterfeit_risk"]),
                quality_risk=pd.to_numeric(scores["quality_risk"]),
            )
            newly = ranked_by_risk(scores[scores["newly_high_or_critical"].str.lower() == "true"])
            news["newly_serious"] = (
                newly[["supplier_id", "supplier_name", "risk_tier", "previous_tier"]]
                .astype(str)
                .to_dict(orient="records")
            )
    plan = _csv(folder / PLAN_FILE)
    if plan is not None:
        news["lots_to_inspect"] = len(plan)
        news["units_to_pull"] = int(pd.to_numeric(plan["sample_size"]).sum()) if len(plan) else 0
    tickets = _csv(folder / OPEN_COMPLAINTS_FILE)
    if tickets is not None and {"complaint_id", "days_left"} <= set(tickets.columns):
        tickets = tickets.assign(days_left=pd.to_numeric(tickets["days_left"], errors="coerce"))
        news["overdue_tickets"] = _tickets(tickets, tickets["days_left"] < 0)
        news["tickets_due_soon"] = _tickets(tickets, tickets["days_left"].between(0, DUE_SOON_DAYS))
    return NightNews(**news)
