"""The demo world: seven input tables of a merchant reselling goods from many suppliers, plus the
hidden truth (which suppliers are counterfeit sources, ...) to measure the audit against."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa

from supplier_audit.contracts.inputs import CHANNELS
from supplier_audit.demo.actors import (
    ARCHETYPES,
    Catalog,
    FloatArray,
    IntArray,
    Offers,
    Suppliers,
    make_catalog,
    make_offers,
    make_suppliers,
)
from supplier_audit.demo.desk import complaint_desk_columns, document_files, supplier_contacts
from supplier_audit.demo.evidence import make_complaints, make_documents
from supplier_audit.demo.lots import Lots, make_inspections, make_lots, shipments_table
from supplier_audit.demo.messy import (
    PlantedProblems,
    mess_documents,
    mess_reviews,
    mess_shipments,
    mess_suppliers,
)
from supplier_audit.demo.output import FILE_FORMATS, write_table
from supplier_audit.demo.reviews import (
    CategoryReviewsTruth,
    allocate_reviews,
    plan_reviews,
    review_chunks,
)

logger = logging.getLogger(__name__)

TABLES: Final = (
    "suppliers",
    "shipments",
    "documents",
    "reviews",
    "orders",
    "complaints",
    "inspections",
)
TRUTH_DIR: Final = "_truth"
LOTS_PER_SUPPLIER: Final = 25
REVIEWS_PER_SUPPLIER: Final = 150
SKUS_PER_SUPPLIER: Final = 1.3
REVIEW_CHUNK_ROWS: Final = 1_000_000
_DAYS_PER_MONTH: Final = 30.44
_EPOCH: Final = date(1970, 1, 1)
# Independent random streams, so that e.g. asking for more reviews leaves the suppliers as they are.
_STREAMS: Final = (
    "suppliers",
    "catalog",
    "offers",
    "lots",
    "documents",
    "reviews",
    "complaints",
    "inspections",
    "messy",
    "desk",
    "review_voice",
)


@dataclass(frozen=True)
class WorldSummary:
    """What generate_world wrote: rows per input table, the files, and the truth files."""

    out_dir: Path
    rows: Mapping[str, int]
    paths: Mapping[str, Path]
    truth_paths: Mapping[str, Path]
    planted_problems: int


def generate_world(
    out_dir: Path,
    *,
    suppliers: int = 200,
    seed: int = 0,
    as_of: date = date(2026, 11, 26),
    months: int = 6,
    lots: int | None = None,
    reviews: int | None = None,
    file_format: str = "csv",
    messy: bool = True,
) -> WorldSummary:
    """Write a demo world's seven input tables and its truth into `out_dir`; return a summary.

    Args:
        suppliers: number of suppliers (at least 5, so that every archetype appears).
        lots: received lots over the `months` before `as_of` (default 25 per supplier).
        reviews: buyer reviews (default 150 per supplier).
        file_format: "csv" (UTF-8) or "parquet".
        messy: plant ~0.5 % merchant-typed values and a handful of bad rows, recorded in
            `_truth/planted_problems.csv`; with False every value is canonical.

    The same arguments always give byte-identical files.
    """
    if file_format not in FILE_FORMATS:
        raise ValueError(f"file_format must be one of {FILE_FORMATS}, got {file_format!r}")
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    streams = dict(zip(_STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS)), strict=True))

    def rng(name: str) -> np.random.Generator:
        return np.random.default_rng(streams[name])

    as_of_day = (as_of - _EPOCH).days
    window_days = round(months * _DAYS_PER_MONTH)
    lot_count = LOTS_PER_SUPPLIER * suppliers if lots is None else lots
    review_count = REVIEWS_PER_SUPPLIER * suppliers if reviews is None else reviews

    actors = make_suppliers(rng("suppliers"), count=suppliers, as_of_day=as_of_day)
    catalog = make_catalog(rng("catalog"), count=max(8, round(SKUS_PER_SUPPLIER * suppliers)))
    offers = make_offers(rng("offers"), actors, catalog)
    received = make_lots(
        rng("lots"),
        actors,
        catalog,
        offers,
        count=lot_count,
        as_of_day=as_of_day,
        window_days=window_days,
    )
    review_rng = rng("reviews")
    lot_reviews = allocate_reviews(review_rng, received, count=review_count, as_of_day=as_of_day)
    plan = plan_reviews(review_rng, received, lot_reviews, as_of_day=as_of_day)

    tables = _input_tables(
        rng, actors, catalog, offers, received, lot_reviews, as_of_day, window_days
    )
    _add_complaint_desk(rng("desk"), tables, actors, catalog, received, as_of_day=as_of_day)
    category_reviews = CategoryReviewsTruth()
    review_stream: Iterator[pa.Table] = review_chunks(
        review_rng,
        actors,
        catalog,
        received,
        plan,
        chunk_rows=REVIEW_CHUNK_ROWS,
        voice_rng=rng("review_voice"),
        truth=category_reviews,
    )
    planted = PlantedProblems()
    if messy:
        review_stream = _mess(
            rng("messy"), tables, review_stream, planted, as_of=as_of, suppliers=suppliers
        )
    out_dir = Path(out_dir)
    paths, rows = _write_world(out_dir, tables, review_stream, file_format)
    truth_dir = out_dir / TRUTH_DIR
    truth_paths = {
        "suppliers": truth_dir / "suppliers_truth.csv",
        "shipments": truth_dir / "shipments_truth.csv",
        "planted_problems": truth_dir / "planted_problems.csv",
        "category_reviews": truth_dir / "category_reviews_truth.csv",
    }
    write_table([_suppliers_truth(actors, received)], truth_paths["suppliers"], "csv")
    write_table([_shipments_truth(actors, received)], truth_paths["shipments"], "csv")
    write_table([planted.table()], truth_paths["planted_problems"], "csv")
    write_table([category_reviews.table()], truth_paths["category_reviews"], "csv")
    logger.info("demo world in %s: %s; %d planted problems", out_dir, rows, len(planted.rows))
    return WorldSummary(
        out_dir=out_dir,
        rows=rows,
        paths=paths,
        truth_paths=truth_paths,
        planted_problems=len(planted.rows),
    )


def _input_tables(
    rng: Callable[[str], np.random.Generator],
    actors: Suppliers,
    catalog: Catalog,
    offers: Offers,
    received: Lots,
    lot_reviews: IntArray,
    as_of_day: int,
    window_days: int,
) -> dict[str, pa.Table]:
    """Every input table but the reviews and orders, each drawn from its own stream."""
    return {
        "suppliers": _suppliers_table(actors),
        "shipments": shipments_table(actors, catalog, received),
        "documents": make_documents(
            rng("documents"),
            actors,
            catalog,
            offers,
            received,
            as_of_day=as_of_day,
            window_days=window_days,
        ),
        "complaints": make_complaints(
            rng("complaints"),
            actors,
            catalog,
            received,
            lot_reviews=lot_reviews,
            as_of_day=as_of_day,
        ),
        "inspections": make_inspections(rng("inspections"), actors, received, as_of_day=as_of_day),
    }


def _mess(
    rng: np.random.Generator,
    tables: dict[str, pa.Table],
    review_stream: Iterator[pa.Table],
    planted: PlantedProblems,
    *,
    as_of: date,
    suppliers: int,
) -> Iterator[pa.Table]:
    """Plant merchant-typed values and bad rows into the tables (in place) and the reviews."""
    tables["suppliers"] = mess_suppliers(rng, tables["suppliers"], planted)
    tables["shipments"] = mess_shipments(
        rng,
        tables["shipments"],
        planted,
        as_of=as_of,
        unknown_supplier=f"SUP{suppliers + 9000:04d}",
    )
    tables["documents"] = mess_documents(rng, tables["documents"], planted)
    return _mess_first(rng, review_stream, planted)


def _write_world(
    out_dir: Path,
    tables: dict[str, pa.Table],
    review_stream: Iterator[pa.Table],
    file_format: str,
) -> tuple[dict[str, Path], dict[str, int]]:
    """The input tables written in ``file_format`` (the reviews chunk by chunk): each file and
    its rows; the truth folder made, the other format's files removed."""
    (out_dir / TRUTH_DIR).mkdir(parents=True, exist_ok=True)
    _remove_other_format(out_dir, file_format)
    paths: dict[str, Path] = {}
    rows: dict[str, int] = {}
    for name in TABLES:
        paths[name] = out_dir / f"{name}.{file_format}"
        chunks = review_stream if name == "reviews" else iter([tables[name]])
        rows[name] = write_table(chunks, paths[name], file_format)
    return paths, rows


