"""The evidence pack of a complaint: for each of its lots, what the platform accepts as proof
and what is on file, missing, expired or short.

A document proves a lot when it covers it (the data contract's rule:
:func:`supplier_audit.scoring.evidence.documents_covering_lots`), its type is accepted by the
complaint's platform for that need, it was on file by the day the pack is judged (tonight for
an open complaint; the closing day for a decided one) and it is valid on the complaint's day
or was issued since (an authorization that lapsed before the buyer complained proves nothing;
one renewed after it does). An invoice or contract with no valid_until counts for the
configured days from issue, as in the scores.

Needs are per lot: a brand authorization for branded lots (unbranded goods need none), proof
of purchase for every lot, a customs declaration for imports, a test report when on file.
Proof of purchase whose stated quantities add up to fewer units than were sold from the lot
(orders naming the lot; the lot's received quantity when no order names it) is **short**; a
document that does not state its quantity is taken to cover the lot.

Verdict per complaint, over the needs its platform requires for every lot it may have come
from: **ready** when all are on file, **not_ready** when none is (or no lot could be found),
**partial** otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from supplier_audit.complaints.rules import ComplaintDeskSettings, judged_platform
from supplier_audit.contracts.inputs import PLATFORMS
from supplier_audit.contracts.text_columns import member_of
from supplier_audit.scoring.evidence import effective_until
from supplier_audit.scoring.lot_documents import documents_covering_lots
from supplier_audit.scoring.settings import EvidenceSettings

NEED_STATUSES: Final = ("on_file", "short", "expired", "missing")


@dataclass(frozen=True)
class Packs:
    """Per (complaint, lot, need): its status; per (complaint, lot, document): the documents;
    per complaint: the verdict."""

    needs: pd.DataFrame  # complaint_id, shipment_id, supplier_id, share, basis, requirement,
    # required, status, covered_units, needed_units, units_from_orders
    documents: pd.DataFrame  # complaint_id, shipment_id, requirement, document_id, doc_type,
    # file_ref, issued_on, valid_until, quantity, valid
    verdict: pd.Series  # complaint_id -> ready / partial / not_ready


def _blank_as_missing(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _platform_table(settings: ComplaintDeskSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(platform, requirement, required) and (platform, requirement, doc_type) from the rules."""
    required = pd.DataFrame(
        [
            (platform, name, name in settings.rule(platform).requires)
            for platform in PLATFORMS
            for name in settings.requirements
        ],
        columns=["platform", "requirement", "required"],
    )
    accepted = pd.DataFrame(
        [
            (platform, name, doc_type)
            for platform in PLATFORMS
            for name in settings.requirements
            for doc_type in settings.satisfying_types(platform, name)
        ],
        columns=["platform", "requirement", "doc_type"],
    )
    return required.astype({"platform": "string", "requirement": "string"}), accepted.astype(
        "string"
    )


def units_sold(orders: pd.DataFrame | None) -> pd.Series:
    """shipment_id -> units sold from that lot by the orders that name it."""
    if orders is None or orders.empty or "shipment_id" not in orders.columns:
        return pd.Series(dtype="float64")
    named = orders[orders["shipment_id"].notna()]
    quantity = (
        named["quantity"].astype("Float64").fillna(1.0).astype("float64")
        if "quantity" in named.columns
        else pd.Series(1.0, index=named.index)
    )
    return quantity.groupby(named["shipment_id"].astype("string").to_numpy()).sum()


def evidence_packs(
    tickets: pd.DataFrame,
    traced: pd.DataFrame,
    shipments: pd.DataFrame,
    documents: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    *,
    settings: ComplaintDeskSettings,
    evidence: EvidenceSettings,
) -> Packs:
    """The packs of ``tickets`` (complaint_id, platform, opened_on, judged_on) over their
    traced lots (:func:`supplier_audit.complaints.tracing.trace_lots`)."""
    ticket = pd.DataFrame(
        {
            "complaint_id": tickets["complaint_id"].astype("string").to_numpy(),
            "platform": judged_platform(tickets["platform"]).to_numpy(),
            "opened": pd.to_datetime(tickets["opened_on"]).dt.normalize().to_numpy(),
            "judged": pd.to_datetime(tickets["judged_on"]).dt.normalize().to_numpy(),
        }
    )
    cells = traced.merge(ticket, on="complaint_id", how="inner").merge(
        _lots(shipments[member_of(shipments["shipment_id"], traced["shipment_id"])]),
        on="shipment_id",
        how="left",
    )
    required, accepted = _platform_table(settings)
    lot_keys = cells.drop_duplicates("shipment_id")[["shipment_id", "supplier_id", "sku", "brand"]]
    needs = _needs(cells, settings).merge(required, on=["platform", "requirement"], how="left")
    del cells

    found = _documents_of(needs, lot_keys, documents, accepted, evidence)
    needs = _with_status(needs, found, units_sold(orders))
    verdict = _verdicts(ticket, needs)
    keep = [
        "complaint_id",
        "shipment_id",
        "supplier_id",
        "share",
        "basis",
        "requirement",
        "required",
        "status",
        "covered_units",
        "needed_units",
        "units_from_orders",
    ]
    order = ["complaint_id", "share", "shipment_id", "requirement"]
    needs = needs.sort_values(order, ascending=[True, False, True, True], kind="stable")
    return Packs(
        needs=needs.loc[:, keep].reset_index(drop=True),
        documents=found.drop(columns=["opened", "judged", "platform", "check_units"]),
        verdict=verdict,
    )


