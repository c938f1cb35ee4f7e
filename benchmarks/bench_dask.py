"""Time the ways to run per-partition work on Dask, from plain Python and from a Prefect flow.

Run: .venv/bin/python benchmarks/bench_dask.py [--partitions 8 40] [--rows-per-partition 100000]
     [--ways seq futures prefect-harness prefect-server prefect-ephemeral dataframe transfer]
     [--transfer-rows 100000] [--scan-repeats 1] [--logs DIR] [--json FILE]

The workload is shaped like the nightly reviews stage: N Parquet files of R reviews each (a
supplier key, a rating and a ~40-character text, ~9 % of which carry a counterfeit term) are
written to a temporary folder first; the per-partition function READS ITS FILE (as a worker on a
cluster would), runs one vectorised case-insensitive regex `str.contains` over the texts
(pyarrow RE2 under pandas 3) and returns a small result: per-supplier review and flag counts plus
the flagged rows. A reduce then sums the counts and concatenates the rows.

Ways (each runs in a fresh child process, so imports, clusters and servers never leak from one
into the next; the child's stderr, which carries the Dask workers' logs, is kept):

  seq                in-process loop over the partitions: the baseline (best of 2 runs)
  futures            distributed.LocalCluster(2 workers x 1 thread, processes) + Client.map/gather
  prefect-harness    a Prefect flow, one task per partition, on prefect_dask.DaskTaskRunner
                     (same cluster shape), under prefect_test_harness
  prefect-server     the same flow against a real `prefect server start` run by this script
  prefect-ephemeral  the same flow with no server and no harness (Prefect's ephemeral mode)
  dataframe          dask.dataframe: dd.from_map(read) -> map_partitions(flag) -> groupby + filter
  transfer           pickled size and gather seconds of a ~100k-row flagged-rows frame built on
                     a worker (the flagged rows of a 1M-row partition)

For every cluster way the script prints the cluster start-up, the work's wall seconds (first
run, "cold", and for futures/dataframe a second, "warm"), the ratios to the sequential baseline,
the CPU seconds of the first run summed over every process involved (client, scheduler,
workers, Prefect server: steadier than wall time on a shared machine) and the extra CPU per
partition, the wall milliseconds per no-op task (the fixed cost each extra partition adds),
and the temporary Prefect servers the workers started. `--scan-repeats K` scans each
partition's texts K times, for work per partition closer to the real one. The Prefect ways
need prefect-dask (skipped with a message without it); `prefect-server` needs port 4299 free.
Figures hold for the machine they ran on; it is printed with them. Results and the decision
they support: docs/scaling.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

N_WORKERS = 2
SERVER_PORT = 4299
SUPPLIERS = 500
FLAG_SHARE = 0.09
RESULT_PREFIX = "BENCH_RESULT "
PREFECT_ENV = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}
ALL_WAYS = (
    "seq",
    "futures",
    "prefect-harness",
    "prefect-server",
    "prefect-ephemeral",
    "dataframe",
    "transfer",
)

# Ordinary review words (Chinese and English) and the counterfeit terms the pattern looks for.
WORDS = (
    "质量", "很好", "物流", "快", "包装", "完好", "客服", "态度", "不错", "颜色", "尺码", "合适",
    "发货", "速度", "满意", "推荐", "回购", "价格", "实惠", "做工", "精致", "味道", "正常", "电池",
    "good", "quality", "fast", "delivery", "nice", "package", "fits", "well", "color", "matches",
    "price", "fair", "works", "fine", "arrived", "early", "seller", "helpful", "would", "buy",
)  # fmt: skip
TERMS = (
    "假货", "仿品", "高仿", "山寨", "不是正品", "A货", "翻新",
    "fake", "counterfeit", "replica", "knockoff", "not-genuine", "knock-off", "imitation",
)  # fmt: skip
PATTERN = "|".join(re.escape(term) for term in TERMS)


# --------------------------------------------------------------------------- the workload


@dataclass(frozen=True)
class PartitionResult:
    """What one partition sends back: per-supplier counts and the flagged rows."""

    counts: pd.DataFrame
    flagged: pd.DataFrame
    rows: int


def make_partition(index: int, rows: int, *, seed: int = 20261126) -> pa.Table:
    """One partition of synthetic reviews, built without a per-row Python loop."""
    rng = np.random.default_rng([seed, index])
    words = pa.array(WORDS)
    columns = [words.take(pa.array(rng.integers(0, len(WORDS), rows))) for _ in range(6)]
    is_flagged = pa.array(rng.random(rows) < FLAG_SHARE)
    terms = pa.array(TERMS).take(pa.array(rng.integers(0, len(TERMS), rows)))
    columns[3] = pc.if_else(is_flagged, terms, columns[3])
    text = pc.binary_join_element_wise(*columns, " ")
    supplier = pa.array(np.char.add("SUP-", rng.integers(0, SUPPLIERS, rows).astype("U4")))
    return pa.table(
        {
            "review_id": pa.array(np.arange(index * rows, (index + 1) * rows, dtype=np.int64)),
            "supplier_id": supplier,
            "rating": pa.array(rng.integers(1, 6, rows).astype(np.int8)),
            "review_text": text,
        }
    )


def read_partition(path: str) -> pd.DataFrame:
    """The reviews of one partition file."""
    return pd.read_parquet(path)


def flag_partition(reviews: pd.DataFrame, repeats: int = 1) -> pd.DataFrame:
    """The reviews with a boolean `flagged` column (vectorised regex, case-insensitive).

    ``repeats`` > 1 scans the texts that many times (same answer) to make a partition's work
    as heavy as the real read-validate-flag-attribute, which costs far more per row.
    """
    texts = reviews["review_text"]
    flagged = texts.str.contains(PATTERN, case=False, regex=True)
    for _ in range(repeats - 1):
        flagged = flagged | texts.str.contains(PATTERN, case=False, regex=True)
    return reviews.assign(flagged=flagged.astype(bool))


def process_partition(path: str, repeats: int = 1) -> PartitionResult:
    """Read, flag and summarise one partition: the shape of the lead's `process(partition)`."""
    reviews = flag_partition(read_partition(path), repeats)
    counts = reviews.groupby("supplier_id", sort=False).agg(
        reviews=("flagged", "size"), flagged=("flagged", "sum")
    )
    flagged = reviews.loc[reviews["flagged"]].drop(columns="flagged")
    return PartitionResult(counts=counts, flagged=flagged, rows=len(reviews))


