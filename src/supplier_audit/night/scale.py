"""Running the per-partition work of a night on a Dask cluster.

:func:`dask_runner` gives a :data:`supplier_audit.night.reviews.BatchRunner` that sends every
partition to a Dask cluster with ``Client.map`` and gathers the results in partition order:
on a local cluster of worker processes started for the night (and closed after it), or on an
existing cluster at ``address`` (``tcp://scheduler:8786``). The shared context (settings, the
valid suppliers and lots) is scattered to the workers once, not sent with every partition.

Workers run the library's own functions: they need the same supplier-audit version installed
and must be able to read the data folder at the same path (partitions are read by the
workers). Why Dask futures inside one stage rather than one Prefect task per partition on
prefect-dask's DaskTaskRunner is measured in docs/scaling.md.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from supplier_audit.night.progress import reporter
from supplier_audit.night.reviews import BatchRunner

log = logging.getLogger(__name__)


@contextmanager
def dask_client(address: str | None = None, *, workers: int | None = None) -> Iterator[Any]:
    """A connected ``distributed.Client``: to ``address``, or to a local cluster of
    ``workers`` single-threaded worker processes (default: one per core) closed on exit."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as missing:  # pragma: no cover - distributed is a dependency
        raise RuntimeError(
            "the Dask task runner needs dask[distributed]: pip install 'dask[distributed]'"
        ) from missing
    if address:
        log.info("connecting to the Dask scheduler at %s", address)
        with Client(address) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    count = workers or os.cpu_count() or 1
    log.info("starting a local Dask cluster of %d worker process(es)", count)
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def dask_runner(client: Any) -> BatchRunner:
    """A batch runner that maps over ``client``'s cluster, results in the items' order.

    A failed partition raises its own exception here (Dask re-raises it on gather), so the
    night fails with the partition's message, as it would in one process.
    """

    from distributed import as_completed

    def run(function: Callable[[Any, Any], Any], items: Sequence[Any], shared: Any) -> list[Any]:
        if not items:
            return []
        [shared_future] = client.scatter([shared], broadcast=True)
        futures = client.map(function, list(items), shared=shared_future, pure=False)
        for done, _ in enumerate(as_completed(futures), start=1):  # type: ignore[no-untyped-call]
            reporter().advanced("reviews", done, len(futures))
        results: list[Any] = client.gather(futures)
        return results

    return run
