"""Agreement between the corpus labels (pass 1, reader A) and the blind second pass (reader B).

    .venv/bin/python data/review_corpus/agreement.py

Reads ``labels/pass2_blind.csv`` (reader B's labels for the 629 texts of
``labels/second_pass_todo.csv``, read without seeing pass 1) and ``review_corpus.csv``
(whose ``quality_issue`` / ``counterfeit_suspect`` are reader A's labels; the dev-set rows
carry the dev set's labels as relabelled by A), joins them by ``corpus_id`` and prints, per
language (zh, en, all) and label: n, positives per reader, percent agreement and Cohen's
kappa. Kappa is computed by its formula below and checked against
``sklearn.metrics.cohen_kappa_score``. Writes ``labels/pass2_disagreements.csv``: every text
on which the readers differ on either label, with both readers' labels, B's note and the
text. Nothing here changes the corpus labels.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from sklearn.metrics import cohen_kappa_score

HERE = Path(__file__).parent
LABELS = ("quality_issue", "counterfeit_suspect")


def cohen_kappa(a: pd.Series, b: pd.Series) -> float:
    """Cohen's kappa of two readers' 0/1 labels: (p_o - p_e) / (1 - p_e).

    p_o is the share of texts on which they agree; p_e the agreement expected by chance
    from each reader's own positive rate, p_A * p_B + (1 - p_A) * (1 - p_B). When both
    readers give one and the same label to every text p_e = 1 and kappa is undefined: nan.
    """
    a, b = a.astype(int).to_numpy(), b.astype(int).to_numpy()
    p_o = float((a == b).mean())
    pa, pb = float(a.mean()), float(b.mean())
    p_e = pa * pb + (1 - pa) * (1 - pb)
    if p_e == 1.0:
        return math.nan
    return (p_o - p_e) / (1 - p_e)


def joined() -> pd.DataFrame:
    """Pass-2 labels beside pass-1 labels, one row per text of the second-pass draw."""
    todo = pd.read_csv(HERE / "labels" / "second_pass_todo.csv", usecols=["corpus_id"])
    b = pd.read_csv(HERE / "labels" / "pass2_blind.csv", keep_default_na=False)
    a = pd.read_csv(HERE / "review_corpus.csv")
    assert set(b.corpus_id) == set(todo.corpus_id), "pass 2 does not cover the draw exactly"
    assert b.corpus_id.is_unique
    df = b.merge(a, on="corpus_id", how="left", suffixes=("_B", "_A"), validate="1:1")
    assert df.text.notna().all(), "a pass-2 corpus_id is missing from review_corpus.csv"
    for label in LABELS:
        for reader in ("A", "B"):
            assert df[f"{label}_{reader}"].isin([0, 1]).all()
    return df


def table(df: pd.DataFrame) -> pd.DataFrame:
    """n, positives A / B, % agreement and kappa per language and label."""
    rows = []
    for lang, part in [("zh", df[df.lang == "zh"]), ("en", df[df.lang == "en"]), ("all", df)]:
        for label in LABELS:
            a, b = part[f"{label}_A"], part[f"{label}_B"]
            kappa = cohen_kappa(a, b)
            if not math.isnan(kappa):  # sklearn warns and returns nan in the same case
                ref = cohen_kappa_score(a, b)
                assert math.isclose(kappa, ref, abs_tol=1e-12), (lang, label, kappa, ref)
            rows.append({
                "lang": lang, "label": label, "n": len(part),
                "pos_A": int(a.sum()), "pos_B": int(b.sum()),
                "agree_pct": round(100 * float((a == b).mean()), 1),
                "disagree": int((a != b).sum()),
                "kappa": round(kappa, 3),
            })  # fmt: skip
    return pd.DataFrame(rows)


def main() -> None:
    df = joined()
    print(table(df).to_string(index=False))
    differs = pd.concat([df[f"{lab}_A"] != df[f"{lab}_B"] for lab in LABELS], axis=1).any(axis=1)
    out = df.loc[differs, [
        "corpus_id", "lang", "category", "split",
        "quality_issue_A", "quality_issue_B", "counterfeit_suspect_A", "counterfeit_suspect_B",
        "note", "text",
    ]].rename(columns={"note": "note_B"})  # fmt: skip
    path = HERE / "labels" / "pass2_disagreements.csv"
    out.to_csv(path, index=False)
    where = path.relative_to(HERE)
    print(f"\n{len(out)} of {len(df)} texts differ on at least one label -> {where}")
    by_cat = df.assign(differs=differs).groupby(["lang", "category"]).differs.agg(["size", "sum"])
    print("\ntexts differing, per category:\n" + by_cat.to_string())


if __name__ == "__main__":
    main()
