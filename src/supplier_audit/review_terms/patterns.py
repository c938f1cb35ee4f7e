"""What the matcher and the vectorised reader share: the reading rules' constants (punctuation,
cue kinds, chain limits) and the regex building blocks (word boundaries, alternations, tries)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from supplier_audit.review_terms.normalise import is_han

PUNCT_CLASS = r"[,.!?;:。、…\n\r\t()\[\]{}<>\"“”【】《》「」『』，．！？；：（）｛｝＜＞＂]"


PUNCTUATION = PUNCT_CLASS + "+"


#: categories a shipping container can be the subject of (外箱压扁了, "the box was broken")
PRODUCT_DAMAGE = frozenset({"damage", "defect"})


#: kinds of cue token; a lexicon list is named <lang>_<kind> (zh_cues, en_choice, ...)
KINDS = ("cues", "counterfactual", "comparison", "positive_cues", "modifiers", "choice")


MAX_CHAIN = 6


MAX_PREFIX = 16


#: RE2's DFA has a memory budget: past it RE2 falls back to an engine ~100 times slower, so
#: the lexicon is scanned in chunks of at most this many alternation branches. Short terms
#: cost the most: lexicon 2026.12.3's 1,500 shortest in one pattern took 3.4 s instead of
#: 0.02 s over 5,000 reviews (1,200: 0.02 s; 1,000 keeps a margin for users' terms).
#: benchmarks/bench_review_terms.py shows it (flag_texts against a bare scan).
SCAN_BRANCHES = 1000


def pack_alternatives(alternatives: Iterable[str]) -> tuple[str, ...]:
    """Join RE2 alternatives into as few patterns as the DFA budget allows."""
    chunks: list[list[str]] = [[]]
    weight = 0
    for alternative in sorted(alternatives, key=len, reverse=True):
        branches = alternative.count("|") + 1
        if chunks[-1] and weight + branches > SCAN_BRANCHES:
            chunks.append([])
            weight = 0
        chunks[-1].append(alternative)
        weight += branches
    return tuple("|".join(chunk) for chunk in chunks if chunk)


def is_latin(token: str) -> bool:
    return token[:1].isascii()


def is_wordchar(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "'")


def bounded_ok(text: str, start: int, end: int) -> bool:
    """Whether a Latin match stands on word boundaries (CJK matches always do)."""
    if is_han(text[start]):
        return True
    before = start == 0 or not is_wordchar(text[start - 1])
    after = end == len(text) or not is_wordchar(text[end])
    return before and after


def alternation(tokens: Sequence[str], *, spaced: bool = False) -> str:
    ordered = sorted(set(tokens), key=len, reverse=True)
    if not ordered:
        return "(?!x)x"
    parts = [re.escape(t) for t in ordered]
    if spaced:
        parts = [p.replace(r"\ ", r"\s+") for p in parts]
    return "|".join(parts)


def bounded(tokens: Sequence[str]) -> str:
    """An alternation where Latin tokens must stand on word boundaries."""
    zh = [t for t in tokens if not is_latin(t)]
    en = [t for t in tokens if is_latin(t)]
    parts = []
    if en:
        parts.append(rf"(?<![a-z0-9'])(?:{alternation(en, spaced=True)})(?![a-z0-9'])")
    if zh:
        parts.append(alternation(zh))
    return "|".join(parts) if parts else "(?!x)x"


def maybe_compile(pattern: str) -> re.Pattern[str] | None:
    return None if pattern == "(?!x)x" else re.compile(pattern)


def trie_pattern(words: Iterable[str], *, bounded: bool = True) -> str:
    """A regex matching any of ``words``, longest first, built as a prefix tree.

    A flat alternation of thousands of literals makes Python's ``re`` try each one at every
    position; a trie branches on the next character instead. With ``bounded``, words that
    start or end with a Latin letter or digit only match on word boundaries.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any], last: str) -> str:
        branches = [
            (r"\s+" if ch == " " else re.escape(ch)) + build(child, ch)
            for ch, child in sorted(node.items())
            if ch
        ]
        end = r"(?![a-z0-9])" if bounded and ascii_alnum(last) else ""
        if "" in node:
            if not branches:
                return end
            return f"(?:{'|'.join(branches)}|{end})"
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    top = [
        (r"(?<![a-z0-9])" if bounded and ascii_alnum(ch) else "")
        + (r"\s+" if ch == " " else re.escape(ch))
        + build(child, ch)
        for ch, child in sorted(trie.items())
        if ch
    ]
    return "|".join(top) if top else "(?!x)x"


def ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()
