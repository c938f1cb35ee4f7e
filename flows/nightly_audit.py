"""The nightly supplier audit as a Prefect flow: a recipe of coarse stages over the library."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.states import Failed

from supplier_audit.config import load_config
from supplier_audit.ingest import IngestResult, ingest_folder
from supplier_audit.io import InputError
from supplier_audit.run import (
    AuditRun,
    build_manifest,
    staged_outputs,
    today_in,
    write_manifest,
    write_quarantine,
)


@task(name="ingest", cache_policy=NO_CACHE)
def ingest_inputs(run: AuditRun) -> IngestResult | InputError:
    """Read and validate every input table; a file that cannot be read comes back as the error."""
    try:
        with run.stage("ingest"):
            return ingest_folder(run.data_dir, run.settings, as_of=run.as_of)
    except InputError as error:
        return error


@task(name="write-outputs", cache_policy=NO_CACHE)
def write_outputs(run: AuditRun, ingest: IngestResult) -> Path:
    """Write quarantine files and the manifest, then publish the run's folder atomically."""
    with run.stage("write"):
        write_quarantine(run, ingest)
    write_manifest(
        run, build_manifest(run, ingest, outputs=[*staged_outputs(run), "manifest.json"])
    )
    return run.publish()


@flow(name="nightly-supplier-audit", log_prints=True)
def nightly_audit(
    data_dir: str = "data/demo",
    out_dir: str = "reports",
    as_of: dt.date | None = None,
    config: str | None = None,
) -> State[Any] | dict[str, Any]:
    """Audit one night: ingest, validate and write the reports to ``<out_dir>/<as_of>/``."""
    logger = get_run_logger()
    loaded = load_config(Path(config) if config else None)
    run = AuditRun(
        data_dir=Path(data_dir),
        out_dir=Path(out_dir),
        as_of=as_of or today_in(loaded.settings),
        config=loaded,
    )
    logger.info("auditing %s as of %s", run.data_dir, run.as_of)
    run.begin()
    try:
        ingest = ingest_inputs(run)
        if isinstance(ingest, InputError):
            run.abandon()
            logger.error("input error: %s", ingest)
            return Failed(message=f"input error: {ingest}")
        for name, table in ingest.tables.items():
            logger.info("%s: %s", name, table.counts())
        final_dir = write_outputs(run, ingest)
    except BaseException:
        run.abandon()
        raise
    logger.info("reports written to %s", final_dir)
    return {"reports": str(final_dir), "as_of": run.as_of.isoformat()}
