"""The recorder (simulator/engine/recording/: recorder, tally, histogram) against plain loops.

The oracle walks the requests one by one and adds each where the module docstring says
it belongs: in the period it ends in, its latency in a log-spaced bin (bins are 1% wide:
bin b >= 1 holds [1e-6 * 1.01^(b-1), 1e-6 * 1.01^b) seconds, bin 0 up to 1 us), its busy
time cut at period ends, run-wide only after warm-up. The random requests use times
that are multiples of 1/256 s, so every sum is exact in float64 whatever the order of
additions, and the tests compare sums with ==.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.engine.recording import recorder as rec
from simulator.engine.recording.histogram import BINS, bin_of, quantile, quantiles, to_bin
from simulator.engine.recording.recorder import Recorder, TimeWeighted
from simulator.engine.recording.tally import (
    ERROR,
    FAILED,
    OK,
    REJECTED,
    TIMED_OUT,
    UNAVAILABLE,
)

LO, RATIO = 1e-6, 1.01  # the histogram's bins, as documented


def oracle_bin(x):
    if x <= LO:
        return 0
    return min(math.floor(math.log(x / LO) / math.log(RATIO)) + 1, BINS - 1)


# ----------------------------------------------------------------------------- requests


def random_requests(rng, n, duration, versions):
    """n requests of every outcome, consistent as the data plane makes them: arrays of
    version, end, arrival, start, outcome, busy, user (start and busy NaN if never served).
    """
    tick = 1 / 256
    arrival = rng.integers(0, int(duration / tick), n) * tick
    wait = rng.integers(0, 5 * 256, n) * tick * (rng.random(n) < 0.5)
    service = rng.integers(0, 30 * 256, n) * tick  # up to 30 s: crosses period ends
    outcome = rng.choice([OK, ERROR, FAILED, UNAVAILABLE, TIMED_OUT, REJECTED], n,
                         p=[0.6, 0.1, 0.1, 0.05, 0.1, 0.05])  # fmt: skip
    start = arrival + wait
    end = start + service
    busy = service.copy()
    never = (outcome == REJECTED) | (outcome == UNAVAILABLE)
    start[never], busy[never], end[never] = np.nan, np.nan, arrival[never]
    failed = outcome == FAILED  # the crash comes at a random time after the arrival
    crash = arrival[failed] + rng.integers(0, 10 * 256, failed.sum()) * tick
    waiting = start[failed] > crash
    busy[failed] = np.where(waiting, np.nan, crash - start[failed])
    start[np.flatnonzero(failed)[waiting]] = np.nan
    end[failed] = crash
    version = rng.integers(0, versions, n)
    user = rng.integers(0, 300, n)
    return version, end, arrival, start, outcome, busy, user


def oracle(requests, periods, period, warmup, slo, kinds):
    """Per-version tables and run-wide statistics, one request at a time.

    kinds: (is_release, shadow) per version index.
    """
    last = periods - 1
    out = {
        "counts": [np.zeros((periods, 6), dtype=np.int64) for _ in kinds],
        "sums": [np.zeros((periods, 4)) for _ in kinds],
        "hist": [np.zeros((periods, BINS), dtype=np.int64) for _ in kinds],
        "run_latency": np.zeros(BINS, dtype=np.int64),
        "run_wait": np.zeros(BINS, dtype=np.int64),
        "run_sums": np.zeros(3),
        "blast_radius": 0,
        "hurt_users": set(),
        "sojourn_sum": 0.0,
    }
    for v, end, arrival, start, outcome, busy, user in zip(*requests, strict=True):
        p = min(int(end // period), last)
        latency = end - arrival
        release, shadow = kinds[v]
        out["counts"][v][p, outcome] += 1
        served = not math.isnan(busy)
        slow = served and latency > slo
        if outcome == OK:
            out["sums"][v][p, 0] += latency
            out["sums"][v][p, 1] += start - arrival
            out["hist"][v][p, oracle_bin(latency)] += 1
        if served:
            for q in range(periods):  # time past the last period end counts in the last
                hi = (q + 1) * period if q < last else math.inf
                out["sums"][v][q, 2] += max(0.0, min(start + busy, hi) - max(start, q * period))
        if slow:
            out["sums"][v][p, 3] += 1
        if release and not shadow and ((outcome not in (OK, REJECTED)) or slow):
            out["blast_radius"] += 1
            out["hurt_users"].add(int(user))
        if not shadow and outcome not in (REJECTED, UNAVAILABLE):
            out["sojourn_sum"] += latency
        if not shadow and outcome == OK and arrival >= warmup:
            out["run_latency"][oracle_bin(latency)] += 1
            out["run_wait"][oracle_bin(start - arrival)] += 1
            out["run_sums"] += (latency, start - arrival, 1)
    return out


KINDS = [(False, False), (True, False), (True, True)]  # v1, its release, a shadow copy


def recorder(periods, period, warmup, slo, kinds=KINDS):
    r = Recorder(periods, period, warmup, slo)
    for k, (release, shadow) in enumerate(kinds):
        assert r.version_index(f"v{k + 1}", release, shadow) == k
    return r


def dense(r, v):
    """Version v's histograms over all BINS bins (the recorder keeps the range in use)."""
    full = np.zeros((r.periods, BINS), dtype=np.int64)
    full[:, r.first : r.first + r.hist.shape[2]] = r.hist[v]
    return full


