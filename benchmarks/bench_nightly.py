"""Time one whole night, stage by stage, on demo worlds of growing size (measure, not optimise).

    .venv/bin/python benchmarks/bench_nightly.py [--reviews 250000 --lots 25000
        --suppliers 500 --scales 1 2 4 --format parquet|csv --batch-rows N
        --row-group-rows N --open-complaints N --flow --task-runner local|dask --dask-workers N
        --dask-address URL --timeout SECONDS --max-rss GIB --profile STAGE [STAGE ...]
        --incremental-new-share SHARE --json FILE --keep DIR]

For each scale s it generates a clean demo world of s x (reviews, lots, suppliers) into a
temporary folder (in a child process), then runs ``night.recipe`` (ingest, reviews,
switching, score, sampling feedback, inspection plan, report, finish) in a fresh child
process, so that each scale's peak memory is its own: the peak is the child's ``VmHWM``
(/proc/self/status; ``ru_maxrss`` is also recorded). Every stage is timed by the
``around(name, stage)`` hook of ``audit_night``. It prints

* one row per scale: reviews, lots, wall and CPU time of the night, peak memory, reviews/s and
  the seconds of every stage, then the CPU seconds of every stage (steadier than wall time on
  a shared machine);
* the peak memory reached by the end of each stage (where the peak is set);
* the reviews stage in parts: partitions, and the read / validate / flag / store / attribute seconds
  summed over partitions (``ReviewsResult.seconds``);
* the growth of wall time, CPU time, peak and each stage between consecutive scales (target:
  linear, <= 2.2x for 2x data);
* flagging against its floor: the flag seconds of the reviews stage (``flag_texts`` and the
  flag frame's assembly, summed over partitions) over a bare pyarrow RE2 any-match scan of the
  lexicon's pre-filter alternations (``scan_any_term``, as in ``bench_review_terms.py``) over
  the same review texts, read from the world's files after the night (its peak already
  recorded), also less the flag seconds' one-time setup (a first ``flag_texts`` call timed in
  a fresh process); and reviews/s of the whole night and of the reviews stage;
* the machine: CPU model, cores, memory, Python and package versions;
* a markdown table of the night per scale, ready to paste into benchmarks/README.md;
* with ``--incremental-new-share S`` (e.g. 0.01), a second night per scale into the same
  reports folder after S x reviews new reviews were appended to the world (copies of randomly
  chosen reviews, seeded, under new ids, as their own row group at the end): both nights' flag
  seconds, the reviews flagged fresh and taken from the review flag store (the manifest's
  ``review_flags``), and the second night's flag seconds over the first's (issue 14's target:
  under 10 %).

Partitions: ``--batch-rows N`` runs the nights with ``[ingest] review_batch_rows = N`` (a
small config file passed to ``load_config``). A Parquet file is cut only between row groups,
and the demo generator writes the reviews as one row group per million rows, so
``--row-group-rows N`` rewrites the generated ``reviews.parquet`` in row groups of N rows (for
``--format csv``: splits ``reviews.csv`` into a ``reviews/`` folder of N-row files, a CSV file
being one partition).

``--flow`` also times one run of the Prefect flow ``flows/nightly_audit.py`` per scale (under
``prefect_test_harness``; the temporary server's start-up is timed apart), with
``--task-runner local`` (each partition a task) or ``dask`` (partitions on a local Dask
cluster of ``--dask-workers`` processes, or the cluster at ``--dask-address``; the flow's peak
is then the flow process's only, not its workers'). ``--profile STAGE [STAGE ...]`` runs
those stages under cProfile and prints the top 15 functions of each by cumulative time.
``--timeout`` (seconds) and ``--max-rss`` (GiB, default 16, so that a huge night does not
push the machine into its OOM killer) bound each child; a night stopped by either, or killed
for lack of memory, is reported with the stages it finished and the one it was in, and ends
the run (the bigger scales after it would fare no better).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib
import io
import itertools
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 26)
SEED = 20261126
STAGES = (
    "ingest",
    "reviews",
    "guard",
    "switching",
    "score",
    "feedback",
    "inspection",
    "complaints",
    "report",
    "finish",
)
REVIEW_STEPS = ("read", "validate", "flag", "store", "attribute")
PACKAGES = ("supplier-audit", "pandas", "numpy", "pyarrow", "pandera", "scipy", "openpyxl",
            "prefect", "dask", "distributed")  # fmt: skip
LINEAR_TARGET = 2.2  # time growth allowed for twice the data
MIN_BATCH_ROWS = 1000  # config.py: review_batch_rows >= 1000
T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Measuring inside a child


def memory_kib() -> dict[str, int]:
    """This process's current (VmRSS) and peak (VmHWM) resident memory, in KiB."""
    found: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


