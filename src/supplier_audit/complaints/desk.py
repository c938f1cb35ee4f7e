"""The complaint desk of one night: every open complaint with its deadline, its lot(s), its
evidence pack, the supplier to chase and the buyer's signals; and the lost complaints whose
pack was ready (worth appealing).

Deadlines: a complaint's own ``due_on`` wins (``deadline_source`` = complaint); else its
platform's rule (``rule``, or ``default`` when the rule's window is assumed, see
defaults/platforms.toml). ``days_left`` counts from the night's as-of date, never the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supplier_audit.complaints.packs import Packs, evidence_packs
from supplier_audit.complaints.rules import ComplaintDeskSettings
from supplier_audit.complaints.signals import buyer_signals
from supplier_audit.complaints.tracing import trace_lots
from supplier_audit.complaints.words import WORDS, word
from supplier_audit.contracts.inputs import PLATFORMS
from supplier_audit.contracts.outputs import OPEN_COMPLAINT_COLUMNS
from supplier_audit.contracts.privacy import mask_buyer_ids, mask_contacts
from supplier_audit.scoring.settings import EvidenceSettings

SHEET_EXTRA_COLUMNS = (
    "complaint_type",
    "overdue",
    "supplier_names",
    "buyer",
    "signals",
    "description",
)
EVIDENCE_INDEX_COLUMNS = (
    "complaint_id",
    "due_on",
    "days_left",
    "shipment_id",
    "share",
    "supplier_id",
    "need",
    "required",
    "status",
    "document_id",
    "doc_type",
    "file_ref",
    "issued_on",
    "valid_until",
    "quantity",
    "action",
)
APPEAL_COLUMNS = (
    "complaint_id",
    "platform",
    "sku",
    "complaint_type",
    "opened_on",
    "closed_on",
    "compensation",
    "shipment_ids",
    "supplier_ids",
    "documents_on_file",
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


def _fill(template: str, fields: dict[str, pd.Series | str], index: pd.Index) -> pd.Series:
    """``template`` with each ``{name}`` replaced by the row's value (vectorised)."""
    text = pd.Series("", index=index, dtype="string")
    for piece in re.split(r"(\{\w+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            value = fields[piece[1:-1]]
            text = text + (
                value.astype("string").fillna("") if isinstance(value, pd.Series) else value
            )
        elif piece:
            text = text + piece
    return text


def _joined(keys: pd.Series, texts: pd.Series, separator: str) -> pd.Series:
    """Per key, its distinct non-empty texts joined in the order given."""
    frame = pd.DataFrame({"key": keys.to_numpy(), "text": texts.to_numpy()})
    frame = frame[frame["text"].notna() & (frame["text"] != "")].drop_duplicates()
    if frame.empty:
        return pd.Series(dtype="string")
    return frame.groupby("key", sort=False)["text"].agg(separator.join).astype("string")


def _words(prefix: str, values: pd.Series, language: str) -> pd.Series:
    table = {k.removeprefix(prefix): word(k, language) for k in WORDS if k.startswith(prefix)}
    return values.astype("string").map(table).fillna(values.astype("string"))


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
    complaints = complaints.reset_index(drop=True)
    platform = (
        complaints["platform"].astype("string").fillna("other")
        if "platform" in complaints.columns
        else pd.Series("other", index=complaints.index, dtype="string")
    )
    complaints = complaints.assign(platform=platform.where(platform.isin(PLATFORMS), "other"))
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
        & (closed > day - pd.Timedelta(days=settings.appeal_window_days))
    ).to_numpy(dtype=bool)
    chosen = complaints[is_open | lost]
    tickets = pd.DataFrame(
        {
            "complaint_id": chosen["complaint_id"].astype("string"),
            "platform": chosen["platform"],
            "opened_on": opened[is_open | lost],
            "judged_on": closed[is_open | lost].where(~is_open[is_open | lost], day),
        }
    )
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
    contacts = _contacts(suppliers)
    names = suppliers.set_index(suppliers["supplier_id"].astype("string"))["supplier_name"]

    open_rows = complaints[is_open]
    texts = _Texts(lots=_lot_labels(traced, language), documents=_documents_text(packs, language))
    table = _open_table(
        open_rows, traced, packs, texts, signals, contacts, names, settings, as_of, language
    )
    index = _evidence_index(table.head(settings.evidence_files_max), packs, contacts, language)
    appeals = _appeals(complaints[lost], traced, packs, texts)
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


def _contacts(suppliers: pd.DataFrame) -> pd.Series:
    """supplier_id -> "SUP0012 王经理 138… wang@…" (business contacts, not masked)."""
    ids = suppliers["supplier_id"].astype("string")
    text = ids.copy()
    for column in ("contact_name", "contact_phone", "contact_email"):
        if column in suppliers.columns:
            value = suppliers[column].astype("string").str.strip()
            text = text + value.where(value.notna() & (value != ""), "").radd(" ").where(
                value.notna() & (value != ""), ""
            )
    return pd.Series(text.to_numpy(), index=ids.to_numpy(), dtype="string")


