"""When a problem term is no claim about the item: hearsay (听说是假的), a question someone else
asked, damage to the shipping box rather than the product.

``Matcher.hits`` asks ``ClauseContext.clause_context`` for each hit in a text that holds one of
these words; the batch scan asks the cheaper ``may_have_context`` of the rows it flags, and
only those are read again clause by clause.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from supplier_audit.review_terms.lexicon import Term, re2_literal
from supplier_audit.review_terms.normalise import is_han
from supplier_audit.review_terms.patterns import PRODUCT_DAMAGE, bounded, maybe_compile

#: a shipping container and a damage term within this many characters (Chinese, Latin) of each
#: other describe the container, unless the words between them end the container's own
#: predicate (了, a space: 包裹外面湿了 充不进电) or move the damage inside (里, 内, "in the")
_CONTAINER_REACH = (8, 30)
_ZH_GAP_BREAK = re.compile(r"[里内中了\s]")
_EN_GAP_BREAK = re.compile(r"(?<![a-z])(?:inside|in the|in it|and|but)(?![a-z])")


class ClauseContext:
    """Hearsay, quoted questions and shipping containers, compiled from a lexicon's words."""

    def __init__(self, words: Callable[[str], tuple[str, ...]], coordination: Iterable[str]):
        hearsay = [*words("zh_hearsay"), *words("en_hearsay")]
        self.hearsay_re = maybe_compile(bounded(hearsay))
        verbs = bounded([*words("zh_quote_verbs"), *words("en_quote_verbs")])
        self.quote_re = None if verbs == "(?!x)x" else re.compile(rf"(?:{verbs})\s*[:：]+\s*$")
        containers = [*words("zh_containers"), *words("en_containers")]
        self.container_re = maybe_compile(bounded(containers))
        self.coordination_re = maybe_compile(bounded(sorted(coordination)))
        #: texts with any of these get the clause analysis
        self.context_re = maybe_compile(bounded([*hearsay, *containers]))
        #: rows the batch flags and that hold one of these are read again by ``Matcher.hits``
        self.context_re2 = "|".join(re2_literal(w) for w in [*hearsay, *containers])

    def may_have_context(self, text: str, found: Iterable[tuple[int, Term]]) -> bool:
        """Whether any ``(start, term)`` hit could be hearsay or about the shipping box.

        A cheap test (no clause analysis) run on the batch's flagged hits: only the rows
        where it is true are read again by ``Matcher.hits``.
        """
        for start, term in found:
            if (
                term.counterfeit
                and self.hearsay_re is not None
                and self.hearsay_re.search(text, 0, start)
            ):
                return True
            if term.category in PRODUCT_DAMAGE and self.container_re is not None:
                reach = max(_CONTAINER_REACH)
                if self.container_re.search(text, max(0, start - reach), start):
                    return True
        return False

    def clause_context(
        self, text: str, clause_start: int, start: int, term: Term, question: bool
    ) -> str:
        """Why a hit in its clause is not a claim about the item (hearsay, ...), or ""."""
        before = text[clause_start:start]
        if term.counterfeit and self.hearsay_re is not None:
            m = self.hearsay_re.search(before)
            if m:
                return f"hearsay ({m.group()})"
        if question and self.quote_re is not None:
            m = self.quote_re.search(text, max(0, clause_start - 12), clause_start)
            if m:
                speaker = text[max(0, m.start() - 6) : m.start()]
                if "我" not in speaker and not re.search(r"(?<![a-z])i\s*$", speaker):
                    return f"a question someone else asked ({m.group().strip()})"
        if term.category in PRODUCT_DAMAGE and self.container_re is not None:
            return self._container(text, clause_start, start)
        return ""

    def _container(self, text: str, clause_start: int, start: int) -> str:
        """The shipping container a damage term describes, when one stands right before it."""
        han = is_han(text[start])
        reach = _CONTAINER_REACH[0] if han else _CONTAINER_REACH[1]
        assert self.container_re is not None
        found = list(self.container_re.finditer(text, max(clause_start, start - reach), start))
        if found:
            gap = text[found[-1].end() : start]
            gap_break = _ZH_GAP_BREAK if han else _EN_GAP_BREAK
            if not gap_break.search(gap) and not (
                self.coordination_re and self.coordination_re.search(gap)
            ):
                return f"the shipping packaging ({found[-1].group()}), not the product"
        return ""
