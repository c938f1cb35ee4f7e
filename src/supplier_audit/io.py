"""Reading merchants' files (csv, xlsx, parquet) and writing outputs atomically.

Reading turns any input file into a frame of cells with the contract's column names, the
original header and the row number a person sees in a spreadsheet: text from CSV and
workbooks, the stored types from Parquet where they fit the contract. Typing and validation
happen later (`supplier_audit.ingest`), so that a bad cell can be quarantined with its
original value (as text).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from defusedxml import DefusedXmlException

from supplier_audit.config import AuditConfig
from supplier_audit.schemas import INPUT_TABLES, TableSpec

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# The QA sample workbook this audit writes; filled in and dropped back, it is inspections input.
QA_WORKBOOK_GLOB = "inspection-samples-*.xlsx"
# Excel's own cap on worksheet rows (and so on a CSV a person can open).
_UTF8_TOLERATED_BAD_BYTE_SHARE = 0.02


class InputError(Exception):
    """An input that cannot be read at all: the run stops with this one message."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


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


@dataclass(frozen=True)
class _OriginalPart:
    """The cells of one file (or sheet) as read, to show a rejected row's original values.

    A CSV or worksheet keeps its text grid. A Parquet file keeps its Arrow table and renders
    only the rows asked for as text, so the cells of valid rows never become Python strings.
    """

    start: int
    source_file: str
    source_rows: np.ndarray
    # CSV / workbook: every column as text, under its original header.
    texts: pd.DataFrame | None = None
    # Parquet: the table as stored, the date-time text format of each timestamp column (judged
    # on the whole file, as a person would see it), and which column holds each contract column.
    arrow: pa.Table | None = None
    time_formats: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.source_rows)

    def rows(self, positions: np.ndarray) -> pd.DataFrame:
        """Original text cells of the rows at ``positions`` (0-based within this part)."""
        if self.texts is not None:
            return self.texts.iloc[positions].drop(columns=["source_file", "source_row"])
        assert self.arrow is not None
        frame = self.arrow.take(pa.array(positions, type=pa.int64())).to_pandas()
        return pd.DataFrame(
            {str(label): self._texts(str(label), frame[label]) for label in frame.columns},
            index=frame.index,
        )

    def _texts(self, label: str, values: pd.Series) -> pd.Series:
        """Some rows of one stored column as text, exactly as the whole column reads.

        The whole column decides how a value reads: a boolean column with empty cells reads
        as Python objects ('True'), and a column with any value reads as str (NaN if empty).
        """
        assert self.arrow is not None
        whole = self.arrow.column(label)
        if pa.types.is_boolean(whole.type) and whole.null_count and values.dtype == bool:
            values = values.astype(object)
        texts = cell_texts(values, time_format=self.time_formats.get(label))
        if (
            not pd.api.types.is_datetime64_any_dtype(values)
            and not pd.api.types.is_bool_dtype(values)
            and whole.null_count < len(whole)
        ):
            texts = texts.astype("str")
        return texts

    def column_texts(self, column: str, positions: np.ndarray) -> pd.Series:
        """Original text of one contract column at ``positions``; None where empty or absent."""
        label = self.labels.get(column)
        if self.arrow is None or label is None:
            return pd.Series([None] * len(positions), dtype=object)
        values = self.arrow.column(label).take(pa.array(positions, type=pa.int64()))
        texts = cell_texts(values.to_pandas(), time_format=self.time_formats.get(label))
        return texts.astype(object).where(texts.notna(), None).reset_index(drop=True)


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


def is_text_column(series: pd.Series) -> bool:
    """Whether a column of cells holds text (str or object) rather than stored typed values."""
    return series.dtype == object or isinstance(series.dtype, pd.StringDtype)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Finding the files of each table


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


# ---------------------------------------------------------------------------------------------
# Text decoding