def _lot_labels(traced: pd.DataFrame, language: str) -> pd.Series:
    """Per complaint: ``RK1`` when known, ``推测: RK1 60% · RK2 40%`` when inferred."""
    inferred = traced["basis"].eq("inferred").to_numpy(dtype=bool)
    share = (traced["share"] * 100).round().astype("int64").astype("string")
    label = traced["shipment_id"].where(~inferred, traced["shipment_id"] + " " + share + "%")
    joined = _joined(traced["complaint_id"], label, " · ")
    guessed = pd.Index(traced.loc[inferred, "complaint_id"].unique())
    prefix = word("inferred", language) + ": "
    at = joined.index.isin(guessed)
    joined[at] = prefix + joined[at]
    return joined


def _missing_texts(packs: Packs, traced_ids: pd.Index, ids: pd.Series, language: str) -> pd.Series:
    """Per complaint, what its platform requires and is not on file, in words: one phrase per
    need and status listing its lots, and one per lot whose proof covers too few units."""
    needs = packs.needs[packs.needs["required"] & packs.needs["status"].ne("on_file")]
    short = needs["status"].eq("short").to_numpy(dtype=bool)
    key = ["complaint_id", "requirement", "status"]
    grouped = (
        needs[~short]
        .groupby(key, sort=False)["shipment_id"]
        .agg(word("lot_separator", language).join)
        .reset_index()
    )
    lacking = _fill(
        word("missing_item", language),
        {
            "requirement": _words("requirement.", grouped["requirement"], language),
            "status": _words("status.", grouped["status"], language),
            "lot": grouped["shipment_id"],
        },
        grouped.index,
    )
    few = needs[short]
    fields: dict[str, pd.Series | str] = {
        "requirement": _words("requirement.", few["requirement"], language),
        "lot": few["shipment_id"],
        "covered": few["covered_units"].round().astype("Int64").astype("string"),
        "needed": few["needed_units"].round().astype("Int64").astype("string"),
    }
    sold = _fill(word("short_item", language), fields, few.index)
    received = _fill(word("short_item_received", language), fields, few.index)
    too_few = sold.where(few["units_from_orders"].to_numpy(dtype=bool), received)
    joined = _joined(
        pd.concat([grouped["complaint_id"], few["complaint_id"]], ignore_index=True),
        pd.concat([lacking, too_few], ignore_index=True),
        word("separator", language),
    )
    result = ids.map(joined).astype("string")
    untraced = ~ids.isin(traced_ids)
    return result.where(~untraced, word("no_lot", language))


def _documents_text(packs: Packs, language: str) -> pd.Series:
    docs = packs.documents[packs.documents["valid"]]
    kind = _words("doc.", docs["doc_type"], language)
    ref = docs["file_ref"].astype("string")
    label = docs["document_id"] + " " + kind + (" → " + ref).fillna("")
    return _joined(docs["complaint_id"], label, word("separator", language))


def _signal_texts(
    signals: pd.DataFrame, ids: pd.Series, language: str, *, burst_days: int
) -> tuple[pd.Series, pd.Series]:
    """(repeat_buyer, all signals) per complaint of ``ids``."""
    found = signals.reindex(ids.to_numpy())
    index = ids.index
    earlier = pd.Series(found["earlier_complaints"].to_numpy(), index=index)
    dismissed = pd.Series(found["earlier_dismissed"].to_numpy(), index=index)
    ordered = pd.Series(found["same_sku_orders"].to_numpy(), index=index)
    burst = pd.Series(found["burst_complaints"].to_numpy(), index=index)
    separator = word("separator", language)
    first = _fill(
        word("earlier_complaints", language),
        {"n": earlier.astype("string"), "rejected": dismissed.astype("string")},
        index,
    ).where(earlier > 0, "")
    second = _fill(word("repeat_orders", language), {"n": ordered.astype("string")}, index).where(
        ordered > 1, ""
    )
    third = _fill(
        word("burst", language),
        {"n": burst.astype("string"), "days": str(burst_days)},
        index,
    ).where(burst > 0, "")
    return _listed([first, second], separator), _listed([first, second, third], separator)


def _listed(parts: list[pd.Series], separator: str) -> pd.Series:
    """The non-empty parts of each row joined by ``separator`` (NA when all are empty)."""
    text = parts[0]
    for part in parts[1:]:
        glue = pd.Series(separator, index=text.index, dtype="string").where(
            (text != "") & (part != ""), ""
        )
        text = text + glue + part
    return text.replace("", pd.NA)


@dataclass(frozen=True)
class _Texts:
    """Per complaint: its lots in words, and its documents on file (computed once)."""

    lots: pd.Series
    documents: pd.Series


