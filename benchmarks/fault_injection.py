"""Fault injection for the nightly run: does a failed night lose data, and does the next recover?

Usage:  .venv/bin/python benchmarks/fault_injection.py [--suppliers 20] [--seed 3]
        [--only SUBSTRING] [--keep DIR]

On a small generated world (``supplier_audit.demo.generate_world``) it first publishes a good
night (2026-11-25) and a clean reference run of the next night (2026-11-26). Then, for every
fault below, starting from a copy of the good night's output folder, it runs the nightly
stages of ``tests/test_pipeline.py::run_night`` (no Prefect) with the fault injected:

* an exception raised by each stage in turn (its function in ``supplier_audit.night`` is replaced);
* a full disk (``OSError(ENOSPC)`` after half the bytes are written) while writing a CSV, a
  workbook, the manifest, or the score history;
* a rename that fails while publishing over an already published night;
* a full disk while the review flag store takes a published night's new flags (the night
  stays published, the store as it was);
* a SIGKILL after a given stage (the night runs in a child process the parent kills), inside
  the publication of a rerun, between its two renames, and inside the review flag store's
  update (its new segment written but ``current.json`` not yet replaced, and just after).

After the fault it checks that every file published before (the good night's folder, the
history of scores and the review flag store) is byte-identical (``data lost``); then it runs
the night again without the fault and checks that no staging, retired, temporary or partial
file is left, that the night's CSVs are byte-identical to the reference run's and its history
rows equal
(``reports consistent``). It prints one row per fault and exits 1 if any row fails.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl.writer.excel
import pandas as pd

from supplier_audit.config.loading import load_config
from supplier_audit.demo import generate_world
from supplier_audit.night import flag_store, outputs, publication, recipe, stages
from supplier_audit.night import run as run_module
from supplier_audit.night.run import LOCK_NAME, AuditRun, output_lock

AS_OF = dt.date(2026, 11, 26)
PREVIOUS = AS_OF - dt.timedelta(days=1)
STAGES = (
    "ingest_stage",
    "reviews_stage",
    "switching_stage",
    "score_stage",
    "sampling_feedback",
    "inspection_stage",
    "complaints_stage",
    "report_stage",
    "finish",
)
# night.recipe's stage names -> the stage functions the faults are injected into
STAGE_FUNCTIONS = {
    "ingest": "ingest_stage",
    "reviews": "reviews_stage",
    "guard": "guard_stage",
    "switching": "switching_stage",
    "score": "score_stage",
    "feedback": "sampling_feedback",
    "inspection": "inspection_stage",
    "complaints": "complaints_stage",
    "report": "report_stage",
    "finish": "finish",
}
LEFTOVER_PATTERNS = (".staging-*", ".retired-*", "*.tmp", "*.partial")
# The review flag store takes every published night's new flags: the next run changes it by
# design (its entries are compared with the reference run's instead).
STORE = Path("history") / flag_store.STORE_FOLDER
KILL_MARKER = "fault-injection: reached "
# What a fault the night handled without failing did (read by inject, in this process).
_HANDLED: list[str] = []
# Where a killed child stops inside the review flag store's update: after the rename of a file
# whose name starts so.
# the file whose rename into place the kill follows: (name starts with, name ends with)
_STORE_KILLS = {
    "flag-store-segment": ("seg-", ".parquet"),  # its id index is renamed in before it
    "flag-store-pointer": (flag_store.POINTER, ""),
}


# --------------------------------------------------------------------------------- the night


def run_night(
    data: Path, out: Path, as_of: dt.date, *, after_stage: Callable[[str], None] | None = None
) -> Path:
    """The nightly recipe of flows/nightly_audit.py, stage by stage, without Prefect.

    Each stage function is looked up on its module when it is called, so a replaced one is used.
    """

    def around(name: str, stage: Callable[[], Any]) -> Any:
        result = stage()
        if after_stage is not None:
            after_stage(STAGE_FUNCTIONS[name])
        return result

    run = AuditRun(data_dir=data, out_dir=out, as_of=as_of, config=load_config())
    with run.exclusive():
        return recipe.audit_night(run, around=around)


# ----------------------------------------------------------------------------------- faults


def _disk_full(path: object) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


@contextlib.contextmanager
def _replaced(owner: Any, name: str, replacement: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _raise_in(stage_name: str) -> contextlib.AbstractContextManager[None]:
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"injected failure in {stage_name}")

    owner = {"report_stage": outputs, "finish": publication}.get(stage_name, stages)
    return _replaced(owner, stage_name, failing)


def _full_disk_csv() -> contextlib.AbstractContextManager[None]:
    original = pd.DataFrame.to_csv

    def half_then_full(self: pd.DataFrame, path_or_buf: Any = None, **kwargs: Any) -> Any:
        if path_or_buf is None or not isinstance(path_or_buf, str | os.PathLike):
            return original(self, path_or_buf, **kwargs)
        text = original(self, None, **{k: v for k, v in kwargs.items() if k != "encoding"})
        Path(path_or_buf).write_text(text[: len(text) // 2], encoding="utf-8")
        raise _disk_full(path_or_buf)

    return _replaced(pd.DataFrame, "to_csv", half_then_full)


def _full_disk_workbook() -> contextlib.AbstractContextManager[None]:
    def half_then_full(self: Any) -> None:
        # the archive is open at its path: the first member goes in, then the disk is full
        archive = self._archive
        archive.writestr("[Content_Types].xml", "<Types/>")
        raise _disk_full(archive.filename)

    return _replaced(openpyxl.writer.excel.ExcelWriter, "write_data", half_then_full)


def _full_disk_manifest() -> contextlib.AbstractContextManager[None]:
    def half_then_full(text: str, path: Path) -> Path:
        from supplier_audit.contracts.files import temporary_beside

        with temporary_beside(path) as temporary:
            temporary.write_text(text[: len(text) // 2], encoding="utf-8")
            raise _disk_full(temporary)

    return _replaced(run_module, "write_text_atomic", half_then_full)


def _full_disk_history() -> contextlib.AbstractContextManager[None]:
    def half_then_full(self: pd.DataFrame, path: Any = None, **kwargs: Any) -> None:
        Path(path).write_bytes(b"PAR1 half a parquet file")
        raise _disk_full(path)

    return _replaced(pd.DataFrame, "to_parquet", half_then_full)


def _full_disk_flag_store() -> contextlib.AbstractContextManager[None]:
    """The review flag store's new segment fails half-way (ENOSPC), after the publication."""

    def half_then_full(folder: Path, name: str, sources: Any) -> Any:
        from supplier_audit.contracts.files import temporary_beside

        with temporary_beside(folder / name) as temporary:
            temporary.write_bytes(b"PAR1 half a segment")
            _HANDLED.append("ENOSPC in the flag store: night published, store as it was")
            raise _disk_full(temporary)

    return _replaced(flag_store, "_stream_segment", half_then_full)


