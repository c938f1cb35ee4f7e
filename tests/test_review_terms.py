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
    row: pd.Series = flag_texts([text]).iloc[0]
    return row


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


# REVIEW_LABELS.md's rules that lexicon 2026.12.2 added (issue 14's own examples among them)
@pytest.mark.parametrize(
    ("text", "quality", "counterfeit"),
    [
        # 假 meaning sham, and fake reviews, are not counterfeit goods
        ("价格保护就是假的", False, False),
        ("好评都是假的，别信", False, False),
        ("双十一的活动就是假的，根本没降价", False, False),
        ("the 5 star reviews must be fake", False, False),
        # ... but the goods called fake beside them still are
        ("评价都是假的，收到的也是假货", False, True),
        ("跟在商场买的不一样", False, True),
        ("the bottle feels cheaper than the real one", False, True),
        ("活动期间买到假货，气死了", False, True),
        # suspicion by contrast with the buyer's own earlier purchases of the brand
        ("用了好几年的牌子，这次味道和效果都不一样", False, True),
        ("这次收到的跟上次的味道完全不同", False, True),
        ("这次的效果和以前一样好", False, False),
        ("这次的包装和以前不一样，但东西没问题", False, False),
        # not as described or pictured; barely works
        ("not like the picture at all", True, False),
        ("looks nothing like the photos", True, False),
        ("exactly as described", False, False),
        ("it barely works after a week", True, False),
        ("实物与图片不符", True, False),
        ("与描述相符，很好", False, False),
        # smelling like the genuine one is praise, not a smell complaint
        ("smells exactly like the one from the mall", False, False),
        ("smells like chemicals", True, False),
    ],
)
def test_label_rules_of_lexicon_2026_12_2(text: str, quality: bool, counterfeit: bool) -> None:
    row = flags(text)
    assert (bool(row.quality_issue), bool(row.counterfeit_suspect)) == (quality, counterfeit)


@pytest.mark.parametrize(
    ("text", "quality"),
    [
        # REVIEW_LABELS.md's examples said in the goods' own words (lexicon 2026.12.3) ...
        ("用了以后头皮很痒", True),
        ("头皮屑越洗越多", True),
        ("水果很小，不甜", True),
        ("芒果是生的，硬邦邦", True),
        ("衣服很薄，透光", True),
        ("保温杯只能保温6个小时", True),
        ("电池不耐用，一天要充三次", True),
        ("this shampoo made my scalp itchy", True),
        ("the fruit was small and not sweet", True),
        ("the shirt is see-through", True),
        ("the flask doesn't keep drinks hot", True),
        ("battery drains fast", True),
        # ... and the same goods praised stay quiet
        ("去屑效果很好，头皮不痒了", False),
        ("用了一周头屑没了", False),
        ("很透气，穿着舒服", False),
        ("苹果又大又甜，没有烂的", False),
        ("不甜不腻，刚刚好", False),
        ("保温效果很好，一天都是热的", False),
        ("手机很流畅，一点都不卡", False),
        ("会员卡已经办了", False),
        ("很干净，包装严实", False),
        ("我是过敏体质也能用", False),
        ("no more dandruff, my scalp feels great", False),
        ("not itchy at all, soft fabric", False),
        ("it doesn't keep me waiting, fast charger", False),
    ],
)
def test_quality_in_the_goods_own_words(text: str, quality: bool) -> None:
    assert bool(flags(text).quality_issue) == quality


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


