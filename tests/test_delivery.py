"""Delivery: mails per audience over SMTP (plain, STARTTLS, TLS) and a webhook POST, sent to
servers on 127.0.0.1 that the tests start; alerts; a bounded retry that never touches the
published night."""

from __future__ import annotations

import hashlib
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import AuditConfig
from supplier_audit.delivery import alert, deliver_night, read_night
from supplier_audit.reporting import notice_words

from .local_servers import http_sink, self_signed_certificate, server_tls, smtp_sink

AS_OF = "2026-11-26"
SCORES = """\ufeffsupplier_id,supplier_name,counterfeit_risk,quality_risk,risk_tier,\
previous_tier,newly_high_or_critical
S1,义乌市甲贸易有限公司,81.5,20.0,critical,medium,True
S2,广州乙服饰厂,40.0,65.0,high,high,False
S3,深圳丙电子,10.0,5.0,low,low,False
S4,杭州丁商行,70.0,10.0,high,,True
"""
PLAN = """\ufeffshipment_id,supplier_id,sku,lot_size,sample_size
L1,S1,SKU-1,1200,80
L2,S2,SKU-1,300,50
"""
TICKETS = """\ufeffcomplaint_id,platform,due_on,days_left
C1,pinduoduo,2026-11-25,-1
C2,taobao,2026-11-27,1
C3,jd,2026-12-05,9
"""


