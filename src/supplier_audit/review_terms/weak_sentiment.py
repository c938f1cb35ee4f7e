"""A negative-sentiment score learned from weakly labelled reviews, for the quality model.

Quality complaints are mostly negative reviews about the goods themselves, and the words of
negativity (不好, 失望, 不值, "disappointed", "waste") carry from one product category to the
next far better than a category's complaint vocabulary (卡, 开线 → 头屑, 不甜). Public review
sets with a published positive/negative label (data/weak_sentiment, see its README: os10's
train and valid categories, Blitzer's books, DVD, electronics and kitchen reviews; never a
test-split category or source) train a logistic regression over the flagger's own n-gram
features; its decision value, scaled by ``SCALE``, is one more column of the quality model
(stacking). Both are linear in the same features, so the shipped quality weights are the sum
``w + SCALE * v * sentiment_w`` (``v``: the quality model's weight on the sentiment column)
and scoring is unchanged. Used by ``training`` only (scikit-learn).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

REPO = Path(__file__).resolve().parents[3]
WEAK_DATA = REPO / "data" / "weak_sentiment" / "weak_sentiment.csv.xz"

#: the sentiment decision enters the quality model multiplied by this (a decision of a few
#: units becomes a feature of the size of the n-gram features)
SCALE = 0.1

#: labels whose model reads the sentiment column (counterfeit suspicion is not negativity)
STACKED_LABELS = ("quality_issue",)

SENTIMENT_C = 1.0


@dataclass(frozen=True)
class WeakSet:
    """One language's weakly labelled texts: text, 1 = negative review, category."""

    texts: list[str]
    negative: np.ndarray
    categories: np.ndarray


def load_weak(path: Path = WEAK_DATA) -> tuple[dict[str, WeakSet], str]:
    """Each language's weak set, and the file's sha256 (the data version)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, compression="xz")
    out = {
        str(lang): WeakSet(
            texts=rows["text"].tolist(),
            negative=rows["negative"].astype(int).to_numpy(),
            categories=rows["category"].to_numpy(),
        )
        for lang, rows in frame.groupby("lang", sort=True)
    }
    return out, hashlib.sha256(path.read_bytes()).hexdigest()


def _fit(x: sparse.csr_matrix, y: np.ndarray, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        C=SENTIMENT_C, solver="liblinear", max_iter=1000, tol=1e-5, random_state=seed
    )
    model.fit(x, y)
    return model


@dataclass(frozen=True)
class SentimentColumns:
    """The scaled sentiment decision of every fitted text: ``held_out[g]`` from a model
    trained without the weak texts of category ``g`` (for predicting ``g`` out of
    category), ``final`` from one trained on every weak text, with its weights and bias."""

    held_out: dict[str, np.ndarray]
    final: np.ndarray
    weights: np.ndarray
    bias: float


def sentiment_columns(
    weak_x: sparse.csr_matrix,
    weak: WeakSet,
    fit_x: sparse.csr_matrix,
    groups: np.ndarray,
    *,
    seed: int,
) -> SentimentColumns:
    """Sentiment decisions (times SCALE) of the fitted texts, per held-out category and final."""
    held_out = {}
    for group in sorted(set(groups.tolist())):
        keep = weak.categories != group
        held_out[group] = SCALE * _fit(weak_x[keep], weak.negative[keep], seed).decision_function(
            fit_x
        )
    final = _fit(weak_x, weak.negative, seed)
    return SentimentColumns(
        held_out=held_out,
        final=SCALE * final.decision_function(fit_x),
        weights=np.asarray(final.coef_[0], dtype=np.float64),
        bias=float(final.intercept_[0]),
    )


def with_column(x: sparse.csr_matrix, column: np.ndarray) -> sparse.csr_matrix:
    """``x`` with ``column`` appended as its last column."""
    out: sparse.csr_matrix = sparse.hstack([x, sparse.csr_matrix(column.reshape(-1, 1))]).tocsr()
    return out


def folded(
    weights: np.ndarray, bias: float, sentiment: SentimentColumns
) -> tuple[np.ndarray, float]:
    """A stacked model's n-gram weights and bias with the sentiment column folded in
    (``weights``' last entry is the sentiment column's weight)."""
    v = float(weights[-1])
    return weights[:-1] + SCALE * v * sentiment.weights, bias + SCALE * v * sentiment.bias
