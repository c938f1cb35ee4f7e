"""Train the learned review flagger on data/review_corpus (``make train-flagger``).

    python -m supplier_audit.review_terms.training [--corpus CSV] [--out JSON]

For each language, on the corpus's train and valid splits only (the test split is scored,
never fitted or tuned on):

1. the n-grams of ``features.SPECS`` found in at least ``MIN_DF`` texts become the features;
2. per label, the regularisation strength is chosen by leave-one-category-out
   predictions (every category is predicted by a model that never saw it, which is what
   a new shop's goods look like), a Platt calibration is fitted on those predictions, and
   the threshold is the one that maximises the F1 of "lexicon hit OR model probability >=
   threshold" on them, among thresholds keeping that precision >= ``MIN_PRECISION`` when
   any does;
3. the final model is fitted on all those texts.

The quality model also reads a negative-sentiment score learned from weakly labelled
reviews of other sources and categories (data/weak_sentiment; see ``weak_sentiment``),
held out by category like the rest, and folded into its n-gram weights when exported.

The model is written as JSON (n-grams as text, weights rounded to ``DIGITS`` decimals),
with the corpus's sha256 and the measured figures, so that the same corpus gives the same
bytes. scikit-learn is needed here only; scoring reads the JSON (see ``learned``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse

from supplier_audit.review_terms.combined import lexicon_terms_present
from supplier_audit.review_terms.features import (
    SPECS,
    NgramTable,
    feature_counts,
    feature_hash,
    grams_of,
    normalised_column,
)
from supplier_audit.review_terms.flagging import flag_texts
from supplier_audit.review_terms.learned import LABELS, LearnedFlagger
from supplier_audit.review_terms.weak_sentiment import (
    SCALE,
    STACKED_LABELS,
    WEAK_DATA,
    SentimentColumns,
    folded,
    load_weak,
    sentiment_columns,
    with_column,
)

logger = logging.getLogger(__name__)

VERSION = "2026.12.5"
SEED = 20261202
MIN_DF = 3
MAX_FEATURES = 20_000
#: the weak set's most frequent n-grams added to the corpus's (more features: slower scoring)
WEAK_FEATURES = 5_000
MIN_POSITIVES = 25
MIN_PRECISION = 0.80
C_GRID = (1.0, 4.0)
DIGITS = 4
REPO = Path(__file__).resolve().parents[3]
DEFAULT_CORPUS = REPO / "data" / "review_corpus" / "review_corpus.csv"
DEFAULT_OUT = Path(__file__).parent / "model" / "flagger.json"
FIT_SPLITS = ("train", "valid")


@dataclass(frozen=True)
class Vocabulary:
    kinds: list[str]
    grams: list[str]
    table: NgramTable


def _frequent(texts: Sequence[str], lang: str, most: int = MAX_FEATURES) -> set[tuple[str, str]]:
    df: Counter[tuple[str, str]] = Counter()
    for text in texts:
        df.update(set(grams_of(text, SPECS[lang])))
    kept = sorted((key for key, count in df.items() if count >= MIN_DF), key=lambda k: (-df[k], k))
    return set(kept[:most])


def build_vocabulary(texts: list[str], lang: str, weak_texts: Sequence[str] = ()) -> Vocabulary:
    """N-grams found in at least MIN_DF texts (the most frequent MAX_FEATURES) of ``texts``
    and the same of ``weak_texts``, sorted."""
    weak = _frequent(weak_texts, lang, WEAK_FEATURES) if weak_texts else set()
    kept = sorted(_frequent(texts, lang) | weak)
    kinds = [k for k, _ in kept]
    grams = [g for _, g in kept]
    hashes = np.array([feature_hash(k, g) for k, g in kept], dtype=np.uint64)
    return Vocabulary(kinds, grams, NgramTable(hashes))


def design_matrix(norm: pa.Array, lang: str, vocab: Vocabulary) -> sparse.csr_matrix:
    """Rows: texts; columns: features; values: count / sqrt(text length)."""
    doc, feature, value, _ = feature_counts(SPECS[lang], vocab.table, norm)
    matrix = sparse.coo_matrix((value, (doc, feature)), shape=(len(norm), len(vocab.grams))).tocsr()
    matrix.sum_duplicates()
    return matrix


def _fit(x: sparse.csr_matrix, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    # liblinear: exact and fast on a few thousand sparse rows; deterministic for a fixed seed
    model = LogisticRegression(C=c, solver="liblinear", max_iter=1000, tol=1e-5, random_state=SEED)
    model.fit(x, y)
    return model


def out_of_category(
    x: sparse.csr_matrix,
    y: np.ndarray,
    groups: np.ndarray,
    c: float,
    sentiment: SentimentColumns | None = None,
) -> np.ndarray:
    """Decision values of each text from a model fitted without the text's category (and,
    stacked, with the sentiment column of a sentiment model that never saw it either)."""
    out = np.zeros(len(y), dtype=np.float64)
    for group in sorted(set(groups.tolist())):
        held = groups == group
        if y[~held].min() == y[~held].max():
            out[held] = -10.0
            continue
        xg = x if sentiment is None else with_column(x, sentiment.held_out[group])
        out[held] = _fit(xg[~held], y[~held], c).decision_function(xg[held])
    return out


def f1_scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float | int]:
    tp = int((truth & predicted).sum())
    fp = int((~truth & predicted).sum())
    fn = int((truth & ~predicted).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
        "positives": int(truth.sum()), "texts": len(truth),
    }  # fmt: skip


def choose_threshold(probability: np.ndarray, lexicon: np.ndarray, truth: np.ndarray) -> float:
    """Threshold maximising the combined F1 (precision >= MIN_PRECISION when possible)."""
    candidates = np.unique(np.round(probability, 3))
    candidates = candidates[(candidates >= 0.05) & (candidates <= 0.99)]
    best: tuple[bool, float, float] | None = None
    for t in candidates.tolist():
        s = f1_scores(truth, lexicon | (probability >= t))
        key = (float(s["precision"]) >= MIN_PRECISION, float(s["f1"]), t)
        if best is None or key > best:
            best = key
    return 0.5 if best is None else best[2]


def platt(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(a, b) with P(y=1) = sigmoid(a * decision + b), fitted on held-out decisions."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6, max_iter=5000, tol=1e-8)
    model.fit(decision.reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def _fit_label(
    x: Any,
    y: np.ndarray,
    groups: np.ndarray,
    lex: np.ndarray,
    allowed: np.ndarray,
    sentiment: SentimentColumns | None = None,
) -> tuple[dict[str, Any], np.ndarray]:
    """One label's model: the regularisation strength and threshold whose out-of-category
    decisions, OR-ed with the lexicon, score the best F1 (ties: the stronger regularisation),
    refitted on every row; with its out-of-category probabilities. With ``sentiment`` the
    model also reads the sentiment column, folded into its n-gram weights when exported."""
    scored = []
    for c in C_GRID:
        decision = out_of_category(x, y, groups, c, sentiment)
        a, b = platt(decision, y)
        p = _sigmoid(a * decision + b) * allowed
        t = choose_threshold(p, lex, y.astype(bool))
        s = f1_scores(y.astype(bool), lex | (p >= t))
        scored.append((float(s["f1"]), -c, c, decision, a, b, t))
    _, _, c, decision, a, b, t = max(scored, key=lambda item: item[:3])
    if sentiment is None:
        final = _fit(x, y, c)
        weights, bias = np.asarray(final.coef_[0]), float(final.intercept_[0])
    else:
        final = _fit(with_column(x, sentiment.final), y, c)
        weights, bias = folded(np.asarray(final.coef_[0]), float(final.intercept_[0]), sentiment)
    model = {
        "C": c,
        "bias": round(bias, DIGITS),
        "weights": [round(float(w), DIGITS) for w in weights],
        "calibration": [round(a, DIGITS), round(b, DIGITS)],
        "threshold": t,
    }
    return model, _sigmoid(a * decision + b)


def train(corpus_path: Path, weak_path: Path | None = WEAK_DATA) -> dict[str, Any]:
    """The model as a JSON-ready dict (see the module docstring)."""
    raw = corpus_path.read_bytes()
    corpus = pd.read_csv(corpus_path, dtype=str, keep_default_na=False)
    lexicon = flag_texts(corpus["text"])
    # where the lexicon saw a term of a label and left it quiet, the model may not flag it
    vetoed = lexicon_terms_present(pa.array(corpus["text"].tolist()))
    weak_sets, weak_sha256 = load_weak(weak_path) if weak_path is not None else ({}, "")
    models: dict[str, Any] = {}
    held_out: dict[str, Any] = {}
    for lang in ("zh", "en"):
        rows = corpus[corpus["lang"] == lang]
        fit_rows = rows[rows["split"].isin(FIT_SPLITS)]
        if fit_rows.empty:
            continue
        norm_fit = normalised_column(pa.array(fit_rows["text"].tolist()))
        weak = weak_sets.get(lang)
        norm_weak = normalised_column(pa.array(weak.texts if weak else [], type=pa.string()))
        vocab = build_vocabulary(norm_fit.to_pylist(), lang, norm_weak.to_pylist())
        x = design_matrix(norm_fit, lang, vocab)
        groups = fit_rows["category"].to_numpy()
        sentiment = None
        if weak is not None:
            weak_x = design_matrix(norm_weak, lang, vocab)
            sentiment = sentiment_columns(weak_x, weak, x, groups, seed=SEED)
        labels: dict[str, Any] = {}
        for label in LABELS:
            y = fit_rows[label].astype(int).to_numpy()
            if y.sum() < MIN_POSITIVES:
                logger.info("%s %s: %d positives, not modelled", lang, label, y.sum())
                labels[label] = {"skipped": f"{int(y.sum())} positives in train+valid"}
                continue
            lex = lexicon.loc[fit_rows.index, label].to_numpy(dtype=bool)
            allowed = ~vetoed[fit_rows.index.to_numpy(), LABELS.index(label)]
            stacked = sentiment if label in STACKED_LABELS else None
            labels[label], probability = _fit_label(x, y, groups, lex, allowed, stacked)
            held_out[f"{lang}/{label}"] = {
                "rows": fit_rows["corpus_id"].tolist(),
                "probability": probability,
            }
        models[lang] = {
            "spec": SPECS[lang].as_json(),
            "kinds": vocab.kinds,
            "grams": vocab.grams,
            "labels": labels,
        }
    artifact: dict[str, Any] = {
        "version": VERSION,
        "data": {
            "corpus": "data/review_corpus/review_corpus.csv",
            "sha256": hashlib.sha256(raw).hexdigest(),
            "fit_splits": list(FIT_SPLITS),
            "weak_sentiment": {
                "data": "data/weak_sentiment/weak_sentiment.csv.xz",
                "sha256": weak_sha256,
                "labels": list(STACKED_LABELS),
                "scale": SCALE,
            },
        },
        "models": models,
    }
    artifact["metrics"] = measure(corpus, lexicon, artifact, held_out, vetoed)
    return artifact


def measure(
    corpus: pd.DataFrame,
    lexicon: pd.DataFrame,
    artifact: dict[str, Any],
    held_out: dict[str, Any],
    vetoed: np.ndarray,
) -> dict[str, Any]:
    """Figures of the exported model: test split, and each fitted category held out."""
    flagger = LearnedFlagger.from_json(json.loads(json.dumps(artifact)))
    scores = flagger.score(pa.array(corpus["text"].tolist()))
    lexicon_flags = lexicon[list(LABELS)].to_numpy(dtype=bool)
    allowed = ~vetoed | lexicon_flags
    out: dict[str, Any] = {"test": {}, "held_out_category": {}}
    for lang in sorted(artifact["models"]):
        for i, label in enumerate(LABELS):
            model_flag = scores.flagged[:, i].copy()
            key = f"{lang}/{label}"
            if key in held_out:
                # fitted categories: the out-of-category probabilities, not the final model's
                where = corpus.index[corpus["corpus_id"].isin(held_out[key]["rows"])]
                t = artifact["models"][lang]["labels"][label]["threshold"]
                model_flag = model_flag.copy()
                model_flag[where] = held_out[key]["probability"] >= t
            rows = corpus["lang"] == lang
            truth = corpus[label].astype(int).to_numpy().astype(bool)
            lex = lexicon[label].to_numpy(dtype=bool)
            test = (rows & (corpus["split"] == "test")).to_numpy()
            combined = lex | (model_flag & allowed[:, i])
            out["test"][key] = {
                "lexicon": f1_scores(truth[test], lex[test]),
                "model": f1_scores(truth[test], model_flag[test]),
                "combined": f1_scores(truth[test], combined[test]),
            }
            per_category = {}
            for category in sorted(set(corpus.loc[rows, "category"])):
                m = (rows & (corpus["category"] == category)).to_numpy()
                per_category[category] = {
                    "split": str(corpus.loc[m, "split"].iloc[0]),
                    "lexicon": f1_scores(truth[m], lex[m]),
                    "combined": f1_scores(truth[m], combined[m]),
                }
            out["held_out_category"][key] = per_category
    return out


def write(artifact: dict[str, Any], out: Path) -> None:
    """JSON with sorted keys and one n-gram per line (stable bytes, readable diffs)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(artifact, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    out.write_text(text + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--weak", type=Path, default=WEAK_DATA)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    artifact = train(args.corpus, args.weak)
    write(artifact, args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, sha256 {digest})")
    for key, figures in artifact["metrics"]["test"].items():
        print(key, {name: (f["precision"], f["recall"], f["f1"]) for name, f in figures.items()})


if __name__ == "__main__":
    main()
