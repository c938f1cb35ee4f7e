"""The whole nightly flow and the CLI, under one session-scoped Prefect test server."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from supplier_audit.night.run import LOCK_NAME
from supplier_audit_flows.cli import main
from supplier_audit_flows.commands import EXIT_BAD_INPUT, EXIT_OK

from .conftest import BASE_TABLES

pytestmark = pytest.mark.flow
Folder = Callable[..., Path]


def _bad_shipment() -> dict[str, object]:
    return dict(BASE_TABLES["shipments"][0], shipment_id="L9", quantity="0")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command in a child process, talking to the test server."""
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ, PREFECT_API_URL=str(PREFECT_API_URL.value()))
    return subprocess.run(
        [sys.executable, "-m", "supplier_audit_flows.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


# Prefect's console log handler keeps the stream it first saw, so tests that run flows do not
# use capsys (it closes its stream after each test); the CLI's words are checked in a child.
def test_run_writes_manifest_and_quarantine(
    prefect_server: None, make_folder: Folder, tmp_path: Path
) -> None:
    folder = make_folder({"shipments": [_bad_shipment()]})
    out = tmp_path / "reports"
    status = main(["run", "--data", str(folder), "--out", str(out), "--as-of", "2026-11-26"])
    assert status == EXIT_OK
    night = out / "2026-11-26"
    manifest = json.loads((night / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == "2026-11-26"
    for name, counts in manifest["inputs"].items():
        assert counts["rows_read"] == (
            counts["rows_valid"] + counts["rows_quarantined"] + counts["rows_pending"]
        ), name
    assert manifest["inputs"]["shipments"]["rows_quarantined"] == 1
    assert len(manifest["inputs"]["shipments"]["sha256"]) == 64
    assert manifest["config"]["sha256"] and manifest["seed"] == 20261126
    assert {"supplier_audit", "prefect", "pandas"} <= set(manifest["versions"])
    assert "ingest" in manifest["stages"]
    quarantine = (night / "quarantine" / "shipments.csv").read_text(encoding="utf-8-sig")
    assert "quantity 0 is below the minimum 1" in quarantine
    # Nothing but the published folder is left behind.
    assert sorted(p.name for p in out.iterdir() if p.name != LOCK_NAME) == ["2026-11-26", "history"]


def test_fatal_input_stops_with_one_message_and_keeps_the_old_report(
    prefect_server: None, make_folder: Folder, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    good = make_folder(name="good")
    first = _cli("run", "--data", str(good), "--out", str(out), "--as-of", "2026-11-26")
    assert first.returncode == EXIT_OK, first.stderr
    assert f"Reports for 2026-11-26 are in {out / '2026-11-26'}/" in first.stdout
    before = (out / "2026-11-26" / "manifest.json").read_bytes()
    history_before = {p: p.read_bytes() for p in (out / "history").rglob("*") if p.is_file()}

    broken = make_folder(replace={"reviews": None}, name="broken")
    second = _cli("run", "--data", str(broken), "--out", str(out), "--as-of", "2026-11-26")
    assert second.returncode == EXIT_BAD_INPUT
    # one line, said once; Prefect's INFO chatter stays in the run's logs
    assert second.stderr.strip().splitlines() == [
        next(line for line in second.stderr.splitlines() if "error" in line)
    ]
    last_line = second.stderr.strip()
    assert last_line.startswith("supplier-audit: error:")
    assert "required table reviews is missing" in last_line
    assert "INFO" not in first.stderr + first.stdout + second.stdout
    assert (out / "2026-11-26" / "manifest.json").read_bytes() == before
    assert {
        p: p.read_bytes() for p in (out / "history").rglob("*") if p.is_file()
    } == history_before
    assert sorted(p.name for p in out.iterdir() if p.name != LOCK_NAME) == ["2026-11-26", "history"]


def test_bad_config_is_refused_before_anything_runs(
    tmp_path: Path, make_folder: Folder, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("seed = -3\n", encoding="utf-8")
    status = main(
        ["run", "--data", str(make_folder()), "--out", str(tmp_path / "o"), "--config", str(config)]
    )
    assert status == EXIT_BAD_INPUT
    assert "seed" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_since_catches_up_every_missed_night_in_order(
    prefect_server: None, make_folder: Folder, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    folder = make_folder()
    # the night already audited (in this process: only the catching up is the command's words)
    done = main(["run", "--data", str(folder), "--out", str(out), "--as-of", "2026-11-25"])
    assert done == EXIT_OK
    caught_up = _cli(
        "run",
        "--data",
        str(folder),
        "--out",
        str(out),
        "--since",
        "2026-11-23",
        "--as-of",
        "2026-11-26",
    )
    assert caught_up.returncode == EXIT_OK, caught_up.stderr
    assert "3 night(s) from 2026-11-23 to 2026-11-26 have no report yet" in caught_up.stdout
    order = [
        line.split()[2] for line in caught_up.stdout.splitlines() if line.startswith("Reports for")
    ]
    assert order == ["2026-11-23", "2026-11-24", "2026-11-26"]
    published = sorted(p.name for p in out.iterdir() if p.name != LOCK_NAME)
    assert published == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "history"]
    partitions = sorted(p.name for p in (out / "history").iterdir())
    # every night's scores, and the review flags every published night kept
    assert partitions == [f"as_of=2026-11-{day}" for day in (23, 24, 25, 26)] + ["review_flags"]


def test_each_run_publishes_a_summary_the_top_risks_and_a_link(
    prefect_server: None, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from supplier_audit.demo import generate_world

    data = tmp_path / "world"
    generate_world(data, suppliers=12, seed=3)
    out = tmp_path / "reports"
    assert main(["run", "--data", str(data), "--out", str(out), "--as-of", "2026-11-26"]) == EXIT_OK
    keys = ["supplier-audit-summary", "supplier-audit-top-risks", "supplier-audit-report"]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys))
        )
    latest = {a.key: a for a in sorted(artifacts, key=lambda a: a.created)}
    assert set(latest) == set(keys)
    assert "# Supplier audit 2026-11-26" in str(latest["supplier-audit-summary"].data)
    assert "Lots to inspect tonight" in str(latest["supplier-audit-summary"].data)
    assert "supplier_id" in str(latest["supplier-audit-top-risks"].data)
    assert "supplier-risk-2026-11-26.xlsx" in str(latest["supplier-audit-report"].data)


def test_a_failing_stage_fails_the_night_naming_the_stage(
    prefect_server: None, make_folder: Folder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from supplier_audit.night import outputs
    from supplier_audit_flows.nightly_audit import nightly_audit

    out = tmp_path / "reports"
    folder = make_folder()
    assert (
        main(["run", "--data", str(folder), "--out", str(out), "--as-of", "2026-11-26"]) == EXIT_OK
    )
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != LOCK_NAME}

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs, "report_stage", disk_full)
    state = nightly_audit(
        data_dir=str(folder), out_dir=str(out), as_of=dt.date(2026, 11, 26), return_state=True
    )
    assert state.is_failed()
    assert "stage report failed: OSError" in (state.message or "")
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != LOCK_NAME}
    assert after == before  # the published night and the history are untouched, nothing partial


def _partitioned_world(tmp_path: Path) -> Path:
    """A small demo world whose reviews are a folder of three CSV partitions."""
    import pandas as pd

    from supplier_audit.demo import generate_world

    data = tmp_path / "world"
    generate_world(data, suppliers=12, seed=5)
    reviews = pd.read_csv(data / "reviews.csv", dtype=str, keep_default_na=False)
    (data / "reviews.csv").unlink()
    (data / "reviews").mkdir()
    third = -(-len(reviews) // 3)
    for number in range(3):
        part = reviews.iloc[number * third : (number + 1) * third]
        part.to_csv(data / "reviews" / f"part-{number}.csv", index=False)
    return data


@pytest.fixture(scope="module")
def partitioned_night(
    prefect_server: None, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, object]:
    """The partitioned world, and its night by the default task runner: its output folder and
    the flow run's final state (read by the partition and the Dask runner tests)."""
    from supplier_audit_flows.nightly_audit import nightly_audit

    folder = tmp_path_factory.mktemp("partitioned")
    data = _partitioned_world(folder)
    state = nightly_audit(
        data_dir=str(data),
        out_dir=str(folder / "local"),
        as_of=dt.date(2026, 11, 26),
        return_state=True,
    )
    return data, folder / "local", state


def _logs_of(state: object) -> str:
    """Every log line of the flow run behind ``state``, as Prefect's server holds them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    flow_run_id = state.state_details.flow_run_id  # type: ignore[attr-defined]
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
        )
    return "\n".join(log.message for log in logs)


def test_the_dask_runner_gives_the_outputs_of_the_default_runner(
    partitioned_night: tuple[Path, Path, object], tmp_path: Path
) -> None:
    from supplier_audit_flows.nightly_audit import nightly_audit

    data, local_out, local = partitioned_night
    night = {"data_dir": str(data), "as_of": dt.date(2026, 11, 26), "return_state": True}
    dask = nightly_audit(
        out_dir=str(tmp_path / "dask"), task_runner="dask", dask_workers=2, **night
    )
    assert local.is_completed() and dask.is_completed()  # type: ignore[attr-defined]
    assert "starting a local Dask cluster of 2 worker process(es)" in _logs_of(dask)
    for name in ("supplier_scores.csv", "review_flags.csv", "inspection_plan.csv"):
        expected = (local_out / "2026-11-26" / name).read_bytes()
        assert (tmp_path / "dask" / "2026-11-26" / name).read_bytes() == expected, name
    manifest = json.loads(
        (tmp_path / "dask" / "2026-11-26" / "manifest.json").read_text(encoding="utf-8")
    )
    assert len(manifest["inputs"]["reviews"]["files"]) == 3


def test_each_partition_is_a_task_and_stage_timings_reach_the_run_logs(
    partitioned_night: tuple[Path, Path, object],
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter

    _, _, state = partitioned_night
    assert state.is_completed()  # type: ignore[attr-defined]
    flow_run_id = state.state_details.flow_run_id  # type: ignore[attr-defined]
    with get_client(sync_client=True) as client:
        tasks = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            task_run_filter=TaskRunFilter(),
        )
    names = sorted(t.name for t in tasks if t.name.startswith("reviews "))
    assert names == [f"reviews part-{n}.csv" for n in range(3)]
    said = _logs_of(state)
    for stage in ("ingest", "reviews", "score", "report"):
        assert f"stage {stage}: " in said, stage
    assert "reviews: 3 partition(s)" in said
