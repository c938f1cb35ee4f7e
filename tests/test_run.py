"""One run at a time, atomic publication, and recovery from a killed run."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.night.run import LOCK_NAME, AuditRun, RunLockedError, output_lock

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from supplier_audit.night.run import output_lock
    with output_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _hold(out: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_run_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    holder = _hold(tmp_path, 30)
    try:
        with pytest.raises(RunLockedError) as refused, output_lock(tmp_path):
            pass
        assert f"pid {holder.pid}" in str(refused.value)
        assert "try again when it has finished" in str(refused.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_second_run_waits_when_told_to(tmp_path: Path) -> None:
    holder = _hold(tmp_path, 1.0)
    start = time.monotonic()
    with output_lock(tmp_path, wait_seconds=20):
        waited = time.monotonic() - start
    holder.wait()
    assert 0.3 < waited < 20


def test_a_killed_runs_lock_and_staging_are_recovered(tmp_path: Path) -> None:
    holder = _hold(tmp_path, 60)
    leftover = tmp_path / f".staging-2026-11-26-{holder.pid}"
    leftover.mkdir()
    (leftover / "half-written.xlsx").write_bytes(b"PK")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (tmp_path / LOCK_NAME).exists()  # the stale lock file is still there ...
    with output_lock(tmp_path):  # ... and does not block the next night
        assert not leftover.exists()


def test_a_failed_stage_leaves_the_published_night_untouched(tmp_path: Path) -> None:
    run = AuditRun(
        data_dir=tmp_path,
        out_dir=tmp_path / "out",
        as_of=dt.date(2026, 11, 26),
        config=load_config(),
    )
    with run.exclusive():
        (run.staging_dir / "report.txt").write_text("first", encoding="utf-8")
        run.publish()
    with pytest.raises(RuntimeError, match="disk full"), run.exclusive():
        (run.staging_dir / "report.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert (run.final_dir / "report.txt").read_text(encoding="utf-8") == "first"
    assert sorted(p.name for p in run.out_dir.iterdir()) == [LOCK_NAME, "2026-11-26"]


def test_a_night_moved_aside_by_a_killed_rerun_is_restored(tmp_path: Path) -> None:
    run = AuditRun(
        data_dir=tmp_path,
        out_dir=tmp_path / "out",
        as_of=dt.date(2026, 11, 26),
        config=load_config(),
    )
    with run.exclusive():
        (run.staging_dir / "report.txt").write_text("published", encoding="utf-8")
        run.publish()
    # a rerun died between its two renames: the night is only in .retired-<date>-<pid>
    os.replace(run.final_dir, run.out_dir / ".retired-2026-11-26-99999")
    with output_lock(run.out_dir):
        pass
    assert (run.final_dir / "report.txt").read_text(encoding="utf-8") == "published"
    assert not list(run.out_dir.glob(".retired-*"))


def test_a_failed_second_rename_puts_the_earlier_night_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = AuditRun(
        data_dir=tmp_path,
        out_dir=tmp_path / "out",
        as_of=dt.date(2026, 11, 26),
        config=load_config(),
    )
    with run.exclusive():
        (run.staging_dir / "report.txt").write_text("first", encoding="utf-8")
        run.publish()
    real_replace = os.replace

    def failing_replace(source: object, target: object) -> None:
        if str(source).endswith(run.staging_dir.name):
            raise OSError(28, "No space left on device")
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError), run.exclusive():
        (run.staging_dir / "report.txt").write_text("second", encoding="utf-8")
        run.publish()
    assert (run.final_dir / "report.txt").read_text(encoding="utf-8") == "first"
