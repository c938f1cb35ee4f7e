"""The base of every typed settings model: unknown keys refused, values frozen once loaded."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictSettings(BaseModel):
    """Settings read from a rule file: a misspelt key is an error, not a silent default, and
    nothing changes a setting after it was checked (the manifest's hash stays true)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
