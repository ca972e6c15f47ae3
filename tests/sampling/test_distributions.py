"""Service-time distributions against theory.

Statistical checks compare a sample statistic with its exact value and allow K = 5
standard errors, the SE computed from the theory (E[S^4] for the second moment), so a
correct implementation fails a check with probability ~5.7e-7 for an arbitrary seed.
Seeds are fixed so the suite is reproducible; N = 200,000 draws keeps it fast while
5 SE stays a tight bound (within 2% of the mean for the spreads used here).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize, stats

from simulator.sampling.distributions import (
    Z99,
    Deterministic,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    Scaled,
    ServiceTime,
    Shifted,
    Sum,
)

K = 5.0
N = 200_000


def raw_moments(d: ServiceTime) -> list[float]:
    """E[S^j] for j = 0..4, from textbook formulas written independently of the module."""
    if isinstance(d, Exponential):
        return [math.factorial(j) * d.mean**j for j in range(5)]
    if isinstance(d, Deterministic):
        return [d.value**j for j in range(5)]
    if isinstance(d, LogNormal):
        return [math.exp(j * d.mu + j * j * d.sigma**2 / 2) for j in range(5)]
    if isinstance(d, Gamma):
        a, theta = 1 / d.cv**2, d.mean * d.cv**2
        return [theta**j * math.prod(a + i for i in range(j)) for j in range(5)]
    if isinstance(d, Empirical):
        return [float(np.mean(d.samples**j)) for j in range(5)]
    if isinstance(d, Scaled):
        return [d.factor**j * m for j, m in enumerate(raw_moments(d.base))]
    if isinstance(d, Shifted):
        b = raw_moments(d.base)
        return [
            sum(math.comb(j, i) * b[i] * d.offset ** (j - i) for i in range(j + 1))
            for j in range(5)
        ]
    if isinstance(d, Sum):
        acc = [1.0, 0, 0, 0, 0]
        for p in d.parts:
            m = raw_moments(p)
            acc = [sum(math.comb(j, i) * acc[i] * m[j - i] for i in range(j + 1)) for j in range(5)]
        return acc
    raise TypeError(d)


CASES = {
    "exponential": Exponential(0.05),
    "deterministic": Deterministic(0.02),
    "lognormal": LogNormal(math.log(0.03), 0.5),
    "gamma_steady": Gamma(0.04, 0.3),
    "gamma_bursty": Gamma(0.04, 1.5),
    "empirical": Empirical([0.01, 0.02, 0.02, 0.05, 0.11]),
    "pipeline": Sum([Exponential(0.01), Gamma(0.02, 0.5), Deterministic(0.005)]),
    "scaled": Scaled(LogNormal(math.log(0.02), 0.4), 1.5),
    "shifted": Shifted(Gamma(0.03, 0.8), 0.002),
}


@pytest.mark.parametrize("name", CASES)
def test_moments_match_theory(name):
    d = CASES[name]
    m = raw_moments(d)
    assert d.mean == pytest.approx(m[1], rel=1e-12)
    assert d.second_moment == pytest.approx(m[2], rel=1e-12)
    x = d.sample(np.random.default_rng(11), N)
    assert x.dtype == np.float64 and x.shape == (N,) and np.all(x >= 0)
    se_mean = math.sqrt(max(m[2] - m[1] ** 2, 0) / N)
    se_m2 = math.sqrt(max(m[4] - m[2] ** 2, 0) / N)
    assert abs(x.mean() - m[1]) <= K * se_mean + 1e-15
    assert abs(np.mean(x * x) - m[2]) <= K * se_m2 + 1e-15


def test_deterministic_is_constant():
    d = Deterministic(0.25)
    assert np.all(d.sample(np.random.default_rng(0), 10) == 0.25)
    assert d.quantile(0.99) == 0.25 and d.variance == 0


def test_sample_zero_and_reproducible():
    d = LogNormal(0.0, 1.0)
    assert d.sample(np.random.default_rng(3), 0).shape == (0,)
    a = d.sample(np.random.default_rng(3), 5)
    assert np.array_equal(a, d.sample(np.random.default_rng(3), 5))


def empirical_cdf_ok(x, value, q):
    """The share of draws <= value is within K binomial SEs of q."""
    se = math.sqrt(q * (1 - q) / x.size)
    return abs(np.mean(x <= value) - q) <= K * se


def test_from_p50_p99_reproduces_both_exactly_and_empirically():
    d = LogNormal.from_p50_p99(0.080, 0.250)
    assert d.quantile(0.5) == pytest.approx(0.080, rel=1e-12)
    assert d.quantile(0.99) == pytest.approx(0.250, rel=1e-12)
    x = d.sample(np.random.default_rng(5), 400_000)  # SE at p99: sqrt(.99*.01/4e5) = 1.6e-4
    assert empirical_cdf_ok(x, 0.080, 0.5)
    assert empirical_cdf_ok(x, 0.250, 0.99)


def test_from_mean_p99_reproduces_both_and_takes_smaller_root():
    d = LogNormal.from_mean_p99(0.1, 0.3)
    assert d.mean == pytest.approx(0.1, rel=1e-12)
    assert d.quantile(0.99) == pytest.approx(0.3, rel=1e-12)
    # independent root finding on (z s - s^2/2 = ln(p99/mean)) in the branch s < z99
    root = optimize.brentq(lambda s: Z99 * s - s * s / 2 - math.log(3), 1e-9, Z99)
    assert d.sigma == pytest.approx(root, rel=1e-10) and d.sigma < Z99
    x = d.sample(np.random.default_rng(6), 400_000)
    assert abs(x.mean() - 0.1) <= K * math.sqrt(d.variance / x.size)
    assert empirical_cdf_ok(x, 0.3, 0.99)


@given(
    mean=st.floats(1e-4, 10.0),
    ratio=st.floats(1.0001, 14.9),
)
def test_from_mean_p99_property(mean, ratio):
    d = LogNormal.from_mean_p99(mean, mean * ratio)
    assert d.mean == pytest.approx(mean, rel=1e-9)
    assert d.quantile(0.99) == pytest.approx(mean * ratio, rel=1e-9)


@given(p50=st.floats(1e-4, 10.0), ratio=st.floats(1.0001, 1e3))
def test_from_p50_p99_property(p50, ratio):
    d = LogNormal.from_p50_p99(p50, p50 * ratio)
    assert d.quantile(0.5) == pytest.approx(p50, rel=1e-9)
    assert d.quantile(0.99) == pytest.approx(p50 * ratio, rel=1e-9)


def test_from_mean_sigma():
    d = LogNormal.from_mean_sigma(0.2, 0.7)
    assert d.mean == pytest.approx(0.2, rel=1e-12) and d.sigma == 0.7


def test_gamma_cv_and_quantile():
    d = Gamma(0.05, 0.4)
    assert math.sqrt(d.variance) / d.mean == pytest.approx(0.4, rel=1e-12)
    x = d.sample(np.random.default_rng(8), N)
    # SE of the sample variance: sigma^2 sqrt((kurtosis - 1)/N), Gamma kurtosis = 3 + 6/shape
    se_var = d.variance * math.sqrt((2 + 6 * d.cv**2) / N)
    assert abs(x.var() - d.variance) <= K * se_var
    ref = stats.gamma(1 / 0.4**2, scale=0.05 * 0.4**2)
    for q in (0.1, 0.5, 0.99):
        assert d.quantile(q) == pytest.approx(ref.ppf(q), rel=1e-9)
    assert empirical_cdf_ok(x, d.quantile(0.99), 0.99)


def test_exponential_quantile():
    d = Exponential(2.0)
    assert d.quantile(0.5) == pytest.approx(2 * math.log(2), rel=1e-14)
    assert d.quantile(0.0) == 0 and d.quantile(1.0) == math.inf


def test_empirical_resamples_given_values_and_inverted_cdf_quantile():
    d = Empirical([0.4, 0.1, 0.3, 0.2])
    x = d.sample(np.random.default_rng(2), 10_000)
    assert set(np.unique(x)) == {0.1, 0.2, 0.3, 0.4}
    assert [d.quantile(q) for q in (0.25, 0.26, 0.5, 1.0)] == [0.1, 0.2, 0.2, 0.4]


def test_sum_quantile_exact_with_one_random_part():
    d = Sum([Deterministic(0.01), Exponential(1.0), Deterministic(0.002)])
    assert d.quantile(0.9) == pytest.approx(0.012 + math.log(10), rel=1e-14)


def test_sum_quantile_numeric_estimate_is_fine():
    # Exp(1) + Exp(1) is Gamma(2, 1). The estimate uses 2^20 draws: SE in probability
    # sqrt(.99*.01/2^20) ~ 9.7e-5, divided by the density 0.0087 at the p99 gives an SE
    # of 0.011 s on the quantile; allow 5 of them.
    d = Sum([Exponential(1.0), Exponential(1.0)])
    assert abs(d.quantile(0.99) - stats.gamma(2).ppf(0.99)) <= K * 0.0112


def test_scaled_and_shifted_quantiles():
    base = LogNormal.from_p50_p99(0.1, 0.4)
    assert Scaled(base, 1.5).quantile(0.99) == pytest.approx(0.6, rel=1e-12)
    assert Shifted(base, 0.003).quantile(0.5) == pytest.approx(0.103, rel=1e-12)
    assert Scaled(base, 2).mean == pytest.approx(2 * base.mean)


@pytest.mark.parametrize(
    ("make", "word"),
    [
        (lambda: Exponential(-1), "mean"),
        (lambda: Exponential(float("nan")), "mean"),
        (lambda: Exponential("fast"), "mean"),
        (lambda: Deterministic(0), "value"),
        (lambda: LogNormal(0.0, -1), "sigma"),
        (lambda: LogNormal(float("inf"), 1), "mu"),
        (lambda: LogNormal.from_p50_p99(0.2, 0.1), "p99"),
        (lambda: LogNormal.from_p50_p99(-0.2, 0.1), "p50"),
        (lambda: LogNormal.from_mean_p99(0.1, 0.1), "p99 must be greater than mean"),
        (lambda: LogNormal.from_mean_p99(0.1, 1.6), "exceeds"),
        (lambda: LogNormal.from_mean_sigma(0.1, 0), "sigma"),
        (lambda: Gamma(1, 0), "cv"),
        (lambda: Gamma(-1, 1), "mean"),
        (lambda: Empirical([]), "samples"),
        (lambda: Empirical([0.1, -1]), r"samples\[1\]"),
        (lambda: Sum([]), "parts"),
        (lambda: Sum([Exponential(1), 3]), r"parts\[1\]"),
        (lambda: Scaled(Exponential(1), 0), "factor"),
        (lambda: Shifted(Exponential(1), -0.1), "offset"),
        (lambda: Exponential(1).quantile(1.5), "q"),
        (lambda: Exponential(1).sample(np.random.default_rng(0), -1), "n"),
    ],
)
def test_bad_arguments_name_the_argument(make, word):
    with pytest.raises(ValueError, match=word):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: Exponential(1e200),  # E[S^2] = 2e400
        lambda: Deterministic(1e160),
        lambda: LogNormal(0.0, 1000.0),  # the mean alone is exp(500000)
        lambda: LogNormal(0.0, 19.0),  # mean exp(180) fits, E[S^2] = exp(722) does not
        lambda: LogNormal.from_mean_sigma(0.1, 1e200),  # sigma^2 itself overflows
        lambda: Gamma(1.0, 1e200),  # cv^2 overflows
        lambda: Gamma(1e100, 1e60),  # the scale, mean x cv^2, overflows
        lambda: Gamma(1.0, 1e-200),  # cv^2 underflows to 0: the shape 1/cv^2 is infinite
        lambda: Empirical([0.1, 1e200]),
        lambda: Empirical([1.5e308, 1.5e308]),  # the sum overflows before the mean is taken
        lambda: Scaled(Exponential(1.0), 1e300),
        lambda: Shifted(Exponential(1e150), 1e160),
        lambda: Sum([Deterministic(1e154), Deterministic(1e154)]),
    ],
)
def test_parameters_that_overflow_the_moments_are_refused(make):
    """A sampler either has finite E[S] and E[S^2] or is never built: a ValueError, not an
    OverflowError from `**` nor an inf that theory would turn into NaN."""
    with pytest.raises(ValueError, match="float64"):
        make()


@pytest.mark.parametrize("sigma", [5.0, 12.0, 18.9])
def test_wide_lognormal_moments_are_computed_in_log_space(sigma):
    """Just below the float64 limit the moments are exact and every draw is finite."""
    d = LogNormal(-3.0, sigma)
    assert d.mean == pytest.approx(math.exp(-3.0 + sigma**2 / 2), rel=1e-12)
    assert math.log(d.second_moment) == pytest.approx(-6.0 + 2 * sigma**2, rel=1e-12)
    assert np.isfinite(d.sample(np.random.default_rng(7), 100_000)).all()
