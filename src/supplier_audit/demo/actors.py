"""The suppliers of the demo world, their hidden archetypes, the SKU catalogue and who sells what.

Every supplier draws its own planted parameters (price level, share of counterfeit lots, review
and defect rates, how well it is documented) from ranges that overlap between archetypes, so no
single column gives a supplier away: the audit has to combine evidence, as it must in real life.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from supplier_audit.contracts.inputs import CHANNELS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ARCHETYPES: Final = ("honest", "sloppy", "counterfeit", "malicious_target", "newcomer")
HONEST, SLOPPY, COUNTERFEIT, MALICIOUS_TARGET, NEWCOMER = range(5)

# Share of suppliers per archetype; honest takes the rest. Each planted kind gets at least one.
_ARCHETYPE_SHARES: Final = {
    SLOPPY: 0.12,
    COUNTERFEIT: 0.065,
    MALICIOUS_TARGET: 0.05,
    NEWCOMER: 0.08,
}

# Channel mix per archetype, in CHANNELS order. Counterfeit sources lean to wholesalers, dropship
# and marketplace shops, but not always; plenty of honest suppliers sit in those channels too.
_CHANNEL_MIX: Final = {
    HONEST: (0.22, 0.10, 0.22, 0.24, 0.10, 0.07, 0.05),
    SLOPPY: (0.30, 0.03, 0.10, 0.32, 0.12, 0.08, 0.05),
    COUNTERFEIT: (0.05, 0.00, 0.08, 0.35, 0.25, 0.20, 0.07),
    MALICIOUS_TARGET: (0.22, 0.10, 0.22, 0.24, 0.10, 0.07, 0.05),
    NEWCOMER: (0.15, 0.05, 0.15, 0.30, 0.15, 0.12, 0.08),
}
# How often an honest supplier in this channel can show a brand authorization.
_AUTH_BY_CHANNEL: Final = (0.95, 0.97, 0.95, 0.80, 0.55, 0.50, 0.60)
DROPSHIP_CHANNEL: Final = CHANNELS.index("dropship")
MARKETPLACE_CHANNEL: Final = CHANNELS.index("marketplace")
OTHER_CHANNEL: Final = CHANNELS.index("other")

# Indicative CNY per unit of the few foreign currencies imports are priced in.
CNY_PER_UNIT: Final = {"CNY": 1.0, "USD": 7.1, "EUR": 7.7}


@cache
def load_vocabulary() -> dict[str, Any]:
    """Return the names the demo world is built from (package data `vocabulary.toml`)."""
    text = resources.files("supplier_audit.demo").joinpath("vocabulary.toml").read_text("utf-8")
    return tomllib.loads(text)


def categorical(rng: np.random.Generator, probs: npt.NDArray[np.float64]) -> IntArray:
    """Draw one category per row from a (rows x categories) matrix of probabilities."""
    cumulative: npt.NDArray[np.float64] = np.cumsum(probs, axis=1)
    cumulative = cumulative / cumulative[:, -1:]
    u = rng.random(size=(len(probs), 1))
    return np.asarray((u >= cumulative).sum(axis=1), dtype=np.int64)


def string_ids(prefix: str, count: int, *, width: int) -> pa.Array:
    """Return `count` ids such as SUP0001, zero-padded to `width` digits (wider if needed)."""
    width = max(width, len(str(count)))
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, count + 1)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


@dataclass(frozen=True)
class Suppliers:
    """The suppliers, one entry per supplier, with the planted (hidden) parameters."""

    supplier_id: pa.Array
    supplier_name: pa.Array
    channel: IntArray  # index into CHANNELS
    region: pa.Array
    onboarded_day: IntArray  # days since 1970-01-01
    onboarded_known: BoolArray
    archetype: IntArray  # index into ARCHETYPES
    activity: FloatArray  # relative number of lots
    price_factor: FloatArray
    fake_lot_share: FloatArray
    counterfeit_review_rate: FloatArray  # on its counterfeit lots (mistaken rate otherwise)
    quality_review_rate: FloatArray
    logistics_review_rate: FloatArray
    negation_review_rate: FloatArray
    major_defect_rate: FloatArray
    counterfeit_unit_rate: FloatArray  # share of sampled units found fake in a counterfeit lot
    auth_coverage: FloatArray
    invoice_coverage: FloatArray
    malicious_complaints: IntArray

    @property
    def count(self) -> int:
        return len(self.channel)


def _archetypes(rng: np.random.Generator, count: int) -> tuple[IntArray, IntArray]:
    """Each supplier's archetype (the planted shares, the rest honest) and channel."""
    planted = {kind: max(1, round(share * count)) for kind, share in _ARCHETYPE_SHARES.items()}
    honest = count - sum(planted.values())
    if honest < 1:
        raise ValueError(f"a demo world needs at least 5 suppliers, got {count}")
    archetype = rng.permutation(
        np.concatenate([np.full(honest, HONEST)] + [np.full(n, k) for k, n in planted.items()])
    ).astype(np.int64)
    channel = categorical(rng, np.array([_CHANNEL_MIX[int(a)] for a in range(5)])[archetype])
    return archetype, channel