def _add_complaint_desk(
    rng: np.random.Generator,
    tables: dict[str, pa.Table],
    actors: Suppliers,
    catalog: Catalog,
    received: Lots,
    *,
    as_of_day: int,
) -> None:
    """The complaint desk's columns and the orders table (demo/desk.py), in place."""
    tables["suppliers"] = supplier_contacts(rng, tables["suppliers"], actors)
    tables["documents"] = document_files(rng, tables["documents"], received)
    tables["complaints"], tables["orders"] = complaint_desk_columns(
        rng, tables["complaints"], catalog, received, as_of_day=as_of_day
    )


def _mess_first(
    rng: np.random.Generator, chunks: Iterator[pa.Table], record: PlantedProblems
) -> Iterator[pa.Table]:
    for i, chunk in enumerate(chunks):
        yield mess_reviews(rng, chunk, record) if i == 0 else chunk


def _remove_other_format(out_dir: Path, file_format: str) -> None:
    """Remove a previous world's table files of the other format, which ingestion would see."""
    for other in FILE_FORMATS:
        if other != file_format:
            for name in TABLES:
                (out_dir / f"{name}.{other}").unlink(missing_ok=True)


def _suppliers_table(actors: Suppliers) -> pa.Table:
    return pa.table(
        {
            "supplier_id": actors.supplier_id,
            "supplier_name": actors.supplier_name,
            "channel": pa.array(CHANNELS, pa.string()).take(pa.array(actors.channel)),
            "region": actors.region,
            "onboarded_on": pa.array(
                actors.onboarded_day.astype(np.int32), pa.date32(), mask=~actors.onboarded_known
            ),
        }
    )


