"""Writing outputs safely: cells defused so no text becomes a formula, files written atomically
(a reader never sees half a file) and readable like any new file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

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
    with temporary_beside(path) as temporary:
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
    with temporary_beside(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path


@contextmanager
def temporary_beside(path: Path) -> Iterator[Path]:
    """A private temporary file in ``path``'s folder, renamed onto ``path`` (readable like a new
    file) when the block ends without an error, removed otherwise."""
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
