"""The review term lexicon: loading, merging a user's section, compiling and linting."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from supplier_audit.config.files import shipped_toml
from supplier_audit.review_terms.normalise import normalise_term, normalise_terms

logger = logging.getLogger(__name__)

Polarity = Literal["negative", "positive"]
_TEMPLATE = re.compile(r"\{(\w+)\}")
_NEGATION_LISTS = (
    "zh_cues", "en_cues", "zh_counterfactual", "en_counterfactual", "zh_comparison",
    "en_comparison", "zh_positive_cues",
    "en_positive_cues", "zh_modifiers", "en_modifiers", "zh_question_markers",
    "en_question_markers", "zh_contrast", "en_contrast", "zh_ignore", "en_ignore",
    "zh_coordination", "en_coordination", "zh_choice", "en_choice", "zh_post_cues",
    "en_post_cues", "zh_hearsay", "en_hearsay", "zh_quote_verbs", "en_quote_verbs",
    "zh_price_after", "en_price_after", "zh_containers", "en_containers",
)  # fmt: skip


class CategoryModel(BaseModel):
    """One category of the lexicon as written in TOML."""

    model_config = ConfigDict(extra="forbid")
    label: str = ""
    counterfeit: bool = False


class TermGroupModel(BaseModel):
    """A ``[[terms]]`` group: terms sharing category, severity and polarity."""

    model_config = ConfigDict(extra="forbid")
    category: str
    severity: int = Field(ge=1, le=3)
    polarity: Polarity = "negative"
    counterfeit: bool | None = None
    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)


class NegationModel(BaseModel):
    """Cue words for negation, questions, clause scope and ignored phrases."""

    model_config = ConfigDict(extra="forbid")
    zh_cues: list[str] = Field(default_factory=list)
    en_cues: list[str] = Field(default_factory=list)
    zh_counterfactual: list[str] = Field(default_factory=list)
    en_counterfactual: list[str] = Field(default_factory=list)
    zh_comparison: list[str] = Field(default_factory=list)
    en_comparison: list[str] = Field(default_factory=list)
    zh_positive_cues: list[str] = Field(default_factory=list)
    en_positive_cues: list[str] = Field(default_factory=list)
    zh_modifiers: list[str] = Field(default_factory=list)
    en_modifiers: list[str] = Field(default_factory=list)
    zh_question_markers: list[str] = Field(default_factory=list)
    en_question_markers: list[str] = Field(default_factory=list)
    zh_coordination: list[str] = Field(default_factory=list)
    en_coordination: list[str] = Field(default_factory=list)
    zh_contrast: list[str] = Field(default_factory=list)
    en_contrast: list[str] = Field(default_factory=list)
    zh_ignore: list[str] = Field(default_factory=list)
    en_ignore: list[str] = Field(default_factory=list)
    zh_choice: list[str] = Field(default_factory=list)
    en_choice: list[str] = Field(default_factory=list)
    zh_post_cues: list[str] = Field(default_factory=list)
    en_post_cues: list[str] = Field(default_factory=list)
    zh_hearsay: list[str] = Field(default_factory=list)
    en_hearsay: list[str] = Field(default_factory=list)
    zh_quote_verbs: list[str] = Field(default_factory=list)
    en_quote_verbs: list[str] = Field(default_factory=list)
    zh_price_after: list[str] = Field(default_factory=list)
    en_price_after: list[str] = Field(default_factory=list)
    zh_containers: list[str] = Field(default_factory=list)
    en_containers: list[str] = Field(default_factory=list)


class LexiconModel(BaseModel):
    """The whole lexicon file (or a user's section with the same structure)."""

    model_config = ConfigDict(extra="forbid")
    version: str = "unversioned"
    categories: dict[str, CategoryModel] = Field(default_factory=dict)
    templates: dict[str, list[str]] = Field(default_factory=dict)
    negation: NegationModel = Field(default_factory=NegationModel)
    terms: list[TermGroupModel] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Category:
    """A category of complaint; ``counterfeit`` hits raise counterfeit suspicion."""

    name: str
    label: str
    counterfeit: bool


@dataclass(frozen=True)
class Term:
    """One matchable spelling of a term, normalised, with what it reports."""

    text: str
    canonical: str
    spelling: str
    category: str
    severity: int
    polarity: Polarity
    counterfeit: bool
    lang: Literal["zh", "en"]


@dataclass(frozen=True)
class _Entry:
    """A term spelling as written, before de-duplication (kept for the lint)."""

    spelling: str
    text: str
    origin: tuple[int, int]
    category: str
    user: bool


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A compiled lexicon. Build it with :func:`load_lexicon`."""

    version: str
    categories: Mapping[str, Category]
    terms: tuple[Term, ...]
    negation: Mapping[str, tuple[str, ...]]
    entries: tuple[_Entry, ...] = field(repr=False)
    #: RE2 alternatives (templates kept as groups) that together match every term
    scan_alternatives: tuple[str, ...] = field(default=(), repr=False)
    by_text: Mapping[str, Term] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_text: dict[str, Term] = {}
        for term in self.terms:
            by_text.setdefault(term.text, term)
        object.__setattr__(self, "by_text", by_text)

    def words(self, name: str) -> tuple[str, ...]:
        """Normalised entries of one negation list, e.g. ``"zh_cues"``."""
        return self.negation.get(name, ())


LEXICON_RESOURCE = "defaults/lexicon.toml"


def _shipped_raw() -> dict[str, Any]:
    return shipped_toml(LEXICON_RESOURCE)


def load_lexicon(extra: Mapping[str, Any] | None = None, *, replace: bool = False) -> Lexicon:
    """Load the shipped lexicon, extended (or replaced) by ``extra``.

    ``extra`` has the structure of ``defaults/lexicon.toml``. When merging, its categories
    and templates update the shipped ones, its negation lists are added to the shipped
    lists, its terms override shipped terms of the same normalised spelling, and
    ``remove = [...]`` drops terms. With ``replace=True`` its categories and terms are the
    whole lexicon (its negation lists and templates fall back to the shipped ones when
    absent).
    """
    shipped = LexiconModel.model_validate(_shipped_raw())
    if extra is None:
        return _compile(shipped, user=None)
    user = LexiconModel.model_validate(dict(extra))
    if replace:
        given = set(extra)
        merged = LexiconModel(
            version=user.version,
            categories=user.categories,
            templates=user.templates if "templates" in given else shipped.templates,
            negation=user.negation if "negation" in given else shipped.negation,
            terms=user.terms,
            remove=user.remove,
        )
        return _compile(merged, user=None)
    negation = {
        name: list(dict.fromkeys([*getattr(shipped.negation, name), *getattr(user.negation, name)]))
        for name in _NEGATION_LISTS
    }
    categories = dict(shipped.categories)
    for name, cat in user.categories.items():
        categories[name] = cat
    merged = LexiconModel(
        version=f"{shipped.version}+{user.version}" if "version" in extra else shipped.version,
        categories=categories,
        templates={**shipped.templates, **user.templates},
        negation=NegationModel(**negation),
        terms=[*shipped.terms, *user.terms],
        remove=user.remove,
    )
    return _compile(merged, user=len(shipped.terms))


def _expand(spelling: str, templates: Mapping[str, list[str]]) -> list[str]:
    names = _TEMPLATE.findall(spelling)
    if not names:
        return [spelling]
    parts = _TEMPLATE.split(spelling)  # literal, name, literal, name, ...
    choices = [templates.get(name, [f"{{{name}}}"]) for name in names]
    out = []
    for combo in itertools.product(*choices):
        pieces = [parts[0]]
        for value, literal in zip(combo, parts[2::2], strict=True):
            pieces += [value, literal]
        out.append("".join(pieces))
    return out


def _expansions(model: LexiconModel) -> dict[str, list[str]]:
    """Every variant of every term group, with its spellings (its templates expanded)."""
    return {
        variant: _expand(variant, model.templates)
        for group in model.terms
        for written in (*group.zh, *group.en)
        for variant in written.split("|")
    }


def _negation_words(model: LexiconModel) -> dict[str, list[str]]:
    """Each negation list's words, templates expanded (zh_ignore: {shamthing}{shamis})."""
    return {
        name: [s for w in getattr(model.negation, name) for s in _expand(w, model.templates)]
        for name in _NEGATION_LISTS
    }


def _spellings(
    model: LexiconModel,
    expansions: Mapping[str, list[str]],
    negation_words: Mapping[str, list[str]],
) -> Iterator[str]:
    """Every string :func:`_compile` normalises, so that they are normalised together."""
    yield from model.remove
    for words in negation_words.values():
        yield from words
    for values in model.templates.values():
        yield from values
    for variant, spellings in expansions.items():
        yield _TEMPLATE.sub("", variant)
        yield from _TEMPLATE.split(variant)[::2]
        yield from spellings


def _compile(model: LexiconModel, *, user: int | None) -> Lexicon:
    """Expand templates and variants, normalise, and let user groups override shipped ones.

    ``user`` is the index of the first group that came from the user's section.
    """
    expansions = _expansions(model)
    negation_words = _negation_words(model)
    normalise_terms(_spellings(model, expansions, negation_words))
    removed = {normalise_term(t) for t in model.remove}
    entries: list[_Entry] = []
    scan: dict[str, None] = {}
    chosen: dict[str, Term] = {}
    for index, group in enumerate(model.terms):
        cat = model.categories.get(group.category)
        counterfeit = group.counterfeit
        if counterfeit is None:
            counterfeit = bool(cat and cat.counterfeit)
        for lang, spellings in (("zh", group.zh), ("en", group.en)):
            for k, written in enumerate(spellings):
                variants = written.split("|")
                # a group written only of templates is named by its first spelling, never ""
                canonical = normalise_term(_TEMPLATE.sub("", variants[0])) or normalise_term(
                    expansions[variants[0]][0]
                )
                seen_here: set[str] = set()
                for variant in variants:
                    scan[_re2_source(variant, model.templates)] = None
                    for spelling in expansions[variant]:
                        text = normalise_term(spelling)
                        if text in seen_here:
                            continue  # a template may produce the same spelling twice
                        seen_here.add(text)
                        is_user = user is not None and index >= user
                        origin = (index, k if lang == "zh" else 10_000 + k)
                        entries.append(_Entry(spelling, text, origin, group.category, is_user))
                        if text in removed or not text:
                            continue
                        if text in chosen and not is_user:
                            continue
                        chosen[text] = Term(
                            text=text,
                            canonical=canonical,
                            spelling=spelling,
                            category=group.category,
                            severity=group.severity,
                            polarity=group.polarity,
                            counterfeit=counterfeit,
                            lang=lang,  # type: ignore[arg-type]
                        )
    negation = {
        name: tuple(dict.fromkeys(normalise_term(w) for w in words))
        for name, words in negation_words.items()
    }
    categories = {
        name: Category(name=name, label=cat.label, counterfeit=cat.counterfeit)
        for name, cat in model.categories.items()
    }
    return Lexicon(
        version=model.version,
        categories=categories,
        terms=tuple(chosen.values()),
        negation=negation,
        entries=tuple(entries),
        scan_alternatives=tuple(scan),
    )


def re2_literal(text: str) -> str:
    """Escape a literal for RE2; a space matches any run of whitespace."""
    out = []
    for ch in text:
        if ch == " ":
            out.append(r"\s+")
        elif ch in r"\.^$|?*+()[]{}":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _re2_source(variant: str, templates: Mapping[str, list[str]]) -> str:
    """An RE2 pattern for one spelling, its templates kept as groups (质量(?:|太|很)差).

    Expanding templates first would give RE2 thousands of literals, past the size at which
    its DFA gives up and matching becomes ~100 times slower.
    """
    parts = _TEMPLATE.split(variant)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re2_literal(normalise_term(part)) if part.strip() else part)
        else:
            values = sorted({normalise_term(v) for v in templates.get(part, [])}, key=len)
            out.append("(?:" + "|".join(re2_literal(v) for v in values) + ")")
    return "".join(out)


