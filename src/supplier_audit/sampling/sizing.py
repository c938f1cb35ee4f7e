"""How tonight's samples are sized: the standard's plans, zero-acceptance sample sizes, or a
daily budget split over the lots (:class:`SampleSizing`, :func:`resize_samples`)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

logger = logging.getLogger(__name__)


def _decimal_fraction(value: float) -> Fraction:
    # the shortest repr is the decimal the user typed (0.07 -> 7/100, not the binary 0.0700…0666)
    return Fraction(repr(float(value)))


def _binomial_accepts_at_most(n: int, p: Fraction, beta: Fraction) -> bool:
    """Whether P(0 nonconforming in n | p) = (1 - p)^n <= beta."""
    lhs = n * math.log1p(-float(p)) if p < 1 else -math.inf
    rhs = math.log(float(beta))
    if abs(lhs - rhs) > 1e-9 * max(1.0, abs(rhs)):
        return lhs <= rhs
    return (1 - p) ** n <= beta  # too close for floating point: decide exactly


def _hypergeometric_log_p0(n: int, lot: int, defective: int) -> float:
    # log of C(N-D, n) / C(N, n)
    if n > lot - defective:
        return -math.inf
    return (
        math.lgamma(lot - defective + 1)
        - math.lgamma(lot - defective - n + 1)
        - math.lgamma(lot + 1)
        + math.lgamma(lot - n + 1)
    )


def _hypergeometric_accepts_at_most(n: int, lot: int, defective: int, beta: Fraction) -> bool:
    lhs = _hypergeometric_log_p0(n, lot, defective)
    rhs = math.log(float(beta))
    if lhs == -math.inf or abs(lhs - rhs) > 1e-9 * max(1.0, abs(rhs)):
        return lhs <= rhs
    return math.comb(lot - defective, n) * beta.denominator <= beta.numerator * math.comb(lot, n)


def zero_acceptance_sample_size(
    *, max_defect_rate: float, confidence: float, lot_size: int | None = None
) -> int:
    """Smallest sample size n such that a c = 0 plan rejects a bad lot with the given confidence.

    A lot whose fraction nonconforming is ``max_defect_rate`` is accepted (no nonconforming unit
    in the sample) with probability at most ``1 - confidence``. With ``lot_size`` the lot is
    finite: it holds D = ceil(max_defect_rate * lot_size) nonconforming units and the count in the
    sample is hypergeometric, so n never exceeds lot_size - D + 1. Without it the lot is treated
    as a process (binomial). Rates and confidence are taken as the decimals typed (0.07 is 7/100).
    """
    if not 0 < max_defect_rate <= 1:
        raise ValueError("max_defect_rate is a fraction in (0, 1]")
    if not 0 < confidence < 1:
        raise ValueError("confidence is a probability in (0, 1)")
    p = _decimal_fraction(max_defect_rate)
    beta = 1 - _decimal_fraction(confidence)
    if lot_size is None:
        if p == 1:
            return 1
        n = max(1, math.ceil(math.log(float(beta)) / math.log1p(-float(p))))
        while n > 1 and _binomial_accepts_at_most(n - 1, p, beta):
            n -= 1
        while not _binomial_accepts_at_most(n, p, beta):
            n += 1
        return n
    if isinstance(lot_size, bool) or int(lot_size) != lot_size or lot_size < 1:
        raise ValueError("lot_size must be a whole number of at least 1")
    lot = int(lot_size)
    defective = min(lot, math.ceil(p * lot))
    # P(no nonconforming unit in n) falls as n grows: bisect for the first n at or below beta
    low, high = 1, lot - defective + 1
    while low < high:
        middle = (low + high) // 2
        if _hypergeometric_accepts_at_most(middle, lot, defective, beta):
            high = middle
        else:
            low = middle + 1
    return low


def allocate_budget(lot_sizes: npt.ArrayLike, budget: int) -> npt.NDArray[np.int64]:
    """Split a daily budget of ``budget`` inspected units across lots in proportion to lot size.

    Every lot gets at least 1 unit and never more than it holds; the shares sum to ``budget``.
    Shares are the proportional quotas budget * N_i / sum(N) rounded by largest remainder (ties
    go to the larger lot, then the earlier one); a lot whose quota is below 1 is raised to 1 and
    the others are re-apportioned from what is left, so the floor costs the small lots nothing.

    Infeasible cases: a budget smaller than the number of lots cannot give each lot a unit and
    raises ValueError (choose which lots to inspect first); a budget at or above the total number
    of units received inspects every unit and returns the lot sizes (sum below the budget).
    """
    sizes = np.asarray(lot_sizes)
    if sizes.ndim != 1:
        raise ValueError("lot_sizes is a one-dimensional list of lot sizes")
    if sizes.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(sizes.dtype, np.integer):
        as_float = sizes.astype(np.float64)
        if not np.all(as_float == np.round(as_float)):
            raise ValueError("lot sizes must be whole numbers")
    sizes = sizes.astype(np.int64)
    if (sizes < 1).any():
        raise ValueError("every lot size must be at least 1")
    if isinstance(budget, bool) or int(budget) != budget:
        raise ValueError("budget must be a whole number of units")
    budget = int(budget)
    total = int(sizes.sum())
    if budget < sizes.size:
        raise ValueError(
            f"a budget of {budget} units cannot give each of the {sizes.size} lots one unit"
        )
    if budget >= total:
        return sizes.copy()
    # exact integer arithmetic: quota_i = budget_left * N_i / total_left
    wide = budget * int(sizes.max()) >= 2**62
    values = sizes.astype(object) if wide else sizes
    forced = np.zeros(sizes.size, dtype=bool)
    while True:
        budget_left = budget - int(forced.sum())
        total_left = int(sizes[~forced].sum())
        below_one = ~forced & (values * budget_left < total_left)
        if not below_one.any():
            break
        forced |= below_one
    shares = np.ones(sizes.size, dtype=np.int64)
    free = np.flatnonzero(~forced)
    if free.size:
        quotient, remainder = np.divmod(values[free] * budget_left, total_left)
        shares[free] = np.asarray(quotient, dtype=np.int64)
        extra = budget_left - int(shares[free].sum())
        # largest remainder first; ties: larger lot, then earlier lot
        if wide:
            order = np.array(
                sorted(range(free.size), key=lambda i: (-remainder[i], -sizes[free[i]], free[i])),
                dtype=np.intp,
            )
        else:
            order = np.lexsort((free, -sizes[free], -np.asarray(remainder, dtype=np.int64)))
        shares[free[order[:extra]]] += 1
    return shares


@dataclass(frozen=True)
class SampleSizing:
    """How tonight's samples are sized.

    - ``"standard"``: the ISO 2859-1 / GB/T 2828.1 single sampling plan of each lot.
    - ``"zero_acceptance"``: a c = 0 discovery plan per lot — the smallest sample that finds at
      least one nonconforming unit with probability ``confidence`` when the lot holds
      ``max_defect_rate`` of them (hypergeometric for the finite lot); Ac 0, Re 1.
    - ``"proportional"``: a daily budget of ``daily_budget`` units split across the lots in
      proportion to their size (largest remainder, at least one unit per lot, never more than
      the lot); Ac 0, Re 1, so any nonconforming unit found sends the lot to review. A budget
      smaller than the number of lots gives each lot one unit (logged).
    """

    mode: str = "standard"
    max_defect_rate: float = 0.05
    confidence: float = 0.95
    daily_budget: int = 2000

    def __post_init__(self) -> None:
        if self.mode not in SIZING_MODES:
            raise ValueError(f"sample sizing is one of {', '.join(SIZING_MODES)}")


SIZING_MODES: Final = ("standard", "zero_acceptance", "proportional")


def resize_samples(plans: pd.DataFrame, sizing: SampleSizing) -> pd.DataFrame:
    """Replace the standard plans' sample sizes and Ac/Re as ``sizing`` says."""
    if sizing.mode == "standard" or plans.empty:
        return plans
    lot_sizes = plans["lot_size"].to_numpy(dtype=np.int64)
    if sizing.mode == "zero_acceptance":
        by_size = {
            int(n): zero_acceptance_sample_size(
                max_defect_rate=sizing.max_defect_rate,
                confidence=sizing.confidence,
                lot_size=int(n),
            )
            for n in np.unique(lot_sizes)
        }
        sizes = np.array([by_size[int(n)] for n in lot_sizes], dtype=np.int64)
    elif len(lot_sizes) > sizing.daily_budget:
        logger.warning(
            "daily budget of %d units is smaller than the %d lots: one unit per lot",
            sizing.daily_budget,
            len(lot_sizes),
        )
        sizes = np.ones(len(lot_sizes), dtype=np.int64)
    else:
        sizes = allocate_budget(lot_sizes, sizing.daily_budget)
    sizes = np.minimum(sizes, lot_sizes)
    return plans.assign(
        table_sample_size=sizes,
        sample_size=sizes,
        acceptance_number=0,
        rejection_number=1,
        full_inspection=sizes >= lot_sizes,
    )
