"""Every rule that shaped a night, with its version and a hash, for the manifest: the run's
settings, the scoring weights, the platforms' complaint rules, the review lexicon, the learned
flagger, the ISO 2859-1 / GB/T 2828.1 tables and the words of the workbooks. Two nights with the
same inputs and the same rule hashes give the same outputs."""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from typing import Any

from supplier_audit.config.files import canonical_sha256, shipped_text
from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.wording import words_resource

ISO_TABLES = "tables"
ISO_STANDARD = "ISO 2859-1:1999 / GB/T 2828.1-2012"
_LEXICON = "defaults/lexicon.toml"
_MODEL = "review_terms/model/flagger.json"


def _files_sha256(names: list[str]) -> str:
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode("utf-8") + b"\0" + shipped_text(name).encode("utf-8") + b"\0")
    return digest.hexdigest()


def _iso_tables() -> list[str]:
    folder = resources.files("supplier_audit").joinpath(ISO_TABLES)
    return sorted(
        f"{ISO_TABLES}/{entry.name}" for entry in folder.iterdir() if entry.name.endswith(".csv")
    )


def _model(settings: AuditConfig) -> dict[str, Any]:
    entry = resources.files("supplier_audit").joinpath(_MODEL)
    if not entry.is_file():
        return {"version": "", "sha256": "", "in_use": False}
    text = entry.read_text("utf-8")
    return {
        "version": str(json.loads(text).get("version", "")),
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "in_use": settings.review_model,
    }


def rule_versions(settings: AuditConfig) -> dict[str, dict[str, Any]]:
    """Name -> version and sha256 of every rule set in force for a run with ``settings`` (the
    effective rules: the shipped file with the shop's settings laid over it)."""
    lexicon = tomllib.loads(shipped_text(_LEXICON))
    words = words_resource(settings.report_language)
    return {
        "config": {"version": settings.config_version, "sha256": settings.sha256},
        "scoring": {
            "version": settings.scoring.scoring_version,
            "sha256": canonical_sha256(settings.scoring.model_dump(mode="json")),
        },
        "platforms": {
            "version": settings.complaints.rules_version,
            "sha256": canonical_sha256(settings.complaints.model_dump(mode="json")),
        },
        "lexicon": {
            "version": str(lexicon.get("version", "")),
            "sha256": canonical_sha256(
                {"shipped": lexicon, "shop": settings.lexicon, "replace": settings.lexicon_replace}
            ),
        },
        "flagger_model": _model(settings),
        "iso_tables": {"version": ISO_STANDARD, "sha256": _files_sha256(_iso_tables())},
        "words": {"version": settings.report_language, "sha256": _files_sha256([words])},
    }
