"""Typed scoring settings: the defaults shipped in ``defaults/scoring.toml`` plus overrides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from supplier_audit.config.files import merge, shipped_toml
from supplier_audit.contracts.strict import StrictSettings
from supplier_audit.contracts.vocabulary import MinimumTier, Tier

SCORING_RESOURCE = "defaults/scoring.toml"
# What a finding can call for; the words and the order of urgency are in scoring.toml.
ACTION_CODES: tuple[str, ...] = (
    "critical",
    "discontinued",
    "authenticate",
    "hold_listings",
    "high",
    "quality_high",
    "collect_documents",
    "goods_in_warning",
    "medium",
    "quality_medium",
    "low",
)
# The actions that stop or suspend buying from a supplier (listed on the Summary).
STOP_ACTIONS: tuple[str, ...] = ("critical", "discontinued")


class StatisticsSettings(StrictSettings):
    fdr_alpha: float = Field(gt=0, lt=1)
    not_significant_factor: float = Field(ge=0, le=1)
    full_strength_ratio: float = Field(gt=1)
    prior_min_strength: float = Field(gt=0)
    prior_max_strength: float = Field(gt=0)
    confidence: float = Field(gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> StatisticsSettings:
        if self.prior_min_strength >= self.prior_max_strength:
            raise ValueError("prior_min_strength must be below prior_max_strength")
        return self


class ComplaintSettings(StrictSettings):
    settled_weight: float = Field(ge=0, le=1)
    counterfeit_types: list[str]
    quality_types: list[str]
    counterfeit_scale: float = Field(gt=0)


class InspectionSettings(StrictSettings):
    counterfeit_unit_min_tier: MinimumTier
    suspected_find_min_tier: MinimumTier
    suspected_find_weight: float = Field(ge=0, le=1)
    counterfeit_lot_pseudo: float = Field(gt=0)
    false_find_rate: float = Field(ge=0, lt=1)


class Requirement(StrictSettings):
    doc_types: list[str] = Field(min_length=1)
    applies_to: Literal["all", "branded", "import"]
    weight: float = Field(ge=0)


class EvidenceSettings(StrictSettings):
    invoice_like_validity_days: int = Field(ge=1)
    invoice_like_types: list[str]
    requirements: dict[str, Requirement] = Field(min_length=1)
    cny_per_unit: dict[str, float]


class AcceptedProof(StrictSettings):
    doc_types: list[str] = Field(min_length=1)
    applies_to: Literal["all", "branded", "import"]
    # Checked when goods arrive: a branded lot received without it is a goods-in warning.
    goods_in_check: bool = False


class DefensibilitySettings(StrictSettings):
    platform: str = Field(min_length=1)
    accepted: dict[str, dict[str, AcceptedProof]] = Field(min_length=1)
    lots_named: int = Field(ge=1, le=50)

    @model_validator(mode="after")
    def _platform_known(self) -> DefensibilitySettings:
        if self.platform not in self.accepted:
            raise ValueError(f"no accepted proof listed for platform {self.platform!r}")
        if not self.accepted[self.platform]:
            raise ValueError(f"platform {self.platform!r} accepts no proof at all")
        return self

    def proof(self, platform: str | None = None) -> dict[str, AcceptedProof]:
        """What ``platform`` (default: the configured one) accepts, by proof name."""
        return self.accepted.get(platform or self.platform, self.accepted[self.platform])


class PriceSettings(StrictSettings):
    min_suppliers: int = Field(ge=2)
    min_log_scale: float = Field(gt=0)
    start_z: float = Field(ge=0)
    full_z: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> PriceSettings:
        if self.full_z <= self.start_z:
            raise ValueError("full_z must be above start_z")
        return self


class SourcingSettings(StrictSettings):
    channel_risk: dict[str, float]


class CounterfeitWeights(StrictSettings):
    counterfeit_reviews: float = Field(ge=0, le=1)
    counterfeit_complaints: float = Field(ge=0, le=1)
    counterfeit_units: float = Field(ge=0, le=1)
    evidence_gaps: float = Field(ge=0, le=1)
    price_anomaly: float = Field(ge=0, le=1)
    sourcing: float = Field(ge=0, le=1)


class QualityWeights(StrictSettings):
    quality_reviews: float = Field(ge=0, le=1)
    quality_complaints: float = Field(ge=0, le=1)
    defect_rate: float = Field(ge=0, le=1)
    critical_defects: float = Field(ge=0, le=1)
    lots_rejected: float = Field(ge=0, le=1)
    switching: float = Field(ge=0, le=1)


class Thresholds(StrictSettings):
    medium: float = Field(ge=0)
    high: float = Field(ge=0)
    critical: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.medium <= self.high <= self.critical:
            raise ValueError("tier thresholds must satisfy medium <= high <= critical")
        return self


class TierSettings(StrictSettings):
    counterfeit: Thresholds
    quality: Thresholds
    quality_max_tier: Tier
    discontinued_min_tier: Tier


class Bilingual(StrictSettings):
    zh: str
    en: str


class InspectionOverride(StrictSettings):
    level: str | None = None
    severity: str | None = None


class SelfCheckSettings(StrictSettings):
    days: int = Field(ge=1)
    min_weight: float = Field(gt=0, le=1)
    quality_reviews: float = Field(gt=0)


class ScoringSettings(StrictSettings):
    """Every knob of supplier scoring; see ``defaults/scoring.toml`` for the rationale."""

    scoring_version: str = Field(min_length=1)
    attribution_days: int = Field(ge=1)
    top_reasons: int = Field(ge=1, le=10)
    reason_min_contribution: float = Field(ge=0, le=1)
    statistics: StatisticsSettings
    complaints: ComplaintSettings
    inspections: InspectionSettings
    evidence: EvidenceSettings
    price: PriceSettings
    sourcing: SourcingSettings
    counterfeit_weights: CounterfeitWeights
    quality_weights: QualityWeights
    switching_strength: dict[str, float]
    tiers: TierSettings
    defensibility: DefensibilitySettings
    actions: dict[str, Bilingual]
    action_order: list[str] = Field(min_length=1)
    inspection: dict[str, InspectionOverride]
    self_check: SelfCheckSettings

    @model_validator(mode="after")
    def _complete(self) -> ScoringSettings:
        missing = [t for t in ACTION_CODES if t not in self.actions]
        if missing:
            raise ValueError(f"actions missing for: {missing}")
        if sorted(self.action_order) != sorted(ACTION_CODES):
            raise ValueError(f"action_order must list each of {list(ACTION_CODES)} once")
        return self


def default_scoring_dict() -> dict[str, Any]:
    """The shipped scoring defaults as a plain dict."""
    return shipped_toml(SCORING_RESOURCE)


def load_scoring_settings(overrides: Mapping[str, Any] | None = None) -> ScoringSettings:
    """The shipped defaults, with ``overrides`` merged in (nested maps merge, values replace)."""
    raw = default_scoring_dict()
    if overrides:
        raw = merge(raw, overrides)
    return ScoringSettings.model_validate(raw)
