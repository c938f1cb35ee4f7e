"""Time one whole night, stage by stage, on demo worlds of growing size (measure, not optimise).

    .venv/bin/python benchmarks/bench_nightly.py [--reviews 250000 --lots 25000
        --suppliers 500 --scales 1 2 4 --format parquet|csv --flow --timeout SECONDS
        --max-rss GIB --profile STAGE [STAGE ...] --json FILE --keep DIR]

For each scale s it generates a clean demo world of s x (reviews, lots, suppliers) into a
temporary folder (in a child process), then runs the night of ``tests/test_pipeline.py::
run_night`` (ingest, flag, switching, score, sampling feedback, inspection plan, report,
finish) in a fresh child process, so that each scale's peak memory is its own: the peak is the
child's ``VmHWM`` (/proc/self/status; ``ru_maxrss`` is also recorded). It prints

* one row per scale: reviews, lots, wall and CPU time of the night, peak memory, reviews/s and
  the seconds of every stage (timed around each call; ``AuditRun.stage_seconds`` agrees), then
  the CPU seconds of every stage (steadier than wall time on a shared machine);
* the peak memory reached by the end of each stage (where the peak is set);
* the growth of wall time, CPU time, peak and each stage between consecutive scales (target:
  linear, <= 2.2x for 2x data);
* the flagging stage against its floor, a bare pyarrow RE2 any-match scan of the lexicon's
  pre-filter alternations over the same review texts (``scan_any_term``, as in
  ``bench_review_terms.py``): the ratio of seconds, flag stage / bare scan;
* the machine: CPU model, cores, memory, Python and package versions.

``--flow`` also times one run of the Prefect flow ``flows/nightly_audit.py`` per scale (under
``prefect_test_harness``; the temporary server's start-up is timed apart). ``--profile STAGE
[STAGE ...]`` (ingest, flag, switching, score, feedback, inspection, report, finish) runs those
stages under cProfile and prints the top 15 functions of each by cumulative time.
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
STAGES = ("ingest", "flag", "switching", "score", "feedback", "inspection", "report", "finish")
PACKAGES = ("supplier-audit", "pandas", "numpy", "pyarrow", "pandera", "scipy", "openpyxl",
            "prefect")  # fmt: skip
LINEAR_TARGET = 2.2  # time growth allowed for twice the data
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
    """Times each stage, records the memory after it and appends progress to a file."""

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
    """Write one demo world; return its row counts and the seconds it took."""
    from supplier_audit.demo import generate_world

    start = time.perf_counter()
    world = generate_world(
        Path(args.child_generate),
        suppliers=args.suppliers,
        seed=SEED,
        as_of=AS_OF,
        lots=args.lots,
        reviews=args.reviews,
        file_format=args.format,
        messy=False,
    )
    return {"seconds": time.perf_counter() - start, "rows": dict(world.rows)}


def child_night(args: argparse.Namespace) -> dict[str, Any]:
    """One night, stage by stage, as tests/test_pipeline.py::run_night does it."""
    import pyarrow as pa

    from supplier_audit import pipeline
    from supplier_audit.config import load_config
    from supplier_audit.review_terms import load_lexicon, scan_any_term
    from supplier_audit.run import AuditRun

    data, out = Path(args.child_night[0]), Path(args.child_night[1])
    clock = StageClock(Path(args.progress) if args.progress else None, args.profile or [])
    imported = memory_kib()
    started, cpu_started = time.perf_counter(), time.process_time()
    run = AuditRun(data_dir=data, out_dir=out, as_of=AS_OF, config=load_config(None))
    with run.exclusive():
        inputs = clock("ingest", lambda: pipeline.ingest_stage(run))
        flags = clock("flag", lambda: pipeline.flag_stage(run, inputs))
        status = clock("switching", lambda: pipeline.switching_stage(run, inputs))
        scoring = clock("score", lambda: pipeline.score_stage(run, inputs, flags, status))
        levels, self_check = clock(
            "feedback", lambda: pipeline.sampling_feedback(run, inputs, flags, scoring)
        )
        inspection = clock(
            "inspection",
            lambda: pipeline.inspection_stage(
                run, inputs, status=status, level_by_supplier=levels, self_check=self_check
            ),
        )
        clock(
            "report",
            lambda: pipeline.report_stage(
                run, inputs, inspection=inspection, review_flags=flags, scoring=scoring
            ),
        )
        published = clock("finish", lambda: pipeline.finish(run, inputs, scoring=scoring))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak = memory_kib()["VmHWM"]
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))

    # the floor of flagging: one bare RE2 any-match pass of the lexicon over the same texts
    settings = run.settings
    lexicon = (
        load_lexicon(settings.lexicon, replace=settings.lexicon_replace)
        if settings.lexicon or settings.lexicon_replace
        else None
    )
    texts = pa.array(inputs["reviews"]["text"], type=pa.large_string(), from_pandas=True)
    megabytes = texts.nbytes / 1e6
    scan_any_term(texts[:1000], lexicon)  # compile the patterns outside the timing
    start = time.perf_counter()
    matching = scan_any_term(texts, lexicon)
    bare = time.perf_counter() - start
    return {
        "rows": {name: table.counts() for name, table in inputs.tables.items()},
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
        "bare_scan": bare,
        "text_mb": megabytes,
        "bare_matching": int(matching.true_count),
        "flagged_reviews": int((flags["quality_issue"] | flags["counterfeit_suspect"]).sum()),
        "lots_to_inspect": len(inspection.plan),
        "profile": clock.profile_text,
    }


def child_flow(args: argparse.Namespace) -> dict[str, Any]:
    """One night through the Prefect flow, on a temporary test server."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    sys.path.insert(0, str(REPO))
    from prefect.testing.utilities import prefect_test_harness

    # imported by name: the flow is the subject here, not a dependency mypy should check
    nightly_audit = importlib.import_module("flows.nightly_audit").nightly_audit
    data, out = args.child_flow
    start = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=120):
        server = time.perf_counter() - start
        start = time.perf_counter()
        result = nightly_audit(data_dir=data, out_dir=out, as_of=AS_OF)
        wall = time.perf_counter() - start
    if not isinstance(result, dict):
        raise RuntimeError(f"the flow did not publish a night: {result}")
    manifest = json.loads((Path(result["reports"]) / "manifest.json").read_text(encoding="utf-8"))
    return {
        "server_start": server,
        "wall": wall,
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
               "--suppliers", str(sizes["suppliers"]), "--format", args.format]  # fmt: skip
    if progress is not None:
        command += ["--progress", str(progress)]
    if args.profile:
        command += ["--profile", *args.profile]
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
    """The night per scale, CPU per stage, peaks per stage, growth, flagging floor, flow."""
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
            f"{night.get('cpu', float('nan')):>7.1f} "
            f"{gib(night['peak_kib']):>8} {reviews / night['wall']:>10,.0f} "
            + " ".join(f"{night['seconds'][s]:>9.2f}" for s in STAGES)
        )
    for r in results:
        if "night" not in r:
            print(f"{r['scale']:>5g}  FAILED: {r['error']}")
    if not done:
        return
    if all("cpu_seconds" in r["night"] for r in done):
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
                f"{nb.get('cpu', float('nan')) / na.get('cpu', float('nan')):>7.2f} "
                f"{nb['peak_kib'] / na['peak_kib']:>7.2f} {stages}"
            )

    print("\nflagging against its floor (bare pyarrow RE2 any-match scan of the lexicon)")
    print(f"{'scale':>5} {'texts MB':>9} {'bare s':>8} {'flag s':>8} {'flag/bare':>9} "
          f"{'bare hits':>10} {'flagged':>10}")  # fmt: skip
    for r in done:
        night = r["night"]
        flag, bare = night["seconds"]["flag"], night["bare_scan"]
        print(
            f"{r['scale']:>5g} {night['text_mb']:>9.1f} {bare:>8.2f} {flag:>8.2f} "
            f"{flag / bare:>9.2f} {night['bare_matching']:>10,} {night['flagged_reviews']:>10,}"
        )

    if flows:
        print("\nthe same night through the Prefect flow (test server)")
        print(f"{'scale':>5} {'server s':>9} {'flow s':>8} {'direct s':>9} {'peak GiB':>8}")
        direct = {r["scale"]: r["night"]["wall"] for r in done}
        for f in flows:
            if "flow" not in f:
                print(f"{f['scale']:>5g}  FAILED: {f['error']}")
                continue
            flow = f["flow"]
            d = direct.get(f["scale"])
            print(
                f"{f['scale']:>5g} {flow['server_start']:>9.1f} {flow['wall']:>8.1f} "
                f"{(f'{d:.1f}' if d is not None else '-'):>9} {gib(flow['peak_kib']):>8}"
            )


