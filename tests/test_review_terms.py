"""Review term flagging: lexicon, normalisation, negation, questions, spans, output shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplier_audit.review_terms import (
    FLAG_COLUMNS,
    explain_text,
    flag_texts,
    lint_lexicon,
    load_lexicon,
    normalise_with_map,
)

DEVSET = Path(__file__).resolve().parents[1] / "data" / "review_devset" / "reviews_labelled.csv"


def flags(text: str) -> pd.Series:
    """The flag row of one text."""
    return flag_texts([text]).iloc[0]


# ----------------------------------------------------------------------------- lexicon


def test_shipped_lexicon_lints_clean() -> None:
    assert lint_lexicon(load_lexicon()) == []


def test_shipped_lexicon_covers_every_category_with_hundreds_of_terms() -> None:
    lexicon = load_lexicon()
    assert len(lexicon.terms) > 1000
    wanted = {"counterfeit", "defect", "damage", "smell", "colour", "workmanship", "material",
              "size", "expired", "missing", "safety"}  # fmt: skip
    assert wanted <= {t.category for t in lexicon.terms}
    assert {t.severity for t in lexicon.terms} <= {1, 2, 3}
    assert all(t.counterfeit == (t.category == "counterfeit") for t in lexicon.terms)


def _tiny(**sections: object) -> dict[str, object]:
    base: dict[str, object] = {
        "categories": {"smell": {"label": "Smell"}, "counterfeit": {"counterfeit": True}},
        "terms": [
            {"category": "smell", "severity": 2, "zh": ["异味"], "en": ["smell"]},
            {"category": "counterfeit", "severity": 3, "zh": ["假货"]},
        ],
    }
    base.update(sections)
    return base


def test_lint_reports_duplicates_unknown_and_empty_categories() -> None:
    extra = _tiny(
        categories={"smell": {}, "counterfeit": {"counterfeit": True}, "unused": {}},
        terms=[
            {"category": "smell", "severity": 2, "zh": ["异味", "異味"]},
            {"category": "counterfeit", "severity": 3, "zh": ["假货"]},
            {"category": "nowhere", "severity": 1, "zh": ["开线"]},
        ],
    )
    problems = lint_lexicon(load_lexicon(extra, replace=True))
    assert any("duplicate term '异味'" in p for p in problems)  # 異味 is 异味 once normalised
    assert any("unknown category 'nowhere'" in p for p in problems)
    assert any("category 'unused' has no terms" in p for p in problems)


def test_lint_reports_terms_that_can_never_be_reported() -> None:
    extra = _tiny(
        terms=[
            {"category": "smell", "severity": 2, "zh": ["异味", "怪，味"]},
            {"category": "counterfeit", "severity": 3, "zh": ["假货", "假货王"]},
        ],
    )
    extra["negation"] = {"zh_ignore": ["假货王", "没用的短语"]}
    problems = lint_lexicon(load_lexicon(extra, replace=True))
    assert any("'怪,味' contains clause punctuation" in p for p in problems)
    assert any("'假货王' contains the ignored phrase" in p for p in problems)
    assert any("'没用的短语' contains no term" in p for p in problems)


def test_one_character_terms_are_linted_and_still_matched() -> None:
    lexicon = load_lexicon({"terms": [{"category": "smell", "severity": 1, "zh": ["臭"]}]})
    assert any("'臭' has one character" in p for p in lint_lexicon(lexicon))
    out = flag_texts(["有点臭", "不臭", "质量差"], lexicon=lexicon)
    assert out.categories.tolist() == ["smell", "", "quality"]


def test_user_section_adds_overrides_and_removes_terms() -> None:
    extra = {
        "terms": [
            {"category": "smell", "severity": 3, "zh": ["榴莲味"]},
            {"category": "smell", "severity": 1, "zh": ["异味"]},  # override the shipped 2
        ],
        "remove": ["山寨"],
    }
    lexicon = load_lexicon(extra)
    assert lint_lexicon(lexicon) == []
    out = flag_texts(["一股榴莲味", "闻到异味", "山寨货"], lexicon=lexicon)
    assert out.quality_issue.tolist() == [True, True, False]
    assert out.counterfeit_suspect.tolist() == [False, False, True]  # 山寨货 is its own term
    assert out.max_severity.tolist() == [3, 1, 3]
    assert not flag_texts(["这是山寨"], lexicon=lexicon).counterfeit_suspect.iloc[0]
    assert flag_texts(["这是山寨"]).counterfeit_suspect.iloc[0]


def test_replace_makes_the_user_section_the_whole_lexicon() -> None:
    lexicon = load_lexicon(_tiny(), replace=True)
    assert {t.text for t in lexicon.terms} == {"异味", "smell", "假货"}
    out = flag_texts(["有异味", "掉色", "是假货"], lexicon=lexicon)
    assert out.categories.tolist() == ["smell", "", "counterfeit"]


# ------------------------------------------------------------------------ normalisation


def test_normalisation_width_case_and_traditional_keep_positions() -> None:
    text, origin = normalise_with_map("ＦＡＫＥ假貨Smells")
    assert text == "fake假货smells"
    assert origin == list(range(len("ＦＡＫＥ假貨Smells")))


@pytest.mark.parametrize("written", ["假 货", "假～货", "假-货", "假　货", "假 ~ 货", "假 - 货"])
def test_filler_inside_chinese_phrases_is_dropped(written: str) -> None:
    original = f"这是{written}！"
    text, origin = normalise_with_map(original)
    assert text == "这是假货!"
    assert [original[i] for i in origin] == ["这", "是", "假", "货", "！"]
    row = flags(f"这是{written}！")
    assert row.counterfeit_suspect
    start, end, term = row.spans[0]
    assert f"这是{written}！"[start:end] == written
    assert term == "假货"


def test_spaces_between_english_words_are_kept() -> None:
    assert normalise_with_map("No  Smell")[0] == "no  smell"
    assert not flags("No  smell at all").quality_issue


# --------------------------------------------------------------- negation and questions


@pytest.mark.parametrize(
    "text",
    ["不是假货", "没有异味", "不掉色", "并非假货", "绝对正品", "质量不差", "一点也不难闻",
     "一点都没有臭味", "完全没有色差", "没有任何异味", "从来没有开线", "以为是假的呢，原来是正品",
     "not fake", "no smell", "wasn't damaged", "no defects", "isn't broken", "does not smell",
     "it has no real problems", "会不会掉色？", "有没有异味?", "正品，放心", "绝对不是假货",
     "没有破损和划痕", "没有破损、划痕、污渍", "no scratches or dents", "not broken or damaged"],
)  # fmt: skip
def test_negated_or_plain_positive_text_does_not_flag(text: str) -> None:
    row = flags(text)
    assert not row.quality_issue and not row.counterfeit_suspect, explain_text(text)
    assert row.matched_terms == "" and row.spans == [] and row.max_severity == 0


@pytest.mark.parametrize(
    ("text", "category"),
    [("质量差", "quality"), ("掉色", "colour"), ("有异味", "smell"), ("开线了", "workmanship"),
     ("做工粗糙", "workmanship"), ("假货", "counterfeit"), ("不是正品", "counterfeit"),
     ("跟专柜的不一样", "counterfeit"), ("专柜验货不一样", "counterfeit"),
     ("防伪码查不到", "counterfeit"), ("A货", "counterfeit"), ("高仿", "counterfeit"),
     ("broke after a week", "defect"), ("it smells", "smell"), ("looks fake", "counterfeit"),
     ("a knock-off", "counterfeit"), ("knockoff", "counterfeit"), ("not genuine", "counterfeit"),
     ("not authentic", "counterfeit"), ("counterfeit", "counterfeit"), ("已经过期了", "expired"),
     ("少了配件", "missing"), ("充电器冒烟了", "safety"), ("尺码偏小", "size"),
     ("收到就破损了", "damage"), ("用了两天就坏了", "defect"), ("没想到质量这么差", "quality")],
)  # fmt: skip
def test_complaints_flag_their_category(text: str, category: str) -> None:
    row = flags(text)
    assert row.categories == category, explain_text(text)
    assert row.counterfeit_suspect == (category == "counterfeit")
    assert row.quality_issue == (category != "counterfeit")
    assert row.max_severity >= 1


def test_negation_carries_over_a_list_but_not_a_new_clause() -> None:
    assert flags("没有异味，掉色严重").categories == "colour"
    assert flags("有破损和划痕").matched_terms == "破损;划痕"
    hit = explain_text("没有破损和划痕")[1]
    assert hit["negated"] and "joined to a negated term" in hit["why"]


def test_double_negation_affirms_the_problem() -> None:
    row = flags("不是没有异味，只是很淡")
    assert row.quality_issue and row.categories == "smell"
    hit = explain_text("不是没有异味")[0]
    assert hit["negation_cues"] == ["没", "不是"] and not hit["negated"] and hit["flagged"]


def test_negation_scope_ends_at_the_clause() -> None:
    row = flags("不是假货，但是质量差")
    assert not row.counterfeit_suspect and row.quality_issue
    assert row.categories == "quality" and row.matched_terms == "质量差"
    row = flags("不是假货但是质量差")  # no comma: the contrast word alone splits
    assert not row.counterfeit_suspect and row.quality_issue
    row = flags("not fake but it smells")
    assert not row.counterfeit_suspect and row.categories == "smell"
    contrast = [h for h in explain_text("不是假货，但是质量差") if h["flagged"]]
    assert contrast[0]["contrast"] is True


@pytest.mark.parametrize(
    "text",
    [
        "是不是假的?",
        "是正品吗？",
        "这是正品吗",
        "is this real?",
        "Is it genuine?",
        "不知道是不是假货",
        "请问会不会有盗版书啊？",
    ],
)
def test_questions_of_doubt_are_counterfeit_suspicion(text: str) -> None:
    row = flags(text)
    assert row.counterfeit_suspect, explain_text(text)
    assert not row.quality_issue


def test_a_problem_asked_about_is_not_a_problem_reported() -> None:
    assert not flags("洗了会不会掉色？").quality_issue
    assert flags("为什么用了一天就坏了？").quality_issue  # a why-question reports the fault


def test_counterfactual_and_comparison_are_not_claims() -> None:
    assert not flags("原以为是假货，结果是正品").counterfeit_suspect
    assert not flags("纸质只比盗版书好一点").counterfeit_suspect


def test_words_that_merely_contain_a_term_do_not_flag() -> None:
    for text in ["如假包换", "真的假的？这么便宜", "I saved a broken-hearted friend", "crashes"]:
        row = flags(text)
        assert row.counterfeit_suspect is np.False_ or not row.counterfeit_suspect
    assert not flags("it is a fakest word").counterfeit_suspect  # 'fake' inside a word
    assert not flags("the deadline").quality_issue  # 'dead' inside a word


# ---------------------------------------------------------------------- spans and output


def test_spans_point_at_the_original_characters() -> None:
    text = "物流很快，但收到的是假貨，而且有股異味；ＦＡＫＥ！包装不是 正品"
    row = flags(text)
    pieces = [(text[s:e], term) for s, e, term in row.spans]
    assert pieces == [("假貨", "假货"), ("異味", "异味"), ("ＦＡＫＥ", "fake"),
                      ("不是 正品", "不是正品")]  # fmt: skip
    assert row.matched_terms == "假货;异味;fake;不是正品"
    assert row.categories == "counterfeit;smell"
    assert row.max_severity == 3


def test_output_keeps_order_index_and_types() -> None:
    texts = pd.Series(["质量差", None, "", np.nan, "很好", "not fake", "是假货"],
                      index=[10, 11, 12, 13, 14, 15, 16], dtype=object)  # fmt: skip
    out = flag_texts(texts)
    assert tuple(out.columns) == FLAG_COLUMNS
    assert out.index.tolist() == [10, 11, 12, 13, 14, 15, 16]
    assert out.quality_issue.tolist() == [True, False, False, False, False, False, False]
    assert out.counterfeit_suspect.tolist() == [False] * 6 + [True]
    assert out.max_severity.tolist() == [2, 0, 0, 0, 0, 0, 3]
    assert out.quality_issue.dtype == bool and out.max_severity.dtype == np.int64
    assert out.categories.tolist() == ["quality", "", "", "", "", "", "counterfeit"]
    assert out.spans.tolist()[1:6] == [[], [], [], [], []]
    assert flag_texts([]).shape == (0, len(FLAG_COLUMNS))
    twins = flag_texts(pd.Series(["假货", "假货"], index=["a", "a"]))
    assert twins.index.tolist() == ["a", "a"]
    assert twins.spans.tolist() == [[(0, 2, "假货")], [(0, 2, "假货")]]


def test_flag_texts_does_not_mutate_its_input() -> None:
    texts = pd.Series(["ＦＡＫＥ", "质量 差"])
    before = texts.copy()
    flag_texts(texts)
    pd.testing.assert_series_equal(texts, before)


def test_explain_text_lists_every_candidate_with_a_reason() -> None:
    hits = explain_text("没有异味，不像正品，正品")
    assert [(h["term"], h["negated"], h["flagged"]) for h in hits] == [
        ("异味", True, False),
        ("不是正品", True, True),  # 不像 + the positive term 正品
        ("正品", False, False),
    ]
    assert all(h["why"] for h in hits)
    assert explain_text("") == [] and explain_text(None) == []


def test_batch_path_agrees_with_the_per_text_analysis() -> None:
    """flag_texts' vectorised batch must flag exactly what explain_text reads one by one."""
    texts = pd.read_csv(DEVSET)["text"].tolist()
    texts += ["不是假货，但是质量差", "是正品吗？", "假 货", "這是假貨", "Not FAKE but smells",
              "no smell", "ＦＡＫＥ", "不是没有异味"]  # fmt: skip
    out = flag_texts(texts)
    for text, spans in zip(texts, out.spans, strict=True):
        expected = [(h["start"], h["end"], h["term"]) for h in explain_text(text) if h["flagged"]]
        assert spans == expected, text


