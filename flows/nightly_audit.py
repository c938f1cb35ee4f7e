"""The nightly supplier audit as a Prefect flow: a recipe of coarse stages over the library."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.states import Failed

from supplier_audit import pipeline
from supplier_audit.config import load_config
from supplier_audit.ingest import IngestResult
from supplier_audit.io import InputError
from supplier_audit.run import AuditRun, RunLockedError, today_in


@task(name="ingest", cache_policy=NO_CACHE)
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


@task(name="inspection-plan", cache_policy=NO_CACHE)
def plan_inspections(run: AuditRun, inputs: IngestResult) -> pipeline.InspectionOutcome:
    """Switching rules per supplier and tonight's lots, sample sizes and units."""
    return pipeline.inspection_stage(run, inputs)


@task(name="reports", cache_policy=NO_CACHE)
def write_reports(
    run: AuditRun,
    inputs: IngestResult,
    inspection: pipeline.InspectionOutcome,
    review_flags: pd.DataFrame,
) -> list[Path]:
    """Quarantine files, CSVs and workbooks into the run's staging folder."""
    return pipeline.report_stage(run, inputs, inspection=inspection, review_flags=review_flags)


@task(name="publish", cache_policy=NO_CACHE)
def publish(run: AuditRun, inputs: IngestResult) -> Path:
    """Write the manifest and rename the staging folder into place."""
    return pipeline.finish(run, inputs)


@flow(name="nightly-supplier-audit", log_prints=True)
def nightly_audit(
    data_dir: str = "data/demo",
    out_dir: str = "reports",
    as_of: dt.date | None = None,
    config: str | None = None,
) -> State[Any] | dict[str, Any]:
    """Audit one night: ingest, plan inspections, report, publish to ``<out_dir>/<as_of>/``."""
    logger = get_run_logger()
    loaded = load_config(Path(config) if config else None)
    run = AuditRun(
        data_dir=Path(data_dir),
        out_dir=Path(out_dir),
        as_of=as_of or today_in(loaded.settings),
        config=loaded,
    )
    logger.info("auditing %s as of %s", run.data_dir, run.as_of)
    try:
        with run.exclusive():
            inputs = ingest(run)
            if isinstance(inputs, InputError):
                logger.error("input error: %s", inputs)
                return Failed(message=f"input error: {inputs}")
            for name, table in inputs.tables.items():
                logger.info("%s: %s", name, table.counts())
            review_flags = flag_reviews(run, inputs)
            inspection = plan_inspections(run, inputs)
            write_reports(run, inputs, inspection, review_flags)
            final_dir = publish(run, inputs)
    except RunLockedError as refused:
        logger.error("%s", refused)
        return Failed(message=str(refused))
    logger.info("reports written to %s", final_dir)
    return {"reports": str(final_dir), "as_of": run.as_of.isoformat()}
