"""Evidence readiness (正品举证材料): which received lots have their documents on file.

The contract's rule: a lot is documented for a doc type when a document of that type from its
supplier covers it — same shipment_id; or (no shipment_id on the document) same sku, or same
brand, or neither given — and is valid on the lot's received date (issued_on <= received_on <=
valid_until; an invoice or contract with no valid_until counts for 365 days from issue; any
other document with no valid_until does not expire).

A gap is **expired** when a document of the right type covers the lot but is not valid on its
received date (expired before, or issued after, the goods arrived), and **missing** when no
such document was ever on file.

Vectorised: lots x documents are matched by four merges (on shipment, on supplier + sku, on
supplier + brand, on supplier for documents with no scope) instead of a supplier-wide cross
join, so the work grows with lots x documents-per-scope, not lots x documents-per-supplier.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

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


def _text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


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
            "brand": _text(lots["brand"]).to_numpy() if "brand" in lots.columns else pd.NA,
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


def need_status(
    need: pd.DataFrame,
    documents: pd.DataFrame | None,
    *,
    doc_types: Mapping[str, Sequence[str]],
    settings: EvidenceSettings,
    valid_on: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """shipment_id, requirement, status (on_file / expired / missing) for every need."""
    matched = covering_documents(
        need, documents, doc_types=doc_types, settings=settings, valid_on=valid_on
    )
    status = need[["shipment_id", "requirement"]].merge(
        matched, on=["shipment_id", "requirement"], how="left"
    )
    status["status"] = np.where(
        status["valid"].eq(True),
        "on_file",
        np.where(status["valid"].eq(False), "expired", "missing"),
    )
    status = status[["shipment_id", "requirement", "status"]]
    status["status"] = status["status"].astype("string")
    return status


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
    status = need_status(
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


def covering_documents(
    need: pd.DataFrame,
    documents: pd.DataFrame | None,
    *,
    doc_types: Mapping[str, Sequence[str]],
    settings: EvidenceSettings,
    valid_on: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per (shipment_id, requirement) of ``need``: valid = any covering document is valid.

    ``need`` has shipment_id, supplier_id, sku, brand, received, quantity and requirement;
    ``doc_types`` maps each requirement to the document types that satisfy it. A document is
    valid when it was in force on the lot's received date; with ``valid_on``, its stated
    valid_until must also not have passed by that day (what a platform checks today). A
    document naming the lot and stating fewer units (``quantity``) than the lot holds does
    not cover it. Lots with no candidate document are absent (missing).
    """
    empty = pd.DataFrame(
        {
            "shipment_id": pd.Series(dtype="string"),
            "requirement": pd.Series(dtype="string"),
            "valid": pd.Series(dtype=bool),
        }
    )
    if documents is None or documents.empty or need.empty:
        return empty
    lots = need.drop_duplicates("shipment_id")
    pairs = documents_covering_lots(lots, documents.reset_index(drop=True))
    candidates = pairs.merge(_document_terms(documents, doc_types, settings), on="position").merge(
        need[["shipment_id", "requirement", "received", "quantity"]],
        on=["shipment_id", "requirement"],
    )
    # a document naming the lot and stating fewer units than it holds does not cover it
    short = (
        candidates["doc_lot"].notna()
        & candidates["doc_quantity"].notna()
        & (candidates["doc_quantity"] < candidates["quantity"])
    )
    candidates = candidates[~short.to_numpy(dtype=bool)]
    if candidates.empty:
        return empty
    candidates["valid"] = (candidates["issued"] <= candidates["received"]) & (
        candidates["received"] <= candidates["until"]
    )
    if valid_on is not None:
        in_force = candidates["stated_until"].isna() | (candidates["stated_until"] >= valid_on)
        candidates["valid"] = candidates["valid"] & in_force
    grouped = candidates.groupby(["shipment_id", "requirement"], sort=False)["valid"]
    return grouped.any().reset_index()


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
            "doc_lot": _text(documents["shipment_id"]).astype("string").to_numpy()
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


def documents_covering_lots(lots: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """(shipment_id, document position) pairs: which documents cover which lots, by the
    contract's rule (same supplier, and the lot's shipment_id; or, for a document naming no
    lot, the same sku, or the same brand, or neither given), validity aside.

    ``lots`` has shipment_id, supplier_id, sku and brand; the position is the document's row
    position in ``documents``. The one place this rule lives: the evidence a lot has on file
    (:func:`covering_documents`) and a complaint's evidence pack both read it.
    """
    lot = pd.DataFrame(
        {
            "shipment_id": lots["shipment_id"].astype("string").to_numpy(),
            "supplier_id": lots["supplier_id"].astype("string").to_numpy(),
            "sku": _text(lots["sku"]).to_numpy(),
            "brand": _text(lots["brand"]).to_numpy() if "brand" in lots else pd.NA,
        }
    ).astype("string")
    lot = lot.drop_duplicates("shipment_id")

    def column(name: str) -> pd.Series:
        if name not in documents.columns:
            return pd.Series(pd.NA, index=range(len(documents)), dtype="string")
        return _text(documents[name]).reset_index(drop=True).astype("string")

    docs = pd.DataFrame(
        {
            "position": np.arange(len(documents), dtype=np.int64),
            "supplier_id": documents["supplier_id"].astype("string").to_numpy(),
            "doc_lot": column("shipment_id").to_numpy(),
            "doc_sku": column("sku").to_numpy(),
            "doc_brand": column("brand").to_numpy(),
        }
    )
    for name in ("supplier_id", "doc_lot", "doc_sku", "doc_brand"):
        docs[name] = docs[name].astype("string")
    scoped = docs[docs["doc_lot"].isna()]
    parts = [
        lot[["shipment_id", "supplier_id"]].merge(
            docs[docs["doc_lot"].notna()][["supplier_id", "doc_lot", "position"]],
            left_on=["shipment_id", "supplier_id"],
            right_on=["doc_lot", "supplier_id"],
        ),
        lot[["shipment_id", "supplier_id", "sku"]].merge(
            scoped[scoped["doc_sku"].notna()][["supplier_id", "doc_sku", "position"]],
            left_on=["supplier_id", "sku"],
            right_on=["supplier_id", "doc_sku"],
        ),
        lot.dropna(subset=["brand"])[["shipment_id", "supplier_id", "brand"]].merge(
            scoped[scoped["doc_brand"].notna()][["supplier_id", "doc_brand", "position"]],
            left_on=["supplier_id", "brand"],
            right_on=["supplier_id", "doc_brand"],
        ),
        lot[["shipment_id", "supplier_id"]].merge(
            scoped[scoped["doc_sku"].isna() & scoped["doc_brand"].isna()][
                ["supplier_id", "position"]
            ],
            on="supplier_id",
        ),
    ]
    pairs = pd.concat([part[["shipment_id", "position"]] for part in parts], ignore_index=True)
    return pairs.drop_duplicates().reset_index(drop=True)


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
