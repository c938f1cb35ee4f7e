"""The bundled demo's reviews said in their product's own vocabulary (issue 14, point 5): every
category complains in Chinese and English, the truth labels match the texts, and the night
flags them at the recall measured on them, lexicon alone and with the learned model.

The recall floors are measured - 0.03 on the bundled demo (data/demo/_truth/
category_reviews_truth.csv), not goals: the lexicon was not tuned on these words and nothing
was added to it for them, so they show what the flagger does on a shop nobody here has seen.
Measured on 2026-12-03 with lexicon 2026.12.4 and model 2026.12.5 (lexicon / with
review_model on, which by default scores Chinese reviews only): zh quality 0.455 / 0.554 of
979, zh counterfeit 0.603 / 0.603 of 121, en quality 0.526 / 0.526 of 135, en counterfeit
0.500 / 0.500 of 14. Lexicon 2026.12.1 had zh quality 0.415 / 0.521 and en quality 0.385:
2026.12.2 and 2026.12.3 added terms written from REVIEW_LABELS.md's rules and examples (not
as pictured, barely works; itch and dandruff, small and sour fruit, see-through fabric, heat
that is not kept, short battery life), none from these reviews.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.demo.category_voice import load_category_bank
from supplier_audit.night import recipe
from supplier_audit.night.run import AuditRun

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
DEMO_NIGHT = dt.date(2026, 11, 26)
LABELS = ("quality_issue", "counterfeit_suspect")
# (language, label) -> recall floor: measured on the bundled demo - 0.03.
LEXICON_FLOORS = {
    ("zh", "quality_issue"): 0.425,
    ("zh", "counterfeit_suspect"): 0.573,
    ("en", "quality_issue"): 0.496,
    ("en", "counterfeit_suspect"): 0.470,
}
COMBINED_FLOORS = {
    ("zh", "quality_issue"): 0.524,
    ("zh", "counterfeit_suspect"): 0.573,
    ("en", "quality_issue"): 0.496,
    ("en", "counterfeit_suspect"): 0.470,
}


@pytest.fixture(scope="module")
def category_reviews() -> pd.DataFrame:
    """The truth of the reviews said in product vocabulary, with their texts."""
    truth = pd.read_csv(
        DEMO / "_truth" / "category_reviews_truth.csv",
        dtype={"review_id": str},
        true_values=["true"],
        false_values=["false"],
    )
    reviews = pd.read_csv(DEMO / "reviews.csv", dtype=str, keep_default_na=False)
    return truth.merge(reviews[["review_id", "text"]], on="review_id", validate="1:1")


def _night(tmp: Path, overrides: dict[str, object]) -> pd.DataFrame:
    config = load_config(overrides=overrides) if overrides else load_config(None)
    run = AuditRun(data_dir=DEMO, out_dir=tmp, as_of=DEMO_NIGHT, config=config)
    with run.exclusive():
        night = recipe.audit_night(run)
    return pd.read_csv(night / "review_flags.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def configured_flags(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return _night(tmp_path_factory.mktemp("configured"), {})


@pytest.fixture(scope="module")
def combined_flags(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return _night(tmp_path_factory.mktemp("combined"), {"review_model": True})


def test_every_category_complains_in_its_own_words_in_both_languages(
    category_reviews: pd.DataFrame,
) -> None:
    bank = load_category_bank()
    complaints = category_reviews[category_reviews[list(LABELS)].any(axis=1)]
    for code in bank.codes:
        for language in ("zh", "en"):
            mine = complaints[
                (complaints["category"] == code) & (complaints["language"] == language)
            ]
            assert mine["quality_issue"].sum() >= 3, (code, language)
        zh = complaints[(complaints["category"] == code) & (complaints["language"] == "zh")]
        assert zh["counterfeit_suspect"].sum() >= 3, code
    assert category_reviews["counterfeit_suspect"].sum() >= 100
    praise = category_reviews[~category_reviews[list(LABELS)].any(axis=1)]
    assert set(praise["category"]) == set(bank.codes)  # the same words said well, unflagged


def test_the_truth_labels_are_those_of_the_category_phrases_in_the_text(
    category_reviews: pd.DataFrame,
) -> None:
    """Each recorded review holds phrases of its SKU's category and language, and its labels
    are theirs: a quality phrase makes a quality issue, a counterfeit one a suspicion."""
    bank = load_category_bank()
    phrases = bank.phrases.to_pylist()
    for row in category_reviews.itertuples():
        ci, li = bank.codes.index(str(row.category)), ("zh", "en").index(str(row.language))
        begin, end = bank.offset[ci, li, 0], bank.offset[ci, li, -1] + bank.size[ci, li, -1]
        found = [i for i in range(begin, end) if phrases[i] in str(row.text)]
        assert found, row
        assert row.sku.startswith(f"{row.category}-")
        assert bool(row.quality_issue) == any(bank.quality_issue[i] for i in found), row
        assert bool(row.counterfeit_suspect) == any(bank.counterfeit_suspect[i] for i in found), row


def _recall(category_reviews: pd.DataFrame, flags: pd.DataFrame) -> dict[tuple[str, str], float]:
    flagged = category_reviews[["review_id", "language", *LABELS]].merge(
        flags[["review_id", *LABELS]], on="review_id", how="left", suffixes=("", "_flag")
    )
    recall = {}
    for language in ("zh", "en"):
        for label in LABELS:
            positive = flagged[(flagged["language"] == language) & flagged[label]]
            recall[(language, label)] = float((positive[f"{label}_flag"] == "True").mean())
    return recall


def test_the_night_flags_them_at_the_recall_measured(
    category_reviews: pd.DataFrame, configured_flags: pd.DataFrame, combined_flags: pd.DataFrame
) -> None:
    configured = _recall(category_reviews, configured_flags)
    combined = _recall(category_reviews, combined_flags)
    for key, floor in LEXICON_FLOORS.items():
        assert configured[key] >= floor, (key, configured)
    for key, floor in COMBINED_FLOORS.items():
        assert combined[key] >= floor, (key, combined)
    # the model only adds flags beside the lexicon: it finds product-word complaints it misses
    assert combined[("zh", "quality_issue")] > configured[("zh", "quality_issue")]


def test_where_only_the_model_flags_a_category_review_the_flags_say_so_and_why(
    category_reviews: pd.DataFrame, combined_flags: pd.DataFrame
) -> None:
    ours = combined_flags[combined_flags["review_id"].isin(category_reviews["review_id"])]
    by_model = ours[ours["flag_source"] == "model"]
    assert len(by_model) >= 50
    assert (by_model["categories"] == "learned").all()
    # every such flag names at least one n-gram of its text (the reason the Evidence sheet shows)
    ngrams = by_model["matched_terms"].str.split(";").map(lambda terms: [t for t in terms if t])
    assert ngrams.map(bool).all()
    assert (by_model["matched_terms"] != "learned").all()
    assert (by_model["probability"] != "").all()
    by_lexicon = ours[ours["flag_source"].isin(["lexicon", "both"])]
    assert (by_lexicon["categories"] != "learned").all()
