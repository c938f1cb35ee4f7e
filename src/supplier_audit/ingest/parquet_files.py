"""Reading Parquet files with their stored types where they fit the contract, row group by row
group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from supplier_audit.contracts.inputs import TableSpec
from supplier_audit.ingest.cells import cell_texts, datetime_text_format, is_text_column
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.headers import header_columns
from supplier_audit.ingest.sheets import _OriginalPart


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
    labels = [str(label) for label in frame.columns]
    by_position, unknown = header_columns(labels, lookup, spec, path)
    canonical = {labels[position]: column for position, column in by_position.items()}
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