def _company_names(rng: np.random.Generator, channel: IntArray) -> tuple[list[str], pa.Array]:
    """A Chinese company name per supplier (city, name core, trade, a form that fits its
    channel) and the region of its city."""
    vocab = load_vocabulary()
    count = len(channel)
    cities = vocab["cities"]
    cores, trades = vocab["name_cores"], vocab["trades"]
    combos = len(cities) * len(cores) * len(trades)
    pick = rng.choice(combos, size=count, replace=count > combos)
    city_i, rest = np.divmod(pick, len(cores) * len(trades))
    core_i, trade_i = np.divmod(rest, len(trades))
    form_u = rng.random(count)
    names = []
    for i in range(count):  # one per supplier: thousands at most, never per lot or review
        forms = vocab["forms"][CHANNELS[channel[i]]]
        form = forms[int(form_u[i] * len(forms))]
        names.append(f"{cities[city_i[i]][0]}{cores[core_i[i]]}{trades[trade_i[i]]}{form}")
    return names, pa.array([cities[c][1] for c in city_i], pa.string())


def make_suppliers(rng: np.random.Generator, *, count: int, as_of_day: int) -> Suppliers:
    """Draw `count` suppliers with archetypes, channels, Chinese company names and parameters."""
    archetype, channel = _archetypes(rng, count)
    names, region = _company_names(rng, channel)
    is_new = archetype == NEWCOMER
    is_fake = archetype == COUNTERFEIT
    is_sloppy = archetype == SLOPPY
    tenure = np.where(
        is_new,
        rng.integers(7, 75, count),
        np.where(is_fake, rng.integers(90, 1500, count), rng.integers(200, 2500, count)),
    )
    u = rng.random((count, 12))

    def between(low: float, high: float, column: int) -> FloatArray:
        return np.asarray(low + (high - low) * u[:, column], dtype=np.float64)

    cheap_channel = np.isin(channel, [3, DROPSHIP_CHANNEL, MARKETPLACE_CHANNEL])
    price_factor = np.where(
        is_fake,
        between(0.55, 0.88, 0),
        np.exp(rng.normal(0.0, 0.07, count)) * np.where(cheap_channel, 0.95, 1.0),
    )
    quality = np.where(
        is_sloppy,
        between(0.12, 0.28, 1),
        np.where(is_fake, between(0.06, 0.16, 1), between(0.03, 0.07, 1)),
    )
    major = np.where(
        is_sloppy,
        between(0.02, 0.06, 2),
        np.where(is_fake, between(0.008, 0.03, 2), between(0.002, 0.012, 2)),
    )
    honest_auth = np.asarray(_AUTH_BY_CHANNEL)[channel]
    return Suppliers(
        supplier_id=string_ids("SUP", count, width=4),
        supplier_name=pa.array(names, pa.string()),
        channel=channel,
        region=region,
        onboarded_day=as_of_day - tenure.astype(np.int64),
        onboarded_known=(u[:, 3] > 0.03) | is_new,
        archetype=archetype,
        # Cheap sources get bought from: counterfeit sources are rarely minor suppliers.
        activity=np.exp(rng.normal(np.where(is_fake, 0.4, 0.0), np.where(is_fake, 0.5, 0.9))),
        price_factor=price_factor,
        fake_lot_share=np.where(is_fake, between(0.35, 0.9, 4), 0.0),
        # Honest suppliers get the occasional angry or mistaken "fake" review too.
        counterfeit_review_rate=np.where(is_fake, between(0.05, 0.16, 5), between(0.004, 0.014, 5)),
        quality_review_rate=quality,
        logistics_review_rate=between(0.05, 0.12, 6)
        + np.where(channel == DROPSHIP_CHANNEL, 0.06, 0.0),
        negation_review_rate=between(0.03, 0.08, 7),
        major_defect_rate=major,
        counterfeit_unit_rate=np.where(is_fake, between(0.003, 0.03, 8), 0.0),
        auth_coverage=np.where(is_fake, between(0.0, 0.3, 9), honest_auth),
        invoice_coverage=np.where(is_fake, between(0.2, 0.5, 10), between(0.75, 0.95, 10)),
        malicious_complaints=np.where(
            archetype == MALICIOUS_TARGET, rng.integers(3, 9, count), 0
        ).astype(np.int64),
    )


@dataclass(frozen=True)
class Catalog:
    """The SKUs the merchant sells."""

    sku: pa.Array
    brand: pa.Array  # null = unbranded / own brand
    brand_names: pa.Array  # by brand index
    brand_index: IntArray  # -1 when unbranded
    is_import: BoolArray
    base_cost: FloatArray  # CNY
    category: IntArray  # index into vocabulary.toml's [[categories]]

    @property
    def count(self) -> int:
        return len(self.base_cost)


