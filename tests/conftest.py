"""Shared fixtures: a small valid input folder that tests spoil one rule at a time."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
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
# `make test` runs the suite in two worker processes with `--dist loadfile`: each module is one
# unit of work, so its module-scoped fixtures (a world, a night) are built once, on one worker.
# The Prefect flow tests are two units, one for each worker to start with (each worker that
# runs one starts its own test server, the session fixture prefect_server below): the schedule
# goes with the delivery and guard tests. (xdist's own `--dist loadgroup` cannot group these:
# it renames items in a way pytest 9 ignores.)
_SAME_UNIT_AS = {"tests/test_schedule.py": "tests/test_flow_delivery.py"}
# The units that take longest, handed out first so that neither worker is left with a long one
# at the end (measured with --durations; the rest follow in collection order).
_LONGEST_FIRST = [
    "tests/test_flow.py",
    "tests/test_flow_delivery.py",
    "tests/test_flag_store.py",
    "tests/test_pipeline.py",
    "tests/test_quiet_nights.py",
    "tests/test_fault_injection.py",
    "tests/test_print.py",
    "tests/test_scoring.py",
    "tests/test_vocabulary.py",
    "tests/test_review_batches.py",
    "tests/test_ingest_properties.py",
    "tests/test_switching_once.py",
    "tests/test_demo_category_reviews.py",
    "tests/test_security.py",
    "tests/test_output_digests.py",
    "tests/test_complaint_desk_night.py",
]


def _unit(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    return _SAME_UNIT_AS.get(module, module)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """With ``--dist loadfile``: one unit of work per module, the flow modules together."""
    if config.option.dist != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ModuleUnits(LoadFileScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    return ModuleUnits(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker, the longest units first (each worker collects the same order)."""
    if not hasattr(config, "workerinput"):
        return
    rank = {unit: number for number, unit in enumerate(_LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_unit(item.nodeid), len(rank)))


def write_table(
    folder: Path, table: str, rows: list[dict[str, object]], *, encoding: str = "utf-8"
) -> Path:
    """Write rows as ``<table>.csv`` (all values as text, empty for missing)."""
    frame = pd.DataFrame(rows).astype(object).where(lambda f: f.notna(), "")
    path = folder / f"{table}.csv"
    frame.to_csv(path, index=False, encoding=encoding)
    return path


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One Prefect test server for the session (for each xdist worker that runs flow tests):
    defined here, not in a test module, so that the modules using it share the one server."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


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
