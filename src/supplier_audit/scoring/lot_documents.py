"""Which documents cover which lots: the contract's rule, in one place.

A document covers a lot when it comes from the lot's supplier and names the lot's shipment_id;
or, naming no lot, names the lot's sku, or its brand, or neither. Validity (dates, units)
aside: :mod:`.evidence` and the complaint packs judge that. Matched by four joins (on
shipment, on supplier + sku, on supplier + brand, on supplier for documents with no scope)
instead of a supplier-wide cross join, and on integer codes of the ids rather than on their
texts (a join of a million lots on text keys took seconds; on codes, a fraction of one).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from supplier_audit.contracts.text_columns import shared_codes


def text_or_missing(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def first_rows(
    codes: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The rows where each code first appears (in row order), and for every row the number
    of its code among them."""
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse.reshape(-1)]


def documents_covering_lots(lots: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """(shipment_id, document position) pairs: which documents cover which lots, by the
    contract's rule (same supplier, and the lot's shipment_id; or, for a document naming no
    lot, the same sku, or the same brand, or neither given), validity aside.

    ``lots`` has shipment_id, supplier_id, sku and brand; the position is the document's row
    position in ``documents``. The one place this rule lives: the evidence a lot has on file
    (:func:`.evidence.need_statuses`) and a complaint's evidence pack both read it.
    """
    first, _ = first_rows(shared_codes(lots["shipment_id"])[0])
    unique = lots.iloc[first]
    pairs = lot_document_pairs(unique, documents.reset_index(drop=True))
    ids = unique["shipment_id"].astype("string").to_numpy()
    return pd.DataFrame(
        {
            "shipment_id": pd.array(ids[pairs["lot_row"].to_numpy()], dtype="string"),
            "position": pairs["position"].to_numpy(),
        }
    )


def lot_document_pairs(lots: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """(lot_row, position) pairs of :func:`documents_covering_lots` for ``lots`` with distinct
    shipment_ids (lot_row: the lot's row position), joined on integer codes of the ids."""

    def column(frame: pd.DataFrame, name: str) -> pd.Series:
        if name not in frame.columns:
            return pd.Series(pd.NA, index=range(len(frame)), dtype="string")
        return text_or_missing(frame[name])

    lot, doc = {}, {}
    for name in ("shipment_id", "supplier_id", "sku", "brand"):
        lot[name], doc[name] = shared_codes(column(lots, name), column(documents, name))
    lot_frame = pd.DataFrame({"lot_row": np.arange(len(lots)), **lot})
    docs = pd.DataFrame({"position": np.arange(len(documents)), **doc})
    named, scoped = docs[docs["shipment_id"] >= 0], docs[docs["shipment_id"] < 0]
    parts = [
        lot_frame[["lot_row", "shipment_id", "supplier_id"]].merge(
            named[["shipment_id", "supplier_id", "position"]], on=["shipment_id", "supplier_id"]
        ),
        lot_frame[lot_frame["sku"] >= 0][["lot_row", "supplier_id", "sku"]].merge(
            scoped[scoped["sku"] >= 0][["supplier_id", "sku", "position"]],
            on=["supplier_id", "sku"],
        ),
        lot_frame[lot_frame["brand"] >= 0][["lot_row", "supplier_id", "brand"]].merge(
            scoped[scoped["brand"] >= 0][["supplier_id", "brand", "position"]],
            on=["supplier_id", "brand"],
        ),
        lot_frame[["lot_row", "supplier_id"]].merge(
            scoped[(scoped["sku"] < 0) & (scoped["brand"] < 0)][["supplier_id", "position"]],
            on="supplier_id",
        ),
    ]
    pairs = pd.concat([part[["lot_row", "position"]] for part in parts], ignore_index=True)
    return pairs.drop_duplicates().reset_index(drop=True)