def _failing_second_rename() -> contextlib.AbstractContextManager[None]:
    """os.replace fails when the staging folder is renamed onto the night's folder."""
    original = os.replace

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if Path(src).name.startswith(".staging-") and not Path(dst).name.startswith("."):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(dst))
        original(src, dst, **kwargs)

    return _replaced(os, "replace", replace)


@dataclasses.dataclass(frozen=True)
class Fault:
    """One injected failure: how it is applied, and whether it hits a rerun of the good night."""

    name: str
    kind: str  # "in-process" or "kill"
    inject: Callable[[], contextlib.AbstractContextManager[None]] | None = None
    kill_after: str | None = None
    rerun: bool = False


FAULTS: list[Fault] = [
    *(
        Fault(f"exception in {name}", "in-process", inject=lambda name=name: _raise_in(name))  # type: ignore[misc]
        for name in STAGES
    ),
    Fault(
        "exception in report_stage of a rerun",
        "in-process",
        inject=lambda: _raise_in("report_stage"),
        rerun=True,
    ),
    Fault("disk full writing a CSV", "in-process", inject=_full_disk_csv),
    Fault("disk full writing a workbook", "in-process", inject=_full_disk_workbook),
    Fault("disk full writing the manifest", "in-process", inject=_full_disk_manifest),
    Fault("disk full writing the history", "in-process", inject=_full_disk_history),
    Fault(
        "rename fails publishing a rerun", "in-process", inject=_failing_second_rename, rerun=True
    ),
    Fault("disk full writing the review flag store", "in-process", inject=_full_disk_flag_store),
    Fault("kill after ingest_stage", "kill", kill_after="ingest_stage"),
    Fault("kill after score_stage", "kill", kill_after="score_stage"),
    Fault("kill after report_stage", "kill", kill_after="report_stage"),
    Fault("kill between the renames of a rerun", "kill", kill_after="publish", rerun=True),
    Fault("kill after the flag store's new segment", "kill", kill_after="flag-store-segment"),
    Fault("kill after the flag store's current.json", "kill", kill_after="flag-store-pointer"),
]