def decode_text(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM) or GB18030, without being told which.

    A UTF-8 file with a few stray bytes is read as UTF-8 with U+FFFD in their place (the rows
    holding them are quarantined later), rather than mis-read wholesale as GB18030.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig (with undecodable bytes)"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(path, "unreadable encoding: UTF-16 marker but bad bytes") from exc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    non_ascii = int(np.count_nonzero(np.frombuffer(raw, dtype=np.uint8) >= 0x80))
    replaced = raw.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd")
    if non_ascii and bad / non_ascii <= _UTF8_TOLERATED_BAD_BYTE_SHARE:
        return replaced, "utf-8 (with undecodable bytes)"
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            "unreadable encoding: the file is neither UTF-8 nor GB18030/GBK text "
            "(save it from Excel as 'CSV UTF-8' and try again)",
        ) from exc


# ---------------------------------------------------------------------------------------------
# Header recognition


def normalise_label(label: object) -> str:
    """A header or enum value as compared: NFKC, trimmed, case-folded, separators as '_'."""
    if label is None or (isinstance(label, float) and np.isnan(label)):
        return ""
    text = unicodedata.normalize("NFKC", str(label)).strip().casefold()
    return re.sub(r"[\s\-]+", "_", text)


def header_lookup(settings: AuditConfig) -> dict[str, str]:
    """Normalised header label -> canonical column name, for every column of every table."""
    lookup: dict[str, str] = {}
    for spec in INPUT_TABLES.values():
        for column in spec.column_names:
            lookup[normalise_label(column)] = column
    for column, aliases in settings.aliases.columns.items():
        for alias in aliases:
            lookup.setdefault(normalise_label(alias), column)
    return lookup


def _canonical_header(cell: object, lookup: Mapping[str, str], spec: TableSpec) -> str | None:
    """The contract column a header cell names for this table, trying each line of the cell."""
    text = "" if cell is None else str(cell)
    lines = text.splitlines()
    # A line that is the contract's own column name wins over a label beside it: the QA
    # workbook's "label\ncolumn" headers read the same whatever words the label used (its
    # earlier versions labelled critical_defects 严重缺陷数, which GB/T 2828.1 calls major).
    for line in lines:
        if normalise_label(line) in spec.column_names:
            return normalise_label(line)
    for candidate in [text, *lines]:
        column = lookup.get(normalise_label(candidate))
        if column is not None and column in spec.column_names:
            return column
    return None


