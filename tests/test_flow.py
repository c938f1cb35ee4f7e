"""The whole nightly flow and the CLI, under one session-scoped Prefect test server."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from supplier_audit.night.run import LOCK_NAME
from supplier_audit_flows.cli import main
from supplier_audit_flows.commands import EXIT_BAD_INPUT, EXIT_OK

from .conftest import BASE_TABLES

pytestmark = pytest.mark.flow
Folder = Callable[..., Path]


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


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
    done = _cli("run", "--data", str(folder), "--out", str(out), "--as-of", "2026-11-25")
    assert done.returncode == EXIT_OK, done.stderr
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
    prefect_server: None, tmp_path: Path
) -> None:
    from supplier_audit_flows.nightly_audit import nightly_audit

    data = _partitioned_world(tmp_path)
    night = {"data_dir": str(data), "as_of": dt.date(2026, 11, 26), "return_state": True}
    local = nightly_audit(out_dir=str(tmp_path / "local"), **night)
    dask = nightly_audit(
        out_dir=str(tmp_path / "dask"), task_runner="dask", dask_workers=2, **night
    )
    assert local.is_completed() and dask.is_completed()
    assert "starting a local Dask cluster of 2 worker process(es)" in _logs_of(dask)
    for name in ("supplier_scores.csv", "review_flags.csv", "inspection_plan.csv"):
        expected = (tmp_path / "local" / "2026-11-26" / name).read_bytes()
        assert (tmp_path / "dask" / "2026-11-26" / name).read_bytes() == expected, name
    manifest = json.loads(
        (tmp_path / "dask" / "2026-11-26" / "manifest.json").read_text(encoding="utf-8")
    )
    assert len(manifest["inputs"]["reviews"]["files"]) == 3


def test_each_partition_is_a_task_and_stage_timings_reach_the_run_logs(
    prefect_server: None, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter

    from supplier_audit_flows.nightly_audit import nightly_audit

    data = _partitioned_world(tmp_path)
    state = nightly_audit(
        data_dir=str(data),
        out_dir=str(tmp_path / "out"),
        as_of=dt.date(2026, 11, 26),
        return_state=True,
    )
    assert state.is_completed()
    flow_run_id = state.state_details.flow_run_id
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


# --------------------------------------------------------------- delivery, alerts, guards


def _delivery_config(tmp_path: Path, smtp_port: int, webhook_url: str, **more: object) -> Path:
    """A settings file that mails to a server on 127.0.0.1 and posts to a local webhook."""
    lines = [
        "[delivery]",
        'smtp_host = "127.0.0.1"',
        f"smtp_port = {smtp_port}",
        'smtp_tls = "none"',
        'sender = "audit@shop.example"',
        'purchasers = ["buyer@shop.example"]',
        'qa = ["qa@shop.example"]',
        f'webhook_url = "{webhook_url}"',
        "retry_seconds = 0",
        "timeout_seconds = 5",
        *(f"{key} = {json.dumps(value)}" for key, value in more.items()),
    ]
    path = tmp_path / "shop.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _lots(count: int) -> list[dict[str, object]]:
    """``count`` more lots of supplier S1 (tables the guards judge need 20 rows or more)."""
    return [
        dict(BASE_TABLES["shipments"][0], shipment_id=f"LX{n:03d}", received_on="2026-10-15")
        for n in range(count)
    ]


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != LOCK_NAME}


def test_a_published_night_is_mailed_to_each_audience_and_posted_once(
    prefect_server: None, make_folder: Folder, tmp_path: Path
) -> None:
    from .local_servers import http_sink, smtp_sink

    out = tmp_path / "reports"
    with smtp_sink() as smtp, http_sink() as hook:
        config = _delivery_config(tmp_path, smtp.port, hook.url)
        args = ["run", "--data", str(make_folder()), "--out", str(out), "--config", str(config)]
        assert main([*args, "--as-of", "2026-11-26"]) == EXIT_OK
    night = out / "2026-11-26"
    assert [m.recipients for m in smtp.mails] == [["buyer@shop.example"], ["qa@shop.example"]]
    for mail, workbook in zip(
        smtp.mails,
        ["supplier-risk-2026-11-26.xlsx", "inspection-samples-2026-11-26.xlsx"],
        strict=True,
    ):
        (attached,) = mail.message.iter_attachments()
        assert attached.get_filename() == workbook
        assert attached.get_content() == (night / workbook).read_bytes()
    assert "今晚待抽检" in smtp.mails[0].message.get_body(("plain",)).get_content()
    assert len(hook.posts) == 1 and "2026-11-26" in hook.posts[0]["json"]["text"]
    # every output is as readable as the workbooks (the umask's mode, not 0600)
    mask = os.umask(0o022)
    os.umask(mask)
    written = [*night.rglob("*"), *(out / "history").rglob("*")]
    modes = {p.name: p.stat().st_mode & 0o777 for p in written if p.is_file()}
    assert set(modes.values()) == {0o666 & ~mask}, modes


def test_a_delivery_outage_is_reported_and_does_not_change_what_was_published(
    prefect_server: None, make_folder: Folder, tmp_path: Path
) -> None:
    import socket

    from supplier_audit_flows.nightly_audit import nightly_audit

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    config = _delivery_config(tmp_path, closed, f"http://127.0.0.1:{closed}/hook", attempts=2)
    out = tmp_path / "reports"
    state = nightly_audit(
        data_dir=str(make_folder()),
        out_dir=str(out),
        as_of=dt.date(2026, 11, 26),
        config=str(config),
        return_state=True,
    )
    assert state.is_completed()
    result = state.result()
    assert result["delivery"].startswith("failed (the night stays published):")
    assert (
        "mail to purchasers: FAILED after 2 attempt(s): ConnectionRefusedError"
        in (result["delivery"])
    )
    manifest = json.loads((out / "2026-11-26" / "manifest.json").read_text(encoding="utf-8"))
    assert all((out / "2026-11-26" / name).is_file() for name in manifest["outputs"])
    assert (out / "history" / "as_of=2026-11-26").is_dir()


def test_a_cut_export_is_held_with_exit_3_and_an_alert_and_accept_drift_publishes_it(
    prefect_server: None, make_folder: Folder, tmp_path: Path
) -> None:
    from .local_servers import http_sink, smtp_sink

    out = tmp_path / "reports"
    folder = make_folder({"shipments": _lots(40)})
    with smtp_sink() as smtp, http_sink() as hook:
        config = _delivery_config(tmp_path, smtp.port, hook.url, alerts=["oncall@shop.example"])
        common = ["--data", str(folder), "--out", str(out), "--config", str(config)]
        assert main(["run", *common, "--as-of", "2026-11-25"]) == EXIT_OK
        published = _files(out)
        # the upload stopped half-way: 20 of 42 lots, and half a line
        lines = (folder / "shipments.csv").read_text(encoding="utf-8").splitlines()
        (folder / "shipments.csv").write_text(
            "\n".join(lines[:21]) + "\n" + lines[21][:12], encoding="utf-8"
        )
        smtp.mails.clear()
        held = _cli("run", *common, "--as-of", "2026-11-26")
        assert held.returncode == 3, held.stderr
        assert "Traceback" not in held.stderr
        said = next(
            line for line in held.stderr.splitlines() if line.startswith("supplier-audit: error:")
        )
        assert "shipments.csv 最后一行（第 22 行）只有半行" in said
        assert "shipments 行数下降 50.0%（42 → 21，对比 2026-11-25）" in said
        assert _files(out) == published | _files(out / "held")  # published: untouched
        assert not (out / "2026-11-26").exists()
        manifest = json.loads(
            (out / "held" / "2026-11-26" / "manifest.json").read_text(encoding="utf-8")
        )
        assert manifest["guard"]["verdict"] == "held"
        assert [m.recipients for m in smtp.mails] == [["oncall@shop.example"]]
        assert "报告已暂扣未发布" in smtp.mails[0].message["Subject"]
        assert "shipments.csv" in hook.posts[-1]["json"]["text"]

        smtp.mails.clear()
        assert main(["run", *common, "--as-of", "2026-11-26", "--accept-drift"]) == EXIT_OK
    manifest = json.loads((out / "2026-11-26" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["guard"]["verdict"] == "accepted"
    assert (
        "已按 --accept-drift 照常发布" in smtp.mails[0].message.get_body(("plain",)).get_content()
    )


def test_a_quarantine_spike_is_held_and_the_published_reports_stay(
    prefect_server: None, make_folder: Folder, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    good = make_folder({"shipments": _lots(40)}, name="good")
    assert main(["run", "--data", str(good), "--out", str(out), "--as-of", "2026-11-25"]) == 0
    published = _files(out)
    spoilt = [dict(lot, quantity="0") for lot in _lots(40)[:10]]
    bad = make_folder({"shipments": _lots(40)[10:] + spoilt}, name="bad")
    status = main(["run", "--data", str(bad), "--out", str(out), "--as-of", "2026-11-26"])
    assert status == 3
    assert {p: b for p, b in _files(out).items() if "held" not in p.parts} == published
    manifest = json.loads(
        (out / "held" / "2026-11-26" / "manifest.json").read_text(encoding="utf-8")
    )
    assert manifest["guard"]["reason"] == (
        "shipments 有 23.8% 的行被隔离（10 / 42，上限 5%，2026-11-25 为 0.0%）"
    )
    (finding,) = manifest["guard"]["findings"]
    assert (finding["kind"], finding["table"], finding["rows_quarantined"]) == (
        "quarantine_share",
        "shipments",
        10,
    )


def test_a_scheduled_night_on_a_stale_export_is_held(
    prefect_server: None, make_folder: Folder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import supplier_audit_flows.nightly_audit

    monkeypatch.setattr(
        supplier_audit_flows.nightly_audit, "today_in", lambda settings: dt.date(2026, 11, 27)
    )
    out = tmp_path / "reports"
    folder = make_folder(
        {"reviews": [dict(BASE_TABLES["reviews"][0], review_id=f"RX{n}") for n in range(30)]}
    )
    assert main(["run", "--data", str(folder), "--out", str(out), "--as-of", "2026-11-26"]) == 0
    published = _files(out)
    # no --as-of: today's night, as the schedule runs it, on yesterday's unchanged export
    assert main(["run", "--data", str(folder), "--out", str(out)]) == 3
    manifest = json.loads(
        (out / "held" / "2026-11-27" / "manifest.json").read_text(encoding="utf-8")
    )
    assert "reviews.csv 与 2026-11-26 已审计的文件完全相同" in manifest["guard"]["reason"]
    assert {p: b for p, b in _files(out).items() if "held" not in p.parts} == published


def test_a_failed_night_is_alerted_and_a_refused_one_ends_cancelled_in_one_line(
    prefect_server: None, make_folder: Folder, tmp_path: Path
) -> None:
    from supplier_audit.night.run import output_lock
    from supplier_audit_flows.nightly_audit import nightly_audit

    from .local_servers import http_sink, smtp_sink

    out = tmp_path / "reports"
    with smtp_sink() as smtp, http_sink() as hook:
        config = _delivery_config(tmp_path, smtp.port, hook.url)
        broken = make_folder(replace={"reviews": None})
        args = ["run", "--data", str(broken), "--out", str(out), "--config", str(config)]
        assert main([*args, "--as-of", "2026-11-26"]) == EXIT_BAD_INPUT
        (failed,) = smtp.mails
        assert failed.recipients == ["buyer@shop.example", "qa@shop.example"]
        assert "审计失败" in failed.message["Subject"]
        assert "required table reviews is missing" in failed.message["Subject"]
        with output_lock(out):
            state = nightly_audit(
                data_dir=str(broken),
                out_dir=str(out),
                as_of=dt.date(2026, 11, 26),
                config=str(config),
                return_state=True,
            )
    assert state.is_cancelled()
    assert (state.message or "").startswith("another audit run is writing to")
    assert "\n" not in (state.message or "")
    assert "审计未运行" in smtp.mails[-1].message["Subject"]
    assert len(hook.posts) == 2


def test_a_table_cut_to_its_header_and_half_a_line_is_held_naming_the_file(
    prefect_server: None, make_folder: Folder, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    folder = make_folder({"shipments": _lots(40)})
    args = ["run", "--data", str(folder), "--out", str(out)]
    assert main([*args, "--as-of", "2026-11-25"]) == EXIT_OK
    published = _files(out)
    header, first = (folder / "shipments.csv").read_text(encoding="utf-8").splitlines()[:2]
    (folder / "shipments.csv").write_text(header + "\n" + first[:9], encoding="utf-8")
    assert main([*args, "--as-of", "2026-11-26"]) == 3
    manifest = json.loads(
        (out / "held" / "2026-11-26" / "manifest.json").read_text(encoding="utf-8")
    )
    reason = manifest["guard"]["reason"]
    assert reason.startswith("shipments.csv 最后一行（第 2 行）只有半行")
    assert "shipments 行数下降" in reason
    assert {p: b for p, b in _files(out).items() if "held" not in p.parts} == published
