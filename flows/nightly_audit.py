"""The nightly supplier audit as a Prefect flow: a recipe of coarse stages over the library."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.states import Failed

from supplier_audit import pipeline
from supplier_audit.config import load_config
from supplier_audit.ingest import IngestResult
from supplier_audit.io import InputError
from supplier_audit.run import AuditRun, RunLockedError, StageFailed, today_in
from supplier_audit.scoring import ScoringResult


def _storage_failed(task: Any, task_run: Any, state: State[Any]) -> bool:
    """Retry reading only when the storage failed (OSError), never for bad data."""
    try:
        state.result()
    except OSError:
        return True
    except BaseException:
        return False
    return False


@task(
    name="ingest", cache_policy=NO_CACHE, retry_delay_seconds=10, retry_condition_fn=_storage_failed
)
def ingest(run: AuditRun) -> IngestResult | InputError:
    """Read and validate every input; a file that cannot be read comes back as the error."""
    try:
        return pipeline.ingest_stage(run)
    except InputError as error:
        return error


@task(name="flag-reviews", cache_policy=NO_CACHE)
def flag_reviews(run: AuditRun, inputs: IngestResult) -> pd.DataFrame:
    """Quality and counterfeit terms in every review, negation-aware."""
    return pipeline.flag_stage(run, inputs)


@task(name="switching-rules", cache_policy=NO_CACHE)
def switching(run: AuditRun, inputs: IngestResult) -> pd.DataFrame:
    """Where ISO 2859-1's switching rules stand for every supplier."""
    return pipeline.switching_stage(run, inputs)


@task(name="score", cache_policy=NO_CACHE)
def score(
    run: AuditRun, inputs: IngestResult, review_flags: pd.DataFrame, status: pd.DataFrame
) -> ScoringResult:
    """Counterfeit and quality risk per supplier, reasons, actions, change since last night."""
    return pipeline.score_stage(run, inputs, review_flags, status)


@task(name="inspection-plan", cache_policy=NO_CACHE)
def plan_inspections(
    run: AuditRun,
    inputs: IngestResult,
    review_flags: pd.DataFrame,
    status: pd.DataFrame,
    scoring: ScoringResult,
) -> pipeline.InspectionOutcome:
    """Tonight's lots, sample sizes and units, raised by risk tier, with self-checks."""
    levels, self_check = pipeline.sampling_feedback(run, inputs, review_flags, scoring)
    return pipeline.inspection_stage(
        run, inputs, status=status, level_by_supplier=levels, self_check=self_check
    )


@task(name="reports", cache_policy=NO_CACHE)
def write_reports(
    run: AuditRun,
    inputs: IngestResult,
    inspection: pipeline.InspectionOutcome,
    review_flags: pd.DataFrame,
    scoring: ScoringResult,
) -> list[Path]:
    """Quarantine files, CSVs and workbooks into the run's staging folder."""
    return pipeline.report_stage(
        run, inputs, inspection=inspection, review_flags=review_flags, scoring=scoring
    )


@task(name="publish", cache_policy=NO_CACHE)
def publish(run: AuditRun, inputs: IngestResult, scoring: ScoringResult) -> Path:
    """Write the manifest, rename the staging folder into place, record the scores' history."""
    return pipeline.finish(run, inputs, scoring=scoring)


@task(name="artifacts", cache_policy=NO_CACHE)
def publish_artifacts(summary: pipeline.NightSummary) -> None:
    """The night's summary, top risks and a link to the report, in Prefect's UI."""
    create_markdown_artifact(summary.markdown, key="supplier-audit-summary")
    if summary.top_risks:
        create_table_artifact(summary.top_risks, key="supplier-audit-top-risks")
    create_link_artifact(
        summary.report_path.as_uri(),
        link_text=summary.report_path.name,
        key="supplier-audit-report",
    )


@flow(name="nightly-supplier-audit", log_prints=True)
def nightly_audit(
    data_dir: str = "data/demo",
    out_dir: str = "reports",
    as_of: dt.date | None = None,
    config: str | None = None,
) -> State[Any] | dict[str, Any]:
    """Audit one night: ingest, flag, score, plan inspections, report, publish.

    Outputs go to ``<out_dir>/<as_of>/``; the scores also enter ``<out_dir>/history/``.
    """
    logger = get_run_logger()
    loaded = load_config(Path(config) if config else None)
    run = AuditRun(
        data_dir=Path(data_dir),
        out_dir=Path(out_dir),
        as_of=as_of or today_in(loaded.settings),
        config=loaded,
    )
    logger.info("auditing %s as of %s", run.data_dir, run.as_of)
    limit = loaded.settings.stage_timeout_minutes * 60

    def stage(step: Any, *args: Any, **options: Any) -> Any:
        """Run one stage as a task with the configured time limit; a failure names the stage."""
        try:
            return step.with_options(timeout_seconds=limit, **options)(*args)
        except Exception as error:
            raise StageFailed(step.name, error) from error

    try:
        with run.exclusive():
            inputs = stage(ingest, run, retries=loaded.settings.read_retries)
            if isinstance(inputs, InputError):
                logger.error("input error: %s", inputs)
                return Failed(message=f"input error: {inputs}")
            for name, table in inputs.tables.items():
                logger.info("%s: %s", name, table.counts())
            review_flags = stage(flag_reviews, run, inputs)
            status = stage(switching, run, inputs)
            scoring = stage(score, run, inputs, review_flags, status)
            inspection = stage(plan_inspections, run, inputs, review_flags, status, scoring)
            stage(write_reports, run, inputs, inspection, review_flags, scoring)
            final_dir = stage(publish, run, inputs, scoring)
        summary = pipeline.night_summary(
            run, inputs, final_dir, scoring=scoring, inspection=inspection
        )
        stage(publish_artifacts, summary)
    except RunLockedError as refused:
        logger.error("%s", refused)
        return Failed(message=str(refused))
    logger.info("reports written to %s", final_dir)
    return {"reports": str(final_dir), "as_of": run.as_of.isoformat()}
