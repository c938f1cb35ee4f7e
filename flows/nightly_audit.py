"""The nightly supplier audit as a Prefect flow: a recipe of coarse stages over the library."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.states import Cancelled, Completed, Failed

from supplier_audit.config.loading import load_config
from supplier_audit.config.settings import AuditConfig
from supplier_audit.delivery import DeliveryReport, alert, deliver_night
from supplier_audit.ingest.errors import InputError
from supplier_audit.night import publication, recipe
from supplier_audit.night.progress import reporter
from supplier_audit.night.reviews import BatchRunner
from supplier_audit.night.run import AuditRun, RunLockedError, StageFailed, today_in
from supplier_audit.night.scale import dask_client, dask_runner


@contextmanager
def _library_logs_reach_prefect() -> Iterator[None]:
    """Inside the block, send the library's log lines (stage timings, peak memory, row
    counts) to the run's logs in Prefect, as PREFECT_LOGGING_EXTRA_LOGGERS=supplier_audit
    would; the handlers are taken off again after, so library code used outside a flow run
    does not try to log to the API."""
    library = logging.getLogger("supplier_audit")
    added = [h for h in logging.getLogger("prefect.extra").handlers if h not in library.handlers]
    level = library.level
    for handler in added:
        library.addHandler(handler)
    if library.getEffectiveLevel() > logging.INFO:
        library.setLevel(logging.INFO)
    try:
        yield
    finally:
        for handler in added:
            library.removeHandler(handler)
        library.setLevel(level)


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
    name="stage", cache_policy=NO_CACHE, retry_delay_seconds=10, retry_condition_fn=_storage_failed
)
def stage_task(step: Callable[[], None]) -> InputError | None:
    """One stage of the recipe (named after it when run). An input file that cannot be read
    comes back as the error, so the run's logs say it once, as the night's final state."""
    try:
        step()
    except InputError as error:
        return error
    return None


@task(
    name="review-partition",
    cache_policy=NO_CACHE,
    retry_delay_seconds=10,
    retry_condition_fn=_storage_failed,
)
def review_partition(function: Callable[[Any, Any], Any], item: Any, shared: Any) -> Any:
    """One partition of the reviews: read, validate, flag, attribute, sum per supplier."""
    return function(item, shared)


def partition_tasks(*, timeout: float, retries: int) -> BatchRunner:
    """A batch runner that runs every partition as its own Prefect task, one after another."""

    def run(function: Callable[[Any, Any], Any], items: Sequence[Any], shared: Any) -> list[Any]:
        results = []
        for item in items:
            step = review_partition.with_options(
                task_run_name=f"reviews {item.label}",
                timeout_seconds=timeout,
                retries=retries,
            )
            results.append(step(function, item, shared))
            reporter().advanced("reviews", len(results), len(items))
        return results

    return run


def on_dask(address: str | None, workers: int | None) -> BatchRunner:
    """A batch runner that sends the partitions to a Dask cluster (local, or the one at
    ``address``), opened for the reviews stage and closed after it."""

    def run(function: Callable[[Any, Any], Any], items: Sequence[Any], shared: Any) -> list[Any]:
        with dask_client(address, workers=workers) as client:
            return dask_runner(client)(function, items, shared)

    return run


def as_tasks(limit: float, read_retries: int) -> recipe.Around:
    """The recipe's ``around`` for a flow run: each stage a task named after it, with the
    configured time limit (a partitioned stage's limit applies to each partition); a failure
    names its stage (an unreadable input file stays an InputError: its message is the file's)."""

    def around(stage: recipe.Stage, step: Callable[[], None]) -> None:
        options: dict[str, Any] = {"name": stage.name}
        if not stage.partitioned:
            options["timeout_seconds"] = limit
        if stage.reads_files:
            options["retries"] = read_retries
        try:
            unreadable = stage_task.with_options(**options)(step)
        except Exception as error:
            raise StageFailed(stage.name, error) from error
        if unreadable is not None:
            raise unreadable

    return around


def _delivered(report: DeliveryReport) -> State[Any] | DeliveryReport:
    """The report; a Failed state (one line, no traceback) when some message was not sent."""
    if report.failures:
        return Failed(message=report.summary(), data=report)
    return report


@task(name="deliver", cache_policy=NO_CACHE)
def deliver(folder: Path, settings: AuditConfig) -> State[Any] | DeliveryReport:
    """Mail the reports to the purchasers and the QA team, post the summary to the webhook
    (each message tried ``[delivery] attempts`` times; a failure fails this task only)."""
    return _delivered(deliver_night(folder, settings))


@task(name="alert", cache_policy=NO_CACHE)
def send_alert(
    kind: Literal["failed", "held", "refused"],
    as_of: str,
    reason: str,
    settings: AuditConfig,
    folder: Path | None = None,
) -> State[Any] | DeliveryReport:
    """Tell the alert recipients and the webhook of a failed, held or refused night."""
    return _delivered(alert(kind, as_of=as_of, reason=reason, settings=settings, folder=folder))


@task(name="artifacts", cache_policy=NO_CACHE)
def publish_artifacts(summary: publication.NightSummary) -> None:
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
    task_runner: Literal["local", "dask"] = "local",
    dask_address: str | None = None,
    dask_workers: int | None = None,
    accept_drift: bool = False,
) -> State[Any] | dict[str, Any]:
    """Audit one night: ingest, reviews (by partition), guard, score, plan inspections, report,
    publish, deliver.

    Outputs go to ``<out_dir>/<as_of>/``; the scores also enter ``<out_dir>/history/``.
    ``task_runner="local"`` runs each review partition as a task in this process;
    ``"dask"`` runs them on a local Dask cluster of ``dask_workers`` processes, or on the
    existing cluster at ``dask_address``. A night whose inputs the guards distrust ends
    Completed in a state named Held, its reports in ``<out_dir>/held/<as_of>/``, unless
    ``accept_drift``; a night refused by another run's lock ends Cancelled.
    """
    with _library_logs_reach_prefect():
        return _audit(
            data_dir, out_dir, as_of, config, task_runner, dask_address, dask_workers, accept_drift
        )


def _audit(
    data_dir: str,
    out_dir: str,
    as_of: dt.date | None,
    config: str | None,
    task_runner: Literal["local", "dask"],
    dask_address: str | None,
    dask_workers: int | None,
    accept_drift: bool,
) -> State[Any] | dict[str, Any]:
    """The flow's body (see :func:`nightly_audit`)."""
    logger = get_run_logger()
    tonight = _night(data_dir, out_dir, as_of, config, task_runner, dask_address, dask_workers)
    tonight.accept_drift = accept_drift
    run, settings = tonight.run, tonight.run.settings
    logger.info("auditing %s as of %s", run.data_dir, run.as_of)
    night = run.as_of.isoformat()

    def alerted(kind: Literal["failed", "held", "refused"], reason: str, **more: Any) -> None:
        sent = send_alert(kind, night, reason, settings, return_state=True, **more)
        if sent.is_failed():
            logger.error("alert not delivered: %s", sent.message)

    try:
        with run.exclusive():
            final_dir = recipe.run_recipe(
                tonight, around=as_tasks(settings.stage_timeout_minutes * 60, settings.read_retries)
            )
        verdict = tonight.found("verdict")
        if verdict.held:
            reason = verdict.reason(settings.report_language)
            logger.info("held, not published: %s (reports in %s)", reason, final_dir)
            alerted("held", reason, folder=final_dir)
            return _held(final_dir, night, reason)
        summary = publication.night_summary(
            run,
            tonight.found("inputs"),
            final_dir,
            scoring=tonight.scoring,
            inspection=tonight.inspection,
            desk=tonight.desk,
        )
        publish_artifacts(summary)
    except InputError as error:
        # Said once: the failed state's message (the run's logs show it as the final state;
        # the command line prints it as its one line). The error itself is the state's data.
        alerted("failed", str(error))
        return Failed(message=str(error), data=error)
    except RunLockedError as refused:
        logger.error("%s", refused)
        alerted("refused", str(refused))
        return Cancelled(message=str(refused), data=refused)
    except Exception as error:
        reason = f"{error}"
        if tonight.verdict is not None and tonight.verdict.findings:
            reason += f" (inputs: {tonight.verdict.reason(settings.report_language)})"
        alerted("failed", reason)
        raise
    logger.info("reports written to %s", final_dir)
    return {"reports": str(final_dir), "as_of": night, "delivery": _deliver(final_dir, settings)}


def _held(folder: Path, night: str, reason: str) -> State[Any]:
    """The state of a night the guards held: completed, named Held, with the folder and why."""
    return Completed(
        name="Held",
        message=f"held: {reason}",
        data={"held": str(folder), "as_of": night, "reason": reason},
    )


def _night(
    data_dir: str,
    out_dir: str,
    as_of: dt.date | None,
    config: str | None,
    task_runner: Literal["local", "dask"],
    dask_address: str | None,
    dask_workers: int | None,
) -> recipe.Night:
    """The night the flow was asked for: where, which date, which settings, and where the
    review partitions run."""
    loaded = load_config(Path(config) if config else None)
    settings = loaded.settings
    run = AuditRun(
        # absolute: Dask workers read the partitions, perhaps in another working directory
        data_dir=Path(data_dir).resolve(),
        out_dir=Path(out_dir),
        as_of=as_of or today_in(settings),
        config=loaded,
    )
    runner = (
        on_dask(dask_address, dask_workers)
        if task_runner == "dask"
        else partition_tasks(
            timeout=settings.stage_timeout_minutes * 60, retries=settings.read_retries
        )
    )
    # a night that audits today (the schedule's) is also checked for a stale export
    return recipe.Night(run=run, check_stale=as_of is None, runner=runner)


def _deliver(folder: Path, settings: AuditConfig) -> str:
    """Deliver a published night; what was sent, or why not (the night stays published)."""
    delivered = deliver(folder, settings, return_state=True)
    if delivered.is_failed():
        return f"failed (the night stays published): {delivered.message}"
    report: DeliveryReport = delivered.result()  # type: ignore[assignment]
    return report.summary()