def assert_same(r, want):
    for v in range(len(r.versions)):
        np.testing.assert_array_equal(r.counts[v], want["counts"][v])
        np.testing.assert_array_equal(r.sums[v], want["sums"][v])  # exact: times of 1/256 s
        np.testing.assert_array_equal(dense(r, v), want["hist"][v])
    np.testing.assert_array_equal(r.run_latency, want["run_latency"])
    np.testing.assert_array_equal(r.run_wait, want["run_wait"])
    np.testing.assert_array_equal(r.run_sums, want["run_sums"])
    assert r.blast_radius == want["blast_radius"]
    assert r.users_affected() == len(want["hurt_users"])
    assert r.sojourn_sum == want["sojourn_sum"]


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tables_match_a_request_by_request_count(seed, monkeypatch):
    """Seeds 1-3: 6,000 requests of all outcomes over 3 versions (one release, one shadow),
    12 periods of 10 s, warm-up 25 s, SLO 4 s, recorded in uneven batches (some of one
    version only), so the histograms' kept range widens as latencies arrive. Counts,
    sums, histograms, busy time,
    run-wide stats, blast radius and hurt users equal the oracle's, exactly. The hurt
    ids are de-duplicated after every 8 (instead of 65,536) to exercise that too."""
    monkeypatch.setattr(rec, "_HURT_SLACK", 8)
    rng = np.random.default_rng(seed)
    requests = random_requests(rng, 6000, 130.0, len(KINDS))  # some end past the last period
    r = recorder(12, 10.0, 25.0, 4.0)
    cuts = np.sort(rng.choice(np.arange(1, 6000), 15, replace=False))
    for k, part in enumerate(np.split(np.arange(6000), cuts)):
        if k < 4:  # batches of one version each
            for v in range(len(KINDS)):
                r.record(*(a[part[requests[0][part] == v]] for a in requests))
        else:
            r.record(*(a[part] for a in requests))
    r.record(*(a[:0] for a in requests))  # an empty batch records nothing
    assert_same(r, oracle(requests, 12, 10.0, 25.0, 4.0, KINDS))


def test_batches_of_one_version_and_of_many_give_the_same_tables():
    """Seed 4: the same 3,000 requests recorded all at once (several versions in a batch)
    or version by version, in reverse order: identical tables."""
    requests = random_requests(np.random.default_rng(4), 3000, 100.0, len(KINDS))
    a, b = recorder(10, 10.0, 0.0, 2.0), recorder(10, 10.0, 0.0, 2.0)
    a.record(*requests)
    for v in (2, 1, 0):
        mine = requests[0] == v
        b.record(*(x[mine] for x in requests))
    for v in range(len(KINDS)):
        np.testing.assert_array_equal(a.counts[v], b.counts[v])
        np.testing.assert_array_equal(a.sums[v], b.sums[v])
        np.testing.assert_array_equal(dense(a, v), dense(b, v))
    assert a.users_affected() == b.users_affected() and a.blast_radius == b.blast_radius


def test_a_request_counts_in_the_period_it_ends_in():
    """Periods of 10 s, 3 of them: by the end time, not the arrival; an end on a period
    boundary opens the next period; after the run's end, the last period."""
    r = recorder(3, 10.0, 0.0, None, kinds=[(False, False)])
    arrival = np.array([5.0, 5.0, 5.0, 0.0, 25.0, 29.0])
    end = np.array([25.0, 20.0, 9.75, 10.0, 45.0, 30.0])
    start = arrival.copy()
    r.record(np.zeros(6, dtype=np.int64), end, arrival, start, np.full(6, OK), end - start,
             np.arange(6))  # fmt: skip
    assert r.counts[0][:, OK].tolist() == [1, 1, 4]
    assert r.sums[0][:, 0].tolist() == [4.75, 10.0, 20 + 15 + 20 + 1]


