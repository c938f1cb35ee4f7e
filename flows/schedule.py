"""Serving the nightly audit on a schedule.

Prefect's temporary server (the one a flow starts when no ``PREFECT_API_URL`` is set) cannot
schedule: ``serve`` would register the deployment and then never run it. So ``serve_nightly``
either uses the Prefect server the environment names, or starts a local one on 127.0.0.1 for
as long as it serves, and stops it on exit.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from supplier_audit_flows.nightly_audit import nightly_audit

log = logging.getLogger(__name__)

DEPLOYMENT_NAME = "nightly"
LOCAL_PORT = 4200


class ServeError(RuntimeError):
    """Serving cannot start; the message says what to do."""


def configured_api_url() -> str | None:
    """The Prefect API this process talks to, if one is configured (env or profile)."""
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    return str(value) if value else None


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def local_prefect_server(port: int = LOCAL_PORT, *, startup_seconds: float = 120) -> Iterator[str]:
    """Start ``prefect server start`` on 127.0.0.1 for the duration; yield its API URL."""
    api_url = f"http://127.0.0.1:{port}/api"
    if _healthy(api_url):
        log.info("using the Prefect server already running at %s", api_url)
        yield api_url
        return
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent)) or "prefect"
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"},
    )
    try:
        deadline = time.monotonic() + startup_seconds
        while not _healthy(api_url):
            if server.poll() is not None:
                raise ServeError(
                    f"the local Prefect server exited (status {server.returncode}); is port "
                    f"{port} taken? Start one yourself: prefect server start --host 127.0.0.1"
                )
            if time.monotonic() > deadline:
                raise ServeError(
                    f"the local Prefect server did not answer within {startup_seconds:.0f} s"
                )
            time.sleep(0.5)
        log.info("started a local Prefect server at %s", api_url)
        yield api_url
    finally:
        stop(server)


def stop(process: subprocess.Popen[Any], *, grace_seconds: float = 30) -> None:
    """Ask a child process to end (SIGTERM); kill it if it has not within ``grace_seconds``."""
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()


def schedule_from_config(config: str | None = None) -> dict[str, str]:
    """The ``[schedule] cron`` and ``timezone`` of a settings file (None: the defaults).

    A build step of ``prefect.yaml``: ``prefect deploy`` takes the deployment's schedule from
    the same settings file that ``supplier-audit serve`` and the flow read, so the cron lives in
    one place.
    """
    from supplier_audit.config.loading import load_config

    settings = load_config(Path(config) if config else None).settings
    log.info(
        "schedule from %s: %r in %s",
        config or "the defaults",
        settings.schedule.cron,
        settings.timezone,
    )
    return {"cron": settings.schedule.cron, "timezone": settings.timezone}


def nightly_deployment(
    *, cron: str, timezone: str, data_dir: str, out_dir: str, config: str | None
) -> RunnerDeployment:
    """The nightly deployment: as-of is left out, so each run audits its own local date."""
    deployment = nightly_audit.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"data_dir": data_dir, "out_dir": out_dir, "config": config},
        description="Nightly supplier-quality and counterfeit-risk audit",
        tags=["supplier-audit"],
        # one night at a time, in Prefect: an overlapping run waits its turn
        concurrency_limit=ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        ),
    )
    assert isinstance(deployment, RunnerDeployment)  # the flow is sync: not a coroutine
    return deployment


def serve_nightly(
    *,
    cron: str,
    timezone: str,
    data_dir: str,
    out_dir: str,
    config: str | None,
    start_server: bool = True,
) -> None:
    """Serve the nightly deployment until interrupted, on a server that can schedule."""
    from prefect import serve

    def _serve() -> None:
        serve(
            nightly_deployment(
                cron=cron, timezone=timezone, data_dir=data_dir, out_dir=out_dir, config=config
            )
        )

    if configured_api_url():
        _serve()
        return
    if not start_server:
        raise ServeError(
            "no Prefect server is configured, and Prefect's temporary server cannot run "
            "schedules. Start one (prefect server start --host 127.0.0.1) and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api, or drop --no-local-server."
        )
    with local_prefect_server() as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings({PREFECT_API_URL: api_url}):
            _serve()
