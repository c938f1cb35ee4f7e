"""CI's guard on benchmarks/fault_injection.py: a few injected faults on a small world lose no
published data, and the next run recovers with the same CSVs as a clean run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "fault_injection.py"


@pytest.fixture(scope="module")
def faults() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fault_injection", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def baseline(faults: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> object:
    return faults.prepare(tmp_path_factory.mktemp("baseline"), suppliers=10)


@pytest.mark.parametrize(
    "name",
    [
        "exception in score_stage",
        "disk full writing a workbook",
        "kill after report_stage",
        "kill after the flag store's new segment",
    ],
)
def test_a_fault_loses_no_data_and_the_next_run_recovers(
    faults: ModuleType, baseline: object, tmp_path: Path, name: str
) -> None:
    fault = next(f for f in faults.FAULTS if f.name == name)
    outcome = faults.inject(fault, workdir=tmp_path, baseline=baseline)
    assert "nothing published" in outcome.outcome or "killed after" in outcome.outcome, outcome
    assert outcome.data_lost == "none", outcome
    assert outcome.reports_consistent == "yes", outcome


def test_the_checks_notice_lost_and_leftover_files(faults: ModuleType, tmp_path: Path) -> None:
    """The checks themselves can fail: a changed file is data lost, a staging folder a leftover."""
    night = tmp_path / "2026-11-25"
    night.mkdir()
    (night / "supplier_scores.csv").write_text("a\n1\n", encoding="utf-8")
    before = faults.snapshot(tmp_path)
    (night / "supplier_scores.csv").write_text("a\n2\n", encoding="utf-8")
    (tmp_path / ".staging-2026-11-26-1").mkdir()
    (tmp_path / ".staging-2026-11-26-1" / "x.csv").write_text("", encoding="utf-8")
    assert faults.lost_files(before, faults.snapshot(tmp_path)) == [
        "2026-11-25/supplier_scores.csv changed"
    ]
    assert faults.leftovers(tmp_path) == [".staging-2026-11-26-1"]
