"""The input contracts: pandera models of every input table and the allowed values.

Each input column carries ``metadata`` saying how a merchant's cell is read (``kind``) and
whether the column must be present in the file (``required``). Ingestion reads that metadata,
so the contract lives in one place: `/docs/data-contract.md` states it for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

ColumnKind = Literal["id", "text", "enum", "bool", "int", "decimal", "date", "datetime", "currency"]


CHANNELS: Final = (
    "manufacturer",
    "brand_owner",
    "authorized_distributor",
    "wholesaler",
    "dropship",
    "marketplace",
    "other",
)


DOC_TYPES: Final = (
    "brand_authorization",
    "purchase_invoice",
    "purchase_contract",
    "delivery_note",
    "customs_declaration",
    "test_report",
    "retail_receipt",
    "platform_order_record",
)


COMPLAINT_TYPES: Final = (
    "counterfeit",
    "quality",
    "damaged",
    "wrong_item",
    "not_as_described",
    "other",
)


COMPLAINT_STATUSES: Final = ("open", "upheld", "rejected", "withdrawn", "settled")


# What became of the counterfeit units an inspection recorded: awaiting authentication,
# authenticated as fake, or authenticated as genuine (empty = a recorded unit is a find).
COUNTERFEIT_STATUSES: Final = ("suspected", "confirmed", "cleared")


PLATFORMS: Final = ("pinduoduo", "taobao", "tmall", "jd", "douyin", "amazon", "other")


EVIDENCE_STATUSES: Final = ("ready", "partial", "not_ready")


DEADLINE_SOURCES: Final = ("complaint", "rule", "default")


# Upper bounds that no real lot, price or sample reaches: a value past them is a typing or
# export error (10^12 units), quarantined rather than allowed to dominate the scores.
MAX_QUANTITY: Final = 100_000_000


MAX_UNIT_COST: Final = 100_000_000.0


def _meta(kind: ColumnKind, *, required: bool = False, default: Any = None) -> dict[str, Any]:
    return {"kind": kind, "required": required, "default": default}


class Suppliers(pa.DataFrameModel):
    """One supplier the merchant buys from."""

    supplier_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, metadata=_meta("id", required=True)
    )
    supplier_name: Series[str] = pa.Field(
        str_length={"min_value": 1}, metadata=_meta("text", required=True)
    )
    channel: Series[str] = pa.Field(isin=CHANNELS, metadata=_meta("enum", required=True))
    region: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))
    onboarded_on: Series[pd.Timestamp] = pa.Field(nullable=True, metadata=_meta("date"))
    # Business contacts of the supplier (shown to purchasers, never masked).
    contact_name: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))
    contact_phone: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))
    contact_email: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))

    class Config:
        strict = False
        unique = ["supplier_id"]


class Shipments(pa.DataFrameModel):
    """One received lot of one SKU."""

    shipment_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, metadata=_meta("id", required=True)
    )
    supplier_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, metadata=_meta("id", required=True)
    )
    sku: Series[str] = pa.Field(str_length={"min_value": 1}, metadata=_meta("id", required=True))
    brand: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))
    received_on: Series[pd.Timestamp] = pa.Field(metadata=_meta("date", required=True))
    quantity: Series[int] = pa.Field(ge=1, le=MAX_QUANTITY, metadata=_meta("int", required=True))
    unit_cost: Series[float] = pa.Field(
        ge=0, le=MAX_UNIT_COST, metadata=_meta("decimal", required=True)
    )
    currency: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$", metadata=_meta("currency"))
    warehouse: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))
    is_import: Series[bool] = pa.Field(metadata=_meta("bool", default=False))
    dropship: Series[bool] = pa.Field(metadata=_meta("bool", default=False))

    class Config:
        strict = False
        unique = ["shipment_id"]


class Documents(pa.DataFrameModel):
    """One piece of authenticity evidence on file."""

    document_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, metadata=_meta("id", required=True)
    )
    supplier_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, metadata=_meta("id", required=True)
    )
    doc_type: Series[str] = pa.Field(isin=DOC_TYPES, metadata=_meta("enum", required=True))
    brand: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))
    sku: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))
    shipment_id: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))
    issued_on: Series[pd.Timestamp] = pa.Field(metadata=_meta("date", required=True))
    valid_until: Series[pd.Timestamp] = pa.Field(nullable=True, metadata=_meta("date"))
    # Where the scan or PDF lives (a path, a URL, a document system id): shown, never opened.
    file_ref: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))
    # Units an invoice or contract covers (empty = not stated).
    quantity: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=1, le=MAX_QUANTITY, metadata=_meta("int")
    )

    class Config:
        strict = False
        unique = ["document_id"]


class Reviews(pa.DataFrameModel):
    """One buyer review."""

    review_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, metadata=_meta("id", required=True)
    )
    sku: Series[str] = pa.Field(str_length={"min_value": 1}, metadata=_meta("id", required=True))
    created_at: Series[pd.Timestamp] = pa.Field(metadata=_meta("datetime", required=True))
    rating: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1, le=5, metadata=_meta("int"))
    text: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))
    order_id: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))
    shipment_id: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))
    supplier_id: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))

    class Config:
        strict = False
        unique = ["review_id"]


class Complaints(pa.DataFrameModel):
    """One buyer complaint or platform ticket."""

    complaint_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, metadata=_meta("id", required=True)
    )
    sku: Series[str] = pa.Field(str_length={"min_value": 1}, metadata=_meta("id", required=True))
    opened_on: Series[pd.Timestamp] = pa.Field(metadata=_meta("date", required=True))
    complaint_type: Series[str] = pa.Field(
        isin=COMPLAINT_TYPES, metadata=_meta("enum", required=True)
    )
    status: Series[str] = pa.Field(isin=COMPLAINT_STATUSES, metadata=_meta("enum", required=True))
    supplier_id: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))
    shipment_id: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))
    compensation: Series[float] = pa.Field(
        nullable=True, ge=0, le=MAX_UNIT_COST, metadata=_meta("decimal")
    )
    closed_on: Series[pd.Timestamp] = pa.Field(nullable=True, metadata=_meta("date"))
    # Empty = other.
    platform: Series[str] = pa.Field(nullable=True, isin=PLATFORMS, metadata=_meta("enum"))
    order_id: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))
    # Masked in every output.
    buyer_id: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))
    # The platform's own deadline, when the export has it (wins over the platform's rule).
    due_on: Series[pd.Timestamp] = pa.Field(nullable=True, metadata=_meta("date"))
    # The buyer's words: untrusted text, like a review.
    description: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))

    class Config:
        strict = False
        unique = ["complaint_id"]


class Orders(pa.DataFrameModel):
    """One sale, so that a buyer's unit can be traced to its lot."""

    order_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, metadata=_meta("id", required=True)
    )
    sku: Series[str] = pa.Field(str_length={"min_value": 1}, metadata=_meta("id", required=True))
    ordered_on: Series[pd.Timestamp] = pa.Field(metadata=_meta("date", required=True))
    # Empty = 1.
    quantity: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=1, le=MAX_QUANTITY, metadata=_meta("int")
    )
    shipment_id: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))
    buyer_id: Series[str] = pa.Field(nullable=True, metadata=_meta("id"))
    platform: Series[str] = pa.Field(nullable=True, isin=PLATFORMS, metadata=_meta("enum"))

    class Config:
        strict = False
        unique = ["order_id"]


