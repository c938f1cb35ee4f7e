"""One occurrence of a lexicon term in a text, read in its clause: whether it reports a problem,
the term it reports, and why."""

from __future__ import annotations

from dataclasses import dataclass

from supplier_audit.review_terms.lexicon import Term


@dataclass(frozen=True)
class Hit:
    """One occurrence of a term in a normalised text, read in its clause."""

    term: Term
    start: int
    end: int
    cue_start: int
    cues: tuple[str, ...]
    negated: bool
    counterfactual: bool
    question: bool
    doubt: bool
    contrast: bool
    ignored: bool
    coordinated: bool = False
    #: why the hit is not a claim about the item despite its reading ("" when it is one):
    #: hearsay, a question quoted from someone else, a price level, the shipping box
    context: str = ""

    @property
    def flagged(self) -> bool:
        """Whether the hit reports a problem."""
        if self.ignored or self.context:
            return False
        if self.term.polarity == "positive":
            return self.negated or (self.doubt and self.term.counterfeit)
        if self.negated:
            return False
        return not (self.doubt and not self.term.counterfeit)

    @property
    def reported(self) -> str:
        """The canonical term reported for this hit (不是正品 for a negated 正品)."""
        return reported_term(self.term, negated=self.negated, doubt=self.doubt)

    @property
    def why(self) -> str:
        """A one-line reason for the decision, for maintainers."""
        if self.ignored:
            return "inside an ignored phrase"
        if self.context:
            return f"not a claim about the item: {self.context}"
        cues = "+".join(self.cues)
        if self.term.polarity == "positive":
            if self.negated:
                return f"positive term negated by {cues}: reports its absence"
            if self.doubt and self.term.counterfeit:
                return "positive term in a doubting question: suspicion of authenticity"
            if self.cues:
                return f"positive term; cues {cues} cancel out"
            return "positive term stated plainly: no complaint"
        if self.negated and self.coordinated:
            return f"joined to a negated term before it, negation {cues} carries over"
        if self.negated:
            kind = "counterfactual, comparison or choice" if self.counterfactual else "negation"
            return f"{kind} {cues} right before the term in its clause"
        if self.doubt and not self.term.counterfeit:
            return "asked about in a doubting question, not reported"
        if self.question and self.term.counterfeit:
            return "counterfeit term in a question: suspicion"
        if self.cues:
            return f"double negation {cues}: the problem is affirmed"
        return "problem term, not negated"


def reported_term(term: Term, *, negated: bool, doubt: bool) -> str:
    canonical = term.canonical
    if term.polarity == "positive":
        if negated:
            return f"not {canonical}" if term.lang == "en" else f"不是{canonical}"
        if doubt:
            return f"{canonical}?"
    return canonical
