"""Review term flagging: lexicon, normalisation, negation-aware matching.

Public API::

    load_lexicon(extra=None, *, replace=False) -> Lexicon
    lint_lexicon(lexicon) -> list[str]
    flag_texts(texts, *, lexicon=None) -> pandas.DataFrame
    explain_text(text, *, lexicon=None) -> list[dict]
    spans_as_text(spans) -> list[str]; spans_of(value) -> list[(start, end)]
"""

from supplier_audit.review_terms.flagging import (
    FLAG_COLUMNS,
    explain_text,
    flag_texts,
    spans_as_text,
    spans_of,
)
from supplier_audit.review_terms.lexicon import (
    Category,
    Lexicon,
    Term,
    lint_lexicon,
    load_lexicon,
)
from supplier_audit.review_terms.normalise import (
    NormalisedColumn,
    normalise_column,
    normalise_with_map,
)
from supplier_audit.review_terms.reading import default_lexicon, prefilter_patterns, scan_any_term

__all__ = [
    "FLAG_COLUMNS",
    "Category",
    "Lexicon",
    "NormalisedColumn",
    "Term",
    "default_lexicon",
    "explain_text",
    "flag_texts",
    "lint_lexicon",
    "load_lexicon",
    "normalise_column",
    "normalise_with_map",
    "prefilter_patterns",
    "scan_any_term",
    "spans_as_text",
    "spans_of",
]
