"""One nightly run's paths, timings, manifest and atomic publication of its outputs.

A run writes everything into a staging folder beside the final one and renames it into
``<out>/<as_of>/`` only when every stage succeeded, so a failed night leaves the previous
reports as they were and no half-written file behind.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import platform
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from supplier_audit.config.loading import LoadedConfig
from supplier_audit.config.settings import AuditConfig
from supplier_audit.config.versions import rule_versions
from supplier_audit.contracts.files import write_csv_atomic, write_text_atomic
from supplier_audit.ingest.folder import as_manifest_inputs
from supplier_audit.ingest.quarantine import quarantine_for_output
from supplier_audit.ingest.results import IngestResult
from supplier_audit.night.progress import stage_progress

log = logging.getLogger(__name__)

_VERSIONED_PACKAGES = (
    "supplier-audit",
    "prefect",
    "pandas",
    "pandera",
    "numpy",
    "scipy",
    "openpyxl",
    "pyarrow",
)


LOCK_NAME = ".supplier-audit.lock"
# Nights whose inputs the guards held (supplier_audit.night.guard) go to <out>/held/<as-of>/.
HELD_FOLDER = "held"


class StageFailed(RuntimeError):
    """A stage of the night failed; the message names the stage and the cause."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        self.stage = stage
        super().__init__(f"stage {stage} failed: {type(cause).__name__}: {cause}")


class RunLockedError(RuntimeError):
    """Another run is writing to the same output folder."""


