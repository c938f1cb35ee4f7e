"""Every word the purchaser's workbook shows, in Chinese and English, from the words files
(``reporting/words/zh.toml`` and ``en.toml``: one per language, the same keys in both).

Chinese is the default (``report_language = "zh"``): the people reading the report first thing
in the morning are Chinese purchasers; English is one setting away. Column headers of the
machine-facing CSV files stay in English snake_case.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from importlib import resources
from typing import Final

Language = str


def words(section: str) -> dict[str, tuple[str, str]]:
    """One section of the words files (reporting/words/zh.toml and en.toml): key -> (zh, en)."""
    zh, en = _words_file("zh")[section], _words_file("en")[section]
    if zh.keys() != en.keys():
        raise ValueError(f"words [{section}]: zh.toml and en.toml name different keys")
    return {key: (zh[key], en[key]) for key in zh}


@functools.cache
def _words_file(language: Language) -> dict[str, dict[str, str]]:
    text = resources.files("supplier_audit.reporting").joinpath(f"words/{language}.toml")
    return tomllib.loads(text.read_text(encoding="utf-8"))


_LABELS: Final = words("report")


def plan_reason(codes: object, language: Language, fallback: object = None) -> str | None:
    """Why a lot is on tonight's plan, in words: ``codes`` is the plan's ``reason_codes``
    (a JSON list of [code, *values]); ``fallback`` (the English reason) when there are none."""
    if not isinstance(codes, str) or not codes:
        return None if fallback is None else str(fallback)
    separator = "；" if language == "zh" else "; "
    return separator.join(
        label(f"plan_reason.{code}", language).format(*values)
        for code, *values in json.loads(codes)
    )


# The ingest's reasons for quarantining a row (kinds, with quoted values shown as '…'), in
# Chinese: (pattern of the English reason, Chinese template over its groups). English reasons
# are shown as they are; a reason no pattern knows stays in English rather than be guessed.
_REASONS_ZH: Final = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (r"^(\w+) '(.*)' is not a number$", "{0}：'{1}' 不是数字"),
        (r"^(\w+) '(.*)' is not a whole number$", "{0}：'{1}' 不是整数"),
        (r"^(\w+) '(.*)' is too large$", "{0}：'{1}' 数值过大"),
        (r"^(\w+) '(.*)' is not a date \(write it as (.+)\)$", "{0}：'{1}' 不是日期（请写成 {2}）"),
        (
            r"^(\w+) '(.*)' is ambiguous \(day and month order unknown\); write it as (.+)$",
            "{0}：'{1}' 无法确定日和月的顺序，请写成 {2}",
        ),
        (r"^(\w+) '(.*)' is not one of: (.+)$", "{0}：'{1}' 不是可用的取值（{2}）"),
        (r"^(\w+) '(.*)' is not an allowed value$", "{0}：'{1}' 不是可用的取值"),
        (r"^(\w+) '(.*)' is not a 3-letter currency code$", "{0}：'{1}' 不是三位字母的币种代码"),
        (r"^(\w+) is empty$", "{0} 为空"),
        (r"^(\w+) (.+) is below the minimum (.+)$", "{0} {1} 小于最小值 {2}"),
        (r"^(\w+) (.+) is above the maximum (.+)$", "{0} {1} 大于最大值 {2}"),
        (r"^(\w+) (.+) is after the as-of date (.+)$", "{0} {1} 晚于本次审计日期 {2}"),
        (r"^(\w+): unknown (\w+) (.+) \(not in (\w+)\)$", "{0}：未知的{1} {2}（{3} 表中没有）"),
        (r"^(\w+): (\w+) (.+) was quarantined$", "{0}：{1} {2} 已被隔离"),
        (
            r"^duplicate (\w+) (.+) \(first kept, in (.+) on row (\d+)\)$",
            "重复的 {0} {1}（保留第一条：{2} 第 {3} 行）",
        ),
        (
            r"^duplicate (\w+) (.+) \(first kept, on row (\d+)\)$",
            "重复的 {0} {1}（保留第 {2} 行的第一条）",
        ),
        (
            r"^undecodable bytes in the row \(check the file's encoding\)$",
            "该行有无法解码的字节（请检查文件编码）",
        ),
        (
            r"^cell (.+) holds a formula without a saved value: .*$",
            "单元格 {0} 是没有保存计算结果的公式：请用 Excel 打开该文件并重新保存",
        ),
    )
)


def reason_in_words(reason: str, language: Language) -> str:
    """A quarantine reason in the report's language (see _REASONS_ZH)."""
    if language != "zh":
        return reason
    for pattern, template in _REASONS_ZH:
        found = pattern.match(reason)
        if found:
            return template.format(*(_NOUNS_ZH.get(g, g) for g in found.groups()))
    return reason


# The referenced tables and their rows, as the Chinese reasons name them.
_NOUNS_ZH: Final = {
    "supplier": "供应商",
    "suppliers": "供应商",
    "shipment": "入库批次",
    "shipments": "入库批次",
}


def label(key: str, language: Language) -> str:
    """The word for ``key`` in ``language`` ("zh" or "en"); unknown keys fall back to the key."""
    pair = _LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if language == "zh" else pair[1]


def has_label(key: str) -> bool:
    """Whether the workbook has a word for ``key``."""
    return key in _LABELS


def all_keys() -> list[str]:
    """Every label key (tests check both languages are filled in)."""
    return sorted(_LABELS)
