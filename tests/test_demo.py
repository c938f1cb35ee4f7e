"""The demo world generator: contract-shaped tables, determinism, planted signals and problems."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from supplier_audit.contracts.inputs import CHANNELS, INPUT_TABLES
from supplier_audit.demo import WorldSummary, generate_world
from supplier_audit.demo.lots import level_two_sample_size

AS_OF = dt.date(2026, 11, 26)
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
# Counterfeit suspicion as a buyer writes it, minus the negated forms ("不是假货", "not fake").
SUSPECT = re.compile(
    r"假货|假貨|不是正品|假的|高仿|山寨|仿冒|仿的|防伪码查不到|防偽碼查不到|专柜的不一样|A货|"
    r"fake|ｆａｋｅ|knock ?off|not authentic|counterfeit|copy|not original|not the real",
    re.IGNORECASE,
)
NEGATED = re.compile(r"不是假货|不是高仿|不是山寨|不是仿的|not fake|not a knockoff")


def _read(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def messy_world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate_world(tmp_path_factory.mktemp("messy"), suppliers=30, seed=7, reviews=5000)


@pytest.fixture(scope="module")
def clean_world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate_world(tmp_path_factory.mktemp("clean"), suppliers=30, seed=7, messy=False)


@pytest.fixture(scope="module")
def signal_world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    """Big enough (5 counterfeit sources) to compare archetypes on average."""
    return generate_world(
        tmp_path_factory.mktemp("signal"), suppliers=80, seed=3, reviews=24_000, messy=False
    )


def test_every_table_has_the_contract_columns(messy_world: WorldSummary) -> None:
    for name, spec in INPUT_TABLES.items():
        frame = _read(messy_world.out_dir, name)
        assert list(frame.columns) == list(spec.column_names), name
        assert len(frame) == messy_world.rows[name] > 0


def test_parquet_world_has_the_contract_columns_and_keeps_types(tmp_path: Path) -> None:
    summary = generate_world(
        tmp_path, suppliers=10, reviews=800, file_format="parquet", messy=False
    )
    for name, spec in INPUT_TABLES.items():
        schema = pq.read_schema(summary.paths[name])
        assert schema.names == list(spec.column_names), name
    reviews = pq.read_table(summary.paths["reviews"])
    assert reviews.num_rows == 800
    assert str(reviews.schema.field("order_id").type) == "string"
    assert str(reviews.schema.field("created_at").type).startswith("timestamp")
    assert str(pq.read_schema(summary.paths["shipments"]).field("quantity").type) == "int64"


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    def world(name: str, seed: int) -> dict[str, bytes]:
        folder = tmp_path / name
        generate_world(folder, suppliers=12, seed=seed, reviews=1500)
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.csv"))}

    first, again, other = world("a", 5), world("b", 5), world("c", 6)
    assert len(first) == 11  # seven tables and four truth files
    assert first == again
    assert first["reviews.csv"] != other["reviews.csv"]


def test_the_bundled_demo_is_what_the_generator_writes(tmp_path: Path) -> None:
    """data/demo (what `make run` audits and the golden digests describe) is `make demo`'s
    output byte for byte: a change to the generator shows here, and is regenerated on purpose."""
    bundled = Path(__file__).resolve().parents[1] / "data" / "demo"
    generate_world(tmp_path)  # the defaults of `supplier-audit demo`
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(bundled) for p in bundled.rglob("*") if p.is_file())
    changed = [str(p) for p in written if (tmp_path / p).read_bytes() != (bundled / p).read_bytes()]
    assert not changed, f"regenerate data/demo with `make demo`: {changed} differ"


def test_parquet_worlds_are_byte_identical_too(tmp_path: Path) -> None:
    files = []
    for name in ("a", "b"):
        summary = generate_world(tmp_path / name, suppliers=8, reviews=600, file_format="parquet")
        files.append({k: p.read_bytes() for k, p in summary.paths.items()})
    assert files[0] == files[1]


def test_every_archetype_is_planted(messy_world: WorldSummary) -> None:
    truth = pd.read_csv(messy_world.truth_paths["suppliers"])
    assert set(truth["archetype"]) == {
        "honest",
        "sloppy",
        "counterfeit",
        "malicious_target",
        "newcomer",
    }
    assert (truth["archetype"] == "honest").mean() > 0.5
    suppliers = _read(messy_world.out_dir, "suppliers")
    assert sorted(truth["supplier_id"]) == sorted(suppliers["supplier_id"])


def _supplier_of_review(folder: Path) -> pd.DataFrame:
    reviews = _read(folder, "reviews")
    shipments = _read(folder, "shipments")[["shipment_id", "supplier_id"]]
    tracked = reviews[reviews["shipment_id"] != ""].drop(columns="supplier_id")
    return tracked.merge(shipments, on="shipment_id", how="inner")


def test_counterfeit_sources_get_more_suspect_reviews(signal_world: WorldSummary) -> None:
    folder = signal_world.out_dir
    reviews = _supplier_of_review(folder)
    text = reviews["text"]
    reviews["suspect"] = text.str.contains(SUSPECT) & ~text.str.contains(NEGATED)
    rate = reviews.groupby("supplier_id")["suspect"].mean()
    truth = pd.read_csv(signal_world.truth_paths["suppliers"]).set_index("supplier_id")
    by_archetype = rate.groupby(truth["archetype"]).mean()
    assert by_archetype["counterfeit"] > 2 * by_archetype["honest"]
    # ... yet honest suppliers are not spotless: angry or mistaken "fake" reviews exist.
    assert by_archetype["honest"] > 0


def test_counterfeit_sources_lack_brand_authorizations(signal_world: WorldSummary) -> None:
    """Share of branded lots covered per the contract: same supplier and brand, valid that day."""
    folder = signal_world.out_dir
    lots = _read(folder, "shipments")
    lots = lots[lots["brand"] != ""]
    docs = _read(folder, "documents")
    auth = docs[docs["doc_type"] == "brand_authorization"]
    pairs = lots.merge(auth, on=["supplier_id", "brand"], how="left", suffixes=("", "_doc"))
    pairs["valid"] = (pairs["issued_on"] <= pairs["received_on"]) & (
        pairs["received_on"] <= pairs["valid_until"]
    )
    covered = pairs.groupby("shipment_id")["valid"].any()
    lots = lots.assign(covered=lots["shipment_id"].map(covered))
    share = lots.groupby("supplier_id")["covered"].mean()
    truth = pd.read_csv(signal_world.truth_paths["suppliers"]).set_index("supplier_id")
    by_archetype = share.groupby(truth["archetype"]).mean()
    assert by_archetype["counterfeit"] < 0.5 < by_archetype["honest"]


def test_counterfeit_sources_sell_below_other_suppliers_of_the_same_sku(
    signal_world: WorldSummary,
) -> None:
    lots = _read(signal_world.out_dir, "shipments")
    lots = lots[lots["currency"] == "CNY"].assign(cost=lambda f: f["unit_cost"].astype(float))
    # Each supplier's typical price of a SKU against the SKU's typical price across suppliers.
    offers = lots.groupby(["sku", "supplier_id"], as_index=False)["cost"].median()
    offers["ratio"] = offers["cost"] / offers.groupby("sku")["cost"].transform("median")
    offers = offers[offers.groupby("sku")["cost"].transform("size") > 1]
    truth = pd.read_csv(signal_world.truth_paths["suppliers"]).set_index("supplier_id")
    ratio = offers.groupby("supplier_id")["ratio"].median().groupby(truth["archetype"]).mean()
    assert ratio["counterfeit"] < 0.9 < ratio["honest"]
    shared = lots.groupby("sku")["supplier_id"].nunique()
    assert shared.median() >= 2  # the same SKU is bought from several suppliers


def test_malicious_complaints_end_rejected_or_withdrawn(signal_world: WorldSummary) -> None:
    complaints = _read(signal_world.out_dir, "complaints")
    truth = pd.read_csv(signal_world.truth_paths["suppliers"]).set_index("supplier_id")
    counterfeit = complaints[complaints["complaint_type"] == "counterfeit"].copy()
    counterfeit["archetype"] = counterfeit["supplier_id"].map(truth["archetype"])
    targeted = counterfeit[counterfeit["archetype"] == "malicious_target"]
    assert len(targeted) >= 3
    assert targeted["status"].isin(["rejected", "withdrawn", "open"]).mean() > 0.8
    upheld = counterfeit[(counterfeit["status"] == "upheld") & (counterfeit["supplier_id"] != "")]
    assert len(upheld) >= 2
    assert (upheld["archetype"] == "counterfeit").mean() > 0.6
    assert (upheld["compensation"] != "").all()


def test_order_ids_stay_18_digit_text(messy_world: WorldSummary) -> None:
    reviews = _read(messy_world.out_dir, "reviews")
    assert reviews["order_id"].str.fullmatch(r"[1-9]\d{17}").all()


def test_reviews_follow_their_lot_and_end_by_the_as_of_day(clean_world: WorldSummary) -> None:
    reviews = _supplier_of_review(clean_world.out_dir)
    lots = _read(clean_world.out_dir, "shipments").set_index("shipment_id")
    created = pd.to_datetime(reviews["created_at"], format="%Y-%m-%d %H:%M:%S")
    received = pd.to_datetime(reviews["shipment_id"].map(lots["received_on"]))
    assert (created > received).all()
    everything = pd.to_datetime(_read(clean_world.out_dir, "reviews")["created_at"])
    assert everything.max() < pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    languages = _read(clean_world.out_dir, "reviews")["text"].str.contains(r"[a-zA-Z]{3}")
    assert 0.03 < languages.mean() < 0.3  # mostly Chinese, some English


def test_older_lots_are_mostly_inspected_and_recent_ones_mostly_not(
    signal_world: WorldSummary,
) -> None:
    lots = _read(signal_world.out_dir, "shipments")
    inspections = _read(signal_world.out_dir, "inspections")
    age = (pd.Timestamp(AS_OF) - pd.to_datetime(lots["received_on"])).dt.days
    inspected = lots["shipment_id"].isin(inspections["shipment_id"])
    assert inspected[age > 30].mean() > 0.5
    assert inspected[age <= 7].mean() < 0.2
    merged = inspections.merge(lots, on="shipment_id")
    sample = merged["sample_size"].astype(int)
    assert (sample >= 1).all() and (sample <= merged["quantity"].astype(int)).all()


@pytest.mark.parametrize(
    ("lot_size", "sample_size"),
    [
        (2, 2),
        (8, 2),
        (9, 3),
        (15, 3),
        (16, 5),
        (25, 5),
        (26, 8),
        (50, 8),
        (51, 13),
        (90, 13),
        (91, 20),
        (150, 20),
        (151, 32),
        (280, 32),
        (281, 50),
        (500, 50),
        (501, 80),
        (1200, 80),
        (1201, 125),
        (3200, 125),
        (3201, 200),
        (10_000, 200),
        (10_001, 315),
        (35_000, 315),
        (35_001, 500),
        (150_000, 500),
        (150_001, 800),
        (500_000, 800),
        (500_001, 1250),
    ],
)
def test_inspection_sample_sizes_follow_gb_t_2828_level_ii(lot_size: int, sample_size: int) -> None:
    """Published GB/T 2828.1 (ISO 2859-1) Table 1 level II + Table 2-A, normal inspection."""
    assert level_two_sample_size(np.array([lot_size]))[0] == sample_size


def test_messy_problems_are_recorded_and_really_in_the_files(messy_world: WorldSummary) -> None:
    folder = messy_world.out_dir
    planted = pd.read_csv(messy_world.truth_paths["planted_problems"], dtype=str)
    assert set(planted.columns) >= {"table", "id", "problem"}
    quarantined = planted[planted["expected"] == "quarantined"]
    assert len(quarantined) == 6
    shipments = _read(folder, "shipments")
    suppliers = set(_read(folder, "suppliers")["supplier_id"])
    for row in planted.itertuples():
        key = INPUT_TABLES[row.table].key[0]
        table = _read(folder, row.table)
        values = table.loc[table[key] == row.id, row.column].tolist()
        assert values, (row.table, row.id)
        value = values[-1]
        if row.problem.startswith("duplicate"):
            assert len(values) == 2
        elif row.problem.startswith("unknown supplier"):
            assert value not in suppliers
        elif row.column == "received_on" and "after" in row.problem:
            assert dt.date.fromisoformat(value) > AS_OF
        elif row.column == "quantity" and "negative" in row.problem:
            assert int(value) < 0
        elif row.column == "rating":
            assert value == "0"
        elif row.column == "quantity":
            assert re.fullmatch(r"\d{1,3}(,\d{3})+", value)
        elif row.column in ("is_import", "dropship"):
            assert value in {"是", "否", "Y", "N"}
        elif row.column == "channel":
            assert value == "代发"
        else:  # a date typed the merchant's way, or the ambiguous 03/11/2026
            assert not re.fullmatch(ISO_DATE, value), (row.id, value)
    # Planted problems stay rare: about half a percent of the shipments.
    assert planted["table"].eq("shipments").sum() < 0.02 * len(shipments)


def test_clean_world_has_only_canonical_values(clean_world: WorldSummary) -> None:
    folder = clean_world.out_dir
    planted = pd.read_csv(clean_world.truth_paths["planted_problems"], dtype=str)
    assert planted.empty
    suppliers = _read(folder, "suppliers")
    assert suppliers["channel"].isin(CHANNELS).all()
    assert suppliers["onboarded_on"].str.fullmatch(f"({ISO_DATE})?").all()
    shipments = _read(folder, "shipments")
    assert shipments["shipment_id"].is_unique
    assert shipments["supplier_id"].isin(suppliers["supplier_id"]).all()
    assert shipments["received_on"].str.fullmatch(ISO_DATE).all()
    assert (shipments["received_on"] <= AS_OF.isoformat()).all()
    assert (shipments["quantity"].str.fullmatch(r"\d+") & (shipments["quantity"] != "0")).all()
    assert shipments["unit_cost"].str.fullmatch(r"\d+\.\d{2}").all()
    for column in ("is_import", "dropship"):
        assert shipments[column].isin(["true", "false"]).all()
    reviews = _read(folder, "reviews")
    assert reviews["rating"].isin(["", "1", "2", "3", "4", "5"]).all()
    for table, column in (
        ("documents", "issued_on"),
        ("complaints", "opened_on"),
        ("inspections", "inspected_on"),
    ):
        assert _read(folder, table)[column].str.fullmatch(ISO_DATE).all(), table


def test_newcomers_have_little_history(clean_world: WorldSummary) -> None:
    truth = pd.read_csv(clean_world.truth_paths["suppliers"])
    newcomers = truth[truth["archetype"] == "newcomer"]
    suppliers = _read(clean_world.out_dir, "suppliers").set_index("supplier_id")
    onboarded = pd.to_datetime(suppliers.loc[newcomers["supplier_id"], "onboarded_on"])
    assert (onboarded > pd.Timestamp(AS_OF) - pd.Timedelta(days=90)).all()
    assert newcomers["lots"].max() <= 3 < truth.loc[truth["archetype"] == "honest", "lots"].median()


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file_format"):
        generate_world(tmp_path, suppliers=10, file_format="xlsx")
    with pytest.raises(ValueError, match="at least 5 suppliers"):
        generate_world(tmp_path, suppliers=3)


def test_the_world_has_what_the_complaint_desk_needs(tmp_path: Path) -> None:
    generate_world(tmp_path, suppliers=40, seed=3, messy=False)
    complaints = pd.read_csv(tmp_path / "complaints.csv", dtype=str)
    orders = pd.read_csv(tmp_path / "orders.csv", dtype=str)
    documents = pd.read_csv(tmp_path / "documents.csv", dtype=str)
    shipments = pd.read_csv(tmp_path / "shipments.csv", dtype=str)
    suppliers = pd.read_csv(tmp_path / "suppliers.csv", dtype=str)
    assert complaints["platform"].nunique() >= 5
    open_ones = complaints[complaints["status"] == "open"]
    assert open_ones["due_on"].notna().any() and open_ones["due_on"].isna().any()
    per_buyer = complaints["buyer_id"].value_counts()
    repeat = per_buyer[per_buyer >= 3].index
    assert len(repeat) >= 3
    assert (
        complaints[complaints["buyer_id"].isin(repeat)]["status"]
        .isin(["rejected", "withdrawn"])
        .any()
    )
    # complaints whose order names the lot although the complaint does not
    by_order = complaints.merge(orders, on="order_id", suffixes=("", "_order"))
    assert (by_order["shipment_id"].isna() & by_order["shipment_id_order"].notna()).any()
    assert suppliers["contact_phone"].notna().mean() > 0.8
    assert documents["file_ref"].notna().mean() > 0.8
    invoices = documents[documents["quantity"].notna()].merge(
        shipments[["shipment_id", "quantity"]], on="shipment_id", suffixes=("", "_lot")
    )
    short = invoices["quantity"].astype(int) < invoices["quantity_lot"].astype(int)
    assert 0 < short.sum() < len(invoices) / 2