def _find_header_row(
    rows: list[list[object]], spec: TableSpec, lookup: Mapping[str, str], max_title_rows: int
) -> int | None:
    best_row, best_count = None, 0
    for index, row in enumerate(rows[: max_title_rows + 1]):
        names = {_canonical_header(cell, lookup, spec) for cell in row} - {None}
        if len(names) > best_count:
            best_row, best_count = index, len(names)
    return best_row


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rem = divmod(position - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class _Sheet:
    """The grid of one CSV file or worksheet: text cells (or NA), row numbers 1-based.

    ``unsaved_formulas`` holds the (row, column) positions (0-based, in ``rows``) of formula
    cells whose value was never saved: read as empty, they would lose a value silently.
    ``may_hold_controls`` is False when the text is known to hold no control character.
    """

    rows: list[list[object]]
    label: str
    unsaved_formulas: frozenset[tuple[int, int]] = frozenset()
    may_hold_controls: bool = True
    # A CSV whose text does not end with a line break (its last line may be cut short).
    unterminated: bool = False


def _frame_from_grid(
    sheet: _Sheet,
    path: Path,
    spec: TableSpec,
    lookup: Mapping[str, str],
    settings: AuditConfig,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], int | None, pd.Series]:
    """Find the header row; return contract cells, original cells, unknown headers, header row
    and the reasons why some rows' cells could not be read."""
    rows = sheet.rows
    header_index = _find_header_row(rows, spec, lookup, settings.ingest.max_title_rows)
    where = f"{path}{sheet.label}"
    if header_index is None:
        expected = ", ".join(spec.required_columns)
        if not any(any(cell not in (None, "") for cell in row) for row in rows):
            if not spec.required:
                # An optional table exported with nothing in it: no rows is the truth.
                empty = pd.DataFrame(
                    {"source_file": pd.Series(dtype="str"), "source_row": pd.Series(dtype="int64")}
                )
                return empty, empty.copy(), [], None, pd.Series(dtype=object)
            raise InputError(
                where,
                f"the file is empty: no header row and no data (table {spec.name} is required)",
            )
        raise InputError(
            where,
            f"no header row found in the first {settings.ingest.max_title_rows + 1} rows: none "
            f"names a column of table {spec.name} (expected {expected})",
        )
    header = ["" if cell is None else str(cell).strip() for cell in rows[header_index]]
    width = max([len(header), *(len(r) for r in rows[header_index + 1 :])], default=len(header))
    header += [""] * (width - len(header))
    canonical: dict[int, str] = {}
    unknown: list[str] = []
    for position, label in enumerate(header):
        column = _canonical_header(label, lookup, spec)
        if column is None:
            if label:
                unknown.append(label)
            continue
        clash = next((p for p, c in canonical.items() if c == column), None)
        if clash is not None:
            raise InputError(
                where,
                f"columns {_column_letter(clash)} ('{header[clash]}') and "
                f"{_column_letter(position)} ('{label}') both mean {column}; keep one",
            )
        canonical[position] = column
    missing = [c for c in spec.required_columns if c not in canonical.values()]
    if missing:
        present = ", ".join(h for h in header if h) or "nothing"
        raise InputError(
            where,
            f"missing required column(s) {', '.join(missing)} for table {spec.name} "
            f"(header row {header_index + 1} has: {present})",
        )

    body = rows[header_index + 1 :]
    numbers = np.arange(header_index + 2, header_index + 2 + len(body))
    grid = pd.DataFrame(
        [r + [None] * (width - len(r)) for r in body], columns=range(width), dtype=object
    )
    if len(body) == 0:
        grid = pd.DataFrame(columns=range(width), dtype=object)
    grid = grid.replace({"": None})
    keep = grid.notna().any(axis=1).to_numpy().copy()
    # Only a contract column loses a value to an unsaved formula (other columns are ignored,
    # such as the verdict formula of the audit's own QA workbook).
    unsaved = {(row, column) for row, column in sheet.unsaved_formulas if column in canonical}
    for row, _ in unsaved:
        if 0 <= row - header_index - 1 < len(keep):
            keep[row - header_index - 1] = True
    grid, numbers = grid.loc[keep], numbers[keep]
    # An unnamed column that holds data still belongs to the row's original values.
    original_names = [label or f"(column {_column_letter(p)})" for p, label in enumerate(header)]
    original = grid.set_axis(original_names, axis=1)
    original = original.loc[:, [bool(h) or grid[p].notna().any() for p, h in enumerate(header)]]
    cells = pd.DataFrame(
        {column: grid[position] for position, column in canonical.items()}, index=grid.index
    )
    source_rows = pd.Series(numbers, index=grid.index, dtype="int64")
    cells = cells.assign(source_file=str(path.name) + sheet.label, source_row=source_rows)
    original = original.assign(source_file=str(path.name) + sheet.label, source_row=source_rows)
    problems = _unsaved_formula_problems(unsaved, header_index, grid.index, header)
    return cells, original, unknown, header_index + 1, problems


def _unsaved_formula_problems(
    unsaved: set[tuple[int, int]], header_index: int, kept: pd.Index, header: list[str]
) -> pd.Series:
    """A reason per data row holding a formula without a saved value, naming the cells."""
    cells_by_row: dict[int, list[str]] = {}
    for row, column in sorted(unsaved):
        if row > header_index:
            name = header[column] if column < len(header) and header[column] else ""
            where = f"{_column_letter(column)}{row + 1}" + (f" ({name})" if name else "")
            cells_by_row.setdefault(row - header_index - 1, []).append(where)
    # Rows of the body are numbered from 0 in ``grid``; a row with only an unsaved formula
    # reads as empty and is dropped, but it was a row the merchant wrote: keep it.
    reasons = {
        position: f"cell {', '.join(cells)} holds a formula without a saved value: open the "
        "file in Excel and save it again"
        for position, cells in cells_by_row.items()
        if position in kept
    }
    return pd.Series(reasons, dtype=object)


