"""The complaint desk of one night: every open complaint with its deadline, its lot(s), its
evidence pack, the supplier to chase and the buyer's signals; and the lost complaints whose
pack was ready (worth appealing).

Deadlines: a complaint's own ``due_on`` wins (``deadline_source`` = complaint); else its
platform's rule (``rule``, or ``default`` when the rule's window is assumed, see
defaults/platforms.toml). ``days_left`` counts from the night's as-of date, never the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supplier_audit.complaints.checklists import appeals_table, evidence_index
from supplier_audit.complaints.packs import Packs, evidence_packs
from supplier_audit.complaints.rules import ComplaintDeskSettings, judged_platform
from supplier_audit.complaints.signals import buyer_signals
from supplier_audit.complaints.texts import (
    DeskTexts,
    documents_text,
    lot_labels,
    missing_texts,
    signal_texts,
    supplier_contacts,
)
from supplier_audit.complaints.tracing import trace_lots
from supplier_audit.complaints.words import word
from supplier_audit.contracts.inputs import PLATFORMS
from supplier_audit.contracts.outputs import OPEN_COMPLAINT_COLUMNS
from supplier_audit.contracts.privacy import mask_buyer_ids, mask_contacts
from supplier_audit.contracts.text_columns import distinct_by_key, member_of
from supplier_audit.scoring.settings import EvidenceSettings

SHEET_EXTRA_COLUMNS = (
    "complaint_type",
    "overdue",
    "supplier_names",
    "buyer",
    "signals",
    "description",
)


@dataclass(frozen=True)
class ComplaintDesk:
    """The desk's tables and the counts the Summary shows."""

    open_complaints: pd.DataFrame  # OPEN_COMPLAINT_COLUMNS + SHEET_EXTRA_COLUMNS
    # The checklists of the most urgent [complaints] evidence_files_max open complaints.
    evidence_index: pd.DataFrame  # EVIDENCE_INDEX_COLUMNS
    appeals: pd.DataFrame  # APPEAL_COLUMNS
    due_soon: int
    not_ready: int
    overdue: int

    def counts(self) -> dict[str, int]:
        """The desk's counts, for the manifest and the orchestrator's summary."""
        return {
            "open": len(self.open_complaints),
            "due_soon": self.due_soon,
            "not_ready": self.not_ready,
            "overdue": self.overdue,
            "worth_appealing": len(self.appeals),
        }

    @property
    def contract_rows(self) -> pd.DataFrame:
        """open_complaints.csv's rows: the contract's columns only, text as ``str``."""
        rows = self.open_complaints.loc[:, list(OPEN_COMPLAINT_COLUMNS)]
        text = [c for c in OPEN_COMPLAINT_COLUMNS if c not in ("opened_on", "due_on", "days_left")]
        return rows.astype({column: "str" for column in text}).astype({"days_left": "int64"})


def _deadlines(
    tickets: pd.DataFrame, settings: ComplaintDeskSettings, as_of: dt.date
) -> pd.DataFrame:
    platform = tickets["platform"]
    window = platform.map({p: settings.rule(p).response_days for p in PLATFORMS}).astype("int64")
    assumed = platform.map({p: settings.rule(p).assumed for p in PLATFORMS}).astype(bool)
    by_rule = tickets["opened_on"] + pd.to_timedelta(window, unit="D")
    own = (
        pd.to_datetime(tickets["due_on"])
        if "due_on" in tickets.columns
        else pd.Series(pd.NaT, index=tickets.index)
    )
    given = own.notna()
    due = own.where(given, by_rule).dt.normalize()
    source = np.where(given, "complaint", np.where(assumed, "default", "rule"))
    days_left = (due - pd.Timestamp(as_of)).dt.days.astype("int64")
    return pd.DataFrame(
        {"due_on": due, "days_left": days_left, "deadline_source": source}, index=tickets.index
    )


def complaint_desk(
    complaints: pd.DataFrame,
    shipments: pd.DataFrame,
    *,
    suppliers: pd.DataFrame,
    documents: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    as_of: dt.date,
    settings: ComplaintDeskSettings,
    evidence: EvidenceSettings,
    language: str,
    counterfeit_types: tuple[str, ...] = ("counterfeit",),
) -> ComplaintDesk:
    """Tonight's complaint desk (see the module docstring)."""
    complaints = _with_known_platform(complaints.reset_index(drop=True))
    is_open, lost, tickets = _tickets(
        complaints,
        as_of=as_of,
        appeal_window_days=settings.appeal_window_days,
        counterfeit_types=counterfeit_types,
    )
    chosen = complaints[is_open | lost]
    traced = trace_lots(
        chosen,
        orders,
        shipments,
        window_days=settings.trace_window_days,
        max_lots=settings.trace_max_lots,
    )
    packs = evidence_packs(
        tickets, traced, shipments, documents, orders, settings=settings, evidence=evidence
    )
    signals = buyer_signals(
        complaints,
        orders,
        burst_days=settings.burst_days,
        burst_min_complaints=settings.burst_min_complaints,
        counterfeit_types=counterfeit_types,
    ).set_index("complaint_id")
    contacts = supplier_contacts(suppliers)
    names = suppliers.set_index(suppliers["supplier_id"].astype("string"))["supplier_name"]

    open_rows = complaints[is_open]
    texts = DeskTexts(lots=lot_labels(traced, language), documents=documents_text(packs, language))
    table = _open_table(
        open_rows, traced, packs, texts, signals, contacts, names, settings, as_of, language
    )
    index = evidence_index(table.head(settings.evidence_files_max), packs, contacts, language)
    appeals = appeals_table(complaints[lost], traced, packs, texts)
    days_left = table["days_left"]
    due_soon = int(((days_left >= 0) & (days_left * 24 <= settings.due_soon_hours)).sum())
    return ComplaintDesk(
        open_complaints=table,
        evidence_index=index,
        appeals=appeals,
        due_soon=due_soon,
        not_ready=int(table["evidence_status"].eq("not_ready").sum()),
        overdue=int(table["overdue"].sum()),
    )


