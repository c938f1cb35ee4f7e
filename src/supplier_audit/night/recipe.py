"""The night's recipe, declared once: which stages run, in which order, under which name.

Every runner of a night uses this one list. :func:`audit_night` runs it in this process (tests,
benchmarks, fault injection); the Prefect flow (``flows/nightly_audit.py``) runs the same list
with each stage as a task, through the ``around`` hook. A stage's name is the task's name, the
name its time is recorded under in the manifest, and the name ``around`` is called with.

Each stage reads what earlier stages left on the :class:`Night` and adds its own result; the
stage functions themselves live in :mod:`supplier_audit.night.stages` (what each decides),
:mod:`~supplier_audit.night.outputs` (the files) and :mod:`~supplier_audit.night.publication`
(publishing), and are looked up when they run, so a test that replaces one replaces it for
every runner.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from supplier_audit.complaints.desk import ComplaintDesk
from supplier_audit.ingest.results import IngestResult
from supplier_audit.night import outputs, publication, stages
from supplier_audit.night.guard import GuardVerdict
from supplier_audit.night.reviews import BatchRunner, ReviewsResult, run_in_process
from supplier_audit.night.run import AuditRun
from supplier_audit.sampling import InspectionInForce
from supplier_audit.scoring import ScoringResult


@dataclass
class Night:
    """One night being audited: how it was asked for, and what each stage has found so far."""

    run: AuditRun
    check_stale: bool = False
    accept_drift: bool = False
    runner: BatchRunner = run_in_process
    inputs: IngestResult | None = None
    reviews: ReviewsResult | None = None
    verdict: GuardVerdict | None = None
    in_force: InspectionInForce | None = None
    scoring: ScoringResult | None = None
    self_check: pd.DataFrame | None = None
    inspection: stages.InspectionOutcome | None = None
    desk: ComplaintDesk | None = None
    published: Path | None = None

    def found(self, name: str) -> Any:
        """What an earlier stage left under ``name`` (a stage run out of order is a bug)."""
        value = getattr(self, name)
        if value is None:
            raise RuntimeError(f"the night has no {name} yet: a stage ran out of order")
        return value


@dataclass(frozen=True)
class Stage:
    """One step of the night."""

    name: str
    does: str
    step: Callable[[Night], None]
    # reads the merchant's files: retried when the storage fails (OSError), never for bad data
    reads_files: bool = False
    # runs its own work per partition (each with the stage time limit), so it has none itself
    partitioned: bool = False


def _ingest(night: Night) -> None:
    night.inputs = stages.ingest_stage(night.run)


def _reviews(night: Night) -> None:
    night.inputs, night.reviews = stages.reviews_stage(
        night.run, night.found("inputs"), runner=night.runner
    )


def _guard(night: Night) -> None:
    night.verdict = stages.guard_stage(
        night.run, night.found("inputs"), check_stale=night.check_stale, accept=night.accept_drift
    )


def _switching(night: Night) -> None:
    night.in_force = stages.switching_stage(night.run, night.found("inputs"))


def _score(night: Night) -> None:
    night.scoring = stages.score_stage(
        night.run, night.found("inputs"), night.found("reviews"), night.found("in_force")
    )


def _feedback(night: Night) -> None:
    night.self_check = stages.sampling_feedback(
        night.run, night.found("inputs"), night.found("reviews")
    )


def _inspection(night: Night) -> None:
    night.inspection = stages.inspection_stage(
        night.run,
        night.found("inputs"),
        in_force=night.found("in_force"),
        self_check=night.self_check,
    )


def _complaints(night: Night) -> None:
    night.desk = stages.complaints_stage(night.run, night.found("inputs"))


def _report(night: Night) -> None:
    outputs.report_stage(
        night.run,
        night.found("inputs"),
        inspection=night.found("inspection"),
        reviews=night.found("reviews"),
        scoring=night.found("scoring"),
        desk=night.found("desk"),
    )


def _finish(night: Night) -> None:
    night.published = publication.finish(
        night.run,
        night.found("inputs"),
        scoring=night.scoring,
        desk=night.desk,
        verdict=night.found("verdict"),
        reviews=night.reviews,
    )


RECIPE: tuple[Stage, ...] = (
    Stage("ingest", "read, type and check every input but the reviews", _ingest, reads_files=True),
    Stage("reviews", "read, check, flag and attribute the reviews", _reviews, partitioned=True),
    Stage("guard", "tonight's inputs against the last published night's", _guard),
    Stage("switching", "the inspection in force per supplier, replayed once", _switching),
    Stage("score", "counterfeit and quality risk per supplier", _score),
    Stage("feedback", "the self-checks tonight's signals ask for", _feedback),
    Stage("inspection", "tonight's lots, sample sizes and units", _inspection),
    Stage("complaints", "every open complaint: deadline, lots, evidence", _complaints),
    Stage("report", "quarantine, CSVs and workbooks into the staging folder", _report),
    Stage("finish", "manifest, publish (or hold), history", _finish),
)
# The stages after the guard: a failure there on a night the guards hold ends the night held.
_AFTER_GUARD = frozenset(stage.name for stage in RECIPE[3:])

Around = Callable[[Stage, Callable[[], None]], None]


def _call(stage: Stage, step: Callable[[], None]) -> None:
    step()


def run_recipe(night: Night, *, around: Around = _call) -> Path:
    """Every stage of :data:`RECIPE` in order, each through ``around(stage, step)`` (which may
    time, profile, interrupt it or run it as a task); the published folder, or the held one
    (``<out>/held/<as-of>/``) when the guards hold the night. The caller holds
    ``run.exclusive()``."""
    with _fewer_collections():
        return _run_stages(night, around)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector, run less often while the night runs (and as before
    after it): a night makes millions of short-lived lists and tuples (cells, spans, reasons),
    and with the default thresholds the collector kept scanning them. Measured on the saved
    stages of a 10 M-review night: score 44 -> 40 s, as with the collector off (the report
    stage: 73 -> 69 s with it off)."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 50)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _run_stages(night: Night, around: Around) -> Path:
    for stage in RECIPE:
        try:
            around(stage, functools.partial(_timed, night, stage))
        except Exception as error:
            verdict = night.verdict
            if verdict is None or not verdict.held or stage.name not in _AFTER_GUARD:
                raise
            # the inputs the guards distrust are the cause: the night ends held, naming them
            night.published, night.verdict = publication.hold_unfinished(
                night.run, night.found("inputs"), verdict, error, reviews=night.reviews
            )
            return night.published
    published: Path = night.found("published")
    return published


def _timed(night: Night, stage: Stage) -> None:
    with night.run.stage(stage.name):
        stage.step(night)


def audit_night(
    run: AuditRun,
    *,
    around: Callable[[str, Callable[[], Any]], Any] | None = None,
    check_stale: bool = False,
    accept_drift: bool = False,
) -> Path:
    """The whole night in this process (tests, benchmarks, fault injection): :func:`run_recipe`
    with ``around(name, step)`` if given."""
    night = Night(run=run, check_stale=check_stale, accept_drift=accept_drift)
    if around is None:
        return run_recipe(night)
    named = around
    return run_recipe(night, around=lambda stage, step: named(stage.name, step))
