"""The end of a night: the manifest, publication (or holding) of the staging folder, the history
of scores and of review flags, and the few lines the orchestrator shows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from supplier_audit.complaints.desk import ComplaintDesk
from supplier_audit.ingest.results import IngestResult
from supplier_audit.night.flag_store import FlagStore, commit_flag_store, discard_staged
from supplier_audit.night.guard import GuardVerdict
from supplier_audit.night.reviews import ReviewsResult
from supplier_audit.night.run import AuditRun, build_manifest, staged_outputs, write_manifest
from supplier_audit.night.stages import InspectionOutcome, history_dir
from supplier_audit.reporting import frames as report_frames
from supplier_audit.scoring import ScoringResult, append_history

log = logging.getLogger(__name__)


def finish(
    run: AuditRun,
    ingest: IngestResult,
    *,
    scoring: ScoringResult | None = None,
    desk: ComplaintDesk | None = None,
    verdict: GuardVerdict | None = None,
    reviews: ReviewsResult | None = None,
) -> Path:
    """Write the manifest, publish the run's folder atomically, then record the night's scores
    and its new review flags in the history (only a published night enters the history). A
    night the guards hold goes to ``<out>/held/<as-of>/`` instead, and neither the reports nor
    the history change."""
    manifest = build_manifest(run, ingest, outputs=[*staged_outputs(run), "manifest.json"])
    if reviews is not None:
        manifest["review_flags"] = review_flags_manifest(reviews)
    if scoring is not None:
        manifest["scoring"] = {
            "unattributed": scoring.unattributed,
            "tiers": scoring.scores["risk_tier"].value_counts().to_dict(),
        }
    if desk is not None:
        manifest["complaints"] = {
            **desk.counts(),
            "rules_version": run.settings.complaints.rules_version,
        }
    if verdict is not None:
        manifest["guard"] = verdict.as_manifest(run.settings.report_language)
    write_manifest(run, manifest)
    store = reviews.flag_store if reviews is not None else None
    if verdict is not None and verdict.held:
        if store is not None:
            discard_staged(store)
        return run.hold()
    published = run.publish()
    if scoring is not None:
        append_history(scoring.scores, history_dir(run), run.as_of)
    if store is not None:
        _keep_review_flags(store, run)
    return published


def _keep_review_flags(store: FlagStore, run: AuditRun) -> None:
    """Commit the published night's new review flags; a store that cannot be written (a full
    disk) is reported, never un-publishes the night: the store stays as it was, and the next
    night flags those reviews again."""
    try:
        kept = commit_flag_store(store, night=run.as_of.isoformat())
    except (OSError, pa.ArrowException) as error:
        log.warning(
            "review flag store not updated (%s: %s): it stays as it was, and the next night "
            "flags tonight's new reviews again",
            type(error).__name__,
            error,
        )
        return
    log.info(
        "review flag store: %d new entries, %d reviews' flags in %d segment(s)",
        kept["added"],
        kept["rows"],
        kept["segments"],
    )


def review_flags_manifest(reviews: ReviewsResult) -> dict[str, Any]:
    """The manifest's record of where tonight's review flags came from."""
    return {
        "flagged_fresh": reviews.flags_fresh,
        "from_store": reviews.flags_stored,
        "store": "used" if reviews.flag_store is not None else "not kept",
    }


def hold_unfinished(
    run: AuditRun,
    ingest: IngestResult,
    verdict: GuardVerdict,
    error: BaseException,
    *,
    reviews: ReviewsResult | None = None,
) -> tuple[Path, GuardVerdict]:
    """A night the guards hold whose later stages failed on the same bad inputs (a table cut to
    nothing, say): whatever was written is held with the manifest, and the night ends held —
    the reason names the input first, then the failure it caused."""
    unfinished = replace(verdict, unfinished=f"{type(error).__name__}: {error}")
    return finish(run, ingest, verdict=unfinished, reviews=reviews), unfinished


@dataclass(frozen=True)
class NightSummary:
    """What the orchestrator shows of a published night: markdown, top risks, the report."""

    markdown: str
    top_risks: list[dict[str, object]]
    report_path: Path


def night_summary(
    run: AuditRun,
    ingest: IngestResult,
    published: Path,
    *,
    scoring: ScoringResult | None = None,
    inspection: InspectionOutcome | None = None,
    desk: ComplaintDesk | None = None,
) -> NightSummary:
    """The night in a few lines, for Prefect's UI (artifacts)."""
    report = published / f"supplier-risk-{run.as_of.isoformat()}.xlsx"
    scores = scoring.scores if scoring is not None else None
    return NightSummary(
        markdown=report_frames.run_summary_markdown(
            scores,
            {name: table.counts() for name, table in ingest.tables.items()},
            as_of=run.as_of,
            report_path=str(report.resolve()),
            lots_to_inspect=len(inspection.plan) if inspection is not None else 0,
            complaints=desk.counts() if desk is not None else None,
        ),
        top_risks=report_frames.top_risks_table(scores) if scores is not None else [],
        report_path=report.resolve(),
    )