def test_lexicon_terms_normalised_together_read_as_each_alone() -> None:
    """The lexicon normalises its ~25,000 spellings in one joined pass: each must come out as
    it would alone (no filler run across two terms, widths, case, traditional, stripping)."""
    from supplier_audit.review_terms import normalise as norm
    from supplier_audit.review_terms.lexicon import (
        LexiconModel,
        _expansions,
        _negation_words,
        _shipped_raw,
        _spellings,
    )

    model = LexiconModel.model_validate(_shipped_raw())
    odd = ["假 ", " 货", "假", "~", "货~", "质量 差", "ＦＡＫＥ", " Not Original ", "假貨", "", " "]
    terms = [*odd, *_spellings(model, _expansions(model), _negation_words(model))]
    alone = [norm.normalise_with_map(t.strip())[0] for t in terms]
    saved = dict(norm._TERM_FORMS)
    norm._TERM_FORMS.clear()
    try:
        norm.normalise_terms(terms)
        assert len(norm._TERM_FORMS) == len(set(terms))
        assert [norm._TERM_FORMS[t] for t in terms] == alone
        assert [norm.normalise_term(t) for t in terms] == alone
    finally:
        norm._TERM_FORMS.clear()
        norm._TERM_FORMS.update(saved)


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
              "no smell", "ＦＡＫＥ", "不是没有异味", "一点异味都没有", "坏了也没人管",
              "外箱压扁了", "外箱压扁了，杯子碎了", "听说有假货", "山寨本的价格", "宁可买盗版",
              "odor free", "box arrived crushed and the lens cracked",
              "朋友问：是正品吗？"]  # fmt: skip
    out = flag_texts(texts)
    for text, spans in zip(texts, out.spans, strict=True):
        expected = [(h["start"], h["end"], h["term"]) for h in explain_text(text) if h["flagged"]]
        assert spans == expected, text


def _mixed_reviews(count: int, seed: int) -> list[str]:
    """Texts pieced together from the lexicon's own words: terms next to cues, modifiers,
    post cues, question markers, hearsay, containers, coordination, price words, ignored
    phrases, punctuation, spaces, full-width and traditional forms. Every rule of the reading
    meets every other one somewhere in here."""
    lexicon = load_lexicon()
    rng = np.random.default_rng(seed)
    words = [w for name in lexicon.negation for w in lexicon.words(name)]
    pools = [
        sorted(t.text for t in lexicon.terms),
        sorted(set(words)),
        [*"，。？?!！：:、；;.,() ", " ", "  ", "\n", "～", "-", "“"],
        [*"的了是很有我这个东西买收到好一般", "good", "the", "it", "a", "was", "ed", "s"],
        ["A", "Ｆ", "質", "貨", "假 货", "\u3000", "FAKE", "Not", "!?"],
    ]
    chosen = rng.choice(len(pools), size=(count, 11), p=[0.3, 0.3, 0.2, 0.17, 0.03])
    sizes = rng.integers(1, 12, count)
    out = []
    for row, size in zip(chosen, sizes, strict=True):
        parts = [pools[p][int(rng.integers(len(pools[p])))] for p in row[:size]]
        out.append(("" if rng.random() < 0.6 else " ").join(parts))
    return out


def test_vectorised_reading_agrees_with_the_per_text_analysis_on_mixed_texts() -> None:
    """The hit table (one automaton pass, numpy rules) must flag what the regexes read."""
    texts = _mixed_reviews(4000, seed=20261126)
    out = flag_texts(texts)
    for text, row in zip(texts, out.itertuples(), strict=True):
        hits = [h for h in explain_text(text) if h["flagged"]]
        assert row.spans == [(h["start"], h["end"], h["term"]) for h in hits], text
        assert row.matched_terms == ";".join(dict.fromkeys(h["term"] for h in hits)), text
        assert row.categories == ";".join(sorted({h["category"] for h in hits})), text
        assert row.max_severity == max((h["severity"] for h in hits), default=0), text


def test_hit_table_decides_most_reviews_as_the_batch_reading_does() -> None:
    """Plain reviews are read by the hit table, identically to ``Matcher.batch``; only rare
    rows are left undecided for the per-text reading (what keeps flag_texts within a few
    times a bare RE2 scan when every review is distinct)."""
    from supplier_audit.review_terms.hit_table import reader_for
    from supplier_audit.review_terms.matcher import matcher_for

    lexicon = load_lexicon()
    matcher = matcher_for(lexicon)
    plain = [
        "质量太差了，用了两天就坏了", "不是正品，防伪码查不到", "没有异味，不掉色", "是假货",
        "broke after a week, cheap plastic", "no smell at all, not fake", "线头多",
        "一点也不臭", "不是假货，但是质量差", "并非假货", "not genuine", "没有色差",
    ]  # fmt: skip
    texts = [f"{t}，第{i}次买" for i, t in enumerate(plain * 40)]
    big = "\x00".join(texts) + "\x00"
    row_starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    every = np.ones(len(texts), dtype=bool)
    row, start, end, term, negated, doubt, undecided = reader_for(matcher, lexicon).read(
        big, row_starts, readable=every, asking=~every
    )
    assert not doubt.any()
    assert np.unique(row[undecided]).size < len(texts) // 10
    terms = reader_for(matcher, lexicon).terms
    decided: dict[int, list[tuple[int, int, str, bool]]] = {}
    for r, a, b, t, neg, left in zip(row, start, end, term, negated, undecided, strict=True):
        flagged = bool(neg) == (terms[t].polarity == "positive")
        if flagged and not left:
            offset = int(row_starts[r])
            decided.setdefault(int(r), []).append(
                (a - offset, b - offset, terms[t].text, bool(neg))
            )
    expected: dict[int, list[tuple[int, int, str, bool]]] = {}
    for r, a, b, t, neg in matcher.batch(texts):
        if r not in set(row[undecided].tolist()):
            expected.setdefault(r, []).append((a, b, t.text, neg))
    assert decided == expected


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


