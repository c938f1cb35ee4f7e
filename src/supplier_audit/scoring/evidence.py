"""Evidence readiness (正品举证材料): which received lots have their documents on file.

The contract's rule: a lot is documented for a doc type when a document of that type from its
supplier covers it — same shipment_id; or (no shipment_id on the document) same sku, or same
brand, or neither given — and is valid on the lot's received date (issued_on <= received_on <=
valid_until; an invoice or contract with no valid_until counts for 365 days from issue; any
other document with no valid_until does not expire).

A gap is **expired** when a document of the right type covers the lot but is not valid on its
received date (expired before, or issued after, the goods arrived), and **missing** when no
such document was ever on file.

Which documents cover which lots is :mod:`.lot_documents`; this module judges their dates and
units, per lot and requirement, in one vectorised pass.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from supplier_audit.contracts.text_columns import shared_codes
from supplier_audit.scoring.lot_documents import (
    first_rows,
    lot_document_pairs,
    text_or_missing,
)
from supplier_audit.scoring.settings import EvidenceSettings

log = logging.getLogger(__name__)

GAP_COLUMNS = (
    "supplier_id",
    "brand",
    "requirement",
    "status",
    "lots",
    "units",
    "value_cny",
    "first_received_on",
    "last_received_on",
)
_FAR_FUTURE = pd.Timestamp("2262-01-01")


@dataclass(frozen=True)
class EvidenceResult:
    """Per-supplier readiness, per-lot status and the gaps per supplier x brand."""

    per_supplier: pd.DataFrame  # supplier_id, evidence_readiness, <requirement>_coverage...
    lot_status: pd.DataFrame  # shipment_id, requirement, status (on_file / expired / missing)
    gaps: pd.DataFrame  # GAP_COLUMNS


def lot_values_cny(lots: pd.DataFrame, settings: EvidenceSettings) -> pd.Series:
    """Value of each lot (quantity x unit_cost) in CNY at the configured indicative rates."""
    currency = (
        lots["currency"].astype("string").fillna("CNY")
        if "currency" in lots.columns
        else pd.Series("CNY", index=lots.index, dtype="string")
    )
    rate = currency.map(settings.cny_per_unit).astype("float64")
    unknown = sorted(set(currency[rate.isna()].dropna().unique()))
    if unknown:
        log.warning("no CNY rate configured for %s: their values count at 1.0", unknown)
    return (
        lots["quantity"].astype("float64") * lots["unit_cost"].astype("float64") * rate.fillna(1.0)
    )


def lot_frame(lots: pd.DataFrame, settings: EvidenceSettings) -> pd.DataFrame:
    """The lots as evidence sees them: ids, sku, brand (None = unbranded), received, value."""
    frame = pd.DataFrame(
        {
            "shipment_id": lots["shipment_id"].astype("string").to_numpy(),
            "supplier_id": lots["supplier_id"].astype("string").to_numpy(),
            "sku": lots["sku"].astype("string").to_numpy(),
            "brand": text_or_missing(lots["brand"]).to_numpy()
            if "brand" in lots.columns
            else pd.NA,
            "received": pd.to_datetime(lots["received_on"]).dt.normalize().to_numpy(),
            "quantity": lots["quantity"].astype("int64").to_numpy(),
            "is_import": lots["is_import"].astype(bool).to_numpy()
            if "is_import" in lots.columns
            else False,
            "value_cny": lot_values_cny(lots, settings).to_numpy(),
        }
    )
    frame["brand"] = frame["brand"].astype("string")
    return frame


def lot_needs(frame: pd.DataFrame, applies_to: Mapping[str, str]) -> pd.DataFrame:
    """One row per lot x requirement that applies to it ("all", "branded" or "import" lots)."""
    needs = []
    for name, scope in applies_to.items():
        if scope == "branded":
            applies = frame["brand"].notna()
        elif scope == "import":
            applies = frame["is_import"]
        else:
            applies = pd.Series(True, index=frame.index)
        part = frame.loc[
            applies.to_numpy(dtype=bool),
            ["shipment_id", "supplier_id", "sku", "brand", "received", "quantity"],
        ]
        needs.append(part.assign(requirement=name))
    need = pd.concat(needs, ignore_index=True)
    need["requirement"] = need["requirement"].astype("string")
    return need


def need_statuses(
    need: pd.DataFrame,
    documents: pd.DataFrame | None,
    *,
    doc_types: Mapping[str, Sequence[str]],
    settings: EvidenceSettings,
    valid_on: pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """shipment_id, requirement, status (on_file / expired / missing) for every need, in
    ``need``'s order: on ``valid_on``, and as it was when each lot arrived, from one matching
    of lots and documents.

    ``need`` has shipment_id, supplier_id, sku, brand, received, quantity and requirement;
    ``doc_types`` maps each requirement to the document types that satisfy it. A document
    covering the lot (:func:`.lot_documents.documents_covering_lots`) is valid when it was in
    force on the lot's received date; with ``valid_on``, its stated valid_until must also not
    have passed by that day (what a platform checks today). A document naming the lot and
    stating fewer units (``quantity``) than the lot holds does not cover it. A need with a
    covering document but none valid is expired; with none, missing."""
    covered, valid, arrived = _need_cover(
        need, documents, doc_types=doc_types, settings=settings, valid_on=valid_on
    )
    ids = need["shipment_id"].astype("string").to_numpy()
    names = need["requirement"].astype("string").to_numpy()

    def frame(ok: npt.NDArray[np.bool_]) -> pd.DataFrame:
        status = np.where(ok, "on_file", np.where(covered, "expired", "missing"))
        return pd.DataFrame(
            {"shipment_id": ids, "requirement": names, "status": pd.array(status, dtype="string")}
        )

    return frame(valid), frame(arrived)


def evidence_readiness(
    lots: pd.DataFrame, documents: pd.DataFrame | None, *, settings: EvidenceSettings
) -> EvidenceResult:
    """Evidence readiness of the given lots (already restricted to the scoring window).

    Readiness of a supplier = share of the CNY value of its lots whose every required
    document is on file; ``<requirement>_coverage`` = the same share among the lots that need
    that requirement (NaN where no lot needs it).
    """
    frame = lot_frame(lots, settings)
    need = lot_needs(frame, {name: r.applies_to for name, r in settings.requirements.items()})
    status, _ = need_statuses(
        need,
        documents,
        doc_types={name: r.doc_types for name, r in settings.requirements.items()},
        settings=settings,
    )
    return EvidenceResult(
        per_supplier=_per_supplier(frame, status, list(settings.requirements)),
        lot_status=status,
        gaps=_gaps(frame, status),
    )


def _need_cover(
    need: pd.DataFrame,
    documents: pd.DataFrame | None,
    *,
    doc_types: Mapping[str, Sequence[str]],
    settings: EvidenceSettings,
    valid_on: pd.Timestamp | None,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Per row of ``need``: whether any document of a type its requirement accepts covers its
    lot (not short of units); whether any such document is valid (see :func:`need_statuses`);
    and whether any was valid when the lot arrived (``valid_on`` aside). Every join is on
    integer codes, not on the id texts."""
    none = np.zeros(len(need), dtype=bool)
    if documents is None or documents.empty or need.empty:
        return none, none.copy(), none.copy()
    documents = documents.reset_index(drop=True)
    lot_codes = shared_codes(need["shipment_id"])[0]
    lots, need_lot = first_rows(lot_codes)
    pairs = lot_document_pairs(need.iloc[lots], documents)
    names = list(doc_types)
    terms = _document_terms(documents, doc_types, settings)
    terms["requirement"] = pd.Categorical(terms["requirement"], categories=names).codes
    need_code = pd.Categorical(need["requirement"].astype("string"), categories=names).codes
    # a requirement no document type meets is never covered (key -1)
    need_key = np.where(need_code >= 0, need_lot * len(names) + need_code, -1)
    candidates = pairs.merge(terms, on="position")
    candidates = pd.DataFrame(
        {
            "key": candidates["lot_row"].to_numpy() * len(names)
            + candidates["requirement"].to_numpy(),
            "doc_named_lot": candidates["doc_lot"].notna().to_numpy(dtype=bool),
            **{c: candidates[c].to_numpy() for c in ("issued", "until", "stated_until")},
            "doc_quantity": candidates["doc_quantity"].to_numpy(dtype=np.float64),
        }
    ).merge(pd.DataFrame({"key": need_key, "need_row": np.arange(len(need))}), on="key")
    row = candidates["need_row"].to_numpy()
    received = need["received"].to_numpy()[row]
    # a document naming the lot and stating fewer units than it holds does not cover it
    quantity = need["quantity"].to_numpy(dtype=np.float64)[row]
    units = candidates["doc_quantity"].to_numpy()
    counts = ~(candidates["doc_named_lot"].to_numpy() & (units < quantity))
    ok = (candidates["issued"].to_numpy() <= received) & (
        received <= candidates["until"].to_numpy()
    )
    at_receipt = ok.copy()
    if valid_on is not None:
        stated = candidates["stated_until"]
        ok &= (stated.isna() | (stated >= valid_on)).to_numpy(dtype=bool)
    keys = candidates["key"].to_numpy()
    size = len(lots) * len(names)
    covered = np.bincount(keys[counts], minlength=size + 1) > 0
    valid = np.bincount(keys[counts & ok], minlength=size + 1) > 0
    arrived = np.bincount(keys[counts & at_receipt], minlength=size + 1) > 0
    covered[size] = valid[size] = arrived[size] = False  # key -1 reads the last element
    return covered[need_key], valid[need_key], arrived[need_key]