def published_night(folder: Path, *, tickets: bool = False) -> Path:
    """A published night's folder as the audit leaves it (workbooks as opaque bytes)."""
    night = folder / AS_OF
    night.mkdir(parents=True)
    manifest = {
        "as_of": AS_OF,
        "inputs": {
            "shipments": {"rows_read": 40, "rows_quarantined": 2},
            "reviews": {"rows_read": 100, "rows_quarantined": 0},
        },
    }
    (night / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (night / "supplier_scores.csv").write_text(SCORES, encoding="utf-8")
    (night / "inspection_plan.csv").write_text(PLAN, encoding="utf-8")
    (night / f"supplier-risk-{AS_OF}.xlsx").write_bytes(b"PK\x03\x04 risk report " * 50)
    (night / f"inspection-samples-{AS_OF}.xlsx").write_bytes(b"PK\x03\x04 qa workbook " * 40)
    if tickets:
        (night / "open_complaints.csv").write_text(TICKETS, encoding="utf-8")
    return night


def configured(tmp_path: Path, delivery: dict[str, Any], language: str = "zh") -> AuditConfig:
    base = {
        "smtp_host": "127.0.0.1",
        "smtp_tls": "none",
        "sender": "供应商审计 <audit@shop.example>",
        "purchasers": ["buyer1@shop.example", "buyer2@shop.example"],
        "qa": ["qa@shop.example"],
        "retry_seconds": 0,
        "timeout_seconds": 5,
    }
    return load_config(
        overrides={"report_language": language, "delivery": {**base, **delivery}}
    ).settings


def attachments(message: Any) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def folder_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_published_night_mails_each_audience_its_workbook_and_posts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    night = published_night(tmp_path / "reports", tickets=True)
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("AUDIT_SMTP_PASSWORD", "s3cret")
    with (
        smtp_sink(tls=server_tls(cert, key), user="audit", password="s3cret") as smtp,
        http_sink() as hook,
    ):
        settings = configured(
            tmp_path,
            {
                "smtp_port": smtp.port,
                "smtp_tls": "starttls",
                "smtp_ca_file": str(cert),
                "smtp_user": "audit",
                "smtp_password_env": "AUDIT_SMTP_PASSWORD",
                "webhook_url": hook.url,
            },
        )
        report = deliver_night(night, settings)
    assert report.failures == [], report.summary()
    assert [(s.channel, s.audience) for s in report.sent] == [
        ("mail", "purchasers"),
        ("mail", "qa"),
        ("webhook", "webhook"),
    ]
    assert len(smtp.mails) == 2 and all(m.tls and m.user == "audit" for m in smtp.mails)
    to_buyers, to_qa = smtp.mails
    assert to_buyers.recipients == ["buyer1@shop.example", "buyer2@shop.example"]
    assert to_qa.recipients == ["qa@shop.example"]

    buyers = to_buyers.message
    assert attachments(buyers) == {
        f"supplier-risk-{AS_OF}.xlsx": (night / f"supplier-risk-{AS_OF}.xlsx").read_bytes()
    }
    assert buyers["Subject"] == (
        f"[供应商审计] {AS_OF} 风险日报：2 家新升为高/严重风险，1 个工单已逾期，"
        "1 个工单 48 小时内到期，今晚待抽检 2 批"
    )
    body = buyers.get_body(("plain",)).get_content()
    assert "各风险等级供应商数：严重 1 · 高 2 · 中 0 · 低 1" in body
    assert "S1 义乌市甲贸易有限公司：严重（上次 中）" in body
    assert "S4 杭州丁商行：高（上次 无）" in body
    assert "S2" not in body  # high before and after: not news
    assert "C1（pinduoduo）到期 2026-11-25，剩余 -1 天" in body
    assert "C2（taobao）" in body and "C3" not in body
    assert "今晚待抽检：2 批，需抽取 130 件。" in body
    assert "shipments 2" in body  # quarantined rows

    qa = to_qa.message
    assert attachments(qa) == {
        f"inspection-samples-{AS_OF}.xlsx": (
            night / f"inspection-samples-{AS_OF}.xlsx"
        ).read_bytes()
    }
    assert qa["Subject"] == f"[供应商审计] {AS_OF} 抽检计划：2 批，130 件"

    assert len(hook.posts) == 1
    text = hook.posts[0]["json"]["text"]
    assert text.startswith(f"[供应商审计] {AS_OF} 风险日报：2 家新升为高/严重风险")
    assert "S1 义乌市甲贸易有限公司" in text


def test_implicit_tls_english_words_and_a_dingtalk_style_post(tmp_path: Path) -> None:
    night = published_night(tmp_path / "reports")
    cert, key = self_signed_certificate(tmp_path)
    with smtp_sink(tls=server_tls(cert, key), implicit_tls=True) as smtp, http_sink() as hook:
        settings = configured(
            tmp_path,
            {
                "smtp_port": smtp.port,
                "smtp_tls": "ssl",
                "smtp_ca_file": str(cert),
                "qa": [],
                "webhook_url": hook.url,
                "webhook_style": "dingtalk",
            },
            language="en",
        )
        report = deliver_night(night, settings)
    assert report.failures == []
    assert len(smtp.mails) == 1 and smtp.mails[0].tls  # no QA recipients: one mail
    message = smtp.mails[0].message
    assert message["Subject"] == (
        f"[Supplier audit] {AS_OF} risk report: 2 newly high or critical, 2 lots to inspect"
    )
    body = message.get_body(("plain",)).get_content()
    assert "S1 义乌市甲贸易有限公司: critical (was medium)" in body
    # no open_complaints.csv in this night: deadlines are said to be unknown, not "none due"
    assert "this night has no open_complaints.csv" in body
    post = hook.posts[0]["json"]
    assert post["msgtype"] == "text" and "2 newly high or critical" in post["text"]["content"]


def test_failed_and_held_nights_are_alerted_to_the_alert_list_and_the_webhook(
    tmp_path: Path,
) -> None:
    held = tmp_path / "reports" / "held" / AS_OF
    held.mkdir(parents=True)
    with smtp_sink() as smtp, http_sink() as hook:
        settings = configured(
            tmp_path,
            {"smtp_port": smtp.port, "alerts": ["oncall@shop.example"], "webhook_url": hook.url},
        )
        failed = alert(
            "failed",
            as_of=AS_OF,
            reason="shipments.csv: missing required column(s) quantity",
            settings=settings,
        )
        on_hold = alert(
            "held",
            as_of=AS_OF,
            reason="shipments 行数下降 50.0%（5,005 → 2,503，对比 2026-11-25）",
            settings=settings,
            folder=held,
        )
    assert failed.failures == [] and on_hold.failures == []
    assert [m.recipients for m in smtp.mails] == [["oncall@shop.example"]] * 2
    subjects = [m.message["Subject"] for m in smtp.mails]
    assert subjects[0] == (
        f"[供应商审计] {AS_OF} 审计失败：shipments.csv: missing required column(s) quantity"
    )
    assert subjects[1].startswith(
        f"[供应商审计] {AS_OF} 报告已暂扣未发布：shipments 行数下降 50.0%"
    )
    held_body = smtp.mails[1].message.get_body(("plain",)).get_content()
    assert str(held.resolve()) in held_body and "--accept-drift" in held_body
    assert [p["json"]["text"].splitlines()[0] for p in hook.posts] == subjects


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_outage_is_retried_a_bounded_number_of_times_and_leaves_the_night_as_published(
    tmp_path: Path,
) -> None:
    night = published_night(tmp_path / "reports")
    before = folder_digest(tmp_path / "reports")
    waits: list[float] = []
    with http_sink(status=503) as hook:
        settings = configured(
            tmp_path,
            {
                "smtp_port": _closed_port(),
                "webhook_url": hook.url,
                "attempts": 3,
                "retry_seconds": 7,
            },
        )
        report = deliver_night(night, settings, sleep=waits.append)
    assert [(s.audience, s.attempts) for s in report.failures] == [
        ("purchasers", 3),
        ("qa", 3),
        ("webhook", 3),
    ]
    assert "ConnectionRefusedError" in report.failures[0].error  # type: ignore[operator]
    assert "HTTP 503" in report.failures[2].error  # type: ignore[operator]
    assert waits == [7, 7] * 3  # two waits between three attempts, for each message
    assert len(hook.posts) == 3
    assert "FAILED after 3 attempt(s)" in report.summary()
    assert folder_digest(tmp_path / "reports") == before


def test_errors_that_retrying_cannot_fix_are_tried_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    night = published_night(tmp_path / "reports")
    monkeypatch.delenv("AUDIT_SMTP_PASSWORD", raising=False)
    answer = {"errcode": 310000, "errmsg": "keywords not in content"}
    with smtp_sink(user="audit", password="x") as smtp, http_sink(answer=answer) as hook:
        settings = configured(
            tmp_path,
            {
                "smtp_port": smtp.port,
                "smtp_user": "audit",
                "smtp_password_env": "AUDIT_SMTP_PASSWORD",
                "qa": [],
                "webhook_url": hook.url,
                "webhook_style": "wecom",
            },
        )
        report = deliver_night(night, settings, sleep=lambda _: None)
    mail, post = report.failures
    assert mail.attempts == 1 and "AUDIT_SMTP_PASSWORD is not set" in (mail.error or "")
    assert post.attempts == 1 and "errcode 310000" in (post.error or "")
    assert smtp.mails == []


def test_a_workbook_over_the_attachment_limit_is_named_instead(tmp_path: Path) -> None:
    night = published_night(tmp_path / "reports")
    with smtp_sink() as smtp:
        settings = configured(
            tmp_path, {"smtp_port": smtp.port, "qa": [], "max_attachment_megabytes": 0.0005}
        )
        assert deliver_night(night, settings).failures == []
    message = smtp.mails[0].message
    assert attachments(message) == {}
    body = message.get_body(("plain",)).get_content()
    assert "超过附件上限，未附上" in body and str(night.resolve()) in body


def test_nothing_is_sent_when_nothing_is_configured(tmp_path: Path) -> None:
    night = published_night(tmp_path / "reports")
    report = deliver_night(night, load_config().settings)
    assert report.sent == [] and "nothing to deliver" in report.summary()


def test_recipients_without_a_server_are_a_config_error() -> None:
    from supplier_audit.config.settings import ConfigError

    with pytest.raises(ConfigError, match="smtp_host and sender are needed"):
        load_config(overrides={"delivery": {"purchasers": ["a@b.example"]}})
    with pytest.raises(ConfigError, match="not e-mail addresses"):
        load_config(overrides={"delivery": {"qa": ["not an address"]}})


def test_news_are_read_back_from_the_published_files(tmp_path: Path) -> None:
    news = read_night(published_night(tmp_path / "reports", tickets=True))
    assert [row["supplier_id"] for row in news.newly_serious] == ["S1", "S4"]
    assert news.tiers == {"critical": 1, "high": 2, "medium": 0, "low": 1}
    assert (news.lots_to_inspect, news.units_to_pull) == (2, 130)
    assert [t["complaint_id"] for t in news.overdue_tickets or []] == ["C1"]
    assert [t["complaint_id"] for t in news.tickets_due_soon or []] == ["C2"]


def test_every_notice_has_both_languages_with_the_same_placeholders() -> None:
    for key in notice_words.all_keys():
        zh, en = notice_words._WORDS[key]
        assert zh and en, key
        assert set(re.findall(r"{(\w+)", zh)) == set(re.findall(r"{(\w+)", en)), key


def test_a_first_night_lists_nobody_as_newly_high(tmp_path: Path) -> None:
    night = published_night(tmp_path / "reports")
    scores = (night / "supplier_scores.csv").read_text(encoding="utf-8")
    first = scores.replace(",medium,True", ",,True").replace(",high,False", ",,False")
    (night / "supplier_scores.csv").write_text(first.replace(",low,False", ",,False"), "utf-8")
    news = read_night(night)
    assert news.first_run and news.newly_serious == []
    with smtp_sink() as smtp:
        settings = configured(tmp_path, {"smtp_port": smtp.port, "qa": []}, language="en")
        deliver_night(night, settings)
    message = smtp.mails[0].message
    assert message["Subject"].endswith("risk report: first run, 2 lots to inspect")
    assert "First run, no earlier night" in message.get_body(("plain",)).get_content()


def test_a_json_style_webhook_gets_the_summary_fields_for_a_program(tmp_path: Path) -> None:
    night = published_night(tmp_path / "reports", tickets=True)
    with http_sink() as hook:
        settings = configured(
            tmp_path,
            {
                "smtp_host": "",
                "sender": "",
                "purchasers": [],
                "qa": [],
                "webhook_url": hook.url,
                "webhook_style": "json",
            },
        )
        assert deliver_night(night, settings).failures == []
    post = hook.posts[0]["json"]
    assert post["event"] == "published" and post["as_of"] == AS_OF
    assert [s["supplier_id"] for s in post["newly_high_or_critical"]] == ["S1", "S4"]
    assert (post["lots_to_inspect"], post["units_to_pull"]) == (2, 130)
    assert [t["complaint_id"] for t in post["overdue_tickets"]] == ["C1"]
    assert post["subject"].startswith(f"[供应商审计] {AS_OF} 风险日报")


def test_a_signed_dingtalk_robot_gets_a_timestamp_and_a_signature_it_can_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import hmac
    import urllib.parse

    night = published_night(tmp_path / "reports")
    monkeypatch.setenv("ROBOT_SECRET", "SECabc123")
    with http_sink() as hook:
        settings = configured(
            tmp_path,
            {
                "smtp_host": "",
                "sender": "",
                "purchasers": [],
                "qa": [],
                "webhook_url": hook.url + "?access_token=t0k",
                "webhook_style": "dingtalk",
                "webhook_secret_env": "ROBOT_SECRET",
            },
        )
        assert deliver_night(night, settings).failures == []
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(hook.posts[0]["path"]).query)
    stamp = query["timestamp"][0]
    expected = hmac.new(b"SECabc123", f"{stamp}\nSECabc123".encode(), hashlib.sha256).digest()
    assert query["access_token"] == ["t0k"]
    assert base64.b64decode(query["sign"][0]) == expected
