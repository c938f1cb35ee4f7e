"""Reading merchants' files (csv, xlsx, parquet) and writing outputs atomically.

Reading turns any input file into a frame of *text* cells with the contract's column names,
the original header and the row number a person sees in a spreadsheet. Typing and validation
happen later (`supplier_audit.ingest`), so that a bad cell can be quarantined with its
original value.
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
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
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


@dataclass
class RawTable:
    """The cells of one input table, as text, before typing and validation."""

    table: str
    # Contract columns present in the files (text or NA), plus source_file and source_row.
    cells: pd.DataFrame
    # Every column as the merchant wrote it, original headers, for the quarantine file.
    original: pd.DataFrame
    sources: list[SourceFile]
    unknown_columns: list[str] = field(default_factory=list)
    from_workbook: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))

    @property
    def rows_read(self) -> int:
        return len(self.cells)


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
    for candidate in [text, *text.splitlines()]:
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
    """The grid of one CSV file or worksheet: text cells (or NA), row numbers 1-based."""

    rows: list[list[object]]
    label: str


def _frame_from_grid(
    sheet: _Sheet,
    path: Path,
    spec: TableSpec,
    lookup: Mapping[str, str],
    settings: AuditConfig,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], int]:
    """Find the header row; return contract cells, original cells, unknown headers, header row."""
    rows = sheet.rows
    header_index = _find_header_row(rows, spec, lookup, settings.ingest.max_title_rows)
    where = f"{path}{sheet.label}"
    if header_index is None:
        expected = ", ".join(spec.required_columns)
        if not any(any(cell not in (None, "") for cell in row) for row in rows):
            raise InputError(where, "the file is empty: no header row and no data")
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
    keep = grid.notna().any(axis=1).to_numpy()
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
    return cells, original, unknown, header_index + 1


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


def _csv_sheets(path: Path) -> tuple[list[_Sheet], str]:
    raw = path.read_bytes()
    text, encoding = decode_text(raw, path)
    if "\x00" in text:
        raise InputError(
            path, "not a text file (it contains NUL bytes); is it a workbook saved as .csv?"
        )
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
    return [_Sheet(rows=records, label="")], encoding


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
    sheets = []
    for name, grid in book.items():
        texts = grid.map(_cell_text).astype(object)
        # pandas infers a string dtype whose missing value is NaN; empty cells must stay None
        # (a NaN header cell would otherwise become a column named 'nan').
        texts = texts.where(texts.notna(), None)
        rows = [list(r) for r in texts.itertuples(index=False, name=None)]
        sheets.append(_Sheet(rows=rows, label=f"[{name}]" if len(book) > 1 else ""))
    return sheets


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


def _parquet_frame(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise InputError(
            path, f"corrupt or unreadable parquet file ({type(exc).__name__})"
        ) from exc
    texts = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            has_time = bool((series.dropna() != series.dropna().dt.normalize()).any())
            fmt = "%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"
            if getattr(series.dt, "tz", None) is not None:
                # An instant (e.g. UTC): keep its offset so it is converted to local time.
                fmt = "%Y-%m-%d %H:%M:%S%z"
            texts[str(column)] = series.dt.strftime(fmt).astype(object).where(series.notna(), None)
        elif pd.api.types.is_bool_dtype(series):
            texts[str(column)] = series.map({True: "true", False: "false"}).astype(object)
        elif pd.api.types.is_float_dtype(series):
            whole = series.notna() & (series == np.floor(series)) & (series.abs() < 1e15)
            as_text = series.astype(object).where(series.notna(), None)
            as_text = as_text.where(~whole, series.where(whole, 0).astype("int64").astype(str))
            texts[str(column)] = as_text.map(lambda v: repr(v) if isinstance(v, float) else v)
        else:
            texts[str(column)] = (
                series.astype(object)
                .where(series.notna(), None)
                .map(lambda v: v if v is None or isinstance(v, str) else str(v))
            )
    return pd.DataFrame(texts, index=frame.index)


def _parquet_cells(
    path: Path, spec: TableSpec, lookup: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    frame = _parquet_frame(path)
    canonical: dict[str, str] = {}
    unknown: list[str] = []
    for label in frame.columns:
        column = _canonical_header(label, lookup, spec)
        if column is None:
            unknown.append(label)
        elif column in canonical.values():
            raise InputError(path, f"two columns both mean {column}; keep one")
        else:
            canonical[label] = column
    missing = [c for c in spec.required_columns if c not in canonical.values()]
    if missing:
        raise InputError(
            path, f"missing required column(s) {', '.join(missing)} for table {spec.name}"
        )
    frame = frame.reset_index(drop=True)
    numbers = pd.Series(np.arange(2, len(frame) + 2), index=frame.index, dtype="int64")
    cells = frame[list(canonical)].rename(columns=canonical)
    cells = cells.assign(source_file=path.name, source_row=numbers)
    original = frame.assign(source_file=path.name, source_row=numbers)
    return cells, original, unknown


def read_table(table: str, paths: Iterable[Path], settings: AuditConfig) -> RawTable:
    """Read every file of one table into text cells with contract column names.

    Raises InputError for a file that cannot be read at all (encoding, corrupt workbook,
    missing required column, no header row): the caller stops the run with that message.
    """
    spec = INPUT_TABLES[table]
    lookup = header_lookup(settings)
    cell_parts: list[pd.DataFrame] = []
    original_parts: list[pd.DataFrame] = []
    workbook_flags: list[pd.Series] = []
    sources: list[SourceFile] = []
    unknown: list[str] = []
    for path in paths:
        suffix = path.suffix.lower()
        encoding: str | None = None
        header_row: int | None = None
        if suffix == ".parquet":
            cells, original, extra = _parquet_cells(path, spec, lookup)
            header_row = 1
            parts = [(cells, original, extra)]
        else:
            if suffix in WORKBOOK_SUFFIXES:
                sheets = _workbook_sheets(path, settings)
            else:
                sheets, encoding = _csv_sheets(path)
            parts = []
            errors: list[InputError] = []
            for sheet in sheets:
                try:
                    cells, original, extra, header_row = _frame_from_grid(
                        sheet, path, spec, lookup, settings
                    )
                except InputError as exc:
                    errors.append(exc)
                    continue
                parts.append((cells, original, extra))
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
        for cells, original, extra in parts:
            cell_parts.append(cells)
            original_parts.append(original)
            workbook_flags.append(pd.Series(suffix in WORKBOOK_SUFFIXES, index=cells.index))
            unknown.extend(u for u in extra if u not in unknown)
            rows_read += len(cells)
        sources.append(
            SourceFile(
                path=path,
                sha256=sha256_of(path),
                encoding=encoding,
                header_row=header_row,
                rows_read=rows_read,
            )
        )
    if cell_parts:
        cells = pd.concat(cell_parts, ignore_index=True)
        original = pd.concat(original_parts, ignore_index=True)
        from_workbook = pd.concat(workbook_flags, ignore_index=True).astype(bool)
    else:
        cells = pd.DataFrame(columns=["source_file", "source_row"])
        original = pd.DataFrame(columns=["source_file", "source_row"])
        from_workbook = pd.Series(dtype=bool)
    for column in spec.column_names:
        if column not in cells.columns:
            cells[column] = None
    cells = cells[[*spec.column_names, "source_file", "source_row"]].astype(
        dict.fromkeys(spec.column_names, object)
    )
    return RawTable(
        table=table,
        cells=cells,
        original=original,
        sources=sources,
        unknown_columns=unknown,
        from_workbook=from_workbook,
    )


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


def write_csv_atomic(frame: pd.DataFrame, path: Path, *, for_people: bool = False) -> Path:
    """Write a CSV via a temporary file renamed into place; UTF-8 with BOM so Excel reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = defuse_for_spreadsheet(frame) if for_people else frame
    with _temporary_beside(path) as temporary:
        body.to_csv(temporary, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


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
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
