"""Defensibility: could we win a platform ticket (举证) on a branded lot today?

A branded lot is **defensible** when every proof the platform accepts that applies to it
(``[defensibility.accepted.<platform>]`` in scoring.toml: by default a brand authorization, a
purchase invoice or contract, and a customs declaration for imports) is on file, covers the
lot and is valid today (:func:`.evidence.need_statuses` with ``valid_on`` = the night
audited). A supplier's ``defensibility`` is the share (0-100) of its branded units received in
the window whose lots are defensible; NaN when it delivered no branded lot.

This axis is separate from counterfeit_risk on purpose: missing papers make a complaint
unwinnable, they do not make goods fake. What it calls for (collect the documents, hold the
listings, warn goods-in) is in :mod:`.actions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from supplier_audit.contracts.text_columns import distinct_by_key, member_of
from supplier_audit.scoring.evidence import lot_frame, lot_needs, need_statuses
from supplier_audit.scoring.settings import ScoringSettings

LOT_COLUMNS = (
    "shipment_id",
    "supplier_id",
    "sku",
    "brand",
    "received_on",
    "quantity",
    "defensible",
    "missing_proof",
    "expired_proof",
    "received_without_check",
)
SUPPLIER_COLUMNS = (
    "supplier_id",
    "defensibility",
    "branded_units",
    "defensible_units",
    "lots_to_hold",
    "proof_missing",
    "brands_missing_proof",
    "lots_received_unchecked",
)


@dataclass(frozen=True)
class DefensibilityResult:
    """Per branded lot and per supplier (only suppliers with branded lots are listed)."""

    per_lot: pd.DataFrame  # LOT_COLUMNS
    per_supplier: pd.DataFrame  # SUPPLIER_COLUMNS


def _empty() -> DefensibilityResult:
    return DefensibilityResult(
        per_lot=pd.DataFrame({c: pd.Series(dtype=object) for c in LOT_COLUMNS}),
        per_supplier=pd.DataFrame({c: pd.Series(dtype=object) for c in SUPPLIER_COLUMNS}),
    )


def lot_defensibility(
    lots: pd.DataFrame,
    documents: pd.DataFrame | None,
    *,
    as_of: date,
    settings: ScoringSettings,
    platform: str | None = None,
) -> DefensibilityResult:
    """Defensibility of the branded ``lots`` (already restricted to the window) on ``as_of``.

    ``missing_proof`` / ``expired_proof`` name (";"-joined) the accepted proofs never on file
    for the lot / on file but not valid today; ``received_without_check`` is true when a proof
    marked ``goods_in_check`` (the brand authorization) was not in force when the lot arrived.
    """
    frame = lot_frame(lots, settings.evidence)
    frame = frame[frame["brand"].notna().to_numpy(dtype=bool)].reset_index(drop=True)
    if frame.empty:
        return _empty()
    proof = settings.defensibility.proof(platform)
    need = lot_needs(frame, {name: p.applies_to for name, p in proof.items()})
    doc_types = {name: p.doc_types for name, p in proof.items()}
    today, on_arrival = need_statuses(
        need, documents, doc_types=doc_types, settings=settings.evidence,
        valid_on=pd.Timestamp(as_of),
    )  # fmt: skip
    lacking = today[today["status"] != "on_file"]
    missing, expired = (
        distinct_by_key(part["shipment_id"], part["requirement"], ";", sort=True)
        for part in (lacking[lacking["status"] == s] for s in ("missing", "expired"))
    )
    checked = [name for name, p in proof.items() if p.goods_in_check]
    unchecked: set[str] = set()
    if checked:
        # a need's documents depend on its own requirement only: the checked ones' statuses
        # on arrival are those of the same matching
        arrival = on_arrival[need["requirement"].isin(checked).to_numpy(dtype=bool)]
        unchecked = set(arrival.loc[arrival["status"] != "on_file", "shipment_id"].astype(str))
    ids = frame["shipment_id"]
    per_lot = pd.DataFrame(
        {
            "shipment_id": ids,
            "supplier_id": frame["supplier_id"],
            "sku": frame["sku"],
            "brand": frame["brand"],
            "received_on": frame["received"],
            "quantity": frame["quantity"].astype("int64"),
            "defensible": ~member_of(ids, lacking["shipment_id"]),
            "missing_proof": ids.map(missing).astype("string").fillna(""),
            "expired_proof": ids.map(expired).astype("string").fillna(""),
            "received_without_check": member_of(
                ids.astype(str), pd.Series(sorted(unchecked), dtype=object)
            ),
        }
    )
    per_lot = per_lot.sort_values(
        ["supplier_id", "received_on", "shipment_id"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
    return DefensibilityResult(per_lot=per_lot, per_supplier=_per_supplier(per_lot))


def _per_supplier(per_lot: pd.DataFrame) -> pd.DataFrame:
    units = per_lot["quantity"].astype("float64")
    sums = (
        per_lot.assign(
            branded_units=units, defensible_units=units * per_lot["defensible"].astype(float)
        )
        .groupby("supplier_id")[["branded_units", "defensible_units"]]
        .sum()
    )
    out = sums.astype("int64")
    out["defensibility"] = (100.0 * sums["defensible_units"] / sums["branded_units"]).round(1)
    weak = per_lot[~per_lot["defensible"]]
    # Most recent lots first: the ones most likely still listed and in stock.
    out["lots_to_hold"] = weak.groupby("supplier_id")["shipment_id"].agg(
        lambda ids: [str(i) for i in ids]
    )
    proofs = weak.assign(
        proof=(weak["missing_proof"].fillna("") + ";" + weak["expired_proof"].fillna("")).str.split(
            ";"
        )
    ).explode("proof")
    proofs = proofs[proofs["proof"].astype(bool)]
    out["proof_missing"] = proofs.groupby("supplier_id")["proof"].agg(
        lambda names: sorted(set(names))
    )
    brand_lists: dict[str, dict[str, list[str]]] = {}
    for (supplier, proof), brands in proofs.groupby(["supplier_id", "proof"])["brand"]:
        brand_lists.setdefault(str(supplier), {})[str(proof)] = sorted(set(map(str, brands)))
    out["brands_missing_proof"] = pd.Series(brand_lists, dtype=object).reindex(out.index)
    out["lots_received_unchecked"] = (
        per_lot.groupby("supplier_id")["received_without_check"].sum().astype("int64")
    )
    for column in ("lots_to_hold", "proof_missing"):
        out[column] = out[column].apply(lambda v: v if isinstance(v, list) else [])
    out["brands_missing_proof"] = out["brands_missing_proof"].apply(
        lambda v: v if isinstance(v, dict) else {}
    )
    out.index.name = "supplier_id"
    return (
        out.reset_index()
        .loc[:, list(SUPPLIER_COLUMNS)]
        .assign(defensibility=lambda f: f["defensibility"].astype(np.float64))
    )
