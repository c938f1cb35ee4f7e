"""The review flag store: a night flags only the reviews whose id, text and flagger version the
store lacks, gives the outputs of a night that flags everything, and only a published night
changes the store (issue 14)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.config.versions import review_flagger_version
from supplier_audit.demo import generate_world
from supplier_audit.night import flag_store, recipe
from supplier_audit.night.run import AuditRun
from tests.output_digests import night_digests

AS_OF = dt.date(2026, 11, 26)
STORE = Path("history") / "review_flags"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, suppliers=5, seed=5, as_of=AS_OF)
    return folder


@pytest.fixture(scope="module")
def scratch(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The night of the world flagged from scratch (no store before it)."""
    return _night(world, tmp_path_factory.mktemp("scratch"))


def _after_first_night(scratch: Path, out: Path) -> Path:
    """``out`` as the world's first night leaves it: a copy of the scratch night's output folder
    (the night, the history and the store it started). The store keeps no path of its own, so
    the copy is what a first night into ``out`` would write (test_a_second_night_flags_nothing
    runs that first night itself); returns the copied night."""
    shutil.copytree(scratch.parent, out)
    return out / scratch.name


def _night(data: Path, out: Path, *, config: Path | None = None, as_of: dt.date = AS_OF) -> Path:
    run = AuditRun(data_dir=data, out_dir=out, as_of=as_of, config=load_config(config))
    with run.exclusive():
        return recipe.audit_night(run)


def _flags(night: Path) -> dict[str, object]:
    record: dict[str, object] = json.loads((night / "manifest.json").read_text("utf-8"))[
        "review_flags"
    ]
    return record


def _flagger() -> str:
    return str(review_flagger_version(load_config().settings)["sha256"])


def _valid_reviews(night: Path) -> int:
    manifest = json.loads((night / "manifest.json").read_text("utf-8"))
    return int(manifest["inputs"]["reviews"]["rows_valid"])


def _store_state(out: Path) -> dict[str, bytes]:
    folder = out / STORE
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def _copy_world(world: Path, dest: Path) -> Path:
    shutil.copytree(world, dest)
    return dest


def _edit_review(data: Path, row: int, text: str) -> str:
    """Change one review's text; returns its id."""
    reviews = pd.read_csv(data / "reviews.csv", dtype=str, keep_default_na=False)
    reviews.loc[row, "text"] = text
    reviews.to_csv(data / "reviews.csv", index=False)
    return str(reviews.loc[row, "review_id"])