@contextmanager
def output_lock(out_dir: Path, *, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the output folder for one run at a time; wait up to ``wait_seconds`` for another.

    The lock is an OS file lock (flock), so a run that was killed releases it with its process:
    a stale lock file left behind never blocks the next night. Its text names the holder so a
    person who sees the refusal knows which process to look at.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    handle = path.open("a+", encoding="utf-8")
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise RunLockedError(
                        f"another audit run is writing to {out_dir} ({holder}); "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(
            f"pid {os.getpid()} on {platform.node()}, since {dt.datetime.now():%Y-%m-%d %H:%M:%S}"
        )
        handle.flush()
        _remove_leftovers(out_dir)
        yield
    finally:
        handle.close()  # closing the file releases the lock


def _remove_leftovers(out_dir: Path) -> None:
    """Tidy what runs that died left behind (only called under the lock).

    A staging folder is half-written work: removed. A retired night whose place is empty is the
    only copy of a published night (the run died between its two renames): restored.
    """
    for leftover in sorted(out_dir.glob(".staging-*")):
        log.warning("removing %s left by an interrupted run", leftover)
        shutil.rmtree(leftover, ignore_errors=True)
    for retired in sorted(out_dir.glob(".retired-*")):
        night = out_dir / retired.name.removeprefix(".retired-").rsplit("-", 1)[0]
        if night.exists():
            log.warning("removing %s left by an interrupted run", retired)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            log.warning("restoring %s from %s left by an interrupted run", night, retired)
            os.replace(retired, night)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the outputs."""
    versions = {"python": platform.python_version()}
    for name in _VERSIONED_PACKAGES:
        try:
            versions[name.replace("-", "_")] = version(name)
        except PackageNotFoundError:
            versions[name.replace("-", "_")] = "not installed"
    return versions


def today_in(settings: AuditConfig) -> dt.date:
    """Today's date in the merchant's time zone (the default as-of date)."""
    return dt.datetime.now(settings.zone).date()


@dataclass
class AuditRun:
    """Where one run reads and writes, and what it has recorded so far."""

    data_dir: Path
    out_dir: Path
    as_of: dt.date
    config: LoadedConfig
    stage_seconds: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    @property
    def settings(self) -> AuditConfig:
        return self.config.settings

    @property
    def final_dir(self) -> Path:
        return self.out_dir / self.as_of.isoformat()

    @property
    def staging_dir(self) -> Path:
        return self.out_dir / f".staging-{self.as_of.isoformat()}-{os.getpid()}"

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage (the figure goes into the manifest and the log) and report its
        progress (:mod:`supplier_audit.night.progress`)."""
        with stage_progress(name, self.stage_seconds):
            yield

    def begin(self) -> None:
        """Create a fresh, empty staging folder."""
        if self.staging_dir.exists():
            shutil.rmtree(self.staging_dir)
        self.staging_dir.mkdir(parents=True)

    def abandon(self) -> None:
        """Remove the staging folder of a failed run; published outputs are untouched."""
        shutil.rmtree(self.staging_dir, ignore_errors=True)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the output folder's lock and a fresh staging folder for the run's duration.

        Whatever happens inside — an exception, a return before publishing — the staging folder
        is removed on the way out, so a failed night leaves nothing half-written.
        """
        with output_lock(self.out_dir, wait_seconds=self.settings.lock_wait_seconds):
            self.begin()
            try:
                yield
            finally:
                self.abandon()

    def publish(self) -> Path:
        """Rename the staging folder into ``<out>/<as_of>/``, replacing an earlier run's.

        Two renames: the earlier night moves aside, the new one moves in. If the second fails,
        the earlier night is moved back; if the process dies between them, the next run finds
        the retired folder with no night in its place and restores it (_remove_leftovers).
        """
        final = self.final_dir
        retired = self.out_dir / f".retired-{self.as_of.isoformat()}-{os.getpid()}"
        if final.exists():
            os.replace(final, retired)
        try:
            os.replace(self.staging_dir, final)
        except BaseException:
            if retired.exists() and not final.exists():
                os.replace(retired, final)
            raise
        shutil.rmtree(retired, ignore_errors=True)
        log.info("reports published in %s", final)
        return final

    @property
    def held_dir(self) -> Path:
        return self.out_dir / HELD_FOLDER / self.as_of.isoformat()

    def hold(self) -> Path:
        """Rename the staging folder into ``<out>/held/<as_of>/`` instead of publishing it.

        The published reports (``<out>/<as_of>/`` included, for a rerun) stay as they were; an
        earlier held copy of the same night is replaced.
        """
        held = self.held_dir
        held.parent.mkdir(parents=True, exist_ok=True)
        if held.exists():
            shutil.rmtree(held)
        os.replace(self.staging_dir, held)
        log.info("night held, not published: its reports are in %s", held)
        return held


def write_quarantine(run: AuditRun, ingest: IngestResult) -> list[Path]:
    """One ``quarantine/<table>.csv`` per table that rejected rows (none when all were fine)."""
    written = []
    for name, table in ingest.tables.items():
        if table.rows_quarantined:
            path = run.staging_dir / "quarantine" / f"{name}.csv"
            written.append(write_csv_atomic(quarantine_for_output(table), path))
    return written


def build_manifest(run: AuditRun, ingest: IngestResult, *, outputs: list[str]) -> dict[str, Any]:
    """The auditor's record of what this run read, with which settings, and what it wrote."""
    settings = run.settings
    return {
        "as_of": run.as_of.isoformat(),
        "data_dir": str(run.data_dir),
        "inputs": as_manifest_inputs(ingest, run.data_dir),
        "ignored_files": ingest.ignored_files,
        "config": {
            "version": settings.config_version,
            "sha256": settings.sha256,
            "file": str(run.config.user_file) if run.config.user_file else None,
            "timezone": settings.timezone,
            "lookback_days": settings.lookback_days,
        },
        "seed": settings.seed,
        "rules": rule_versions(settings),
        "versions": package_versions(),
        "stages": {name: {"seconds": seconds} for name, seconds in run.stage_seconds.items()},
        "outputs": sorted(outputs),
    }


def write_manifest(run: AuditRun, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` into the staging folder."""
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False)
    return write_text_atomic(text + "\n", run.staging_dir / "manifest.json")


def staged_outputs(run: AuditRun) -> list[str]:
    """Relative paths of every file staged so far."""
    return sorted(
        str(p.relative_to(run.staging_dir)) for p in run.staging_dir.rglob("*") if p.is_file()
    )