# ------------------------------------------- phrasings from the demo phrase bank, generalised


@pytest.mark.parametrize(
    "text",
    ["一点异味都没有", "一点划痕都没有", "线头也没有，很好", "色差完全没有", "异味一点也没有啊",
     "开线都没有的", "odor free", "scratch-free and shiny"],
)  # fmt: skip
def test_negation_after_the_term_at_the_end_of_its_clause(text: str) -> None:
    row = flags(text)
    assert not row.quality_issue and row.spans == [], explain_text(text)


@pytest.mark.parametrize(
    ("text", "category"),
    [("坏了也没人管", "defect"), ("有异味没有人处理", "smell"),
     ("一点异味都没有，就是开线了", "workmanship"),
     ("arrived broken free shipping though", "damage")],
)  # fmt: skip
def test_a_cue_after_the_term_followed_by_more_words_negates_nothing(
    text: str, category: str
) -> None:
    assert flags(text).categories == category, explain_text(text)


@pytest.mark.parametrize(
    "text",
    ["序列号查不到", "串号查不到", "SN码无效", "二维码扫出来显示已被查询", "IMEI查不到",
     "防伪码扫出来显示已被查询多次", "条形码对不上", "激活码验证失败",
     "serial number does not exist", "the serial number is invalid"],
)  # fmt: skip
def test_a_verification_code_that_does_not_check_out_is_counterfeit(text: str) -> None:
    row = flags(text)
    assert row.counterfeit_suspect and not row.quality_issue, explain_text(text)


@pytest.mark.parametrize(
    "text",
    ["一看就是仿的", "明显是仿的", "这是仿款", "一眼就看出是仿品", "knock off", "it's a knock off",
     "looks like a cheap copy", "not the real brand", "包装和正品差很多", "字体跟专柜的不同",
     "跟之前买的正品完全不一样", "颜色与官网的差别很大", "专柜说不是他们家的货",
     "厂家说不是他们生产的"],
)  # fmt: skip
def test_imitations_and_differences_from_the_genuine_are_counterfeit(text: str) -> None:
    assert flags(text).counterfeit_suspect, explain_text(text)


@pytest.mark.parametrize(
    "text",
    ["防伪码可以查到", "序列号查到了是正品", "the serial number checked out", "他模仿的很像",
     "这个是仿真的，很逼真", "I'd knock off a star for the price", "this is the real brand",
     "和正品一模一样", "正品就是不一样", "和正品没有区别", "不是他们家的问题，是快递的问题",
     "价格和专柜差很多，划算"],
)  # fmt: skip
def test_near_misses_of_counterfeit_phrasings_do_not_flag(text: str) -> None:
    assert not flags(text).counterfeit_suspect, explain_text(text)


@pytest.mark.parametrize(
    "text",
    ["外箱压扁了", "外包装有点破损", "纸箱都被压坏了", "快递盒子破了", "the package was damaged",
     "box arrived crushed"],
)  # fmt: skip
def test_damage_to_the_shipping_packaging_is_not_product_damage(text: str) -> None:
    row = flags(text)
    assert not row.quality_issue, explain_text(text)
    assert any("packaging" in h["why"] for h in explain_text(text))