def test_a_second_night_flags_nothing_and_writes_the_same_outputs(
    world: Path, scratch: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = _night(world, out)
    assert _flags(first) == {
        "flagged_fresh": _valid_reviews(first),
        "from_store": 0,
        "store": "used",
    }
    expected = night_digests(scratch)
    assert night_digests(first) == expected
    review_flags = (first / "review_flags.csv").read_bytes()

    second = _night(world, out)

    assert _flags(second) == {
        "flagged_fresh": 0,
        "from_store": _valid_reviews(second),
        "store": "used",
    }
    assert (second / "review_flags.csv").read_bytes() == review_flags
    assert night_digests(second) == expected


def test_an_edited_review_is_flagged_again_and_its_new_flags_are_used(
    world: Path, scratch: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    data = _copy_world(world, tmp_path / "data")
    _after_first_night(scratch, out)
    review_id = _edit_review(data, 3, "收到的是假货，质量很差")

    edited = _night(data, out)
    from_scratch = _night(data, tmp_path / "scratch")

    assert _flags(edited)["flagged_fresh"] == 1
    assert night_digests(edited) == night_digests(from_scratch)
    flagged = pd.read_csv(edited / "review_flags.csv", dtype=str)
    row = flagged[flagged["review_id"] == review_id].iloc[0]
    assert row["counterfeit_suspect"] == "True" and row["quality_issue"] == "True"
    assert _flags(_night(data, out))["flagged_fresh"] == 0  # the edit is stored in turn


def test_a_new_lexicon_or_model_flags_every_review_once_and_drops_the_old_entries(
    world: Path, scratch: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _after_first_night(scratch, out)
    old_segments = {name for name in _store_state(out) if name.startswith("seg-")}
    lexicon = tmp_path / "shop.toml"
    lexicon.write_text(
        '[[lexicon.terms]]\ncategory = "counterfeit"\nseverity = 3\nzh = ["水货"]\n', "utf-8"
    )
    model = tmp_path / "model.toml"
    model.write_text("review_model = true\n", "utf-8")  # the default is off

    for config in (lexicon, model):
        night = _night(world, out, config=config)
        assert _flags(night)["flagged_fresh"] == _valid_reviews(night)
        assert night_digests(night) == night_digests(
            _night(world, tmp_path / f"scratch-{config.stem}", config=config)
        )
    pointer = json.loads((out / STORE / flag_store.POINTER).read_bytes())
    assert pointer["flagger"] == review_flagger_version(load_config(model).settings)["sha256"]
    assert not old_segments & set(_store_state(out))  # the first version's entries are gone


def test_the_flagger_version_follows_the_lexicon_and_the_model() -> None:
    shipped = review_flagger_version(load_config().settings)
    shop = load_config(
        overrides={
            "lexicon": {"terms": [{"category": "counterfeit", "severity": 3, "zh": ["水货"]}]}
        }
    )
    model = load_config(overrides={"review_model": True})
    languages = load_config(
        overrides={"review_model": True, "review_model_languages": ["zh", "en"]}
    )
    scoring = load_config(overrides={"scoring": {"top_reasons": 4}})
    assert review_flagger_version(shop.settings) != shipped
    assert review_flagger_version(model.settings) != shipped
    assert review_flagger_version(languages.settings) != review_flagger_version(model.settings)
    assert review_flagger_version(scoring.settings) == shipped  # scoring does not move a flag


def test_a_held_night_leaves_the_store_as_it_was(
    world: Path, scratch: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    data = _copy_world(world, tmp_path / "data")
    _after_first_night(scratch, out)
    before = _store_state(out)
    _edit_review(data, 5, "做工很差，用了两天就坏了")  # a review the night flags anew ...
    complaints = pd.read_csv(data / "complaints.csv", dtype=str, keep_default_na=False)
    complaints.iloc[: len(complaints) // 3].to_csv(data / "complaints.csv", index=False)

    held = _night(data, out, as_of=AS_OF + dt.timedelta(days=1))  # ... but the guards hold

    assert held.parent.name == "held"
    assert _flags(held)["flagged_fresh"] == 1
    assert _store_state(out) == before
    assert not list((out / STORE).glob(".staging-*"))


@pytest.mark.parametrize("damage", ["pointer", "segment", "missing segment", "missing pointer"])
def test_a_damaged_store_is_one_warning_and_every_review_flagged_anew(
    world: Path, scratch: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    out = tmp_path / "out"
    _after_first_night(scratch, out)
    folder = out / STORE
    segment = next(folder.glob("seg-*.parquet"))
    if damage == "pointer":
        (folder / flag_store.POINTER).write_text('{"format": 1, "flagger": ', "utf-8")
    elif damage == "segment":
        segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    elif damage == "missing segment":
        segment.unlink()
    else:
        (folder / flag_store.POINTER).unlink()

    with caplog.at_level(logging.WARNING, logger="supplier_audit.night.flag_store"):
        night = _night(world, out)

    warnings = [r for r in caplog.records if r.name == "supplier_audit.night.flag_store"]
    assert len(warnings) == 1 and "flagged anew" in warnings[0].getMessage()
    assert _flags(night)["flagged_fresh"] == _valid_reviews(night)
    assert night_digests(night) == night_digests(scratch)
    healed = flag_store.open_flag_store(out / "history", flagger=_flagger(), night="check")
    assert healed.rows == _valid_reviews(night)  # the store is whole again


def test_new_reviews_between_stored_ones_are_the_only_ones_flagged(
    world: Path, scratch: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    data = _copy_world(world, tmp_path / "data")
    reviews = pd.read_csv(data / "reviews.csv", dtype=str, keep_default_na=False)
    new = reviews.iloc[::37]  # held back from the first night, then exported between the rest
    reviews.drop(new.index).to_csv(data / "reviews.csv", index=False)
    _night(data, out)
    reviews.to_csv(data / "reviews.csv", index=False)

    second = _night(data, out)

    assert _flags(second) == {
        "flagged_fresh": len(new),
        "from_store": _valid_reviews(second) - len(new),
        "store": "used",
    }
    assert night_digests(second) == night_digests(scratch)


def test_reviews_exported_in_another_order_are_all_found_in_the_store(
    world: Path, scratch: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    data = _copy_world(world, tmp_path / "data")
    first = _after_first_night(scratch, out)
    before = pd.read_csv(first / "review_flags.csv", dtype=str, keep_default_na=False)
    reviews = pd.read_csv(data / "reviews.csv", dtype=str, keep_default_na=False)
    reviews.sample(frac=1.0, random_state=3).to_csv(data / "reviews.csv", index=False)

    second = _night(data, out)

    assert _flags(second)["from_store"] == _valid_reviews(second)
    after = pd.read_csv(second / "review_flags.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(
        after.sort_values("review_id", ignore_index=True),
        before.sort_values("review_id", ignore_index=True),
    )


@pytest.mark.parametrize("damage", ["missing", "another shape"])
def test_a_lost_id_index_is_built_again_and_every_stored_flag_still_used(
    world: Path, scratch: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    out = tmp_path / "out"
    first = _after_first_night(scratch, out)
    segment = next((out / STORE).glob("seg-*.parquet"))
    ids = flag_store.id_index_path(segment)
    written = ids.read_bytes()
    if damage == "missing":
        ids.unlink()
    else:
        with ids.open("wb") as stream:
            np.save(stream, np.zeros((2, 3), dtype=np.uint64))

    with caplog.at_level(logging.WARNING, logger="supplier_audit.night"):
        second = _night(world, out)

    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert _flags(second)["from_store"] == _valid_reviews(second)
    assert night_digests(second) == night_digests(first)
    assert ids.read_bytes() == written  # the night's publication wrote them again


def test_many_segments_are_merged_keeping_each_reviews_latest_entry(
    world: Path, scratch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    data = _copy_world(world, tmp_path / "data")
    _after_first_night(scratch, out)  # one segment: as many as MAX_SEGMENTS below allows
    monkeypatch.setattr(flag_store, "MAX_SEGMENTS", 1)
    _edit_review(data, 7, "假货")
    assert _flags(_night(data, out))["flagged_fresh"] == 1

    pointer = json.loads((out / STORE / flag_store.POINTER).read_bytes())
    assert len(pointer["segments"]) == 1  # two segments merged: the edit's entry replaced the old
    assert pointer["segments"][0]["rows"] == _valid_reviews(out / AS_OF.isoformat())
    last = _night(data, out)
    assert _flags(last)["flagged_fresh"] == 0
    assert night_digests(last) == night_digests(_night(data, tmp_path / "scratch"))


def test_the_text_hash_tells_every_edit_apart_and_ignores_where_the_text_lies() -> None:
    from supplier_audit.contracts.text_hashes import string_hashes

    texts = ["", None, "a", "a\0", "质量很差", "质量很好", "abcdefgh", "abcdefgh\0", "x" * 100]
    hashes = string_hashes(pd.Series(texts, dtype="str"))
    assert len(set(hashes.tolist())) == len(texts)
    assert (string_hashes(pd.Series(texts, dtype=object)) == hashes).all()
    many = pd.Series([f"评论{i}很好" * (i % 13) for i in range(300_000)], dtype="str")
    whole = string_hashes(many)
    part = string_hashes(many.iloc[200_000:200_010])  # a slice of the Arrow buffers
    assert (part == whole[200_000:200_010]).all()
    base = "这个产品质量很差，用了一个星期就坏了 broke after a week"
    edits = {base[:i] + c + base[i + 1 :] for i in range(len(base)) for c in "差好a假 "}
    assert len(set(string_hashes(pd.Series(sorted(edits), dtype="str")).tolist())) == len(edits)