def _lots(shipments: pd.DataFrame) -> pd.DataFrame:
    """What a pack needs to know of each lot: SKU, brand (blank: none), import, units."""
    return pd.DataFrame(
        {
            "shipment_id": shipments["shipment_id"].astype("string").to_numpy(),
            "sku": shipments["sku"].astype("string").to_numpy(),
            "brand": _blank_as_missing(shipments["brand"]).to_numpy()
            if "brand" in shipments.columns
            else pd.NA,
            "is_import": shipments["is_import"].astype(bool).to_numpy()
            if "is_import" in shipments.columns
            else False,
            "lot_quantity": shipments["quantity"].astype("float64").to_numpy(),
        }
    )


def _needs(cells: pd.DataFrame, settings: ComplaintDeskSettings) -> pd.DataFrame:
    """One row per (complaint, lot, requirement that applies to the lot): a brand authorization
    for a branded lot, a customs declaration for an import, the rest for every lot."""
    parts = []
    needed = [c for c in cells.columns if c not in ("sku", "brand", "is_import")]
    for name, need in settings.requirements.items():
        if need.applies_to == "branded":
            applies = cells["brand"].notna().to_numpy()
        elif need.applies_to == "import":
            applies = cells["is_import"].fillna(False).astype(bool).to_numpy()
        else:
            applies = np.ones(len(cells), dtype=bool)
        parts.append(
            cells.loc[applies, needed].assign(requirement=name, check_units=need.check_units)
        )
    needs = pd.concat(parts, ignore_index=True) if parts else cells.loc[:, needed].iloc[:0]
    needs["requirement"] = needs["requirement"].astype("string")
    return needs


def _documents_of(
    needs: pd.DataFrame,
    lots: pd.DataFrame,
    documents: pd.DataFrame | None,
    accepted: pd.DataFrame,
    evidence: EvidenceSettings,
) -> pd.DataFrame:
    """Per (complaint, lot, need), the accepted documents covering the lot that were on file
    when the pack is judged, with ``valid`` on the complaint's day."""
    columns = {
        "complaint_id": "string",
        "shipment_id": "string",
        "requirement": "string",
        "document_id": "string",
        "doc_type": "string",
        "file_ref": "string",
        "issued_on": "datetime64[us]",
        "valid_until": "datetime64[us]",
        "quantity": "Float64",
        "valid": "bool",
        "opened": "datetime64[us]",
        "judged": "datetime64[us]",
        "platform": "string",
        "check_units": "bool",
    }
    if documents is None or documents.empty or needs.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    pairs = documents_covering_lots(lots, documents)
    # Only the documents that cover a traced lot, and each under the needs its type can meet
    # (joined to the complaints' needs last: a lot's documents x its complaints' needs would
    # be far more rows).
    used = np.unique(pairs["position"].to_numpy())
    docs = documents.iloc[used].reset_index(drop=True)
    pairs = pairs.assign(position=np.searchsorted(used, pairs["position"].to_numpy()))
    attributes = _document_attributes(docs, evidence)
    pairs = pairs.merge(attributes, on="position").drop(columns="position")
    meets = accepted[["requirement", "doc_type"]].drop_duplicates()
    pairs = pairs.merge(meets, on="doc_type", how="inner")
    found = needs[
        [
            "complaint_id",
            "shipment_id",
            "requirement",
            "platform",
            "opened",
            "judged",
            "check_units",
        ]
    ].merge(pairs, on=["shipment_id", "requirement"])
    found = found.merge(accepted, on=["platform", "requirement", "doc_type"], how="inner")
    found = found[(found["issued_on"] <= found["judged"]).to_numpy(dtype=bool)]
    found = found.assign(valid=(found["until"] >= found["opened"]).to_numpy(dtype=bool))
    found = found.drop(columns="until").sort_values(
        ["complaint_id", "shipment_id", "requirement", "issued_on", "document_id"], kind="stable"
    )
    return found.reset_index(drop=True)