def cut_last_row(sheet: _Sheet) -> int | None:
    """The row number of the sheet's last line when it stops mid-row, else None.

    A line is cut when the text ends without a line break and the last record has fewer cells
    than the header names (up to its last named column): an export or upload that stopped
    half-way. A row cut inside its last cell keeps its cell count and is not seen here.
    """
    if not sheet.unterminated or len(sheet.rows) < 2:
        return None
    header = next(
        (row for row in sheet.rows if sum(cell not in (None, "") for cell in row) > 1), None
    )
    if header is None or header is sheet.rows[-1]:
        return None
    named = max(i for i, cell in enumerate(header) if cell not in (None, "")) + 1
    return len(sheet.rows) if len(sheet.rows[-1]) < named else None


def _cell_text(value: object) -> object:
    """A workbook or parquet cell as the text a person sees; None when empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | pd.Timestamp):
        if value.hour == value.minute == value.second == 0 and not value.microsecond:
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------
# Readers per format


# Files that are not text whatever their name says, by their first bytes.
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook renamed .csv?)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
    b"%PDF": "a PDF document",
}
# A text file may carry a few stray control characters; one where this share of the first
# 64 KiB are controls is binary.
_BINARY_CONTROL_SHARE = 0.05


def _csv_sheets(path: Path) -> tuple[list[_Sheet], str]:
    raw = path.read_bytes()
    signature = next(
        (kind for magic, kind in _BINARY_SIGNATURES.items() if raw.startswith(magic)), None
    )
    if signature is not None:
        raise InputError(
            path, f"not a text file: it is {signature}; save it from Excel as CSV or .xlsx"
        )
    text, encoding = decode_text(raw, path)
    head = text[:65536]
    controls = len(_CONTROL_RE.findall(head))
    if controls and controls > _BINARY_CONTROL_SHARE * len(head):
        raise InputError(
            path,
            f"not a text file ({controls / len(head):.0%} of its first characters are control "
            "characters); is it a workbook saved as .csv?",
        )
    may_hold_controls = controls > 0 or _CONTROL_RE.search(text, 65536) is not None
    try:
        sample = text[:65536]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        records = cast(list[list[object]], list(reader))
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV file ({exc})") from exc
    if text.count('"') % 2 and _ends_inside_quotes(text, delimiter):
        raise InputError(
            path,
            f'row {len(records)} opens a quoted cell (") that is never closed, so every later '
            "line would be read into that one cell; remove the stray quote or close it",
        )
    unterminated = bool(text.strip()) and not text.endswith(("\n", "\r"))
    return [
        _Sheet(
            rows=records,
            label="",
            may_hold_controls=may_hold_controls,
            unterminated=unterminated,
        )
    ], encoding


def _ends_inside_quotes(text: str, delimiter: str) -> bool:
    """Whether the CSV ends inside a quoted cell (the csv module accepts that silently).

    A closing quote and a line break are appended: only when the text ended inside a quoted
    cell do they close it and leave the sentinel as a record of its own.
    """
    probe = text if text.endswith(("\n", "\r")) else text + "\n"
    last: list[str] = []
    for record in csv.reader(io.StringIO(probe + '"\n\x01end', newline=""), delimiter=delimiter):
        last = record
    return last == ["\x01end"]


def _check_workbook(path: Path, settings: AuditConfig) -> None:
    limit = settings.ingest.max_workbook_megabytes * 1024 * 1024
    if path.stat().st_size > limit:
        raise InputError(
            path, f"workbook larger than {settings.ingest.max_workbook_megabytes:g} MB"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise InputError(path, "corrupt workbook: not a valid .xlsx file") from exc
    if unpacked > 10 * limit:
        raise InputError(
            path,
            f"workbook unpacks to {unpacked / 1024 / 1024:.0f} MB, more than "
            f"{10 * settings.ingest.max_workbook_megabytes:g} MB: refused as a possible zip bomb",
        )


def _workbook_sheets(path: Path, settings: AuditConfig) -> list[_Sheet]:
    _check_workbook(path, settings)
    try:
        book = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for damaged files
        if _is_xml_attack(exc):
            raise InputError(
                path,
                "refused: the workbook's XML declares entities or a DTD, which Excel never "
                "writes (a possible 'billion laughs' XML bomb); save it again from Excel",
            ) from exc
        raise InputError(
            path, f"corrupt or unreadable workbook ({type(exc).__name__}: {exc})"
        ) from exc
    formulas = _formula_cells(path)
    sheets = []
    for name, grid in book.items():
        texts = grid.map(_cell_text).astype(object)
        # pandas infers a string dtype whose missing value is NaN; empty cells must stay None
        # (a NaN header cell would otherwise become a column named 'nan').
        texts = texts.where(texts.notna(), None)
        rows = [list(r) for r in texts.itertuples(index=False, name=None)]
        # pandas keeps the grid from cell A1 (row r, column c of the sheet is rows[r-1][c-1]),
        # so a formula's position tells whether its value was saved.
        unsaved = frozenset(
            (row, column)
            for row, column in formulas.get(str(name), ())
            if row >= len(rows) or column >= len(rows[row]) or rows[row][column] is None
        )
        if unsaved:
            width = max(len(r) for r in rows) if rows else 0
            rows += [[None] * width for _ in range(max(r for r, _ in unsaved) + 1 - len(rows))]
        sheets.append(
            _Sheet(rows=rows, label=f"[{name}]" if len(book) > 1 else "", unsaved_formulas=unsaved)
        )
    return sheets


def _formula_cells(path: Path) -> dict[str, list[tuple[int, int]]]:
    """Per sheet, the 0-based (row, column) of every formula cell (none read when the sheets'
    XML holds no formula, which is the common case and costs one scan of the archive)."""
    with zipfile.ZipFile(path) as archive:
        has_formula = any(
            b"<f" in archive.read(info)
            for info in archive.infolist()
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        )
    if not has_formula:
        return {}
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        found: dict[str, list[tuple[int, int]]] = {}
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        found.setdefault(sheet.title, []).append((cell.row - 1, cell.column - 1))
        return found
    finally:
        book.close()


def _is_xml_attack(error: BaseException) -> bool:
    """Whether defusedxml (which openpyxl uses when installed) refused the XML behind ``error``.

    openpyxl wraps the refusal in a ValueError about "invalid XML"; the cause chain keeps it.
    """
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, DefusedXmlException):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def datetime_text_format(series: pd.Series) -> str:
    """How a timestamp column reads as text: a date alone unless some value has a time of day.

    An instant with a zone keeps its offset, so that it is converted to local time.
    """
    if getattr(series.dt, "tz", None) is not None:
        return "%Y-%m-%d %H:%M:%S%z"
    present = series.dropna()
    has_time = bool((present != present.dt.normalize()).any())
    return "%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"


def cell_texts(series: pd.Series, *, time_format: str | None = None) -> pd.Series:
    """A column of stored (Parquet) values as the text a person sees; None where empty.

    Whole floats read as integers ('1200', not '1200.0'), other floats as Python writes them,
    booleans as true/false, timestamps per ``time_format`` (judged on ``series`` when not
    given), anything else as ``str``.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        fmt = time_format or datetime_text_format(series)
        stamps: pd.Series = series.dt.strftime(fmt).astype(object)
        return stamps.where(series.notna(), None)
    if pd.api.types.is_bool_dtype(series):
        return series.map({True: "true", False: "false"}).astype(object)
    if pd.api.types.is_float_dtype(series):
        whole = series.notna() & (series == np.floor(series)) & (series.abs() < 1e15)
        as_text = series.astype(object).where(series.notna(), None)
        as_text = as_text.where(~whole, series.where(whole, 0).astype("int64").astype(str))
        return as_text.map(lambda v: repr(v) if isinstance(v, float) else v)
    if series.dtype.kind in "iu":
        return series.astype(str).astype(object)
    return (
        series.astype(object)
        .where(series.notna(), None)
        .map(lambda v: v if v is None or isinstance(v, str) else str(v))
    )


