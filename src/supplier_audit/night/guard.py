"""Input guards: is tonight's input like the last published night's, or should the night be held?

A night whose inputs look wrong — a table that lost more than ``[guard] max_row_drop`` of its
rows, a table with more than ``max_quarantine_share`` of its rows quarantined, a CSV whose last
line stops mid-row, or (for a night auditing today) an export byte-identical to one already
audited for an earlier date — is *held*: its outputs go to ``<out>/held/<as-of>/`` instead of
being published (:meth:`supplier_audit.night.run.AuditRun.hold`). The comparison reads the published
nights' ``manifest.json`` files only: a held night is never a baseline.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from supplier_audit.config.settings import GuardSettings
from supplier_audit.reporting.notice_words import word

log = logging.getLogger(__name__)

_NIGHT = re.compile(r"^\d{4}-\d{2}-\d{2}$")

FindingKind = Literal["cut_row", "row_drop", "quarantine_share", "stale_export"]


@dataclass(frozen=True)
class Finding:
    """One reason to hold a night: what is wrong, in which table, by how much."""

    kind: FindingKind
    table: str
    files: tuple[str, ...] = ()
    row: int | None = None
    rows_before: int | None = None
    rows_after: int | None = None
    rows_quarantined: int | None = None
    share: float | None = None
    share_before: float | None = None
    since: str | None = None
    limit: float | None = None

    def describe(self, language: str) -> str:
        """One clause naming the table (or file) and the change, in ``language``."""
        if self.kind == "cut_row":
            return word("hold.cut_row", language, file=self.files[0], row=self.row)
        if self.kind == "row_drop":
            return word(
                "hold.row_drop",
                language,
                table=self.table,
                drop=self.share,
                before=self.rows_before,
                after=self.rows_after,
                since=self.since,
            )
        if self.kind == "quarantine_share":
            before = (
                word("hold.quarantine_before", language, share=self.share_before, since=self.since)
                if self.share_before is not None
                else ""
            )
            return word(
                "hold.quarantine_share",
                language,
                table=self.table,
                share=self.share,
                quarantined=self.rows_quarantined,
                read=self.rows_after,
                limit=self.limit,
                before=before,
            )
        return word("hold.stale_export", language, files=", ".join(self.files), since=self.since)


@dataclass(frozen=True)
class GuardVerdict:
    """What the guards found in tonight's inputs, and whether the night may be published."""

    findings: list[Finding] = field(default_factory=list)
    baseline: str | None = None
    accepted: bool = False
    stale_checked: bool = False
    # a held night whose later stages failed: what failed (its outputs are what was written)
    unfinished: str | None = None

    @property
    def held(self) -> bool:
        return bool(self.findings) and not self.accepted

    def reason(self, language: str, *, most: int = 3) -> str:
        """The first ``most`` findings in one line (the rest counted; all are in the manifest),
        empty when there is none. Cut-off files and fallen row counts come first: they are
        usually the cause, and the quarantine spikes of the other tables their consequence."""
        shown = [f.describe(language) for f in self.findings[:most]]
        if len(self.findings) > most:
            shown.append(word("hold.more", language, count=len(self.findings) - most))
        if self.unfinished:
            shown.append(word("hold.unfinished", language, error=self.unfinished))
        return word("hold.separator", language).join(shown)

    def as_manifest(self, language: str) -> dict[str, Any]:
        """The ``guard`` section of manifest.json."""
        return {
            "verdict": "held" if self.held else "accepted" if self.findings else "passed",
            "baseline": self.baseline,
            "stale_checked": self.stale_checked,
            "reason": self.reason(language, most=len(self.findings)) or None,
            "unfinished": self.unfinished,
            "findings": [
                {k: v for k, v in asdict(f).items() if v not in (None, ())} for f in self.findings
            ],
        }


