"""Review text normalisation: width, case, traditional Chinese, filler punctuation.

Two implementations of the same rules:

* ``normalise_with_map`` works on one string in Python and returns, for every character of
  the normalised text, the index of the ORIGINAL character it came from, so that spans found
  on normalised text point at what the buyer wrote.
* ``normalise_column`` applies the rules to a whole pyarrow column with vectorised kernels
  (``utf8_normalize``, ``utf8_lower``, RE2 replace) and goes to Python only for the rows that
  hold traditional characters (a per-character table: OpenCC is ~30 µs per string).
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

logger = logging.getLogger(__name__)

#: Characters dropped when they stand between two Chinese characters ("假 货", "假～货", "假-货").
#: 。、，and other clause punctuation are not fillers: they end a clause.
FILLER_CHARS = frozenset(" \t\r\n\u3000\u00a0~～-－_＿·•*＊/|\\=+^`'\"—–‐‑")
_FILLER_CLASS = r"[\s\x{3000}~～\-－_＿·•*＊/|\\=+^`'\"—–‐‑]"
_HAN_FILLER_HAN = r"(\p{Han})" + _FILLER_CLASS + r"+(\p{Han})"
_RIGHT_QUOTE = "\u2019"
#: Characters that NFKC changes and that matter for matching: full-width letters and digits,
#: compatibility ideographs and radicals, ligatures, enclosed and super/subscript forms,
#: special spaces, combining marks, the right single quote, full-width ASCII. The common
#: full-width clause marks (，！？；：（）～) are left alone on the vectorised path: clause
#: splitting and filler removal read both widths.
_NFKC_NEEDED = (
    r"[\x{00A0}-\x{00BF}\x{0300}-\x{036F}\x{2000}-\x{200F}\x{2019}\x{2070}-\x{218F}"
    r"\x{2460}-\x{24FF}\x{2F00}-\x{2FDF}\x{3000}\x{3200}-\x{33FF}\x{F900}-\x{FAFF}"
    r"\x{FB00}-\x{FB4F}\x{FF02}-\x{FF07}\x{FF0A}\x{FF0B}\x{FF0D}-\x{FF19}\x{FF1C}-\x{FF1E}"
    r"\x{FF20}-\x{FF5D}]"
)


def is_han(ch: str) -> bool:
    """Whether a character is a CJK unified ideograph (basic block or extension A)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


@functools.cache
def traditional_to_simplified_table() -> dict[int, str]:
    """Map every traditional character OpenCC's t2s knows to its simplified form.

    Built once by converting each distinct character of OpenCC's character dictionary (about
    4,100 characters, ~15 ms); texts are then converted with ``str.translate``, which is
    length-preserving and keeps the index map trivial. Phrase-level conversions (rare for
    review vocabulary) are not applied.
    """
    from pathlib import Path

    import opencc
    from opencc import OpenCC

    converter = OpenCC("t2s")
    dictionary = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[int, str] = {}
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        trad = line.split("\t", 1)[0]
        if len(trad) != 1:
            continue
        simp = converter.convert(trad)
        if len(simp) == 1 and simp != trad:
            table[ord(trad)] = simp
    return table


@functools.cache
def traditional_class() -> str:
    """An RE2 character class matching any character the t2s table changes."""
    chars = sorted(chr(c) for c in traditional_to_simplified_table())
    return "[" + "".join(chars) + "]"


def _ascii_lower(text: str) -> str:
    return (
        text.lower() if text.isascii() else "".join(c.lower() if c.isascii() else c for c in text)
    )


#: normalised form of each non-ASCII character seen so far (NFKC, ASCII case, t2s)
_CHAR_FORMS: dict[str, str] = {}


def _char_form(ch: str) -> str:
    form = _CHAR_FORMS.get(ch)
    if form is None:
        form = _ascii_lower(unicodedata.normalize("NFKC", ch))
        form = form.translate(traditional_to_simplified_table()).replace(_RIGHT_QUOTE, "'")
        if len(_CHAR_FORMS) < 200_000:
            _CHAR_FORMS[ch] = form
    return form


class _FormTable(dict[int, str]):
    """``str.translate`` table: the normalised form of every character, filled on demand."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        form = ch.lower() if ch.isascii() else _char_form(ch)
        if len(self) < 200_000:
            self[code] = form
        return form


_FORMS = _FormTable()


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Return the normalised text and, per normalised character, its index in ``text``.

    Characters are normalised one by one (NFKC, ASCII case folding, traditional ->
    simplified), then fillers between Chinese characters are dropped.
    """
    if text.isascii():  # nothing but case to fold, and no Chinese to drop fillers between
        return text.lower(), list(range(len(text)))
    norm = text.translate(_FORMS)
    if len(norm) == len(text):  # every character kept its length (no form is empty)
        origin = list(range(len(text)))
    else:
        forms = _FORMS
        origin = [i for i, ch in enumerate(text) for _ in forms[ord(ch)]]
    runs = [m.span() for m in _FILLER_RUN.finditer(norm)]
    if not runs:
        return norm, origin
    # a maximal run of fillers is dropped when Chinese characters stand on both sides
    kept_text: list[str] = []
    kept_origin: list[int] = []
    previous = 0
    for start, end in runs:
        kept_text.append(norm[previous:start])
        kept_origin += origin[previous:start]
        previous = end
    kept_text.append(norm[previous:])
    kept_origin += origin[previous:]
    return "".join(kept_text), kept_origin