def parquet_row_groups(path: Path) -> list[int]:
    """The number of rows in each row group of a Parquet file (from its metadata alone)."""
    try:
        metadata = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise InputError(
            path, f"corrupt or unreadable parquet file ({type(exc).__name__})"
        ) from exc
    return [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]


def _parquet_table(path: Path, row_groups: Sequence[int] | None) -> tuple[pa.Table, np.ndarray]:
    """The file's table (or only ``row_groups``) and each row's 0-based position in the file."""
    try:
        parquet = pq.ParquetFile(path)
        if row_groups is None:
            table = parquet.read(use_pandas_metadata=True)
            positions = np.arange(table.num_rows, dtype=np.int64)
        else:
            sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
            wrong = [g for g in row_groups if not 0 <= g < len(sizes)]
            if wrong:
                raise InputError(
                    path, f"no row group {wrong[0]} (the file has {len(sizes)} row groups)"
                )
            starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
            table = parquet.read_row_groups(list(row_groups), use_pandas_metadata=True)
            positions = np.concatenate(
                [np.arange(starts[g], starts[g + 1], dtype=np.int64) for g in row_groups]
                or [np.zeros(0, dtype=np.int64)]
            )
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise InputError(
            path, f"corrupt or unreadable parquet file ({type(exc).__name__})"
        ) from exc
    return table, positions


