"""Which units to pull: seeded, reproducible draws of unit positions, and how to print them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def unit_generator(seed: int, key: str) -> np.random.Generator:
    """A random generator derived only from the run seed and one lot's key (stable across runs).

    blake2b of "seed:key" seeds a PCG64 generator, so a lot's draw does not depend on which
    other lots are drawn, nor on their order, nor on Python's per-process hash salt.
    """
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=16).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))


def draw_units(
    shipment_ids: Sequence[str] | npt.ArrayLike,
    lot_sizes: npt.ArrayLike,
    sample_sizes: npt.ArrayLike,
    *,
    seed: int,
) -> list[npt.NDArray[np.int64]]:
    """The unit positions (1 … lot size) to pull from each lot, sorted ascending.

    Positions are drawn uniformly without replacement from a generator seeded by ``seed`` and the
    shipment id (see :func:`unit_generator`): a rerun gives the same units and adding or removing
    another lot leaves this lot's units unchanged. A sample size at or above the lot size takes
    every unit (100 % inspection). One generator per lot is the price of per-lot stability; it
    costs some microseconds per lot (benchmarks/bench_sampling.py). The draw relies on numpy's
    ``Generator.choice``, whose algorithm numpy keeps stable within a major version.
    """
    ids = [str(s) for s in np.asarray(shipment_ids, dtype=object).ravel()]
    lots = np.asarray(lot_sizes, dtype=np.int64).ravel()
    samples = np.asarray(sample_sizes, dtype=np.int64).ravel()
    if not len(ids) == lots.size == samples.size:
        raise ValueError("shipment_ids, lot_sizes and sample_sizes must have the same length")
    if (lots < 1).any() or (samples < 0).any():
        raise ValueError("lot sizes must be at least 1 and sample sizes at least 0")
    drawn: list[npt.NDArray[np.int64]] = []
    for key, lot, n in zip(ids, lots.tolist(), samples.tolist(), strict=True):
        if n >= lot:
            drawn.append(np.arange(1, lot + 1, dtype=np.int64))
            continue
        positions = unit_generator(seed, key).choice(lot, size=n, replace=False, shuffle=False)
        positions.sort()
        drawn.append(positions.astype(np.int64) + 1)
    return drawn


def carton_labels(units: npt.ArrayLike, *, lot_size: int, units_per_carton: int) -> list[str]:
    """Carton/unit labels such as ``C03-U07`` (carton 3, 7th unit in it) for unit positions.

    Units are numbered carton by carton: position p is in carton (p - 1) // k + 1 at place
    (p - 1) % k + 1 for k units per carton. Numbers are zero-padded to at least two digits so
    the labels sort the way the cartons stand.
    """
    if units_per_carton < 1:
        raise ValueError("units_per_carton must be at least 1")
    positions = np.asarray(units, dtype=np.int64) - 1
    cartons = positions // units_per_carton + 1
    places = positions % units_per_carton + 1
    carton_width = max(2, len(str(-(-lot_size // units_per_carton))))
    place_width = max(2, len(str(units_per_carton)))
    return [
        f"C{c:0{carton_width}d}-U{u:0{place_width}d}"
        for c, u in zip(cartons.tolist(), places.tolist(), strict=True)
    ]


def format_units(
    units: npt.ArrayLike, *, lot_size: int, units_per_carton: int | None = None
) -> str:
    """A compact line of the units to pull: ``3 17 42``, runs as ``1-50``; or carton labels.

    With carton labels a full lot is written ``ALL C01-U01..C12-U24`` instead of every label.
    """
    positions = np.asarray(units, dtype=np.int64)
    if positions.size == 0:
        return ""
    if units_per_carton is not None:
        labels = carton_labels(positions, lot_size=lot_size, units_per_carton=units_per_carton)
        if positions.size == lot_size:
            return f"ALL {labels[0]}..{labels[-1]}"
        return " ".join(labels)
    breaks = np.flatnonzero(np.diff(positions) != 1)
    if len(breaks) == positions.size - 1:  # no two units in a row: no run to shorten
        return " ".join(map(str, positions.tolist()))
    starts = positions[np.concatenate(([0], breaks + 1))].tolist()
    ends = positions[np.concatenate((breaks, [positions.size - 1]))].tolist()
    return " ".join(
        str(first) if first == last else f"{first}-{last}"
        for first, last in zip(starts, ends, strict=True)
    )