def make_catalog(rng: np.random.Generator, *, count: int) -> Catalog:
    """Draw `count` SKUs across categories; about a quarter unbranded, a few imported brands."""
    vocab = load_vocabulary()
    categories = vocab["categories"]
    domestic, imported = vocab["brands"]["domestic"], vocab["brands"]["imported"]
    brands = [*domestic, *imported]
    category = rng.integers(0, len(categories), count)
    kind = categorical(rng, np.tile([0.25, 0.67, 0.08], (count, 1)))  # none, domestic, import
    brand_index = np.where(
        kind == 0,
        -1,
        np.where(
            kind == 1,
            rng.integers(0, len(domestic), count),
            len(domestic) + rng.integers(0, len(imported), count),
        ),
    ).astype(np.int64)
    base = np.array([c["base_cost"] for c in categories])[category]
    codes = np.array([c["code"] for c in categories], dtype=object)[category]
    serial = rng.permutation(np.arange(10_000, 10_000 + count))
    sku = pc.binary_join_element_wise(
        pa.array(codes, pa.string()), pc.cast(pa.array(serial), pa.string()), "-"
    )
    brand_names = pa.array(brands, pa.string())
    brand = brand_names.take(pa.array(brand_index, mask=brand_index < 0))
    return Catalog(
        sku=sku,
        brand=brand,
        brand_names=brand_names,
        brand_index=brand_index,
        is_import=kind == 2,
        base_cost=base * np.exp(rng.normal(0.0, 0.5, count)) * np.where(kind == 2, 1.8, 1.0),
        category=category.astype(np.int64),
    )


@dataclass(frozen=True)
class Offers:
    """Which supplier sells which SKU, at what price level; grouped by supplier."""

    supplier: IntArray
    sku: IntArray
    unit_cost: FloatArray  # in `currency`
    currency: IntArray  # index into CURRENCIES
    start: IntArray  # per supplier: first offer index
    size: IntArray  # per supplier: number of offers


CURRENCIES: Final = tuple(CNY_PER_UNIT)


def make_offers(rng: np.random.Generator, suppliers: Suppliers, catalog: Catalog) -> Offers:
    """Give every SKU one to five sources (mostly 2-5) and every supplier at least one SKU.

    Counterfeit sources only carry branded SKUs (a fake needs a brand to copy), which honest
    suppliers sell too: their low prices stand out against the others of the same SKU.
    """
    sources = 1 + categorical(rng, np.tile([0.12, 0.30, 0.26, 0.18, 0.14], (catalog.count, 1)))
    sku = np.repeat(np.arange(catalog.count), sources)
    reach = np.exp(rng.normal(0.0, 0.6, suppliers.count))
    reach = np.where(suppliers.archetype == NEWCOMER, 0.15, reach)
    genuine_only = np.where(suppliers.archetype == COUNTERFEIT, 0.0, reach)
    anyone = rng.choice(suppliers.count, size=len(sku), p=reach / reach.sum())
    genuine = rng.choice(suppliers.count, size=len(sku), p=genuine_only / genuine_only.sum())
    owner = np.where(catalog.brand_index[sku] >= 0, anyone, genuine)
    # A supplier left without a SKU gets one: a branded one if it is a counterfeit source.
    idle = np.setdiff1d(np.arange(suppliers.count), owner)
    branded = np.flatnonzero(catalog.brand_index >= 0)
    owner = np.concatenate([owner, idle])
    sku = np.concatenate([sku, rng.choice(branded, size=len(idle))])
    # A counterfeit source copies what genuine suppliers sell: give each of its SKUs one.
    fake = suppliers.archetype[owner] == COUNTERFEIT
    genuine_sources = np.bincount(sku[~fake], minlength=catalog.count)
    lonely = np.unique(sku[fake & (genuine_sources[sku] == 0)])
    owner = np.concatenate(
        [owner, rng.choice(suppliers.count, size=len(lonely), p=genuine_only / genuine_only.sum())]
    )
    sku = np.concatenate([sku, lonely])
    pairs = np.unique(owner * catalog.count + sku)
    owner, sku = np.divmod(pairs, catalog.count)

    currency = np.where(
        catalog.is_import[sku],
        categorical(rng, np.tile([0.5, 0.4, 0.1], (len(sku), 1))),
        0,
    )
    cny_cost = (
        catalog.base_cost[sku]
        * suppliers.price_factor[owner]
        * np.exp(rng.normal(0.0, 0.05, len(sku)))
    )
    unit_cost = cny_cost / np.asarray([CNY_PER_UNIT[c] for c in CURRENCIES])[currency]
    size = np.bincount(owner, minlength=suppliers.count).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    return Offers(
        supplier=owner.astype(np.int64),
        sku=sku.astype(np.int64),
        unit_cost=unit_cost,
        currency=currency.astype(np.int64),
        start=start,
        size=size,
    )