def published_manifests(out_dir: Path, *, before: dt.date) -> list[tuple[dt.date, dict[str, Any]]]:
    """Every published night's manifest dated before ``before``, oldest first.

    A folder without a readable manifest was never published (or is damaged) and is skipped.
    """
    found = []
    if not out_dir.is_dir():
        return []
    for child in out_dir.iterdir():
        if not _NIGHT.match(child.name):
            continue
        night = dt.date.fromisoformat(child.name)
        if night >= before:
            continue
        try:
            manifest = json.loads((child / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and isinstance(manifest.get("inputs"), dict):
            found.append((night, manifest))
    return sorted(found, key=lambda item: item[0])


def _files(table: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    files = table.get("files") or []
    return [f for f in files if isinstance(f, Mapping)]


def cut_rows(inputs: Mapping[str, Any]) -> list[Finding]:
    """A finding for every CSV whose last line stops mid-row (seen when it was read)."""
    return [
        Finding(kind="cut_row", table=name, files=(str(f["file"]),), row=int(f["cut_row"]))
        for name, table in inputs.items()
        for f in _files(table)
        if f.get("cut_row")
    ]


def row_drops(
    inputs: Mapping[str, Any], baseline: Mapping[str, Any], *, since: str, settings: GuardSettings
) -> list[Finding]:
    """Tables whose rows read fell by more than ``max_row_drop`` since the baseline night."""
    found = []
    for name, before in baseline.items():
        rows_before = int(before.get("rows_read") or 0)
        rows_after = int((inputs.get(name) or {}).get("rows_read") or 0)
        if rows_before < max(settings.min_rows, 1):
            continue
        drop = (rows_before - rows_after) / rows_before
        if drop > settings.max_row_drop:
            found.append(
                Finding(
                    kind="row_drop",
                    table=name,
                    rows_before=rows_before,
                    rows_after=rows_after,
                    share=drop,
                    since=since,
                    limit=settings.max_row_drop,
                )
            )
    return found


def _quarantine_share(table: Mapping[str, Any], later: int = 0) -> float:
    read = int(table.get("rows_read") or 0)
    return (int(table.get("rows_quarantined") or 0) - later) / read if read else 0.0


# Reasons ingestion gives a row that is later than the night audited, or that refers to a row
# quarantined (supplier_audit.ingest: _after_as_of, _references).
_LATER_OR_CASCADE = r"(?: is after the as-of date \d{4}-\d{2}-\d{2}| was quarantined)$"


def rows_dated_after_night(quarantine: pd.DataFrame) -> int:
    """Quarantined rows whose every reason is a date after the as-of date (or a reference to a
    quarantined row): what a past night audited from a later export holds by construction."""
    if quarantine.empty or "reason" not in quarantine:
        return 0
    parts = quarantine["reason"].astype("str").str.split("; ").explode()
    later = parts.str.contains(_LATER_OR_CASCADE, regex=True)
    return int(later.groupby(level=0).all().sum())


def quarantine_spikes(
    inputs: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    *,
    since: str | None,
    settings: GuardSettings,
    later: Mapping[str, int] | None = None,
) -> list[Finding]:
    """Tables with more than ``max_quarantine_share`` of their rows quarantined (``later``
    rows per table not counted: see :func:`rows_dated_after_night`)."""
    found = []
    for name, table in inputs.items():
        read = int(table.get("rows_read") or 0)
        if read < max(settings.min_rows, 1):
            continue
        skipped = (later or {}).get(name, 0)
        share = _quarantine_share(table, skipped)
        if share <= settings.max_quarantine_share:
            continue
        before = (baseline or {}).get(name)
        found.append(
            Finding(
                kind="quarantine_share",
                table=name,
                rows_after=read,
                rows_quarantined=int(table.get("rows_quarantined") or 0) - skipped,
                share=share,
                share_before=_quarantine_share(before) if before else None,
                since=since if before else None,
                limit=settings.max_quarantine_share,
            )
        )
    return found


def stale_exports(
    inputs: Mapping[str, Any],
    earlier: list[tuple[dt.date, dict[str, Any]]],
    *,
    settings: GuardSettings,
) -> list[Finding]:
    """Tables of ``stale_tables`` whose every file was already audited for an earlier night."""
    audited: dict[str, dt.date] = {}
    for night, manifest in earlier:
        for table in manifest["inputs"].values():
            for f in _files(table):
                if f.get("sha256"):
                    audited[str(f["sha256"])] = night  # the latest night wins (oldest first)
    found = []
    for name in settings.stale_tables:
        files = _files(inputs.get(name) or {})
        nights = [audited.get(str(f.get("sha256"))) for f in files]
        if files and all(nights):
            found.append(
                Finding(
                    kind="stale_export",
                    table=name,
                    files=tuple(str(f["file"]) for f in files),
                    since=max(n for n in nights if n is not None).isoformat(),
                )
            )
    return found


def check_inputs(
    inputs: Mapping[str, Any],
    *,
    out_dir: Path,
    as_of: dt.date,
    settings: GuardSettings,
    check_stale: bool,
    accept: bool = False,
    later: Mapping[str, int] | None = None,
) -> GuardVerdict:
    """Compare tonight's ``inputs`` (the manifest's section) with the published nights before
    ``as_of``; ``check_stale`` for a night that audits today (a chosen past date audits
    whichever export is there). ``later``: rows per table quarantined only for being dated after
    the night, left out of the quarantine shares (a past night audited from today's export).
    With ``accept`` the findings are kept but nothing is held."""
    earlier = published_manifests(out_dir, before=as_of)
    findings = cut_rows(inputs)
    baseline_date: str | None = None
    baseline: Mapping[str, Any] | None = None
    if earlier:
        night, manifest = earlier[-1]
        baseline_date, baseline = night.isoformat(), manifest["inputs"]
        findings += row_drops(inputs, baseline, since=baseline_date, settings=settings)
    findings += quarantine_spikes(
        inputs, baseline, since=baseline_date, settings=settings, later=later
    )
    if check_stale:
        findings += stale_exports(inputs, earlier, settings=settings)
    verdict = GuardVerdict(
        findings=findings, baseline=baseline_date, accepted=accept, stale_checked=check_stale
    )
    if verdict.findings:
        log.info(
            "input guard: %s%s",
            verdict.reason("en"),
            " (accepted: the night is published anyway)" if accept else " (the night is held)",
        )
    return verdict
