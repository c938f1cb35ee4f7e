"""Benchmark supplier scoring on a demo world: ranking quality against the planted truth, timing.

Usage:  PYTHONPATH=src .venv/bin/python benchmarks/bench_scoring.py [--data data/demo]
        [--generate N --seed S]   (generate a fresh world of N suppliers into a temp folder)

Prints ROC AUC of counterfeit_risk for "is a counterfeit source" (from the Mann–Whitney U
statistic: AUC = U / (n_pos * n_neg)), precision at k (k = planted counterfeit sources), the
tier counts and the defensibility verdicts (share of branded units whose lots hold every proof
the platform accepts today: all / partly / none) with the actions per archetype, and the same
figures with the inspections' counterfeit_status ignored (every recorded unit decisive, as
before) and with the "a counterfeit unit found is decisive" rule switched off, so the effect
of each on this world can be seen.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from supplier_audit.config.loading import load_config
from supplier_audit.contracts.vocabulary import RISK_TIERS
from supplier_audit.ingest.folder import ingest_folder
from supplier_audit.scoring import load_scoring_settings, score_suppliers

AS_OF = date(2026, 11, 26)


def review_flags(reviews: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Flags from the real flagger when it imports, else a crude keyword stand-in (said so)."""
    try:
        from supplier_audit.review_terms import flag_texts
    except ImportError as exc:  # pragma: no cover - depends on the tree
        text = reviews["text"].astype("string").fillna("")
        flags = pd.DataFrame(
            {
                "review_id": reviews["review_id"].to_numpy(),
                "counterfeit_suspect": text.str.contains("假货|仿|fake").to_numpy(dtype=bool),
                "quality_issue": text.str.contains("质量|坏|broken").to_numpy(dtype=bool),
            }
        )
        return flags, f"keyword stand-in (review_terms did not import: {exc})"
    flagged = flag_texts(reviews["text"])
    flags = pd.DataFrame(
        {
            "review_id": reviews["review_id"].to_numpy(),
            "quality_issue": flagged["quality_issue"].to_numpy(dtype=bool),
            "counterfeit_suspect": flagged["counterfeit_suspect"].to_numpy(dtype=bool),
        }
    )
    return flags, "supplier_audit.review_terms.flag_texts"


def ranking_figures(scores: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    merged = scores.merge(truth[["supplier_id", "archetype"]], on="supplier_id")
    positive = merged["archetype"].eq("counterfeit").to_numpy()
    risk = merged["counterfeit_risk"].to_numpy()
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    u = mannwhitneyu(risk[positive], risk[~positive], alternative="two-sided").statistic
    order = merged.sort_values("counterfeit_risk", ascending=False, kind="stable")
    top = order.head(n_pos)["archetype"].eq("counterfeit").mean()
    serious = merged["risk_tier"].isin(["high", "critical"])
    return {
        "auc": float(u) / (n_pos * n_neg),
        "precision_at_k": float(top),
        "k": n_pos,
        "malicious_high_or_critical": int(
            (serious & merged["archetype"].eq("malicious_target")).sum()
        ),
        "newcomer_high_or_critical": int((serious & merged["archetype"].eq("newcomer")).sum()),
    }


def tier_table(scores: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    merged = scores.merge(truth[["supplier_id", "archetype"]], on="supplier_id")
    table = pd.crosstab(merged["archetype"], merged["risk_tier"])
    return table.reindex(columns=list(RISK_TIERS), fill_value=0)


def defensibility_table(scores: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per archetype: how many suppliers' branded units are all / partly / not defensible
    today (or who delivered no branded lot), and how many get a document action, must
    authenticate a retained sample, or are told to stop or suspend buying."""
    merged = scores.merge(truth[["supplier_id", "archetype"]], on="supplier_id")
    share = merged["defensibility"]
    verdict = pd.Series(
        np.select(
            [share.isna(), share >= 100.0, share <= 0.0], ["no_branded", "all", "none"], "partly"
        ),
        index=merged.index,
    )
    table = pd.crosstab(merged["archetype"], verdict).reindex(
        columns=["all", "partly", "none", "no_branded"], fill_value=0
    )
    table.columns = [f"defensible_{c}" for c in table.columns]
    codes = merged["action_codes"].astype(str).str.split(";")
    table["document_action"] = (
        codes.map(lambda c: "collect_documents" in c).groupby(merged["archetype"]).sum()
    )
    table["authenticate"] = (
        codes.map(lambda c: "authenticate" in c).groupby(merged["archetype"]).sum()
    )
    table["stop_or_suspend"] = merged["stop_buying"].astype(bool).groupby(merged["archetype"]).sum()
    table["median_defensibility"] = share.groupby(merged["archetype"]).median().round(1)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/demo"))
    parser.add_argument("--generate", type=int, default=0, help="generate a world of N suppliers")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = args.data
    if args.generate:
        from supplier_audit.demo import generate_world

        data = Path(tempfile.mkdtemp(prefix="bench-scoring-"))
        generate_world(data, suppliers=args.generate, seed=args.seed, as_of=AS_OF)
    started = time.perf_counter()
    ingested = ingest_folder(data, load_config().settings, as_of=AS_OF)
    tables = {name: ingested[name] for name in ingested.tables}
    ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    flags, flagger = review_flags(tables["reviews"])
    flag_seconds = time.perf_counter() - started
    truth = pd.read_csv(data / "_truth" / "suppliers_truth.csv", dtype={"supplier_id": str})

    print(f"world: {data}  suppliers={len(tables['suppliers'])} lots={len(tables['shipments'])} "
          f"reviews={len(tables['reviews'])}")  # fmt: skip
    print(f"review flags from: {flagger}")
    print(f"ingest {ingest_seconds:.2f} s, flagging {flag_seconds:.2f} s")
    for label, overrides in (
        ("default settings", {}),
        (
            "counterfeit_status ignored (every find decisive, as before issue 15)",
            {"inspections": {"suspected_find_min_tier": "critical", "suspected_find_weight": 1.0}},
        ),
        ("counterfeit-unit rule off", {"inspections": {"counterfeit_unit_min_tier": "none"}}),
    ):
        settings = load_scoring_settings(overrides)
        started = time.perf_counter()
        result = score_suppliers(
            tables,
            flags,
            as_of=AS_OF,
            settings=settings,
            acceptance=load_config().settings.sampling.acceptance_rule,
            language="en",
        )
        seconds = time.perf_counter() - started
        figures = ranking_figures(result.scores, truth)
        print(f"\n== {label} (scoring {seconds:.2f} s) ==")
        print(
            f"ROC AUC {figures['auc']:.3f}   precision@{figures['k']} "
            f"{figures['precision_at_k']:.3f}   malicious_target in high/critical: "
            f"{figures['malicious_high_or_critical']}   newcomer in high/critical: "
            f"{figures['newcomer_high_or_critical']}"
        )
        print(tier_table(result.scores, truth).to_string())
        print("defensibility verdicts and actions per archetype:")
        print(defensibility_table(result.scores, truth).to_string())
        merged = result.scores.merge(truth[["supplier_id", "archetype"]], on="supplier_id")
        means = merged.groupby("archetype")[["counterfeit_risk", "quality_risk"]].median()
        print("median scores per archetype:")
        print(means.round(1).to_string())
        print("unattributed:", result.unattributed)
    print("\nbaseline rates and priors:")
    print(result.baseline.to_string(index=False))


if __name__ == "__main__":
    main()
