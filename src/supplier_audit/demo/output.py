"""Canonical text rendering of typed demo tables, and deterministic CSV / Parquet writers."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

FILE_FORMATS: Final = ("csv", "parquet")


def render_column(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Return a column as canonical text: ISO dates and datetimes, true/false, money with two
    decimals; nulls stay null (an empty cell)."""
    kind = column.type
    if pa.types.is_string(kind):
        return column
    if pa.types.is_timestamp(kind):
        return pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false")
    if pa.types.is_floating(kind):
        # Fixed two decimals from integer cents: no float repr can leak into the file.
        cents = pc.cast(pc.round(pc.multiply(column, 100.0)), pa.int64())
        sign = pc.if_else(pc.less(cents, 0), "-", "")
        digits = pc.utf8_lpad(pc.cast(pc.abs(cents), pa.string()), 3, "0")
        whole = pc.utf8_slice_codeunits(digits, 0, -2)
        frac = pc.utf8_slice_codeunits(digits, -2, 2**31 - 1)
        return pc.binary_join_element_wise(pc.binary_join_element_wise(sign, whole, ""), frac, ".")
    return pc.cast(column, pa.string())


def render_table(table: pa.Table) -> pa.Table:
    """Return the table with every column rendered as canonical text."""
    return pa.table({name: render_column(table.column(name)) for name in table.column_names})


PARQUET_ROW_GROUP_ROWS: Final = 250_000


def write_table(chunks: Iterable[pa.Table], path: Path, file_format: str) -> int:
    """Write one table from its chunks to `path` (atomically); return the number of rows.

    CSV is UTF-8 with a header and minimal quoting; Parquet keeps the types, in row groups of
    at most ``PARQUET_ROW_GROUP_ROWS`` rows (so that the night can read a big file in batches:
    it cuts files only between row groups). The same chunks always give the same bytes.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        rows = _write(chunks, tmp, file_format)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return rows


def _write(chunks: Iterable[pa.Table], tmp: Path, file_format: str) -> int:
    rows = 0
    if file_format == "csv":
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            for i, chunk in enumerate(chunks):
                frame = render_table(chunk).to_pandas()
                frame.to_csv(handle, index=False, header=i == 0, lineterminator="\n")
                rows += chunk.num_rows
    elif file_format == "parquet":
        writer: pq.ParquetWriter | None = None
        try:
            for chunk in chunks:
                if writer is None:
                    writer = pq.ParquetWriter(tmp, chunk.schema, compression="zstd")
                writer.write_table(chunk, row_group_size=PARQUET_ROW_GROUP_ROWS)
                rows += chunk.num_rows
        finally:
            if writer is not None:
                writer.close()
    else:
        raise ValueError(f"file_format must be one of {FILE_FORMATS}, got {file_format!r}")
    return rows
