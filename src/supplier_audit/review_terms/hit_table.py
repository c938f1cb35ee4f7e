"""Vectorised reading of many normalised texts: the hit table and its negation chains.

``Matcher.batch`` reads each likely term start in Python (~10 µs per hit). Here the same
rules run as whole-array operations over the candidate texts joined into one buffer:

1. one Aho-Corasick pass (``ahocorasick_rs``, in Rust) finds every occurrence of every term;
   numpy keeps those on word boundaries and, like the regex, the longest term at the
   leftmost free position;
2. the negation chain before each hit (cue and modifier tokens read backwards, at most
   ``MAX_CHAIN`` tokens within ``MAX_PREFIX`` characters) is walked for all hits at once
   over a character trie of the reversed tokens (a ``searchsorted`` per character);
3. the rules that are rare and need more reading (a cue after the term, a price word after a
   counterfeit term, a term joined to a negated one by 和 / "or", unusual whitespace) are
   only detected: the rows holding such a hit are returned for the per-text Python reading.

The result is identical to ``Matcher.batch`` on the rows it decides (tests compare them).
"""

from __future__ import annotations

import itertools
import re
import weakref

import numpy as np

from supplier_audit.review_terms.char_tables import SHIFT, CharTrie, char_tables, clause_breaks
from supplier_audit.review_terms.lexicon import Lexicon
from supplier_audit.review_terms.matcher import Matcher
from supplier_audit.review_terms.patterns import MAX_CHAIN, MAX_PREFIX
from supplier_audit.review_terms.reader_tables import KIND_BIT, ReaderTables

_CUES = KIND_BIT["cues"] | KIND_BIT["positive_cues"]
_CLAIM = KIND_BIT["counterfactual"] | KIND_BIT["comparison"]
_CHOICE = KIND_BIT["choice"]
_POSITIVE_CUES = KIND_BIT["positive_cues"]
_MODIFIERS = KIND_BIT["modifiers"]