def _suppliers_truth(actors: Suppliers, received: Lots) -> pa.Table:
    lots = np.bincount(received.supplier, minlength=actors.count)
    fake_lots = np.bincount(
        received.supplier, weights=received.is_counterfeit, minlength=actors.count
    ).astype(np.int64)

    def rate(values: FloatArray) -> pa.Array:
        return pa.array([f"{v:.4f}" for v in values.tolist()], pa.string())

    return pa.table(
        {
            "supplier_id": actors.supplier_id,
            "archetype": pa.array(ARCHETYPES, pa.string()).take(pa.array(actors.archetype)),
            "channel": pa.array(CHANNELS, pa.string()).take(pa.array(actors.channel)),
            "price_factor": rate(actors.price_factor),
            "fake_lot_share": rate(actors.fake_lot_share),
            "counterfeit_review_rate": rate(actors.counterfeit_review_rate),
            "quality_review_rate": rate(actors.quality_review_rate),
            "major_defect_rate": rate(actors.major_defect_rate),
            "counterfeit_unit_rate": rate(actors.counterfeit_unit_rate),
            "auth_coverage": rate(actors.auth_coverage),
            "invoice_coverage": rate(actors.invoice_coverage),
            "malicious_complaints": pa.array(actors.malicious_complaints),
            "lots": pa.array(lots.astype(np.int64)),
            "counterfeit_lots": pa.array(fake_lots),
        }
    )


def _shipments_truth(actors: Suppliers, received: Lots) -> pa.Table:
    return pa.table(
        {
            "shipment_id": received.shipment_id,
            "supplier_id": actors.supplier_id.take(pa.array(received.supplier)),
            "is_counterfeit_lot": pa.array(received.is_counterfeit),
        }
    )
