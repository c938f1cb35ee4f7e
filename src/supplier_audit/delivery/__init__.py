"""The night reaches people: mails to the purchasers and the QA team, a chat webhook, alerts.

After a published night the purchasers get the risk report and the QA team the sample
workbook, each with a short summary in the report's language; a webhook gets the summary. A
failed, held or refused night is alerted through the same channels. Sending never raises:
every attempt's outcome is in the returned :class:`DeliveryReport`, and a night that was
published stays published whatever happens here. Standard library only (smtplib, email,
urllib); configured by ``[delivery]``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from supplier_audit.config.settings import AuditConfig, DeliverySettings
from supplier_audit.delivery.messages import (
    AlertKind,
    Notice,
    alert_notice,
    chat_notice,
    night_notices,
)
from supplier_audit.delivery.news import NightNews, read_night
from supplier_audit.delivery.transport import (
    DeliveryError,
    mail_message,
    post_json,
    send_mail,
    webhook_payload,
    webhook_target,
    with_attempts,
)

__all__ = [
    "DeliveryError",
    "DeliveryReport",
    "NightNews",
    "Sent",
    "alert",
    "deliver_night",
    "read_night",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    """One message's outcome: the channel and audience, attempts made, the last error."""

    channel: str
    audience: str
    recipients: int
    attempts: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe(self) -> str:
        where = (
            self.channel if self.channel == self.audience else f"{self.channel} to {self.audience}"
        )
        if self.ok:
            return f"{where}: sent" + (
                f" after {self.attempts} attempts" if self.attempts > 1 else ""
            )
        return f"{where}: FAILED after {self.attempts} attempt(s): {self.error}"


@dataclass
class DeliveryReport:
    """Every message of one delivery (empty when nothing is configured)."""

    sent: list[Sent] = field(default_factory=list)

    @property
    def failures(self) -> list[Sent]:
        return [s for s in self.sent if not s.ok]

    def summary(self) -> str:
        """One line: what went where, and what failed."""
        if not self.sent:
            return "nothing to deliver: no recipient or webhook configured"
        return "; ".join(s.describe() for s in self.sent)


def _send(
    notice: Notice,
    *,
    channel: str,
    recipients: list[str],
    settings: DeliverySettings,
    send: Callable[[], None],
    sleep: Callable[[float], None],
) -> Sent:
    _, attempts, error = with_attempts(
        send,
        attempts=settings.attempts,
        delay_seconds=settings.retry_seconds,
        what=channel if channel == notice.audience else f"{channel} to {notice.audience}",
        sleep=sleep,
    )
    outcome = Sent(
        channel=channel,
        audience=notice.audience,
        recipients=len(recipients),
        attempts=attempts,
        error=None if error is None else f"{type(error).__name__}: {error}".replace("\n", " "),
    )
    (log.info if outcome.ok else log.error)("delivery: %s", outcome.describe())
    return outcome


def _mail(
    notice: Notice,
    recipients: list[str],
    settings: DeliverySettings,
    sleep: Callable[[float], None],
) -> Sent:
    def send() -> None:
        send_mail(mail_message(notice, sender=settings.sender, recipients=recipients), settings)

    return _send(
        notice, channel="mail", recipients=recipients, settings=settings, send=send, sleep=sleep
    )


def _post(
    notice: Notice,
    fields: dict[str, object],
    settings: DeliverySettings,
    sleep: Callable[[float], None],
) -> Sent:
    payload = webhook_payload(notice, settings.webhook_style, fields)

    def send() -> None:
        # signed afresh at each try: a signature is valid for about an hour
        post_json(webhook_target(settings), payload, timeout=settings.timeout_seconds)

    return _send(
        notice,
        channel="webhook",
        recipients=[settings.webhook_url],
        settings=settings,
        send=send,
        sleep=sleep,
    )


def deliver_night(
    folder: Path, settings: AuditConfig, *, sleep: Callable[[float], None] = time.sleep
) -> DeliveryReport:
    """Send the published night in ``folder`` to its people and to the webhook."""
    delivery = settings.delivery
    report = DeliveryReport()
    if not (delivery.mail_enabled or delivery.webhook_url):
        return report
    news = read_night(folder)
    language = settings.report_language
    mails = night_notices(
        news, language=language, max_attachment_megabytes=delivery.max_attachment_megabytes
    )
    if delivery.smtp_host:
        for audience, recipients in (("purchasers", delivery.purchasers), ("qa", delivery.qa)):
            if recipients:
                report.sent.append(_mail(mails[audience], list(recipients), delivery, sleep))
    if delivery.webhook_url:
        fields: dict[str, object] = {
            "event": "published",
            "as_of": news.as_of,
            "tiers": news.tiers,
            "newly_high_or_critical": news.newly_serious,
            "overdue_tickets": news.overdue_tickets,
            "tickets_due_soon": news.tickets_due_soon,
            "lots_to_inspect": news.lots_to_inspect,
            "units_to_pull": news.units_to_pull,
            "folder": str(folder.resolve()),
        }
        report.sent.append(_post(chat_notice(news, language=language), fields, delivery, sleep))
    return report


def alert(
    kind: AlertKind,
    *,
    as_of: str,
    reason: str,
    settings: AuditConfig,
    folder: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Tell the alert recipients and the webhook that a night failed, was held or refused."""
    delivery = settings.delivery
    report = DeliveryReport()
    notice = alert_notice(
        kind, as_of=as_of, reason=reason, language=settings.report_language, folder=folder
    )
    recipients = delivery.alert_recipients
    if delivery.smtp_host and recipients:
        report.sent.append(_mail(notice, recipients, delivery, sleep))
    if delivery.webhook_url:
        fields: dict[str, object] = {
            "event": kind,
            "as_of": as_of,
            "reason": reason,
            "folder": str(folder.resolve()) if folder is not None else None,
        }
        report.sent.append(_post(notice, fields, delivery, sleep))
    return report