def reduce_results(results: Sequence[PartitionResult]) -> dict[str, int]:
    """Sum the counts and concatenate the flagged rows; a summary every way must agree on."""
    counts = pd.concat([result.counts for result in results]).groupby(level=0).sum()
    flagged = pd.concat([result.flagged for result in results], ignore_index=True)
    return summary(counts, flagged)


def summary(counts: pd.DataFrame, flagged: pd.DataFrame) -> dict[str, int]:
    """Totals that identify a result: reviews, flags, suppliers, flagged rows."""
    return {
        "reviews": int(counts["reviews"].sum()),
        "flags": int(counts["flagged"].sum()),
        "suppliers": len(counts),
        "flagged_rows": len(flagged),
    }


def noop(value: int) -> int:
    """A task that does nothing: its wall time is the per-task overhead."""
    return value


def flagged_rows_frame(rows: int) -> pd.DataFrame:
    """A frame shaped like the flagged rows of a big partition (built where it runs)."""
    table = make_partition(7, rows)
    frame = table.to_pandas()
    return frame.assign(matched_term=frame["review_text"].str.extract(f"({PATTERN})")[0])


def pickled_size(frame: pd.DataFrame) -> tuple[int, float]:
    """Bytes and seconds of pickling a frame with protocol 5 (what Dask falls back to)."""
    start = time.perf_counter()
    size = len(pickle.dumps(frame, protocol=5))
    return size, time.perf_counter() - start


