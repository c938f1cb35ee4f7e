"""The risk report's Evidence rows: reviews, complaints and inspections in one list, worst first.

A review or complaint shared between suppliers gets one row per supplier, with its share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from supplier_audit.contracts.text_columns import member_of
from supplier_audit.reporting.cells import (
    is_blank,
)
from supplier_audit.reporting.risk_cells import Column, translated
from supplier_audit.reporting.risk_inputs import RiskReportInputs

EVIDENCE_COLUMNS = (
    Column("kind"),
    Column("severity", "int"),
    Column("date", "date"),
    Column("supplier_id"),
    Column("supplier_name"),
    Column("share", "percent"),
    Column("sku"),
    Column("reference"),
    Column("rating", "int"),
    Column("counterfeit_suspect", "bool"),
    Column("categories", words="category"),
    Column("matched_terms"),
    Column("text", "wrap"),
)


# A complaint's type as the review category it shares (the Evidence sheet's category column).
_COMPLAINT_CATEGORY = {"counterfeit": "counterfeit", "quality": "quality", "damaged": "damage"}


def _complaint_texts(complaints: pd.DataFrame, language: str) -> list[str]:
    """Type, status and payout of each complaint in words (the description is on the ticket)."""
    template = translated("evidence.complaint", language)
    money = complaints.get("compensation", pd.Series(None, index=complaints.index))
    return [
        template.format(
            type=translated(f"complaint_type.{kind}", language),
            status=translated(f"complaint_status.{status}", language),
            money=""
            if is_blank(paid)
            else f"；¥{float(paid):,.2f}"
            if language == "zh"
            else f"; ¥{float(paid):,.2f}",
        )
        for kind, status, paid in zip(
            complaints["complaint_type"], complaints["status"], money, strict=True
        )
    ]


def _inspection_texts(failures: pd.DataFrame, language: str) -> list[str]:
    """What a failed inspection found, in words."""
    template = translated("evidence.inspection", language)
    return [
        template.format(n=int(n), counterfeit=int(c), critical=int(cr), major=int(ma))
        for n, c, cr, ma in zip(
            failures["sample_size"],
            failures["counterfeit_units"],
            failures["critical_defects"],
            failures["major_defects"],
            strict=True,
        )
    ]


@dataclass(frozen=True)
class EvidenceList:
    """The Evidence sheet's rows (the first ``limit`` of them at least, when a limit was asked
    for) and how many rows the whole list has."""

    rows: pd.DataFrame
    total: int


_ORDER = ["severity", "counterfeit_suspect", "date", "reference", "share", "supplier_id"]
_DESCENDING = [True, True, True, False, True, False]


def evidence_list(inputs: RiskReportInputs, *, limit: int | None = None) -> EvidenceList:
    """:func:`evidence_rows`, or with ``limit`` only as much of it as a sheet of ``limit`` rows
    shows: every item that can reach the first ``limit`` rows is put one row per supplier, the
    rest are only counted (a big night flags about a million reviews, the sheet shows 50,000)."""
    items = _evidence_items(inputs)
    if limit is None or len(items) <= limit:
        rows = _worst_first(_one_supplier_per_row(items, inputs))
        return EvidenceList(rows=rows, total=len(rows))
    total = len(items) + _extra_supplier_rows(items, inputs)
    chosen = _most_serious(items, limit)
    return EvidenceList(rows=_worst_first(_one_supplier_per_row(chosen, inputs)), total=total)


def evidence_rows(inputs: RiskReportInputs) -> pd.DataFrame:
    """Flagged reviews, upheld complaints and failed inspections in one list, worst first."""
    return evidence_list(inputs).rows


def _evidence_items(inputs: RiskReportInputs) -> pd.DataFrame:
    """Every review, complaint and failed inspection, one row each, its severity a number."""
    language = inputs.language
    parts = []
    if inputs.flagged_reviews is not None and not inputs.flagged_reviews.empty:
        parts.append(_review_rows(inputs.flagged_reviews, language))
    if inputs.upheld_complaints is not None and not inputs.upheld_complaints.empty:
        parts.append(_complaint_rows(inputs.upheld_complaints, language))
    if inputs.inspection_failures is not None and not inputs.inspection_failures.empty:
        parts.append(_inspection_rows(inputs.inspection_failures, language))
    if not parts:
        return pd.DataFrame(columns=[c.name for c in EVIDENCE_COLUMNS if c.name != "share"])
    rows = pd.concat(parts, ignore_index=True)
    rows["severity"] = pd.to_numeric(rows["severity"], errors="coerce").fillna(1).astype("int64")
    return rows


def _worst_first(rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=[c.name for c in EVIDENCE_COLUMNS])
    return rows.sort_values(
        _ORDER, ascending=[not d for d in _DESCENDING], kind="stable"
    ).reset_index(drop=True)


def _most_serious(items: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The items whose rows can be among the first ``limit`` of the list: the first ``limit``
    by severity, counterfeit, date and reference, and any item tied with the last of them
    (their suppliers' shares decide the order among them)."""
    keys = _ORDER[:4]
    ordered = items.sort_values(
        keys, ascending=[not d for d in _DESCENDING[:4]], kind="stable"
    ).reset_index(drop=True)
    last = ordered.iloc[limit - 1]
    tied = np.ones(len(ordered), dtype=bool)
    for key in keys:
        column = ordered[key]
        tied &= ((column == last[key]) | (column.isna() & pd.isna(last[key]))).to_numpy(dtype=bool)
    rest = tied[limit:]  # the items tied with the last follow it
    end = limit + (len(rest) if rest.all() else int(np.argmin(rest)))
    return ordered.iloc[:end]


