"""Time the complaint desk alone at scale: 1 M lots and 100,000 open complaints.

    .venv/bin/python benchmarks/bench_complaints.py [--lots 1000000 --suppliers 2000
        --open-complaints 100000 --reviews 20000 --keep DIR]

It generates a clean Parquet demo world of ``--lots`` lots (few reviews: the desk does not
read them) in a child process, tops its complaints up to ``--open-complaints`` open ones
(:func:`top_up_open_complaints`: copies of the world's complaints, opened in the ten days
before the as-of date, on their SKUs and lots, about a third with the platform's own due
date), then in a fresh child reads the inputs (``night.stages.ingest_stage``) and times the desk
(``night.stages.complaints_stage``), its files (``open_complaints.csv``, ``evidence_index.csv``,
``evidence/<id>.csv`` for the most urgent 1,000) and a risk report holding only the
Complaints and Worth-appealing sheets and the Summary: seconds, CPU seconds and the child's
peak memory (VmHWM) after each step. ``bench_nightly.py --open-complaints N`` runs the whole
night on a world topped up the same way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 26)
SEED = 20261126


def memory_kib() -> dict[str, int]:
    """This process's current (VmRSS) and peak (VmHWM) resident memory, in KiB."""
    found: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


def top_up_open_complaints(world: Path, open_complaints: int, *, seed: int = SEED) -> int:
    """Add open complaints to a generated world until it has ``open_complaints`` of them;
    returns how many were added. Copies of random complaints of the world (so SKUs, lots,
    suppliers, platforms and buyers keep the world's mix), opened in the ten days before the
    as-of date, with about a third carrying the platform's due date."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    parquet = world / "complaints.parquet"
    table = pq.read_table(parquet) if parquet.exists() else pacsv.read_csv(world / "complaints.csv")
    already = int(pc.sum(pc.equal(table.column("status"), "open")).as_py() or 0)
    missing = max(open_complaints - already, 0)
    if missing == 0:
        return 0
    rng = np.random.default_rng(seed)
    copies = table.take(pa.array(rng.integers(0, table.num_rows, missing)))
    as_of_day = (AS_OF - dt.date(1970, 1, 1)).days
    opened = as_of_day - rng.integers(0, 10, missing)
    due = opened + rng.integers(3, 8, missing)
    columns = {name: copies.column(name) for name in copies.column_names}
    columns["complaint_id"] = pc.binary_join_element_wise(
        "TU", pc.cast(pa.array(np.arange(1, missing + 1)), pa.string()), ""
    )
    columns["opened_on"] = pa.array(opened.astype(np.int32), pa.date32())
    columns["status"] = pa.array(["open"] * missing, pa.string())
    columns["closed_on"] = pa.nulls(missing, pa.date32())
    columns["compensation"] = pa.nulls(missing, table.schema.field("compensation").type)
    if "due_on" in columns:
        columns["due_on"] = pa.array(
            due.astype(np.int32), pa.date32(), mask=rng.random(missing) > 0.35
        )
    if "order_id" in columns:  # the copies' orders are the originals': no order of their own
        columns["order_id"] = pa.nulls(missing, pa.string())
    extra = pa.table(columns).cast(table.schema)
    combined = pa.concat_tables([table, extra])
    if parquet.exists():
        pq.write_table(combined, parquet)
    else:
        pacsv.write_csv(combined, world / "complaints.csv")
    return missing


def child_generate(args: argparse.Namespace) -> dict[str, Any]:
    from supplier_audit.demo import generate_world

    world = Path(args.child_generate)
    start = time.perf_counter()
    generated = generate_world(
        world,
        suppliers=args.suppliers,
        seed=SEED,
        as_of=AS_OF,
        lots=args.lots,
        reviews=args.reviews,
        file_format="parquet",
        messy=False,
    )
    seconds = time.perf_counter() - start
    added = top_up_open_complaints(world, args.open_complaints)
    return {"seconds": seconds, "rows": dict(generated.rows), "added": added}


def child_desk(args: argparse.Namespace) -> dict[str, Any]:
    from supplier_audit.config.loading import load_config
    from supplier_audit.night import outputs, stages
    from supplier_audit.night.run import AuditRun, build_manifest
    from supplier_audit.reporting.risk_report import RiskReportInputs, write_risk_report

    data, out = Path(args.child_desk[0]), Path(args.child_desk[1])
    run = AuditRun(data_dir=data, out_dir=out, as_of=AS_OF, config=load_config())
    steps: dict[str, dict[str, float]] = {}

    def timed(name: str, call: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        result = call()
        steps[name] = {
            "seconds": time.perf_counter() - start,
            "cpu": time.process_time() - cpu,
            "peak_kib": memory_kib()["VmHWM"],
        }
        return result

    with run.exclusive():
        inputs = timed("ingest", lambda: stages.ingest_stage(run))
        desk = timed("desk", lambda: stages.complaints_stage(run, inputs))
        files = timed("csv files", lambda: outputs.write_complaint_outputs(run, desk))

        def report() -> Path:
            sheet = RiskReportInputs(
                as_of=AS_OF,
                language=run.settings.report_language,
                manifest=build_manifest(run, inputs, outputs=[]),
                lookback_days=run.settings.lookback_days,
                quarantine_reasons=inputs.quarantine_reasons(),
                open_complaints=desk.open_complaints,
                appeals=desk.appeals,
                complaints_due_soon=desk.due_soon,
                complaints_not_ready=desk.not_ready,
                complaints_overdue=desk.overdue,
            )
            return write_risk_report(sheet, run.staging_dir / "complaints-only.xlsx")

        workbook = timed("workbook", report)
        workbook_mib = workbook.stat().st_size / 2**20
    counts = {name: table.counts() for name, table in inputs.tables.items()}
    return {
        "steps": steps,
        "rows": counts,
        "open": len(desk.open_complaints),
        "evidence_rows": len(desk.evidence_index),
        "files": len(files),
        "workbook_mib": workbook_mib,
        "statuses": desk.open_complaints["evidence_status"].value_counts().to_dict(),
        "sources": desk.open_complaints["deadline_source"].value_counts().to_dict(),
        "due_soon": desk.due_soon,
        "appeals": len(desk.appeals),
        "peak_kib": memory_kib()["VmHWM"],
    }


def run_child(mode: list[str], args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), *mode,
               "--lots", str(args.lots), "--suppliers", str(args.suppliers),
               "--reviews", str(args.reviews),
               "--open-complaints", str(args.open_complaints)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            return result
    raise SystemExit(f"child {mode[0]} failed:\n{done.stderr[-3000:]}")


def parent(args: argparse.Namespace) -> None:
    keep = Path(args.keep) if args.keep else None
    with tempfile.TemporaryDirectory(prefix="bench-complaints-", dir=keep) as tmp:
        world, out = Path(tmp) / "world", Path(tmp) / "reports"
        generated = run_child(["--child-generate", str(world)], args)
        print(
            f"world: {generated['rows']} in {generated['seconds']:.1f} s; "
            f"{generated['added']:,} open complaints added"
        )
        night = run_child(["--child-desk", str(world), str(out)], args)
    print(
        f"complaints {night['rows']['complaints']['rows_valid']:,} valid, "
        f"open {night['open']:,}; orders {night['rows']['orders']['rows_valid']:,}; "
        f"documents {night['rows']['documents']['rows_valid']:,}; "
        f"lots {night['rows']['shipments']['rows_valid']:,}"
    )
    print(f"{'step':<10} {'wall s':>8} {'CPU s':>8} {'peak GiB':>9}")
    for name, step in night["steps"].items():
        print(
            f"{name:<10} {step['seconds']:>8.2f} {step['cpu']:>8.2f} "
            f"{step['peak_kib'] / 2**20:>9.2f}"
        )
    print(
        f"evidence_index rows {night['evidence_rows']:,}; files written {night['files']:,}; "
        f"workbook {night['workbook_mib']:.1f} MiB; statuses {night['statuses']}; "
        f"deadline sources {night['sources']}; due within 48 h {night['due_soon']:,}; "
        f"worth appealing {night['appeals']:,}; peak {night['peak_kib'] / 2**20:.2f} GiB"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"generated": generated, "desk": night}, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--suppliers", type=int, default=2_000)
    parser.add_argument("--reviews", type=int, default=20_000)
    parser.add_argument("--open-complaints", type=int, default=100_000)
    parser.add_argument("--keep", help="make the temporary folder inside this one")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--child-generate", help=argparse.SUPPRESS)
    parser.add_argument("--child-desk", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_generate:
        print("RESULT " + json.dumps(child_generate(args)))
    elif args.child_desk:
        print("RESULT " + json.dumps(child_desk(args)))
    else:
        parent(args)


if __name__ == "__main__":
    main()
