"""Reading CSV files into sheets: delimiter, encoding, binary files refused, a cut last line."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import cast

from supplier_audit.ingest.cells import _CONTROL_RE, decode_text
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.sheets import _Sheet

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
