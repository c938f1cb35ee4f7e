"""Precision, recall and F1 of review term flagging on the labelled dev set.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_review_accuracy.py \
        [--errors zh counterfeit_suspect]

The dev set (data/review_devset/reviews_labelled.csv) holds real reviews labelled by reading
them; see data/review_devset/README.md. ``--errors LANG LABEL`` also lists the false
positives and false negatives of one language and label.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from supplier_audit.review_terms import flag_texts

DEVSET = Path(__file__).resolve().parents[1] / "data" / "review_devset" / "reviews_labelled.csv"
LABELS = ("quality_issue", "counterfeit_suspect")


def scores(truth: pd.Series, predicted: pd.Series) -> dict[str, float]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--errors", nargs=2, metavar=("LANG", "LABEL"))
    args = parser.parse_args()
    devset = pd.read_csv(DEVSET)
    flags = flag_texts(devset["text"])
    print(
        f"{'lang':<5}{'label':<22}{'n':>5}{'pos':>5}{'P':>8}{'R':>8}{'F1':>8}"
        f"{'tp':>5}{'fp':>5}{'fn':>5}"
    )
    for lang in ("zh", "en"):
        rows = devset["lang"] == lang
        for label in LABELS:
            s = scores(devset.loc[rows, label], flags.loc[rows, label])
            print(
                f"{lang:<5}{label:<22}{s['n']:>5}{s['positives']:>5}{s['precision']:>8.3f}"
                f"{s['recall']:>8.3f}{s['f1']:>8.3f}{s['tp']:>5}{s['fp']:>5}{s['fn']:>5}"
            )
    if args.errors:
        lang, label = args.errors
        rows = devset["lang"] == lang
        truth = devset[label].astype(bool)
        for name, mask in (("false positives", rows & ~truth & flags[label]),
                           ("false negatives", rows & truth & ~flags[label])):  # fmt: skip
            print(f"\n{name}:")
            ids = devset.loc[mask, "id"].astype(str).tolist()
            terms = flags.loc[mask, "matched_terms"].astype(str).tolist()
            texts = devset.loc[mask, "text"].astype(str).tolist()
            for review_id, matched, text in zip(ids, terms, texts, strict=True):
                print(f"  {review_id}  [{matched}]  {text[:120]}")


if __name__ == "__main__":
    main()