def test_busy_time_is_cut_at_period_ends():
    """Periods of 60 s, 3 of them: 90 s of work from 30 s counts 30 s and 60 s; 200 s from
    10 s counts 50, 60 and the 90 s up to its end (past the run's end: the last period);
    work starting after the run counts whole in the last period."""
    r = recorder(3, 60.0, 0.0, None, kinds=[(False, False)])
    start = np.array([30.0, 10.0, 150.0, 200.0])
    busy = np.array([90.0, 200.0, 5.0, 7.0])
    end = start + busy
    r.record(np.zeros(4, dtype=np.int64), end, start, start, np.full(4, OK), busy, np.arange(4))
    assert r.sums[0][:, 2].tolist() == [30.0 + 50.0, 60.0 + 60.0, 90.0 + 5.0 + 7.0]


def test_slo_slow_and_hurt_requests():
    """SLO 1 s, a release: an ok request of 2 s is slow (hurt), one of 0.5 s is not; a 5XX
    hurts; a rejection does not (the user was never served: counted, not blamed); an
    unavailable request does; a slow failure counts once. Users 7 and 8 are hurt twice
    each, user 9 never: 4 hurt requests, 2 users."""
    r = recorder(1, 60.0, 0.0, 1.0, kinds=[(True, False)])
    arrival = np.zeros(6)
    outcome = np.array([OK, OK, ERROR, REJECTED, UNAVAILABLE, ERROR])
    end = np.array([2.0, 0.5, 0.1, 0.0, 0.0, 3.0])
    start = np.where((outcome == REJECTED) | (outcome == UNAVAILABLE), np.nan, 0.0)
    busy = end - start
    user = np.array([7, 9, 7, 9, 8, 8])
    r.record(np.zeros(6, dtype=np.int64), end, arrival, start, outcome, busy, user)
    assert r.blast_radius == 4 and r.users_affected() == 2
    assert r.sums[0][0, 3] == 2  # slow and served: the 2 s ok and the 3 s error


def test_warm_up_is_left_out_of_the_run_wide_statistics():
    """Warm-up 100 s: only ok requests that arrived at or after it count run-wide (one that
    arrived in the warm-up and ended after it does not); per-period tables keep all."""
    r = recorder(5, 60.0, 100.0, None, kinds=[(False, False)])
    arrival = np.array([0.0, 99.5, 100.0, 150.0, 150.0])
    wait = np.array([1.0, 1.0, 0.25, 0.5, 0.0])
    end = arrival + wait + 2.0
    outcome = np.array([OK, OK, OK, OK, ERROR])
    r.record(np.zeros(5, dtype=np.int64), end, arrival, arrival + wait, outcome,
             np.full(5, 2.0), np.arange(5))  # fmt: skip
    assert r.run_sums.tolist() == [2.25 + 2.5, 0.25 + 0.5, 2]
    assert r.run_latency.sum() == r.run_wait.sum() == 2
    assert r.run_latency[oracle_bin(2.25)] == 1 and r.run_wait[oracle_bin(0.5)] == 1
    assert r.counts[0][:, OK].sum() == 4


@pytest.mark.parametrize(("seed", "sigma"), [(5, 0.5), (6, 1.0), (7, 2.0)])
def test_histogram_quantiles_are_within_one_bin_of_numpys(seed, sigma):
    """100,000 lognormal latencies (median 50 ms, sigma 0.5-2, seeds 5-7), one histogram:
    each quantile read from it is within one bin width (1%) of numpy's on the same
    samples, for numpy's default (interpolating) quantile; against the order statistic
    it stands for (numpy's inverted_cdf) it is within half a bin (the bin's geometric
    middle). At these sizes neighbouring order statistics near the 99.9th percentile are
    < 0.5% apart, so interpolating between them stays in reach."""
    x = np.random.default_rng(seed).lognormal(math.log(0.05), sigma, 100_000)
    hist = np.bincount(to_bin(x), minlength=BINS)
    for q in (0.01, 0.5, 0.9, 0.99, 0.999):
        got = quantile(hist, q)
        assert abs(math.log(got / np.quantile(x, q))) <= math.log(RATIO), q
        exact = np.quantile(x, q, method="inverted_cdf")
        assert abs(math.log(got / exact)) <= math.log(RATIO) / 2 + 1e-12, q


