"""The learned review flagger: hashed n-gram features and a linear model per language.

The model beside the lexicon (see ``combined``): for each language a logistic regression
over character n-grams (and, for English, word unigrams and bigrams), trained by
``supplier_audit.review_terms.training`` on data/review_corpus and shipped as JSON (the
n-grams as text, their weights, the Platt calibration and the decision threshold of each
label). Loading needs neither scikit-learn nor pickle.

Scoring is vectorised over a whole column, a block of texts at a time (small enough for the
per-occurrence arrays to stay in the CPU's cache): the n-gram occurrences of every text of the
block are found and hashed at once (:mod:`.features`), and one ``add.at`` pass sums each
text's weights of both labels (as a complex number), in the order the n-grams occur. A
feature's value is its count in the text divided by the square root of the text's length, so
a text's score is ``bias + sum(weights of its n-grams) / sqrt(length)``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.review_terms.features import (
    FeatureSpec,
    NgramTable,
    code_points,
    feature_hash,
    is_chinese,
    normalised_column,
    occurrences,
)

#: Labels the model scores, in the order of its weight rows.
LABELS = ("quality_issue", "counterfeit_suspect")


#: characters scored per block: the per-occurrence arrays of a block (a few hundred
#: thousand n-grams, a few MB each) stay in the CPU's cache between the dozen numpy passes
#: over them, which is what makes them fast; blocks of 100,000 texts scored 3x slower
_BLOCK_CHARS = 32_768


@dataclass(frozen=True)
class LanguageModel:
    """One language's features and, per label, weights, bias, calibration and threshold."""

    lang: str
    spec: FeatureSpec
    kinds: tuple[str, ...]
    grams: tuple[str, ...]
    weights: np.ndarray  # (labels, features)
    bias: np.ndarray  # (labels,)
    calibration: np.ndarray  # (labels, 2): probability = sigmoid(a * score + b)
    threshold: np.ndarray  # (labels,), NaN: the label is not flagged by the model
    table: NgramTable

    @functools.cached_property
    def readable(self) -> np.ndarray:
        """Whether each feature can be named as a reason: Chinese of two characters or
        more, English words and word pairs."""
        return np.array(
            [
                kind in ("word", "bigram") or (self.lang == "zh" and len(gram) >= 2)
                for kind, gram in zip(self.kinds, self.grams, strict=True)
            ],
            dtype=bool,
        )

    @functools.cached_property
    def gram_order(self) -> np.ndarray:
        """Each feature's place among the n-grams sorted as text (equal texts, of two
        kinds, share it)."""
        order = {gram: k for k, gram in enumerate(sorted(set(self.grams)))}
        return np.array([order[gram] for gram in self.grams], dtype=np.int64)

    @functools.cached_property
    def inside(self) -> tuple[np.ndarray, np.ndarray]:
        """For each readable feature, the features whose n-gram is part of its n-gram
        (itself included, and those of the same text and another kind): what a reason is
        credited with. CSR: ``members[starts[f] : starts[f + 1]]``."""
        by_gram: dict[str, list[int]] = {}
        for f, gram in enumerate(self.grams):
            by_gram.setdefault(gram, []).append(f)
        members: list[int] = []
        starts = [0]
        for f, gram in enumerate(self.grams):
            if self.readable[f]:
                n = len(gram)
                parts = {gram[i:j] for i in range(n) for j in range(i + 1, n + 1)}
                members.extend(g for part in parts for g in by_gram.get(part, ()))
            starts.append(len(members))
        return np.array(starts, dtype=np.int64), np.array(members, dtype=np.int64)

    @functools.cached_property
    def paired_weights(self) -> np.ndarray:
        """The weights of two labels as one complex number per feature (the first label's
        the real part, the second's the imaginary part; labels padded to an even number),
        and the number 0 after the last feature, which the feature number -1 (no feature)
        reads: (labels / 2, features + 1)."""
        pairs = (len(self.weights) + 1) // 2
        out = np.zeros((pairs, self.weights.shape[1] + 1), dtype=np.complex128)
        out.real[:, :-1] = self.weights[0::2]
        out.imag[: len(self.weights) // 2, :-1] = self.weights[1::2]
        return out

    @classmethod
    def from_json(cls, lang: str, data: dict[str, Any]) -> LanguageModel:
        kinds = tuple(data["kinds"])
        grams = tuple(data["grams"])
        hashes = np.array(
            [feature_hash(k, g) for k, g in zip(kinds, grams, strict=True)], dtype=np.uint64
        )
        labels = data["labels"]
        nan = float("nan")

        def per_label(key: str, default: Any) -> list[Any]:
            return [
                labels[name].get(key, default) if name in labels else default for name in LABELS
            ]

        zero = [0.0] * len(grams)
        return cls(
            lang=lang,
            spec=FeatureSpec(tuple(data["spec"]["char_sizes"]), bool(data["spec"]["words"])),
            kinds=kinds,
            grams=grams,
            weights=np.array(per_label("weights", zero), dtype=np.float64).reshape(len(LABELS), -1),
            bias=np.array(per_label("bias", 0.0), dtype=np.float64),
            calibration=np.array(per_label("calibration", [1.0, 0.0]), dtype=np.float64),
            threshold=np.array(
                [nan if v is None else v for v in per_label("threshold", None)], dtype=np.float64
            ),
            table=NgramTable(hashes),
        )


@dataclass(frozen=True)
class Scores:
    """Model output for a column: probabilities per label and the n-gram evidence."""

    probability: np.ndarray  # (texts, labels)
    flagged: np.ndarray  # (texts, labels) bool: probability >= the label's threshold


@dataclass(frozen=True)
class LearnedFlagger:
    """The shipped model: a ``LanguageModel`` per language, with its provenance."""

    version: str
    data_sha256: str
    models: dict[str, LanguageModel]
    metrics: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LearnedFlagger:
        return cls(
            version=str(data["version"]),
            data_sha256=str(data["data"]["sha256"]),
            models={lang: LanguageModel.from_json(lang, m) for lang, m in data["models"].items()},
            metrics=data.get("metrics", {}),
        )

    def only(self, languages: Collection[str]) -> LearnedFlagger:
        """The same flagger scoring only texts of ``languages`` (others: probability 0)."""
        if set(languages) >= set(self.models):
            return self
        kept = {lang: model for lang, model in self.models.items() if lang in languages}
        return dataclasses.replace(self, models=kept)

    def score(self, values: pa.Array) -> Scores:
        """Probability of each label for every text (0 for empty texts)."""
        n = len(values)
        prob = np.zeros((n, len(LABELS)), dtype=np.float64)
        flagged = np.zeros((n, len(LABELS)), dtype=bool)
        if not n:
            return Scores(prob, flagged)
        norm = normalised_column(values)
        for model, rows in self._by_language(norm):
            texts = pc.take(norm, pa.array(rows))
            raw = np.vstack([
                model_scores(model, texts.slice(start, stop - start))
                for start, stop in _blocks(texts)
            ])  # fmt: skip
            p = _sigmoid(raw * model.calibration[:, 0] + model.calibration[:, 1])
            prob[rows] = p
            flagged[rows] = p >= np.where(np.isnan(model.threshold), np.inf, model.threshold)
        return Scores(prob, flagged)

    def _by_language(self, norm: pa.Array) -> Iterator[tuple[LanguageModel, np.ndarray]]:
        """Each language's model with the rows of ``norm`` in that language (a language with
        no model or no rows is left out)."""
        chinese = is_chinese(norm)
        for lang, rows in (("zh", np.nonzero(chinese)[0]), ("en", np.nonzero(~chinese)[0])):
            model = self.models.get(lang)
            if model is not None and len(rows):
                yield model, rows

    def reasons(self, values: pa.Array, labels: np.ndarray, *, top: int = 3) -> list[str]:
        """For each text, the n-grams that pushed ``labels[i]`` up most ("n-gram;…").

        The n-grams that explain a score best: readable ones (Chinese of two characters or
        more, English words and word pairs) with a positive weight in the text, each
        credited with what the n-grams inside it contribute, strongest first (then by
        text, then in the order found), none contained in one already listed (不一 in
        不一样). The credits of all texts are found at once; only the choice among each
        text's few credited n-grams is made text by text.
        """
        out = [""] * len(values)
        norm = normalised_column(values)
        for model, rows in self._by_language(norm):
            points = code_points(pc.take(norm, pa.array(rows)))
            found = occurrences(points, model.spec)
            feature = model.table.lookup(found.hashes)
            keep = feature >= 0
            size = len(model.grams)
            # each text's distinct features (sorted by text, then feature), how often and
            # where first found, and what they contribute
            key = found.doc[keep] * size + feature[keep]
            distinct, first, count = np.unique(key, return_index=True, return_counts=True)
            doc, feature = np.divmod(distinct, size)
            summed = _repeated_sums(model.weights[labels[rows[doc]], feature], count)
            found_as = np.empty(len(distinct), dtype=np.int64)
            found_as[np.lexsort((first, doc))] = np.arange(len(distinct))
            named = np.nonzero((summed > 0) & model.readable[feature])[0]
            credit = _credits(model, distinct, doc, feature, summed, found_as, named)
            named, credit = named[credit > 0], credit[credit > 0]
            order = np.lexsort((
                found_as[named], model.gram_order[feature[named]], -credit, doc[named]
            ))  # fmt: skip
            ranked_doc, ranked = doc[named[order]], feature[named[order]]
            bounds = np.searchsorted(ranked_doc, np.arange(len(rows) + 1)).tolist()
            grams = model.grams
            ranked_features = ranked.tolist()
            for j, row in enumerate(rows.tolist()):
                chosen: list[int] = []
                for f in ranked_features[bounds[j] : bounds[j + 1]]:
                    gram = grams[f]
                    if not any(gram in grams[g] or grams[g] in gram for g in chosen):
                        chosen.append(f)
                        if len(chosen) == top:
                            break
                out[row] = ";".join(_shown(grams[f]) for f in chosen)
        return out


def _credits(
    model: LanguageModel,
    distinct: np.ndarray,
    doc: np.ndarray,
    feature: np.ndarray,
    summed: np.ndarray,
    found_as: np.ndarray,
    named: np.ndarray,
) -> np.ndarray:
    """What the n-grams inside each ``named`` (text, feature) contribute in that text, added
    in the order they were first found in it (as a text's contributions were summed)."""
    starts, members = model.inside
    first = starts[feature[named]]
    lengths = starts[feature[named] + 1] - first
    owner = np.repeat(np.arange(len(named)), lengths)
    within = np.arange(len(owner)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    wanted = doc[named][owner] * len(model.grams) + members[first[owner] + within]
    at = np.minimum(np.searchsorted(distinct, wanted), len(distinct) - 1)
    present = distinct[at] == wanted
    owner, at = owner[present], at[present]
    order = np.lexsort((found_as[at], owner))
    owner, values = owner[order], summed[at[order]]
    begin = np.searchsorted(owner, np.arange(len(named) + 1))
    out = np.zeros(len(named), dtype=np.float64)
    # one addition per step for every credit still adding: the same order, the same float
    step = 0
    active = np.nonzero(begin[1:] > begin[:-1])[0]
    while len(active):
        out[active] += values[begin[active] + step]
        step += 1
        active = active[begin[active + 1] > begin[active] + step]
    return out


#: how often a weight is added in numpy before the rest of the additions go on in Python
_REPEATS_IN_NUMPY = 64


def _repeated_sums(weight: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``0.0 + w + w + ...`` (``count`` times ``w``), added one at a time as a text's
    contributions were (``count * w`` may differ from it in the last bit); the additions
    past the first ``_REPEATS_IN_NUMPY`` (a long text repeating itself) in Python."""
    out = np.zeros(len(weight), dtype=np.float64)
    active = np.arange(len(weight))
    done = 0
    while len(active) and done < _REPEATS_IN_NUMPY:
        out[active] += weight[active]
        done += 1
        active = active[count[active] > done]
    for i in active.tolist():
        total, w = float(out[i]), float(weight[i])
        for _ in range(int(count[i]) - done):
            total += w
        out[i] = total
    return out


_EDGE = " ,，。.!！?？;；:：、~～"


def _shown(gram: str) -> str:
    """An n-gram as a reason: without the punctuation at its ends."""
    return gram.strip(_EDGE).replace(";", ",")


def model_scores(model: LanguageModel, norm: pa.Array) -> np.ndarray:
    """The linear score of each label for normalised texts: (texts, labels).

    Every occurrence is summed, those of no feature with the weight 0 (after the last
    feature, where the look-up's -1 points): adding 0.0 leaves a sum as it was, so each
    text's sum is the one of its features' weights in the order they occur, bit for bit,
    without first selecting the occurrences that are features.
    """
    points = code_points(norm)
    found = occurrences(points, model.spec)
    feature = model.table.lookup(found.hashes)
    n = len(norm)
    root = np.sqrt(np.maximum(np.diff(points.starts), 1).astype(np.float64))
    out = np.empty((n, len(LABELS)), dtype=np.float64)
    for k, weights in enumerate(model.paired_weights):
        # two labels in one pass: ``add.at`` adds in the order of the occurrences, as
        # ``bincount`` did label by label, and a complex sum is the sums of its two parts
        summed = np.zeros(n, dtype=np.complex128)
        np.add.at(summed, found.doc, weights.take(feature))
        for i, part in ((2 * k, summed.real), (2 * k + 1, summed.imag)):
            if i < len(LABELS):
                out[:, i] = model.bias[i] + part / root
    return out


def _blocks(texts: pa.Array) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive texts holding about ``_BLOCK_CHARS`` characters (a text
    longer than that is a block of its own)."""
    ends = np.cumsum(pc.utf8_length(texts).to_numpy(zero_copy_only=False), dtype=np.int64)
    cuts = np.searchsorted(ends, np.arange(_BLOCK_CHARS, ends[-1], _BLOCK_CHARS), "right")
    bounds = np.unique(np.concatenate([[0], cuts, [len(texts)]]))
    yield from zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


MODEL_FILE = "flagger.json"


@functools.cache
def shipped_flagger() -> LearnedFlagger | None:
    """The model shipped in ``review_terms/model`` (None when none is shipped)."""
    path = resources.files("supplier_audit.review_terms").joinpath("model", MODEL_FILE)
    if not path.is_file():
        return None
    return LearnedFlagger.from_json(json.loads(path.read_text("utf-8")))


def load_flagger(path: str | Path) -> LearnedFlagger:
    """A model from a JSON file written by ``training``."""
    return LearnedFlagger.from_json(json.loads(Path(path).read_text("utf-8")))


def finite(value: float) -> float | None:
    """JSON-safe float (None for NaN)."""
    return None if math.isnan(value) else value


__all__: Sequence[str] = (
    "LABELS",
    "MODEL_FILE",
    "LanguageModel",
    "LearnedFlagger",
    "Scores",
    "load_flagger",
    "shipped_flagger",
)