# --------------------------------------------------------------------------- the ways


def tree_cpu_seconds() -> float:
    """CPU seconds so far of this process and every live descendant (Dask workers, a Prefect
    server it started), plus the server named by BENCH_SERVER_PID and its children: the
    whole cost of a way, steadier than wall time on a machine shared with other work."""
    import psutil

    roots = [psutil.Process()]
    if os.environ.get("BENCH_SERVER_PID"):
        with contextlib.suppress(psutil.Error):
            roots.append(psutil.Process(int(os.environ["BENCH_SERVER_PID"])))
    total = 0.0
    for root in roots:
        with contextlib.suppress(psutil.Error):
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    total += times.user + times.system
    return total


def way_seq(paths: list[str], repeats: int) -> dict[str, Any]:
    """The in-process loop, twice; the better run is the baseline."""
    timings, cpus = [], []
    result: dict[str, int] = {}
    for _ in range(2):
        start, cpu = time.perf_counter(), tree_cpu_seconds()
        result = reduce_results([process_partition(path, repeats) for path in paths])
        timings.append(time.perf_counter() - start)
        cpus.append(tree_cpu_seconds() - cpu)
    best = timings.index(min(timings))
    return {"work_s": timings[best], "cpu_s": cpus[best], "work_runs_s": timings, "result": result}


@contextlib.contextmanager
def local_cluster() -> Iterator[tuple[Any, float]]:
    """A LocalCluster of 2 single-threaded worker processes and its start-up seconds."""
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=N_WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(N_WORKERS)
        yield client, time.perf_counter() - start


def way_futures(paths: list[str], repeats: int) -> dict[str, Any]:
    """Client.map + gather of the partition function, inside one plain function."""
    with local_cluster() as (client, startup_s):
        runs, cpus = [], []
        result: dict[str, int] = {}
        for _ in range(2):
            start, cpu = time.perf_counter(), tree_cpu_seconds()
            futures = client.map(process_partition, paths, repeats=repeats, pure=False)
            result = reduce_results(client.gather(futures))
            runs.append(time.perf_counter() - start)
            cpus.append(tree_cpu_seconds() - cpu)
        start = time.perf_counter()
        client.gather(client.map(noop, range(len(paths)), pure=False))
        noop_s = time.perf_counter() - start
        start = time.perf_counter()
    return {
        "startup_s": startup_s,
        "work_cold_s": runs[0],
        "work_warm_s": runs[1],
        "cpu_s": cpus[0],
        "cpu_warm_s": cpus[1],
        "noop_s": noop_s,
        "close_s": time.perf_counter() - start,
        "result": result,
    }


def way_dataframe(paths: list[str], repeats: int) -> dict[str, Any]:
    """dask.dataframe: from_map(read) -> map_partitions(flag) -> groupby counts + flagged rows."""
    import dask
    import dask.dataframe as dd

    meta_reviews = read_partition(paths[0]).head(0)
    meta_flagged = flag_partition(meta_reviews)
    with local_cluster() as (client, startup_s):
        runs, cpus = [], []
        result: dict[str, int] = {}
        for _ in range(2):
            start, cpu = time.perf_counter(), tree_cpu_seconds()
            reviews = dd.from_map(read_partition, paths, meta=meta_reviews)
            flagged_all = reviews.map_partitions(flag_partition, repeats, meta=meta_flagged)
            # split_out=1: one output partition for 500 keys (left to itself, dask picks a
            # P2P shuffle for 40 input partitions, which costs more than the whole sum).
            counts = flagged_all.groupby("supplier_id").agg(
                reviews=("flagged", "size"), flagged=("flagged", "sum"), split_out=1
            )
            rows = flagged_all[flagged_all["flagged"]].drop(columns="flagged")
            counts_pd, rows_pd = dask.compute(counts, rows)
            result = summary(counts_pd, rows_pd)
            runs.append(time.perf_counter() - start)
            cpus.append(tree_cpu_seconds() - cpu)
        del client
        start = time.perf_counter()
    return {
        "startup_s": startup_s,
        "work_cold_s": runs[0],
        "work_warm_s": runs[1],
        "cpu_s": cpus[0],
        "cpu_warm_s": cpus[1],
        "close_s": time.perf_counter() - start,
        "result": result,
    }


