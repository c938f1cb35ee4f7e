"""Every word of the night's notices — mails, chat messages, alerts and hold reasons — in
Chinese and English.

The notices go to the same people as the workbooks, so they follow ``report_language``. Values
are filled in with ``str.format`` placeholders; numbers are formatted by the caller's template
(``{share:.1%}``), never by code that picks words.
"""

from __future__ import annotations

from typing import Final

from supplier_audit.contracts.wording import words

# From the words files' [notice] section (contracts/words/zh.toml and en.toml).
_WORDS: Final = words("notice")


def word(key: str, language: str, **values: object) -> str:
    """The words for ``key`` in ``language`` ("zh" or "en"), with ``values`` filled in."""
    zh, en = _WORDS[key]
    template = zh if language == "zh" else en
    return template.format(**values) if values else template


def all_keys() -> list[str]:
    """Every key (tests check that both languages are filled in)."""
    return sorted(_WORDS)