def parent(args: argparse.Namespace) -> None:
    print("machine:")
    for line in machine():
        print("  " + line)
    results: list[dict[str, Any]] = []
    flows: list[dict[str, Any]] = []
    keep = Path(args.keep) if args.keep else None
    with tempfile.TemporaryDirectory(prefix="bench-nightly-", dir=keep) as tmp:
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
            print(f"  generated in {generated['seconds']:.1f} s", flush=True)
            progress = Path(tmp) / f"progress-x{scale:g}.jsonl"
            night, error = run_child(
                ["--child-night", str(world), str(out)], args, sizes=sizes, progress=progress
            )
            if night is None:
                results.append({"scale": scale, "error": f"{error}; {how_far(progress)}"})
                print(f"  night failed: {error}\n  {how_far(progress)}", flush=True)
                break
            results.append({"scale": scale, "night": night})
            print(
                f"  night in {night['wall']:.1f} s, peak {gib(night['peak_kib'])} GiB "
                f"(ru_maxrss {gib(night['ru_maxrss_kib'])} GiB); manifest stages: "
                + ", ".join(f"{k} {v['seconds']:.1f}" for k, v in night["manifest_stages"].items()),
                flush=True,
            )
            for stage, profile in night["profile"].items():
                print(f"\ncProfile of stage {stage} at scale {scale:g}:")
                print(profile, flush=True)
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
                if flow:
                    print(f"  flow in {flow['wall']:.1f} s", flush=True)
            for folder in (world, out):  # free the disk before the next, bigger world
                subprocess.run(["rm", "-rf", str(folder)], check=False)
    print_tables(results, flows)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": machine(), "nights": results, "flows": flows}, indent=1),
            encoding="utf-8",
        )


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
    parser.add_argument("--flow", action="store_true", help="also time the Prefect flow")
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
    parser.add_argument("--keep", help="make the temporary folder inside this folder")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--child-generate", help=argparse.SUPPRESS)
    parser.add_argument("--child-night", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-flow", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--progress", help=argparse.SUPPRESS)
    args = parser.parse_args()
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
