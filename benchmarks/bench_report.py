"""Time the purchaser's risk report on a big night: 100,000 evidence rows (and more).

Prints, per size: seconds to write the workbook, rows per second, the file size, and the
process's peak resident memory after writing (sizes run in ascending order, so the growth of the
peak is what the bigger workbook cost), so the write-only design can be checked to stay bounded.

    .venv/bin/python benchmarks/bench_report.py [--rows 100000 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from supplier_audit.reporting.risk_report import RiskReportInputs, write_risk_report

PHRASES = [
    "质量太差了，用了两天就坏了",
    "不是正品，跟专柜的不一样，防伪码查不到",
    "有很大的异味，洗了三遍还有",
    '=HYPERLINK("http://x","点我") 假货',
    "arrived broken, looks like a cheap knockoff",
    "掉色严重，第一次洗就把别的衣服染了",
]


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
        as_of=dt.date(2026, 11, 26),
        language="zh",
        manifest=manifest,
        lookback_days=180,
        quarantine_reasons=pd.DataFrame(columns=["table", "reason", "rows"]),
        scores=scores,
        flagged_reviews=flagged,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[25_000, 50_000, 100_000, 200_000])
    args = parser.parse_args()
    print(f"{'evidence rows':>14} {'seconds':>8} {'rows/s':>10} {'file MB':>8} {'peak RSS MB':>12}")
    previous: tuple[int, float] | None = None
    for rows in args.rows:
        inputs = big_night(rows)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "supplier-risk.xlsx"
            start = time.perf_counter()
            write_risk_report(inputs, path)
            seconds = time.perf_counter() - start
            size = path.stat().st_size / 1e6
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
        print(f"{rows:>14,} {seconds:>8.2f} {rows / seconds:>10,.0f} {size:>8.1f} {peak:>12.0f}")
        if previous:
            grow = rows / previous[0]
            print(f"{'':>14} time x{seconds / previous[1]:.2f} for x{grow:.1f} rows")
        previous = (rows, seconds)


if __name__ == "__main__":
    main()