# -------------------------------------------------------------------------- properties

BASE_TEXTS = [
    "不是假货，但是质量差", "没有异味，不掉色", "这是高仿的，跟专柜的不一样", "是不是假的?",
    "做工粗糙，开线了", "质量很好，物流很快", "不是没有异味", "绝对正品", "Broke after a week!",
    "No smell, not fake.", "It smells and looks fake", "isn't broken, works fine",
    "质量不错，就是有点掉色", "收到是假货，is this real?",
]  # fmt: skip
FILLERS = [" ", "～", "-", "·", "  ", " ~ "]


def _full_width(ch: str) -> str:
    return chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str]:
    """A base text and the same text with its case, width and fillers changed."""
    base = draw(st.sampled_from(BASE_TEXTS))
    out = []
    for i, ch in enumerate(base):
        if ch.isascii() and ch.isalpha() and draw(st.booleans()):
            ch = ch.swapcase()
        if ch.isascii() and draw(st.booleans()):
            ch = _full_width(ch)
        out.append(ch)
        nxt = base[i + 1] if i + 1 < len(base) else ""
        between_han = "\u4e00" <= base[i] <= "\u9fff" and "\u4e00" <= nxt <= "\u9fff"
        if between_han and draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(FILLERS)))
    return base, "".join(out)


@settings(max_examples=150, deadline=None)
@given(disguised())
def test_flags_ignore_case_width_and_filler(pair: tuple[str, str]) -> None:
    base, changed = pair
    out = flag_texts([base, changed])
    compare = ["quality_issue", "counterfeit_suspect", "categories", "matched_terms",
               "max_severity"]  # fmt: skip
    assert out.iloc[0][compare].tolist() == out.iloc[1][compare].tolist(), changed
    for start, end, _ in out.spans.iloc[1]:
        assert 0 <= start < end <= len(changed)