# ------------------------------------------------------------------------------ the checks


@dataclasses.dataclass(frozen=True)
class Baseline:
    """A world, its good night's output folder, and a clean run of the next night."""

    world: Path
    good_out: Path
    reference_out: Path


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one fault did: the row of the printed table."""

    fault: str
    outcome: str
    data_lost: str
    reports_consistent: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.data_lost == "none" and self.reports_consistent == "yes"


def prepare(workdir: Path, *, suppliers: int = 20, seed: int = 3) -> Baseline:
    """Generate the world, publish the good night, and run the reference next night."""
    world = workdir / "world"
    generate_world(world, suppliers=suppliers, seed=seed, as_of=AS_OF)
    good_out = workdir / "good"
    run_night(world, good_out, PREVIOUS)
    reference_out = workdir / "reference"
    shutil.copytree(good_out, reference_out)
    run_night(world, reference_out, AS_OF)
    return Baseline(world=world, good_out=good_out, reference_out=reference_out)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(out: Path) -> dict[str, str]:
    """sha256 of every file under the output folder (the lock file's text names its holder)."""
    return {
        str(p.relative_to(out)): _digest(p)
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME
    }


def lost_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files published before that are now missing or changed."""
    return [
        f"{name} {'missing' if name not in after else 'changed'}"
        for name, digest in before.items()
        if after.get(name) != digest
    ]


def _summarise_lost(out: Path, lost: list[str]) -> list[str]:
    """Whole folders that vanished as one entry, and where their files went if they still are."""
    folders: dict[str, int] = {}
    for entry in lost:
        top = entry.split("/", 1)[0]
        if entry.endswith(" missing") and "/" in entry and not (out / top).exists():
            folders[top] = folders.get(top, 0) + 1
    summary = [e for e in lost if e.split("/", 1)[0] not in folders]
    for top, count in folders.items():
        retired = sorted(p.name for p in out.glob(f".retired-{top}-*"))
        where = f" (only copy in {retired[0]})" if retired else ""
        summary.insert(0, f"{top}/ missing, all {count} files{where}")
    return summary


def leftovers(out: Path) -> list[str]:
    """Staging, retired, temporary and partial files under the output folder."""
    found = {str(p.relative_to(out)) for pattern in LEFTOVER_PATTERNS for p in out.rglob(pattern)}
    return sorted(found)


def _night_csvs(night: Path) -> dict[str, bytes]:
    return {str(p.relative_to(night)): p.read_bytes() for p in sorted(night.rglob("*.csv"))}


def _history(out: Path, as_of: dt.date) -> pd.DataFrame | None:
    path = out / "history" / f"as_of={as_of.isoformat()}" / "part-0.parquet"
    return pd.read_parquet(path) if path.is_file() else None


def store_problems(out: Path) -> list[str]:
    """What makes the review flag store unreadable: its current.json, or a segment it lists
    that is missing, of another size or not Parquet."""
    import pyarrow.parquet as pq

    pointer = out / STORE / flag_store.POINTER
    if not pointer.is_file():
        return []
    try:
        segments = json.loads(pointer.read_text("utf-8"))["segments"]
    except (ValueError, KeyError) as error:
        return [f"review flag store's current.json unreadable ({error})"]
    problems = []
    for segment in segments:
        path = out / STORE / segment["name"]
        try:
            whole = path.stat().st_size == segment["bytes"]
            whole = whole and pq.ParquetFile(path).metadata.num_rows == segment["rows"]
        except (OSError, ValueError):
            whole = False
        if not whole:
            problems.append(f"review flag store's {segment['name']} broken")
    return problems


def _store_entries(out: Path) -> pd.DataFrame | None:
    """Every entry the review flag store lists, sorted by review id (None: no store)."""
    pointer = out / STORE / flag_store.POINTER
    if not pointer.is_file():
        return None
    names = [s["name"] for s in json.loads(pointer.read_text("utf-8"))["segments"]]
    frames = [pd.read_parquet(out / STORE / name) for name in names]
    entries = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    entries["spans"] = entries["spans"].map(lambda spans: repr(list(spans)))
    return entries.sort_values(["review_id", "text_hash"]).reset_index(drop=True)


def consistency_problems(out: Path, reference: Path, as_of: dt.date) -> list[str]:
    """How the recovered night differs from the reference run of the same night (if at all)."""
    problems = []
    night, expected = out / as_of.isoformat(), reference / as_of.isoformat()
    if not night.is_dir():
        return [f"{night.name}/ not published"]
    got, want = _night_csvs(night), _night_csvs(expected)
    if got.keys() != want.keys():
        problems.append(f"CSV files differ: {sorted(got.keys() ^ want.keys())}")
    problems += [f"{name} differs" for name in want if name in got and got[name] != want[name]]
    history, reference_history = _history(out, as_of), _history(reference, as_of)
    if history is None:
        problems.append("night missing from history")
    elif reference_history is not None and not history.equals(reference_history):
        problems.append("history rows differ")
    entries, reference_entries = _store_entries(out), _store_entries(reference)
    if entries is None or reference_entries is None or not entries.equals(reference_entries):
        problems.append("review flag store differs")
    problems += [f"leftover {name}" for name in leftovers(out)]
    return problems


# ------------------------------------------------------------------------ running the faults


def _child_command(baseline: Baseline, out: Path, as_of: dt.date, kill_after: str) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(baseline.world),
        str(out),
        as_of.isoformat(),
        kill_after,
    ]


def _kill_run(baseline: Baseline, out: Path, as_of: dt.date, kill_after: str) -> str:
    """Run the night in a child; SIGKILL it once it reports reaching ``kill_after``."""
    child = subprocess.Popen(
        _child_command(baseline, out, as_of, kill_after),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        for line in child.stdout:
            if line.startswith(KILL_MARKER):
                os.kill(child.pid, signal.SIGKILL)
                break
        child.wait(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if child.returncode != -signal.SIGKILL:
        error = child.stderr.read() if child.stderr else ""
        return f"child ended with {child.returncode} before the kill: {error[-300:]}"
    staged = [p.name for p in out.glob(".staging-*")] + [p.name for p in out.glob(".retired-*")]
    where = {
        "publish": "inside publish",
        "flag-store-segment": "after the flag store's new segment, before current.json",
        "flag-store-pointer": "after the flag store's current.json was replaced",
    }.get(kill_after, f"after {kill_after}")
    return f"killed {where}; left {', '.join(staged) or 'no staging'} and the lock file"


def inject(
    fault: Fault,
    *,
    workdir: Path,
    baseline: Baseline | None = None,
    suppliers: int = 20,
    seed: int = 3,
) -> Outcome:
    """Apply one fault to a copy of the good night's output folder; check, recover, check."""
    start = time.perf_counter()
    baseline = baseline or prepare(workdir / "baseline", suppliers=suppliers, seed=seed)
    out = workdir / fault.name.replace(" ", "-")
    shutil.copytree(baseline.good_out, out)
    as_of = PREVIOUS if fault.rerun else AS_OF
    reference = baseline.good_out if fault.rerun else baseline.reference_out
    before = snapshot(out)

    if fault.kind == "kill":
        assert fault.kill_after is not None
        outcome = _kill_run(baseline, out, as_of, fault.kill_after)
    else:
        assert fault.inject is not None
        _HANDLED.clear()
        try:
            with fault.inject():
                run_night(baseline.world, out, as_of)
            outcome = _HANDLED[0] if _HANDLED else "no failure: the fault was never reached"
        except Exception as error:  # the fault under test: any type is reported
            outcome = f"{type(error).__name__}: {error}".replace(f"{out}{os.sep}", "")
            night = out / as_of.isoformat()
            published_now = not fault.rerun and night.is_dir()
            outcome += "; night published anyway" if published_now else "; nothing published"

    if fault.kind == "kill":
        # the next run starts by taking the lock, which tidies what the killed run left
        with output_lock(out):
            pass
    lost = lost_files(before, snapshot(out))
    if not fault.rerun and (out / as_of.isoformat()).is_dir():
        # a published night may have changed the store: it must be whole, old or new
        lost = [name for name in lost if not name.startswith(STORE.as_posix() + "/")]
    lost = _summarise_lost(out, lost) + store_problems(out)

    recovery = ""
    try:
        run_night(baseline.world, out, as_of)
    except Exception as error:  # a recovery that fails is itself a finding
        recovery = f"recovery run failed: {type(error).__name__}: {error}"
    problems = [recovery] if recovery else consistency_problems(out, reference, as_of)
    # A rerun replaces its own night by design (its CSVs are compared above); any other
    # night's files must survive the next run too.
    still_lost = (
        []
        if fault.rerun
        else [
            name
            for name in lost_files(before, snapshot(out))
            if not name.startswith(STORE.as_posix() + "/")
        ]
    )
    shown = lost or [f"{name} (after the next run)" for name in still_lost]
    data_lost = "none" if not shown else "; ".join(shown[:2]) + (" …" if len(shown) > 2 else "")
    return Outcome(
        fault=fault.name,
        outcome=outcome,
        data_lost=data_lost,
        reports_consistent="yes" if not problems else "no: " + "; ".join(problems[:3]),
        seconds=round(time.perf_counter() - start, 1),
    )


def _child(data: str, out: str, as_of: str, kill_after: str) -> None:
    """The night in a child process, announcing ``kill_after`` and then waiting to be killed."""

    def reached() -> None:
        print(KILL_MARKER + kill_after, flush=True)
        time.sleep(600)

    if kill_after == "publish" or kill_after in _STORE_KILLS:
        original = os.replace
        starts, ends = _STORE_KILLS.get(kill_after, (".retired-", ""))

        def replace(src: Any, dst: Any, **kwargs: Any) -> None:
            original(src, dst, **kwargs)
            name = Path(dst).name
            if name.startswith(starts) and name.endswith(ends):
                reached()

        os.replace = replace  # the process is killed before anything else needs it
        run_night(Path(data), Path(out), dt.date.fromisoformat(as_of))
    else:
        run_night(
            Path(data),
            Path(out),
            dt.date.fromisoformat(as_of),
            after_stage=lambda name: reached() if name == kill_after else None,
        )


def format_table(outcomes: list[Outcome]) -> str:
    """A markdown table of the outcomes (what docs/reliability.md shows)."""
    lines = [
        "| fault | outcome | data lost | reports consistent | seconds |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        cells = [o.fault, o.outcome, o.data_lost, o.reports_consistent, f"{o.seconds:g}"]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--suppliers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--only", default="", help="run the faults whose name contains this")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    with contextlib.ExitStack() as stack:
        if args.keep:
            workdir = args.keep
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        baseline = prepare(workdir / "baseline", suppliers=args.suppliers, seed=args.seed)
        outcomes = []
        for fault in FAULTS:
            if args.only in fault.name:
                outcome = inject(fault, workdir=workdir, baseline=baseline)
                outcomes.append(outcome)
                print(f"{'ok  ' if outcome.ok else 'FAIL'} {fault.name}", file=sys.stderr)
        print(
            f"Fault injection: world of {args.suppliers} suppliers (seed {args.seed}); good night "
            f"{PREVIOUS}, faulty night {AS_OF} (or a rerun of {PREVIOUS})\n"
        )
        print(format_table(outcomes))
        failed = [o.fault for o in outcomes if not o.ok]
        print(f"\n{len(outcomes) - len(failed)} of {len(outcomes)} faults passed")
        if failed:
            print("FAILED: " + ", ".join(failed))
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