def _with_known_platform(complaints: pd.DataFrame) -> pd.DataFrame:
    """The complaints with the platform whose rules judge them (:func:`.rules.judged_platform`)."""
    platform = (
        complaints["platform"]
        if "platform" in complaints.columns
        else pd.Series(pd.NA, index=complaints.index, dtype="string")
    )
    return complaints.assign(platform=judged_platform(platform))


def _tickets(
    complaints: pd.DataFrame,
    *,
    as_of: dt.date,
    appeal_window_days: int,
    counterfeit_types: tuple[str, ...],
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Which complaints are open, which were lost recently enough to appeal (a counterfeit
    complaint upheld against the shop, closed within the appeal window), and the tickets of
    both: id, platform, opened and judged on (today for an open one)."""
    opened = pd.to_datetime(complaints["opened_on"]).dt.normalize()
    is_open = complaints["status"].eq("open").to_numpy(dtype=bool)
    day = pd.Timestamp(as_of)
    closed = (
        pd.to_datetime(complaints["closed_on"])
        if "closed_on" in complaints.columns
        else pd.Series(pd.NaT, index=complaints.index)
    )
    lost = (
        complaints["status"].eq("upheld")
        & complaints["complaint_type"].isin(counterfeit_types)
        & closed.notna()
        & (closed > day - pd.Timedelta(days=appeal_window_days))
    ).to_numpy(dtype=bool)
    chosen = is_open | lost
    tickets = pd.DataFrame(
        {
            "complaint_id": complaints.loc[chosen, "complaint_id"].astype("string"),
            "platform": complaints.loc[chosen, "platform"],
            "opened_on": opened[chosen],
            "judged_on": closed[chosen].where(~is_open[chosen], day),
        }
    )
    return is_open, lost, tickets


def _supplier_texts(
    traced: pd.DataFrame, ids: pd.Series, contacts: pd.Series, names: pd.Series, language: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per open complaint: its suppliers' ids, contacts and names, each distinct and joined."""
    mine = traced[member_of(traced["complaint_id"], ids)]
    suppliers = distinct_by_key(mine["complaint_id"], mine["supplier_id"], " · ")
    contact = distinct_by_key(
        mine["complaint_id"], mine["supplier_id"].map(contacts), word("separator", language)
    )
    supplier_names = distinct_by_key(
        mine["complaint_id"], mine["supplier_id"].map(names).astype("string"), " · "
    )
    return suppliers, contact, supplier_names


def _buyer_texts(rows: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The buyer's words with phone numbers and the like masked, and the masked buyer id."""
    description = (
        mask_contacts(rows["description"].astype("string"))
        if "description" in rows.columns
        else pd.Series(pd.NA, index=rows.index, dtype="string")
    )
    buyer = (
        mask_buyer_ids(rows["buyer_id"].astype("string"))
        if "buyer_id" in rows.columns
        else pd.Series(pd.NA, index=rows.index, dtype="string")
    )
    return description, buyer


def _open_table(
    rows: pd.DataFrame,
    traced: pd.DataFrame,
    packs: Packs,
    texts: DeskTexts,
    signals: pd.DataFrame,
    contacts: pd.Series,
    names: pd.Series,
    settings: ComplaintDeskSettings,
    as_of: dt.date,
    language: str,
) -> pd.DataFrame:
    ids = rows["complaint_id"].astype("string")
    deadlines = _deadlines(
        rows.assign(opened_on=pd.to_datetime(rows["opened_on"])), settings, as_of
    )
    traced_ids = pd.Index(traced["complaint_id"].unique())
    suppliers, contact, supplier_names = _supplier_texts(traced, ids, contacts, names, language)
    repeat, every = signal_texts(signals, ids, language, burst_days=settings.burst_days)
    description, buyer = _buyer_texts(rows)
    table = pd.DataFrame(
        {
            "complaint_id": ids,
            "platform": rows["platform"].astype("string"),
            "sku": rows["sku"].astype("string"),
            "opened_on": pd.to_datetime(rows["opened_on"]).dt.normalize(),
            "due_on": deadlines["due_on"],
            "days_left": deadlines["days_left"],
            "deadline_source": deadlines["deadline_source"],
            "shipment_ids": ids.map(texts.lots).astype("string"),
            "supplier_ids": ids.map(suppliers).astype("string"),
            "evidence_status": ids.map(packs.verdict).fillna("not_ready").astype("string"),
            "missing_evidence": missing_texts(packs, traced_ids, ids, language),
            "documents_on_file": ids.map(texts.documents).astype("string"),
            "supplier_contact": ids.map(contact).astype("string"),
            "repeat_buyer": repeat,
            "complaint_type": rows["complaint_type"].astype("string"),
            "overdue": (deadlines["days_left"] < 0).to_numpy(dtype=bool),
            "supplier_names": ids.map(supplier_names).astype("string"),
            "buyer": buyer,
            "signals": every,
            "description": description,
        }
    )
    for column in ("platform", "deadline_source", "evidence_status"):
        table[column] = table[column].astype(object)
    return table.sort_values(
        ["days_left", "evidence_status", "complaint_id"],
        key=lambda c: (
            c.map({"not_ready": 0, "partial": 1, "ready": 2}) if c.name == "evidence_status" else c
        ),
        kind="stable",
    ).reset_index(drop=True)