def _open_table(
    rows: pd.DataFrame,
    traced: pd.DataFrame,
    packs: Packs,
    texts: _Texts,
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
    mine = traced[traced["complaint_id"].isin(ids)]
    suppliers = _joined(mine["complaint_id"], mine["supplier_id"], " · ")
    contact = _joined(
        mine["complaint_id"], mine["supplier_id"].map(contacts), word("separator", language)
    )
    supplier_names = _joined(
        mine["complaint_id"], mine["supplier_id"].map(names).astype("string"), " · "
    )
    repeat, every = _signal_texts(signals, ids, language, burst_days=settings.burst_days)
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
            "missing_evidence": _missing_texts(packs, traced_ids, ids, language),
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


def _evidence_index(
    table: pd.DataFrame, packs: Packs, contacts: pd.Series, language: str
) -> pd.DataFrame:
    """Per open complaint, the clerk's checklist: each need of each lot, with the documents
    to upload (their file_ref) or the supplier to ask."""
    open_ids = table["complaint_id"]
    if table.empty:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in EVIDENCE_INDEX_COLUMNS})
    needs = packs.needs[packs.needs["complaint_id"].isin(open_ids)]
    docs = packs.documents[packs.documents["complaint_id"].isin(open_ids)]
    key = ["complaint_id", "shipment_id", "requirement"]
    rows = needs.merge(
        docs[
            [
                *key,
                "document_id",
                "doc_type",
                "file_ref",
                "issued_on",
                "valid_until",
                "quantity",
                "valid",
            ]
        ],
        on=key,
        how="left",
    )
    valid = rows["valid"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    chase = _fill(
        word("chase", language), {"supplier": rows["supplier_id"].map(contacts)}, rows.index
    )
    action = pd.Series(
        np.where(valid, word("upload", language), chase.to_numpy(dtype=object)),
        index=rows.index,
        dtype="string",
    )
    action = action.where(rows["required"] | valid, pd.NA)
    action = action.where(
        ~(rows["status"].eq("short") & valid),
        word("upload", language) + word("separator", language) + chase,
    )
    when = table.set_index("complaint_id")
    share = (rows["share"] * 100).round().astype("int64").astype("string") + "%"
    index = pd.DataFrame(
        {
            "complaint_id": rows["complaint_id"],
            "due_on": rows["complaint_id"].map(when["due_on"]),
            "days_left": rows["complaint_id"].map(when["days_left"]).astype("int64"),
            "shipment_id": rows["shipment_id"],
            "share": share,
            "supplier_id": rows["supplier_id"],
            "need": _words("requirement.", rows["requirement"], language),
            "required": np.where(rows["required"], word("yes", language), word("no", language)),
            "status": _words("status.", rows["status"], language).where(
                rows["required"] | rows["status"].eq("on_file"),
                word("status.not_required", language),
            ),
            "document_id": rows["document_id"],
            "doc_type": _words("doc.", rows["doc_type"], language).where(rows["doc_type"].notna()),
            "file_ref": rows["file_ref"],
            "issued_on": rows["issued_on"],
            "valid_until": rows["valid_until"],
            "quantity": rows["quantity"],
            "action": action,
        }
    )
    order = table["complaint_id"].reset_index().set_index("complaint_id")["index"]
    index["_rank"] = index["complaint_id"].map(order)
    index["_optional"] = ~rows["required"].to_numpy(dtype=bool)
    index = index.sort_values(
        ["_rank", "shipment_id", "_optional", "need", "document_id"], kind="stable"
    )
    index = index.drop(columns="_optional")
    return index.drop(columns="_rank").loc[:, list(EVIDENCE_INDEX_COLUMNS)].reset_index(drop=True)


def _appeals(lost: pd.DataFrame, traced: pd.DataFrame, packs: Packs, texts: _Texts) -> pd.DataFrame:
    """Counterfeit complaints lost (upheld) in the appeal window while their pack was ready:
    the platform decided against goods the shop could prove genuine."""
    ids = lost["complaint_id"].astype("string")
    ready = ids.map(packs.verdict).eq("ready").to_numpy(dtype=bool)
    chosen = lost[ready]
    ids = ids[ready]
    mine = traced[traced["complaint_id"].isin(ids)]
    frame = pd.DataFrame(
        {
            "complaint_id": ids,
            "platform": chosen["platform"].astype("string"),
            "sku": chosen["sku"].astype("string"),
            "complaint_type": chosen["complaint_type"].astype("string"),
            "opened_on": pd.to_datetime(chosen["opened_on"]),
            "closed_on": pd.to_datetime(chosen["closed_on"]),
            "compensation": chosen.get("compensation", np.nan),
            "shipment_ids": ids.map(texts.lots).astype("string"),
            "supplier_ids": ids.map(_joined(mine["complaint_id"], mine["supplier_id"], " · ")),
            "documents_on_file": ids.map(texts.documents).astype("string"),
        }
    )
    return frame.sort_values(["closed_on", "complaint_id"], ascending=[False, True]).reset_index(
        drop=True
    )