def _extra_supplier_rows(items: pd.DataFrame, inputs: RiskReportInputs) -> int:
    """How many more rows than items the list has: an item shared by n suppliers is n rows."""
    attribution = inputs.attribution
    if attribution is None or attribution.empty:
        return 0
    language = inputs.language
    kinds = {translated(k, language): t for k, t in _ATTRIBUTED_KINDS.items()}
    item_keys = (
        items["kind"].map(kinds).astype("string") + "\x1f" + items["reference"].astype("string")
    )
    links = attribution["table"].astype("string") + "\x1f" + attribution["item_id"].astype("string")
    per_item = links[member_of(links, item_keys)].value_counts()
    return int((per_item - 1).clip(lower=0).sum())


def _review_rows(reviews: pd.DataFrame, language: str) -> pd.DataFrame:
    """Flagged reviews as evidence rows."""
    return pd.DataFrame(
        {
            "kind": translated("kind.review", language),
            "severity": reviews.get("max_severity", 1),
            "date": reviews["created_at"],
            "supplier_id": reviews.get("attributed_to", reviews.get("supplier_id")),
            "supplier_name": reviews.get("supplier_name"),
            "sku": reviews["sku"],
            "reference": reviews["review_id"],
            "rating": reviews.get("rating"),
            "counterfeit_suspect": reviews["counterfeit_suspect"],
            "categories": reviews.get("categories"),
            "matched_terms": reviews.get("matched_terms"),
            "text": reviews["text"],
            "spans": reviews.get("spans"),
        }
    )


def _complaint_rows(complaints: pd.DataFrame, language: str) -> pd.DataFrame:
    """Upheld complaints as evidence rows (their type and payout in words)."""
    return pd.DataFrame(
        {
            "kind": translated("kind.complaint", language),
            "severity": complaints.get("severity", 3),
            "date": complaints["opened_on"],
            "supplier_id": complaints.get("supplier_id"),
            "supplier_name": complaints.get("supplier_name"),
            "sku": complaints["sku"],
            "reference": complaints["complaint_id"],
            "counterfeit_suspect": complaints["complaint_type"] == "counterfeit",
            "categories": complaints["complaint_type"].map(_COMPLAINT_CATEGORY),
            "text": _complaint_texts(complaints, language),
        }
    )


def _inspection_rows(failures: pd.DataFrame, language: str) -> pd.DataFrame:
    """Failed inspections as evidence rows (what they found in words)."""
    return pd.DataFrame(
        {
            "kind": translated("kind.inspection", language),
            "severity": failures.get("severity", 3),
            "date": failures["inspected_on"],
            "supplier_id": failures.get("supplier_id"),
            "supplier_name": failures.get("supplier_name"),
            "sku": failures.get("sku"),
            "reference": failures["shipment_id"],
            "counterfeit_suspect": failures["counterfeit_units"] > 0,
            "text": _inspection_texts(failures, language),
        }
    )


_ATTRIBUTED_KINDS = {"kind.review": "reviews", "kind.complaint": "complaints"}


def _one_supplier_per_row(rows: pd.DataFrame, inputs: RiskReportInputs) -> pd.DataFrame:
    """Each review or complaint shared between suppliers (attributed by SKU share) as one row
    per supplier with its share, so that a filter on the supplier finds all its evidence."""
    rows = rows.assign(share=1.0)
    attribution = inputs.attribution
    if attribution is None or attribution.empty:
        return rows
    language = inputs.language
    table = rows["kind"].map({translated(k, language): t for k, t in _ATTRIBUTED_KINDS.items()})
    links = attribution.rename(
        columns={"item_id": "reference", "supplier_id": "_supplier", "weight": "_weight"}
    )[["table", "reference", "_supplier", "_weight"]]
    links = links[member_of(links["reference"], rows["reference"])]  # (a big night's: a few)
    keyed = rows.assign(table=table, _row=np.arange(len(rows)))
    joined = keyed.merge(links, on=["table", "reference"], how="left", sort=False)
    found = joined["_supplier"].notna()
    joined.loc[found, "supplier_id"] = joined.loc[found, "_supplier"]
    joined.loc[found, "share"] = joined.loc[found, "_weight"].astype("float64")
    if inputs.scores is not None and "supplier_name" in inputs.scores.columns:
        names = inputs.scores.set_index("supplier_id")["supplier_name"]
        joined.loc[found, "supplier_name"] = joined.loc[found, "supplier_id"].map(names)
    joined = joined.sort_values("_row", kind="stable")
    return joined.drop(columns=["table", "_row", "_supplier", "_weight"]).reset_index(drop=True)
