"""The rule files shipped in the package and how a shop's settings are laid over them: one
reader, one merge, one hash for every settings file (config, scoring, platforms, lexicon)."""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any


def shipped_text(resource: str, package: str = "supplier_audit") -> str:
    """The text of a file shipped in the package, e.g. ``"defaults/scoring.toml"``."""
    return resources.files(package).joinpath(resource).read_text("utf-8")


def shipped_toml(resource: str, package: str = "supplier_audit") -> dict[str, Any]:
    """A shipped TOML file as a plain dict."""
    return tomllib.loads(shipped_text(resource, package))


def merge(
    base: Mapping[str, Any], override: Mapping[str, Any], *, extend_lists: bool = False
) -> dict[str, Any]:
    """``override`` laid over ``base``: nested maps merge, other values replace; lists extend
    (without repeats) where ``extend_lists``, and always under an ``aliases`` map."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = merge(current, value, extend_lists=extend_lists or key == "aliases")
        elif extend_lists and isinstance(current, list) and isinstance(value, list):
            merged[key] = current + [v for v in value if v not in current]
        else:
            merged[key] = value
    return merged


def canonical_sha256(value: Any) -> str:
    """sha256 of a JSON-able value written canonically (sorted keys): the same settings give the
    same hash whatever order their file was written in."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