class StageClock:
    """The recipe's ``around``: times each stage, records the memory after it, appends
    progress to a file."""

    def __init__(self, progress: Path | None, profile: list[str]) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.peak_after: dict[str, int] = {}
        self.progress = progress
        self.profile_stages = profile
        self.profile_text: dict[str, str] = {}

    def note(self, record: dict[str, Any]) -> None:
        if self.progress is not None:
            with self.progress.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")

    def __call__(self, name: str, step: Callable[[], T]) -> T:
        self.note({"event": "start", "stage": name, **memory_kib()})
        profiler = cProfile.Profile() if name in self.profile_stages else None
        start, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        result = step()
        if profiler is not None:
            profiler.disable()
        self.seconds[name] = time.perf_counter() - start
        self.cpu[name] = time.process_time() - cpu
        if profiler is not None:
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(15)
            self.profile_text[name] = text.getvalue()
        memory = memory_kib()
        self.peak_after[name] = memory["VmHWM"]
        self.note({"event": "done", "stage": name, "seconds": self.seconds[name], **memory})
        return result


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Library INFO logs off (they would interleave with the table)."""
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    yield


def child_generate(args: argparse.Namespace) -> dict[str, Any]:
    """Write one demo world (its reviews re-cut if asked); return its row counts, the seconds
    it took and how the reviews are laid out."""
    from supplier_audit.demo import generate_world

    world_dir = Path(args.child_generate)
    start = time.perf_counter()
    world = generate_world(
        world_dir,
        suppliers=args.suppliers,
        seed=SEED,
        as_of=AS_OF,
        lots=args.lots,
        reviews=args.reviews,
        file_format=args.format,
        messy=False,
    )
    seconds = time.perf_counter() - start
    if args.open_complaints:
        from bench_complaints import top_up_open_complaints

        top_up_open_complaints(world_dir, args.open_complaints)
    start = time.perf_counter()
    if args.row_group_rows:
        if args.format == "parquet":
            regroup_parquet(world_dir / "reviews.parquet", rows=args.row_group_rows)
        else:
            split_csv(world_dir / "reviews.csv", rows=args.row_group_rows)
    return {
        "seconds": seconds,
        "recut_seconds": time.perf_counter() - start,
        "rows": dict(world.rows),
        "layout": review_layout(world_dir),
    }


def regroup_parquet(path: Path, *, rows: int) -> None:
    """Rewrite a Parquet file in row groups of ``rows`` rows (the last one shorter)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with pq.ParquetWriter(tmp, source.schema_arrow, compression="zstd") as writer:
        pending: pa.Table | None = None
        for group in range(source.num_row_groups):
            table = source.read_row_group(group)
            pending = table if pending is None else pa.concat_tables([pending, table])
            whole = pending.num_rows // rows * rows
            if whole:
                writer.write_table(pending.slice(0, whole), row_group_size=rows)
                pending = pending.slice(whole)
        if pending is not None and pending.num_rows:
            writer.write_table(pending, row_group_size=rows)
    os.replace(tmp, path)


def split_csv(path: Path, *, rows: int) -> None:
    """Split a CSV file into a folder ``<stem>/`` of files of ``rows`` rows (cells unchanged)."""
    import pandas as pd

    folder = path.with_suffix("")
    folder.mkdir()
    chunks = pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=rows)
    for number, chunk in enumerate(chunks):
        chunk.to_csv(folder / f"part-{number:05d}.csv", index=False, lineterminator="\n")
    path.unlink()


def review_files(data: Path) -> list[Path]:
    """The review files of a data folder, as the night finds them."""
    from supplier_audit.ingest.discover import discover_inputs

    found, _ = discover_inputs(data)
    return list(found["reviews"])


def review_layout(data: Path) -> dict[str, Any]:
    """How the reviews are stored: files, and row groups (Parquet) with their largest size."""
    import pyarrow.parquet as pq

    paths = review_files(data)
    groups = [
        pq.ParquetFile(p).metadata.row_group(i).num_rows
        for p in paths
        if p.suffix.lower() == ".parquet"
        for i in range(pq.ParquetFile(p).metadata.num_row_groups)
    ]
    return {
        "files": len(paths),
        "row_groups": len(groups),
        "largest_row_group": max(groups, default=0),
    }


