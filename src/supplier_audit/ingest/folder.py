"""Ingesting a whole data folder: every table read, typed, checked; every row ends in exactly one
place — valid, quarantined or (for filled-in QA workbooks) pending.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.inputs import INPUT_TABLES, TableSpec
from supplier_audit.ingest.checks import (
    _after_as_of,
    _duplicates,
    _empty_required,
    _has_problem,
    _joined,
    _references,
    _row_rules,
    _type_columns,
    _undecodable,
    _validate,
)
from supplier_audit.ingest.discover import discover_inputs
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.quarantine import _cleaned_rows, quarantine_frame
from supplier_audit.ingest.results import IngestResult, TableResult
from supplier_audit.ingest.tables import RawTable, read_table

log = logging.getLogger(__name__)


def _pending_rows(
    typed: pd.DataFrame, problems: Mapping[str, pd.Series], spec: TableSpec
) -> np.ndarray:
    if not spec.pending_when_empty:
        return np.zeros(len(typed), dtype=bool)
    columns = list(spec.pending_when_empty)
    empty = np.array(typed[columns].isna().all(axis=1), dtype=bool)
    for column in columns:
        empty &= ~_has_problem(problems[column], typed.index)
    return empty


def ingest_table(
    raw: RawTable,
    settings: AuditConfig,
    *,
    as_of: dt.date,
    done: Mapping[str, TableResult] | None = None,
) -> TableResult:
    """Type, validate and cross-check one raw table against the tables already ingested."""
    spec = INPUT_TABLES[raw.table]
    done = done or {}
    typed, problems = _type_columns(raw, spec, settings)
    pending = _pending_rows(typed, problems, spec)
    # A row whose cells could not be read (a formula without its value) is not "still empty".
    pending[raw.read_problems.index.to_numpy(dtype=np.int64)] = False
    reasons = _reasons(raw, typed, problems, spec, as_of=as_of, done=done, pending=pending)
    ok = ~pending & ~_has_problem(reasons, typed.index)
    duplicates = _duplicates(typed, raw.cells["source_row"], spec, ok)
    if len(duplicates):
        reasons = _joined([reasons, duplicates])
        ok &= ~_has_problem(duplicates, typed.index)

    valid = _valid_rows(typed, raw, spec, ok)
    del typed
    bad = pd.Series(_has_problem(reasons, raw.cells.index), index=raw.cells.index)
    quarantine = quarantine_frame(raw, spec, bad, reasons)
    result = TableResult(
        name=spec.name,
        valid=valid,
        quarantine=quarantine,
        rows_read=raw.rows_read,
        rows_pending=int(pending.sum()),
        sources=raw.sources,
        unknown_columns=raw.unknown_columns,
        cleaned=_cleaned_rows(raw),
    )
    _log_counts(result)
    return result


def _reasons(
    raw: RawTable,
    typed: pd.DataFrame,
    problems: dict[str, pd.Series],
    spec: TableSpec,
    *,
    as_of: dt.date,
    done: Mapping[str, TableResult],
    pending: np.ndarray,
) -> pd.Series:
    """Why each row cannot be used (the rows with none are absent): its cells, the contract's
    row and cross-table rules, dates after the night, bytes that would not decode; a cell that
    could not be read says so instead, and a row still being filled in has no reason."""
    problems = _empty_required(typed, problems, spec)
    problems = _validate(typed, problems, raw, spec)
    reasons = _joined(
        [
            *(problems[column] for column in spec.column_names),
            _row_rules(typed, spec),
            *_after_as_of(typed, spec, as_of),
            *_references(typed, spec, done),
            _undecodable(raw, spec),
        ]
    )
    del problems
    if len(raw.read_problems):
        # A cell that could not be read says so; what its emptiness would imply does not.
        reasons = pd.concat(
            [reasons.drop(raw.read_problems.index, errors="ignore"), raw.read_problems]
        ).sort_index()
    pending_at = pd.Series(pending, index=typed.index)
    return reasons[~pending_at.loc[reasons.index].to_numpy(dtype=bool)]


def _valid_rows(
    typed: pd.DataFrame, raw: RawTable, spec: TableSpec, ok: np.ndarray
) -> pd.DataFrame:
    """The rows kept, whole-number columns as int64, with the file and row they came from."""
    valid = typed if ok.all() else typed.loc[ok]
    whole_numbers = {
        column.name: valid[column.name].astype("int64")
        for column in spec.columns
        if column.required and column.kind == "int"
    }
    return valid.assign(
        **whole_numbers,
        source_file=raw.cells["source_file"][ok].astype("str"),
        source_row=raw.cells["source_row"][ok].astype("int64"),
    ).reset_index(drop=True)


def _log_counts(result: TableResult) -> None:
    if len(result.cleaned):
        log.warning(
            "%s: control characters removed from %d row(s) (kept valid)",
            result.name,
            len(result.cleaned),
        )
    log.info(
        "%s: %d read, %d valid, %d quarantined, %d pending",
        result.name,
        result.rows_read,
        result.rows_valid,
        result.rows_quarantined,
        result.rows_pending,
    )


def ingest_folder(
    data_dir: Path,
    settings: AuditConfig,
    *,
    as_of: dt.date,
    batched: Collection[str] = (),
) -> IngestResult:
    """Read, type, validate and cross-check every input table in ``data_dir``.

    Tables named in ``batched`` (no other table may refer to them) are not read: their files
    are listed in ``batched_files`` for batch processing (supplier_audit.night.partitions).
    Raises ``InputError`` (from reading) when a file cannot be read at all; bad rows never
    raise, they are quarantined.
    """
    found, ignored = discover_inputs(data_dir)
    tables: dict[str, TableResult] = {}
    for name in INPUT_TABLES:
        if name in batched:
            continue
        raw = read_table(name, found[name], settings)
        require_rows(name, raw.rows_read, found[name])
        tables[name] = ingest_table(raw, settings, as_of=as_of, done=tables)
    return IngestResult(
        tables=tables,
        ignored_files=ignored,
        batched_files={name: list(found[name]) for name in INPUT_TABLES if name in batched},
    )


def require_rows(table: str, rows_read: int, paths: Collection[Path]) -> None:
    """Stop the run when a required table came with a header but no rows (an optional table
    without rows is a normal night: no complaints, no documents)."""
    if rows_read == 0 and INPUT_TABLES[table].required:
        where = ", ".join(str(p) for p in paths) or table
        raise InputError(
            where,
            f"table {table} has a header but no rows: it is required, so the export is "
            "incomplete (export it again)",
        )


def conservation_holds(result: TableResult) -> bool:
    """Rows read = rows valid + rows quarantined + rows pending."""
    return result.rows_read == result.rows_valid + result.rows_quarantined + result.rows_pending


def as_manifest_inputs(result: IngestResult, data_dir: Path) -> dict[str, Any]:
    """The ``inputs`` section of manifest.json."""
    inputs: dict[str, Any] = {}
    for name, table in result.tables.items():
        files = [
            {
                "file": str(source.path.relative_to(data_dir))
                if source.path.is_relative_to(data_dir)
                else str(source.path),
                "sha256": source.sha256,
                "encoding": source.encoding,
                "header_row": source.header_row,
                "rows_read": source.rows_read,
                "cut_row": source.cut_row,
            }
            for source in table.sources
        ]
        inputs[name] = {
            "present": table.present,
            "file": files[0]["file"] if len(files) == 1 else [f["file"] for f in files] or None,
            "sha256": files[0]["sha256"] if len(files) == 1 else None,
            **table.counts(),
            "conserved": conservation_holds(table),
            "rows_cleaned": len(table.cleaned),
            "files": files,
            "ignored_columns": table.unknown_columns,
        }
    return inputs
