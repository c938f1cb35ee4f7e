"""End to end on a fixed-seed demo world: does the ranking find the planted counterfeit sources?"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from supplier_audit.config.loading import load_config
from supplier_audit.demo import generate_world
from supplier_audit.ingest.folder import ingest_folder
from supplier_audit.review_terms import flag_texts
from supplier_audit.scoring import SupplierScores, load_scoring_settings, score_suppliers

AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, suppliers=60, seed=1, as_of=AS_OF)
    ingested = ingest_folder(folder, load_config().settings, as_of=AS_OF)
    tables = {name: ingested[name] for name in ingested.tables}
    flagged = flag_texts(tables["reviews"]["text"])
    flags = pd.DataFrame(
        {
            "review_id": tables["reviews"]["review_id"].to_numpy(),
            "quality_issue": flagged["quality_issue"].to_numpy(dtype=bool),
            "counterfeit_suspect": flagged["counterfeit_suspect"].to_numpy(dtype=bool),
        }
    )
    result = score_suppliers(
        tables,
        flags,
        as_of=AS_OF,
        settings=load_scoring_settings(),
        acceptance=load_config().settings.sampling.acceptance_rule,
    )
    SupplierScores.validate(result.scores, lazy=True)
    truth = pd.read_csv(Path(folder) / "_truth" / "suppliers_truth.csv", dtype=str)
    merged: pd.DataFrame = result.scores.merge(
        truth[["supplier_id", "archetype"]], on="supplier_id"
    )
    return merged


def test_counterfeit_sources_rank_above_everyone_else(scored: pd.DataFrame) -> None:
    positive = scored["archetype"].eq("counterfeit").to_numpy()
    risk = scored["counterfeit_risk"].to_numpy()
    u = mannwhitneyu(risk[positive], risk[~positive]).statistic
    auc = u / (positive.sum() * (~positive).sum())
    assert auc >= 0.95
    top = scored.nlargest(int(positive.sum()), "counterfeit_risk")
    assert top["archetype"].eq("counterfeit").mean() >= 0.75


def test_archetypes_land_where_a_purchaser_expects(scored: pd.DataFrame) -> None:
    serious = scored["risk_tier"].isin(["high", "critical"])
    assert serious[scored["archetype"].eq("counterfeit")].all()
    # Newcomers and targets of malicious complaints are never high or critical -- except when
    # QA found a counterfeit unit in their goods, which is decisive by design.
    spared = scored["archetype"].isin(["newcomer", "malicious_target"]) & scored[
        "counterfeit_units_found"
    ].eq(0)
    assert not serious[spared].any()
    honest_mean = scored.loc[scored["archetype"].eq("honest"), "counterfeit_risk"].mean()
    sloppy_mean = scored.loc[scored["archetype"].eq("sloppy"), "quality_risk"].mean()
    honest_quality = scored.loc[scored["archetype"].eq("honest"), "quality_risk"].mean()
    assert sloppy_mean > honest_quality
    assert scored.loc[scored["archetype"].eq("counterfeit"), "counterfeit_risk"].min() > honest_mean
