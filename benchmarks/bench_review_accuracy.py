"""Precision, recall and F1 of review flagging: lexicon, learned model, and both combined.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_review_accuracy.py \
        [--errors zh counterfeit_suspect] [--devset]

On data/review_corpus (see its README): per language and label, on the TEST split (whole
categories and sources no lexicon entry, model weight or threshold was chosen from), the
lexicon alone, the shipped model alone and the combined decision (lexicon hit OR model
probability >= threshold); then every category with the learned part held out: for the
categories of the train and valid splits, the probabilities of a model trained without
that category (leave-one-category-out, computed by ``make train-flagger`` and stored in
the model's metrics), for the test categories the shipped model. ``--devset`` also prints
the lexicon on data/review_devset (the set the lexicon was tuned on: optimistic).
``--errors LANG LABEL`` lists the combined decision's errors on the test split.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from supplier_audit.review_terms import flag_texts
from supplier_audit.review_terms.combined import flag_reviews_combined
from supplier_audit.review_terms.learned import LABELS, shipped_flagger

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "review_corpus" / "review_corpus.csv"
DEVSET = ROOT / "data" / "review_devset" / "reviews_labelled.csv"
GOALS = {("zh", "counterfeit_suspect"): 0.92, ("zh", "quality_issue"): 0.80,
         ("en", "quality_issue"): 0.75}  # fmt: skip


def scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 and the counts behind them."""
    truth = truth.astype(bool)
    predicted = predicted.astype(bool)
    tp = int((truth & predicted).sum())
    fp = int((~truth & predicted).sum())
    fn = int((truth & ~predicted).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn,
            "positives": int(truth.sum()), "n": len(truth)}  # fmt: skip


def _line(name: str, s: dict[str, float]) -> str:
    return (
        f"  {name:<10}{s['n']:>6}{s['positives']:>6}{s['precision']:>8.3f}{s['recall']:>8.3f}"
        f"{s['f1']:>8.3f}{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--errors", nargs=2, metavar=("LANG", "LABEL"))
    parser.add_argument("--devset", action="store_true")
    args = parser.parse_args()
    flagger = shipped_flagger()
    if flagger is None:
        raise SystemExit("no shipped model: run make train-flagger")
    corpus = pd.read_csv(CORPUS, dtype=str, keep_default_na=False)
    test = corpus[corpus["split"] == "test"].reset_index(drop=True)
    lexicon = flag_texts(test["text"])
    model = flagger.score(pa.array(test["text"].tolist()))
    combined = flag_reviews_combined(test["text"], flagger=flagger)
    print(f"model {flagger.version}, corpus sha256 {flagger.data_sha256[:12]}")
    print("TEST split: " + ", ".join(
        f"{lang} {'+'.join(sorted(set(test.loc[test['lang'] == lang, 'category'])))}"
        for lang in ("zh", "en")))  # fmt: skip
    print(f"  {'':<10}{'n':>6}{'pos':>6}{'P':>8}{'R':>8}{'F1':>8}{'tp':>6}{'fp':>6}{'fn':>6}")
    for lang in ("zh", "en"):
        rows = (test["lang"] == lang).to_numpy()
        for i, label in enumerate(LABELS):
            truth = test[label].astype(int).to_numpy()[rows]
            print(
                f"{lang} {label}"
                + (f"  (goal F1 >= {GOALS[lang, label]})" if (lang, label) in GOALS else "")
            )
            print(_line("lexicon", scores(truth, lexicon[label].to_numpy()[rows])))
            print(_line("model", scores(truth, model.flagged[rows, i])))
            print(_line("combined", scores(truth, combined[label].to_numpy()[rows])))
    print("\nEach category held out (train/valid: leave-one-category-out models; test: the"
          " shipped model), combined decision:")  # fmt: skip
    for key, per_category in flagger.metrics.get("held_out_category", {}).items():
        print(key)
        for category, figures in per_category.items():
            c, lx = figures["combined"], figures["lexicon"]
            print(
                f"  {category:<22}{figures['split']:<7}pos {c['positives']:>4}   lexicon F1 "
                f"{lx['f1']:.3f}   combined P {c['precision']:.3f} R {c['recall']:.3f} "
                f"F1 {c['f1']:.3f}"
            )
    if args.devset:
        devset = pd.read_csv(DEVSET)
        flags = flag_texts(devset["text"])
        print("\nlexicon on data/review_devset (tuned on it):")
        for lang in ("zh", "en"):
            rows = (devset["lang"] == lang).to_numpy()
            for label in LABELS:
                s = scores(devset[label].to_numpy()[rows], flags[label].to_numpy()[rows])
                print(_line(f"{lang} {label[:7]}", s))
    if args.errors:
        lang, label = args.errors
        rows = test["lang"] == lang
        truth = test[label].astype(int).astype(bool)
        flagged = combined[label].astype(bool)
        for name, mask in (("false positives", rows & ~truth & flagged),
                           ("false negatives", rows & truth & ~flagged)):  # fmt: skip
            print(f"\n{name}:")
            for i in np.nonzero(mask.to_numpy())[0].tolist():
                print(
                    f"  {test.at[i, 'corpus_id']} [{combined.at[i, 'flag_source']} "
                    f"{combined.at[i, 'matched_terms']}] {test.at[i, 'text'][:100]}"
                )
    print(json.dumps({"version": flagger.version}))


if __name__ == "__main__":
    main()
