"""The words a purchaser reads: reasons behind each score, in Chinese and English (from the
[scoring] section of the words files, contracts/words/zh.toml and en.toml)."""

from __future__ import annotations

from typing import Final

from supplier_audit.contracts.wording import words

LANGUAGES: Final = ("zh", "en")


def _table(prefix: str) -> dict[str, dict[str, str]]:
    """key -> {"zh": …, "en": …} of the words files' [scoring] keys (and the shared
    [vocabulary]) under ``prefix.``."""
    return {
        key.removeprefix(prefix + "."): {"zh": zh, "en": en}
        for key, (zh, en) in words("scoring").items()
        if key.startswith(prefix + ".")
    }


def _pair(key: str) -> dict[str, str]:
    zh, en = words("scoring")[key]
    return {"zh": zh, "en": en}


# One template per score component; fields are filled from the supplier's components.
REASONS: Final[dict[str, dict[str, str]]] = _table("reasons")

# The reason printed after each recommended action (see scoring/actions.py).
ACTION_REASONS: Final[dict[str, dict[str, str]]] = _table("action_reasons")
ACTION_WITH_REASON: Final = _pair("action_with_reason")
REASON_OPEN: Final = _pair("reason_open")
STEP_SEPARATOR: Final = _pair("step_separator")
LIST_SEPARATOR: Final = _pair("list_separator")
AND_MORE: Final = _pair("and_more")
BRANDS: Final = _pair("brands")
MORE_BRANDS: Final = _pair("more_brands")
# When no component reaches the reason threshold but some evidence exists.
BELOW_TIER: Final = _pair("below_tier")
NOT_SIGNIFICANT: Final = _pair("not_significant")
NO_SIGNAL: Final = _pair("no_signal")
REQUIREMENT_LABELS: Final[dict[str, dict[str, str]]] = _table("requirement")
GAP_STATUS: Final[dict[str, dict[str, str]]] = _table("gap_status")
DROPSHIP_SHARE: Final = _pair("dropship_share")
UNBRANDED: Final = _pair("unbranded")
CHANNELS: Final[dict[str, dict[str, str]]] = _table("channel")
SEVERITIES: Final[dict[str, dict[str, str]]] = _table("severity")
REASON_SEPARATOR: Final = _pair("reason_separator")


def label(table: dict[str, dict[str, str]], key: str, language: str) -> str:
    """The label of ``key`` in ``language``, else the key itself."""
    return table.get(key, {}).get(language, key)


# Units of the counts in Chinese (English templates carry their nouns).
UNITS: Final = {"reviews": "条", "complaints": "起", "units": "件", "lots": "个"}
SUSPECTED_TOO: Final = _pair("suspected_too")
# Said after a reason whose counts hold shares of items (attribution by SKU share).
SHARED_NOTE: Final = _pair("shared_note")


def count_text(value: float) -> str:
    """A count of things as a whole number: 3, 1,200."""
    return f"{round(value):,}"


def is_shared(value: float) -> bool:
    """Whether a count holds a share of an item (attribution by SKU share)."""
    return abs(value - round(value)) >= 1e-6


def shared_count_text(value: float, unit: str, language: str) -> str:
    """A count that may hold shares of items: "3", "about 3" / "约3起", "part of one".

    Items naming no supplier are attributed by SKU share of units delivered, so a supplier
    may hold 2.4 complaints; it reads "about 2" (the note :data:`SHARED_NOTE` names the share),
    and a share below one half reads "part of one" (1起中的一部分), never "<1" or "0.3".
    """
    noun = UNITS[unit] if language == "zh" else ""
    if not is_shared(value):
        return f"{round(value):,}{noun}"
    if round(value) == 0:
        return f"1{noun}中的一部分" if language == "zh" else "part of one"
    return f"约{round(value):,}{noun}" if language == "zh" else f"about {round(value):,}"


def percent_text(value: float) -> str:
    """A rate as a percentage with one decimal, e.g. 7.7 %."""
    return f"{100 * value:.1f} %"