def lint_lexicon(lexicon: Lexicon) -> list[str]:
    """Return the lexicon's problems, one sentence each; ``[]`` when it is clean.

    Checks: terms listed twice (after normalisation), terms that can never be reported
    (empty after normalisation, containing clause punctuation, or always inside an ignored
    phrase), categories without terms, terms of an unknown category, ignore phrases that
    contain no term.
    """
    problems: list[str] = []
    first: dict[str, _Entry] = {}
    for entry in lexicon.entries:
        if not entry.text:
            problems.append(f"term {entry.spelling!r} is empty after normalisation")
            continue
        previous = first.setdefault(entry.text, entry)
        if previous.origin != entry.origin and not (entry.user and not previous.user):
            problems.append(
                f"duplicate term {entry.text!r}: {entry.spelling!r} (terms group "
                f"{entry.origin[0]}) repeats {previous.spelling!r} (group {previous.origin[0]})"
            )
    known = set(lexicon.categories)
    for name in sorted({e.category for e in lexicon.entries} - known):
        problems.append(f"terms use unknown category {name!r}")
    used = {t.category for t in lexicon.terms}
    for name in sorted(known - used):
        problems.append(f"category {name!r} has no terms")

    ignores = [*lexicon.words("zh_ignore"), *lexicon.words("en_ignore")]
    for term in lexicon.terms:
        if len(term.text) < 2:
            problems.append(
                f"term {term.text!r} has one character: it matches inside unrelated words "
                "(and turns off the batch scan, so flagging is slower)"
            )
        if any(ch in _CLAUSE_PUNCTUATION for ch in term.text):
            problems.append(f"term {term.text!r} contains clause punctuation: never reported")
        for phrase in ignores:
            if phrase in term.text:
                problems.append(
                    f"term {term.text!r} contains the ignored phrase {phrase!r}: shadowed, "
                    "never reported"
                )
    for phrase in ignores:
        if not any(t.text in phrase for t in lexicon.terms):
            problems.append(f"ignored phrase {phrase!r} contains no term: it masks nothing")
    return problems


_CLAUSE_PUNCTUATION = frozenset(',.!?;:。、…\n()[]{}<>"“”【】《》')