def way_transfer(rows: int) -> dict[str, Any]:
    """Size and seconds of bringing a ~`rows`-row flagged-rows frame back from a worker."""
    local = flagged_rows_frame(rows)
    size, dumps_s = pickled_size(local)
    start = time.perf_counter()
    pickle.loads(pickle.dumps(local, protocol=5))
    roundtrip_s = time.perf_counter() - start
    with local_cluster() as (client, _startup_s):
        from distributed import wait

        gathers = []
        for attempt in range(3):
            future = client.submit(flagged_rows_frame, rows, pure=False, key=f"rows-{attempt}")
            wait(future)
            start = time.perf_counter()
            frame = future.result()
            gathers.append(time.perf_counter() - start)
            del future
        worker_size, _ = client.submit(pickled_size, frame, pure=False).result()
    return {
        "rows": len(frame),
        "memory_bytes": int(frame.memory_usage(deep=True).sum()),
        "pickled_bytes": size,
        "pickled_bytes_on_worker": worker_size,
        "pickle_dumps_s": dumps_s,
        "pickle_roundtrip_s": roundtrip_s,
        "gather_s": gathers,
        "columns": list(frame.columns),
    }


def way_prefect(paths: list[str], mode: str, repeats: int) -> dict[str, Any]:
    """One Prefect task per partition on DaskTaskRunner; then a flow of N no-op tasks."""
    from prefect import flow, task, unmapped
    from prefect.cache_policies import NO_CACHE
    from prefect.context import get_run_context
    from prefect_dask import DaskTaskRunner

    def runner() -> DaskTaskRunner:
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": N_WORKERS,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": ":0",
            }
        )

    @task(name="process-partition", cache_policy=NO_CACHE)
    def process_task(path: str, repeats: int) -> tuple[PartitionResult, dict[str, Any]]:
        from prefect.context import get_settings_context

        start = time.time()
        result = process_partition(path, repeats)
        meta = {
            "pid": os.getpid(),
            "start": start,
            "end": time.time(),
            "api_url": get_settings_context().settings.api.url,
        }
        return result, meta

    @task(name="noop", cache_policy=NO_CACHE)
    def noop_task(value: int) -> int:
        return value

    def cluster_up() -> float:
        # The runner makes its cluster on first use; touching `client` times that apart.
        start = time.time()
        get_run_context().task_runner.client  # type: ignore[union-attr]  # noqa: B018
        return time.time() - start

    @flow(name="bench-partitions", task_runner=runner(), log_prints=False)
    def partitions_flow(paths: list[str]) -> dict[str, Any]:
        body = time.time()
        cluster_s = cluster_up()
        submitted, cpu = time.time(), tree_cpu_seconds()
        outcomes = process_task.map(paths, repeats=unmapped(repeats)).result()
        done, cpu_s = time.time(), tree_cpu_seconds() - cpu
        metas = [meta for _, meta in outcomes]
        return {
            "body": body,
            "cluster_s": cluster_s,
            "submitted": submitted,
            "done": done,
            "cpu_s": cpu_s,
            "first_task_start": min(meta["start"] for meta in metas),
            "task_body_s": sum(meta["end"] - meta["start"] for meta in metas),
            "worker_pids": sorted({meta["pid"] for meta in metas}),
            "worker_api_urls": sorted({str(meta["api_url"]) for meta in metas}),
            "result": reduce_results([result for result, _ in outcomes]),
        }

    @flow(name="bench-noop", task_runner=runner(), log_prints=False)
    def noop_flow(count: int) -> dict[str, float]:
        cluster_s = cluster_up()
        start = time.time()
        noop_task.map(list(range(2 * N_WORKERS))).result()  # workers import Prefect: warm-up
        warmed = time.time()
        noop_task.map(list(range(count))).result()
        return {
            "cluster_s": cluster_s,
            "noop_warmup_s": warmed - start,
            "noop_s": time.time() - warmed,
        }

    figures: dict[str, Any] = {"mode": mode}
    with contextlib.ExitStack() as stack:
        if mode == "harness":
            from prefect.testing.utilities import prefect_test_harness

            start = time.perf_counter()
            stack.enter_context(prefect_test_harness(server_startup_timeout=120))
            figures["server_startup_s"] = time.perf_counter() - start
        called = time.time()
        run = partitions_flow(paths)
        returned = time.time()
        noop = noop_flow(len(paths))
        figures.update(
            flow_total_s=returned - called,
            flow_startup_s=run["body"] - called,  # flow run created, runner entered
            cluster_s=run["cluster_s"],
            first_task_wait_s=run["first_task_start"] - run["submitted"],
            work_s=run["done"] - run["submitted"],
            cpu_s=run["cpu_s"],
            flow_finish_s=returned - run["done"],
            task_body_s=run["task_body_s"],
            worker_pids=run["worker_pids"],
            worker_api_urls=run["worker_api_urls"],
            noop_s=noop["noop_s"],
            noop_warmup_s=noop["noop_warmup_s"],
            noop_cluster_s=noop["cluster_s"],
            result=run["result"],
        )
    return figures


