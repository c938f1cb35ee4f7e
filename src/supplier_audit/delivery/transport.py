"""Sending: e-mail over SMTP (none, STARTTLS or implicit TLS) and a JSON POST to a webhook,
with a bounded number of attempts. Standard library only."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import json
import logging
import mimetypes
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, TypeVar

from supplier_audit.config.settings import DeliverySettings
from supplier_audit.delivery.messages import Notice

log = logging.getLogger(__name__)
T = TypeVar("T")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DeliveryError(RuntimeError):
    """A message could not be sent; ``retry`` says whether trying again could help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        self.retry = retry
        super().__init__(message)


def with_attempts(
    send: Callable[[], T],
    *,
    attempts: int,
    delay_seconds: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T | None, int, BaseException | None]:
    """``send()`` tried up to ``attempts`` times, ``delay_seconds`` apart (not after an error
    that cannot get better by trying again); returns its result or None, the attempts made and
    the last error."""
    error: BaseException | None = None
    for attempt in range(1, attempts + 1):
        try:
            return send(), attempt, None
        except (OSError, smtplib.SMTPException, DeliveryError) as exc:
            error = exc
            permanent = isinstance(exc, DeliveryError) and not exc.retry
            log.warning("%s: attempt %d of %d failed: %s", what, attempt, attempts, _said(exc))
            if permanent or attempt == attempts:
                return None, attempt, error
            sleep(delay_seconds)
    return None, attempts, error


def _said(error: BaseException) -> str:
    """An error in one line, with its kind (ConnectionRefusedError: [Errno 111] ...)."""
    return f"{type(error).__name__}: {error}".replace("\n", " ")


# ------------------------------------------------------------------------------------ mail


def mail_message(notice: Notice, *, sender: str, recipients: list[str]) -> EmailMessage:
    """The notice as an e-mail (UTF-8 text, workbooks attached)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = notice.subject
    message["Date"] = email.utils.formatdate(localtime=True)
    domain = sender.rpartition("@")[2].rstrip(">") or None
    message["Message-ID"] = email.utils.make_msgid("supplier-audit", domain=domain)
    message.set_content(notice.body)
    for path in notice.attachments:
        kind = _XLSX if path.suffix == ".xlsx" else mimetypes.guess_type(path.name)[0]
        maintype, _, subtype = (kind or "application/octet-stream").partition("/")
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return message


def smtp_password(settings: DeliverySettings) -> str | None:
    """The SMTP password from the environment variable the config names (None: no login)."""
    if not settings.smtp_user:
        return None
    name = settings.smtp_password_env
    password = os.environ.get(name) if name else None
    if not password:
        raise DeliveryError(
            f"smtp_user is set but the password's environment variable "
            f"{name or '(smtp_password_env is empty)'} is not set",
            retry=False,
        )
    return password


def send_mail(message: EmailMessage, settings: DeliverySettings) -> None:
    """Hand ``message`` to the configured SMTP server (one connection, then closed)."""
    password = smtp_password(settings)
    context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    timeout = settings.timeout_seconds
    client: smtplib.SMTP
    if settings.smtp_tls == "ssl":
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with client:
        if settings.smtp_tls == "starttls":
            try:
                client.starttls(context=context)
            except smtplib.SMTPNotSupportedError as exc:
                raise DeliveryError(
                    f"{settings.smtp_host}:{settings.smtp_port} does not offer STARTTLS "
                    '(smtp_tls = "ssl" for port 465, "none" for a server without TLS)',
                    retry=False,
                ) from exc
        if password is not None:
            try:
                client.login(settings.smtp_user, password)
            except smtplib.SMTPAuthenticationError as exc:
                raise DeliveryError(f"SMTP login refused: {exc}", retry=False) from exc
        try:
            client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipients refused: {exc.recipients}", retry=False) from exc


# --------------------------------------------------------------------------------- webhook


def webhook_payload(notice: Notice, style: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The JSON body for a Slack-, DingTalk- or WeCom-style webhook, or plain ``json``."""
    if style == "slack":
        return {"text": notice.text}
    if style in ("dingtalk", "wecom"):
        return {"msgtype": "text", "text": {"content": notice.text}}
    return {"subject": notice.subject, "text": notice.body, **fields}


def signed_url(url: str, secret: str, *, now_ms: int | None = None) -> str:
    """``url`` with the ``timestamp`` and ``sign`` a DingTalk robot with 加签 security checks:
    base64 of HMAC-SHA256 over "timestamp\\nsecret", keyed with the secret (milliseconds)."""
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{stamp}\n{secret}".encode(), hashlib.sha256)
    sign = urllib.parse.quote_plus(base64.b64encode(digest.digest()).decode("ascii"))
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


def webhook_target(settings: DeliverySettings) -> str:
    """The URL to post to (signed for a DingTalk robot whose secret the config names)."""
    if not settings.webhook_secret_env:
        return settings.webhook_url
    secret = os.environ.get(settings.webhook_secret_env)
    if not secret:
        raise DeliveryError(
            f"the webhook's secret variable {settings.webhook_secret_env} is not set", retry=False
        )
    return signed_url(settings.webhook_url, secret)


def post_json(url: str, payload: dict[str, Any], *, timeout: float) -> None:
    """POST ``payload`` as JSON; an HTTP error, or a robot's non-zero ``errcode``, raises."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "supplier-audit",
            # lets a receiver drop a repeated post after a retry
            "Idempotency-Key": hashlib.sha256(body).hexdigest()[:32],
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(65536)
    except urllib.error.HTTPError as exc:
        # 408 / 429 / 5xx may pass on a later try; other 4xx are the request's own fault
        retry = exc.code in (408, 429) or exc.code >= 500
        raise DeliveryError(f"HTTP {exc.code} {exc.reason}", retry=retry) from exc
    try:
        reply = json.loads(answer) if answer.strip() else None
    except ValueError:
        return
    # DingTalk and WeCom robots answer 200 with {"errcode": 310000, "errmsg": "..."} on errors
    if isinstance(reply, dict) and reply.get("errcode") not in (None, 0):
        raise DeliveryError(
            f"the webhook answered errcode {reply['errcode']}: {reply.get('errmsg', '')}",
            retry=False,
        )