def _keeps_stored_type(series: pd.Series, kind: str) -> bool:
    """Whether a stored Parquet column can be typed directly for a contract column's kind."""
    dtype = series.dtype
    if kind in ("id", "text", "enum", "currency"):
        return isinstance(dtype, pd.StringDtype)
    if kind == "bool":
        return dtype == np.dtype(bool)
    if kind in ("int", "decimal"):
        return isinstance(dtype, np.dtype) and dtype.kind in "iuf"
    if kind in ("date", "datetime"):
        return pd.api.types.is_datetime64_any_dtype(dtype)
    return False


def _parquet_cells(
    path: Path,
    spec: TableSpec,
    lookup: Mapping[str, str],
    row_groups: Sequence[int] | None,
) -> tuple[pd.DataFrame, _OriginalPart, list[str]]:
    table, positions = _parquet_table(path, row_groups)
    # pandas keeps text as Arrow large_string: cast once, so that the cells share the table's
    # buffers instead of holding a second copy of every text.
    wide = pa.schema(
        [
            field.with_type(pa.large_string()) if pa.types.is_string(field.type) else field
            for field in table.schema
        ],
        metadata=table.schema.metadata,
    )
    table = table.cast(wide)
    # Dates (date32) as timestamps, not one Python object per cell.
    frame = table.to_pandas(date_as_object=False)
    canonical: dict[str, str] = {}
    unknown: list[str] = []
    for label in frame.columns:
        column = _canonical_header(str(label), lookup, spec)
        if column is None:
            unknown.append(str(label))
        elif column in canonical.values():
            raise InputError(path, f"two columns both mean {column}; keep one")
        else:
            canonical[str(label)] = column
    missing = [c for c in spec.required_columns if c not in canonical.values()]
    if missing:
        raise InputError(
            path, f"missing required column(s) {', '.join(missing)} for table {spec.name}"
        )
    frame = frame.set_axis([str(label) for label in frame.columns], axis=1)
    frame = frame.reset_index(drop=True)
    kinds = {column.name: column.kind for column in spec.columns}
    time_formats = {
        str(label): datetime_text_format(frame[label])
        for label in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[label])
    }
    columns: dict[str, pd.Series] = {}
    for label, column in canonical.items():
        series = frame[label]
        if _keeps_stored_type(series, kinds[column]):
            columns[column] = series
        else:
            columns[column] = cell_texts(series, time_format=time_formats.get(label))
    numbers = positions + 2
    cells = pd.DataFrame(columns, index=frame.index, copy=False).assign(
        source_file=path.name, source_row=pd.Series(numbers, index=frame.index, dtype="int64")
    )
    part = _OriginalPart(
        start=0,
        source_file=path.name,
        source_rows=numbers,
        arrow=table,
        time_formats=time_formats,
        labels={column: label for label, column in canonical.items()},
    )
    return cells, part, unknown


