"""The fast engine against the per-request SimPy oracle (tests/oracle.py), in distribution.

Engine and oracle draw from different random streams, so they are compared with
statistical tests, each at alpha = 0.001 (two-sided). Every run has a fixed seed (the
oracle ORACLE_SEED, the engine ENGINE_SEEDS), so the file is deterministic; alpha is the
chance that a correct engine would fail a check for an arbitrary choice of seeds.

Independence matters more than sample size here. Waits of successive requests are
strongly correlated: on M/M/3 at rho = 0.8 the indicator 1{wait > its 90% point} has
autocorrelation 0.41 at lag 25, 0.09 at lag 100 and 0.016 at lag 200 (measured on
10^6-request engine runs), i.e. 200k consecutive waits carry the information of only a few
thousand independent ones. A KS test fed all of them rejects a correct engine most of the
time: engine against engine (300 runs of the M/M/3 case below, each against a pool of 40
other runs), KS on all ~187k waits gave p < 0.001 in 73% of runs. So:

* KS tests (scipy ks_2samp, two-sided) use every k-th ok request after warm-up, with k
  per scenario chosen so that the autocorrelation left at lag k is <= ~0.02; the variance
  inflation left is then under ~5%, which moves the real false-alarm rate of the nominal
  0.001 to at most ~0.0015. Waits have an atom at zero, which makes KS conservative. The
  same engine-against-engine check with thinning gave p < 0.05 / 0.01 / 0.001 in
  4.0% / 0.3% / 0% of runs (M/M/3, k = 250) and 3.7% / 0.7% / 0% (least outstanding,
  k = 200), i.e. the thinned test is calibrated.
  The engine side pools ENGINE_REPS independent runs of the oracle's length, so
  n_engine ~ 10 n_oracle and the power is set by the oracle: the test detects a
  difference of the two CDFs of about D* = 1.95 sqrt(1/n_o + 1/n_e) (listed per test).
* Means and shares use batch means: sums over time windows far longer than the
  relaxation time are nearly independent, so the standard error of a ratio estimate
  sum(x) / n comes from the spread of the window sums (delta method), and the tests use
  Student t with windows - 1 degrees of freedom. (Checked the same way: over 300 M/M/3
  engine runs the spread of the run means, 0.325 ms, equals the mean batch SE, 0.326 ms.)
  Every check against theory also asserts the SE is small enough to give it power.

The oracle serves about 20k requests/s of CPU and the engine (with the per-request log)
about 1M/s, so the oracle sets the budget: ~0.75M oracle requests in all; the whole file
takes about 60 s of CPU, almost all of it in the module-scoped fixtures (one per scenario).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulator.engine.simulation import Simulation
from simulator.release.strategies import controller_for
from simulator.scenario.model import load_scenario
from simulator.validation import theory
from tests import builders
from tests.oracle import OracleInstance, run_oracle

ALPHA = 0.001
ORACLE_SEED = 20240601
ENGINE_REPS = 10
ENGINE_SEEDS = range(1, 1 + ENGINE_REPS)
MEAN_S = 0.010  # exponential service, mu = 100/s per worker
MU = 1.0 / MEAN_S
WARMUP = 20.0  # seconds dropped at the start of every run (> 50 relaxation times)


# ----------------------------------------------------------------------------- helpers


def exponential(mean):
    return lambda rng: rng.exponential(mean)


def constant(value):
    return lambda rng: value


def replayable(duration, rate, *, instances, workers, **overrides):
    """A plain queue (tests/builders.py) the oracle can replay: v1 with exponential 10 ms
    service, strategy none, a timeout (1 h) never reached, every request logged."""
    sc = builders.plain_queue(
        rate,
        workers,
        instances,
        service=MEAN_S,
        duration=duration,
        name="engine-vs-oracle",
        warmup=WARMUP,
        fleet={"version": "v1", "routing": "random", "timeout": 3600.0},
        strategy={"type": "none"},
        monitoring={"period": 10.0, "request_log": 1.0},
    )
    return builders.merge(sc, overrides)


def run_engine(sc, seed, actions=()):
    """simulate(), plus a SimPy process doing `actions` [(time, f(control))] in order.

    Action times are multiples of 1/8 s, so `now + (t - now)` lands exactly on t and the
    engine acts at the same instants as the oracle.
    """
    sc = load_scenario(sc)
    sim = Simulation(sc, seed, controller_for(sc.strategy))

    def driver():
        for t, act in actions:
            yield sim.env.timeout(t - sim.env.now)
            act(sim.control)

    sim.env.process(driver())
    return sim.run()


def crash_actions(crashes):
    """The oracle's crashes (time, instance, repair) as engine take_down/bring_up actions.

    At one instant the oracle repairs before it crashes; the sort key does the same.
    """
    timed = []
    for t, i, repair in crashes:
        timed.append((t, 1, lambda c, i=i: c.take_down(c.current.instances[i], "crash")))
        timed.append((t + repair, 0, lambda c, i=i: c.bring_up(c.current.instances[i], "crash")))
    return [(t, act) for t, _, act in sorted(timed, key=lambda x: x[:2])]


def steady(frame, version=None):
    """Requests that arrived after warm-up and finished (the oracle's in_flight dropped)."""
    rows = frame[(frame.arrival >= WARMUP) & (frame.outcome != "in_flight")]
    if version is not None:
        rows = rows[(rows["version"] if "version" in rows else rows["variant"]) == version]
    return rows


def thinned(frames, column, k, version=None):
    """Every k-th ok request after warm-up of each run (nearly independent samples)."""
    parts = []
    for frame in frames:
        ok = steady(frame, version)
        parts.append(ok[ok.outcome == "ok"][column].to_numpy()[::k])
    return np.concatenate(parts)


def assert_same_distribution(oracle, engine, what, min_n):
    """Two-sample KS at ALPHA; also that the oracle sample is as large as the docstring says."""
    assert len(oracle) >= min_n, (what, len(oracle), min_n)
    res = stats.ks_2samp(oracle, engine)
    d_star = 1.949 * math.sqrt(1 / len(oracle) + 1 / len(engine))
    assert res.pvalue > ALPHA, (
        f"{what}: KS D = {res.statistic:.4f} > D* = {d_star:.4f} (p = {res.pvalue:.2g}, "
        f"n_oracle = {len(oracle)}, n_engine = {len(engine)})"
    )


def batch_ratio(runs, window):
    """sum(x) / n over runs given as (times, x) arrays, with a batch-means standard error.

    Each run's requests are grouped into `window`-second windows by arrival time; the
    window sums are nearly independent, so the delta-method SE of the ratio is
    sqrt(m / (m - 1) * sum_w (x_w - r n_w)^2) / n. Returns (ratio, se, degrees of freedom).
    """
    xs, ns = [], []
    for times, x in runs:
        b = (np.asarray(times) // window).astype(np.int64)
        xs.append(np.bincount(b, weights=np.asarray(x, dtype=float)))
        ns.append(np.bincount(b).astype(float))
    x, n = np.concatenate(xs), np.concatenate(ns)
    x, n = x[n > 0], n[n > 0]
    m, total = len(n), n.sum()
    r = x.sum() / total
    se = math.sqrt(m / (m - 1) * np.sum((x - r * n) ** 2)) / total
    return r, se, m - 1


def t_crit(df):
    return stats.t.ppf(1 - ALPHA / 2, df)


def assert_matches_theory(est, expected, max_rel_se, what):
    """Theory within t * SE of a batch-means estimate, whose SE is small enough to matter."""
    r, se, df = est
    assert se <= max_rel_se * expected, f"{what}: SE {se:.3g} too wide for {expected:.4g}"
    assert abs(r - expected) <= t_crit(df) * se, (
        f"{what}: {r:.5g} vs theory {expected:.5g} (SE {se:.2g}, {df + 1} windows)"
    )


def assert_same_ratio(oracle, engine, what):
    """Two-sample z (t with the smaller df) test on batch-means estimates."""
    (r1, se1, df1), (r2, se2, df2) = oracle, engine
    se = math.hypot(se1, se2)
    assert abs(r1 - r2) <= t_crit(min(df1, df2)) * se, (
        f"{what}: oracle {r1:.5g} vs engine {r2:.5g} (z = {(r2 - r1) / se:.2f})"
    )


def waits(frames, version=None):
    """(arrival, wait) of ok requests after warm-up, for batch_ratio."""
    out = []
    for frame in frames:
        ok = steady(frame, version)
        ok = ok[ok.outcome == "ok"]
        out.append((ok.arrival.to_numpy(), ok.wait.to_numpy()))
    return out


def shares(frames, outcome):
    """(arrival, 1{outcome}) of finished requests after warm-up, for batch_ratio."""
    return [(f.arrival.to_numpy(), (f.outcome == outcome).to_numpy()) for f in map(steady, frames)]


def one_variant(**kwargs):
    return run_oracle(
        weights=[(0.0, {"v1": 1.0})],
        service={"v1": exponential(MEAN_S)},
        seed=ORACLE_SEED,
        **kwargs,
    )


def engine_logs(sc, actions_factory=lambda: ()):
    return [run_engine(sc, seed, actions_factory()).requests for seed in ENGINE_SEEDS]


# ----------------------------------------------------------------------------- 1. M/M/c

MMC = dict(duration=800.0, rate=240.0, workers=3, k=250)  # rho = 0.8, ~192k oracle requests


@pytest.fixture(scope="module")
def mmc():
    p = MMC
    oracle = one_variant(
        duration=p["duration"], rate=p["rate"], instances=[OracleInstance("v1", p["workers"], None)]
    )
    engine = engine_logs(replayable(p["duration"], p["rate"], instances=1, workers=p["workers"]))
    return oracle, engine


def test_mmc_wait_and_latency_distributions_match_the_oracle(mmc):
    """M/M/3, rho = 0.8: KS on waits and latencies of every 250th ok request.

    Lag-250 autocorrelation of wait indicators <= 0.01. n_oracle ~ 740, n_engine ~ 7,400:
    D* ~ 0.075 (a shift of the wait CDF by 7.5 points, e.g. P(wait > 0) 0.65 -> 0.72).
    """
    oracle, engine = mmc
    for column in ("wait", "latency"):
        assert_same_distribution(
            thinned([oracle], column, MMC["k"]),
            thinned(engine, column, MMC["k"]),
            f"M/M/3 {column}",
            700,
        )


def test_mmc_mean_wait_matches_erlang_c(mmc):
    """Mean wait of ok requests vs Erlang C Wq = C(3, 2.4) / (300 - 240) = 10.79 ms.

    Batch means over 20 s windows (~4,800 requests, > 60 relaxation times): the oracle
    (39 windows) has a relative SE of ~3%, so it is held to about +-10%; the engine (390
    windows) to about +-3%. The two also agree with each other (t test on the difference).
    """
    oracle, engine = mmc
    expected = theory.mmc_mean_wait(MMC["rate"], MU, MMC["workers"])
    o, e = batch_ratio(waits([oracle]), 20.0), batch_ratio(waits(engine), 20.0)
    assert_matches_theory(o, expected, 0.045, "oracle M/M/3 mean wait")
    assert_matches_theory(e, expected, 0.015, "engine M/M/3 mean wait")
    assert_same_ratio(o, e, "M/M/3 mean wait")


# ------------------------------------------------------------- 2. random routing, finite queue

FINITE = dict(duration=300.0, rate=480.0, instances=3, workers=2, queue=2, k=25)


@pytest.fixture(scope="module")
def finite():
    p = FINITE
    oracle = one_variant(
        duration=p["duration"],
        rate=p["rate"],
        instances=[OracleInstance("v1", p["workers"], p["queue"])] * 3,
    )
    engine = engine_logs(
        replayable(
            p["duration"],
            p["rate"],
            instances=p["instances"],
            workers=p["workers"],
            fleet={"queue_capacity": p["queue"]},
        )
    )
    return oracle, engine


def test_finite_queue_rejection_share_matches_oracle_and_theory(finite):
    """3 instances x 2 workers, 2 waiting places, random routing at 480/s: each instance is
    M/M/2 with 2 waiting places at 160/s, blocking P = 0.8192 / 5.7232 = 14.31%.

    Two-proportion test (t with the smaller df, 55) with SEs from 5 s windows (2,400
    requests; rejections come in runs, so the binomial SE would be 1.6x too small).
    Oracle ~134k requests after warm-up, SE ~0.15 points; engine ~1.3M, SE ~0.05 points:
    a difference of ~0.55 points of rejection share (4% relative) is detected. Both also
    match the theory, and so does the engine's mean wait of admitted requests,
    Wq = Lq / (lam (1 - P)) = 3.39 ms, to within ~1%.
    """
    oracle, engine = finite
    p = FINITE
    expected = theory.mmck_blocking(p["rate"] / p["instances"], MU, p["workers"], p["queue"])
    o, e = (
        batch_ratio(shares([oracle], "rejected"), 5.0),
        batch_ratio(shares(engine, "rejected"), 5.0),
    )
    assert_same_ratio(o, e, "rejected share")
    assert_matches_theory(o, expected, 0.015, "oracle blocking")
    assert_matches_theory(e, expected, 0.005, "engine blocking")
    w_expected = theory.mmck_mean_wait(p["rate"] / p["instances"], MU, p["workers"], p["queue"])
    assert_matches_theory(batch_ratio(waits(engine), 5.0), w_expected, 0.01, "engine M/M/2/4 wait")


def test_finite_queue_wait_distribution_matches_oracle(finite):
    """KS on waits of every 25th ok request (lag-25 autocorrelation <= 0.003).

    n_oracle ~ 4,600, n_engine ~ 46,000: D* ~ 0.03.
    """
    oracle, engine = finite
    k = FINITE["k"]
    assert_same_distribution(
        thinned([oracle], "wait", k), thinned(engine, "wait", k), "finite-queue wait", 4000
    )


# ----------------------------------------------------------------------------- 3. least outstanding

LOR = dict(duration=500.0, rate=320.0, instances=4, k=200)  # rho = 0.8


@pytest.fixture(scope="module")
def lor():
    p = LOR
    oracle = one_variant(
        duration=p["duration"],
        rate=p["rate"],
        routing="least_outstanding",
        instances=[OracleInstance("v1", 1, None)] * p["instances"],
    )
    engine = engine_logs(
        replayable(
            p["duration"],
            p["rate"],
            instances=p["instances"],
            workers=1,
            fleet={"routing": "least_outstanding"},
        )
    )
    return oracle, engine


def test_least_outstanding_waits_match_oracle_and_lie_between_pooled_and_split(lor):
    """4 single-worker instances, least-outstanding routing, rho = 0.8.

    KS on every 200th ok wait (lag-200 autocorrelation <= 0.008): n_oracle ~ 770,
    n_engine ~ 7,700, D* ~ 0.074. Mean wait (20 s windows) must lie, with its 99.9%
    interval, strictly between M/M/4 (pooled, 7.46 ms) and 4 x M/M/1 (split, 40 ms), and
    engine and oracle means agree (t test on the difference).
    """
    oracle, engine = lor
    p, k = LOR, LOR["k"]
    assert_same_distribution(
        thinned([oracle], "wait", k), thinned(engine, "wait", k), "least-outstanding wait", 700
    )
    pooled = theory.mmc_mean_wait(p["rate"], MU, p["instances"])
    split = theory.mmc_mean_wait(p["rate"] / p["instances"], MU, 1)
    o, e = batch_ratio(waits([oracle]), 20.0), batch_ratio(waits(engine), 20.0)
    for name, (r, se, df) in (("oracle", o), ("engine", e)):
        assert pooled < r - t_crit(df) * se and r + t_crit(df) * se < split, (name, r, se)
    assert_same_ratio(o, e, "least-outstanding mean wait")


# ----------------------------------------------------------------------------- 4. crashes

CRASH = dict(
    duration=600.0, rate=220.0, instances=2, workers=2, timeout=0.05, k=50, cycle=1.25, repair=0.25
)
# Instances 0 and 1 crash in turn 0.5 s into every 1.25 s cycle and are down for 0.25 s
# (each crashes every 2.5 s). While one is down the other takes 220/s on 200/s of
# capacity, so its queue builds, ~10% of requests time out (latency > 50 ms), and the
# next crash fails whatever is in service or waiting (~1.6 requests, ~0.6% of all).
CRASHES = [
    (CRASH["cycle"] * j + 0.5, j % 2, CRASH["repair"])
    for j in range(int(CRASH["duration"] / CRASH["cycle"]))
]


@pytest.fixture(scope="module")
def crash():
    p = CRASH
    oracle = one_variant(
        duration=p["duration"],
        rate=p["rate"],
        crashes=CRASHES,
        timeout=p["timeout"],
        instances=[OracleInstance("v1", p["workers"], None)] * 2,
    )
    sc = replayable(
        p["duration"], p["rate"], instances=2, workers=p["workers"], fleet={"timeout": p["timeout"]}
    )
    engine = engine_logs(sc, lambda: crash_actions(CRASHES))
    return oracle, engine


def test_crashes_fail_and_time_out_the_same_shares_as_the_oracle(crash):
    """Shares of requests failed by a crash (in service or waiting), failed while still
    waiting, and timed out: engine vs oracle, two-sample t test on batch means.

    Windows of 2.5 s (two crash cycles; a crash's overload drains within its cycle):
    oracle 232 windows (~130k requests), engine 2,320. Relative SEs: failed ~5% (oracle)
    and ~1.6% (engine), so a difference of ~17% in the failed share is detected; timed
    out ~4.5%, i.e. ~15%; failed-while-waiting (~30% of the failures) ~10%, i.e. ~35%.
    Engine failures all end at crash instants, and nothing is unavailable (random routing
    sends everything to the instance that is up).
    """
    oracle, engine = crash
    window = 2 * CRASH["cycle"]

    def waiting_failed(frames):
        return [
            (f.arrival.to_numpy(), ((f.outcome == "failed") & f.start.isna()).to_numpy())
            for f in map(steady, frames)
        ]

    for outcome in ("failed", "timed_out"):
        o, e = (
            batch_ratio(shares([oracle], outcome), window),
            batch_ratio(shares(engine, outcome), window),
        )
        assert o[0] > 0 and e[0] > 0
        assert_same_ratio(o, e, f"{outcome} share")
    o, e = (
        batch_ratio(waiting_failed([oracle]), window),
        batch_ratio(waiting_failed(engine), window),
    )
    assert o[0] > 0 and e[0] > 0
    assert_same_ratio(o, e, "failed-while-waiting share")
    crash_times = {t for t, _, _ in CRASHES}
    for frame in engine:
        assert set(frame[frame.outcome == "failed"].end) <= crash_times
        assert not (frame.outcome == "unavailable").any()


def test_crashes_ok_wait_distribution_matches_oracle(crash):
    """KS on every 50th ok wait (with the crash cycle's phase profile removed, the lag-50
    autocorrelation is <= 0.002): n_oracle ~ 2,300, n_engine ~ 23,000, D* ~ 0.043.
    Engine against engine (300 runs) it gave p < 0.05 in 0.7% of runs: conservative,
    since every k-th request samples all phases of the crash cycle evenly."""
    oracle, engine = crash
    k = CRASH["k"]
    assert_same_distribution(
        thinned([oracle], "wait", k), thinned(engine, "wait", k), "ok wait under crashes", 2000
    )


def test_tiny_deterministic_case_matches_the_oracle_request_by_request(tmp_path):
    """One instance (2 workers, 1 waiting place), service exactly 1 s, timeout 1.5 s, a
    crash at 3.0 repaired at 4.0, arrivals replayed from a trace: no randomness is left, so
    every request's outcome, start and end must equal the oracle's. The arrivals hit the
    tie rules: arrivals at a completion instant (1.0, 5.0), at the crash instant (3.0), at
    the repair instant (4.0, twice), a completion exactly at the duration (8.0)."""
    arrivals = [
        0.0,
        0.25,
        0.5,
        0.75,
        1.0,
        1.125,
        2.5,
        2.75,
        2.875,
        3.0,
        3.5,
        4.0,
        4.0,
        4.5,
        4.75,
        5.0,
        6.0,
        6.25,
        6.25,
        6.5,
        7.5,
        7.75,
        7.875,
    ]
    crashes = [(3.0, 0, 1.0)]
    trace = tmp_path / "arrivals.csv"
    pd.DataFrame({"time": arrivals}).to_csv(trace, index=False)
    sc = {
        "name": "tiny",
        "duration": 8.0,
        "traffic": {"pattern": "trace", "path": str(trace)},
        "fleet": {
            "version": "v1",
            "instances": 1,
            "workers_per_instance": 2,
            "queue_capacity": 1,
            "timeout": 1.5,
            "service_time": {"distribution": "deterministic", "value": 1.0},
        },
        "monitoring": {"period": 1.0, "request_log": 1.0},
    }
    res = run_engine(sc, 0, crash_actions(crashes))
    want = run_oracle(
        duration=8.0,
        rate=1.0,
        instances=[OracleInstance("v1", 2, 1)],
        weights=[(0.0, {"v1": 1.0})],
        service={"v1": constant(1.0)},
        crashes=crashes,
        timeout=1.5,
        arrivals=arrivals,
    )
    # The case is rich: every outcome occurs (checked by hand against the oracle's rules).
    assert want.outcome.value_counts().to_dict() == {
        "ok": 10,
        "rejected": 5,
        "failed": 3,
        "unavailable": 2,
        "in_flight": 2,
        "timed_out": 1,
    }
    finished = want[want.outcome != "in_flight"].reset_index(drop=True)
    got = res.requests.reset_index(drop=True)
    assert res.summary["requests"] == len(arrivals)
    assert res.summary["in_flight"] == (want.outcome == "in_flight").sum()
    assert got.arrival.tolist() == finished.arrival.tolist()
    assert got.outcome.tolist() == finished.outcome.tolist()
    np.testing.assert_array_equal(got.start.to_numpy(), finished.start.to_numpy())
    timed = finished.outcome.isin(["ok", "timed_out", "failed"]).to_numpy()
    np.testing.assert_array_equal(got.end.to_numpy()[timed], finished.end.to_numpy()[timed])


# ----------------------------------------------------------------------------- 5. weights

WEIGHTS = dict(duration=400.0, rate=300.0, instances=2, workers=2, k=100, period=10.0)
# v2 share from each time on; v2 (15 ms service, 2 x 2 workers) is launched at the first
# change. Loads stay <= 0.68 per instance for both versions.
SCHEDULE = [(20.0, 0.1), (100.0, 0.3), (200.0, 0.5), (300.0, 0.6)]
RELEASE = {"version": "v2", "service_time": {"distribution": "exponential", "mean": 0.015}}


def weight_actions():
    state = {}

    def change(share):
        def act(ctl):
            if "v2" not in state:
                state["v2"] = ctl.new_variant(is_release=True)
                ctl.launch(state["v2"], ready=True)
            ctl.set_weights({ctl.current: 1.0 - share, state["v2"]: share})

        return act

    return [(t, change(share)) for t, share in SCHEDULE]


def v2_share_at(t):
    return max([share for start, share in SCHEDULE if start <= t], default=0.0)


@pytest.fixture(scope="module")
def weights():
    p = WEIGHTS
    oracle = run_oracle(
        duration=p["duration"],
        rate=p["rate"],
        instances=[OracleInstance("v1", p["workers"], None)] * 2
        + [OracleInstance("v2", p["workers"], None)] * 2,
        weights=[(0.0, {"v1": 1.0})] + [(t, {"v1": 1 - s, "v2": s}) for t, s in SCHEDULE],
        service={"v1": exponential(MEAN_S), "v2": exponential(0.015)},
        seed=ORACLE_SEED,
    )
    sc = replayable(
        p["duration"],
        p["rate"],
        instances=p["instances"],
        workers=p["workers"],
        release=RELEASE,
        monitoring={"period": p["period"]},
    )
    results = [run_engine(sc, seed, weight_actions()) for seed in ENGINE_SEEDS]
    return oracle, results


def test_weight_changes_split_traffic_per_period_as_the_weights_say(weights):
    """Per 10 s period, v2's share of Invocations (res.metrics, summed over the engine
    runs, ~30k requests a period) is binomial with the weight in force: within
    z = 4.05 sd (Bonferroni over 40 periods at ALPHA). The few requests in flight across
    a boundary are counted in the period they end in (bias < 5 requests, < 0.1 sd).
    Before v2 is launched it gets nothing at all.
    """
    _, results = weights
    p = WEIGHTS
    table = sum(
        r.metrics.pivot(index="period", columns="version", values="Invocations") for r in results
    )
    assert list(table.columns) == ["v1", "v2"]
    z = stats.norm.isf(ALPHA / 2 / len(table))
    for period, row in table.iterrows():
        n, x = row.v1 + row.v2, row.v2
        w = v2_share_at(period * p["period"])
        assert n > 0.9 * ENGINE_REPS * p["rate"] * p["period"]
        if w == 0:
            assert x == 0, period
        else:
            assert abs(x - n * w) <= z * math.sqrt(n * w * (1 - w)), (period, x / n, w)


def test_weight_changes_wait_distributions_match_oracle(weights):
    """KS per version on every 100th ok wait (lag-100 autocorrelation within a weight phase
    <= 0.005 for v1; v2's highest load is rho = 0.68). v1: n_oracle ~ 700, D* ~ 0.077;
    v2: n_oracle ~ 440, D* ~ 0.097."""
    oracle, results = weights
    engine = [r.requests for r in results]
    k = WEIGHTS["k"]
    for version, min_n in (("v1", 650), ("v2", 400)):
        assert_same_distribution(
            thinned([oracle], "wait", k, version),
            thinned(engine, "wait", k, version),
            f"{version} wait",
            min_n,
        )
