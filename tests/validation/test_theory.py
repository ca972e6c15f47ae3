"""Queueing closed forms against textbook values, exact formulas and brute force.

The last test checks the textbook per-request SimPy model (simulator.validation.textbook) against
Erlang C, since the benchmark compares the engine with it.
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulator.validation import theory
from simulator.validation.textbook import run_textbook_mmc

# ----------------------------------------------------------------------------- exact references


def exact_erlang_b(c: int, a: Fraction) -> Fraction:
    """(a^c / c!) / sum_{k<=c} a^k / k!, in exact rational arithmetic."""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(c: int, a: Fraction) -> Fraction:
    """The textbook M/M/c waiting probability, in exact rational arithmetic."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


loads = st.fractions(min_value=0, max_value=40, max_denominator=64)

# ----------------------------------------------------------------------------- Erlang B / C


def test_erlang_b_textbook_values():
    assert theory.erlang_b(10, 5) == pytest.approx(0.018385, abs=5e-7)
    assert theory.erlang_b(1, 1.0) == pytest.approx(0.5)
    assert theory.erlang_b(2, 1.0) == pytest.approx(0.2)
    assert theory.erlang_b(0, 3.0) == 1.0
    assert theory.erlang_b(4, 0.0) == 0.0


def test_erlang_c_textbook_values():
    assert theory.erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = rho
    assert theory.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert theory.erlang_c(10, 8.0) == pytest.approx(0.40918, abs=5e-6)  # call-centre table
    assert theory.erlang_c(3, 0.0) == 0.0


@given(c=st.integers(1, 30), a=loads)
def test_erlang_b_matches_exact_formula(c, a):
    assert theory.erlang_b(c, float(a)) == pytest.approx(float(exact_erlang_b(c, a)), rel=1e-12)


@given(c=st.integers(1, 30), a=loads)
def test_erlang_c_matches_exact_formula(c, a):
    if a >= c:
        with pytest.raises(ValueError, match="a="):
            theory.erlang_c(c, float(a))
    else:
        expected = float(exact_erlang_c(c, a))
        assert theory.erlang_c(c, float(a)) == pytest.approx(expected, rel=1e-9, abs=1e-15)


@given(c=st.integers(1, 200), a=st.floats(0.01, 300), da=st.floats(0.0, 10.0))
def test_erlang_b_monotone(c, a, da):
    assert theory.erlang_b(c + 1, a) <= theory.erlang_b(c, a)
    assert theory.erlang_b(c, a + da) >= theory.erlang_b(c, a)


@given(c=st.integers(1, 200), rho=st.floats(0.01, 0.99))
def test_erlang_c_exceeds_erlang_b_and_decreases_in_c(c, rho):
    a = rho * c
    assert theory.erlang_b(c, a) <= theory.erlang_c(c, a) <= 1.0
    assert theory.erlang_c(c + 1, a) <= theory.erlang_c(c, a)


def test_large_systems_stay_finite():
    b = theory.erlang_b(5000, 4900.0)
    assert 0.0 < b < 0.01
    c = theory.erlang_c(1000, 999.99)
    assert 0.99 < c < 1.0
    assert theory.erlang_b(100000, 10.0) == 0.0  # underflows to 0, no overflow or nan


# ----------------------------------------------------------------------------- M/M/c waits


@pytest.mark.parametrize("lam, mu", [(0.5, 1.0), (0.9, 1.0), (3.0, 4.0), (1e-3, 2.0)])
def test_mm1_mean_wait_is_rho_over_mu_minus_lam(lam, mu):
    rho = lam / mu
    assert theory.mmc_mean_wait(lam, mu, 1) == pytest.approx(rho / (mu - lam), rel=1e-12)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9, 0.99])
def test_mm2_mean_wait_closed_form(rho):
    lam, mu = 2 * rho * 3.0, 3.0
    lq = 2 * rho**3 / (1 - rho**2)  # Gross & Harris, M/M/2
    assert theory.mmc_mean_wait(lam, mu, 2) == pytest.approx(lq / lam, rel=1e-12)


@given(c=st.integers(1, 50), rho=st.floats(0.01, 0.98))
def test_mean_wait_decreases_with_servers(c, rho):
    lam, mu = rho * c, 1.0
    assert theory.mmc_mean_wait(lam, mu, c + 1) <= theory.mmc_mean_wait(lam, mu, c)


@given(c=st.integers(1, 50), rho=st.floats(0.01, 0.98), q=st.floats(0.0, 0.999999))
def test_wait_quantile_inverts_tail(c, rho, q):
    lam, mu = rho * c * 2.0, 2.0
    p_wait = theory.erlang_c(c, lam / mu)
    t = theory.mmc_wait_quantile(lam, mu, c, q)
    if q <= 1 - p_wait:
        assert t == 0.0
    else:
        assert theory.mmc_wait_tail(lam, mu, c, t) == pytest.approx(1 - q, rel=1e-9)