class Inspections(pa.DataFrameModel):
    """One inspection result QA fed back; the key is (shipment_id, inspected_on)."""

    shipment_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, metadata=_meta("id", required=True)
    )
    inspected_on: Series[pd.Timestamp] = pa.Field(metadata=_meta("date", required=True))
    sample_size: Series[int] = pa.Field(ge=1, le=MAX_QUANTITY, metadata=_meta("int", required=True))
    critical_defects: Series[int] = pa.Field(
        ge=0, le=MAX_QUANTITY, metadata=_meta("int", required=True)
    )
    major_defects: Series[int] = pa.Field(
        ge=0, le=MAX_QUANTITY, metadata=_meta("int", required=True)
    )
    minor_defects: Series[int] = pa.Field(
        ge=0, le=MAX_QUANTITY, metadata=_meta("int", required=True)
    )
    counterfeit_units: Series[int] = pa.Field(
        ge=0, le=MAX_QUANTITY, metadata=_meta("int", required=True)
    )
    inspector: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))
    notes: Series[str] = pa.Field(nullable=True, metadata=_meta("text"))
    counterfeit_status: Series[str] = pa.Field(
        nullable=True, isin=COUNTERFEIT_STATUSES, metadata=_meta("enum")
    )

    class Config:
        strict = False
        unique = ["shipment_id", "inspected_on"]


@dataclass(frozen=True)
class ColumnSpec:
    """How one contract column is read from a merchant's file."""

    name: str
    kind: ColumnKind
    required: bool
    default: Any


@dataclass(frozen=True)
class TableSpec:
    """One input table of the contract."""

    name: str
    model: type[pa.DataFrameModel]
    required: bool
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    # Result columns whose emptiness marks an unfilled row (the QA sample workbook).
    pending_when_empty: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _table(
    name: str,
    model: type[pa.DataFrameModel],
    *,
    required: bool,
    key: tuple[str, ...],
    pending_when_empty: tuple[str, ...] = (),
) -> TableSpec:
    schema = model.to_schema()
    columns = tuple(
        ColumnSpec(
            name=col_name,
            kind=col.metadata["kind"],
            required=bool(col.metadata["required"]),
            default=col.metadata["default"],
        )
        for col_name, col in schema.columns.items()
    )
    return TableSpec(
        name=name,
        model=model,
        required=required,
        key=key,
        columns=columns,
        pending_when_empty=pending_when_empty,
    )


# In dependency order: a table's references point only at tables before it.
INPUT_TABLES: Final[dict[str, TableSpec]] = {
    spec.name: spec
    for spec in (
        _table("suppliers", Suppliers, required=True, key=("supplier_id",)),
        _table("shipments", Shipments, required=True, key=("shipment_id",)),
        _table("documents", Documents, required=False, key=("document_id",)),
        _table("reviews", Reviews, required=True, key=("review_id",)),
        _table("orders", Orders, required=False, key=("order_id",)),
        _table("complaints", Complaints, required=False, key=("complaint_id",)),
        _table(
            "inspections",
            Inspections,
            required=False,
            key=("shipment_id", "inspected_on"),
            pending_when_empty=(
                "inspected_on",
                "critical_defects",
                "major_defects",
                "minor_defects",
                "counterfeit_units",
            ),
        ),
    )
}


ALL_INPUT_COLUMNS: Final[frozenset[str]] = frozenset(
    c.name for spec in INPUT_TABLES.values() for c in spec.columns
)
