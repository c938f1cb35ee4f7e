"""What a purchaser and an inspector read is in their language: no internal key, no "<NA>",
no English value of the contract's enums in a Chinese workbook, and the reverse for English.

Checked on a whole night's workbooks as written. Left out here, named: the review texts and
matched terms (the buyers' words), and the Run info sheet's settings and package names.
Quarantine reasons are put in Chinese by pattern (reporting.labels._REASONS_ZH); one no
pattern knows stays in English.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from supplier_audit.config.loading import load_config
from supplier_audit.contracts.inputs import CHANNELS
from supplier_audit.contracts.vocabulary import RISK_TIERS, SWITCHING_SEVERITIES
from supplier_audit.night import recipe
from supplier_audit.night.run import AuditRun
from supplier_audit.reporting.labels import all_keys

from .test_print import demo_or_small_world

AS_OF = dt.date(2026, 11, 26)
CATEGORIES = (
    "counterfeit", "defect", "damage", "smell", "colour", "workmanship", "material", "size",
    "expired", "missing", "safety", "quality",
)  # fmt: skip
INTERNAL_PREFIXES = tuple({key.split(".")[0] + "." for key in all_keys() if "." in key})
# Cells whose text is data or not yet localised (see the module's docstring).
NOT_CHECKED = {"运行信息", "Run info"}
FREE_TEXT_HEADERS = {"内容", "Text", "命中词"}


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    world = demo_or_small_world(tmp_path_factory)
    found = {}
    for language in ("zh", "en"):
        config = tmp_path_factory.mktemp(f"cfg-{language}") / "shop.toml"
        config.write_text(f'report_language = "{language}"\n', encoding="utf-8")
        run = AuditRun(
            data_dir=world,
            out_dir=tmp_path_factory.mktemp(f"out-{language}"),
            as_of=AS_OF,
            config=load_config(config),
        )
        with run.exclusive():
            found[language] = recipe.audit_night(run)
    return found


def _shown_cells(night: Path) -> list[tuple[str, str, str]]:
    """(sheet, column header, text) of every text cell a person reads in the night's workbooks."""
    cells = []
    for workbook in sorted(night.glob("*.xlsx")):
        book = openpyxl.load_workbook(workbook)
        for sheet in book.worksheets:
            if sheet.title in NOT_CHECKED or sheet.sheet_state != "visible":
                continue
            header: list[str] = []
            for row in sheet.iter_rows():
                texts = [str(c.value) if c.value is not None else "" for c in row]
                if not header and sum(bool(t) for t in texts) > 2:
                    header = [t.split("\n")[0] for t in texts]
                    continue
                for position, text in enumerate(texts):
                    column = header[position] if position < len(header) else ""
                    if text and not text.startswith("=") and column not in FREE_TEXT_HEADERS:
                        cells.append((sheet.title, column, text))
    return cells


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_internal_key_or_missing_value_marker_is_shown(
    nights: dict[str, Path], language: str
) -> None:
    bad = [
        cell
        for cell in _shown_cells(nights[language])
        if cell[2] in ("<NA>", "nan", "None", "NaT") or cell[2].startswith(INTERNAL_PREFIXES)
    ]
    assert bad == []


def test_the_chinese_workbooks_show_no_english_enum_value(nights: dict[str, Path]) -> None:
    english = {*CHANNELS, *SWITCHING_SEVERITIES, *CATEGORIES, *RISK_TIERS}
    bad = [
        cell
        for cell in _shown_cells(nights["zh"])
        if set(re.split(r"[;、,\s]+", cell[2])) & english
    ]
    assert bad == []


def test_the_english_workbooks_show_no_chinese_word_of_their_own(nights: dict[str, Path]) -> None:
    """Chinese in the English report may only come from the data (names, brands, terms)."""
    data_columns = {"Supplier name", "Supplier", "Brand", "Matched terms", "SKU", "Text"}
    # the complaint desk: suppliers' names and contacts, the buyer's own words
    data_columns |= {"Supplier(s)", "Supplier contact", "Description"}
    bad = [
        cell
        for cell in _shown_cells(nights["en"])
        # a cell in Chinese alone (an English sentence may quote a brand or a term)
        if re.search(r"[\u4e00-\u9fff]", cell[2])
        and not re.search(r"[A-Za-z]{3}", cell[2])
        and cell[1] not in data_columns
        and cell[0] not in ("Pick list",)
    ]
    assert bad == []


# Words whose languages count differently on purpose: "RK1、RK2等19个" (the total) against
# "RK1, RK2 and 17 more" (the rest); the code passes both numbers.
BY_GRAMMAR = {("scoring", "and_more")}


def test_the_words_files_say_the_same_things_in_both_languages() -> None:
    """One words file per language: the same sections and keys, every word filled in, and the
    same {placeholders} on both sides (a missing one would print as a KeyError at night)."""
    from supplier_audit.config.files import shipped_toml
    from supplier_audit.contracts.wording import words_resource

    files = {language: shipped_toml(words_resource(language)) for language in ("zh", "en")}
    assert (
        files["zh"].keys()
        == files["en"].keys()
        == {"vocabulary", "report", "notice", "desk", "gaps", "scoring"}
    )
    for section, zh in files["zh"].items():
        en = files["en"][section]
        assert zh.keys() == en.keys(), section
        for key in zh:
            assert zh[key].strip() and en[key].strip(), (section, key)
            fields = [set(re.findall(r"\{(\w*)[^}]*\}", words[key])) for words in (zh, en)]
            if (section, key) not in BY_GRAMMAR:
                assert fields[0] == fields[1], (section, key)


def test_the_shared_vocabulary_is_written_once() -> None:
    """Channels, inspection severities, evidence requirements, gap statuses and yes/no are
    words of [vocabulary] alone: no section repeats one of its keys, every section reads them,
    and the report, the scores' reasons, the Documents sheet and the desk say the same word."""
    from supplier_audit.contracts.wording import VOCABULARY, words
    from supplier_audit.reporting.labels import label as label_for
    from supplier_audit.scoring import messages as msg

    shared = words(VOCABULARY)
    for section in ("report", "notice", "desk", "gaps", "scoring"):
        assert shared.items() <= words(section).items(), section
    root = Path(__file__).resolve().parents[1]
    text = (root / "src/supplier_audit/contracts/words/zh.toml").read_text(encoding="utf-8")
    assert text.count('"加严检验"') == 1
    for language, side in (("zh", 0), ("en", 1)):
        assert label_for("severity.tightened", language) == shared["severity.tightened"][side]
        assert msg.label(msg.SEVERITIES, "tightened", language) == label_for(
            "severity.tightened", language
        )
        assert msg.label(msg.CHANNELS, "marketplace", language) == label_for(
            "channel.marketplace", language
        )
