"""Time the report stage's hot paths on a big night.

Three parts, each size in a fresh child process (so each peak resident memory is its own: the
child's ``ru_maxrss``, which includes the imports and the generated inputs):

* ``risk``: the purchaser's risk workbook with 25k–200k evidence rows: seconds, rows/s, file
  size, peak RSS, and the time growth per size step;
* ``qa``: the QA sample list workbook for a plan of 25k and 100k lots (four warehouses, so four
  sheets): seconds, lots/s, file size, peak RSS;
* ``attribution``: ``flagged_reviews_view`` on 2 M attribution rows of which 200 k are flagged
  reviews (a quarter of the reviews shared between two or three suppliers): seconds, flagged
  rows/s, peak RSS.

    .venv/bin/python benchmarks/bench_report.py [--rows 100000 200000] [--plan-rows 25000]
        [--attribution-rows 2000000 --flagged 200000] [--only risk qa attribution]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from supplier_audit.reporting.frames import flagged_reviews_view
from supplier_audit.reporting.qa_workbook import write_qa_workbook
from supplier_audit.reporting.risk_report import RiskReportInputs, write_risk_report
from supplier_audit.sampling import inspection_in_force, plan_inspections

PHRASES = [
    "质量太差了，用了两天就坏了",
    "不是正品，跟专柜的不一样，防伪码查不到",
    "有很大的异味，洗了三遍还有",
    '=HYPERLINK("http://x","点我") 假货',
    "arrived broken, looks like a cheap knockoff",
    "掉色严重，第一次洗就把别的衣服染了",
]
AS_OF = dt.date(2026, 11, 26)


def big_night(rows: int, suppliers: int = 2_000, seed: int = 0) -> RiskReportInputs:
    """A night with ``rows`` flagged reviews and ``suppliers`` scored suppliers."""
    rng = np.random.default_rng(seed)
    texts = np.array(PHRASES, dtype=object)[rng.integers(0, len(PHRASES), rows)]
    texts = texts + " #" + rng.integers(0, 10**6, rows).astype(str).astype(object)
    flagged = pd.DataFrame(
        {
            "review_id": [f"RV{i:09d}" for i in range(rows)],
            "created_at": pd.Timestamp("2026-11-01")
            + pd.to_timedelta(rng.integers(0, 25 * 86400, rows), "s"),
            "sku": [f"SKU-{i}" for i in rng.integers(0, 5_000, rows)],
            "supplier_id": [f"SUP{i:05d}" for i in rng.integers(0, suppliers, rows)],
            "supplier_name": "义乌市某某贸易有限公司",
            "rating": rng.integers(1, 6, rows),
            "text": texts,
            "counterfeit_suspect": rng.random(rows) < 0.3,
            "categories": "counterfeit;quality",
            "matched_terms": "假货;质量差",
            "max_severity": rng.integers(1, 4, rows),
            "spans": [[(0, 2)]] * rows,
        }
    )
    tiers = np.array(["low", "medium", "high", "critical"])[rng.integers(0, 4, suppliers)]
    scores = pd.DataFrame(
        {
            "supplier_id": [f"SUP{i:05d}" for i in range(suppliers)],
            "supplier_name": "广州某某服饰厂",
            "counterfeit_risk": rng.uniform(0, 100, suppliers).round(1),
            "quality_risk": rng.uniform(0, 100, suppliers).round(1),
            "risk_tier": tiers,
            "main_reasons": "4 of 52 reviews (7.7 %) suspect counterfeit vs 0.5 % across suppliers",
            "recommended_action": "request the missing documents; tightened inspection",
            "evidence_readiness": rng.uniform(0, 1, suppliers),
        }
    )
    manifest = {
        "as_of": "2026-11-26",
        "inputs": {
            "reviews": {
                "rows_read": rows,
                "rows_valid": rows,
                "rows_quarantined": 0,
                "rows_pending": 0,
                "files": [],
            }
        },
        "config": {"version": "bench", "sha256": "0" * 64, "timezone": "Asia/Shanghai"},
        "seed": seed,
        "versions": {},
        "stages": {},
    }
    return RiskReportInputs(
        as_of=AS_OF,
        language="zh",
        manifest=manifest,
        lookback_days=180,
        quarantine_reasons=pd.DataFrame(columns=["table", "reason", "rows"]),
        scores=scores,
        flagged_reviews=flagged,
    )


def big_plan(lots: int, suppliers: int = 2_000, seed: int = 0) -> pd.DataFrame:
    """Tonight's inspection plan for about ``lots`` uninspected lots in four warehouses."""
    rng = np.random.default_rng(seed)
    shipments = pd.DataFrame(
        {
            "shipment_id": [f"SH{i:08d}" for i in range(lots)],
            "supplier_id": [f"SUP{i:05d}" for i in rng.integers(0, suppliers, lots)],
            "sku": [f"SKU-{i}" for i in rng.integers(0, 5_000, lots)],
            "received_on": pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(0, 25, lots), "D"),
            "quantity": rng.integers(2, 50_000, lots),
            "unit_cost": 3.5,
            "warehouse": np.array(["上海仓", "北京仓", "广州仓", None], dtype=object)[
                rng.integers(0, 4, lots)
            ],
        }
    )
    in_force = inspection_in_force(shipments, None, as_of=AS_OF, aql=2.5, level="II")
    return plan_inspections(shipments, None, in_force=in_force, as_of=AS_OF, seed=seed)