# --------------------------------------------------------------------------- orchestration


def child_main(way: str, data: Path, partitions: int, transfer_rows: int, repeats: int) -> None:
    """Run one way in this (child) process and print its figures as one JSON line."""
    paths = [str(path) for path in sorted(data.glob("part-*.parquet"))[:partitions]]
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "seq": lambda: way_seq(paths, repeats),
        "futures": lambda: way_futures(paths, repeats),
        "dataframe": lambda: way_dataframe(paths, repeats),
        "transfer": lambda: way_transfer(transfer_rows),
        "prefect-harness": lambda: way_prefect(paths, "harness", repeats),
        "prefect-server": lambda: way_prefect(paths, "server", repeats),
        "prefect-ephemeral": lambda: way_prefect(paths, "ephemeral", repeats),
    }
    start = time.perf_counter()
    figures = runners[way]()
    figures["child_total_s"] = time.perf_counter() - start
    print(RESULT_PREFIX + json.dumps(figures), flush=True)


def write_data(folder: Path, partitions: int, rows: int) -> float:
    """Write the partition files; returns their total size in MiB."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(partitions):
        pq.write_table(make_partition(index, rows), folder / f"part-{index:05d}.parquet")
    return sum(path.stat().st_size for path in folder.glob("*.parquet")) / 2**20


def prefect_env(home: Path) -> dict[str, str]:
    """The environment for anything Prefect: no telemetry, its own PREFECT_HOME."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(PREFECT_ENV, PREFECT_HOME=str(home))
    return env


@dataclass
class Server:
    """A `prefect server start` subprocess this script owns."""

    process: subprocess.Popen[bytes]
    api_url: str
    startup_s: float
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_server(home: Path, log: Path) -> Server:
    """Start a real Prefect server on 127.0.0.1:4299 and wait until /api/health answers."""
    prefect = Path(sys.executable).with_name("prefect")
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(SERVER_PORT)],
        env=prefect_env(home),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() ends it and its children
    )
    api_url = f"http://127.0.0.1:{SERVER_PORT}/api"
    server = Server(process, api_url, 0.0, log)
    while time.perf_counter() - start < 120:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server exited with {process.returncode}; see {log}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{api_url}/health", timeout=2) as response,
        ):
            if response.status == 200:
                server.startup_s = time.perf_counter() - start
                return server
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"prefect server did not answer in 120 s; see {log}")


