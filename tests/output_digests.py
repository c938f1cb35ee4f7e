"""Digests of a night's outputs: every CSV byte for byte, every workbook cell as it is stored.

Used by ``tests/test_output_digests.py`` to show that moving code around changed nothing a
merchant or a machine reads. Refresh the checked-in digests only for a change meant to alter
the outputs, and say so in the commit::

    PYTHONPATH=src .venv/bin/python -m tests.output_digests --update
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from supplier_audit.config.loading import load_config
from supplier_audit.night import recipe
from supplier_audit.night.run import AuditRun

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
DEMO_NIGHT = dt.date(2026, 11, 26)
GOLDEN = Path(__file__).resolve().parent / "golden" / "demo_night_digests.json"

# Cells that record when and how long the night ran, and with which package versions: they
# differ from run to run by design and are left out of the workbook digest.
_RUN_INFO_SHEETS = {"Run info", "运行信息"}


def _cell_text(cell: object) -> str:
    value = getattr(cell, "value", None)
    font = getattr(cell, "font", None)
    fill = getattr(cell, "fill", None)
    return "\t".join(
        [
            getattr(cell, "coordinate", ""),
            type(value).__name__,
            str(value),
            str(getattr(cell, "number_format", "")),
            f"{getattr(font, 'b', None)}:{getattr(getattr(font, 'color', None), 'rgb', None)}",
            str(getattr(getattr(fill, "fgColor", None), "rgb", None)),
        ]
    )


def workbook_digest(path: Path) -> dict[str, str]:
    """One sha256 per sheet over every cell's coordinate, value, number format, bold, font
    colour and fill."""
    book = load_workbook(path)
    try:
        digests = {}
        for sheet in book.worksheets:
            if sheet.title in _RUN_INFO_SHEETS:
                continue
            lines = [_cell_text(cell) for row in sheet.iter_rows() for cell in row]
            digests[sheet.title] = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        return digests
    finally:
        book.close()


def night_digests(folder: Path) -> dict[str, object]:
    """Every CSV's sha256 and every workbook's per-sheet digests, by path under the folder."""
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".csv":
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.suffix == ".xlsx":
            found[name] = workbook_digest(path)
    return found


def demo_night(out: Path) -> Path:
    """Audit the bundled demo world as of its last night, with the default settings."""
    run = AuditRun(data_dir=DEMO, out_dir=out, as_of=DEMO_NIGHT, config=load_config(None))
    with run.exclusive():
        return recipe.audit_night(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the checked-in digests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        found = night_digests(demo_night(Path(scratch)))
    text = json.dumps(found, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if args.update:
        GOLDEN.write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN.relative_to(ROOT)}: {len(found)} files")
    else:
        print(text)


if __name__ == "__main__":
    main()