def big_attribution(
    rows: int, flagged: int, suppliers: int = 2_000, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """``rows`` attribution rows (reviews; a quarter shared by 2–3 suppliers, plus complaints)
    and ``flagged`` flagged reviews among them."""
    rng = np.random.default_rng(seed)
    # each review has 1 supplier (3/4) or 2–3 (1/4): about 1.44 rows per review
    per_item = np.where(rng.random(rows) < 0.75, 1, rng.integers(2, 4, rows))
    per_item = per_item[: np.searchsorted(np.cumsum(per_item), rows) + 1]
    items = len(per_item)
    item_index = np.repeat(np.arange(items), per_item)[:rows]
    raw = rng.uniform(0.05, 1, rows)
    weight = raw / np.bincount(item_index, weights=raw)[item_index]
    review_ids = np.array([f"RV{i:09d}" for i in range(items)], dtype=object)
    attribution = pd.DataFrame(
        {
            "table": np.where(np.arange(rows) < rows - rows // 50, "reviews", "complaints"),
            "item_id": pd.array(review_ids[item_index], dtype="string"),
            "supplier_id": pd.array(
                [f"SUP{i:05d}" for i in rng.integers(0, suppliers, rows)], dtype="string"
            ),
            "weight": weight,
            "basis": "sku_share",
        }
    )
    chosen = np.sort(rng.choice(items, size=min(flagged, items), replace=False))
    single = per_item[chosen] == 1
    first_row = np.cumsum(per_item) - per_item
    flagged_frame = pd.DataFrame(
        {
            "review_id": review_ids[chosen],
            "supplier_id": pd.array(
                np.where(
                    single,
                    attribution["supplier_id"].to_numpy(dtype=object)[first_row[chosen]],
                    None,
                ),
                dtype="string",
            ),
            "text": "不是正品",
            "counterfeit_suspect": True,
        }
    )
    names = pd.Series(
        [f"供应商{i}" for i in range(suppliers)], index=[f"SUP{i:05d}" for i in range(suppliers)]
    )
    return attribution, flagged_frame, names


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _risk(rows: int) -> dict[str, Any]:
    inputs = big_night(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "supplier-risk.xlsx"
        start, cpu = time.perf_counter(), time.process_time()
        write_risk_report(inputs, path)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = path.stat().st_size / 1e6
    return {"rows": rows, "seconds": seconds, "cpu": cpu, "mb": size, "peak": _peak_mb()}


def _qa(lots: int) -> dict[str, Any]:
    plan = big_plan(lots)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inspection-samples.xlsx"
        start, cpu = time.perf_counter(), time.process_time()
        write_qa_workbook(plan, path, as_of=AS_OF)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = path.stat().st_size / 1e6
    return {"rows": len(plan), "seconds": seconds, "cpu": cpu, "mb": size, "peak": _peak_mb()}


def _view(sizes: tuple[int, int]) -> dict[str, Any]:
    attribution, flagged, names = big_attribution(*sizes)
    start, cpu = time.perf_counter(), time.process_time()
    view = flagged_reviews_view(flagged, attribution, names)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    shared = int(view["attributed_to"].str.contains("·", regex=False).sum())
    return {
        "rows": len(flagged),
        "attribution": len(attribution),
        "shared": shared,
        "seconds": seconds,
        "cpu": cpu,
        "peak": _peak_mb(),
    }


def _in_child(task: Callable[[Any], dict[str, Any]], argument: Any) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(task, (argument,))


def _table(title: str, unit: str, results: list[dict[str, Any]], *, size: bool = True) -> None:
    print(f"\n{title}")
    head = f"{unit:>14} {'seconds':>8} {'cpu s':>8} {unit + '/s':>12}"
    print(head + (f" {'file MB':>8}" if size else "") + f" {'peak RSS MB':>12}")
    previous: dict[str, Any] | None = None
    for r in results:
        line = f"{r['rows']:>14,} {r['seconds']:>8.2f} {r['cpu']:>8.2f} "
        line += f"{r['rows'] / r['seconds']:>12,.0f}"
        line += f" {r['mb']:>8.1f}" if size else ""
        print(line + f" {r['peak']:>12.0f}")
        if previous:
            grow = r["rows"] / previous["rows"]
            print(f"{'':>14} time x{r['seconds'] / previous['seconds']:.2f} for x{grow:.1f} rows")
        previous = r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[25_000, 50_000, 100_000, 200_000])
    parser.add_argument("--plan-rows", type=int, nargs="+", default=[25_000, 100_000])
    parser.add_argument("--attribution-rows", type=int, default=2_000_000)
    parser.add_argument("--flagged", type=int, default=200_000)
    parser.add_argument("--only", nargs="+", choices=["risk", "qa", "attribution"], default=None)
    args = parser.parse_args()
    parts = set(args.only or ["risk", "qa", "attribution"])
    if "risk" in parts:
        _table(
            "risk workbook (write_risk_report)",
            "evidence rows",
            [_in_child(_risk, rows) for rows in args.rows],
        )
    if "qa" in parts:
        _table(
            "QA sample list (write_qa_workbook)",
            "lots",
            [_in_child(_qa, lots) for lots in args.plan_rows],
        )
    if "attribution" in parts:
        result = _in_child(_view, (args.attribution_rows, args.flagged))
        _table(
            f"flagged_reviews_view ({result['attribution']:,} attribution rows; "
            f"{result['shared']:,} flagged reviews shared)",
            "flagged",
            [result],
            size=False,
        )


if __name__ == "__main__":
    main()
