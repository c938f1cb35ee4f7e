"""Fast paths of ingestion: Parquet values kept typed, canonical ISO dates read by position,
reasons kept only for the rows that have them, and Parquet read in batches of row groups.

Each fast path must give what the text path gives for the same values: the tests compare a
typed Parquet file with the same values written as text in a CSV file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from supplier_audit.config.settings import AuditConfig
from supplier_audit.ingest.errors import InputError
from supplier_audit.ingest.folder import ingest_folder, ingest_table
from supplier_audit.ingest.parquet_files import parquet_row_groups
from supplier_audit.ingest.results import IngestResult
from supplier_audit.ingest.tables import read_table

from .conftest import AS_OF, BASE_TABLES, write_table

Folder = Callable[..., Path]


def ingest(folder: Path, settings: AuditConfig) -> IngestResult:
    return ingest_folder(folder, settings, as_of=AS_OF)


def quarantined(result: IngestResult, table: str) -> pd.DataFrame:
    return result.tables[table].quarantine.set_index("source_row")


# Shipments as a merchant's system would store them in Parquet, and the same values as text.
TYPED_SHIPMENTS = pa.table(
    {
        "shipment_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "supplier_id": ["S1", "S2", "S1", "S1", "S2", "S1"],
        "sku": ["SKU-1"] * 6,
        "received_on": pa.array(
            [
                dt.date(2026, 11, 1),
                dt.date(2026, 11, 2),
                dt.date(2026, 11, 30),  # after the as-of date
                dt.date(2026, 10, 1),
                None,  # required and empty
                dt.date(2026, 10, 2),
            ],
            pa.date32(),
        ),
        "quantity": pa.array([1200, 300, 5, -5, 7, 2**60], pa.int64()),
        "unit_cost": pa.array([12.5, 13.0, 1.0, 2.25, 1e-05, 3.0], pa.float64()),
        "is_import": pa.array([True, False, False, True, False, False]),
    }
)
TEXT_SHIPMENTS = [
    {
        "shipment_id": f"L{n + 1}",
        "supplier_id": supplier,
        "sku": "SKU-1",
        "received_on": received,
        "quantity": quantity,
        "unit_cost": cost,
        "is_import": flag,
    }
    for n, (supplier, received, quantity, cost, flag) in enumerate(
        [
            ("S1", "2026-11-01", "1200", "12.5", "true"),
            ("S2", "2026-11-02", "300", "13", "false"),
            ("S1", "2026-11-30", "5", "1", "false"),
            ("S1", "2026-10-01", "-5", "2.25", "true"),
            ("S2", "", "7", "1e-05", "false"),
            ("S1", "2026-10-02", str(2**60), "3", "false"),
        ]
    )
]


def test_typed_parquet_gives_what_the_same_values_give_as_text(
    make_folder: Folder, settings: AuditConfig
) -> None:
    as_text = ingest(make_folder(replace={"shipments": TEXT_SHIPMENTS}, name="text"), settings)
    typed_folder = make_folder(replace={"shipments": None}, name="typed")
    pq.write_table(TYPED_SHIPMENTS, typed_folder / "shipments.parquet")
    typed = ingest(typed_folder, settings)

    pd.testing.assert_frame_equal(
        typed["shipments"].drop(columns="source_file"),
        as_text["shipments"].drop(columns="source_file"),
    )
    text_quarantine = quarantined(as_text, "shipments")
    typed_quarantine = quarantined(typed, "shipments")
    assert typed_quarantine["reason"].to_dict() == text_quarantine["reason"].to_dict()
    assert typed_quarantine["reason"].to_dict() == {
        4: "received_on 2026-11-30 is after the as-of date 2026-11-26",
        5: "quantity -5 is below the minimum 1",
        6: "received_on is empty; unit_cost '1e-05' is not a number",
        7: f"quantity '{2**60}' is too large",
    }
    # The quarantine file shows each stored value as the text a person sees.
    columns = ["received_on", "quantity", "unit_cost", "is_import"]
    assert typed_quarantine.loc[5, columns].tolist() == ["2026-10-01", "-5", "2.25", "true"]
    assert typed_quarantine.loc[4, columns].tolist() == ["2026-11-30", "5", "1", "false"]
    assert typed_quarantine[columns].fillna("").to_dict() == (
        text_quarantine[columns].fillna("").to_dict()
    )
    # The cascade still finds the quarantined lots by their ids.
    assert typed_quarantine["__shipment_id"].tolist() == ["L3", "L4", "L5", "L6"]


def test_stored_floats_count_only_when_whole(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder(replace={"reviews": None})
    pd.DataFrame(
        {
            "review_id": ["R1", "R2", "R3", "R4"],
            "sku": ["SKU-1"] * 4,
            "created_at": pd.to_datetime(["2026-11-05 10:00"] * 4),
            "rating": [5.0, 2.5, np.nan, 0.0],
        }
    ).to_parquet(folder / "reviews.parquet")
    result = ingest(folder, settings)
    assert result["reviews"]["review_id"].tolist() == ["R1", "R3"]
    assert result["reviews"]["rating"].tolist() == [5, pd.NA]
    assert quarantined(result, "reviews")["reason"].to_dict() == {
        3: "rating '2.5' is not a whole number",
        5: "rating 0 is below the minimum 1",
    }
    assert quarantined(result, "reviews")["rating"].to_dict() == {3: "2.5", 5: "0"}


def test_stored_instants_convert_like_their_text(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """An instant with a zone becomes local time in the configured zone, fractions of a second
    dropped, exactly as the same instant written as text with its offset."""
    instants = ["2026-11-05 02:30:15.900", "2026-11-26 15:59:59.999", "2026-11-26 16:00:00.000"]
    written = ["2026-11-05T02:30:15.900Z", "2026-11-26 15:59:59.999+00:00", "2026-11-26 16:00Z"]
    ids = ["R1", "R2", "R3"]
    text_folder = make_folder(
        replace={
            "reviews": [
                {"review_id": i, "sku": "SKU-1", "created_at": w}
                for i, w in zip(ids, written, strict=True)
            ]
        },
        name="text",
    )
    typed_folder = make_folder(replace={"reviews": None}, name="typed")
    pd.DataFrame(
        {
            "review_id": ids,
            "sku": ["SKU-1"] * 3,
            "created_at": pd.to_datetime(instants).tz_localize("UTC"),
        }
    ).to_parquet(typed_folder / "reviews.parquet")
    typed, as_text = ingest(typed_folder, settings), ingest(text_folder, settings)

    assert typed["reviews"]["created_at"].tolist() == [
        pd.Timestamp("2026-11-05 10:30:15"),
        pd.Timestamp("2026-11-26 23:59:59"),
    ]
    pd.testing.assert_series_equal(typed["reviews"]["created_at"], as_text["reviews"]["created_at"])
    assert quarantined(typed, "reviews")["reason"].tolist() == [
        "created_at 2026-11-27 00:00 is after the as-of date 2026-11-26"
    ]
    assert quarantined(typed, "reviews")["created_at"].tolist() == ["2026-11-26 16:00:00+0000"]


def test_stored_dates_with_a_zone_keep_their_own_day(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """A date column stored as instants reads the day written in the instant's own zone."""
    folder = make_folder(replace={"shipments": None})
    stamps = pd.to_datetime(["2026-11-01 23:30", "2026-11-02 00:30"]).tz_localize("Asia/Tokyo")
    shipments = pd.DataFrame(BASE_TABLES["shipments"]).assign(received_on=stamps)
    shipments.to_parquet(folder / "shipments.parquet")
    received = ingest(folder, settings)["shipments"]["received_on"]
    assert received.tolist() == [pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-02")]


def test_stored_integer_ids_read_as_text(make_folder: Folder, settings: AuditConfig) -> None:
    folder = make_folder(replace={"reviews": None})
    pd.DataFrame(
        {
            "review_id": [101, 102],
            "sku": ["SKU-1", "SKU-1"],
            "created_at": pd.to_datetime(["2026-11-05", "2026-11-06"]),
            "order_id": [123456789012345678, 223456789012345678],
        }
    ).to_parquet(folder / "reviews.parquet")
    reviews = ingest(folder, settings)["reviews"]
    assert reviews["review_id"].tolist() == ["101", "102"]
    assert reviews["order_id"].tolist() == ["123456789012345678", "223456789012345678"]


def test_files_of_one_table_stored_differently_read_as_text(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """One partition stores ratings as integers, the other as text: both are read."""
    folder = make_folder(replace={"reviews": None})
    (folder / "reviews").mkdir()
    pd.DataFrame(
        {
            "review_id": ["R1", "R2"],
            "sku": ["SKU-1", "SKU-1"],
            "created_at": pd.to_datetime(["2026-11-05", "2026-11-06"]),
            "rating": [5.0, 7.0],
        }
    ).to_parquet(folder / "reviews" / "part-0.parquet")
    write_table(
        folder / "reviews",
        "part-1",
        [{"review_id": "R3", "sku": "SKU-1", "created_at": "2026/11/7", "rating": "４"}],
    )
    result = ingest(folder, settings)
    assert result["reviews"]["rating"].tolist() == [5, 4]
    assert result["reviews"]["created_at"].tolist() == [
        pd.Timestamp("2026-11-05"),
        pd.Timestamp("2026-11-07"),
    ]
    assert quarantined(result, "reviews")["reason"].tolist() == ["rating 7 is above the maximum 5"]
    assert quarantined(result, "reviews")["rating"].tolist() == ["7"]


def test_typed_partitions_quarantine_under_their_own_file_and_row(
    make_folder: Folder, settings: AuditConfig
) -> None:
    folder = make_folder(replace={"reviews": None})
    (folder / "reviews").mkdir()
    for number, ratings in enumerate([[5, 4], [3, -1, 2]]):
        pd.DataFrame(
            {
                "review_id": [f"R{number}{n}" for n in range(len(ratings))],
                "sku": "SKU-1",
                "created_at": pd.Timestamp("2026-11-05 10:00") + pd.Timedelta(hours=number),
                "rating": ratings,
                "note": "x",
            }
        ).to_parquet(folder / "reviews" / f"part-{number}.parquet")
    result = ingest(folder, settings)
    assert result["reviews"]["rating"].tolist() == [5, 4, 3, 2]
    assert (
        result["reviews"]["source_file"].tolist() == ["part-0.parquet"] * 2 + ["part-1.parquet"] * 2
    )
    rejected = result.tables["reviews"].quarantine
    assert rejected[["source_file", "source_row", "rating", "created_at", "note"]].to_dict(
        "records"
    ) == [
        {
            "source_file": "part-1.parquet",
            "source_row": 3,
            "rating": "-1",
            "created_at": "2026-11-05 11:00:00",
            "note": "x",
        }
    ]
    assert rejected["reason"].tolist() == ["rating -1 is below the minimum 1"]


def test_canonical_and_merchant_typed_dates_in_one_column(
    make_folder: Folder, settings: AuditConfig
) -> None:
    """Canonical ISO cells (read by position) and every other spelling (read by the regexes)
    side by side in one column; impossible canonical dates are still refused."""
    written = {
        "R1": ("2026-11-03", "2026-11-03 00:00"),
        "R2": ("2026-11-03 10:00:00", "2026-11-03 10:00"),
        "R3": ("2026-11-03T10:00:05", "2026-11-03 10:00:05"),
        "R4": ("2026/11/3 9:05", "2026-11-03 09:05"),
        "R5": ("2026年11月3日", "2026-11-03 00:00"),
        "R6": ("2026-11-03 10:00:00+00:00", "2026-11-03 18:00"),
        "R7": ("20261103", "2026-11-03 00:00"),
        "R8": ("２０２６-１１-０３ １０:００:００", "2026-11-03 10:00"),
    }
    refused = {
        "R9": ("2026-02-30", "is not a date"),
        "R10": ("2026-11-03 24:00:00", "is not a date"),
        "R11": ("2026-11-03 10:60:00", "is not a date"),
        "R12": ("03/11/2026", "is ambiguous"),
        "R13": ("2026-11", "is not a date"),
    }
    rows = [
        {"review_id": key, "sku": "SKU-1", "created_at": text}
        for key, (text, _) in {**written, **refused}.items()
    ]
    result = ingest(make_folder(replace={"reviews": rows}), settings)
    reviews = result["reviews"].set_index("review_id")["created_at"]
    assert reviews.dt.strftime("%Y-%m-%d %H:%M:%S").to_dict() == {
        key: pd.Timestamp(expected).strftime("%Y-%m-%d %H:%M:%S")
        for key, (_, expected) in written.items()
    }
    reasons = result.tables["reviews"].quarantine.set_index("review_id")["reason"].to_dict()
    assert reasons == {
        key: f"created_at '{text}' {problem}"
        + (" (day and month order unknown); write it as 2026-11-03" if "ambig" in problem else "")
        + ("" if "ambig" in problem else " (write it as 2026-11-03)")
        for key, (text, problem) in refused.items()
    }


# ------------------------------------------------------------------------ row-group batches


def _reviews_in_row_groups(path: Path, rows: int, group_rows: int) -> None:
    reviews = pa.table(
        {
            "review_id": [f"R{n}" for n in range(rows)],
            "sku": ["SKU-1"] * rows,
            "created_at": pa.array(
                [dt.datetime(2026, 11, 5, 10, 0) + dt.timedelta(minutes=n) for n in range(rows)],
                pa.timestamp("ms"),
            ),
            "rating": pa.array([0 if n == 8 else 5 for n in range(rows)], pa.int64()),
        }
    )
    pq.write_table(reviews, path, row_group_size=group_rows)


def test_row_group_batches_keep_the_row_numbers_of_the_whole_file(
    tmp_path: Path, make_folder: Folder, settings: AuditConfig
) -> None:
    path = tmp_path / "reviews.parquet"
    _reviews_in_row_groups(path, rows=10, group_rows=3)
    assert parquet_row_groups(path) == [3, 3, 3, 1]

    first = read_table("reviews", [path], settings, row_groups=[0, 1])
    second = read_table("reviews", [path], settings, row_groups=[2, 3], hash_files=False)
    assert first.cells["source_row"].tolist() == list(range(2, 8))
    assert second.cells["source_row"].tolist() == list(range(8, 12))
    assert second.cells["review_id"].tolist() == ["R6", "R7", "R8", "R9"]
    assert second.sources[0].rows_read == 4
    assert second.sources[0].sha256 == ""
    assert len(first.sources[0].sha256) == 64

    # A bad row of the second batch is quarantined under its row number in the file.
    base = ingest(make_folder(), settings)
    done = {name: base.tables[name] for name in ("suppliers", "shipments")}
    batch = ingest_table(second, settings, as_of=AS_OF, done=done)
    assert batch.valid["source_row"].tolist() == [8, 9, 11]
    assert batch.quarantine[["source_row", "review_id", "rating", "reason"]].to_dict("records") == [
        {
            "source_row": 10,
            "review_id": "R8",
            "rating": "0",
            "reason": "rating 0 is below the minimum 1",
        }
    ]
    whole = ingest_table(read_table("reviews", [path], settings), settings, as_of=AS_OF, done=done)
    batches = pd.concat(
        [ingest_table(first, settings, as_of=AS_OF, done=done).valid, batch.valid],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(batches, whole.valid)


def test_row_groups_need_one_parquet_file(tmp_path: Path, settings: AuditConfig) -> None:
    path = tmp_path / "reviews.parquet"
    _reviews_in_row_groups(path, rows=4, group_rows=2)
    with pytest.raises(ValueError, match="exactly one Parquet file"):
        read_table("reviews", [path, path], settings, row_groups=[0])
    csv = write_table(tmp_path, "reviews", BASE_TABLES["reviews"])
    with pytest.raises(ValueError, match="exactly one Parquet file"):
        read_table("reviews", [csv], settings, row_groups=[0])
    with pytest.raises(InputError, match="no row group 5"):
        read_table("reviews", [path], settings, row_groups=[5])


def test_row_groups_of_an_unreadable_file(tmp_path: Path) -> None:
    broken = tmp_path / "reviews.parquet"
    broken.write_bytes(b"PAR1 this is not a parquet file")
    with pytest.raises(InputError, match="unreadable parquet"):
        parquet_row_groups(broken)
