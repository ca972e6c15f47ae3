"""Arrival processes against theory, plus span-splitting invariants.

Statistical checks allow K = 5 standard errors (false-failure rate ~5.7e-7 per check
for an arbitrary seed); each states its seed, horizon and where its SE comes from.
Seeds are fixed so the suite is reproducible. Most tests cut the horizon into random
spans, as the engine does, so they check the concatenated realisation.
"""

import math
import tracemalloc
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulator.sampling import traffic
from simulator.sampling.bursts import MMPP2, Bursty, GammaRenewal
from simulator.sampling.traces import TraceCounts, TraceTimestamps, load_trace
from simulator.sampling.traffic import Diurnal, Poisson, draw_users

K = 5.0


def run(process, horizon, seed=0, mean_span=60.0):
    """Arrivals over [0, horizon) asked for in random spans (mean length `mean_span`)."""
    cuts = np.cumsum(
        np.random.default_rng(seed).exponential(mean_span, int(3 * horizon / mean_span) + 10)
    )
    edges = np.concatenate(([0.0], cuts[cuts < horizon], [horizon]))
    return np.concatenate([process.arrivals(a, b) for a, b in pairwise(edges)])


def mmpp_count_variance(p: MMPP2, t: float) -> float:
    """Exact Var N(t) for a stationary two-state MMPP (e.g. Fischer & Meier-Hellstern 1993)."""
    a, b = 1 / p.mean_low, 1 / p.mean_high  # switching rates low->high, high->low
    r = a + b
    spread = 2 * (p.rate_high - p.rate_low) ** 2 * a * b / r**3
    return p.mean_rate * t + spread * (t - (1 - math.exp(-r * t)) / r)


# ----------------------------------------------------------------- long-run rates


def test_poisson_count_and_exponential_gaps():
    # 1000 req/s for 600 s: N ~ Poisson(6e5), SE = sqrt(6e5) ~ 775 (0.13%).
    p = Poisson(1000.0, np.random.default_rng(1))
    t = run(p, 600.0, seed=2)
    assert abs(t.size - 6e5) <= K * math.sqrt(6e5)
    # Gaps, including those across span and chunk boundaries, are Exponential(1/1000):
    # the KS p-value is uniform under the null, so p < 1e-6 is a one-in-a-million failure.
    assert stats.kstest(np.diff(t), stats.expon(scale=1e-3).cdf).pvalue > 1e-6


def test_diurnal_counts_per_phase_bin_match_integral_of_rate():
    # period 200 s, 30 periods, rate 300 +- 80%: each of 20 phase bins is Poisson with
    # mean 30 x integral of the rate over the bin; SE = sqrt(mean).
    period, cycles = 200.0, 30
    p = Diurnal(300.0, 0.8, period, 37.0, np.random.default_rng(3))
    t = run(p, period * cycles, seed=4, mean_span=45.0)
    edges = np.linspace(0, period, 21)
    got, _ = np.histogram(np.mod(t, period), edges)
    want = np.array([cycles * p.expected_count(a, b) for a, b in pairwise(edges)])
    assert np.all(np.abs(got - want) <= K * np.sqrt(want))
    assert want.max() / want.min() > 5  # the bins really see the swing
    assert p.expected_count(0, period) == pytest.approx(300.0 * period, rel=1e-12)


def test_bursty_counts_in_and_out_of_bursts():
    # base 100 req/s, x8 for 20 s every 300 s, x0 (outage) for 10 s every 300 s; 3600 s.
    # Counts in the union of burst windows and outside are independent Poisson.
    p = Bursty(
        100.0, [(50.0, 20.0, 8.0), (200.0, 10.0, 0.0)], np.random.default_rng(5), every=300.0
    )
    assert p.mean_rate == pytest.approx(100 * (1 + 7 * 20 / 300 - 10 / 300), rel=1e-12)
    t = run(p, 3600.0, seed=6)
    phase = np.mod(t, 300.0)
    in_burst = int(np.sum((phase >= 50) & (phase < 70)))
    assert abs(in_burst - 12 * 20 * 800) <= K * math.sqrt(12 * 20 * 800)
    assert np.sum((phase >= 200) & (phase < 210)) == 0
    assert abs(t.size - p.expected_count(0, 3600)) <= K * math.sqrt(p.expected_count(0, 3600))


