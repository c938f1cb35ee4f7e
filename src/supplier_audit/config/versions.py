"""Every rule that shaped a night, with its version and a hash, for the manifest: the run's
settings, the scoring weights, the platforms' complaint rules, the review lexicon, the learned
flagger, the ISO 2859-1 / GB/T 2828.1 tables and the words of the workbooks. Two nights with the
same inputs and the same rule hashes give the same outputs.

The review flagger's version (:func:`review_flagger_version`) is the one decision of when a
review's stored flags (``night/flag_store.py``) still hold: the lexicon, the learned model and
whether it is in use, the flagger's own code and the libraries it computes with.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from supplier_audit.config.files import canonical_sha256, shipped_text
from supplier_audit.config.settings import AuditConfig
from supplier_audit.contracts.wording import words_resource

ISO_TABLES = "tables"
ISO_STANDARD = "ISO 2859-1:1999 / GB/T 2828.1-2012"
_LEXICON = "defaults/lexicon.toml"
_MODEL = "review_terms/model/flagger.json"
_FLAGGER_CODE = "review_terms"
# What the flags are computed with besides the rules: a new release may move a flag.
_FLAGGER_LIBRARIES = ("numpy", "pandas", "pyarrow", "ahocorasick-rs")


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
        "languages": sorted(settings.review_model_languages) if settings.review_model else [],
    }


def _lexicon(settings: AuditConfig) -> dict[str, Any]:
    lexicon = tomllib.loads(shipped_text(_LEXICON))
    return {
        "version": str(lexicon.get("version", "")),
        "sha256": canonical_sha256(
            {"shipped": lexicon, "shop": settings.lexicon, "replace": settings.lexicon_replace}
        ),
    }


def _flagger_code_sha256() -> str:
    folder = resources.files("supplier_audit").joinpath(_FLAGGER_CODE)
    digest = hashlib.sha256()
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            digest.update(entry.name.encode("utf-8") + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()


def review_flagger_version(settings: AuditConfig) -> dict[str, Any]:
    """The version of the review flags a run with ``settings`` computes: ``sha256`` changes
    with the lexicon (shipped and the shop's), the learned model and whether it is in use, the
    code of ``review_terms/`` and the versions of the libraries it computes with; a stored
    flag of another version is not used (``version`` is its first 16 hex digits)."""
    parts = {
        "lexicon": _lexicon(settings),
        "flagger_model": _model(settings),
        "code": _flagger_code_sha256(),
        "libraries": {name: _installed(name) for name in _FLAGGER_LIBRARIES},
    }
    sha256 = canonical_sha256(parts)
    return {"version": sha256[:16], "sha256": sha256}


def _installed(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def rule_versions(settings: AuditConfig) -> dict[str, dict[str, Any]]:
    """Name -> version and sha256 of every rule set in force for a run with ``settings`` (the
    effective rules: the shipped file with the shop's settings laid over it)."""
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
        "lexicon": _lexicon(settings),
        "flagger_model": _model(settings),
        "review_flagger": review_flagger_version(settings),
        "iso_tables": {"version": ISO_STANDARD, "sha256": _files_sha256(_iso_tables())},
        "words": {"version": settings.report_language, "sha256": _files_sha256([words])},
    }
