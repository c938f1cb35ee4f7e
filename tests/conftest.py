"""Shared fixtures: a small valid input folder that tests spoil one rule at a time."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import AuditConfig

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

AS_OF = dt.date(2026, 11, 26)

BASE_TABLES: dict[str, list[dict[str, object]]] = {
    "suppliers": [
        {"supplier_id": "S1", "supplier_name": "义乌市甲贸易有限公司", "channel": "wholesaler"},
        {"supplier_id": "S2", "supplier_name": "广州乙服饰厂", "channel": "manufacturer"},
    ],
    "shipments": [
        {
            "shipment_id": "L1",
            "supplier_id": "S1",
            "sku": "SKU-1",
            "brand": "Nike",
            "received_on": "2026-11-01",
            "quantity": "1200",
            "unit_cost": "12.5",
        },
        {
            "shipment_id": "L2",
            "supplier_id": "S2",
            "sku": "SKU-1",
            "brand": "Nike",
            "received_on": "2026-11-02",
            "quantity": "300",
            "unit_cost": "13",
        },
    ],
    "documents": [
        {
            "document_id": "D1",
            "supplier_id": "S1",
            "doc_type": "brand_authorization",
            "brand": "Nike",
            "issued_on": "2026-01-01",
            "valid_until": "2027-01-01",
        },
    ],
    "reviews": [
        {
            "review_id": "R1",
            "sku": "SKU-1",
            "created_at": "2026-11-05 10:00",
            "rating": "5",
            "text": "质量很好",
            "order_id": "123456789012345678",
        },
        {
            "review_id": "R2",
            "sku": "SKU-1",
            "created_at": "2026-11-06 11:00",
            "rating": "1",
            "text": "假货",
            "shipment_id": "L1",
        },
    ],
    "complaints": [
        {
            "complaint_id": "C1",
            "sku": "SKU-1",
            "opened_on": "2026-11-07",
            "complaint_type": "counterfeit",
            "status": "upheld",
            "supplier_id": "S1",
            "compensation": "125",
        },
    ],
    "inspections": [
        {
            "shipment_id": "L1",
            "inspected_on": "2026-11-03",
            "sample_size": "80",
            "critical_defects": "0",
            "major_defects": "1",
            "minor_defects": "2",
            "counterfeit_units": "0",
        },
    ],
}


# ------------------------------------------------------------------ parallel runs (pytest-xdist)
# `make test` runs the suite in two worker processes with `--dist loadgroup`: each module is one
# unit of work, so its module-scoped fixtures (a world, a night) are built once, on one worker.
# The Prefect flow modules share one unit: one test server (test_flow.prefect_server) for both.
_SAME_UNIT_AS = {"test_schedule": "test_flow"}
# The units that take longest, handed out first so that neither worker is left with a long one
# at the end (measured with --durations; the rest follow in collection order).
_LONGEST_FIRST = [
    "test_flow",
    "test_flag_store",
    "test_quiet_nights",
    "test_fault_injection",
    "test_pipeline",
    "test_review_batches",
    "test_ingest_properties",
    "test_print",
    "test_scoring",
    "test_demo_category_reviews",
    "test_output_digests",
    "test_complaint_desk_night",
    "test_run",
]


def _unit(item: pytest.Item) -> str:
    module = item.path.stem
    return _SAME_UNIT_AS.get(module, module)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if getattr(config.option, "dist", "no") != "loadgroup":
        return
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_unit(item)))
    rank = {unit: number for number, unit in enumerate(_LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_unit(item), len(rank)))


def write_table(
    folder: Path, table: str, rows: list[dict[str, object]], *, encoding: str = "utf-8"
) -> Path:
    """Write rows as ``<table>.csv`` (all values as text, empty for missing)."""
    frame = pd.DataFrame(rows).astype(object).where(lambda f: f.notna(), "")
    path = folder / f"{table}.csv"
    frame.to_csv(path, index=False, encoding=encoding)
    return path


@pytest.fixture
def settings() -> AuditConfig:
    return load_config().settings


@pytest.fixture
def make_folder(tmp_path: Path) -> Callable[..., Path]:
    """Build an input folder from the base tables, with extra rows or replaced tables."""

    def build(
        extra: dict[str, list[dict[str, object]]] | None = None,
        *,
        replace: dict[str, list[dict[str, object]] | None] | None = None,
        name: str = "data",
    ) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        tables = {k: list(v) for k, v in BASE_TABLES.items()}
        for table, rows in (replace or {}).items():
            if rows is None:
                del tables[table]
            else:
                tables[table] = rows
        for table, rows in (extra or {}).items():
            tables[table] = tables.get(table, []) + rows
        for table, rows in tables.items():
            write_table(folder, table, rows)
        return folder

    return build
