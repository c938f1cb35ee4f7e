"""Loading one run's settings: the defaults shipped in the package, then the shop's TOML file
laid over them (:func:`supplier_audit.config.files.merge`)."""

from __future__ import annotations

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
    try:
        settings = AuditConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from exc
    return LoadedConfig(settings=settings, user_file=Path(path) if path is not None else None)