def _uniform_types(cell_parts: list[pd.DataFrame], parts: list[_OriginalPart]) -> None:
    """Make each column of several files one kind of value, as text where the files disagree.

    A column stored as integers in one file and as text in another (or timestamps read with
    and without a time of day) is read as text in every file, as it would be from CSV.
    """
    if len(cell_parts) < 2:
        return
    names = {c for frame in cell_parts for c in frame.columns} - {"source_file", "source_row"}
    for column in names:
        series = [frame[column] if column in frame.columns else None for frame in cell_parts]
        typed = [s is not None and not is_text_column(s) for s in series]
        if not any(typed):
            continue
        dtypes = {str(s.dtype) for s in series if s is not None}
        formats = {
            part.time_formats.get(part.labels.get(column, ""), "")
            for part, s in zip(parts, series, strict=True)
            if s is not None and pd.api.types.is_datetime64_any_dtype(s)
        }
        if all(typed) and len(dtypes) == 1 and len(formats) <= 1:
            continue
        for index, (frame, part) in enumerate(zip(cell_parts, parts, strict=True)):
            if column in frame.columns and typed[index]:
                label = part.labels.get(column, "")
                texts = cell_texts(frame[column], time_format=part.time_formats.get(label))
                cell_parts[index] = frame.assign(**{column: texts})


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
    cell_parts: list[pd.DataFrame] = []
    original_parts: list[_OriginalPart] = []
    workbook_flags: list[np.ndarray] = []
    cleaned_parts: list[pd.Series] = []
    problem_parts: list[pd.Series] = []
    sources: list[SourceFile] = []
    unknown: list[str] = []
    start = 0
    for path in paths:
        suffix = path.suffix.lower()
        encoding: str | None = None
        header_row: int | None = None
        cut_row: int | None = None
        parts: list[_ReadPart] = []
        if suffix == ".parquet":
            cells, part, extra = _parquet_cells(path, spec, lookup, row_groups)
            parts.append(_ReadPart(cells, part, extra))
            header_row = 1
        else:
            if suffix in WORKBOOK_SUFFIXES:
                sheets = _workbook_sheets(path, settings)
            else:
                sheets, encoding = _csv_sheets(path)
                cut_row = cut_last_row(sheets[0])
                if cut_row is not None:
                    log.warning("%s: the last line (row %d) stops mid-row", path, cut_row)
            errors: list[InputError] = []
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
                        f"no sheet has a header row for table {table}: "
                        + "; ".join(e.problem for e in errors),
                    )
                )
        rows_read = 0
        for read in parts:
            cells, part, extra = read.cells, read.original, read.unknown
            if read.may_hold_controls:
                cells, touched = _without_control_characters(cells, spec)
                cleaned_parts.append(
                    touched.set_axis(cells.index.get_indexer(touched.index) + start)
                )
            positions = cells.index.get_indexer(read.problems.index)
            problem_parts.append(read.problems.set_axis(positions + start))
            cell_parts.append(cells)
            original_parts.append(replace(part, start=start))
            start += len(cells)
            workbook_flags.append(np.full(len(cells), suffix in WORKBOOK_SUFFIXES))
            unknown.extend(u for u in extra if u not in unknown)
            rows_read += len(cells)
        sources.append(
            SourceFile(
                path=path,
                sha256=sha256_of(path) if hash_files else "",
                encoding=encoding,
                header_row=header_row,
                rows_read=rows_read,
                cut_row=cut_row,
            )
        )
    _uniform_types(cell_parts, original_parts)
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
    del cell_parts
    missing = {c: None for c in spec.column_names if c not in cells.columns}
    if missing:
        cells = cells.assign(**missing).astype(dict.fromkeys(missing, object))
    cells = cells[[*spec.column_names, "source_file", "source_row"]]
    return RawTable(
        table=table,
        cells=cells,
        sources=sources,
        unknown_columns=unknown,
        from_workbook=from_workbook,
        parts=original_parts,
        cleaned=_concat_or_empty(cleaned_parts),
        read_problems=_concat_or_empty(problem_parts),
    )


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


