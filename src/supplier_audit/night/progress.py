"""Where a night stands, for whoever watches it: a person at a terminal, or the run's logs.

The stages report to the current :class:`ProgressReporter` (:func:`reporter`): a stage
starts, a stage with many parts (the review partitions) advances, a stage ends with its
seconds and counts. By default nothing is shown and the library only logs (the Prefect flow
forwards those logs to its run). ``supplier-audit run`` at a terminal installs
:class:`TerminalProgress`, a live rich display of the stages and of the partitions done.
"""

from __future__ import annotations

import logging
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

log = logging.getLogger(__name__)


class ProgressReporter(Protocol):
    """What a night tells about its progress."""

    def stage_started(self, stage: str) -> None: ...

    def advanced(self, stage: str, done: int, total: int) -> None: ...

    def stage_finished(self, stage: str, seconds: float) -> None: ...


class Silent:
    """Shows nothing (the default: logs still say when each stage ends)."""

    def stage_started(self, stage: str) -> None:
        return None

    def advanced(self, stage: str, done: int, total: int) -> None:
        return None

    def stage_finished(self, stage: str, seconds: float) -> None:
        return None


_current: ProgressReporter = Silent()
_lock = threading.Lock()


def reporter() -> ProgressReporter:
    """The reporter stages report to now."""
    return _current


@contextmanager
def reporting_to(target: ProgressReporter) -> Iterator[ProgressReporter]:
    """Report to ``target`` inside the block (the previous reporter is restored after)."""
    global _current
    with _lock:
        previous, _current = _current, target
    try:
        yield target
    finally:
        with _lock:
            _current = previous


def peak_memory_mib() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@contextmanager
def stage_progress(stage: str, seconds: dict[str, float]) -> Iterator[None]:
    """Report a stage's start and end, log its seconds and the peak memory so far, and
    record the seconds in ``seconds`` (even when the stage fails)."""
    reporter().stage_started(stage)
    start = time.perf_counter()
    try:
        yield
    finally:
        took = round(time.perf_counter() - start, 3)
        seconds[stage] = took
        reporter().stage_finished(stage, took)
        log.info("stage %s: %.1f s, peak memory %.0f MiB", stage, took, peak_memory_mib())


def wants_terminal_progress(stream: TextIO | None = None) -> bool:
    """Whether a person is watching: the stream (standard error) is a terminal."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class TerminalProgress:
    """A live display at the terminal: one line per stage with its time, and a bar for the
    stage that has parts (reviews: partitions done of all)."""

    def __init__(self, console: Any | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            SpinnerColumn(finished_text="✓"),
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._totals: dict[str, float] = {}

    def __enter__(self) -> TerminalProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def stage_started(self, stage: str) -> None:
        self._tasks[stage] = self._progress.add_task(stage, total=None)

    def advanced(self, stage: str, done: int, total: int) -> None:
        task = self._tasks.get(stage)
        if task is None:
            task = self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._totals[stage] = total
        self._progress.update(task, total=total, completed=done)

    def stage_finished(self, stage: str, seconds: float) -> None:
        task = self._tasks.get(stage)
        if task is None:
            return
        total = self._totals.get(stage, 1)
        self._progress.update(task, total=total, completed=total)
        self._progress.stop_task(task)
