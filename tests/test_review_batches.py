"""Reviews in partitions: the same night whatever the cut, duplicates across partitions,
Parquet row-group batches, and progress reporting (the Dask runner: tests/test_flow.py)."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.demo import generate_world
from supplier_audit.night import recipe
from supplier_audit.night.partitions import plan_review_partitions
from supplier_audit.night.progress import TerminalProgress, reporting_to
from supplier_audit.night.run import AuditRun

AS_OF = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, suppliers=25, seed=11, as_of=AS_OF)
    return folder


@pytest.fixture(scope="module")
def whole(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The night of the world as generated: reviews in one CSV file."""
    return _night(world, tmp_path_factory.mktemp("whole"))


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def stage_started(self, stage: str) -> None:
        self.events.append(("start", stage))

    def advanced(self, stage: str, done: int, total: int) -> None:
        self.events.append(("advance", stage, f"{done}/{total}"))

    def stage_finished(self, stage: str, seconds: float) -> None:
        self.events.append(("end", stage))


@pytest.fixture(scope="module")
def split_night(world: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Recorder]:
    """The night of the world with its reviews in three CSV files, and what it reported of its
    stages and partitions as it ran."""
    recorder = Recorder()
    folder = tmp_path_factory.mktemp("split")
    with reporting_to(recorder):
        night = _night(_split(world, folder / "data", 3), folder / "parts")
    return night, recorder


def _night(data: Path, out: Path, config: Path | None = None) -> Path:
    run = AuditRun(data_dir=data, out_dir=out, as_of=AS_OF, config=load_config(config))
    with run.exclusive():
        return recipe.audit_night(run)


def _reviews_text(world: Path) -> pd.DataFrame:
    return pd.read_csv(world / "reviews.csv", dtype=str, keep_default_na=False)