def run_child(
    way: str, data: Path, partitions: int, args: argparse.Namespace, env: dict[str, str], log: Path
) -> dict[str, Any]:
    """Run one way in a fresh child process; its stderr (worker logs too) goes to `log`."""
    command = [
        sys.executable,
        __file__,
        "--child",
        way,
        "--data",
        str(data),
        "--partitions",
        str(partitions),
        "--transfer-rows",
        str(args.transfer_rows),
        "--scan-repeats",
        str(args.scan_repeats),
    ]
    start = time.perf_counter()
    with log.open("w") as stderr:
        done = subprocess.run(
            command, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=900
        )
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        tail = log.read_text(errors="replace")[-3000:]
        return {"error": f"exit {done.returncode}", "log_tail": tail, "process_wall_s": wall}
    figures: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX) :])
    figures["process_wall_s"] = wall
    text = log.read_text(errors="replace")
    # The harness and ephemeral mode start one server in the flow's own process; the rest
    # were started by Dask workers.
    own = 1 if way in ("prefect-harness", "prefect-ephemeral") else 0
    figures["temporary_servers_started"] = text.count("Starting temporary server")
    figures["worker_servers_started"] = max(0, text.count("Starting temporary server") - own)
    figures["temporary_server_lines"] = [
        line.strip() for line in text.splitlines() if "temporary server" in line
    ][:10]
    return figures


def machine() -> str:
    """One line naming the machine, the load and the versions."""
    import importlib.metadata as md

    model = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(
        f"{name} {md.version(name)}"
        for name in ("dask", "distributed", "prefect", "prefect-dask", "pandas", "pyarrow")
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"machine: {model}, {os.cpu_count()} cores, {memory:.1f} GiB, Python "
        f"{platform.python_version()}; {versions}; load average at start {load}"
    )


