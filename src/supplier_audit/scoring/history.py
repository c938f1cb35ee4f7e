"""Score history: one Parquet partition per run date, and the trend against the last run.

Layout: ``history_dir/as_of=YYYY-MM-DD/part-0.parquet`` (Hive-style, readable by pyarrow
datasets). A rerun for the same date replaces its own partition, atomically: the file is
written to a temporary name in the same folder and moved into place with ``os.replace``.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

PARTITION = "as_of={}"
PART_FILE = "part-0.parquet"
_PARTITION_RE = re.compile(r"^as_of=(\d{4}-\d{2}-\d{2})$")


def append_history(scores: pd.DataFrame, history_dir: Path, as_of: date) -> Path:
    """Write the scores as the ``as_of`` partition (replacing an earlier run of that date)."""
    from supplier_audit.contracts.files import readable_like_new_files

    folder = Path(history_dir) / PARTITION.format(as_of.isoformat())
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / PART_FILE
    handle, temp_name = tempfile.mkstemp(prefix=".part-0.", suffix=".tmp", dir=folder)
    os.close(handle)
    try:
        scores.to_parquet(temp_name, index=False)
        readable_like_new_files(Path(temp_name))
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.remove(temp_name)
    return target


def history_dates(history_dir: Path) -> list[date]:
    """The run dates stored in the history, oldest first (folders without a file are skipped)."""
    root = Path(history_dir)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = _PARTITION_RE.match(child.name)
        if match and (child / PART_FILE).is_file():
            found.append(date.fromisoformat(match.group(1)))
    return sorted(found)


def previous_scores(history_dir: Path, as_of: date) -> pd.DataFrame | None:
    """The latest stored scores strictly before ``as_of``, or None when there are none."""
    earlier = [d for d in history_dates(history_dir) if d < as_of]
    if not earlier:
        return None
    path = Path(history_dir) / PARTITION.format(earlier[-1].isoformat()) / PART_FILE
    return pd.read_parquet(path)