def _document_terms(
    documents: pd.DataFrame, doc_types: Mapping[str, Sequence[str]], settings: EvidenceSettings
) -> pd.DataFrame:
    """Per document (by row position) and requirement it can satisfy: the lot it names, the
    units it states, when it was issued, until when it proves anything and until when it
    says it is valid."""
    type_to_need = [(doc_type, name) for name, types in doc_types.items() for doc_type in types]
    mapping = pd.DataFrame(type_to_need, columns=["doc_type", "requirement"]).astype("string")
    docs = pd.DataFrame(
        {
            "position": np.arange(len(documents), dtype=np.int64),
            "doc_type": documents["doc_type"].astype("string").to_numpy(),
            "doc_lot": text_or_missing(documents["shipment_id"]).astype("string").to_numpy()
            if "shipment_id" in documents
            else pd.NA,
            "issued": pd.to_datetime(documents["issued_on"]).dt.normalize().to_numpy(),
            "stated_until": pd.to_datetime(documents["valid_until"]).dt.normalize().to_numpy()
            if "valid_until" in documents
            else pd.NaT,
            "doc_quantity": pd.to_numeric(documents["quantity"], errors="coerce").to_numpy()
            if "quantity" in documents
            else np.nan,
        }
    )
    docs = docs.merge(mapping, on="doc_type", how="inner")
    docs["until"] = effective_until(
        docs["doc_type"], docs["issued"], docs["stated_until"], settings
    )
    return docs


