"""Every word the audit writes for people, in Chinese and English: the words files
(``contracts/words/zh.toml`` and ``en.toml``, one per language, the same keys in both), read by
the stages that write words (scoring's reasons, the complaint desk, the reports, the messages).

Chinese is the default (``report_language = "zh"``): the people reading the report first thing
in the morning are Chinese purchasers; English is one setting away. Column headers of the
machine-facing CSV files stay in English snake_case.
"""

from __future__ import annotations

import functools

from supplier_audit.config.files import shipped_toml

Language = str


#: The section every other section shares: channels, severities, requirements, gap statuses.
VOCABULARY = "vocabulary"


def words(section: str) -> dict[str, tuple[str, str]]:
    """One section of the words files with the shared ``[vocabulary]``: key -> (zh, en). A
    section that repeats a vocabulary key is refused (each word is written once)."""
    zh, en = _words_file("zh")[section], _words_file("en")[section]
    if zh.keys() != en.keys():
        raise ValueError(f"words [{section}]: zh.toml and en.toml name different keys")
    shared = {} if section == VOCABULARY else words(VOCABULARY)
    repeated = sorted(shared.keys() & zh.keys())
    if repeated:
        raise ValueError(f"words [{section}] repeats [{VOCABULARY}] keys: {', '.join(repeated)}")
    return {**shared, **{key: (zh[key], en[key]) for key in zh}}


@functools.cache
def _words_file(language: Language) -> dict[str, dict[str, str]]:
    return shipped_toml(words_resource(language))


def words_resource(language: Language) -> str:
    """Where the words file of ``language`` is shipped (for the manifest's rule versions)."""
    return f"contracts/words/{language}.toml"