def print_tables(all_figures: dict[int, dict[str, dict[str, Any]]], rows: int) -> None:
    """The summary table: seconds, ratios to the sequential baseline, per-task overheads."""
    header = (
        f"{'N':>4} {'way':<18} {'start s':>8} {'work s':>8} {'warm s':>8} {'total s':>8} "
        f"{'work/seq':>8} {'total/seq':>9} {'cpu s':>7} {'cpu/seq':>7} {'+cpu ms/part':>12} "
        f"{'noop ms/task':>12} {'wrk srv':>7}"
    )
    print(header)
    for partitions, by_way in all_figures.items():
        seq = by_way.get("seq", {}).get("work_s")
        seq_cpu = by_way.get("seq", {}).get("cpu_s")
        for way, fig in by_way.items():
            if way == "transfer":
                continue
            if "error" in fig:
                print(f"{partitions:>4} {way:<18} ERROR {fig['error']}")
                continue
            if way == "seq":
                start, work, warm = 0.0, fig["work_s"], None
                total, noop_ms = work, None
            elif way.startswith("prefect"):
                start = fig["flow_startup_s"] + fig["cluster_s"]
                work, warm = fig["work_s"], None
                total = fig["flow_total_s"]
                noop_ms = 1000 * fig["noop_s"] / partitions
            else:
                start, work, warm = fig["startup_s"], fig["work_cold_s"], fig["work_warm_s"]
                total = start + work
                noop_ms = 1000 * fig["noop_s"] / partitions if "noop_s" in fig else None
            # CPU seconds of the first run (all processes), and what each partition cost in
            # CPU beyond the sequential loop: the overhead, steadier than wall on a busy machine.
            cpu = fig.get("cpu_s")
            extra = (
                1000 * (cpu - seq_cpu) / partitions
                if cpu is not None and seq_cpu and way != "seq"
                else None
            )

            def fmt(value: float | None, width: int, spec: str = ".2f") -> str:
                return f"{value:>{width}{spec}}" if value is not None else f"{'-':>{width}}"

            print(
                f"{partitions:>4} {way:<18} {fmt(start, 8)} {fmt(work, 8)} {fmt(warm, 8)} "
                f"{fmt(total, 8)} {fmt(work / seq if seq else None, 8)} "
                f"{fmt(total / seq if seq else None, 9)} {fmt(cpu, 7)} "
                f"{fmt(cpu / seq_cpu if cpu is not None and seq_cpu else None, 7)} "
                f"{fmt(extra, 12, '.0f')} {fmt(noop_ms, 12, '.1f')} "
                f"{fig.get('worker_servers_started', 0):>7}"
            )
    print(
        f"\nrows per partition {rows:,}; start = cluster start-up (Prefect: flow run start + "
        "cluster); work = first run (cold workers); warm = second run on the same cluster;\n"
        "total = start + work (Prefect: the whole flow call); cpu = CPU seconds of the first run "
        "in all processes\n(client, scheduler, workers, Prefect server); +cpu ms/part = (cpu - "
        "seq cpu) / N; noop ms/task = wall of N"
        " no-op tasks / N on warm workers; wrk srv = temporary Prefect servers started by the\n"
        "Dask workers ('Starting temporary server' lines in the child's logs, less the flow "
        "process's own)."
    )
    for partitions, by_way in all_figures.items():
        for way, fig in by_way.items():
            if way.startswith("prefect") and "error" not in fig:
                print(
                    f"N={partitions} {way}: flow run start {fig['flow_startup_s']:.2f} s, cluster "
                    f"{fig['cluster_s']:.2f} s, submit->first task body "
                    f"{fig['first_task_wait_s']:.2f} s, work {fig['work_s']:.2f} s "
                    f"(task bodies {fig['task_body_s']:.2f} s), "
                    f"flow finish {fig['flow_finish_s']:.2f} s; no-op flow cluster "
                    f"{fig['noop_cluster_s']:.2f} s, its {2 * N_WORKERS} warm-up no-ops "
                    f"{fig['noop_warmup_s']:.2f} s; worker pids {fig['worker_pids']}; "
                    f"API URL seen in tasks {fig['worker_api_urls']}"
                    + (
                        f"; server start {fig['server_startup_s']:.2f} s"
                        if "server_startup_s" in fig
                        else ""
                    )
                )
                for line in fig.get("temporary_server_lines", []):
                    print(f"    log: {line}")
    results = {
        (partitions, way): json.dumps(fig["result"], sort_keys=True)
        for partitions, by_way in all_figures.items()
        for way, fig in by_way.items()
        if "result" in fig
    }
    for partitions in all_figures:
        distinct = {value for (n, _), value in results.items() if n == partitions}
        verdict = "all ways agree" if len(distinct) == 1 else f"DISAGREE: {distinct}"
        print(f"N={partitions} results: {verdict}: {next(iter(distinct), '')}")


def print_transfer(fig: dict[str, Any]) -> None:
    """The result-transfer figures."""
    if "error" in fig:
        print(f"transfer: ERROR {fig['error']}\n{fig['log_tail']}")
        return
    gathers = ", ".join(f"{value * 1000:.0f}" for value in fig["gather_s"])
    print(
        f"\nsending back a flagged-rows frame of {fig['rows']:,} rows ({fig['columns']}): "
        f"in memory {fig['memory_bytes'] / 2**20:.1f} MiB, pickled (protocol 5) "
        f"{fig['pickled_bytes'] / 2**20:.1f} MiB (on a worker "
        f"{fig['pickled_bytes_on_worker'] / 2**20:.1f} MiB), "
        f"pickle.dumps {fig['pickle_dumps_s'] * 1000:.0f} ms, dumps+loads "
        f"{fig['pickle_roundtrip_s'] * 1000:.0f} ms; gather from a worker after it finished: "
        f"{gathers} ms (3 tries)"
    )


