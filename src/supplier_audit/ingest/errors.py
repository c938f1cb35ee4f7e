"""The one error that stops a night at ingest: an input file that cannot be read at all."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """An input that cannot be read at all: the run stops with this one message."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")
