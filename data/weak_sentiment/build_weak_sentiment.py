"""Build weak_sentiment.csv.xz: reviews with a published sentiment label, for the flagger.

    python data/weak_sentiment/build_weak_sentiment.py SOURCE_DIR

SOURCE_DIR holds the files downloaded from the commits below, named as
``data/review_corpus/build_candidates.py`` names them: ``online_shopping_10_cats.csv`` (from
the zip) and ``blitzer_<domain>_<polarity>.review`` for the four Blitzer domains. Only
sources and categories outside the review corpus's test split are kept (never os10's
洗发水 shampoo or 水果 fruit, never the clothing or cells sources; os10's hotels are not
goods). Every row keeps its source file and row; the output is xz (no timestamp in the
format), so the same sources give the same bytes.
"""

from __future__ import annotations

import csv
import html
import io
import lzma
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "weak_sentiment.csv.xz"
OS10 = (
    "SophonPlus/ChineseNlpCorpus@a0b781d72158bde242c0626c9e354d2b328865ff:"
    "datasets/online_shopping_10_cats/online_shopping_10_cats.zip → online_shopping_10_cats.csv"
)
BLITZER = (
    "muko034/sentiment-prediction@d01bfa53354a626230bfeba806f4aaad23a7a5e5:"
    "data/xml/{domain}/{polarity}.review"
)
LICENCE = {
    "os10": "no licence stated (repository has no LICENSE file; README states none)",
    "blitzer": "no licence stated (repository has no LICENSE file)",
}
#: os10 categories kept, by the review corpus's category names (its train and valid ones)
OS10_CATEGORIES = {
    "书籍": "books",
    "平板": "tablets",
    "手机": "phones",
    "衣服": "clothing",
    "计算机": "computers",
    "蒙牛": "dairy",
    "热水器": "water_heaters",
}
BLITZER_DOMAINS = ("books", "dvd", "electronics", "kitchen")
ZH_CHARS = (4, 300)
#: long Amazon reviews are cut: the flagger reads reviews of a few sentences
EN_CHARS = (20, 1000)
COLUMNS = ("source", "source_file", "row", "licence", "lang", "category", "negative", "text")


def os10_rows(source_dir: Path) -> list[dict[str, str]]:
    out = []
    with (source_dir / "online_shopping_10_cats.csv").open(encoding="utf-8-sig", newline="") as f:
        for line, record in enumerate(csv.DictReader(f), start=2):
            category = OS10_CATEGORIES.get(record["cat"])
            text = (record["review"] or "").replace("\ufeff", "").strip()
            if category is None or not ZH_CHARS[0] <= len(text) <= ZH_CHARS[1]:
                continue
            negative = "1" if record["label"] == "0" else "0"
            out.append(_row("os10", OS10, str(line), "zh", category, negative, text))
    return out


def blitzer_rows(source_dir: Path) -> list[dict[str, str]]:
    out = []
    for domain in BLITZER_DOMAINS:
        for polarity in ("negative", "positive"):
            raw = (source_dir / f"blitzer_{domain}_{polarity}.review").read_text("utf-8", "replace")
            for i, block in enumerate(re.findall(r"<review>(.*?)</review>", raw, re.S)):
                body = re.search(r"<review_text>(.*?)</review_text>", block, re.S)
                text = " ".join(html.unescape(body.group(1) if body else "").split())
                if len(text) < EN_CHARS[0]:
                    continue
                text = text[: EN_CHARS[1]]
                source_file = BLITZER.format(domain=domain, polarity=polarity)
                negative = "1" if polarity == "negative" else "0"
                out.append(_row("blitzer", source_file, str(i), "en", domain, negative, text))
    return out


def _row(
    source: str, source_file: str, row: str, lang: str, category: str, negative: str, text: str
) -> dict[str, str]:
    return dict(zip(COLUMNS, (source, source_file, row, LICENCE[source], lang, category,
                              negative, text), strict=True))  # fmt: skip


def main(argv: list[str]) -> None:
    source_dir = Path(argv[1])
    seen: set[str] = set()
    rows = []
    for row in os10_rows(source_dir) + blitzer_rows(source_dir):
        if row["text"] not in seen:  # first occurrence of a repeated text kept
            seen.add(row["text"])
            rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    OUT.write_bytes(
        lzma.compress(buffer.getvalue().encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)
    )
    print(f"wrote {OUT} ({len(rows):,} rows, {OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(sys.argv)
