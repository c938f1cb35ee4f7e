"""Small-sample statistics for supplier rates: empirical-Bayes shrinkage, exact tests, FDR.

Choices (documented here because they change results):

* **Fractional counts.** Attribution shares an unlabelled review among suppliers, so counts
  are fractional. The beta-binomial prior is fitted with the *continuous generalisation* of its
  likelihood, ``B(k + a, n - k + b) / B(a, b)`` (the binomial coefficient does not depend on a
  or b and is dropped), which is defined for real k and n and equals scipy's ``betabinom`` up
  to that constant for whole numbers. The exact binomial test needs whole numbers: k and n are
  rounded to the nearest integer there (n never below k).
* **Baseline.** The population baseline of a rate is the mean of the fitted prior,
  ``a / (a + b)``: every supplier counts once, so a few very large suppliers cannot move it.
* **Shrinkage.** A supplier's rate is the posterior mean ``(k + a) / (n + a + b)``.
* **Excess test.** One-sided exact binomial test of ``k`` in ``n`` against the baseline
  (``P(X >= k)``, X ~ Bin(n, p0), as ``scipy.stats.binomtest(alternative="greater")``), then
  Benjamini–Hochberg across suppliers (``scipy.stats.false_discovery_control``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BetaPrior:
    """A beta prior Beta(alpha, beta) over supplier rates, fitted across suppliers."""

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        return self.alpha + self.beta


def _as_float(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def beta_binomial_loglik(
    successes: npt.ArrayLike, trials: npt.ArrayLike, alpha: float, beta: float
) -> float:
    """Log-likelihood of the counts under Beta-Binomial(alpha, beta), without the binomial term."""
    k, n = _as_float(successes), _as_float(trials)
    return float(np.sum(special.betaln(k + alpha, n - k + beta) - special.betaln(alpha, beta)))


def fit_beta_prior(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    *,
    min_strength: float = 2.0,
    max_strength: float = 1e5,
) -> BetaPrior:
    """Fit Beta(alpha, beta) by maximising the beta-binomial marginal likelihood over suppliers.

    Suppliers with no trials carry no information and are skipped. The strength alpha + beta
    is kept in [min_strength, max_strength]; with fewer than two informative suppliers, or no
    success anywhere, the prior is the pooled rate at the minimum strength (weak).
    """
    k, n = _as_float(successes), _as_float(trials)
    if k.shape != n.shape:
        raise ValueError("successes and trials must have the same shape")
    if np.any(k < 0) or np.any(n < k - 1e-9):
        raise ValueError("need 0 <= successes <= trials")
    keep = n > 0
    k, n = np.minimum(k[keep], n[keep]), n[keep]
    pooled = (k.sum() + 0.5) / (n.sum() + 1.0)
    if len(n) < 2 or k.sum() <= 0 or k.sum() >= n.sum():
        return BetaPrior(alpha=pooled * min_strength, beta=(1 - pooled) * min_strength)

    def negative(params: FloatArray) -> float:
        mean = special.expit(params[0])
        strength = np.exp(params[1])
        return -beta_binomial_loglik(k, n, mean * strength, (1 - mean) * strength)

    start = np.array([special.logit(pooled), np.log(np.clip(50.0, min_strength, max_strength))])
    bounds = [
        (special.logit(1e-7), special.logit(1 - 1e-7)),
        (np.log(min_strength), np.log(max_strength)),
    ]
    best = optimize.minimize(negative, start, method="L-BFGS-B", bounds=bounds)
    mean = float(special.expit(best.x[0]))
    strength = float(np.exp(best.x[1]))
    return BetaPrior(alpha=mean * strength, beta=(1 - mean) * strength)


def shrunk_rate(successes: npt.ArrayLike, trials: npt.ArrayLike, prior: BetaPrior) -> FloatArray:
    """Posterior-mean rate (k + a) / (n + a + b) of each supplier."""
    k, n = _as_float(successes), _as_float(trials)
    return (k + prior.alpha) / (n + prior.alpha + prior.beta)


def posterior_exceedance(
    successes: npt.ArrayLike, trials: npt.ArrayLike, prior: BetaPrior, baseline: float
) -> FloatArray:
    """Posterior probability that each supplier's rate exceeds ``baseline``."""
    k, n = _as_float(successes), _as_float(trials)
    return np.asarray(
        stats.beta.sf(baseline, k + prior.alpha, np.maximum(n - k, 0) + prior.beta),
        dtype=np.float64,
    )


def whole_counts(
    successes: npt.ArrayLike, trials: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Fractional counts rounded to whole numbers (n never below k) for exact tests."""
    k = np.rint(_as_float(successes)).astype(np.int64)
    n = np.maximum(np.rint(_as_float(trials)).astype(np.int64), k)
    return k, n


def excess_p_values(successes: npt.ArrayLike, trials: npt.ArrayLike, baseline: float) -> FloatArray:
    """One-sided exact binomial p-values of "rate > baseline" (1.0 where nothing was observed).

    Vectorised ``scipy.stats.binomtest(k, n, baseline, alternative="greater").pvalue``.
    """
    k, n = whole_counts(successes, trials)
    p = np.asarray(stats.binom.sf(k - 1, n, baseline), dtype=np.float64)
    return np.where((n == 0) | (k == 0), 1.0, np.minimum(p, 1.0))


def bh_q_values(p_values: npt.ArrayLike) -> FloatArray:
    """Benjamini–Hochberg adjusted p-values (q-values); empty in, empty out."""
    p = _as_float(p_values)
    if p.size == 0:
        return p
    return np.asarray(stats.false_discovery_control(p, method="bh"), dtype=np.float64)


def clopper_pearson(
    successes: npt.ArrayLike, trials: npt.ArrayLike, *, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Exact (Clopper–Pearson) two-sided interval of each binomial rate; NaN where n == 0."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    tail = (1 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, stats.beta.ppf(tail, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - tail, k + 1, n - k), 1.0)
    empty = n <= 0
    return (
        np.where(empty, np.nan, low).astype(np.float64),
        np.where(empty, np.nan, high).astype(np.float64),
    )


@dataclass(frozen=True)
class RateEvidence:
    """One rate per supplier, shrunk and tested against the population baseline."""

    prior: BetaPrior
    shrunk: FloatArray
    p_value: FloatArray
    q_value: FloatArray
    significant: npt.NDArray[np.bool_]
    strength: FloatArray


def rate_evidence(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    *,
    fdr_alpha: float,
    full_strength_ratio: float,
    not_significant_factor: float,
    min_strength: float,
    max_strength: float,
) -> RateEvidence:
    """Shrink each supplier's rate, test its excess with FDR control and grade its strength.

    Strength = log(shrunk / baseline) / log(full_strength_ratio), clipped to [0, 1]; an excess
    that is not significant after Benjamini–Hochberg keeps ``not_significant_factor`` of it.
    The prior is refitted on every call, so the baseline moves with the population.
    """
    k, n = _as_float(successes), _as_float(trials)
    prior = fit_beta_prior(k, n, min_strength=min_strength, max_strength=max_strength)
    shrunk = shrunk_rate(k, n, prior)
    p = excess_p_values(k, n, prior.mean)
    q = bh_q_values(p)
    significant = q <= fdr_alpha
    raw = np.clip(np.log(shrunk / prior.mean) / np.log(full_strength_ratio), 0.0, 1.0)
    strength = np.where(significant, raw, raw * not_significant_factor)
    return RateEvidence(prior, shrunk, p, q, significant, strength.astype(np.float64))