def test_bursty_once_only():
    p = Bursty(50.0, [(100.0, 30.0, 4.0)], np.random.default_rng(7))
    assert p.mean_rate == 50.0
    assert p.expected_count(0, 1000) == pytest.approx(50 * 1000 + 3 * 50 * 30)
    assert list(p.rate_at(np.array([99.9, 100.0, 129.9, 130.0]))) == [50, 200, 200, 50]


def window_variance(t: np.ndarray, w: float, m: int) -> tuple[float, float]:
    """Variance of counts in m consecutive windows of length w, and its standard error.

    The SE comes from 100 batch means of squared deviations, so it needs neither Gaussian
    counts nor independent windows; with 100 batches |t_99| > 5 has probability ~2e-6.
    """
    c = np.bincount((t // w).astype(np.int64), minlength=m)[:m].astype(np.float64)
    sq = (c - c.mean()) ** 2
    batches = sq[: m - m % 100].reshape(100, -1).mean(axis=1)
    return float(sq.mean()), float(batches.std(ddof=1) / 10)


def renewal_count_variance(rate: float, cv: float, t: float) -> float:
    """Var N(t) of a stationary Gamma renewal process, up to terms decaying in t.

    cv^2 rate t + (1 - cv^4)/6: the constant comes from the Laplace transform of the
    renewal function, M*(s) = F*(s) / (s (1 - F*(s))) with F*(s) = (1 + theta s)^-k.
    """
    return cv**2 * rate * t + (1 - cv**4) / 6


@pytest.mark.parametrize(("cv", "seed"), [(2.0, 8), (0.5, 9)])
def test_gamma_renewal_rate_and_dispersion(cv, seed):
    # 4000 consecutive windows of 1000 expected arrivals; Var N(w) / E N(w) ~ cv^2.
    rate, w, m = 500.0, 2.0, 4000
    t = run(GammaRenewal(rate, cv, np.random.default_rng(seed)), w * m, seed=seed + 1)
    assert abs(t.size - rate * w * m) <= K * math.sqrt(renewal_count_variance(rate, cv, w * m))
    var, se = window_variance(t, w, m)
    assert abs(var - renewal_count_variance(rate, cv, w)) <= K * se
    assert se < 0.05 * var  # the check can tell cv^2 = 4 or 0.25 from a Poisson's 1


@pytest.mark.parametrize("block", [traffic._BLOCK, 8])  # 8: two dwells per internal block
def test_mmpp2_long_run_rate_is_time_weighted_and_dispersion_exact(block):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(traffic, "_BLOCK", block)
        p = MMPP2(50.0, 500.0, 2.0, 0.5, np.random.default_rng(10))
        horizon = 20_000.0
        t = run(p, horizon, seed=11)
    assert p.mean_rate == pytest.approx((50 * 2 + 500 * 0.5) / 2.5)
    # SE of the total from the exact MMPP count variance (~0.8% here)
    assert abs(t.size - p.mean_rate * horizon) <= K * math.sqrt(mmpp_count_variance(p, horizon))
    # 1 s windows, comparable to the dwells (0.4 s correlation time): sensitive to how
    # the state is carried from one dwell and one internal block to the next
    var, se = window_variance(t, 1.0, int(horizon))
    assert abs(var - mmpp_count_variance(p, 1.0)) <= K * se


def test_mmpp2_starts_stationary():
    # Counts in [0, 0.2 s) over 4000 fresh processes have mean mean_rate x 0.2 and the
    # exact MMPP variance; starting always in the low state would give about 11, not 28.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(traffic, "_BLOCK", 8)
        rng = np.random.default_rng(21)
        p = MMPP2(50.0, 500.0, 2.0, 0.5, rng)
        n = np.array(
            [MMPP2(50.0, 500.0, 2.0, 0.5, rng).arrivals(0.0, 0.2).size for _ in range(4000)]
        )
    assert abs(n.mean() - 0.2 * p.mean_rate) <= K * math.sqrt(mmpp_count_variance(p, 0.2) / n.size)


# ----------------------------------------------------------------- span splitting

FACTORIES = {
    "poisson": lambda r: Poisson(300.0, r),
    "diurnal": lambda r: Diurnal(300.0, 0.6, 40.0, 5.0, r),
    "bursty": lambda r: Bursty(200.0, [(3.0, 2.0, 5.0)], r, every=11.0),
    "gamma": lambda r: GammaRenewal(300.0, 2.5, r),
    "mmpp": lambda r: MMPP2(50.0, 900.0, 1.5, 0.7, r),
    # high dwells of ~12,000 arrivals against blocks of at most 8 x 1024: cut into pieces
    "mmpp-long": lambda r: MMPP2(5.0, 300.0, 20.0, 40.0, r),
    "counts": lambda r: TraceCounts(np.arange(40) * 37 % 500, 1.5, r),
}


@pytest.mark.parametrize("name", ["poisson", "diurnal", "bursty", "gamma", "mmpp"])
def test_tiny_internal_blocks_keep_the_rate(name):
    # With 16-arrival blocks, an arrival lost or doubled per block shifts the count by
    # 6% where 5 SE is < 3% (Poisson, Diurnal, Bursty); with 4-gap renewal blocks by 25%
    # where 5 SE is 7%. MMPP counts over 100 s vary too much for this to see much: its
    # block boundaries (2 dwells per block here) are checked by the dispersion test.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(traffic, "_BLOCK", 16)
        mp.setattr(GammaRenewal, "_DRAWS", 4)
        p = FACTORIES[name](np.random.default_rng(18))
        t = run(p, 100.0, seed=19, mean_span=3.0)
    want = p.expected_count(0, 100.0)
    var = want  # Poisson, and Poisson given the rate path
    if name == "gamma":
        var = renewal_count_variance(300.0, 2.5, 100.0)
    if name == "mmpp":
        var = mmpp_count_variance(p, 100.0)
    assert abs(t.size - want) <= K * math.sqrt(var)
    if name == "poisson":
        assert stats.kstest(np.diff(t), stats.expon(scale=1 / 300).cdf).pvalue > 1e-6


def test_gamma_renewal_starts_in_equilibrium():
    # The first arrival after the start is the forward recurrence time R = U x L with
    # L ~ Gamma(k+1, theta): E R = (1 + cv^2) / (2 rate), E R^2 = theta^2 (k+1)(k+2) / 3.
    # 4000 independent starts; an ordinary (non-equilibrium) start would give E R = 1/rate.
    rate, cv, m = 10.0, 2.0, 4000
    k, theta = 1 / cv**2, cv**2 / rate
    rng = np.random.default_rng(20)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(GammaRenewal, "_DRAWS", 64)
        # P(R > 10 s) <= P(L > 10 s) ~ 3e-11, so every 10 s window holds a first arrival
        first = np.array([GammaRenewal(rate, cv, rng).arrivals(0.0, 10.0)[0] for _ in range(m)])
    mean_r = (1 + cv**2) / (2 * rate)
    sd_r = math.sqrt(theta**2 * (k + 1) * (k + 2) / 3 - mean_r**2)
    assert abs(first.mean() - mean_r) <= K * sd_r / math.sqrt(m)


@pytest.mark.parametrize("name", FACTORIES)
@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(st.floats(0.0, 60.0), max_size=30),
    at_arrivals=st.lists(st.integers(0, 10**6), max_size=5),
    seed=st.integers(0, 2**32 - 1),
)
def test_spans_give_one_realisation(name, cuts, at_arrivals, seed):
    # Small internal blocks so the spans cross many block boundaries; some span edges
    # fall exactly on arrival times, to check the half-open [t0, t1).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(traffic, "_BLOCK", 1024)
        mp.setattr(GammaRenewal, "_DRAWS", 128)
        whole = FACTORIES[name](np.random.default_rng(seed)).arrivals(0.0, 60.0)
        p = FACTORIES[name](np.random.default_rng(seed))
        exact = [float(whole[i % whole.size]) for i in at_arrivals]
        edges = [0.0, *sorted(cuts + exact), 60.0]
        parts = [p.arrivals(a, b) for a, b in pairwise(edges)]
    for (a, b), x in zip(pairwise(edges), parts, strict=True):
        assert x.dtype == np.float64
        assert np.all(np.diff(x) >= 0) and np.all(x >= a) and np.all(x < b)
    assert np.array_equal(np.concatenate(parts), whole)
    assert whole.size > 0


def test_span_errors():
    p = Poisson(10.0, np.random.default_rng(0))
    assert p.arrivals(0.0, 0.0).size == 0
    p.arrivals(0.0, 5.0)
    with pytest.raises(ValueError, match="forward"):
        p.arrivals(4.0, 6.0)
    with pytest.raises(ValueError, match="t0 <= t1"):
        p.arrivals(7.0, 6.0)
    assert p.arrivals(5.0, 5.0).size == 0


@pytest.mark.parametrize(
    ("make", "word"),
    [
        (lambda r: Poisson(0, r), "rate"),
        (lambda r: Poisson(1, None), "rng"),
        (lambda r: Diurnal(1, 1.5, 10, 0, r), "amplitude"),
        (lambda r: Diurnal(1, 0.5, -10, 0, r), "period"),
        (lambda r: Bursty(1, [(0, 1)], r), r"bursts\[0\]"),
        (lambda r: Bursty(1, [(0, -1, 2)], r), r"bursts\[0\].duration"),
        (lambda r: Bursty(1, [(0, 1, 2)], r, every=0), "every"),
        (lambda r: GammaRenewal(1, 0, r), "cv"),
        (lambda r: MMPP2(1, 2, 0, 1, r), "mean_low"),
        (lambda r: MMPP2(-1, 2, 1, 1, r), "rate_low"),
        (lambda r: TraceTimestamps([1.0, 0.5]), "sorted"),
        (lambda r: TraceTimestamps([-1.0]), r"times\[0\]"),
        (lambda r: TraceCounts([1, 2.5], 60.0, r), r"counts\[1\]"),
        (lambda r: TraceCounts([1, 2], 0, r), "bin_s"),
        (lambda r: draw_users(r, 5, 0), "users"),
    ],
)
def test_bad_arguments_name_the_argument(make, word):
    with pytest.raises((ValueError, TypeError), match=word):
        make(np.random.default_rng(0))


# ----------------------------------------------------------------- traces


def test_trace_timestamps_replay_exactly():
    times = np.sort(np.random.default_rng(12).uniform(0, 500, 5000))
    assert np.array_equal(run(TraceTimestamps(times), 600.0, seed=13, mean_span=7.0), times)
    fast = TraceTimestamps(times, speedup=2.0)
    assert np.array_equal(run(fast, 300.0, seed=14), times / 2)
    assert fast.expected_count(0, 300) == 5000


def test_trace_timestamps_half_open_spans():
    p = TraceTimestamps([0.0, 1.0, 1.0, 2.0, 3.0])
    assert [list(p.arrivals(a, a + 1.0)) for a in range(4)] == [[0.0], [1.0, 1.0], [2.0], [3.0]]
    assert p.mean_rate == pytest.approx(5 / 3)


def test_trace_counts_fill_each_bin_exactly_and_uniformly():
    counts = np.array([0, 5, 1200, 3, 0, 700, 40])
    p = TraceCounts(counts, 60.0, np.random.default_rng(15))
    t = run(p, 600.0, seed=16, mean_span=25.0)
    assert np.array_equal(np.histogram(t, np.arange(0, 481, 60))[0], [*counts, 0])
    assert p.mean_rate == pytest.approx(counts.sum() / 420)
    assert p.expected_count(120, 150) == pytest.approx(600)
    # positions within bins are Uniform(0, 60): KS p-value uniform under the null
    assert stats.kstest(np.mod(t, 60.0) / 60.0, "uniform").pvalue > 1e-6


def test_load_trace_numbers_datetimes_and_counts(tmp_path):
    f = tmp_path / "ts.csv"
    f.write_text("t,user\n0.25,2\n0.5,1\n3,3\n")
    assert list(load_trace(f, "timestamps")) == [0.25, 0.5, 3.0]
    f.write_text("when\n2024-05-01T12:00:00Z\n2024-05-01T13:00:00+01:00\n2024-05-01T12:00:01.5Z\n")
    assert list(load_trace(f, "timestamps")) == [0.0, 0.0, 1.5]
    f.write_text("minute,invocations\n0,10\n1,0\n2,7\n")
    got = load_trace(f, "counts", column="invocations")
    assert got.dtype == np.int64 and list(got) == [10, 0, 7]


@pytest.mark.parametrize(
    ("text", "kind", "column", "words"),
    [
        ("t\n1.0\n2.0\nsoon\n", "timestamps", None, ["column 1", "row 3"]),
        ("t\n1.0\n\n-2.0\n", "timestamps", None, ["row 2", ">= 0"]),
        ("when\n2024-05-01T12:00:00Z\nyesterday\n", "timestamps", None, ["row 2", "ISO 8601"]),
        ("n\n3\n4.5\n", "counts", None, ["column 1", "row 2", "whole number"]),
        ("n\n3\n-1\n", "counts", None, ["row 2"]),
        ("n\n3\n", "counts", "count", ["column 'count' not found", "1 column"]),
        ("", "counts", None, ["not a readable CSV"]),
        ("n\n", "counts", None, ["no data rows"]),
    ],
)
def test_load_trace_errors_name_file_column_and_row(tmp_path, text, kind, column, words):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(ValueError) as err:
        load_trace(f, kind, column)
    msg = str(err.value)
    assert str(f) in msg
    for w in words:
        assert w in msg


# ----------------------------------------------------------------- users


def test_draw_users_uniform():
    # 200,000 draws over 50 users: chi-square goodness of fit, p < 1e-6 is one in a million.
    u = draw_users(np.random.default_rng(17), 200_000, 50)
    assert u.dtype == np.int64 and u.min() >= 0 and u.max() < 50
    assert stats.chisquare(np.bincount(u, minlength=50)).pvalue > 1e-6


# ----------------------------------------------------------------- bounded blocks


@pytest.mark.parametrize("name", ["poisson", "bursty", "gamma", "mmpp", "mmpp-long", "counts"])
@settings(max_examples=20, deadline=None)
@given(
    spans=st.lists(st.tuples(st.floats(0.0, 60.0), st.integers(0, 3000)), max_size=25),
    seed=st.integers(0, 2**32 - 1),
)
def test_capped_spans_give_one_realisation(name, spans, seed):
    # The data plane asks for at most `limit` arrivals a span; where each span then
    # ends must not change the realisation, and no span may hold more than asked.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(traffic, "_BLOCK", 1024)
        mp.setattr(GammaRenewal, "_DRAWS", 128)
        whole = FACTORIES[name](np.random.default_rng(seed)).arrivals(0.0, 60.0)
        p = FACTORIES[name](np.random.default_rng(seed))
        now, parts = 0.0, []
        for t1, limit in [*sorted(spans), (60.0, 10**9)]:
            while now < t1:
                x, end = p.arrivals_capped(now, t1, limit)
                assert now < end <= t1
                assert len(x) <= limit or np.all(x == x[0])  # more only at one instant
                assert np.all(x >= now) and np.all(x < end)
                parts.append(x)
                now = end
    assert np.array_equal(np.concatenate(parts), whole)


def test_capped_span_takes_every_arrival_of_one_instant():
    # More than `limit` arrivals at one instant cannot be split by time: all of them come.
    class Crowd(traffic._Buffered):
        mean_rate = 10.0

        def rate_at(self, t):
            return np.zeros(np.shape(t))

        def _extend(self):
            self._k = getattr(self, "_k", 0) + 1
            return np.full(10, float(self._k)), self._k + 0.5

    x, end = Crowd().arrivals_capped(0.0, 5.0, 3)
    assert list(x) == [1.0] * 10 and 1.0 < end < 1.5
    x, end = Crowd().arrivals_capped(0.0, 5.0, 30)
    assert list(x) == [1.0] * 10 + [2.0] * 10 + [3.0] * 10 and end == 4.0


def test_a_month_long_mmpp_dwell_is_generated_a_block_at_a_time():
    # High dwells of 30 days at 100 req/s (2.6e8 arrivals each, 2 GB at once): a minute
    # of it must hold no more than a few blocks, and serve the high rate.
    rng = np.random.default_rng(22)
    tracemalloc.start()
    try:
        counts = [MMPP2(10.0, 100.0, 600.0, 30 * 86400.0, rng).arrivals(0.0, 60.0).size
                  for _ in range(20)]  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * traffic._MOST_BLOCKS * traffic._BLOCK * 8 + 2**20
    # P(high) = 0.99977: 20 minutes at 100/s are Poisson(6000) each, SE 77 per minute
    assert abs(np.mean(counts) - 6000) <= K * math.sqrt(6000 / 20) * 1.01


def test_bursty_peak_rate_is_where_bursts_overlap_the_most():
    # x3 on [0, 100), x4 on [50, 150): the peak is 10 x 3 x 4 on [50, 100)
    assert Bursty(10.0, [(0.0, 100.0, 3.0), (50.0, 100.0, 4.0)], np.random.default_rng(0)
                  ).peak_rate == 120.0  # fmt: skip
    # repeating every 60 s: x3 on [0, 20) + 60k, x4 on [100, 130) + 60k; they first
    # overlap on [120, 130)
    p = Bursty(10.0, [(0.0, 20.0, 3.0), (100.0, 30.0, 4.0)], np.random.default_rng(0), every=60)
    assert p.peak_rate == 120.0 and list(p.rate_at(np.array([110.0, 125.0]))) == [40, 120]
    # every burst below 1: the base rate
    assert Bursty(10.0, [(5.0, 5.0, 0.1)], np.random.default_rng(0)).peak_rate == 10.0


@settings(max_examples=60, deadline=None)
@given(
    bursts=st.lists(st.tuples(st.floats(0, 200), st.floats(0.5, 80), st.floats(0, 8)),
                    min_size=1, max_size=4),
    every=st.one_of(st.none(), st.floats(10, 120)),
)  # fmt: skip
def test_bursty_peak_and_integral_against_a_fine_grid(bursts, every):
    # Oracle: the rate at the middle of every gap between all burst edges (every repeat
    # up to well past the last start), found without the class's own piece logic.
    p = Bursty(10.0, bursts, np.random.default_rng(0), every=every)
    horizon = 300.0 + 3 * (every or 0)
    reps = range(int(horizon / every) + 2) if every else range(1)
    edges = {0.0, horizon}
    for at, dur, _ in bursts:
        for k in reps:
            edges |= {at + k * (every or 0), at + k * (every or 0) + dur}
    e = np.array(sorted(x for x in edges if x <= horizon))
    mids, widths = (e[:-1] + e[1:]) / 2, np.diff(e)
    rates = p.rate_at(mids)
    assert p.peak_rate == pytest.approx(max(rates.max(), 10.0), rel=1e-12)
    assert p.expected_count(0.0, horizon) == pytest.approx(float(rates @ widths), rel=1e-9)


def test_a_burst_longer_than_its_repeat_is_on_for_good_without_one_edge_per_repeat():
    # 1e8 s bursts repeating every second: on from t = 5 on, and no 1e8 edges per block
    p = Bursty(10.0, [(5.0, 1e8, 3.0)], np.random.default_rng(23), every=1.0)
    assert p.expected_count(0.0, 1e6) == pytest.approx(10 * 5 + 30 * (1e6 - 5))
    tracemalloc.start()
    try:
        n = p.arrivals(0.0, 100.0).size
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    want = 10 * 5 + 30 * 95
    assert abs(n - want) <= K * math.sqrt(want)