def _document_attributes(docs: pd.DataFrame, evidence: EvidenceSettings) -> pd.DataFrame:
    """Per document (by position): its id, type, scan, issue day, stated and effective end,
    and the units it states."""
    issued = pd.to_datetime(docs["issued_on"]).dt.normalize()
    stated = pd.to_datetime(docs["valid_until"]).dt.normalize() if "valid_until" in docs else None
    until = effective_until(docs["doc_type"], issued, stated, evidence)
    return pd.DataFrame(
        {
            "position": np.arange(len(docs), dtype=np.int64),
            "document_id": docs["document_id"].astype("string"),
            "doc_type": docs["doc_type"].astype("string"),
            "file_ref": docs["file_ref"].astype("string")
            if "file_ref" in docs
            else pd.Series(pd.NA, index=docs.index, dtype="string"),
            "issued_on": issued,
            "valid_until": pd.to_datetime(docs["valid_until"]) if "valid_until" in docs else pd.NaT,
            "until": until,
            "quantity": docs["quantity"].astype("Float64")
            if "quantity" in docs
            else pd.Series(pd.NA, index=docs.index, dtype="Float64"),
        }
    )


def _with_status(needs: pd.DataFrame, found: pd.DataFrame, sold: pd.Series) -> pd.DataFrame:
    key = ["complaint_id", "shipment_id", "requirement"]
    valid = found[found["valid"]]
    stated = valid["quantity"].astype("float64")
    per_need = (
        valid.assign(
            stated=stated.fillna(0.0).to_numpy(), unstated=stated.isna().to_numpy(dtype=bool)
        )
        .groupby(key, sort=False)
        .agg(any_valid=("valid", "any"), covered=("stated", "sum"), unstated=("unstated", "any"))
    )
    seen = found.groupby(key, sort=False).size().rename("documents")
    needs = needs.merge(per_need, left_on=key, right_index=True, how="left").merge(
        seen, left_on=key, right_index=True, how="left"
    )
    any_valid = needs["any_valid"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    any_doc = needs["documents"].fillna(0).to_numpy() > 0
    from_orders = needs["shipment_id"].map(sold)
    needed = from_orders.fillna(needs["lot_quantity"]).astype("float64")
    covered = needs["covered"].astype("float64").fillna(0.0)
    unstated = needs["unstated"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    short = (
        any_valid
        & needs["check_units"].to_numpy(dtype=bool)
        & ~unstated
        & (covered.to_numpy() < needed.to_numpy())
    )
    status = np.where(
        short, "short", np.where(any_valid, "on_file", np.where(any_doc, "expired", "missing"))
    )
    return needs.assign(
        status=pd.array(status, dtype="string"),
        covered_units=covered.where(any_valid & ~unstated),
        needed_units=needed,
        units_from_orders=from_orders.notna().to_numpy(dtype=bool),
        required=needs["required"].astype("boolean").fillna(False).astype(bool),
    )


def _verdicts(ticket: pd.DataFrame, needs: pd.DataFrame) -> pd.Series:
    required = needs[needs["required"]]
    on_file = required["status"].eq("on_file").to_numpy(dtype=bool)
    some_proof = required["status"].isin(["on_file", "short"]).to_numpy(dtype=bool)
    grouped = pd.DataFrame(
        {"complaint_id": required["complaint_id"], "all": on_file, "some": some_proof}
    ).groupby("complaint_id", sort=False)
    every = grouped["all"].all()
    some = grouped["some"].any()
    traced = pd.Index(needs["complaint_id"].unique())
    verdict = pd.Series("not_ready", index=pd.Index(ticket["complaint_id"]), dtype="string")
    is_traced = member_of(verdict.index.to_series(), traced.to_series())
    all_ok = every.reindex(verdict.index).astype("boolean")
    any_ok = some.reindex(verdict.index).astype("boolean")
    # A traced complaint whose lots need nothing the platform requires (none) is ready.
    ready = is_traced & all_ok.fillna(True).to_numpy(dtype=bool)
    partial = is_traced & ~ready & any_ok.fillna(False).to_numpy(dtype=bool)
    verdict[ready] = "ready"
    verdict[partial] = "partial"
    verdict.index.name = "complaint_id"
    return verdict
