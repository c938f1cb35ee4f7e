"""The input contract's rules beyond single columns: allowed values per column, dates that cannot
lie after the night, references between tables, and rules between two columns of a row.
"""

from __future__ import annotations

from dataclasses import dataclass

from supplier_audit.contracts.inputs import (
    CHANNELS,
    COMPLAINT_STATUSES,
    COMPLAINT_TYPES,
    COUNTERFEIT_STATUSES,
    DOC_TYPES,
    PLATFORMS,
)

ENUM_COLUMNS: dict[str, tuple[str, ...]] = {
    "channel": CHANNELS,
    "doc_type": DOC_TYPES,
    "complaint_type": COMPLAINT_TYPES,
    "status": COMPLAINT_STATUSES,
    "counterfeit_status": COUNTERFEIT_STATUSES,
    "platform": PLATFORMS,
}


# Event dates that cannot lie after the night being audited (valid_until may).
NOT_AFTER_AS_OF = (
    "onboarded_on",
    "received_on",
    "issued_on",
    "ordered_on",
    "opened_on",
    "closed_on",
    "inspected_on",
)


# Which earlier table each reference column must point into.
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "shipments": (("supplier_id", "suppliers"),),
    "documents": (("supplier_id", "suppliers"), ("shipment_id", "shipments")),
    "reviews": (("supplier_id", "suppliers"), ("shipment_id", "shipments")),
    "orders": (("shipment_id", "shipments"),),
    "complaints": (("supplier_id", "suppliers"), ("shipment_id", "shipments")),
    "inspections": (("shipment_id", "shipments"),),
}


REFERENCE_KEY = {"suppliers": "supplier_id", "shipments": "shipment_id"}


@dataclass(frozen=True)
class NotBelow:
    """Within one row, ``column`` may not be less than ``floor`` (where both were read)."""

    column: str
    floor: str
    message: str


# Rules that relate two columns of the same row, per table.
ROW_RULES: dict[str, tuple[NotBelow, ...]] = {
    "documents": (NotBelow("valid_until", "issued_on", "valid_until is before issued_on"),),
    "complaints": (NotBelow("closed_on", "opened_on", "closed_on is before opened_on"),),
    "inspections": (
        NotBelow("sample_size", "counterfeit_units", "counterfeit_units is more than sample_size"),
    ),
}