_HAN_RANGES = "\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff"  # as ``is_han``
_FILLER_RUN = re.compile(
    f"(?<=[{_HAN_RANGES}])[{re.escape(''.join(sorted(FILLER_CHARS)))}]+(?=[{_HAN_RANGES}])"
)


#: normalised form of each lexicon term seen so far (a lexicon has ~25,000 spellings)
_TERM_FORMS: dict[str, str] = {}
#: joins terms normalised together: neither a filler nor Chinese, so no filler run spans two
#: terms, and no character's normalised form holds it
_TERM_SEPARATOR = "\x00"


def _normalised(text: str) -> str:
    """``normalise_with_map(text)[0]`` without the map: the characters' forms, then the filler
    runs between Chinese characters dropped."""
    return _FILLER_RUN.sub("", text.lower() if text.isascii() else text.translate(_FORMS))


def normalise_term(term: str) -> str:
    """Normalise a lexicon term exactly as review text is normalised."""
    form = _TERM_FORMS.get(term)
    if form is None:
        form = _normalised(term.strip())
        if len(_TERM_FORMS) < 200_000:
            _TERM_FORMS[term] = form
    return form


def normalise_terms(terms: Iterable[str]) -> None:
    """Normalise many lexicon terms in one pass (joined by a separator), so that
    :func:`normalise_term` then finds each: one ``str.translate`` and one filler search over
    all of them instead of one per term (a lexicon's 25,000 spellings: 0.5 s -> 0.05 s)."""
    todo = [t for t in dict.fromkeys(terms) if t not in _TERM_FORMS]
    if not todo or len(_TERM_FORMS) + len(todo) > 200_000:
        return
    stripped = [t.strip() for t in todo]
    if any(_TERM_SEPARATOR in t for t in stripped):
        return  # left to normalise_term, one by one
    parts = _normalised(_TERM_SEPARATOR.join(stripped)).split(_TERM_SEPARATOR)
    if len(parts) == len(todo):
        _TERM_FORMS.update(zip(todo, parts, strict=True))


@dataclass(frozen=True)
class NormalisedColumn:
    """A column normalised by vectorised kernels.

    ``folded`` is every text lower-cased (ASCII); for most rows that is the whole
    normalisation and positions in it are positions in the original. The rows listed in
    ``slow_rows`` also need NFKC, traditional -> simplified or filler removal: their fully
    normalised text is ``slow_text`` (same order), and their spans need
    :func:`normalise_with_map`.
    """

    folded: pa.Array
    slow_rows: pa.Array
    slow_text: pa.Array


def normalise_column(texts: pa.Array) -> NormalisedColumn:
    """Normalise a string column with vectorised kernels, touching few rows in Python.

    Case folding is ASCII: the lexicon's Latin terms are ASCII, and NFKC has already turned
    full-width letters into ASCII ones. Full-width punctuation (，！？) is left as it is on
    this path: clause splitting reads both widths.
    """
    folded = fold_column(texts)
    slow_rows = pc.indices_nonzero(pc.match_substring_regex(folded, slow_pattern()))
    return NormalisedColumn(
        folded=folded,
        slow_rows=slow_rows,
        slow_text=normalise_slow_rows(pc.take(folded, slow_rows)),
    )


def fold_column(texts: pa.Array) -> pa.Array:
    """Every text lower-cased (ASCII), missing texts as ""."""
    folded: pa.Array = pc.ascii_lower(pc.fill_null(texts, ""))
    return folded


@functools.cache
def slow_pattern() -> str:
    """RE2 pattern of the rows :func:`normalise_column` must normalise further: a character
    NFKC changes, a traditional character, or filler between Chinese characters."""
    return _NFKC_NEEDED + "|" + traditional_class() + "|" + _HAN_FILLER_HAN


def normalise_slow_rows(subset: pa.Array) -> pa.Array:
    """The full normalisation of folded texts that match :func:`slow_pattern`."""
    if not len(subset):
        return subset
    subset = pc.ascii_lower(
        pc.replace_substring(pc.utf8_normalize(subset, "NFKC"), _RIGHT_QUOTE, "'")
    )
    table = traditional_to_simplified_table()
    subset = pa.array([s.translate(table) for s in subset.to_pylist()], subset.type)
    # twice: RE2 matches do not overlap, so "假 货 差" needs a second pass
    for _ in range(2):
        subset = pc.replace_substring_regex(subset, _HAN_FILLER_HAN, r"\1\2")
    return subset
