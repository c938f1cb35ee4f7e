"""Reading Excel workbooks into sheets, safely (size cap, XML attacks), and finding formula cells
whose value was never saved. The one module outside reporting/ that imports openpyxl.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
from defusedxml import DefusedXmlException

from supplier_audit.config.settings import AuditConfig
from supplier_audit.ingest.cells import _cell_text
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.sheets import _Sheet


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
