"""Supplier counterfeit-risk and quality-risk scores (scipy.stats), with reasons and actions.

Public API::

    load_scoring_settings(overrides=None) -> ScoringSettings
    score_suppliers(tables, review_flags, *, as_of, settings, acceptance, lookback_days=180,
                    inspection_status=None, previous=None, language="zh") -> ScoringResult
    tier_inspection_overrides(scores, settings) -> dict[str, dict[str, str]]
    self_check_candidates(tables, review_flags, *, as_of, settings) -> DataFrame
    append_history(scores, history_dir, as_of) / previous_scores(history_dir, as_of)

Modules: :mod:`.attribution` (review/complaint -> supplier weights), :mod:`.evidence`
(document readiness), :mod:`.defensibility` (could a platform ticket be won on a lot today),
:mod:`.signals` (raw per-supplier signals), :mod:`.statistics` (empirical Bayes, exact tests,
FDR), :mod:`.rates` (rates and their evidence), :mod:`.combination` (strengths, noisy-OR,
tiers), :mod:`.scores` (the whole scoring), :mod:`.actions` (what each finding calls for),
:mod:`.reasons` / :mod:`.messages` (bilingual words), :mod:`.history`, :mod:`.feedback`.
"""

from supplier_audit.contracts.outputs import SupplierScores
from supplier_audit.scoring.attribution import Attribution, attribute_items
from supplier_audit.scoring.evidence import EvidenceResult, evidence_readiness
from supplier_audit.scoring.feedback import self_check_candidates, tier_inspection_overrides
from supplier_audit.scoring.history import append_history, history_dates, previous_scores
from supplier_audit.scoring.scores import ScoringResult, score_suppliers
from supplier_audit.scoring.settings import ScoringSettings, load_scoring_settings

__all__ = [
    "Attribution",
    "EvidenceResult",
    "ScoringResult",
    "ScoringSettings",
    "SupplierScores",
    "append_history",
    "attribute_items",
    "evidence_readiness",
    "history_dates",
    "load_scoring_settings",
    "previous_scores",
    "score_suppliers",
    "self_check_candidates",
    "tier_inspection_overrides",
]
