"""The desk's cells in words: lots with their shares, missing evidence, documents on file,
whom to chase, buyer signals — built column-wise for every ticket at once."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supplier_audit.complaints.packs import Packs
from supplier_audit.complaints.words import WORDS, word
from supplier_audit.contracts.text_columns import distinct_by_key, joined_per_group, member_of


def fill(template: str, fields: dict[str, pd.Series | str], index: pd.Index) -> pd.Series:
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


def in_words(prefix: str, values: pd.Series, language: str) -> pd.Series:
    table = {k.removeprefix(prefix): word(k, language) for k in WORDS if k.startswith(prefix)}
    return values.astype("string").map(table).fillna(values.astype("string"))


def supplier_contacts(suppliers: pd.DataFrame) -> pd.Series:
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


def lot_labels(traced: pd.DataFrame, language: str) -> pd.Series:
    """Per complaint: ``RK1`` when known, ``推测: RK1 60% · RK2 40%`` when inferred."""
    inferred = traced["basis"].eq("inferred").to_numpy(dtype=bool)
    share = (traced["share"] * 100).round().astype("int64").astype("string")
    label = traced["shipment_id"].where(~inferred, traced["shipment_id"] + " " + share + "%")
    joined = distinct_by_key(traced["complaint_id"], label, " · ")
    guessed = pd.Index(traced.loc[inferred, "complaint_id"].unique())
    prefix = word("inferred", language) + ": "
    at = member_of(joined.index.to_series(), guessed.to_series())
    joined[at] = prefix + joined[at]
    return joined


def missing_texts(packs: Packs, traced_ids: pd.Index, ids: pd.Series, language: str) -> pd.Series:
    """Per complaint, what its platform requires and is not on file, in words: one phrase per
    need and status listing its lots, and one per lot whose proof covers too few units."""
    needs = packs.needs[packs.needs["required"] & packs.needs["status"].ne("on_file")]
    short = needs["status"].eq("short").to_numpy(dtype=bool)
    key = ["complaint_id", "requirement", "status"]
    rest = needs[~short]
    group = rest.groupby(key, sort=False).ngroup().fillna(-1).to_numpy(dtype=np.int64)
    numbers, first = np.unique(group[group >= 0], return_index=True)
    grouped = rest.iloc[first].loc[:, key].reset_index(drop=True)
    grouped["shipment_id"] = joined_per_group(
        group, rest["shipment_id"], word("lot_separator", language), len(numbers)
    )
    lacking = fill(
        word("missing_item", language),
        {
            "requirement": in_words("requirement.", grouped["requirement"], language),
            "status": in_words("status.", grouped["status"], language),
            "lot": grouped["shipment_id"],
        },
        grouped.index,
    )
    few = needs[short]
    fields: dict[str, pd.Series | str] = {
        "requirement": in_words("requirement.", few["requirement"], language),
        "lot": few["shipment_id"],
        "covered": few["covered_units"].round().astype("Int64").astype("string"),
        "needed": few["needed_units"].round().astype("Int64").astype("string"),
    }
    sold = fill(word("short_item", language), fields, few.index)
    received = fill(word("short_item_received", language), fields, few.index)
    too_few = sold.where(few["units_from_orders"].to_numpy(dtype=bool), received)
    joined = distinct_by_key(
        pd.concat([grouped["complaint_id"], few["complaint_id"]], ignore_index=True),
        pd.concat([lacking, too_few], ignore_index=True),
        word("separator", language),
    )
    result = ids.map(joined).astype("string")
    untraced = ~member_of(ids, traced_ids.to_series())
    return result.where(~untraced, word("no_lot", language))


def documents_text(packs: Packs, language: str) -> pd.Series:
    docs = packs.documents[packs.documents["valid"]]
    kind = in_words("doc.", docs["doc_type"], language)
    ref = docs["file_ref"].astype("string")
    label = docs["document_id"] + " " + kind + (" → " + ref).fillna("")
    return distinct_by_key(docs["complaint_id"], label, word("separator", language))


def signal_texts(
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
    first = fill(
        word("earlier_complaints", language),
        {"n": earlier.astype("string"), "rejected": dismissed.astype("string")},
        index,
    ).where(earlier > 0, "")
    second = fill(word("repeat_orders", language), {"n": ordered.astype("string")}, index).where(
        ordered > 1, ""
    )
    third = fill(
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
class DeskTexts:
    """Per complaint: its lots in words, and its documents on file (computed once)."""

    lots: pd.Series
    documents: pd.Series
