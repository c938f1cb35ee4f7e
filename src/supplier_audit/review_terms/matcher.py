"""The matcher compiled from a lexicon: term regexes, negation cues, clause reading.

Two ways to read texts, with the same result (tests compare them on every dev-set review):

* ``Matcher.hits`` reads one normalised text: every term occurrence, the negation chain
  right before it, a negation cue right after it that ends its clause (一点异味都没有), and
  (when the text holds a question, an ignored phrase, a hearsay marker or a shipping
  container) its clause: doubting questions, questions quoted from someone else, hearsay,
  damage to the shipping box rather than the product.
* ``Matcher.batch`` reads many texts without questions or ignored phrases at once: numpy
  finds the positions whose two characters begin a term (``term_starts``), and Python runs
  only there. The rows it flags that mention hearsay or a container next to a hit are read
  again by ``hits`` (see ``clause_context.ClauseContext.may_have_context``).

A counterfeit term followed by a price word (山寨本的价格) names a price level in both.
``hit_table.VectorReader`` applies the same rules to many texts as whole-array operations
and leaves the rows it cannot decide to these two.
"""

from __future__ import annotations

import bisect
import functools
import re
import weakref
from collections.abc import Callable

import numpy as np

from supplier_audit.review_terms.clause_context import ClauseContext
from supplier_audit.review_terms.hits import Hit
from supplier_audit.review_terms.lexicon import Lexicon, Term, re2_literal
from supplier_audit.review_terms.patterns import (
    KINDS,
    MAX_CHAIN,
    MAX_PREFIX,
    PUNCT_CLASS,
    PUNCTUATION,
    alternation,
    bounded,
    bounded_ok,
    is_latin,
    maybe_compile,
    pack_alternatives,
    trie_pattern,
)
from supplier_audit.review_terms.term_starts import TermStarts

#: a lexicon's negation lists by name (``Lexicon.words``)
_Words = Callable[[str], tuple[str, ...]]
#: sentence-final particles that may follow a cue after the term (一点异味都没有啊)
_PARTICLES = "了的啊呢哦呀啦哈吧嘛"

#: what "free" means after a word when it is an offer, not an absence ("free shipping")
_FREE_OFFERS = r"(?:shipping|delivery|gifts?|returns?|trial|samples?|replacement|upgrade)\b"