def usable_ways(ways: list[str]) -> list[str]:
    """The requested ways less those this machine cannot run, each skip said aloud."""
    import importlib.util
    import socket

    kept = list(ways)
    prefect_ways = [way for way in kept if way.startswith("prefect")]
    if prefect_ways and importlib.util.find_spec("prefect_dask") is None:
        print(f"skipping {prefect_ways}: prefect-dask is not installed (pip install prefect-dask)")
        kept = [way for way in kept if not way.startswith("prefect")]
    if "prefect-server" in kept:
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", SERVER_PORT)) == 0:
                print(f"skipping prefect-server: port {SERVER_PORT} is already in use")
                kept.remove("prefect-server")
    return kept


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partitions", type=int, nargs="+", default=[8, 40])
    parser.add_argument("--rows-per-partition", type=int, default=100_000)
    parser.add_argument("--ways", nargs="+", choices=ALL_WAYS, default=list(ALL_WAYS))
    parser.add_argument("--transfer-rows", type=int, default=100_000)
    parser.add_argument(
        "--scan-repeats",
        type=int,
        default=1,
        help="scan each partition's texts this many times (heavier work per partition)",
    )
    parser.add_argument("--logs", type=Path, help="keep every child's stderr in this folder")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--child", choices=ALL_WAYS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        child_main(args.child, args.data, args.partitions[0], args.transfer_rows, args.scan_repeats)
        return
    print(machine(), flush=True)
    args.ways = usable_ways(args.ways)
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    logs: Path = args.logs or work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    server: Server | None = None
    all_figures: dict[int, dict[str, dict[str, Any]]] = {}
    transfer: dict[str, Any] | None = None
    try:
        start = time.perf_counter()
        mib = write_data(work / "data", max(args.partitions), args.rows_per_partition)
        print(
            f"wrote {max(args.partitions)} partitions x {args.rows_per_partition:,} rows "
            f"({mib:.1f} MiB Parquet) in {time.perf_counter() - start:.1f} s; "
            f"texts scanned {args.scan_repeats} time(s) per partition",
            flush=True,
        )
        if "prefect-server" in args.ways:
            server = start_server(work / "server-home", logs / "prefect-server.log")
            print(f"prefect server answered /api/health after {server.startup_s:.1f} s", flush=True)
        for partitions in args.partitions:
            by_way: dict[str, dict[str, Any]] = {}
            for way in args.ways:
                if way == "transfer":
                    continue
                env = prefect_env(work / f"home-{way}-{partitions}")
                if way == "prefect-server" and server is not None:
                    env["PREFECT_API_URL"] = server.api_url
                    env["BENCH_SERVER_PID"] = str(server.process.pid)
                fig = run_child(
                    way, work / "data", partitions, args, env, logs / f"{way}-{partitions}.log"
                )
                by_way[way] = fig
                state = fig.get("error", f"{fig['process_wall_s']:.1f} s")
                print(f"  N={partitions} {way}: {state}", flush=True)
            all_figures[partitions] = by_way
        if "transfer" in args.ways:
            env = prefect_env(work / "home-transfer")
            transfer = run_child("transfer", work / "data", 1, args, env, logs / "transfer.log")
    finally:
        if server is not None:
            server.stop()
        for leftover in work.iterdir():  # data and Prefect homes; the logs stay
            if leftover != logs:
                shutil.rmtree(leftover, ignore_errors=True)
    print()
    print_tables(all_figures, args.rows_per_partition)
    if transfer is not None:
        print_transfer(transfer)
    if server is not None:
        print(f"\nprefect server start-up (to /api/health): {server.startup_s:.1f} s")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average at the end {load}; child logs: {logs}")
    if args.json:
        args.json.write_text(
            json.dumps({"figures": all_figures, "transfer": transfer}, indent=2, default=str)
        )


if __name__ == "__main__":
    main()
