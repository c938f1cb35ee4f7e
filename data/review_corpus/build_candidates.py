"""Draw the texts of the review corpus from the downloaded public sources (seeded).

Run once on a folder holding the source files (see README.md for where each comes from):

    .venv/bin/python data/review_corpus/build_candidates.py SOURCE_DIR

It writes ``candidates.csv`` here: one row per drawn text with its source, row, licence,
language, category and split, and no labels. Labels are added by reading
(``labels/*.tsv``) and merged by ``merge_labels.py``.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261202
HERE = Path(__file__).parent

OS10 = "SophonPlus/ChineseNlpCorpus@a0b781d72158bde242c0626c9e354d2b328865ff:datasets/online_shopping_10_cats/online_shopping_10_cats.zip"
BLITZER = "muko034/sentiment-prediction@d01bfa53354a626230bfeba806f4aaad23a7a5e5:data/xml/{domain}/{polarity}.review"
CLOTHING = "fehimkus/machine-learning@7d7f5348ae9ef48d0156adc1efba617e71aeadfa:Womens Clothing E-Commerce Reviews.csv"
CELLS = "varunchitale/SentimentAnalysis@0fecb52a8f541be39e6737fccccd0315fed059d9:amazon_cells_labelled.txt"

LICENCE = {
    "os10": "no licence stated (repository has no LICENSE file; README states none)",
    "blitzer": "no licence stated (repository has no LICENSE file)",
    "clothing": "no licence stated (repository has no LICENSE file)",
    "cells": "no licence stated for the data file (repository LICENSE: Apache-2.0)",
}

# category -> (how many texts, split). Test = whole categories nobody reads while tuning.
ZH_PLAN = {
    "书籍": ("books", 300, "train"),
    "平板": ("tablets", 450, "train"),
    "手机": ("phones", 400, "train"),
    "衣服": ("clothing", 450, "train"),
    "计算机": ("computers", 350, "train"),
    "蒙牛": ("dairy", 350, "valid"),
    "热水器": ("water_heaters", 350, "valid"),
    "洗发水": ("shampoo", 550, "test"),
    "水果": ("fruit", 450, "test"),
}
EN_PLAN = {
    "kitchen": (550, "train"),
    "electronics": (450, "valid"),
    "clothing": (400, "test"),
    "phone_accessories": (350, "test"),
}

# Likely-positive cues used only to oversample (never to label).
ZH_CUE = re.compile(
    "假|正品|真品|仿|山寨|原装|专柜|不一样|质量|坏|漏|破|烂|臭|味|薄|起球|掉色|小|酸|"
    "不甜|头皮|痒|屑|不热|退货|换货|旧|划痕|死机|发热|卡"
)
EN_CUE = re.compile(
    r"fake|counterfeit|knock|genuine|original|authentic|copy|broke|defect|stopp?ed|"
    r"leak|crack|cheap|thin|itch|smell|return|died|flimsy|rip|tear|fade|shrunk",
    re.IGNORECASE,
)


def _draw(
    frame: pd.DataFrame, n: int, cue: re.Pattern[str], low: pd.Series, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw n rows: 30 % with a cue word, 40 % low-rated, the rest at random."""
    has_cue = frame["text"].map(lambda t: bool(cue.search(t)))
    picked: list[int] = []
    for pool, share in ((frame.index[has_cue & low], 0.3), (frame.index[low], 0.4)):
        pool = pool.difference(picked)
        take = min(len(pool), int(round(n * share)))
        picked.extend(rng.choice(pool.to_numpy(), size=take, replace=False).tolist())
    rest = frame.index.difference(picked)
    take = min(len(rest), n - len(picked))
    picked.extend(rng.choice(rest.to_numpy(), size=take, replace=False).tolist())
    out = frame.loc[sorted(picked)].copy()
    out["stratum"] = np.where(
        out.index.isin(frame.index[has_cue & low]),
        "cue_low",
        np.where(out.index.isin(frame.index[low]), "low", "random"),
    )
    return out


