"""Architecture rules that keep the library easy to change."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "supplier_audit"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_library_never_imports_prefect() -> None:
    offenders = [p for p in SRC.rglob("*.py") if "prefect" in _imports(p)]
    assert offenders == []


# The workbook reader finds formula cells whose value was never saved (ingest.workbooks).
WORKBOOK_READER = SRC / "ingest" / "workbooks.py"


def test_only_reporting_and_the_workbook_reader_import_openpyxl() -> None:
    offenders = [
        p
        for p in SRC.rglob("*.py")
        if "openpyxl" in _imports(p) and "reporting" not in p.parts and p != WORKBOOK_READER
    ]
    assert offenders == []


def test_importing_the_library_does_not_load_prefect() -> None:
    modules = sorted(
        "supplier_audit." + ".".join(p.relative_to(SRC).with_suffix("").parts)
        for p in SRC.rglob("*.py")
        if p.name != "__init__.py" and not p.name.startswith("_")
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print('prefect' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
