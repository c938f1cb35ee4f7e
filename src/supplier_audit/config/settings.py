"""Typed settings of one audit run: every section, checked (unknown keys refused)."""

from __future__ import annotations

import re
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from supplier_audit.complaints.rules import ComplaintDeskSettings
from supplier_audit.config.files import canonical_sha256
from supplier_audit.contracts.inputs import ALL_INPUT_COLUMNS
from supplier_audit.contracts.rules import ENUM_COLUMNS
from supplier_audit.contracts.strict import StrictSettings
from supplier_audit.contracts.vocabulary import InspectionLevel
from supplier_audit.sampling.acceptance import AcceptanceRule
from supplier_audit.scoring.settings import ScoringSettings

DEFAULT_CONFIG_RESOURCE = "defaults/config.toml"


class ConfigError(ValueError):
    """A configuration file that cannot be used, with a message naming the file and the key."""


class IngestSettings(StrictSettings):
    max_title_rows: int = Field(ge=0, le=200)
    excel_serial_dates_in_csv: bool
    default_currency: str = Field(pattern=r"^[A-Z]{3}$")
    max_workbook_megabytes: float = Field(gt=0)
    review_batch_rows: int = Field(ge=1000)


class SamplingSettings(StrictSettings):
    aql: float = Field(gt=0, le=1000)
    inspection_level: InspectionLevel
    switching_by: Literal["supplier", "supplier_sku"]
    allow_reduced: bool
    recent_days: int = Field(ge=1, le=3660)
    count_minor_defects: bool
    units_per_carton: int = Field(ge=0)
    sample_sizing: Literal["standard", "zero_acceptance", "proportional"]
    zero_acceptance_max_defect_rate: float = Field(gt=0, le=1)
    zero_acceptance_confidence: float = Field(gt=0, lt=1)
    daily_budget_units: int = Field(ge=1)

    @field_validator("aql")
    @classmethod
    def _standard_aql(cls, aql: float) -> float:
        from supplier_audit.sampling import aql_problem

        problem = aql_problem(aql)
        if problem is not None:
            raise ValueError(problem)
        return aql

    @property
    def acceptance_rule(self) -> AcceptanceRule:
        """What scoring and the reports judge an inspected lot by (its nominal plan)."""
        return AcceptanceRule(
            aql=self.aql,
            level=self.inspection_level,
            count_minor_defects=self.count_minor_defects,
        )


class ScheduleSettings(StrictSettings):
    cron: str

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, cron: str) -> str:
        fields = cron.split()
        if len(fields) != 5 or not all(re.fullmatch(r"[\d*/,\-A-Za-z?LW#]+", f) for f in fields):
            raise ValueError(f"{cron!r} is not a cron expression like '0 2 * * *'")
        return cron


class GuardSettings(StrictSettings):
    """When a night is held instead of published (compared with the last published night)."""

    max_row_drop: float = Field(ge=0, le=1)
    max_quarantine_share: float = Field(ge=0, le=1)
    min_rows: int = Field(ge=0)
    stale_tables: list[str]

    @field_validator("stale_tables")
    @classmethod
    def _known_tables(cls, tables: list[str]) -> list[str]:
        from supplier_audit.contracts.inputs import INPUT_TABLES

        unknown = sorted(set(tables) - set(INPUT_TABLES))
        if unknown:
            raise ValueError(f"not input tables: {unknown} (tables: {', '.join(INPUT_TABLES)})")
        return tables