def _per_supplier(
    frame: pd.DataFrame, status: pd.DataFrame, requirements: list[str]
) -> pd.DataFrame:
    on_file = status.assign(ok=status["status"].eq("on_file").to_numpy(dtype=bool))
    all_ok = on_file.groupby("shipment_id")["ok"].all()
    lots = frame[["shipment_id", "supplier_id", "value_cny"]].copy()
    lots["ok"] = lots["shipment_id"].map(all_ok).fillna(True).astype(bool)
    lots["ok_value"] = lots["value_cny"] * lots["ok"]
    agg = lots.groupby("supplier_id", sort=True)[["value_cny", "ok_value"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {"evidence_readiness": agg["ok_value"] / agg["value_cny"].where(agg["value_cny"] > 0)}
        )
    per_need = on_file.merge(
        frame[["shipment_id", "value_cny"]], on="shipment_id", how="left"
    ).merge(frame[["shipment_id", "supplier_id"]], on="shipment_id", how="left")
    per_need["ok_value"] = per_need["value_cny"] * per_need["ok"]
    sums = per_need.groupby(["supplier_id", "requirement"])[["value_cny", "ok_value"]].sum()
    coverage = (sums["ok_value"] / sums["value_cny"].where(sums["value_cny"] > 0)).unstack(
        "requirement"
    )
    coverage = coverage.reindex(columns=requirements)
    coverage.columns = [f"{name}_coverage" for name in requirements]
    out = out.join(coverage, how="left")
    out.index.name = "supplier_id"
    return out.reset_index()


def _gaps(frame: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    gaps = status[status["status"] != "on_file"].merge(
        frame[["shipment_id", "supplier_id", "brand", "quantity", "value_cny", "received"]],
        on="shipment_id",
        how="left",
    )
    if gaps.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in GAP_COLUMNS})
    gaps["brand"] = gaps["brand"].fillna("")
    out = gaps.groupby(["supplier_id", "brand", "requirement", "status"], as_index=False).agg(
        lots=("shipment_id", "nunique"),
        units=("quantity", "sum"),
        value_cny=("value_cny", "sum"),
        first_received_on=("received", "min"),
        last_received_on=("received", "max"),
    )
    out = out.sort_values(
        ["supplier_id", "value_cny"], ascending=[True, False], kind="stable"
    ).reset_index(drop=True)
    return out.loc[:, list(GAP_COLUMNS)]


def effective_until(
    doc_type: pd.Series,
    issued: pd.Series,
    stated: pd.Series | None,
    settings: EvidenceSettings,
) -> pd.Series:
    """The last day each document proves anything: the ``valid_until`` it states; else, for an
    invoice or contract (``invoice_like_types``), ``invoice_like_validity_days`` after it was
    issued; else for ever."""
    invoice_like = doc_type.isin(settings.invoice_like_types)
    default = (issued + pd.Timedelta(days=settings.invoice_like_validity_days)).where(
        invoice_like, _FAR_FUTURE
    )
    return default if stated is None else stated.where(stated.notna(), default)