class Matcher:
    """Regexes compiled from one lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.prefilter = pack_alternatives(lexicon.scan_alternatives)
        self.by_text = lexicon.by_text
        words = lexicon.words
        contrast = [*words("zh_contrast"), *words("en_contrast")]
        self._compile_cues(words, contrast)
        self._compile_questions(words)
        self._compile_after_term(words, contrast)
        self.starts = TermStarts(
            lexicon.by_text, (t for t, kinds in self.kinds.items() if kinds - {"modifiers"})
        )
        self.context = ClauseContext(words, self.coordination)

    def _compile_cues(self, words: _Words, contrast: list[str]) -> None:
        """The cue tokens by kind, read backwards from a term; what breaks a clause."""
        self.kinds: dict[str, set[str]] = {}
        for kind in KINDS:
            for lang in ("zh", "en"):
                for token in words(f"{lang}_{kind}"):
                    self.kinds.setdefault(token, set()).add(kind)
        # cues are read backwards from the term: a trie of reversed tokens anchored at the
        # term's start finds the longest token ending there in one step
        zh_rev = [t[::-1] for t in self.kinds if not is_latin(t)]
        en_rev = [t[::-1] for t in self.kinds if is_latin(t)]
        self.tail_re = re.compile(
            rf"\s*(?:(?P<en>{trie_pattern(en_rev, bounded=False)})(?![a-z0-9'])"
            rf"|(?P<zh>{trie_pattern(zh_rev, bounded=False)}))"
        )
        #: a cue chain can only end right before a term on one of these characters
        self.tail_chars = frozenset(t[-1] for t in self.kinds) | frozenset(" \t\n")
        self.coordination = frozenset([*words("zh_coordination"), *words("en_coordination")])
        self.break_re = re.compile(rf"(?P<p>{PUNCTUATION})|(?P<c>{bounded(contrast)})")

    def _compile_questions(self, words: _Words) -> None:
        """Doubting questions and ignored phrases: the texts that get the clause analysis."""
        zh_doubt = alternation(list(words("zh_question_markers")))
        self.zh_doubt_re = maybe_compile(zh_doubt)
        self.en_doubt_re = maybe_compile(bounded(list(words("en_question_markers"))))
        # a text without any of these holds no question: clause analysis is skipped
        self.question_re = re.compile(rf"[?？]|{zh_doubt}")
        self.ignore_re = maybe_compile(bounded([*words("zh_ignore"), *words("en_ignore")]))
        # rows with a question or an ignored phrase get the full clause analysis
        ignore_any = bounded([*words("zh_ignore"), *words("en_ignore")])
        self.complex_re2 = "|".join(
            [r"[?？]", *(re2_literal(w) for w in words("zh_question_markers"))]
            + ([] if ignore_any == "(?!x)x" else [re2_literal(w) for w in
               [*words("zh_ignore"), *words("en_ignore")]])
        )  # fmt: skip

    def _compile_after_term(self, words: _Words, contrast: list[str]) -> None:
        """Cues after a problem term at the end of its clause, and price words."""
        zh_contrast = alternation([w for w in contrast if not is_latin(w)])
        clause_end = rf"(?=[{_PARTICLES}]*(?:$|[\x00\s]|{PUNCT_CLASS}|{zh_contrast}))"
        post = []
        if words("zh_post_cues"):
            post.append(rf"(?P<zh>{alternation(words('zh_post_cues'))}){clause_end}")
        if words("en_post_cues"):
            en_post = alternation(words("en_post_cues"), spaced=True)
            # "scratch free" but not "broken, free shipping" nor "broke free delivery"
            post.append(rf"[\s\-]*(?P<en>{en_post})(?![a-z0-9'])(?!\s+{_FREE_OFFERS})")
        self.post_re = re.compile("|".join(post)) if post else None
        spaces = frozenset(" \t\n\r-")
        #: the characters a post cue or a price word can start with (spaces before Latin ones)
        self.post_first = frozenset(w[0] for w in [*words("zh_post_cues"), *words("en_post_cues")])
        self.post_first |= spaces
        self.price_first = frozenset(
            w[0] for w in [*words("zh_price_after"), *words("en_price_after")]
        )
        self.price_first |= spaces
        self.price_re = maybe_compile(
            rf"\s*(?:{bounded([*words('zh_price_after'), *words('en_price_after')])})"
        )

    @functools.cached_property
    def term_re(self) -> re.Pattern[str]:
        """Every term of the lexicon, longest first: compiled when a text is first read one by
        one (:meth:`hits`), which a night of batch reading may never do."""
        return re.compile(trie_pattern(self.by_text))

    def hits(self, text: str, *, clauses: bool = False) -> list[Hit]:
        """Every term occurrence in a normalised text, with its reading.

        ``clauses=True`` also works out the contrast flag, which flagging does not need.
        """
        found = []
        by_text = self.by_text
        for m in self.term_re.finditer(text):
            matched = m.group()
            term = by_text.get(matched) or by_text[" ".join(matched.split())]
            found.append((m.start(), m.end(), term))
        if not found:
            return []
        ignored = [m.span() for m in self.ignore_re.finditer(text)] if self.ignore_re else []
        clause_info = (
            clauses
            or self.question_re.search(text) is not None
            or (
                self.context.context_re is not None
                and self.context.context_re.search(text) is not None
            )
        )
        if clause_info:
            starts, ends, contrast_after, q_after = self._clauses(text, found)
        reversed_text = text[::-1]
        out: list[Hit] = []
        for start, end, term in found:
            if start and text[start - 1] in self.tail_chars:
                cues, cue_start, counterfactual = self._cues(reversed_text, len(text), start, term)
            else:
                cues, cue_start, counterfactual = [], start, False
            coordinated = bool(out) and not cues and self._joined(text, out[-1], start, term)
            if coordinated:
                cues, counterfactual = list(out[-1].cues), out[-1].counterfactual
            if not cues:
                post = self.post_cue(text, end, term)
                if post:
                    cues = [post]
            question = doubt = contrast = False
            context = self.price_context(text, end, term)
            if clause_info:
                k = bisect.bisect_right(starts, start) - 1
                clause = text[starts[k] : max(ends[k], end)]
                zh_doubt = bool(self.zh_doubt_re and self.zh_doubt_re.search(clause))
                en_doubt = bool(q_after[k] and self.en_doubt_re and self.en_doubt_re.search(clause))
                question = q_after[k] or zh_doubt
                doubt = zh_doubt or en_doubt
                contrast = contrast_after[k]
                context = context or self.context.clause_context(
                    text, starts[k], start, term, question
                )
            out.append(Hit(
                term=term, start=start, end=end, cue_start=cue_start, cues=tuple(cues),
                negated=len(cues) % 2 == 1, counterfactual=counterfactual, question=question,
                doubt=doubt, contrast=contrast,
                ignored=any(a <= start and end <= b for a, b in ignored), coordinated=coordinated,
                context=context,
            ))  # fmt: skip
        return out

    def batch(self, texts: list[str]) -> list[tuple[int, int, int, Term, bool]]:
        """Flag-relevant hits of many texts without questions or ignored phrases.

        Returns ``(row, start, end, term, negated)`` per hit, ``start`` including the cue
        of a negated positive term. The texts are joined with NUL; numpy finds the
        positions whose two characters begin a term, and a small per-prefix trie regex
        reads the longest term there, so Python runs once per likely hit rather than once
        per character. Same hits, in the same order, as ``hits`` on each text.
        """
        if self.starts.short_terms:
            raise ValueError("batch scan needs terms of two characters or more")
        big = "\x00".join(texts)
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        row_starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
        codes = np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32)
        if len(codes) < 2:
            return []
        found_start, found_end, found_term = self.starts.longest_terms(big, codes)
        if not found_start:
            return []
        starts = np.array(found_start, dtype=np.int64)
        rows = np.searchsorted(row_starts, starts, side="right") - 1
        offsets = row_starts[rows]
        near = self.starts.near_cue(starts, offsets, codes)
        reversed_big = big[::-1]
        length = len(big)
        tail_chars = self.tail_chars
        out = []
        coordination = self.coordination
        post_first, price_first = self.post_first, self.price_first
        previous = (-1, -1, False)  # row, end, whether it was a negated problem term
        for start, end, term, row, offset, close in zip(
            found_start,
            found_end,
            found_term,
            rows.tolist(),
            offsets.tolist(),
            near.tolist(),
            strict=True,
        ):
            negated = False
            cue_start = start
            cues: list[str] = []
            if close and big[start - 1] in tail_chars:
                cues, cue_start, _ = self._cues(reversed_big, length, start, term)
                negated = len(cues) % 2 == 1
            joined = (
                previous[0] == row
                and previous[2]
                and term.polarity == "negative"
                and big[previous[1] : start].strip() in coordination
            )
            after = big[end : end + 1]  # most hits are followed by nothing a rule reads
            if not cues and (joined or (after in post_first and self.post_cue(big, end, term))):
                negated = True
            previous = (row, end, negated and term.polarity == "negative")
            if after in price_first and self.price_context(big, end, term):
                continue
            if term.polarity == "positive":
                if negated:
                    out.append((row, cue_start - offset, end - offset, term, True))
            elif not negated:
                out.append((row, start - offset, end - offset, term, False))
        return out

    def post_cue(self, text: str, end: int, term: Term) -> str:
        """The negation cue right after a problem term that ends its clause, or ""."""
        if self.post_re is None or term.polarity != "negative":
            return ""
        m = self.post_re.match(text, end)
        return (m.group("zh") or m.group("en") or "") if m else ""

    def price_context(self, text: str, end: int, term: Term) -> str:
        """Why a counterfeit term followed by a price word is a price level, or ""."""
        if self.price_re is None or not term.counterfeit:
            return ""
        m = self.price_re.match(text, end)
        return f"a price level ({m.group().strip()})" if m else ""

    def _joined(self, text: str, previous: Hit, start: int, term: Term) -> bool:
        """Whether a term is joined by 和 / 、 / "or" to a negated problem term before it."""
        return (
            previous.negated
            and previous.term.polarity == "negative"
            and term.polarity == "negative"
            and text[previous.end : start].strip() in self.coordination
        )

    def _clauses(
        self, text: str, found: list[tuple[int, int, Term]]
    ) -> tuple[list[int], list[int], list[bool], list[bool]]:
        """Clause starts and ends, whether a contrast word opens each, a '?' closes each."""
        starts: list[int] = [0]
        ends: list[int] = []
        contrast_after: list[bool] = [False]
        q_after: list[bool] = []
        for m in self.break_re.finditer(text):
            if m.group("c") and (
                not bounded_ok(text, m.start(), m.end())
                or any(s < m.end() and m.start() < e for s, e, _ in found)
            ):
                continue  # inside a word, or part of a term (质量不过关 holds 不过)
            ends.append(m.start())
            punctuation = m.group("p") or ""
            q_after.append("?" in punctuation or "？" in punctuation)
            starts.append(m.end())
            contrast_after.append(m.group("c") is not None)
        ends.append(len(text))
        q_after.append(False)
        return starts, ends, contrast_after, q_after

    def _cues(
        self, reversed_text: str, length: int, start: int, term: Term
    ) -> tuple[list[str], int, bool]:
        """Negation cues standing right before a term, nearest first, and where they start.

        Reads ``reversed_text`` (the text reversed) from the term's start backwards: each
        step takes the longest cue or modifier token ending there; a cue counts, a modifier
        is stepped over, anything else ends the chain.
        """
        cues: list[str] = []
        cue_start = start
        counterfactual = False
        consumed = length - start
        limit = consumed + MAX_PREFIX
        positive = term.polarity == "positive"
        kinds_of = self.kinds
        tail_match = self.tail_re.match
        for _ in range(MAX_CHAIN):
            m = tail_match(reversed_text, consumed, limit)
            if m is None:
                break
            token = (m.group("en") or m.group("zh") or "")[::-1]
            kinds = kinds_of.get(token)
            if kinds is None:
                kinds = kinds_of.get(" ".join(token.split()), set())
            if positive:
                if "positive_cues" in kinds:
                    cues.append(token)
                    cue_start = length - m.end()
                elif "modifiers" not in kinds:
                    break
            elif "cues" in kinds or "positive_cues" in kinds:
                cues.append(token)
                cue_start = length - m.end()
            elif (
                "counterfactual" in kinds
                or "comparison" in kinds
                or ("choice" in kinds and term.counterfeit)
            ):
                cues.append(token)
                counterfactual = True
                cue_start = length - m.end()
            elif "modifiers" not in kinds:
                break
            consumed = m.end()
        return cues, cue_start, counterfactual


_MATCHERS: weakref.WeakKeyDictionary[Lexicon, Matcher] = weakref.WeakKeyDictionary()


def matcher_for(lexicon: Lexicon) -> Matcher:
    matcher = _MATCHERS.get(lexicon)
    if matcher is None:
        matcher = _MATCHERS[lexicon] = Matcher(lexicon)
    return matcher
