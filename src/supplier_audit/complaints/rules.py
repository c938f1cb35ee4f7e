"""The complaint desk's rules as data: ``defaults/platforms.toml``, typed and checked."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from supplier_audit.config.files import shipped_toml
from supplier_audit.contracts.inputs import DOC_TYPES, PLATFORMS
from supplier_audit.contracts.strict import StrictSettings

PLATFORMS_RESOURCE = "defaults/platforms.toml"


class PackRequirement(StrictSettings):
    """One thing an evidence pack may need, and the document types that satisfy it."""

    doc_types: list[str] = Field(min_length=1)
    applies_to: Literal["all", "branded", "import"]
    check_units: bool

    @model_validator(mode="after")
    def _known_types(self) -> PackRequirement:
        unknown = sorted(set(self.doc_types) - set(DOC_TYPES))
        if unknown:
            raise ValueError(f"unknown document types {unknown}")
        return self


class PlatformRule(StrictSettings):
    """How long a platform gives the shop, and what it accepts as proof."""

    response_days: int = Field(ge=0, le=365)
    assumed: bool
    requires: list[str]
    accepted_doc_types: list[str] = Field(min_length=1)
    retail_receipts_count: bool

    @model_validator(mode="after")
    def _known_types(self) -> PlatformRule:
        unknown = sorted(set(self.accepted_doc_types) - set(DOC_TYPES))
        if unknown:
            raise ValueError(f"unknown document types {unknown}")
        return self

    def accepts(self, doc_type: str) -> bool:
        """Whether a document of this type counts as proof on this platform."""
        if doc_type == "retail_receipt":
            return self.retail_receipts_count
        return doc_type in self.accepted_doc_types


class ComplaintDeskSettings(StrictSettings):
    """Every setting of the complaint desk (defaults/platforms.toml explains each)."""

    rules_version: str = Field(min_length=1)
    trace_window_days: int = Field(ge=1, le=3660)
    trace_max_lots: int = Field(ge=1, le=100)
    due_soon_hours: int = Field(ge=1, le=24 * 365)
    burst_days: int = Field(ge=0, le=365)
    burst_min_complaints: int = Field(ge=2)
    appeal_window_days: int = Field(ge=1, le=3660)
    evidence_files_max: int = Field(ge=0, le=1_000_000)
    requirements: dict[str, PackRequirement] = Field(min_length=1)
    platforms: dict[str, PlatformRule]

    @model_validator(mode="after")
    def _complete(self) -> ComplaintDeskSettings:
        missing = [p for p in PLATFORMS if p not in self.platforms]
        if missing:
            raise ValueError(f"platforms without a rule: {missing}")
        unknown = sorted(set(self.platforms) - set(PLATFORMS))
        if unknown:
            raise ValueError(f"rules for platforms the contract does not have: {unknown}")
        for name, rule in self.platforms.items():
            stray = sorted(set(rule.requires) - set(self.requirements))
            if stray:
                raise ValueError(f"platforms.{name}.requires names unknown requirements {stray}")
        return self

    def rule(self, platform: str) -> PlatformRule:
        """The rule of ``platform`` (an unknown or empty platform is "other")."""
        return self.platforms.get(platform, self.platforms["other"])

    def satisfying_types(self, platform: str, requirement: str) -> list[str]:
        """The document types that satisfy ``requirement`` on ``platform``."""
        rule = self.rule(platform)
        return [t for t in self.requirements[requirement].doc_types if rule.accepts(t)] + (
            ["retail_receipt"]
            if requirement == "purchase_proof" and rule.retail_receipts_count
            else []
        )


def default_platforms_dict() -> dict[str, Any]:
    """The shipped complaint-desk defaults as a plain dict."""
    return shipped_toml(PLATFORMS_RESOURCE)


def load_desk_settings(overrides: dict[str, Any] | None = None) -> ComplaintDeskSettings:
    """The shipped defaults, with ``overrides`` replacing keys (tests, scripts)."""
    raw = default_platforms_dict()
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return ComplaintDeskSettings.model_validate(raw)


def judged_platform(platform: pd.Series) -> pd.Series:
    """The platform whose rules judge each complaint: its own when the rules file knows it,
    else "other" (blank included)."""
    known = platform.astype("string").fillna("other")
    return known.where(known.isin(PLATFORMS), "other")
