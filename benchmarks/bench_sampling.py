"""Time the sampling hot paths: plan_lots (table look-ups) and draw_units (seeded draws).

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_sampling.py
Prints seconds and lots per second for 10 000 and 100 000 lots with realistic lot sizes.
"""

from __future__ import annotations

import time

import numpy as np

from supplier_audit.sampling import AQL_SERIES, draw_units, format_units, plan_lots


def _best_of(repeats: int, run: object) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    rng = np.random.default_rng(20261126)
    print(f"{'lots':>8} {'step':<22} {'seconds':>9} {'lots/s':>12}")
    for count in (10_000, 100_000):
        # lot sizes from a few units to 200 000 (log-uniform), AQLs 0.65-6.5, mixed levels
        lots = np.exp(rng.uniform(np.log(2), np.log(200_000), count)).astype(np.int64)
        aqls = rng.choice([a for a in AQL_SERIES if 0.65 <= a <= 6.5], count)
        levels = rng.choice(["I", "II", "III", "S-4"], count, p=[0.1, 0.7, 0.1, 0.1])
        severities = rng.choice(["normal", "tightened", "reduced"], count, p=[0.8, 0.15, 0.05])
        ids = [f"SHP-{i:07d}" for i in range(count)]

        plans = plan_lots(lots, aqls, levels, severities)
        seconds = _best_of(3, lambda: plan_lots(lots, aqls, levels, severities))  # noqa: B023
        print(f"{count:>8} {'plan_lots':<22} {seconds:>9.3f} {count / seconds:>12,.0f}")

        sizes, samples = plans["lot_size"].to_numpy(), plans["sample_size"].to_numpy()
        seconds = _best_of(1, lambda: draw_units(ids, sizes, samples, seed=7))  # noqa: B023
        print(f"{count:>8} {'draw_units':<22} {seconds:>9.3f} {count / seconds:>12,.0f}")

        drawn = draw_units(ids, sizes, samples, seed=7)
        start = time.perf_counter()
        for units, lot in zip(drawn, sizes.tolist(), strict=True):
            format_units(units, lot_size=lot)
        seconds = time.perf_counter() - start
        print(f"{count:>8} {'format_units':<22} {seconds:>9.3f} {count / seconds:>12,.0f}")
        units_total = int(samples.sum())
        print(f"{count:>8} {'(units drawn)':<22} {units_total:>9,}")


if __name__ == "__main__":
    main()
