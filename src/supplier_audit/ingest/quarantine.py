"""The quarantine: every rejected row with its original values, its spreadsheet row and its
reasons (buyer ids masked).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplier_audit.contracts.inputs import TableSpec
from supplier_audit.contracts.privacy import mask_buyer_ids
from supplier_audit.ingest.results import TableResult, empty_cleaned
from supplier_audit.ingest.tables import RawTable


def _cleaned_rows(raw: RawTable) -> pd.DataFrame:
    """Where the reader removed control characters, as a person finds the rows."""
    if raw.cleaned.empty:
        return empty_cleaned()
    positions = raw.cleaned.index.to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "source_file": raw.cells["source_file"].iloc[positions].astype("str").to_numpy(),
            "source_row": raw.cells["source_row"].iloc[positions].astype("int64").to_numpy(),
            "columns": raw.cleaned.astype("str").to_numpy(),
        }
    )


def quarantine_frame(
    raw: RawTable, spec: TableSpec, bad: pd.Series, reasons: pd.Series
) -> pd.DataFrame:
    """Rejected rows: where from, why, and every original cell under its original header.

    ``bad`` marks the rejected rows of ``raw.cells``; ``reasons`` holds a reason for each of
    them (it may hold only those rows).
    """
    bad_rows = raw.cells.index[bad.reindex(raw.cells.index, fill_value=False).to_numpy(bool)]
    positions = bad_rows.to_numpy(dtype=np.int64)
    reasons = reasons.reindex(bad_rows)
    original = raw.original_rows(positions)
    front = pd.DataFrame(
        {
            "table": spec.name,
            "source_file": raw.cells["source_file"].iloc[positions].astype("str"),
            "source_row": raw.cells["source_row"].iloc[positions].astype("int64"),
            "reason": reasons.astype("str"),
        },
        index=original.index,
    )
    body = _buyers_masked(raw, spec, original.drop(columns=["source_file", "source_row"]))
    frame = pd.concat([front, body], axis=1)
    # The row's keys as read, for cascades ("supplier X was quarantined").
    for key in spec.key[:1]:
        frame[f"__{key}"] = raw.cell_texts(key, positions).map(
            lambda v: None if v is None else str(v).strip()
        )
    return frame.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True)


def _buyers_masked(raw: RawTable, spec: TableSpec, body: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows with their buyer ids masked (buyer ids are masked in every output,
    the quarantine files too): the cell holding a row's buyer_id, under whatever header it
    came, is the one whose text equals it."""
    if "buyer_id" not in spec.column_names or body.empty:
        return body
    given = raw.cell_texts("buyer_id", body.index.to_numpy(dtype=np.int64)).astype("string")
    given.index = body.index
    present = given.notna().to_numpy(dtype=bool)
    if not present.any():
        return body
    masked = mask_buyer_ids(given).to_numpy(dtype=object)
    body = body.copy()
    for label in body.columns:
        text = body[label].astype("string").str.strip()
        same = (text == given).fillna(False).to_numpy(dtype=bool) & present
        if same.any():
            column = body[label].astype(object).to_numpy(copy=True)
            column[same] = masked[same]
            body[label] = column
    return body


def quarantine_for_output(result: TableResult) -> pd.DataFrame:
    """The quarantine file's rows (internal helper columns removed)."""
    return result.quarantine.drop(
        columns=[c for c in result.quarantine.columns if c.startswith("__")]
    )