# Characters that XML 1.0 (and so a workbook cell) cannot hold: the C0 controls other than
# tab, line feed and carriage return. Shop systems' exports carry a stray one now and then.
CONTROL_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f]"
_CONTROL_RE = re.compile(CONTROL_CHARACTERS)


def _without_control_characters(
    cells: pd.DataFrame, spec: TableSpec
) -> tuple[pd.DataFrame, pd.Series]:
    """``cells`` with control characters removed from its text, and for each row touched the
    contract columns that lost one (the row itself stays as valid as it was)."""
    touched: dict[str, np.ndarray] = {}
    for column in spec.column_names:
        if column not in cells.columns or not is_text_column(cells[column]):
            continue
        values = cells[column]
        found = values.astype("str").str.contains(CONTROL_CHARACTERS, regex=True)
        mask = found.fillna(False).to_numpy(dtype=bool) & values.notna().to_numpy(dtype=bool)
        if mask.any():
            touched[column] = mask
    if not touched:
        return cells, pd.Series(dtype=object)
    cleaned = cells.copy()
    for column, mask in touched.items():
        fixed = cleaned.loc[mask, column].astype("str")
        fixed = fixed.str.replace(CONTROL_CHARACTERS, "", regex=True)
        cleaned[column] = cleaned[column].astype(object)
        cleaned.loc[mask, column] = fixed.where(fixed.str.strip() != "", None).astype(object)
    any_hit = np.logical_or.reduce(list(touched.values()))
    rows = np.flatnonzero(any_hit)
    names = [", ".join(c for c, mask in touched.items() if mask[row]) for row in rows]
    return cleaned, pd.Series(names, index=cells.index[rows], dtype=object)


# ---------------------------------------------------------------------------------------------
# Writing


# Text Excel would read as a formula when typed into a cell (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def defuse_for_spreadsheet(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as formulas when a person opens the CSV in Excel.

    Text starting with = + - @ tab or CR gets a leading apostrophe (OWASP's advice for CSV
    injection); plain numbers such as -5 are left as they are.
    """
    guarded = frame.copy()
    for column in guarded.columns:
        series = guarded[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        text = series.astype("str")
        risky = series.notna() & text.str.startswith(FORMULA_START) & ~text.str.match(_PLAIN_NUMBER)
        if risky.any():
            guarded[column] = series.astype(object).where(~risky, "'" + text)
    return guarded


def _process_umask() -> int:
    """The process's umask (read by setting and restoring it: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def readable_like_new_files(path: Path) -> None:
    """Give ``path`` the mode a newly created file gets (0666 less the umask; usually 0644).

    Temporary files are created private (0600) so that a half-written file is never read;
    once complete, an output must be as readable as the workbooks beside it, or a service
    reading the reports folder cannot read the CSVs.
    """
    os.chmod(path, 0o666 & ~_process_umask())


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV via a temporary file renamed into place; UTF-8 with BOM so Excel reads it.

    Every CSV the audit writes is one double-click from Excel, machine-facing or not, and
    carries text from merchants' and buyers' files: its text cells are defused first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    body = defuse_for_spreadsheet(frame)
    with _temporary_beside(path) as temporary:
        body.to_csv(temporary, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


_UNSAFE_IN_NAME = re.compile(r"[^\w.\-]|^[.\-]+")


def safe_file_stem(name: str, *, max_length: int = 80) -> str:
    """A file name made from an id read from a merchant's file: letters (CJK too), digits,
    ``_ . -`` kept, anything else (``/``, ``..`` at the start, spaces, control characters)
    replaced by ``_``; when anything was replaced or cut, a short hash of the original is
    appended so that two ids never share a file."""
    cleaned = _UNSAFE_IN_NAME.sub("_", name)[:max_length] or "_"
    if cleaned == name:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned}-{digest}"


def write_text_atomic(text: str, path: Path) -> Path:
    """Write a text file via a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_beside(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path


@contextmanager
def _temporary_beside(path: Path) -> Iterator[Path]:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        readable_like_new_files(temporary)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
