"""A tiny SMTP server and an HTTP server on 127.0.0.1 (port 0) that record what they receive.

Each runs in a thread for one test and stops at the end of its ``with`` block. The SMTP
server speaks just enough ESMTP for smtplib: EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT,
DATA, RSET, NOOP, QUIT; with ``implicit_tls`` it wraps the connection in TLS first (port 465
style). Nothing here reaches beyond the loopback address.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import http.server
import json
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    data: bytes
    tls: bool
    user: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SMTPSink:
    tls: ssl.SSLContext | None = None
    implicit_tls: bool = False
    user: str | None = None
    password: str | None = None
    mails: list[ReceivedMail] = field(default_factory=list)
    port: int = 0


class _SMTPHandler(socketserver.StreamRequestHandler):
    timeout = 10
    server: _SMTPServer

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def _wrap(self) -> None:
        context = self.server.sink.tls
        assert context is not None
        self.connection = context.wrap_socket(self.connection, server_side=True)
        self.rfile = self.connection.makefile("rb")
        self.wfile = self.connection.makefile("wb")

    def handle(self) -> None:
        sink = self.server.sink
        secure = False
        if sink.implicit_tls:
            self._wrap()
            secure = True
        user: str | None = None
        sender, recipients = "", []
        self.reply("220 127.0.0.1 ESMTP test sink")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                features = ["127.0.0.1"]  # the first line names the server
                if sink.tls is not None and not secure:
                    features.append("STARTTLS")
                if sink.user is not None:
                    features.append("AUTH PLAIN")
                for feature in features:
                    self.reply(f"250-{feature}")
                self.reply("250 SMTPUTF8")
            elif verb == "STARTTLS" and sink.tls is not None and not secure:
                self.reply("220 ready to start TLS")
                self._wrap()
                secure = True
            elif verb == "AUTH":
                parts = command.split()
                token = parts[2] if len(parts) > 2 else ""
                _, name, secret = base64.b64decode(token).decode("utf-8").split("\0")
                if name == sink.user and secret == sink.password:
                    user = name
                    self.reply("235 authenticated")
                else:
                    self.reply("535 authentication failed")
            elif verb == "MAIL":
                if sink.user is not None and user is None:
                    self.reply("530 authentication required")
                    continue
                sender, recipients = command.split(":", 1)[1].strip().strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with .")
                lines = []
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                sink.mails.append(
                    ReceivedMail(sender, list(recipients), b"".join(lines), secure, user)
                )
                self.reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sink: SMTPSink) -> None:
        self.sink = sink
        super().__init__(("127.0.0.1", 0), _SMTPHandler)


@contextmanager
def smtp_sink(**options: Any) -> Iterator[SMTPSink]:
    """An SMTP server on 127.0.0.1 for the block's duration."""
    sink = SMTPSink(**options)
    server = _SMTPServer(sink)
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class HTTPSink:
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    posts: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@contextmanager
def http_sink(status: int = 200, answer: dict[str, Any] | None = None) -> Iterator[HTTPSink]:
    """An HTTP server on 127.0.0.1 that records every JSON POST and answers ``status``."""
    sink = HTTPSink(status=status, answer=answer or {"ok": True})

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            sink.posts.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
            )
            reply = json.dumps(sink.answer).encode("utf-8")
            self.send_response(sink.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files); the certificate is its own CA."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * 30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