def read_review_texts(data: Path) -> Any:
    """Every review text of the world's files (the text column only) as an Arrow
    ``large_string`` chunked array (not concatenated: no second copy of the texts)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    chunks: list[Any] = []
    for path in review_files(data):
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            table = pq.read_table(path, columns=["text"])
        elif suffix == ".csv":
            table = pa_csv.read_csv(
                path,
                convert_options=pa_csv.ConvertOptions(
                    include_columns=["text"], column_types={"text": pa.string()}
                ),
            )
        else:
            raise ValueError(f"cannot read review texts from {path.name}")
        chunks.extend(c.cast(pa.large_string()) for c in table.column("text").chunks)
        del table
    return pa.chunked_array(chunks, type=pa.large_string())


def flag_floor(data: Path, settings: Any) -> dict[str, Any]:
    """The floor of flagging: one bare RE2 any-match pass of the lexicon over the texts."""
    import pyarrow.compute as pc

    from supplier_audit.night.partitions import configured_lexicon
    from supplier_audit.review_terms import scan_any_term

    lexicon = configured_lexicon(settings)
    start = time.perf_counter()
    texts = read_review_texts(data)
    read = time.perf_counter() - start
    scan_any_term(texts[:1000], lexicon)  # compile the patterns outside the timing
    start = time.perf_counter()
    matching = scan_any_term(texts, lexicon)
    bare = time.perf_counter() - start
    return {
        "bare_scan": bare,
        "text_read": read,
        "texts": len(texts),
        "text_mb": texts.nbytes / 1e6,
        "bare_matching": int(pc.sum(matching).as_py() or 0),
        "peak_after_floor_kib": memory_kib()["VmHWM"],
    }


FIRST_FLAG = """
import sys, time
from pathlib import Path
from supplier_audit.config.loading import load_config
from supplier_audit.night.partitions import configured_lexicon
from supplier_audit.review_terms import flag_texts
settings = load_config(Path(sys.argv[1]) if sys.argv[1] else None).settings
start = time.perf_counter()
flag_texts(["质量很差，是假货"], lexicon=configured_lexicon(settings))
print(time.perf_counter() - start)
"""


def flag_setup_seconds(config: str | None) -> float:
    """The one-time cost inside the night's flag seconds: the first ``flag_texts`` call of a
    fresh process (lexicon loaded, matcher and lookup tables built) on one text."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FLAG, config or ""],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return float(done.stdout.strip().splitlines()[-1])


def child_night(args: argparse.Namespace) -> dict[str, Any]:
    """One night through ``night.recipe``, every stage timed by its ``around``."""
    from supplier_audit.config.loading import load_config
    from supplier_audit.night import recipe
    from supplier_audit.night.run import AuditRun

    data, out = Path(args.child_night[0]), Path(args.child_night[1])
    clock = StageClock(
        Path(args.progress) if args.progress else None,
        args.profile or [],
    )
    imported = memory_kib()
    started, cpu_started = time.perf_counter(), time.process_time()
    config = load_config(Path(args.config) if args.config else None)
    run = AuditRun(data_dir=data, out_dir=out, as_of=AS_OF, config=config)
    night = recipe.Night(run=run)
    with run.exclusive():
        published = recipe.run_recipe(night, around=lambda stage, step: clock(stage.name, step))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak = memory_kib()["VmHWM"]
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    inputs, reviews = night.found("inputs"), night.found("reviews")
    lots_to_inspect = len(night.found("inspection").plan)
    rows = {name: table.counts() for name, table in inputs.tables.items()}
    del inputs
    return {
        "rows": rows,
        "wall": wall,
        "cpu": cpu,
        "seconds": clock.seconds,
        "cpu_seconds": clock.cpu,
        "stage_seconds": dict(run.stage_seconds),
        "manifest_stages": manifest.get("stages", {}),
        "peak_kib": peak,
        "ru_maxrss_kib": maxrss,
        "after_imports_kib": imported["VmHWM"],
        "peak_after": clock.peak_after,
        "batch_rows": run.settings.ingest.review_batch_rows,
        "partitions": reviews.partitions,
        "reprocessed": list(reviews.reprocessed),
        "review_seconds": dict(reviews.seconds),
        "flagged_reviews": len(reviews.flagged),
        "review_flags": manifest.get("review_flags", {}),
        "flag_store_bytes": sum(
            p.stat().st_size for p in (out / "history" / "review_flags").glob("*") if p.is_file()
        ),
        "lots_to_inspect": lots_to_inspect,
        "profile": clock.profile_text,
        **flag_floor(data, run.settings),
        "flag_setup": flag_setup_seconds(args.config),
    }


