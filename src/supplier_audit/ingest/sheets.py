"""A grid of text cells (one CSV file or worksheet) turned into a frame under the contract's
column names, keeping the original cells of every row for the quarantine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.inputs import TableSpec
from supplier_audit.ingest.cells import cell_texts
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.headers import _column_letter, _find_header_row, header_columns


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
        _refuse_headless(rows, spec, where, settings.ingest.max_title_rows)
        # An optional table exported with nothing in it: no rows is the truth.
        empty = pd.DataFrame(
            {"source_file": pd.Series(dtype="str"), "source_row": pd.Series(dtype="int64")}
        )
        return empty, empty.copy(), [], None, pd.Series(dtype=object)
    header = ["" if cell is None else str(cell).strip() for cell in rows[header_index]]
    width = max([len(header), *(len(r) for r in rows[header_index + 1 :])], default=len(header))
    header += [""] * (width - len(header))
    canonical, unknown = header_columns(header, lookup, spec, where, header_index=header_index)

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


def _refuse_headless(
    rows: list[list[object]], spec: TableSpec, where: str, max_title_rows: int
) -> None:
    """A sheet without a header row: an error, unless it is an empty export of an optional
    table (then it simply has no rows)."""
    if any(any(cell not in (None, "") for cell in row) for row in rows):
        raise InputError(
            where,
            f"no header row found in the first {max_title_rows + 1} rows: none names a column "
            f"of table {spec.name} (expected {', '.join(spec.required_columns)})",
        )
    if spec.required:
        raise InputError(
            where,
            f"the file is empty: no header row and no data (table {spec.name} is required)",
        )


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