_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class DeliverySettings(StrictSettings):
    """Who hears of a night, and how: e-mail over SMTP and/or a chat webhook."""

    smtp_host: str
    smtp_port: int = Field(ge=0, le=65535)
    smtp_tls: Literal["none", "starttls", "ssl"]
    smtp_user: str
    smtp_password_env: str = Field(pattern=r"^([A-Za-z_][A-Za-z0-9_]*)?$")
    smtp_ca_file: str
    sender: str
    purchasers: list[str]
    qa: list[str]
    alerts: list[str]
    webhook_url: str = Field(pattern=r"^(https?://\S+)?$")
    webhook_style: Literal["slack", "dingtalk", "wecom", "json"]
    webhook_secret_env: str = Field(pattern=r"^([A-Za-z_][A-Za-z0-9_]*)?$")
    max_attachment_megabytes: float = Field(gt=0)
    attempts: int = Field(ge=1, le=10)
    retry_seconds: float = Field(ge=0, le=3600)
    timeout_seconds: float = Field(gt=0, le=600)

    @field_validator("purchasers", "qa", "alerts")
    @classmethod
    def _addresses(cls, addresses: list[str]) -> list[str]:
        bad = [a for a in addresses if not _ADDRESS.match(a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {bad}")
        return addresses

    @model_validator(mode="after")
    def _mail_needs_a_server(self) -> DeliverySettings:
        if (self.purchasers or self.qa or self.alerts) and not (self.smtp_host and self.sender):
            raise ValueError("recipients are given: smtp_host and sender are needed too")
        if self.sender and not _ADDRESS.match(self.sender.rpartition("<")[2].rstrip(">")):
            raise ValueError(f"sender {self.sender!r} is not an e-mail address")
        return self

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host and (self.purchasers or self.qa or self.alerts))

    @property
    def alert_recipients(self) -> list[str]:
        """Who hears of a failed or held night: ``alerts``, or else everyone."""
        if self.alerts:
            return list(self.alerts)
        return list(dict.fromkeys([*self.purchasers, *self.qa]))


class AliasSettings(StrictSettings):
    columns: dict[str, list[str]]
    values: dict[str, dict[str, list[str]]]
    booleans: dict[Literal["true", "false"], list[str]]

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, columns: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(columns) - ALL_INPUT_COLUMNS)
        if unknown:
            raise ValueError(f"aliases given for columns the contract does not have: {unknown}")
        return columns

    @field_validator("values")
    @classmethod
    def _known_enums(
        cls, values: dict[str, dict[str, list[str]]]
    ) -> dict[str, dict[str, list[str]]]:
        unknown = sorted(set(values) - set(ENUM_COLUMNS))
        if unknown:
            raise ValueError(f"value aliases for columns that are not enums: {unknown}")
        return values


def _chinese_only() -> list[Literal["zh", "en"]]:
    return ["zh"]


class AuditConfig(StrictSettings):
    """Every setting of one audit run."""

    config_version: str = Field(min_length=1)
    timezone: str
    lookback_days: int = Field(ge=1, le=3660)
    seed: int = Field(ge=0)
    report_language: Literal["zh", "en"]
    lock_wait_seconds: float = Field(ge=0)
    stage_timeout_minutes: float = Field(gt=0)
    read_retries: int = Field(ge=0, le=10)
    mask_contacts_in_reports: bool
    report_max_evidence_rows: int = Field(ge=100, le=1_048_574)
    ingest: IngestSettings
    sampling: SamplingSettings
    schedule: ScheduleSettings
    guard: GuardSettings
    delivery: DeliverySettings
    # Weights, thresholds and actions of the risk scores: defaults/scoring.toml explains them.
    scoring: ScoringSettings
    # The complaint desk: platform deadlines and accepted documents, lot tracing, signals
    # (defaults/platforms.toml explains them).
    complaints: ComplaintDeskSettings
    # Review terms: a section with the structure of defaults/lexicon.toml extends the shipped
    # lexicon (or replaces it when lexicon_replace is true).
    lexicon: dict[str, Any] = Field(default_factory=dict)
    lexicon_replace: bool = False
    # The learned flagger beside the lexicon (review_terms/model/flagger.json): when on, a review
    # is flagged when the lexicon or the model flags it, for the languages listed in
    # review_model_languages (Chinese only: in English it lowers precision below 0.80 on
    # categories it never saw). Off by default: it flags short praise (声音很清楚) and its first
    # night costs minutes at 10 M reviews (docs/configuration.md, benchmarks/README.md).
    review_model: bool = False
    review_model_languages: list[Literal["zh", "en"]] = Field(default_factory=_chinese_only)
    aliases: AliasSettings

    @field_validator("timezone")
    @classmethod
    def _real_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {name!r} (use e.g. 'Asia/Shanghai')") from exc
        return name

    @model_validator(mode="after")
    def _usable_lexicon(self) -> AuditConfig:
        if self.lexicon or self.lexicon_replace:
            from supplier_audit.review_terms import lint_lexicon, load_lexicon

            try:
                problems = lint_lexicon(load_lexicon(self.lexicon, replace=self.lexicon_replace))
            except ValidationError as exc:
                raise ValueError(
                    f"lexicon: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}"
                ) from exc
            if problems:
                raise ValueError("lexicon: " + "; ".join(problems[:5]))
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def sha256(self) -> str:
        """Hash of the effective settings, recorded in every manifest and report."""
        return canonical_sha256(self.model_dump(mode="json"))