@pytest.mark.parametrize(
    ("text", "term"),
    [("外箱完好，杯子碎了", "碎了"), ("包装盒里的耳机坏了", "坏了"),
     ("外箱压扁了，里面的杯子也碎了", "碎了"), ("杯子压扁了", "压坏"), ("箱子轮子坏了", "坏了"),
     ("包裹外面湿了 充不进电", "不充电"),
     ("the box was crushed and the lens cracked", "cracked")],
)  # fmt: skip
def test_damage_to_the_product_still_flags_next_to_a_box(text: str, term: str) -> None:
    row = flags(text)
    assert row.quality_issue and row.matched_terms.split(";") == [term], explain_text(text)


@pytest.mark.parametrize(
    "text",
    ["材质很薄", "面料太薄了", "扣子掉了", "拉链头掉下来了", "鞋跟脱落", "电池不耐用",
     "qualty is bad", "bad qulity", "the quality was very poor"],
)  # fmt: skip
def test_more_quality_complaints(text: str) -> None:
    row = flags(text)
    assert row.quality_issue and not row.counterfeit_suspect, explain_text(text)


@pytest.mark.parametrize("text", ["机身很薄，很轻", "the quality is not bad", "扣子很结实，没掉"])
def test_praise_near_quality_words_does_not_flag(text: str) -> None:
    assert not flags(text).quality_issue, explain_text(text)


@pytest.mark.parametrize(
    "text",
    ["听说这家有假货，我买的没问题", "网上说是高仿，收到后发现不是", "不像有些人说的是盗版，很清晰",
     "朋友问：是正品吗？", "那人又问：正版还是盗版？", "山寨机的价格，大牌的品质", "宁可买盗版",
     "还要自己买盗版的系统", "看了真正的假货才知道这是正品"],
)  # fmt: skip
def test_hearsay_quotes_prices_and_choices_are_not_counterfeit_claims(text: str) -> None:
    row = flags(text)
    assert not row.counterfeit_suspect, explain_text(text)


@pytest.mark.parametrize(
    "text",
    ["同事看了都说是假的", "我问客服：是正品吗？", "正品的价格，假货的质量", "买到盗版了",
     "买了个山寨货", "看来买盗版是要碰运气的"],
)  # fmt: skip
def test_claims_that_look_like_hearsay_or_choice_still_flag(text: str) -> None:
    assert flags(text).counterfeit_suspect, explain_text(text)


def test_explain_text_names_the_context_that_unflags_a_hit() -> None:
    (hit,) = explain_text("听说有假货")
    assert not hit["flagged"] and hit["why"] == "not a claim about the item: hearsay (听说)"
    (hit,) = explain_text("山寨本的价格")
    assert not hit["flagged"] and "price level" in hit["why"]


# ------------------------------------------------------------------- repeated texts


def test_repeated_and_distinct_inputs_flag_alike() -> None:
    """Repeated texts are flagged once and copied; all-distinct input is flagged row by row."""
    pool = ["质量差", "这是假貨", None, "外箱压扁了", "不是正品，防伪码查不到", "很好", "",
            "一点异味都没有", "Broke after a week"]  # fmt: skip
    single = flag_texts(pool)
    repeated = flag_texts(pool * 3000)  # 27,000 rows, 9 distinct: the deduplicating path
    for column in ("quality_issue", "counterfeit_suspect", "categories", "max_severity"):
        assert repeated[column].tolist() == single[column].tolist() * 3000, column
    assert repeated.spans.tolist() == single.spans.tolist() * 3000
    # every row holds its own spans list, shared with no other row
    assert repeated.spans.iloc[0] is not repeated.spans.iloc[9]
    distinct = [None if t is None else f"{t} #{i}" for i, t in enumerate(pool * 3000)]
    spread = flag_texts(distinct)  # every text distinct: flagged without deduplicating
    for column in ("quality_issue", "counterfeit_suspect", "categories", "max_severity"):
        assert spread[column].tolist() == repeated[column].tolist(), column


def test_every_shipped_term_has_a_name_to_show() -> None:
    """A group written only of templates ({cmpwith}{cmpbefore}{aspect}{differsx}) is named by
    its first spelling: review_flags.csv's matched_terms may not be empty (its contract)."""
    assert all(term.canonical for term in load_lexicon().terms)
