"""The words of the night's mails, chat messages and alerts, in the report's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from supplier_audit.delivery.news import NightNews
from supplier_audit.reporting.labels import label
from supplier_audit.reporting.notice_words import word

# Lists in a mail stop after this many items ("... and 12 more: see the report").
MAX_LISTED = 10
AlertKind = Literal["failed", "held", "refused"]


@dataclass(frozen=True)
class Notice:
    """One message: who it is for, its subject (the chat's first line), its body, its files."""

    audience: str
    subject: str
    body: str
    attachments: list[Path] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Subject and body as one text (a chat message)."""
        return f"{self.subject}\n\n{self.body}"


def _headline(news: NightNews, language: str) -> str:
    parts = []
    if news.newly_serious:
        parts.append(word("news.newly", language, count=len(news.newly_serious)))
    if news.overdue_tickets:
        parts.append(word("news.overdue", language, count=len(news.overdue_tickets)))
    if news.tickets_due_soon:
        parts.append(word("news.due", language, count=len(news.tickets_due_soon)))
    if not parts:
        parts.append(word("news.first_run" if news.first_run else "news.quiet", language))
    parts.append(word("news.lots", language, lots=news.lots_to_inspect))
    return word("news.separator", language).join(parts)


def _listed(items: list[str], language: str) -> list[str]:
    shown = items[:MAX_LISTED]
    if len(items) > MAX_LISTED:
        shown.append(word("body.more", language, count=len(items) - MAX_LISTED))
    return shown


def summary_lines(news: NightNews, language: str) -> list[str]:
    """The night in a few lines: tiers, who is newly high or critical, tickets, lots, data."""
    lines = _tier_lines(news, language)
    if news.overdue_tickets is None:
        lines.append(word("body.tickets_unknown", language))
    for key, tickets in (
        ("body.overdue", news.overdue_tickets),
        ("body.due", news.tickets_due_soon),
    ):
        if tickets:
            lines.append(word(key, language))
            lines += _listed([_ticket_line(t, language) for t in tickets], language)
    lines.append(
        word("body.lots", language, lots=news.lots_to_inspect, units=f"{news.units_to_pull:,}")
    )
    if news.quarantined:
        items = [
            word("body.quarantined_item", language, table=table, rows=f"{rows:,}")
            for table, rows in news.quarantined.items()
        ]
        lines.append(word("body.quarantined", language, items=", ".join(items)))
    if news.accepted_drift:
        lines.append(word("body.accepted", language, reason=news.accepted_drift))
    return lines


def _tier_lines(news: NightNews, language: str) -> list[str]:
    """Suppliers per tier, and who is newly high or critical (or that nobody is)."""
    lines = []
    if news.tiers:
        items = [
            word("body.tier_item", language, tier=label(f"tier.{tier}", language), count=count)
            for tier, count in news.tiers.items()
        ]
        lines.append(
            word("body.tiers", language, tiers=word("body.tier_separator", language).join(items))
        )
    if news.newly_serious:
        lines.append(word("body.newly", language))
        lines += _listed([_newly_line(row, language) for row in news.newly_serious], language)
    elif news.first_run:
        lines.append(word("body.first_run", language))
    elif news.tiers:
        lines.append(word("body.newly_none", language))
    return lines


def _newly_line(row: dict[str, str], language: str) -> str:
    previous = row["previous_tier"]
    return word(
        "body.newly_item",
        language,
        supplier_id=row["supplier_id"],
        supplier_name=row["supplier_name"],
        tier=label(f"tier.{row['risk_tier']}", language),
        previous=label(f"tier.{previous}", language)
        if previous not in ("", "nan", "<NA>")
        else label("none", language),
    )


def _ticket_line(ticket: dict[str, str], language: str) -> str:
    return word(
        "body.ticket_item",
        language,
        complaint_id=ticket["complaint_id"],
        platform=ticket.get("platform", ""),
        due_on=ticket.get("due_on", ""),
        days_left=ticket["days_left"].removesuffix(".0"),
    )


def _attachment_lines(
    files: list[Path], language: str, limit_megabytes: float
) -> tuple[list[Path], list[str]]:
    attached, lines = [], []
    for path in files:
        if not path.is_file():
            continue
        megabytes = path.stat().st_size / 1024 / 1024
        if megabytes > limit_megabytes:
            lines.append(
                word(
                    "body.too_big",
                    language,
                    name=path.name,
                    megabytes=megabytes,
                    path=path.resolve(),
                )
            )
        else:
            attached.append(path)
            lines.append(word("body.attached", language, name=path.name))
    return attached, lines


def night_notices(
    news: NightNews, *, language: str, max_attachment_megabytes: float
) -> dict[str, Notice]:
    """The purchasers' mail (risk report attached) and the QA team's (sample workbook)."""
    folder = word("body.folder", language, path=news.folder.resolve())
    footer = word("body.footer", language)
    summary = summary_lines(news, language)
    files, lines = _attachment_lines([news.risk_report], language, max_attachment_megabytes)
    purchasers = Notice(
        audience="purchasers",
        subject=word(
            "subject.purchasers", language, as_of=news.as_of, news=_headline(news, language)
        ),
        body="\n".join([*summary, "", *lines, folder, "", footer]),
        attachments=files,
    )
    files, lines = _attachment_lines([news.qa_workbook], language, max_attachment_megabytes)
    qa = Notice(
        audience="qa",
        subject=word(
            "subject.qa",
            language,
            as_of=news.as_of,
            lots=news.lots_to_inspect,
            units=f"{news.units_to_pull:,}",
        ),
        body="\n".join(
            [
                word("body.qa_intro", language),
                "",
                word(
                    "body.lots",
                    language,
                    lots=news.lots_to_inspect,
                    units=f"{news.units_to_pull:,}",
                ),
                "",
                *lines,
                folder,
                "",
                footer,
            ]
        ),
        attachments=files,
    )
    return {"purchasers": purchasers, "qa": qa}


def chat_notice(news: NightNews, *, language: str) -> Notice:
    """The night's summary for a chat webhook (no attachments: the folder is named)."""
    return Notice(
        audience="webhook",
        subject=word(
            "subject.purchasers", language, as_of=news.as_of, news=_headline(news, language)
        ),
        body="\n".join(
            [
                *summary_lines(news, language),
                word("body.folder", language, path=news.folder.resolve()),
            ]
        ),
    )


def alert_notice(
    kind: AlertKind, *, as_of: str, reason: str, language: str, folder: Path | None = None
) -> Notice:
    """A failed, held or refused night: what happened, why, and what stays as it was."""
    body = word(
        f"body.{kind}",
        language,
        as_of=as_of,
        reason=reason,
        path=folder.resolve() if folder is not None else "",
    )
    return Notice(
        audience="alerts",
        subject=word(f"subject.{kind}", language, as_of=as_of, reason=_one_line(reason)),
        body="\n".join([body, "", word("body.footer", language)]),
    )


def _one_line(text: str, limit: int = 160) -> str:
    """A subject line: the first line of ``text``, cut to ``limit`` characters."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"
