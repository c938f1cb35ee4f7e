"""Reading every file of one input table into one raw frame of cells (:class:`RawTable`):
typing and validation happen later (:mod:`supplier_audit.ingest.checks`), so a bad cell
can be quarantined with its original value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.inputs import INPUT_TABLES, TableSpec
from supplier_audit.ingest.cells import _without_control_characters, is_text_column
from supplier_audit.ingest.csv_files import _csv_sheets
from supplier_audit.ingest.discover import WORKBOOK_SUFFIXES, SourceFile, sha256_of
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.headers import header_lookup
from supplier_audit.ingest.parquet_files import _parquet_cells, _uniform_types
from supplier_audit.ingest.sheets import _frame_from_grid, _OriginalPart, cut_last_row
from supplier_audit.ingest.workbooks import _workbook_sheets

log = logging.getLogger(__name__)


@dataclass
class RawTable:
    """The cells of one input table, before typing and validation.

    ``cells`` holds the contract columns present in the files plus source_file and
    source_row. A column read from CSV or a workbook is text (or None); a Parquet column keeps
    its stored type where that type can satisfy the contract (dates and timestamps for date
    columns, integers and floats for numbers, booleans for flags, strings for text), and is
    text otherwise. The original cells are rendered as text on demand (``original_rows``),
    for the few rows that are quarantined.
    """

    table: str
    cells: pd.DataFrame
    sources: list[SourceFile]
    unknown_columns: list[str] = field(default_factory=list)
    from_workbook: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    parts: list[_OriginalPart] = field(default_factory=list)
    # Row position -> the contract columns that had control characters removed.
    cleaned: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    # Row position -> why reading the row's cells failed (e.g. a formula without a value).
    read_problems: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))

    @property
    def rows_read(self) -> int:
        return len(self.cells)

    @property
    def original(self) -> pd.DataFrame:
        """Every column of every row as the merchant wrote it (original headers, as text)."""
        return self.original_rows(np.arange(self.rows_read))

    def original_rows(self, positions: np.ndarray) -> pd.DataFrame:
        """The rows at ``positions`` (of ``cells``) as text under their original headers.

        Returns source_file and source_row too; the index is the rows' positions.
        """
        positions = np.asarray(positions, dtype=np.int64)
        pieces = []
        for part in self.parts:
            inside = positions[(positions >= part.start) & (positions < part.start + len(part))]
            local = inside - part.start
            body = part.rows(local).set_axis(pd.Index(inside), axis=0)
            body = body.assign(
                source_file=part.source_file,
                source_row=pd.Series(part.source_rows[local], index=body.index, dtype="int64"),
            )
            pieces.append(body)
        if not pieces:
            return pd.DataFrame(columns=["source_file", "source_row"])
        return pd.concat(pieces).loc[positions]

    def cell_texts(self, column: str, positions: np.ndarray) -> pd.Series:
        """The text a person sees in one contract column at ``positions``; None where empty.

        The index is the rows' positions (the index of ``cells``).
        """
        positions = np.asarray(positions, dtype=np.int64)
        series = self.cells[column]
        if is_text_column(series):
            values = series.iloc[positions]
            return values.astype(object).where(values.notna(), None)
        out = pd.Series([None] * len(positions), index=pd.Index(positions), dtype=object)
        for part in self.parts:
            within = (positions >= part.start) & (positions < part.start + len(part))
            if within.any():
                texts = part.column_texts(column, positions[within] - part.start)
                out.iloc[np.flatnonzero(within)] = texts.to_numpy()
        return out


@dataclass(frozen=True)
class _FileFacts:
    """What reading one file learnt about it, for its :class:`SourceFile`."""

    encoding: str | None = None
    header_row: int | None = None
    cut_row: int | None = None


def _file_parts(
    path: Path,
    spec: TableSpec,
    lookup: Mapping[str, str],
    settings: AuditConfig,
    row_groups: Sequence[int] | None,
) -> tuple[list[_ReadPart], _FileFacts]:
    """The parts of one file (a Parquet file, a CSV, or every sheet of a workbook that holds
    this table), each as cells under contract names with its original cells."""
    if path.suffix.lower() == ".parquet":
        cells, part, extra = _parquet_cells(path, spec, lookup, row_groups)
        return [_ReadPart(cells, part, extra)], _FileFacts(header_row=1)
    encoding: str | None = None
    cut_row: int | None = None
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        sheets = _workbook_sheets(path, settings)
    else:
        sheets, encoding = _csv_sheets(path)
        cut_row = cut_last_row(sheets[0])
        if cut_row is not None:
            log.warning("%s: the last line (row %d) stops mid-row", path, cut_row)
    parts: list[_ReadPart] = []
    errors: list[InputError] = []
    header_row: int | None = None
    for sheet in sheets:
        try:
            cells, original, extra, header_row, problems = _frame_from_grid(
                sheet, path, spec, lookup, settings
            )
        except InputError as exc:
            errors.append(exc)
            continue
        text_part = _OriginalPart(
            start=0,
            source_file=str(path.name) + sheet.label,
            source_rows=original["source_row"].to_numpy(dtype=np.int64),
            texts=original,
        )
        parts.append(_ReadPart(cells, text_part, extra, problems, sheet.may_hold_controls))
    if not parts:
        # One sheet (or a CSV): its own message. Several: none looked like this table.
        raise (
            errors[0]
            if len(errors) == 1
            else InputError(
                path,
                f"no sheet has a header row for table {spec.name}: "
                + "; ".join(e.problem for e in errors),
            )
        )
    return parts, _FileFacts(encoding=encoding, header_row=header_row, cut_row=cut_row)


def _stacked(
    cell_parts: list[pd.DataFrame], workbook_flags: list[np.ndarray], spec: TableSpec
) -> tuple[pd.DataFrame, pd.Series]:
    """Every part's cells one under the other, in the contract's column order (absent optional
    columns empty), and which rows came from a workbook."""
    if len(cell_parts) == 1:
        cells = cell_parts[0].reset_index(drop=True)
    elif cell_parts:
        cells = pd.concat(cell_parts, ignore_index=True)
    else:
        cells = pd.DataFrame(columns=["source_file", "source_row"])
    from_workbook = pd.Series(
        np.concatenate(workbook_flags) if workbook_flags else np.zeros(0, dtype=bool),
        index=cells.index,
        dtype=bool,
    )
    missing = {c: None for c in spec.column_names if c not in cells.columns}
    if missing:
        cells = cells.assign(**missing).astype(dict.fromkeys(missing, object))
    return cells[[*spec.column_names, "source_file", "source_row"]], from_workbook


def read_table(
    table: str,
    paths: Iterable[Path],
    settings: AuditConfig,
    *,
    row_groups: Sequence[int] | None = None,
    hash_files: bool = True,
) -> RawTable:
    """Read every file of one table into cells with contract column names.

    CSV and workbook cells are text; Parquet columns keep their stored types where those can
    satisfy the contract (see `RawTable`).

    Args:
        row_groups: read only these row groups; ``paths`` must then be one Parquet file. Each
            row's ``source_row`` is still its row number in the whole file.
        hash_files: with False, each `SourceFile.sha256` is "" (the caller hashes the files).

    Raises InputError for a file that cannot be read at all (encoding, corrupt workbook,
    missing required column, no header row): the caller stops the run with that message.
    """
    spec = INPUT_TABLES[table]
    lookup = header_lookup(settings)
    paths = list(paths)
    if row_groups is not None and (len(paths) != 1 or paths[0].suffix.lower() != ".parquet"):
        shown = ", ".join(p.name for p in paths) or "no file"
        raise ValueError(f"row_groups needs exactly one Parquet file, got {shown}")
    parts = _Stack()
    sources: list[SourceFile] = []
    for path in paths:
        file_parts, found = _file_parts(path, spec, lookup, settings, row_groups)
        rows_before = parts.start
        for read in file_parts:
            parts.add(read, spec, from_workbook=path.suffix.lower() in WORKBOOK_SUFFIXES)
        sources.append(
            SourceFile(
                path=path,
                sha256=sha256_of(path) if hash_files else "",
                encoding=found.encoding,
                header_row=found.header_row,
                rows_read=parts.start - rows_before,
                cut_row=found.cut_row,
            )
        )
    cell_parts, original_parts = parts.cells, parts.originals
    _uniform_types(cell_parts, original_parts)
    cells, from_workbook = _stacked(cell_parts, parts.workbook_flags, spec)
    del cell_parts
    parts.cells = []
    return RawTable(
        table=table,
        cells=cells,
        sources=sources,
        unknown_columns=parts.unknown,
        from_workbook=from_workbook,
        parts=original_parts,
        cleaned=_concat_or_empty(parts.cleaned),
        read_problems=_concat_or_empty(parts.problems),
    )


@dataclass
class _Stack:
    """The parts of a table's files as they are read, numbered in one sequence of rows."""

    cells: list[pd.DataFrame] = field(default_factory=list)
    originals: list[_OriginalPart] = field(default_factory=list)
    workbook_flags: list[np.ndarray] = field(default_factory=list)
    cleaned: list[pd.Series] = field(default_factory=list)
    problems: list[pd.Series] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    start: int = 0

    def add(self, read: _ReadPart, spec: TableSpec, *, from_workbook: bool) -> None:
        """One part, its control characters removed (and recorded), its rows numbered on."""
        cells = read.cells
        if read.may_hold_controls:
            cells, touched = _without_control_characters(cells, spec)
            self.cleaned.append(
                touched.set_axis(cells.index.get_indexer(touched.index) + self.start)
            )
        positions = cells.index.get_indexer(read.problems.index)
        self.problems.append(read.problems.set_axis(positions + self.start))
        self.cells.append(cells)
        self.originals.append(replace(read.original, start=self.start))
        self.start += len(cells)
        self.workbook_flags.append(np.full(len(cells), from_workbook))
        self.unknown.extend(u for u in read.unknown if u not in self.unknown)


@dataclass(frozen=True)
class _ReadPart:
    """The cells of one file or sheet as read, with what reading found about its rows."""

    cells: pd.DataFrame
    original: _OriginalPart
    unknown: list[str]
    problems: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    may_hold_controls: bool = True


def _concat_or_empty(pieces: list[pd.Series]) -> pd.Series:
    pieces = [p for p in pieces if len(p)]
    return pd.concat(pieces).astype(object) if pieces else pd.Series(dtype=object)