def child_flow(args: argparse.Namespace) -> dict[str, Any]:
    """One night through the Prefect flow, on a temporary test server."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    sys.path.insert(0, str(REPO))
    from prefect.testing.utilities import prefect_test_harness

    # imported by name: the flow is the subject here, not a dependency mypy should check
    nightly_audit = importlib.import_module("supplier_audit_flows.nightly_audit").nightly_audit
    data, out = args.child_flow
    start = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=120):
        server = time.perf_counter() - start
        start = time.perf_counter()
        result = nightly_audit(
            data_dir=data,
            out_dir=out,
            as_of=AS_OF,
            config=args.config,
            task_runner=args.task_runner,
            dask_address=args.dask_address,
            dask_workers=args.dask_workers,
        )
        wall = time.perf_counter() - start
    if not isinstance(result, dict):
        raise RuntimeError(f"the flow did not publish a night: {result}")
    manifest = json.loads((Path(result["reports"]) / "manifest.json").read_text(encoding="utf-8"))
    return {
        "server_start": server,
        "wall": wall,
        "task_runner": args.task_runner,
        "manifest_stages": manifest.get("stages", {}),
        "peak_kib": memory_kib()["VmHWM"],
    }


# ---------------------------------------------------------------------------------------------
# The parent: children per scale, then the tables


def run_child(
    mode: list[str], args: argparse.Namespace, *, sizes: dict[str, int], progress: Path | None
) -> tuple[dict[str, Any] | None, str]:
    """A child in a fresh interpreter; its result, or None and why it failed."""
    command = [sys.executable, str(Path(__file__).resolve()), *mode,
               "--reviews", str(sizes["reviews"]), "--lots", str(sizes["lots"]),
               "--suppliers", str(sizes["suppliers"]), "--format", args.format,
               "--task-runner", args.task_runner]  # fmt: skip
    if progress is not None:
        command += ["--progress", str(progress)]
    if args.profile:
        command += ["--profile", *args.profile]
    if args.config:
        command += ["--config", str(args.config)]
    if args.row_group_rows:
        command += ["--row-group-rows", str(args.row_group_rows)]
    if args.open_complaints:
        command += ["--open-complaints", str(args.open_complaints)]
    if args.dask_workers:
        command += ["--dask-workers", str(args.dask_workers)]
    if args.dask_address:
        command += ["--dask-address", args.dask_address]
    limit_kib = args.max_rss * 2**20 if args.max_rss else None
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True, cwd=REPO)
        started, why = time.monotonic(), ""
        while child.poll() is None:
            rss = rss_of(child.pid)
            if limit_kib is not None and rss > limit_kib:
                why = f"stopped at {gib(rss)} GiB resident (over --max-rss {args.max_rss:g} GiB)"
            elif args.timeout is not None and time.monotonic() - started > args.timeout:
                why = f"timed out after {args.timeout:g} s (then {gib(rss)} GiB resident)"
            if why:
                child.kill()
                child.wait()
                return None, why
            time.sleep(0.5)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT ")), ""
    tail = stderr.strip().splitlines()[-3:]
    killed = " (killed: out of memory?)" if child.returncode in (-9, 137) else ""
    return None, f"exit code {child.returncode}{killed}: " + " | ".join(tail)


def append_new_reviews(data: Path, share: float) -> int:
    """Append ``share`` x reviews new reviews to the world's review file: copies of reviews
    chosen at random (seeded) under new ids, as the file's last row group (Parquet) or rows
    (CSV). Returns how many."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    path = review_files(data)[-1]
    parquet = path.suffix.lower() == ".parquet"
    table = pq.read_table(path) if parquet else pa_csv.read_csv(path)
    count = max(1, round(table.num_rows * share))
    chosen = np.sort(np.random.default_rng(SEED).choice(table.num_rows, count, replace=False))
    new = table.take(pa.array(chosen))
    ids = pa.array([f"RN{number:09d}" for number in range(1, count + 1)], new["review_id"].type)
    new = new.set_column(new.schema.get_field_index("review_id"), "review_id", ids)
    tmp = path.with_name(f".{path.name}.tmp")
    if parquet:
        source = pq.ParquetFile(path)
        with pq.ParquetWriter(tmp, source.schema_arrow, compression="zstd") as writer:
            for group in range(source.num_row_groups):
                writer.write_table(source.read_row_group(group))
            writer.write_table(new.cast(source.schema_arrow))
    else:
        pa_csv.write_csv(pa.concat_tables([table, new]), tmp)
    os.replace(tmp, path)
    return count