def test_wait_tail_edges():
    assert theory.mmc_wait_tail(0.5, 1.0, 1, 0.0) == pytest.approx(0.5)  # = Erlang C
    assert theory.mmc_wait_tail(0.5, 1.0, 1, -1.0) == 1.0
    assert theory.mmc_wait_tail(0.5, 1.0, 1, 2.0) == pytest.approx(0.5 * math.exp(-1.0))
    assert theory.mmc_wait_quantile(0.5, 1.0, 1, 1.0) == math.inf
    # M/M/1 median wait: P(Wq > t) = rho e^{-(mu - lam) t} = 0.5 at t = ln(2 rho)/(mu-lam)
    assert theory.mmc_wait_quantile(0.8, 1.0, 1, 0.5) == pytest.approx(math.log(1.6) / 0.2)


# ----------------------------------------------------------------------------- M/G/1


@pytest.mark.parametrize("lam, mu", [(0.5, 1.0), (0.95, 1.0), (7.0, 10.0)])
def test_pollaczek_khinchine_reduces_to_mm1_and_md1_is_half(lam, mu):
    mm1 = theory.mmc_mean_wait(lam, mu, 1)
    assert theory.mg1_mean_wait(lam, 1 / mu, 2 / mu**2) == pytest.approx(mm1, rel=1e-12)
    assert theory.md1_mean_wait(lam, 1 / mu) == pytest.approx(mm1 / 2, rel=1e-12)


def test_md1_textbook_value():
    # rho = 0.5, d = 1: Wq = rho d / (2 (1 - rho)) = 0.5
    assert theory.md1_mean_wait(0.5, 1.0) == pytest.approx(0.5)


# ----------------------------------------------------------------------------- M/M/c/K


@given(c=st.integers(1, 40), a=st.floats(0.0, 80.0))
def test_mmck_without_waiting_room_is_erlang_b(c, a):
    got = theory.mmck_blocking(a * 2.0, 2.0, c, 0)
    assert got == pytest.approx(theory.erlang_b(c, a), rel=1e-9, abs=1e-300)
    assert theory.mmck_mean_wait(a * 2.0, 2.0, c, 0) == 0.0


@pytest.mark.parametrize("rho", [0.3, 0.9, 1.0, 1.7])
@pytest.mark.parametrize("capacity", [1, 2, 5, 40])
def test_mm1k_closed_form(rho, capacity):
    """M/M/1/K (K = 1 + k_wait): Gross & Harris, section 2.5."""
    k_wait = capacity - 1
    if rho == 1.0:
        p = np.full(capacity + 1, 1 / (capacity + 1))
    else:
        p = (1 - rho) * rho ** np.arange(capacity + 1) / (1 - rho ** (capacity + 1))
    lq = sum((n - 1) * p[n] for n in range(2, capacity + 1))
    assert theory.mmck_blocking(rho, 1.0, 1, k_wait) == pytest.approx(p[-1], rel=1e-9)
    expected_wait = lq / (rho * (1 - p[-1]))
    assert theory.mmck_mean_wait(rho, 1.0, 1, k_wait) == pytest.approx(expected_wait, rel=1e-9)


@pytest.mark.parametrize("c, rho", [(1, 0.5), (3, 0.7), (20, 0.95)])
def test_mmck_with_large_waiting_room_tends_to_erlang_c(c, rho):
    lam, mu = rho * c, 1.0
    assert theory.mmck_blocking(lam, mu, c, 20000) < 1e-12
    expected = theory.mmc_mean_wait(lam, mu, c)
    assert theory.mmck_mean_wait(lam, mu, c, 20000) == pytest.approx(expected, rel=1e-9)


def test_mmck_overloaded_blocking_tends_to_one_minus_c_over_a():
    # Throughput cannot exceed c mu, so with a huge buffer the blocked share is 1 - c/a.
    assert theory.mmck_blocking(1e4, 1.0, 5000, 100000) == pytest.approx(0.5, rel=1e-9)
    assert theory.mmck_blocking(3.0, 1.0, 2, 100000) == pytest.approx(1 / 3, rel=1e-9)


@given(c=st.integers(1, 20), a=st.floats(0.01, 50.0), k=st.integers(0, 50))
def test_mmck_blocking_decreases_with_waiting_room(c, a, k):
    assert theory.mmck_blocking(a, 1.0, c, k + 1) <= theory.mmck_blocking(a, 1.0, c, k) * (
        1 + 1e-12
    )


# ----------------------------------------------------------------------------- Little, planning


