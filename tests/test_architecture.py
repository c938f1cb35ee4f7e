"""Architecture rules that keep the library easy to change."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "supplier_audit"
PYPROJECT = ROOT / "pyproject.toml"


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


def test_library_never_imports_the_flows_or_the_command_line() -> None:
    above = {"flows", "supplier_audit_flows"}
    offenders = [p for p in SRC.rglob("*.py") if above & _imports(p)]
    assert offenders == []


def test_every_package_is_installed() -> None:
    """pyproject lists the packages one by one (flows/ installs as supplier_audit_flows): a new
    folder left off the list would be missing from a wheel."""
    listed = set(
        tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(("supplier_audit", *init.parent.relative_to(SRC).parts))
        for init in SRC.rglob("__init__.py")
    }
    assert listed == found | {"supplier_audit_flows"}


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


README = ROOT / "README.md"
FLOWS = ROOT / "flows"


def _map_block() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Map of the code")
    block = text[start:].split("```", 2)[1]
    return block


def test_the_readme_map_lists_every_module_and_no_other() -> None:
    """The README's map names every module as ``folder/module.py`` (the library's relative to
    src/supplier_audit/, the flows' as flows/...), and names no module that is gone."""
    import re

    listed = set(re.findall(r"[\w/]+\.py\b", _map_block()))
    modules = {
        p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py") if p.name != "__init__.py"
    } | {f"flows/{p.name}" for p in FLOWS.glob("*.py") if p.name != "__init__.py"}
    assert sorted(modules - listed) == [], "modules missing from the README's map"
    assert sorted(listed - modules) == [], "the README's map names modules that do not exist"


# The library's layers, lowest first: a module may import its own layer and those below only.
# config.files (reading the shipped rule files) is the kernel every layer may use.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("config.files", "contracts"),
    ("review_terms", "sampling"),
    ("scoring",),
    ("complaints",),
    ("config",),
    ("ingest", "demo"),
    ("reporting",),
    ("delivery",),
    ("night",),
)


def _layer(dotted: str) -> int:
    """The layer of ``supplier_audit.<dotted>`` (the most specific entry of LAYERS wins)."""
    best, found = -1, 0
    for level, names in enumerate(LAYERS):
        for name in names:
            if (dotted == name or dotted.startswith(name + ".")) and len(name) > best:
                best, found = len(name), level
    assert best >= 0, f"supplier_audit.{dotted} is in no layer of LAYERS"
    return found


def _library_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("supplier_audit.")
        ):
            found.add(node.module.removeprefix("supplier_audit."))
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("supplier_audit.")
                for a in node.names
                if a.name.startswith("supplier_audit.")
            )
    return found


def test_each_layer_imports_only_itself_and_the_layers_below() -> None:
    upward = []
    for path in SRC.rglob("*.py"):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        if module == "__init__":
            continue
        mine = _layer(module)
        upward += [
            f"{module} -> {target}" for target in _library_imports(path) if _layer(target) > mine
        ]
    assert sorted(upward) == []
