"""The nightly flow's delivery, alerts and guards, under the session's Prefect test server
(tests/conftest.py): a module of its own beside tests/test_flow.py so that parallel runs can
share the flow tests between two workers."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from supplier_audit.night.run import LOCK_NAME
from supplier_audit_flows.cli import main
from supplier_audit_flows.commands import EXIT_BAD_INPUT, EXIT_OK

from .conftest import BASE_TABLES
from .test_flow import _cli

pytestmark = pytest.mark.flow
Folder = Callable[..., Path]


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
