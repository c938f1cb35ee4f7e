"""Each supplier's rates with their evidence: raw, shrunk towards the baseline, tested, bounded.

Review, complaint and defect rates become strengths through empirical-Bayes shrinkage and an
FDR-controlled excess test (:mod:`.statistics`), so a small sample cannot look alarming; the
defect rates also get Clopper-Pearson bounds. The baseline of each rate is returned as a table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplier_audit.scoring.settings import ScoringSettings
from supplier_audit.scoring.statistics import clopper_pearson, rate_evidence


def add_rates(frame: pd.DataFrame, settings: ScoringSettings) -> pd.DataFrame:
    """Raw, shrunk and tested rates; returns the baseline table (one row per rate)."""
    stats_cfg = settings.statistics
    frame["serious_defects"] = (frame["critical_defects"] + frame["major_defects"]).astype("int64")
    settled = settings.complaints.settled_weight
    frame["quality_complaint_evidence"] = (
        frame["quality_complaints_upheld"] + settled * frame["quality_complaints_settled"]
    )
    # Quality complaints grow with sales: they are read as a rate per buyer contact (reviews
    # plus the scored complaints themselves, so k <= n), unlike counterfeit complaints, where
    # each upheld one is damning on its own. Open, rejected and withdrawn ones stay out.
    frame["buyer_contacts"] = frame["reviews"] + frame["quality_complaint_evidence"]
    rows = []
    for name, k_col, n_col in (
        ("counterfeit_review_rate", "counterfeit_reviews", "reviews"),
        ("quality_review_rate", "quality_reviews", "reviews"),
        ("quality_complaint_rate", "quality_complaint_evidence", "buyer_contacts"),
        ("serious_defect_rate", "serious_defects", "units_sampled"),
        ("critical_defect_rate", "critical_defects", "units_sampled"),
    ):
        k = frame[k_col].to_numpy(dtype=np.float64)
        n = frame[n_col].to_numpy(dtype=np.float64)
        evidence = rate_evidence(
            k, n,
            fdr_alpha=stats_cfg.fdr_alpha,
            full_strength_ratio=stats_cfg.full_strength_ratio,
            not_significant_factor=stats_cfg.not_significant_factor,
            min_strength=stats_cfg.prior_min_strength,
            max_strength=stats_cfg.prior_max_strength,
        )  # fmt: skip
        with np.errstate(invalid="ignore", divide="ignore"):
            frame[name] = np.where(n > 0, k / np.where(n > 0, n, 1.0), np.nan)
        frame[f"{name}_shrunk"] = evidence.shrunk
        frame[f"{name}_q"] = evidence.q_value
        frame[f"{name}_significant"] = evidence.significant
        frame[f"_{name}_strength"] = evidence.strength
        frame[f"_{name}_baseline"] = evidence.prior.mean
        rows.append(
            {
                "rate": name,
                "baseline": evidence.prior.mean,
                "prior_alpha": evidence.prior.alpha,
                "prior_beta": evidence.prior.beta,
                "prior_strength": evidence.prior.strength,
                "pooled_rate": float(k.sum() / n.sum()) if n.sum() > 0 else np.nan,
                "suppliers_with_data": int((n > 0).sum()),
                "significant_suppliers": int(evidence.significant.sum()),
            }
        )
    for name, k_col in (("serious_defect_rate", "serious_defects"),
                        ("critical_defect_rate", "critical_defects")):  # fmt: skip
        low, high = clopper_pearson(
            frame[k_col].to_numpy(), frame["units_sampled"].to_numpy(),
            confidence=stats_cfg.confidence,
        )  # fmt: skip
        frame[f"{name}_low"] = low
        frame[f"{name}_high"] = high
    return pd.DataFrame(rows)
