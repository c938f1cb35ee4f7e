"""The workbooks' words: labels, sheet names, plan reasons and quarantine reasons in Chinese or
English, from the [report] section of the words files (:mod:`supplier_audit.contracts.wording`).
"""

from __future__ import annotations

import json
import re
from typing import Final

from supplier_audit.contracts.wording import Language, words

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


# The ingest's reasons for quarantining a row (kinds, with quoted values shown as '…'): the
# pattern of each English reason, named; its words are quarantine_reason.<name> in the words
# files. English reasons are shown as they are; one no pattern knows stays in English.
_REASON_PATTERNS: Final = (
    ("not_a_number", re.compile(r"^(\w+) '(.*)' is not a number$")),
    ("not_whole", re.compile(r"^(\w+) '(.*)' is not a whole number$")),
    ("too_large", re.compile(r"^(\w+) '(.*)' is too large$")),
    ("not_a_date", re.compile(r"^(\w+) '(.*)' is not a date \(write it as (.+)\)$")),
    (
        "ambiguous_date",
        re.compile(
            r"^(\w+) '(.*)' is ambiguous \(day and month order unknown\); write it as (.+)$"
        ),
    ),
    ("not_one_of", re.compile(r"^(\w+) '(.*)' is not one of: (.+)$")),
    ("not_allowed", re.compile(r"^(\w+) '(.*)' is not an allowed value$")),
    ("not_currency", re.compile(r"^(\w+) '(.*)' is not a 3-letter currency code$")),
    ("empty", re.compile(r"^(\w+) is empty$")),
    ("below_minimum", re.compile(r"^(\w+) (.+) is below the minimum (.+)$")),
    ("above_maximum", re.compile(r"^(\w+) (.+) is above the maximum (.+)$")),
    ("after_as_of", re.compile(r"^(\w+) (.+) is after the as-of date (.+)$")),
    ("unknown_reference", re.compile(r"^(\w+): unknown (\w+) (.+) \(not in (\w+)\)$")),
    ("quarantined_reference", re.compile(r"^(\w+): (\w+) (.+) was quarantined$")),
    (
        "duplicate_in_file",
        re.compile(r"^duplicate (\w+) (.+) \(first kept, in (.+) on row (\d+)\)$"),
    ),
    ("duplicate", re.compile(r"^duplicate (\w+) (.+) \(first kept, on row (\d+)\)$")),
    ("undecodable", re.compile(r"^undecodable bytes in the row \(check the file's encoding\)$")),
    ("unsaved_formula", re.compile(r"^cell (.+) holds a formula without a saved value: .*$")),
)


def reason_in_words(reason: str, language: Language) -> str:
    """A quarantine reason in the report's language (see _REASON_PATTERNS)."""
    if language != "zh":
        return reason
    for name, pattern in _REASON_PATTERNS:
        found = pattern.match(reason)
        if found:
            template = label(f"quarantine_reason.{name}", language)
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