def test_littles_law_gap():
    assert theory.littles_law_gap(2.0, 0.5, 4.0) == 0.0
    assert theory.littles_law_gap(2.0, 0.5, 4.4) == pytest.approx(0.1)
    assert theory.littles_law_gap(0.0, 0.0, 1.0) == 0.0
    assert theory.littles_law_gap(0.0, 1.0, 1.0) == math.inf


def brute_force_servers(lam, mu, target, quantile):
    c = 1
    while True:
        if lam < c * mu:
            if quantile is None:
                wait = theory.mmc_mean_wait(lam, mu, c)
            else:
                wait = theory.mmc_wait_quantile(lam, mu, c, quantile)
            if wait <= target:
                return c
        c += 1


@settings(max_examples=200)
@given(
    lam=st.floats(0.01, 300.0),
    mu=st.floats(0.1, 10.0),
    target=st.floats(1e-4, 10.0),
    quantile=st.none() | st.floats(0.01, 0.999),
)
def test_min_servers_matches_brute_force(lam, mu, target, quantile):
    got = theory.min_servers_for_wait(lam, mu, target, quantile)
    assert got == brute_force_servers(lam, mu, target, quantile)


def test_min_servers_examples():
    assert theory.min_servers_for_wait(0.0, 1.0, 1.0) == 1
    assert theory.min_servers_for_wait(0.5, 1.0, 1.0) == 1  # M/M/1 Wq = 1.0 exactly
    assert theory.min_servers_for_wait(0.5, 1.0, 0.99) == 2
    assert theory.min_servers_for_wait(9.5, 1.0, 1e9) == 10  # stability alone
    # A zero quantile target means "most requests do not wait at all": C(c, a) <= 1 - q.
    c = theory.min_servers_for_wait(8.0, 1.0, 0.0, quantile=0.8)
    assert theory.erlang_c(c, 8.0) <= 0.2 < theory.erlang_c(c - 1, 8.0)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: theory.mmc_mean_wait(1.0, 1.0, 1), "lam"),
        (lambda: theory.mmc_mean_wait(3.5, 1.0, 3), "lam"),
        (lambda: theory.mmc_wait_tail(2.0, 1.0, 2, 1.0), "lam"),
        (lambda: theory.mmc_wait_quantile(2.0, 1.0, 1, 0.5), "lam"),
        (lambda: theory.mmc_mean_wait(0.5, 0.0, 1), "mu"),
        (lambda: theory.mmc_mean_wait(0.5, 1.0, 0), "c"),
        (lambda: theory.mmc_mean_wait(-0.5, 1.0, 1), "lam"),
        (lambda: theory.mmc_wait_quantile(0.5, 1.0, 1, 1.5), "q"),
        (lambda: theory.erlang_c(2, 2.0), "a"),
        (lambda: theory.erlang_b(-1, 2.0), "c"),
        (lambda: theory.erlang_b(2.5, 2.0), "c"),
        (lambda: theory.erlang_b(2, float("nan")), "a"),
        (lambda: theory.mg1_mean_wait(1.0, 1.0, 2.0), "lam"),
        (lambda: theory.mg1_mean_wait(0.5, 1.0, 0.5), "second_moment"),
        (lambda: theory.md1_mean_wait(2.0, 0.5), "lam"),
        (lambda: theory.md1_mean_wait(0.5, 0.0), "d"),
        (lambda: theory.mmck_blocking(1.0, 1.0, 1, -1), "k_wait"),
        (lambda: theory.mmck_mean_wait(1.0, -1.0, 1, 1), "mu"),
        (lambda: theory.littles_law_gap(-1.0, 1.0, 1.0), "mean_in_system"),
        (lambda: theory.min_servers_for_wait(1.0, 1.0, 0.0), "target_wait"),
        (lambda: theory.min_servers_for_wait(1.0, 1.0, 1.0, quantile=1.0), "quantile"),
    ],
)
def test_errors_name_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# ----------------------------------------------------------------------------- textbook model


def test_textbook_mmc_mean_wait_matches_erlang_c():
    """M/M/2 at rho = 0.5 (lam = 1, mu = 1): Wq = 1/3 s.

    Twelve independent replications of 10,000 requests (seeds 0-11), the first 500 of each
    dropped as warm-up (the relaxation time is a few tens of requests). The replication
    means are close to normal, so theory must lie within their 99.9% Student-t interval
    (a correct model fails with probability ~0.1%), and that interval must be narrower
    than +-10% of theory (these sizes give ~6%) so that the check has power.
    """
    lam, mu, c = 1.0, 1.0, 2
    expected = theory.mmc_mean_wait(lam, mu, c)
    means = np.array([run_textbook_mmc(lam, mu, c, 10_000, s)[500:].mean() for s in range(12)])
    half_width = stats.t.ppf(0.9995, len(means) - 1) * means.std(ddof=1) / np.sqrt(len(means))
    assert half_width < 0.10 * expected
    assert abs(means.mean() - expected) < half_width
