"""Finding the night's input files in the data folder, and fingerprinting them (sha256)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from supplier_audit.contracts.inputs import INPUT_TABLES
from supplier_audit.ingest.errors import InputError

SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


# The QA sample workbook this audit writes; filled in and dropped back, it is inspections input.
QA_WORKBOOK_GLOB = "inspection-samples-*.xlsx"


@dataclass(frozen=True)
class SourceFile:
    """One file that fed a table."""

    path: Path
    sha256: str
    encoding: str | None
    header_row: int | None
    rows_read: int
    # The row number of a last line that stops mid-row (fewer cells than the header, and no
    # line break after it): the mark of an export or upload that stopped half-way.
    cut_row: int | None = None


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover_inputs(data_dir: Path) -> tuple[dict[str, list[Path]], list[str]]:
    """Map each contract table to its files in ``data_dir``; also return the ignored names.

    A table is one file ``<table>.csv|.xlsx|.parquet`` or a folder ``<table>/`` of partition
    files. Filled-in QA sample workbooks (``inspection-samples-*.xlsx``) add to inspections.
    Names starting with ``_`` or ``.`` (e.g. ``_truth/``) and README files are not inputs.
    """
    if not data_dir.is_dir():
        raise InputError(data_dir, "data folder not found")
    found: dict[str, list[Path]] = {name: [] for name in INPUT_TABLES}
    ignored: list[str] = []
    for entry in sorted(data_dir.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name.startswith((".", "_", "~$")) or name.lower().startswith("readme"):
            continue
        stem, suffix = entry.stem.lower(), entry.suffix.lower()
        if entry.is_dir() and name.lower() in found:
            parts = sorted(
                p
                for p in entry.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not p.name.startswith((".", "_", "~$"))
            )
            if not parts:
                raise InputError(entry, "partition folder holds no .csv, .xlsx or .parquet file")
            found[name.lower()].extend(parts)
        elif entry.is_file() and suffix in SUFFIXES and stem in found:
            found[stem].append(entry)
        elif entry.is_file() and entry.match(QA_WORKBOOK_GLOB):
            found["inspections"].append(entry)
        else:
            ignored.append(name)
    for table, paths in found.items():
        direct = [p for p in paths if p.parent == data_dir and p.stem.lower() == table]
        if len(direct) > 1 or (direct and any(p.parent != data_dir for p in paths)):
            names = ", ".join(p.name for p in direct)
            raise InputError(data_dir, f"more than one file for table {table} ({names}); keep one")
        if INPUT_TABLES[table].required and not paths:
            raise InputError(
                data_dir,
                f"required table {table} is missing (expected {table}.csv, {table}.xlsx, "
                f"{table}.parquet or a folder {table}/)",
            )
    return found, ignored