def test_quantiles_of_many_rows_and_of_empty_ones():
    """300 rows (more than one block of 256), each read as the geometric middle of the
    first bin where the cumulative count reaches q x total, found by a plain loop; a row
    with no request reads NaN; bin 0 (up to 1 us) reads 0."""
    rng = np.random.default_rng(8)
    rows = np.zeros((300, BINS), dtype=np.int64)  # more rows than one block of 256
    for i in range(0, 300, 2):
        rows[i] = np.bincount(to_bin(rng.exponential(0.1 * (i + 1), 50)), minlength=BINS)
    rows[298, :] = 0
    rows[298, 0] = 3  # three requests of <= 1 us
    qs = (0.5, 0.95)
    table = quantiles(rows, qs)
    for i in range(300):
        total = int(rows[i].sum())
        for j, q in enumerate(qs):
            if total == 0:
                assert math.isnan(table[j, i])
                continue
            seen, b = 0, 0
            while seen + rows[i, b] < q * total:
                seen += rows[i, b]
                b += 1
            want = 0.0 if b == 0 else LO * RATIO ** (b - 0.5)
            assert table[j, i] == pytest.approx(want, rel=1e-12), (i, q)
            assert quantile(rows[i], q) == table[j, i]
    assert np.isnan(table[:, 1]).all() and (table[:, 298] == 0).all()


@given(st.floats(0, 1e7, allow_nan=False))
def test_every_latency_lands_in_the_bin_that_holds_it(x):
    """Bin b >= 1 holds [1e-6 * 1.01^(b-1), 1e-6 * 1.01^b) (1e-12 relative slack at the
    edges for the logarithm's rounding); up to 1 us is bin 0; the top bin takes the rest."""
    b = int(to_bin(np.array([x]))[0])
    if x <= LO:
        assert b == 0
    elif b == BINS - 1:
        assert x >= LO * RATIO ** (BINS - 2) * (1 - 1e-12)
    else:
        assert LO * RATIO ** (b - 1) * (1 - 1e-12) <= x < LO * RATIO**b * (1 + 1e-12)


@given(st.one_of(st.floats(0, 1e7, allow_nan=False),
                 st.floats(1e-7, 1e-5), st.sampled_from([0.0, LO, 1e-3, 0.01, 160.0, 1e9])))
def test_the_compiled_bin_is_the_vectorised_one(x):
    """tally.record bins each latency with the compiled bin_of; the result's quantiles and
    the tests read them with to_bin: the same bin for any latency, edges included."""
    assert bin_of(x) == int(to_bin(np.array([x]))[0])


def test_the_kept_range_widens_both_ways_and_loses_no_request():
    """Latencies of 1 ms, then 100 s (far above), then 0.5 us (bin 0, far below), each in
    a batch of its own: the kept range grows to hold each (never the whole 2,600 bins at
    first), and every request stays in its bin."""
    r = recorder(2, 10.0, 0.0, None, kinds=[(False, False)])
    seen = np.zeros(BINS, dtype=np.int64)
    for k, latency in enumerate((1e-3, 100.0, 5e-7)):
        arrival = np.array([1.0, 2.0])
        end = arrival + latency
        r.record(np.zeros(2, np.int64), end, arrival, arrival, np.full(2, OK),
                 np.full(2, latency), np.arange(2))  # fmt: skip
        seen[oracle_bin(latency)] += 2
        if k == 0:
            assert 0 < r.hist.shape[2] < 100
        assert r.first <= oracle_bin(latency) < r.first + r.hist.shape[2]
    np.testing.assert_array_equal(dense(r, 0).sum(axis=0), seen)
    assert r.first == 0


def test_time_weighted_integrals_per_period():
    """A quantity of 2 from 0, 5 from 15 s and 0 from 50 s, in 20 s periods (3 of them),
    closed at 70 s: areas 30 + 25, 100 and 50 (time past the last period is not kept);
    the total up to 80 s adds nothing (the quantity is 0)."""
    tw = TimeWeighted(3, 20.0)
    tw.set(0.0, 2.0)
    tw.set(15.0, 5.0)
    tw.set(50.0, 0.0)
    tw.close(70.0)
    assert tw.area.tolist() == [2 * 15 + 5 * 5, 5 * 20, 5 * 10]
    assert tw.total_at(80.0) == sum(tw.area)


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 10)), max_size=20))
def test_time_weighted_matches_the_integral_of_the_steps(changes):
    """Random step functions (hypothesis): each period's area is the integral over it,
    computed by cutting the steps at every period end (1e-9 relative for rounding)."""
    changes = sorted(changes)
    tw = TimeWeighted(7, 15.0)  # 105 s of periods; the steps run to 120 s
    for t, value in changes:
        tw.set(t, value)
    tw.close(120.0)
    steps = [(0.0, 0.0), *changes, (120.0, 0.0)]
    want = np.zeros(7)
    for (t0, value), (t1, _) in zip(steps, steps[1:], strict=False):
        for p in range(7):
            want[p] += value * max(0.0, min(t1, (p + 1) * 15.0) - max(t0, p * 15.0))
    np.testing.assert_allclose(tw.area, want, rtol=1e-9, atol=1e-9)
