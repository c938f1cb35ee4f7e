"""Loading one run's settings: the defaults shipped in the package, then the shop's TOML file
laid over them (:func:`supplier_audit.config.files.merge`)."""

from __future__ import annotations

import logging
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from supplier_audit.complaints.rules import default_platforms_dict
from supplier_audit.config.files import merge, shipped_toml
from supplier_audit.config.settings import DEFAULT_CONFIG_RESOURCE, AuditConfig, ConfigError
from supplier_audit.scoring.settings import default_scoring_dict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedConfig:
    """The effective settings and the file (if any) the user gave."""

    settings: AuditConfig
    user_file: Path | None


def default_settings_dict() -> dict[str, Any]:
    """The shipped defaults as a plain dict."""
    defaults = shipped_toml(DEFAULT_CONFIG_RESOURCE)
    defaults["scoring"] = default_scoring_dict()
    defaults["complaints"] = default_platforms_dict()
    return defaults


def _describe(error: ValidationError, source: str) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(f"{where}: not a known setting")
        else:
            lines.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    return f"config {source}: " + "; ".join(lines)


def load_config(
    path: Path | None = None, *, overrides: Mapping[str, Any] | None = None
) -> LoadedConfig:
    """Load the defaults, then the user's file: maps under [aliases] extend, others replace."""
    raw = default_settings_dict()
    source = "defaults"
    user: dict[str, Any] = {}
    if path is not None:
        source = str(path)
        try:
            user = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config {path}: file not found") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config {path}: not valid TOML ({exc})") from exc
        raw = merge(raw, user)
    if overrides:
        raw = merge(raw, overrides)
    raw = _without_major_aql(raw, user, source, overrides or {})
    try:
        settings = AuditConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from exc
    return LoadedConfig(settings=settings, user_file=Path(path) if path is not None else None)


def _without_major_aql(
    raw: dict[str, Any], user: Mapping[str, Any], source: str, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The settings without the retired ``scoring.inspections.major_aql``: ``[sampling] aql`` is
    the one AQL. An old file's value equal to it is ignored with a warning; a different one is
    a ConfigError naming both files and keys."""
    inspections = raw.get("scoring", {}).get("inspections", {})
    if "major_aql" not in inspections:
        return raw
    major_aql = inspections["major_aql"]
    in_overrides = "major_aql" in overrides.get("scoring", {}).get("inspections", {})
    major_file = "overrides" if in_overrides else source
    aql = raw.get("sampling", {}).get("aql")
    aql_file = (
        "overrides"
        if "aql" in overrides.get("sampling", {})
        else source
        if "aql" in user.get("sampling", {})
        else f"supplier_audit/{DEFAULT_CONFIG_RESOURCE}"
    )
    same = isinstance(major_aql, int | float) and isinstance(aql, int | float)
    if not (same and math.isclose(float(major_aql), float(aql), rel_tol=1e-9)):
        raise ConfigError(
            f"config {major_file}: scoring.inspections.major_aql = {major_aql} differs from "
            f"sampling.aql = {aql} in {aql_file}; the sampling AQL is the one AQL (scoring "
            "judges lots by it): remove scoring.inspections.major_aql, or set sampling.aql"
        )
    logger.warning(
        "config %s: scoring.inspections.major_aql is no longer read (it equals sampling.aql in "
        "%s, the one AQL); remove it",
        major_file,
        aql_file,
    )
    rest = {key: value for key, value in inspections.items() if key != "major_aql"}
    return {**raw, "scoring": {**raw["scoring"], "inspections": rest}}