def _chinese(source_dir: Path, rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.read_csv(source_dir / "online_shopping_10_cats.csv", dtype=str)
    frame["row"] = np.arange(len(frame)) + 2  # the CSV line (header is line 1)
    frame["text"] = frame["review"].fillna("").str.replace("\ufeff", "").str.strip()
    frame = frame[frame["text"].str.len().between(6, 120)]
    frame = frame.drop_duplicates("text")
    parts = []
    for cat, (category, n, split) in ZH_PLAN.items():
        sub = frame[frame["cat"] == cat]
        drawn = _draw(sub, n, ZH_CUE, sub["label"] == "0", rng)
        drawn["category"] = category
        drawn["split"] = split
        parts.append(drawn)
    out = pd.concat(parts)
    out["source"] = "os10"
    out["source_file"] = OS10 + " → online_shopping_10_cats.csv"
    out["lang"] = "zh"
    return out


def _blitzer(source_dir: Path, domain: str) -> pd.DataFrame:
    rows = []
    for polarity in ("negative", "positive"):
        raw = (source_dir / f"blitzer_{domain}_{polarity}.review").read_text("utf-8", "replace")
        for i, block in enumerate(re.findall(r"<review>(.*?)</review>", raw, re.S)):
            rating = re.search(r"<rating>\s*([\d.]+)", block)
            body = re.search(r"<review_text>(.*?)</review_text>", block, re.S)
            text = " ".join(html.unescape(body.group(1) if body else "").split())
            rows.append(
                {
                    "text": text,
                    "rating": float(rating.group(1)) if rating else np.nan,
                    "row": i,
                    "source_file": BLITZER.format(domain=domain, polarity=polarity)
                    + f" (review #{i})",
                }
            )
    return pd.DataFrame(rows)


def _english(source_dir: Path, rng: np.random.Generator) -> pd.DataFrame:
    parts = []
    for domain in ("kitchen", "electronics"):
        frame = _blitzer(source_dir, domain)
        frame = frame[frame["text"].str.len().between(20, 400)].drop_duplicates("text")
        n, split = EN_PLAN[domain]
        drawn = _draw(
            frame.reset_index(drop=True),
            n,
            EN_CUE,
            frame["rating"].reset_index(drop=True) <= 2,
            rng,
        )
        drawn["category"], drawn["split"], drawn["source"] = domain, split, "blitzer"
        parts.append(drawn)

    clothing = pd.read_csv(source_dir / "wcecr.csv", dtype=str)
    clothing["row"] = clothing.iloc[:, 0]
    clothing["text"] = clothing["Review Text"].fillna("").str.strip()
    clothing = clothing[clothing["text"].str.len().between(20, 400)].drop_duplicates("text")
    clothing = clothing.reset_index(drop=True)
    n, split = EN_PLAN["clothing"]
    drawn = _draw(clothing, n, EN_CUE, clothing["Rating"].astype(int) <= 3, rng)
    drawn["category"], drawn["split"], drawn["source"] = "clothing", split, "clothing"
    drawn["source_file"] = CLOTHING
    parts.append(drawn)

    lines = (source_dir / "amazon_cells_labelled.txt").read_text("utf-8").splitlines()
    cells = pd.DataFrame({"raw": lines, "row": np.arange(len(lines)) + 1})
    cells["text"] = cells["raw"].str.rsplit("\t", n=1).str[0].str.strip()
    cells["polarity"] = cells["raw"].str.rsplit("\t", n=1).str[1].str.strip()
    cells = cells[cells["text"].str.len() >= 10].drop_duplicates("text").reset_index(drop=True)
    n, split = EN_PLAN["phone_accessories"]
    drawn = _draw(cells, n, EN_CUE, cells["polarity"] == "0", rng)
    drawn["category"], drawn["split"], drawn["source"] = "phone_accessories", split, "cells"
    drawn["source_file"] = CELLS
    parts.append(drawn)

    out = pd.concat(parts)
    out["lang"] = "en"
    return out


def main(source_dir: Path) -> None:
    rng = np.random.default_rng(SEED)
    frame = pd.concat([_chinese(source_dir, rng), _english(source_dir, rng)], ignore_index=True)
    frame["licence"] = frame["source"].map(LICENCE)
    frame["corpus_id"] = [f"rc-{i:05d}" for i in range(len(frame))]
    columns = [
        "corpus_id",
        "source",
        "source_file",
        "row",
        "licence",
        "lang",
        "category",
        "split",
        "stratum",
        "text",
    ]
    frame[columns].to_csv(HERE / "candidates.csv", index=False)
    print(frame.groupby(["lang", "category", "split", "stratum"]).size())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