def _split(world: Path, dest: Path, parts: int, *, extra: pd.DataFrame | None = None) -> Path:
    """A copy of ``world`` whose reviews are a folder of ``parts`` CSV files (``extra`` rows
    appended to the last one)."""
    shutil.copytree(world, dest, ignore=shutil.ignore_patterns("reviews.csv"))
    reviews = _reviews_text(world)
    (dest / "reviews").mkdir()
    size = -(-len(reviews) // parts)
    for number in range(parts):
        chunk = reviews.iloc[number * size : (number + 1) * size]
        if number == parts - 1 and extra is not None:
            chunk = pd.concat([chunk, extra], ignore_index=True)
        chunk.to_csv(dest / "reviews" / f"part-{number}.csv", index=False)
    return dest


def _scores(night: Path) -> pd.DataFrame:
    return pd.read_csv(night / "supplier_scores.csv")


def _manifest(night: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((night / "manifest.json").read_text(encoding="utf-8"))
    return loaded


def test_a_folder_of_partitions_gives_the_night_of_one_file(
    whole: Path, split_night: tuple[Path, Recorder]
) -> None:
    split, _ = split_night

    pd.testing.assert_frame_equal(_scores(split), _scores(whole), check_exact=False, rtol=1e-12)
    for name in ("review_flags.csv", "inspection_plan.csv"):
        assert (split / name).read_text(encoding="utf-8") == (whole / name).read_text(
            encoding="utf-8"
        )
    one = _manifest(whole)["inputs"]["reviews"]  # type: ignore[index]
    many = _manifest(split)["inputs"]["reviews"]  # type: ignore[index]
    for count in ("rows_read", "rows_valid", "rows_quarantined", "rows_pending"):
        assert many[count] == one[count]
    assert [f["file"] for f in many["files"]] == [f"reviews/part-{n}.csv" for n in range(3)]
    assert all(len(f["sha256"]) == 64 for f in many["files"])
    assert many["conserved"] is True


def test_a_review_repeated_in_a_later_partition_is_quarantined_not_counted_twice(
    world: Path, whole: Path, tmp_path: Path
) -> None:
    reviews = _reviews_text(world)
    first = reviews.iloc[[10]].assign(text="假货，和专柜的不一样")  # a copy that would flag
    repeated = _night(_split(world, tmp_path / "rep", 3, extra=first), tmp_path / "rep-out")

    pd.testing.assert_frame_equal(_scores(repeated), _scores(whole), check_exact=False, rtol=1e-12)
    counts = _manifest(repeated)["inputs"]["reviews"]  # type: ignore[index]
    before = _manifest(whole)["inputs"]["reviews"]  # type: ignore[index]
    assert counts["rows_read"] == before["rows_read"] + 1
    assert counts["rows_valid"] == before["rows_valid"]
    assert counts["rows_quarantined"] == before["rows_quarantined"] + 1
    quarantine = pd.read_csv(repeated / "quarantine" / "reviews.csv", dtype=str)
    moved = quarantine[quarantine["review_id"] == first["review_id"].iloc[0]]
    assert len(moved) == 1
    assert moved["source_file"].iloc[0] == "part-2.csv"
    # row 12 of part-0.csv: the header is row 1 and the review was the 11th data row
    assert moved["reason"].iloc[0] == (
        f"duplicate review_id {first['review_id'].iloc[0]} (first kept, in part-0.csv on row 12)"
    )
    assert moved["text"].iloc[0] == "假货，和专柜的不一样"


def test_a_big_parquet_file_is_read_in_batches_of_row_groups(
    world: Path, whole: Path, tmp_path: Path
) -> None:
    data = tmp_path / "parquet"
    shutil.copytree(world, data, ignore=shutil.ignore_patterns("reviews.csv"))
    reviews = _reviews_text(world)
    pq.write_table(
        pa.Table.from_pandas(reviews, preserve_index=False),
        data / "reviews.parquet",
        row_group_size=1000,
    )
    groups = -(-len(reviews) // 1000)
    partitions = plan_review_partitions([data / "reviews.parquet"], batch_rows=2500)
    assert [p.row_groups for p in partitions] == [
        tuple(range(start, min(start + 3, groups))) for start in range(0, groups, 3)
    ]
    assert sum(p.rows or 0 for p in partitions) == len(reviews)
    assert (
        plan_review_partitions([data / "reviews.parquet"], batch_rows=10**7)[0].row_groups is None
    )

    config = tmp_path / "batches.toml"
    config.write_text("[ingest]\nreview_batch_rows = 2500\n", encoding="utf-8")
    batched = _night(data, tmp_path / "batched", config)
    pd.testing.assert_frame_equal(_scores(batched), _scores(whole), check_exact=False, rtol=1e-12)
    assert (batched / "review_flags.csv").read_text(encoding="utf-8") == (
        whole / "review_flags.csv"
    ).read_text(encoding="utf-8")
    files = _manifest(batched)["inputs"]["reviews"]["files"]  # type: ignore[index]
    assert [(f["file"], f["rows_read"]) for f in files] == [("reviews.parquet", len(reviews))]


def test_a_night_reports_each_stage_and_each_partition(
    split_night: tuple[Path, Recorder],
) -> None:
    _, recorder = split_night
    started = [e[1] for e in recorder.events if e[0] == "start"]
    assert started[:4] == ["ingest", "reviews", "guard", "switching"]
    assert {"score", "inspection", "report"} <= set(started)
    assert [e for e in recorder.events if e[0] == "advance"] == [
        ("advance", "reviews", "1/3"),
        ("advance", "reviews", "2/3"),
        ("advance", "reviews", "3/3"),
    ]
    assert recorder.events.count(("end", "reviews")) == 1


def test_terminal_progress_draws_the_stages_and_partitions(world: Path, tmp_path: Path) -> None:
    from rich.console import Console

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with TerminalProgress(console=console) as shown, reporting_to(shown):
        _night(_split(world, tmp_path / "split", 2), tmp_path / "out")
    drawn = screen.getvalue()
    assert "reviews" in drawn and "2/2" in drawn
    assert "report" in drawn
