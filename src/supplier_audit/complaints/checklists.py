"""What the clerk follows: the evidence checklist of each urgent ticket (one row per need of
each lot: the document to upload, or the supplier to ask) and the lost complaints worth
appealing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplier_audit.complaints.packs import Packs
from supplier_audit.complaints.texts import DeskTexts, fill, in_words
from supplier_audit.complaints.words import word
from supplier_audit.contracts.text_columns import distinct_by_key

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


def evidence_index(
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
    action = _actions(rows, contacts, language)
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
            "need": in_words("requirement.", rows["requirement"], language),
            "required": np.where(rows["required"], word("yes", language), word("no", language)),
            "status": in_words("status.", rows["status"], language).where(
                rows["required"] | rows["status"].eq("on_file"),
                word("status.not_required", language),
            ),
            "document_id": rows["document_id"],
            "doc_type": in_words("doc.", rows["doc_type"], language).where(
                rows["doc_type"].notna()
            ),
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


def _actions(rows: pd.DataFrame, contacts: pd.Series, language: str) -> pd.Series:
    """What the clerk does for each need: upload the valid document, or ask the supplier for
    one (both when the document on file covers too few units); nothing for an optional need
    with no valid document."""
    valid = rows["valid"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    chase = fill(
        word("chase", language), {"supplier": rows["supplier_id"].map(contacts)}, rows.index
    )
    action = pd.Series(
        np.where(valid, word("upload", language), chase.to_numpy(dtype=object)),
        index=rows.index,
        dtype="string",
    )
    action = action.where(rows["required"] | valid, pd.NA)
    return action.where(
        ~(rows["status"].eq("short") & valid),
        word("upload", language) + word("separator", language) + chase,
    )


def appeals_table(
    lost: pd.DataFrame, traced: pd.DataFrame, packs: Packs, texts: DeskTexts
) -> pd.DataFrame:
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
            "supplier_ids": ids.map(
                distinct_by_key(mine["complaint_id"], mine["supplier_id"], " · ")
            ),
            "documents_on_file": ids.map(texts.documents).astype("string"),
        }
    )
    return frame.sort_values(["closed_on", "complaint_id"], ascending=[False, True]).reset_index(
        drop=True
    )