def rss_of(pid: int) -> int:
    """Resident memory of a running process, in KiB (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def how_far(progress: Path) -> str:
    """The stages a failed night finished, and the one it was in."""
    if not progress.exists():
        return "no stage started"
    records = [json.loads(line) for line in progress.read_text(encoding="utf-8").splitlines()]
    done = [f"{r['stage']} {r['seconds']:.1f} s" for r in records if r["event"] == "done"]
    started = [r for r in records if r["event"] == "start"]
    last = started[-1] if started else None
    finished = {r["stage"] for r in records if r["event"] == "done"}
    inside = (
        f"; was in {last['stage']} (RSS then {last['VmRSS'] / 2**20:.2f} GiB, "
        f"peak {last['VmHWM'] / 2**20:.2f} GiB)"
        if last is not None and last["stage"] not in finished
        else ""
    )
    return "finished: " + (", ".join(done) or "none") + inside


def machine() -> list[str]:
    """CPU, cores, memory, Python and package versions."""
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="ascii") as info:
        total = int(info.readline().split()[1]) / 2**20
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name} not installed")
    return [
        f"CPU: {cpu}; cores: {os.cpu_count()} (usable {len(os.sched_getaffinity(0))})",
        f"memory: {total:.1f} GiB; OS: {platform.platform()}",
        "load average (1, 5, 15 min) at start: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + " (other processes share the cores: compare with the core count)",
        f"Python {platform.python_version()}; " + ", ".join(versions),
    ]


def gib(kib: float) -> str:
    return f"{kib / 2**20:.2f}"


def print_tables(results: list[dict[str, Any]], flows: list[dict[str, Any]]) -> None:
    """The night per scale, CPU per stage, peaks per stage, the reviews stage in parts, growth,
    flagging floor, flow, then the markdown table."""
    done = [r for r in results if "night" in r]
    head = (f"{'scale':>5} {'reviews':>11} {'lots':>10} {'wall s':>8} {'cpu s':>7} {'peak GiB':>8} "
            f"{'reviews/s':>10} " + " ".join(f"{s[:9]:>9}" for s in STAGES))  # fmt: skip
    print("\nnight, stage by stage (seconds); peak = VmHWM of the child")
    print(head)
    for r in done:
        night = r["night"]
        reviews = night["rows"]["reviews"]["rows_valid"]
        lots = night["rows"]["shipments"]["rows_valid"]
        print(
            f"{r['scale']:>5g} {reviews:>11,} {lots:>10,} {night['wall']:>8.1f} "
            f"{night['cpu']:>7.1f} "
            f"{gib(night['peak_kib']):>8} {reviews / night['wall']:>10,.0f} "
            + " ".join(f"{night['seconds'][s]:>9.2f}" for s in STAGES)
        )
    for r in results:
        if "night" not in r:
            print(f"{r['scale']:>5g}  FAILED: {r['error']}")
    if not done:
        return
    print("\nCPU seconds per stage (all the child's threads; steadier than wall time when")
    print("other processes share the cores)")
    print(f"{'scale':>5} {'cpu s':>7} " + " ".join(f"{s[:9]:>9}" for s in STAGES))
    for r in done:
        cpu = r["night"]["cpu_seconds"]
        print(
            f"{r['scale']:>5g} {r['night']['cpu']:>7.1f} "
            + " ".join(f"{cpu[s]:>9.2f}" for s in STAGES)
        )

    print("\npeak memory (GiB) reached by the end of each stage")
    print(f"{'scale':>5} {'imports':>9} " + " ".join(f"{s[:9]:>9}" for s in STAGES))
    for r in done:
        night = r["night"]
        print(
            f"{r['scale']:>5g} {gib(night['after_imports_kib']):>9} "
            + " ".join(f"{gib(night['peak_after'][s]):>9}" for s in STAGES)
        )

    print("\nthe reviews stage in parts: seconds summed over partitions (ReviewsResult.seconds);")
    print("other = the stage's wall time less those (planning, the reduce, file hashes)")
    print(f"{'scale':>5} {'batch rows':>10} {'parts':>5} "
          + " ".join(f"{s:>9}" for s in REVIEW_STEPS)
          + f" {'sum':>8} {'stage s':>8} {'other':>7} {'repeated':>8}")  # fmt: skip
    for r in done:
        night = r["night"]
        steps = night["review_seconds"]
        total = sum(steps.get(s, 0.0) for s in REVIEW_STEPS)
        stage = night["seconds"]["reviews"]
        print(
            f"{r['scale']:>5g} {night['batch_rows']:>10,} {night['partitions']:>5} "
            + " ".join(f"{steps.get(s, float('nan')):>9.2f}" for s in REVIEW_STEPS)
            + f" {total:>8.2f} {stage:>8.2f} {stage - total:>7.2f} {len(night['reprocessed']):>8}"
        )

    if len(done) > 1:
        print(
            f"\ngrowth between consecutive scales (target: time <= {LINEAR_TARGET}x for 2x data;"
            " stage columns: wall time)"
        )
        print(f"{'from->to':>9} {'data x':>7} {'wall x':>7} {'cpu x':>7} {'peak x':>7} "
              + " ".join(f"{s[:9]:>9}" for s in STAGES))  # fmt: skip
        for a, b in itertools.pairwise(done):
            na, nb = a["night"], b["night"]
            data = nb["rows"]["reviews"]["rows_valid"] / na["rows"]["reviews"]["rows_valid"]
            stages = " ".join(
                f"{nb['seconds'][s] / max(na['seconds'][s], 1e-9):>9.2f}" for s in STAGES
            )
            print(
                f"{a['scale']:>4g}->{b['scale']:<4g} {data:>7.2f} {nb['wall'] / na['wall']:>7.2f} "
                f"{nb['cpu'] / na['cpu']:>7.2f} {nb['peak_kib'] / na['peak_kib']:>7.2f} {stages}"
            )

    print("\nflagging against its floor: flag s = the reviews stage's flag seconds (flag_texts and")
    print("the flag frame, summed over partitions); setup s = the part of it paid once per")
    print("process (a first flag_texts call on one text, timed in a fresh process: lexicon,")
    print("matcher, lookup tables); bare s = one bare pyarrow RE2 any-match scan of the lexicon")
    print("over the same texts (patterns compiled beforehand), read from the world's files after")
    print("the night; rev/s = valid reviews over the night's and the reviews stage's wall time")
    print(f"{'scale':>5} {'texts':>11} {'texts MB':>9} {'bare s':>8} {'flag s':>8} {'setup s':>8} "
          f"{'flag/bare':>9} {'net/bare':>8} {'bare hits':>10} {'flagged':>10} "
          f"{'night rev/s':>11} {'stage rev/s':>11}")  # fmt: skip
    for r in done:
        night = r["night"]
        flag, bare = night["review_seconds"].get("flag", float("nan")), night["bare_scan"]
        setup = night["flag_setup"]
        reviews = night["rows"]["reviews"]["rows_valid"]
        print(
            f"{r['scale']:>5g} {night['texts']:>11,} {night['text_mb']:>9.1f} {bare:>8.2f} "
            f"{flag:>8.2f} {setup:>8.2f} {flag / max(bare, 1e-9):>9.2f} "
            f"{max(flag - setup, 0.0) / max(bare, 1e-9):>8.2f} {night['bare_matching']:>10,} "
            f"{night['flagged_reviews']:>10,} {reviews / night['wall']:>11,.0f} "
            f"{reviews / max(night['seconds']['reviews'], 1e-9):>11,.0f}"
        )

    if flows:
        print("\nthe same night through the Prefect flow (test server; with dask, peak is the")
        print("flow process's only, not its workers')")
        print(f"{'scale':>5} {'runner':>6} {'server s':>9} {'flow s':>8} {'direct s':>9} "
              f"{'peak GiB':>8}")  # fmt: skip
        direct = {r["scale"]: r["night"]["wall"] for r in done}
        for f in flows:
            if "flow" not in f:
                print(f"{f['scale']:>5g}  FAILED: {f['error']}")
                continue
            flow = f["flow"]
            d = direct.get(f["scale"])
            print(
                f"{f['scale']:>5g} {flow['task_runner']:>6} {flow['server_start']:>9.1f} "
                f"{flow['wall']:>8.1f} {(f'{d:.1f}' if d is not None else '-'):>9} "
                f"{gib(flow['peak_kib']):>8}"
            )

    print("\nmarkdown (for benchmarks/README.md; stage columns: wall seconds; growth: against")
    print("the scale before)\n")
    for line in markdown_table(done):
        print(line)


def markdown_table(done: list[dict[str, Any]]) -> list[str]:
    """The night per scale as a markdown table, growth ratios against the previous scale."""
    columns = ["scale", "reviews", "lots", "suppliers", "wall s", "CPU s", "peak GiB",
               "reviews/s", "partitions", *STAGES, "wall x", "CPU x", "peak x"]  # fmt: skip
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" for _ in columns) + "|",
    ]
    previous: dict[str, Any] | None = None
    for r in done:
        night = r["night"]
        reviews = night["rows"]["reviews"]["rows_valid"]
        growth = (
            [
                f"{night['wall'] / previous['wall']:.2f}",
                f"{night['cpu'] / previous['cpu']:.2f}",
                f"{night['peak_kib'] / previous['peak_kib']:.2f}",
            ]
            if previous is not None
            else ["–"] * 3
        )
        cells = [
            f"{r['scale']:g}",
            f"{reviews:,}",
            f"{night['rows']['shipments']['rows_valid']:,}",
            f"{night['rows']['suppliers']['rows_valid']:,}",
            f"{night['wall']:.1f}",
            f"{night['cpu']:.1f}",
            gib(night["peak_kib"]),
            f"{reviews / night['wall']:,.0f}",
            str(night["partitions"]),
            *(f"{night['seconds'][s]:.2f}" for s in STAGES),
            *growth,
        ]
        lines.append("| " + " | ".join(cells) + " |")
        previous = night
    return lines


def parent(args: argparse.Namespace) -> None:
    print("machine:")
    for line in machine():
        print("  " + line)
    results: list[dict[str, Any]] = []
    flows: list[dict[str, Any]] = []
    keep = Path(args.keep) if args.keep else None
    with tempfile.TemporaryDirectory(prefix="bench-nightly-", dir=keep) as tmp:
        args.config = None
        if args.batch_rows:
            args.config = Path(tmp) / "bench-config.toml"
            args.config.write_text(
                f"[ingest]\nreview_batch_rows = {args.batch_rows}\n", encoding="utf-8"
            )
        batch = f"{args.batch_rows:,} (--batch-rows)" if args.batch_rows else "as configured"
        unit = "row groups" if args.format == "parquet" else "files"
        layout = (
            f"reviews re-cut into {args.row_group_rows:,}-row {unit}"
            if args.row_group_rows
            else "reviews as the generator writes them"
        )
        print(f"review_batch_rows {batch}; {layout}")
        for scale in args.scales:
            sizes = {
                "reviews": round(args.reviews * scale),
                "lots": round(args.lots * scale),
                "suppliers": round(args.suppliers * scale),
            }
            if args.suppliers_fixed:
                sizes["suppliers"] = args.suppliers
            world = Path(tmp) / f"world-x{scale:g}"
            out = Path(tmp) / f"reports-x{scale:g}"
            print(
                f"\nscale {scale:g}: {sizes['reviews']:,} reviews, {sizes['lots']:,} lots, "
                f"{sizes['suppliers']:,} suppliers ({args.format})",
                flush=True,
            )
            generated, error = run_child(
                ["--child-generate", str(world)], args, sizes=sizes, progress=None
            )
            if generated is None:
                results.append({"scale": scale, "error": f"generation: {error}"})
                print(f"  generation failed: {error}", flush=True)
                break
            layout = generated["layout"]
            recut = f", re-cut in {generated['recut_seconds']:.1f} s" if args.row_group_rows else ""
            groups = (
                f", {layout['row_groups']} row group(s) of at most "
                f"{layout['largest_row_group']:,} rows"
                if layout["row_groups"]
                else ""
            )
            print(
                f"  generated in {generated['seconds']:.1f} s{recut}; reviews: "
                f"{layout['files']} file(s){groups}",
                flush=True,
            )
            progress = Path(tmp) / f"progress-x{scale:g}.jsonl"
            night, error = run_child(
                ["--child-night", str(world), str(out)], args, sizes=sizes, progress=progress
            )
            if night is None:
                results.append({"scale": scale, "error": f"{error}; {how_far(progress)}"})
                print(f"  night failed: {error}\n  {how_far(progress)}", flush=True)
                break
            results.append({"scale": scale, "generated": generated, "night": night})
            print(
                f"  night in {night['wall']:.1f} s, peak {gib(night['peak_kib'])} GiB "
                f"(ru_maxrss {gib(night['ru_maxrss_kib'])} GiB; "
                f"{gib(night['peak_after_floor_kib'])} GiB after reading the texts for the "
                f"floor); {night['partitions']} review partition(s) of about "
                f"{night['batch_rows']:,} rows; manifest stages: "
                + ", ".join(f"{k} {v['seconds']:.1f}" for k, v in night["manifest_stages"].items()),
                flush=True,
            )
            for stage, profile in night["profile"].items():
                print(f"\ncProfile of stage {stage} at scale {scale:g}:")
                print(profile, flush=True)
            if args.incremental_new_share:
                results[-1]["incremental"] = incremental_night(args, world, out, sizes, tmp)
            if args.flow:
                flow, error = run_child(
                    ["--child-flow", str(world), str(Path(tmp) / f"flow-x{scale:g}")],
                    args,
                    sizes=sizes,
                    progress=None,
                )
                flows.append(
                    {"scale": scale, "flow": flow} if flow else {"scale": scale, "error": error}
                )
                print(
                    f"  flow ({args.task_runner}) in {flow['wall']:.1f} s"
                    if flow
                    else f"  flow failed: {error}",
                    flush=True,
                )
            for folder in (world, out):  # free the disk before the next, bigger world
                subprocess.run(["rm", "-rf", str(folder)], check=False)
    print_tables(results, flows)
    print_incremental(results)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": machine(), "nights": results, "flows": flows}, indent=1),
            encoding="utf-8",
        )


def incremental_night(
    args: argparse.Namespace, world: Path, out: Path, sizes: dict[str, int], tmp: str
) -> dict[str, Any]:
    """Append new reviews to the world, then run the night again into the same reports folder
    (its review flag store kept by the first night)."""
    added = append_new_reviews(world, args.incremental_new_share)
    progress = Path(tmp) / f"progress-incremental-{sizes['reviews']}.jsonl"
    night, error = run_child(
        ["--child-night", str(world), str(out)], args, sizes=sizes, progress=progress
    )
    if night is None:
        print(f"  incremental night failed: {error}\n  {how_far(progress)}", flush=True)
        return {"added": added, "error": error}
    flags = night["review_flags"]
    print(
        f"  {added:,} new reviews appended; second night in {night['wall']:.1f} s: "
        f"{flags.get('flagged_fresh', 0):,} flagged fresh, {flags.get('from_store', 0):,} from "
        f"the flag store ({night['flag_store_bytes'] / 2**20:.1f} MiB)",
        flush=True,
    )
    return {"added": added, "night": night}


def print_incremental(results: list[dict[str, Any]]) -> None:
    """Both nights' flag seconds per scale, and their ratio (issue 14: under 10 %)."""
    rows = [r for r in results if "night" in r.get("incremental", {})]
    if not rows:
        return
    print("\nthe review flag store: a first night, then one with new reviews appended")
    print(f"{'scale':>5} {'reviews':>11} {'new':>8} {'fresh':>8} {'stored':>10} "
          f"{'flag s 1st':>10} {'flag s 2nd':>10} {'ratio':>7} {'cpu 1st':>8} {'cpu 2nd':>8} "
          f"{'finish 1st':>10} {'finish 2nd':>10} {'store MiB':>9}")  # fmt: skip
    for r in rows:
        first, second = r["night"], r["incremental"]["night"]
        flags = second["review_flags"]
        flag_1, flag_2 = (
            night["review_seconds"]["flag"] + night["review_seconds"].get("store", 0.0)
            for night in (first, second)
        )
        print(
            f"{r['scale']:>5g} {first['rows']['reviews']['rows_valid']:>11,} "
            f"{r['incremental']['added']:>8,} {flags.get('flagged_fresh', 0):>8,} "
            f"{flags.get('from_store', 0):>10,} {flag_1:>10.2f} {flag_2:>10.2f} "
            f"{flag_2 / flag_1:>7.1%} {first['cpu_seconds']['reviews']:>8.1f} "
            f"{second['cpu_seconds']['reviews']:>8.1f} {first['seconds']['finish']:>10.2f} "
            f"{second['seconds']['finish']:>10.2f} {second['flag_store_bytes'] / 2**20:>9.1f}"
        )
    print("(flag s: the reviews stage's flag + store seconds summed over partitions — the store's")
    print("look-up, flagging the reviews it lacks, staging their entries; cpu: the reviews stage's")
    print("CPU seconds; finish: the stage that also commits the new entries to the store)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reviews", type=int, default=250_000, help="reviews at scale 1")
    parser.add_argument("--lots", type=int, default=25_000, help="lots at scale 1")
    parser.add_argument("--suppliers", type=int, default=500, help="suppliers at scale 1")
    parser.add_argument("--suppliers-fixed", action="store_true",
                        help="keep the supplier count at every scale")  # fmt: skip
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0, 4.0])
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument(
        "--batch-rows",
        type=int,
        help="[ingest] review_batch_rows for the nights (default: the shipped config's)",
    )
    parser.add_argument(
        "--row-group-rows",
        type=int,
        help="rewrite the generated reviews in row groups of this many rows (parquet) or "
        "split them into a reviews/ folder of files of this many rows (csv)",
    )
    parser.add_argument(
        "--open-complaints",
        type=int,
        help="top every world's complaints up to this many open ones (bench_complaints.py's "
        "top_up_open_complaints), for the complaint desk at scale",
    )
    parser.add_argument("--flow", action="store_true", help="also time the Prefect flow")
    parser.add_argument(
        "--task-runner",
        choices=("local", "dask"),
        default="local",
        help="the flow's review partitions: as tasks in the flow's process, or on Dask",
    )
    parser.add_argument("--dask-workers", type=int, help="local Dask cluster's worker processes")
    parser.add_argument("--dask-address", help="an existing Dask scheduler (tcp://host:8786)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per child")
    parser.add_argument(
        "--profile", nargs="+", choices=STAGES, help="cProfile these stages (top 15 each)"
    )
    parser.add_argument(
        "--max-rss",
        type=float,
        default=16.0,
        help="stop a child whose resident memory passes this many GiB (0: no limit)",
    )
    parser.add_argument(
        "--incremental-new-share",
        type=float,
        help="after each night, append this share of new reviews and run a second night "
        "into the same reports folder (the review flag store), e.g. 0.01",
    )
    parser.add_argument("--keep", help="make the temporary folder inside this folder")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--child-generate", help=argparse.SUPPRESS)
    parser.add_argument("--child-night", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-flow", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--progress", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.batch_rows is not None and args.batch_rows < MIN_BATCH_ROWS:
        parser.error(f"--batch-rows must be at least {MIN_BATCH_ROWS} (the config's minimum)")
    if args.row_group_rows is not None and args.row_group_rows < 1:
        parser.error("--row-group-rows must be at least 1")
    if (args.dask_workers or args.dask_address) and args.task_runner != "dask":
        parser.error("--dask-workers and --dask-address need --task-runner dask")
    is_child = args.child_generate or args.child_night or args.child_flow
    if args.task_runner != "local" and not (args.flow or is_child):
        parser.error("--task-runner dask applies to the flow: add --flow")
    child: Callable[[argparse.Namespace], dict[str, Any]] | None = (
        child_generate
        if args.child_generate
        else child_night
        if args.child_night
        else child_flow
        if args.child_flow
        else None
    )
    if child is None:
        parent(args)
        return
    with quiet_logs():
        result = child(args)
    print("RESULT " + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
