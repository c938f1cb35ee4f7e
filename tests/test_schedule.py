"""The nightly schedule: served deployment with the configured cron and time zone, and a run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import AS_OF

pytestmark = pytest.mark.flow
Folder = Callable[..., Path]
DEPLOYMENT = "nightly-supplier-audit/nightly"


@pytest.fixture
def served(
    prefect_server: None,
    make_folder: Folder,
    tmp_path: Path,
) -> Iterator[tuple[Path, Path]]:
    from prefect.settings import PREFECT_API_URL

    from supplier_audit_flows.schedule import stop

    config = tmp_path / "shop.toml"
    config.write_text('timezone = "Europe/Berlin"\n[schedule]\ncron = "30 3 * * 1-5"\n')
    out = tmp_path / "reports"
    env = dict(os.environ, PREFECT_API_URL=str(PREFECT_API_URL.value()))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "supplier_audit_flows.cli",
            "serve",
            "--data",
            str(make_folder()),
            "--out",
            str(out),
            "--config",
            str(config),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield out, config
    finally:
        stop(server)


def _deployment(timeout: float = 90):  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            try:
                return client.read_deployment_by_name(DEPLOYMENT)
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)


def test_serve_registers_the_schedule_and_its_runs_complete(served: tuple[Path, Path]) -> None:
    """One served process: the deployment has the config's cron and time zone, and a run of it
    (what the scheduler would start at 03:30 Berlin time) completes and publishes a night."""
    from prefect.deployments import run_deployment

    out, _ = served
    deployment = _deployment()
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == "30 3 * * 1-5"
    assert schedule.schedule.timezone == "Europe/Berlin"
    assert schedule.active
    assert deployment.parameters["out_dir"] == str(out.resolve())
    assert "as_of" not in deployment.parameters  # each run audits its own local date

    # The scheduler's runs audit their own date; this run names the night it means (the test
    # data's), as a backfill would, so the test holds on any calendar day.
    flow_run = run_deployment(deployment.id, parameters={"as_of": AS_OF.isoformat()}, timeout=240)
    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    nights = [p.name for p in out.iterdir() if (p / "manifest.json").exists()]
    assert nights == [AS_OF.isoformat()]
