"""Every word the complaint desk writes (open_complaints.csv, the evidence index), zh and en.

The workbook's headers and sheet names are in :mod:`supplier_audit.reporting.labels`; these
are the words inside the cells.
"""

from __future__ import annotations

from typing import Final

from supplier_audit.contracts.wording import words

# From the words files' [desk] section (contracts/words/zh.toml and en.toml).
WORDS: Final[dict[str, dict[str, str]]] = {
    key: {"zh": zh, "en": en} for key, (zh, en) in words("desk").items()
}


def word(key: str, language: str) -> str:
    """The desk's word for ``key`` in ``language`` (English when the language is unknown)."""
    entry = WORDS[key]
    return entry.get(language, entry["en"])
