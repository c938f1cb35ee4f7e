"""Looking texts up by their hashes: the same answers as pandas' own look-up."""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplier_audit.contracts import text_hashes
from supplier_audit.contracts.text_hashes import TextLookup, TextMap, string_hashes


def test_a_text_map_gives_what_pandas_map_gives() -> None:
    rng = np.random.default_rng(7)
    lots = pd.Series([f"RK{i:06d}" for i in range(5000)] + ["批次-甲", "lot with space "])
    mapping = pd.Series([f"SUP{i % 37:03d}" for i in range(len(lots))], index=lots.to_numpy())
    asked = pd.Series(
        [*rng.choice(lots.to_numpy(), 3000), "RK999999", "", None, "批次-甲", "lot with space"],
        dtype="string",
    )
    got = TextMap(mapping).get(asked)
    expected = asked.map(mapping).astype("string")
    pd.testing.assert_series_equal(got, expected, check_names=False)


def test_a_hash_shared_by_two_texts_never_matches_the_wrong_one(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # every text hashes alike: the look-up must still tell them apart by their text
    monkeypatch.setattr(
        text_hashes, "string_hashes", lambda texts: np.zeros(len(texts), dtype=np.uint64)
    )
    lookup = TextLookup(pd.Series(["a", "b"]))
    positions = lookup.positions(pd.Series(["a", "b", "c"]))
    assert positions.tolist() == [0, 1, -1]


def test_equal_texts_hash_alike_and_different_texts_do_not() -> None:
    texts = pd.Series(["假货", "假货", "假货 ", "", None, "x" * 100])
    hashes = string_hashes(texts)
    assert hashes[0] == hashes[1]
    assert len(set(hashes[[0, 2, 3, 5]].tolist())) == 4


def test_the_text_hash_keeps_the_values_stores_were_written_with() -> None:
    # The flag store keys every review by these hashes: a faster implementation must give
    # the same values, or each shop's first night after an upgrade flags every review anew.
    texts = ["", None, "a", "abcdefgh", "abcdefghi", "质量很差，用了一个星期就坏了", "x" * 100]
    assert [hex(value) for value in string_hashes(pd.Series(texts, dtype="str")).tolist()] == [
        "0x0",
        "0xffffffffffffffff",
        "0x74458f7aa3d511b4",
        "0x71494e4635041730",
        "0x514be5bd302806f1",
        "0xc511217d03e1314f",
        "0x869bbde168a12249",
    ]