class VectorReader(ReaderTables):
    """The vectorised reading of many texts over a :class:`Matcher`'s rules as arrays."""

    def category_names(self, mask: int) -> str:
        """The ";"-joined, sorted category names of a category bit mask."""
        return ";".join(c for i, c in enumerate(self._categories) if mask >> i & 1)

    def read(
        self, big: str, row_starts: np.ndarray, *, readable: np.ndarray, asking: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Read the NUL-joined texts ``big`` (row ``r`` begins at ``row_starts[r]``).

        Returns ``(row, start, end, term, negated, doubt, undecided)`` per hit, in text order:
        ``start`` includes the cue of a negated positive term; ``undecided`` marks hits whose
        rows must be read by ``Matcher.batch`` instead (their other columns are unreliable).
        Only the hits of rows where ``readable`` are returned. Rows where ``asking`` may hold
        questions (but no ignored phrase): ``doubt`` tells the hits in a doubting question,
        and hits whose clause is unsure (see ``_asked``) are undecided too (their rows need
        the clause analysis of ``Matcher.hits``).
        """
        _, word = char_tables()
        codes = np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32)
        term, start, end, row, inside_word = self._hits(big, codes, row_starts, readable)
        # the rows read here hold no whitespace but single spaces (see ``flagging``): skipping
        # whitespace is skipping at most one character
        negated, cue_start = self._chains(codes, word, start, term)
        n = len(start)
        no_cues = cue_start == start
        undecided = inside_word | self._read_after(codes, end, term, no_cues)
        # a problem term joined to a negated problem term before it (没有破损和划痕)
        same_row = np.zeros(n, dtype=bool)
        same_row[1:] = row[1:] == row[:-1]
        prev_negated_problem = np.zeros(n, dtype=bool)
        prev_negated_problem[1:] = negated[:-1] & ~self.positive[term[:-1]]
        joinable = same_row & prev_negated_problem & ~self.positive[term] & no_cues
        undecided |= joinable & self._coordinated(codes, end, start)
        doubt = np.zeros(n, dtype=bool)
        asked = np.nonzero(asking[row])[0]
        if len(asked):
            unsure, doubt[asked] = self._in_questions(big, row_starts, row, start, end, asked)
            undecided[asked] |= unsure
        bad_rows = np.unique(row[undecided])
        undecided = np.isin(row, bad_rows)
        start = np.where(self.positive[term] & negated, cue_start, start)
        return row, start, end, term, negated, doubt, undecided

    def _hits(
        self, big: str, codes: np.ndarray, row_starts: np.ndarray, readable: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Term, start, end, row of every hit in the ``readable`` rows, and whether it stands
        inside a word. The automaton takes the longest term at the leftmost start, as the
        regex does, but knows no word boundaries: where a Latin term stands inside a word the
        regex may choose a shorter term or a later start, so such rows are read by the regex."""
        if self.automaton is None:
            raise RuntimeError("the vectorised reading needs the ahocorasick-rs package")
        alnum, _ = char_tables()
        size = len(codes)
        found = self.automaton.find_matches_as_indexes(big)
        flat = np.fromiter(
            itertools.chain.from_iterable(found), dtype=np.int64, count=3 * len(found)
        )
        term, start, end = flat[0::3], flat[1::3], flat[2::3]
        before = codes[np.maximum(start - 1, 0)]
        after = codes[np.minimum(end, size - 1)]
        inside_word = self.alnum_start[term] & (start > 0) & alnum[before]
        inside_word |= self.alnum_end[term] & (end < size) & alnum[after]
        row = np.searchsorted(row_starts, start, side="right") - 1
        keep = readable[row]
        return term[keep], start[keep], end[keep], row[keep], inside_word[keep]

    def _read_after(
        self, codes: np.ndarray, end: np.ndarray, term: np.ndarray, no_cues: np.ndarray
    ) -> np.ndarray:
        """The hits a word after them may change, left undecided: a cue right after a problem
        term that ends its clause (一点异味都没有, "odor free": Chinese cues follow the term
        directly, Latin ones after spaces or hyphens), a price word after a counterfeit term
        (山寨本的价格: its first two characters)."""
        size = len(codes)
        space_code = ord(" ")
        at = np.minimum(end, size - 1)
        after = codes[at]
        solid = at.copy()
        moving = np.nonzero((after == space_code) | (after == ord("-")))[0]
        while len(moving):
            solid[moving] = np.minimum(solid[moving] + 1, size - 1)
            c = codes[solid[moving]]
            moving = moving[((c == space_code) | (c == ord("-"))) & (solid[moving] < size - 1)]
        post = np.isin(after, self.post_first) | np.isin(codes[solid], self.en_post_first)
        undecided = post & (end < size) & ~self.positive[term] & no_cues
        p = np.where(after == space_code, np.minimum(at + 1, size - 1), at)
        pair = (codes[p].astype(np.uint64) << SHIFT) | codes[np.minimum(p + 1, size - 1)]
        price = np.isin(codes[p], self.price_single) | np.isin(pair, self.price_pairs)
        return np.asarray(undecided | (price & (end < size) & self.counterfeit[term]))

    def _in_questions(
        self,
        big: str,
        row_starts: np.ndarray,
        row: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        asked: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """For the hits at ``asked`` (rows that may hold a question): whether their clause is
        unsure, and whether they stand in a doubting question (see ``_asked``). The rows with
        a question are read alone, in a buffer of their own."""
        bounds = np.append(row_starts, len(big))
        question_rows = np.unique(row[asked])
        small = "".join(big[bounds[r] : bounds[r + 1]] for r in question_rows.tolist())
        sizes = bounds[question_rows + 1] - bounds[question_rows]
        moved = np.zeros(len(bounds), dtype=np.int64)
        moved[question_rows] = np.concatenate(([0], np.cumsum(sizes)[:-1])) - bounds[question_rows]
        shift = moved[row[asked]]
        small_codes = np.frombuffer(small.encode("utf-32-le"), dtype=np.uint32)
        return self._asked(small, small_codes, start[asked] + shift, end[asked] + shift)

    def _coordinated(self, codes: np.ndarray, end: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Whether the text between each hit and the one before it is a coordination word
        (with at most a space on each side, as the rows read here hold single spaces)."""
        n = len(start)
        out = np.zeros(n, dtype=bool)
        if n < 2:
            return out
        gap_start = end[:-1] + (codes[np.minimum(end[:-1], len(codes) - 1)] == ord(" "))
        gap_end = start[1:] - (codes[np.maximum(start[1:] - 1, 0)] == ord(" "))
        length = gap_end - gap_start
        for size, words in self.coordination.items():
            at = np.nonzero(length == size)[0]
            if len(at) and len(words):
                key = np.zeros(len(at), dtype=np.uint64)
                for k in range(size):
                    key = (key << SHIFT) | codes[gap_start[at] + k].astype(np.uint64)
                out[1:][at] = np.isin(key, words)
        if self.long_coordination:
            out[1:] |= length > 3
        if "" in self.matcher.coordination:  # an empty word joins adjacent terms
            out[1:] |= length <= 0
        return out

    def _asked(
        self, big: str, codes: np.ndarray, start: np.ndarray, end: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Whether each hit stands in a doubting question, and where that is unsure.

        A hit's clause (``Matcher._clauses``) is the stretch between the punctuation runs
        around it, unless a contrast word splits that stretch: then, and where the stretch
        follows a colon (a question quoted from someone else), the hit is unsure. Otherwise
        the clause holds a Chinese question marker, or ends in a run with a "?" and holds a
        Latin one, exactly when the stretch does.
        """
        breaks = np.flatnonzero(clause_breaks()[codes])
        size = len(codes)
        n = len(start)
        k = np.searchsorted(breaks, start)
        stretch_start = np.where(k > 0, breaks[np.maximum(k - 1, 0)] + 1, 0)
        j = np.searchsorted(breaks, end)
        closed = j < len(breaks)
        stretch_end = np.where(closed, breaks[np.minimum(j, len(breaks) - 1)], size)

        def inside(pattern: re.Pattern[str] | None) -> np.ndarray:
            if pattern is None:
                return np.zeros(n, dtype=bool)
            marks = np.fromiter((m.start() for m in pattern.finditer(big)), dtype=np.int64)
            found = np.searchsorted(marks, stretch_end) - np.searchsorted(marks, stretch_start)
            return found > 0

        unsure = inside(self.contrast_re)
        before = codes[np.maximum(stretch_start - 1, 0)]
        unsure |= (stretch_start > 0) & ((before == ord(":")) | (before == ord("：")))
        zh_doubt = inside(self.matcher.zh_doubt_re)
        closed_by_question = np.zeros(n, dtype=bool)
        if len(breaks):
            # runs of punctuation (a NUL between rows is a run of its own): does one hold "?"
            c = codes[breaks]
            nul = c == 0
            new_run = np.ones(len(breaks), dtype=bool)
            new_run[1:] = (np.diff(breaks) != 1) | nul[1:] | nul[:-1]
            run = np.cumsum(new_run) - 1
            asks = (c == ord("?")) | (c == ord("？"))
            run_asks = np.bincount(run, weights=asks, minlength=int(run[-1]) + 1) > 0
            closed_by_question[closed] = run_asks[run[j[closed]]]
        en_doubt = closed_by_question & inside(self.matcher.en_doubt_re)
        return unsure, zh_doubt | en_doubt

    def _chains(
        self,
        codes: np.ndarray,
        word: np.ndarray,
        start: np.ndarray,
        term: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Whether each hit is negated by the cue chain before it, and where the cues start."""
        n = len(start)
        count = np.zeros(n, dtype=np.int64)
        cue_start = start.copy()
        limit = np.maximum(start - MAX_PREFIX, 0)
        positive = self.positive[term]
        counterfeit = self.counterfeit[term]
        active = np.nonzero(start > 0)[0]
        consumed = start.copy()
        for _ in range(MAX_CHAIN):
            if not len(active):
                break
            q = consumed[active] - 1
            q -= codes[q] == ord(" ")
            lim = limit[active]
            fits = q >= lim
            active, q, lim = active[fits], q[fits], lim[fits]
            en_tok, en_at = self._longest(self.en_trie, codes, q, lim, word)
            zh_tok, zh_at = self._longest(self.zh_trie, codes, q, lim, None)
            use_en = en_tok >= 0
            kinds = np.where(
                use_en, self.en_kinds[np.maximum(en_tok, 0)], self.zh_kinds[np.maximum(zh_tok, 0)]
            )
            at = np.where(use_en, en_at, zh_at)
            matched = use_en | (zh_tok >= 0)
            pos = positive[active]
            counts = np.where(
                pos,
                (kinds & _POSITIVE_CUES) != 0,
                ((kinds & _CUES) != 0)
                | ((kinds & _CLAIM) != 0)
                | (((kinds & _CHOICE) != 0) & counterfeit[active]),
            )
            counts &= matched
            goes_on = matched & (counts | ((kinds & _MODIFIERS) != 0))
            hit_rows = active[counts]
            count[hit_rows] += 1
            cue_start[hit_rows] = at[counts]
            consumed[active] = np.where(matched, at, consumed[active])
            active = active[goes_on & (at > 0)]
        return count % 2 == 1, cue_start

    @staticmethod
    def _longest(
        trie: CharTrie, codes: np.ndarray, q: np.ndarray, lim: np.ndarray, word: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The longest reversed token ending at each ``q`` and starting at or after ``lim``.

        With ``word``, a token must not be preceded by a word character (unless it starts at
        the limit, where the regex's lookahead sees the end of its window).
        """
        n = len(q)
        token = np.full(n, -1, dtype=np.int64)
        token_at = q.copy()
        walker = np.nonzero(trie.first[codes[q]])[0]
        node = np.zeros(len(walker), dtype=np.int64)
        pos = q[walker]
        while len(walker):
            node = trie.step(node, codes[pos].astype(np.int64))
            alive = node >= 0
            walker, node, pos = walker[alive], node[alive], pos[alive]
            accept = trie.accept[node]
            ok = accept >= 0
            if word is not None:
                ok &= (pos == lim[walker]) | ~word[codes[np.maximum(pos - 1, 0)]] | (pos == 0)
            token[walker[ok]] = accept[ok]
            token_at[walker[ok]] = pos[ok]
            more = pos - 1 >= lim[walker]
            walker, node, pos = walker[more], node[more], pos[more] - 1
        return token, token_at


_READERS: weakref.WeakKeyDictionary[Matcher, VectorReader] = weakref.WeakKeyDictionary()


def reader_for(matcher: Matcher, lexicon: Lexicon) -> VectorReader:
    """The vectorised reader of a lexicon's matcher (built once per matcher)."""
    reader = _READERS.get(matcher)
    if reader is None:
        reader = _READERS[matcher] = VectorReader(matcher, lexicon)
    return reader
