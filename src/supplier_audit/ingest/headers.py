"""Matching a file's header line to the contract's column names (English, Chinese, aliases)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.inputs import INPUT_TABLES, TableSpec
from supplier_audit.ingest.errors import InputError


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


def header_columns(
    header: list[str],
    lookup: Mapping[str, str],
    spec: TableSpec,
    where: Path | str,
    *,
    header_index: int | None = None,
) -> tuple[dict[int, str], list[str]]:
    """The contract column at each position of a header, and the labels it does not know;
    two labels meaning the same column, or a required column absent, stop the table with one
    :class:`InputError` at ``where``. ``header_index`` is the header's row in a grid (a CSV
    or a sheet: the message names column letters and the row), ``None`` for a typed file
    (Parquet: the message names the labels)."""
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
            if header_index is None:
                both = f"columns '{header[clash]}' and '{label}'"
            else:
                both = (
                    f"columns {_column_letter(clash)} ('{header[clash]}') and "
                    f"{_column_letter(position)} ('{label}')"
                )
            raise InputError(where, f"{both} both mean {column}; keep one")
        canonical[position] = column
    missing = [c for c in spec.required_columns if c not in canonical.values()]
    if missing:
        present = ", ".join(h for h in header if h) or "nothing"
        has = "the file has" if header_index is None else f"header row {header_index + 1} has"
        raise InputError(
            where,
            f"missing required column(s) {', '.join(missing)} for table {spec.name} "
            f"({has}: {present})",
        )
    return canonical, unknown


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
