"""Scoring statistics checked against scipy and exact arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from supplier_audit.scoring.statistics import (
    BetaPrior,
    beta_binomial_loglik,
    bh_q_values,
    clopper_pearson,
    excess_p_values,
    fit_beta_prior,
    posterior_exceedance,
    rate_evidence,
    shrunk_rate,
)

K = np.array([0, 1, 3, 2, 10, 0, 4, 1, 7, 2])
N = np.array([40, 55, 60, 12, 90, 8, 70, 33, 64, 150])


def test_loglik_matches_scipy_betabinom_up_to_the_binomial_coefficient() -> None:
    a, b = 1.7, 42.0
    log_choose = np.sum(
        special.gammaln(N + 1) - special.gammaln(K + 1) - special.gammaln(N - K + 1)
    )
    expected = np.sum(stats.betabinom.logpmf(K, N, a, b))
    assert beta_binomial_loglik(K, N, a, b) + log_choose == pytest.approx(expected, rel=1e-12)


def test_fitted_prior_maximises_the_scipy_marginal_likelihood() -> None:
    prior = fit_beta_prior(K, N)
    best = np.sum(stats.betabinom.logpmf(K, N, prior.alpha, prior.beta))
    for scale_mean, scale_strength in [(1.1, 1.0), (0.9, 1.0), (1.0, 1.3), (1.0, 0.7)]:
        mean = prior.mean * scale_mean
        strength = prior.strength * scale_strength
        other = np.sum(stats.betabinom.logpmf(K, N, mean * strength, (1 - mean) * strength))
        assert best >= other - 1e-7


def test_prior_without_any_success_falls_back_to_a_weak_pooled_prior() -> None:
    prior = fit_beta_prior([0, 0, 0], [10, 20, 30], min_strength=2.0)
    assert prior.strength == pytest.approx(2.0)
    assert prior.mean == pytest.approx(0.5 / 61)


def test_shrunk_rate_is_the_posterior_mean() -> None:
    prior = BetaPrior(alpha=2.0, beta=98.0)
    assert shrunk_rate([1, 0, 30], [2, 0, 100], prior) == pytest.approx(
        [3 / 102, 2 / 100, 32 / 200]
    )


@pytest.mark.parametrize(
    ("k", "n", "p0"), [(1, 2, 0.01), (4, 52, 0.005), (0, 10, 0.1), (7, 7, 0.3)]
)
def test_excess_p_value_is_the_one_sided_exact_binomial_test(k: int, n: int, p0: float) -> None:
    expected = stats.binomtest(k, n, p0, alternative="greater").pvalue
    assert excess_p_values([k], [n], p0)[0] == pytest.approx(expected, rel=1e-12)


def test_fractional_counts_are_rounded_for_the_exact_test() -> None:
    expected = stats.binomtest(3, 41, 0.02, alternative="greater").pvalue
    assert excess_p_values([2.6], [40.8], 0.02)[0] == pytest.approx(expected)


def test_benjamini_hochberg_on_a_hand_made_vector() -> None:
    # sorted: 0.01, 0.03, 0.04, 0.20 -> m/i * p = 0.04, 0.06, 0.0533, 0.20 -> step-up minimum
    q = bh_q_values([0.01, 0.04, 0.03, 0.20])
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])


@pytest.mark.parametrize(("k", "n"), [(0, 20), (3, 20), (20, 20), (1, 125), (12, 80)])
def test_clopper_pearson_matches_scipy_exact_interval(k: int, n: int) -> None:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    low, high = clopper_pearson([k], [n], confidence=0.95)
    assert (low[0], high[0]) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_clopper_pearson_is_undefined_without_units() -> None:
    low, high = clopper_pearson([0], [0])
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_posterior_exceedance_is_the_beta_tail() -> None:
    prior = BetaPrior(alpha=1.0, beta=99.0)
    expected = stats.beta.sf(0.01, 1 + 4, 99 + 48)
    assert posterior_exceedance([4], [52], prior, 0.01)[0] == pytest.approx(expected)


def test_two_reviews_one_flag_is_never_full_strength() -> None:
    # 30 suppliers with ~1 % flagged reviews, one newcomer with 1 flagged review out of 2.
    k = np.r_[np.full(30, 2.0), 1.0]
    n = np.r_[np.full(30, 200.0), 2.0]
    evidence = rate_evidence(
        k, n, fdr_alpha=0.1, full_strength_ratio=4.0, not_significant_factor=0.3,
        min_strength=2.0, max_strength=1e5,
    )  # fmt: skip
    assert not evidence.significant[-1]
    assert evidence.strength[-1] <= 0.3
    assert evidence.shrunk[-1] == pytest.approx(
        (1 + evidence.prior.alpha) / (2 + evidence.prior.strength)
    )


def test_a_large_clear_excess_is_significant_and_strong() -> None:
    k = np.r_[np.full(30, 2.0), 30.0]
    n = np.r_[np.full(30, 200.0), 300.0]
    evidence = rate_evidence(
        k, n, fdr_alpha=0.1, full_strength_ratio=4.0, not_significant_factor=0.3,
        min_strength=2.0, max_strength=1e5,
    )  # fmt: skip
    assert evidence.significant[-1]
    assert evidence.strength[-1] > 0.9
    assert not evidence.significant[:-1].any()
