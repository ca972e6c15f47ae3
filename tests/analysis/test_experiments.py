"""Experiments: replications, confidence intervals, common random numbers, sweeps, backends.

Every run here is short (600-900 s simulated at 20 req/s, about 15-25 ms each) and serial
(`workers=1`) except where a pool or a Dask cluster is itself under test.
"""

import itertools
import math
import multiprocessing
import socket
import threading
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simulator as ds
from simulator import catalog
from simulator.analysis import backends, replication, statistics
from simulator.analysis import experiments as ex
from simulator.analysis import sweep as sweeps
from simulator.analysis.backends import BackendError, ProcessPool
from simulator.engine import budget as engine_budget
from tests import builders

# A run's own speed measurements, not results: they differ between any two runs.
VOLATILE = ["wall_s", "requests_per_s"]
PRICE = catalog.target_info("ml.c5.xlarge")["price_per_hour"]
SERVICE_S = 0.05  # exponential service time mean
WORKERS = 2  # workers per instance


def quick(strategy=None, rate=20, duration=600, defect=None):
    """The usual release (tests/builders.py) on 2 instances at 20 req/s for 10 min after a
    1 min warm-up, v1 provisioned in 60 s: runs of about 20 ms."""
    fleet = {"workers_per_instance": WORKERS, "service_time": builders.exponential(SERVICE_S),
             "provisioning": 60, "routing": "random"}  # fmt: skip
    return builders.release(strategy, defect, rate=rate, duration=duration, instances=2,
                            name="exp", warmup=60, fleet=fleet)  # fmt: skip


# A canary with short bakes and a rare defect: the Flagger gate (any error in a check
# window fails it) catches it in some replications and not others, so booleans and
# outcomes vary across replications.
CANARY = {"type": "canary", "steps": [{"weight": 25, "bake": 180}, {"weight": 50, "bake": 180}]}
FLAKY = {"error_rate": 4e-4}


def stable(frame):
    return frame.drop(columns=VOLATILE)


def erlang_c_latency_ms(rate, instances, workers=WORKERS, service=SERVICE_S):
    """Mean response time with random routing: each instance an M/M/c queue at rate/instances."""
    lam, mu, c = rate / instances, 1 / service, workers
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    wait_prob = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return 1000 * (service + wait_prob / (c * mu - lam))


# ---------------------------------------------------------------- seeds


def test_replication_seeds_do_not_depend_on_the_count_and_are_distinct():
    for seed in (0, 1, 12345):
        many = replication.replication_seeds(seed, 2000)
        assert len(set(many)) == 2000
        for n in (1, 7, 100):
            assert replication.replication_seeds(seed, n) == many[:n]
    # Different experiment seeds give different sequences.
    assert replication.replication_seeds(0, 50) != replication.replication_seeds(1, 50)
    assert not set(replication.replication_seeds(0, 50)) & set(replication.replication_seeds(1, 50))


def test_replication_k_is_the_run_with_the_kth_seed_and_first_continues_the_sequence():
    sc = quick()
    whole = replication.replicate(sc, 5, seed=7, workers=1)
    head = replication.replicate(sc, 3, seed=7, workers=1)
    tail = replication.replicate(sc, 2, seed=7, first=3, workers=1)
    assert list(whole["replication"]) == [0, 1, 2, 3, 4]
    assert list(tail["replication"]) == [3, 4]
    pd.testing.assert_frame_equal(stable(pd.concat([head, tail], ignore_index=True)), stable(whole))
    seeds = replication.replication_seeds(7, 5)
    assert list(whole["seed"]) == seeds
    # Independent recomputation of replication 3 straight through the engine.
    direct = replication.flatten(ds.simulate(sc, seed=seeds[3]).summary)
    row = whole.iloc[3]
    for key, value in direct.items():
        if key in VOLATILE:
            continue
        if isinstance(value, float) and math.isnan(value):
            assert pd.isna(row[key]), key
        else:
            assert row[key] == value or (value is None and pd.isna(row[key])), key
    # A different experiment seed is a different experiment.
    other = replication.replicate(sc, 2, seed=8, workers=1)
    assert list(other["latency_ms.mean"]) != list(whole["latency_ms.mean"][:2])


# ---------------------------------------------------------------- intervals


def test_interval_matches_scipy_t_interval():
    rng = np.random.default_rng(3)
    for n in (2, 5, 30):
        x = rng.normal(10, 2, n)
        for conf in (0.9, 0.95, 0.99):
            mean, low, high = statistics.interval(x, conf)
            ref_low, ref_high = stats.t.interval(conf, n - 1, loc=x.mean(), scale=stats.sem(x))
            assert mean == pytest.approx(x.mean(), rel=1e-12)
            assert (low, high) == pytest.approx((ref_low, ref_high), rel=1e-12)
    # NaN (a replication where the metric does not exist) is dropped, not propagated.
    x = [1.0, math.nan, 2.0, 4.0]
    ref = stats.t.interval(0.95, 2, loc=np.mean([1, 2, 4]), scale=stats.sem([1, 2, 4]))
    assert statistics.interval(x)[1:] == pytest.approx(ref, rel=1e-12)
    # One value has a mean but no interval; none has neither.
    assert statistics.interval([3.0])[0] == 3.0 and math.isnan(statistics.interval([3.0])[1])
    assert all(math.isnan(v) for v in statistics.interval([]))


def test_half_width_shrinks_as_one_over_sqrt_n():
    """Half-width over n and 4n nested replications: ratio 2 x t_{n-1} / t_{4n-1} x R.

    h x sqrt(n) / t_{n-1} is exactly the sample standard deviation s_n, so the ratio of
    the normalized half-widths is R = s_n / s_4n. For normal replications with the first n
    of the 4n shared, (n-1) s_n^2 and the rest of (4n-1) s_4n^2 are independent chi-square
    sums, so R^2 = (4n-1)/(n-1) x Beta((n-1)/2, 3n/2) exactly. Over K = 6 experiment
    seeds, n = 12, the geometric mean of R has a 99.9% band (by sampling that Beta, seed 0,
    200k draws) of about [0.71, 1.22]: a false failure has probability 0.1%, and the band
    excludes a half-width law of n^-1/4 (R = 0.707) or n^-3/4 (R = 1.414).
    """
    n, seeds, metric = 12, range(20, 26), "latency_ms.mean"
    sc = quick()
    t_n, t_4n = stats.t.ppf(0.975, n - 1), stats.t.ppf(0.975, 4 * n - 1)
    log_r = []
    for seed in seeds:
        small = replication.replicate(sc, n, seed=seed, workers=1)
        large = replication.replicate(sc, 4 * n, seed=seed, workers=1)
        # Nested: replication k is the same run in both experiments.
        pd.testing.assert_frame_equal(stable(small), stable(large.iloc[:n]))
        halves = []
        for frame, size in ((small, n), (large, 4 * n)):
            row = statistics.summarize(frame)
            half = (row[f"{metric}_ci_high"] - row[f"{metric}_ci_low"]) / 2
            t = stats.t.ppf(0.975, size - 1)
            # The t-quantile correction: half x sqrt(n) / t_{n-1} is the sample std.
            assert half * math.sqrt(size) / t == pytest.approx(frame[metric].std(ddof=1), 1e-9)
            halves.append(half)
        ratio = halves[0] / halves[1]
        log_r.append(math.log(ratio / (2 * t_n / t_4n)))
    rng = np.random.default_rng(0)
    draws = rng.beta((n - 1) / 2, 3 * n / 2, size=(200_000, len(seeds)))
    g = np.exp(0.5 * np.log((4 * n - 1) / (n - 1) * draws).mean(axis=1))
    low, high = np.quantile(g, [0.0005, 0.9995])
    assert 2**-0.5 < low < 1 < high < 2**0.5  # the band can tell the laws apart
    geo = math.exp(np.mean(log_r))
    assert low < geo < high, (geo, low, high)
    # In half-width terms: the ratio is about 2 (times the t correction t_{n-1}/t_{4n-1}).
    assert 2 * t_n / t_4n * low < 2 * t_n / t_4n * geo < 2 * t_n / t_4n * high


# ---------------------------------------------------------------- compare


def test_compare_takes_a_strategy_with_its_settings_and_names_it_by_type():
    """A strategy spec runs with its own settings: every replication of this canary is
    the seeded run of the scenario carrying exactly that spec."""
    spec = {"type": "canary", "steps": [{"weight": 50, "bake": 120}], "gate": {"type": "none"}}
    table = ex.compare(quick("big_bang"), [spec, "big_bang"], 2, seed=4, workers=1)
    assert list(table.index) == ["canary", "big_bang"]
    runs = table.attrs["replications"].query("strategy == 'canary'")
    alone = quick(spec)
    for seed, duration in zip(runs["seed"], runs["rollout_duration_s"], strict=True):
        assert ds.simulate(alone, seed=int(seed)).summary["rollout_duration_s"] == duration


def test_compare_table_columns_means_rates_and_intervals():
    strategies = ["canary", "big_bang"]
    reps = 12
    table = ex.compare(quick(CANARY, duration=900, defect=FLAKY), strategies, reps, seed=3,
                       workers=1)  # fmt: skip
    runs = table.attrs["replications"]
    assert table.index.name == "strategy"
    assert list(table.index) == strategies
    assert len(runs) == reps * len(strategies)
    assert sorted(runs.columns[:2]) == ["replication", "strategy"]
    # Common random numbers: replication k of every strategy has the same seed and traffic.
    for column in ("seed", "requests"):
        wide = runs.pivot(index="replication", columns="strategy", values=column)
        assert (wide["canary"] == wide["big_bang"]).all(), column
    seeds = replication.replication_seeds(3, reps)
    assert list(runs.query("strategy == 'canary'")["seed"]) == seeds

    # Dotted numeric metrics get mean and interval; identifiers, strings and timings do not.
    for metric in ("latency_ms.p99", "latency_ms.mean", "cost_usd", "reached_full_traffic",
                   "time_to_detect_s", "cost_by_version.v2"):  # fmt: skip
        for suffix in ("_mean", "_ci_low", "_ci_high"):
            assert f"{metric}{suffix}" in table.columns
    for absent in ("seed", "replication", "outcome", "scenario", "strategy", *VOLATILE):
        for suffix in ("_mean", "_ci_low", "_ci_high"):
            assert f"{absent}{suffix}" not in table.columns

    # Booleans are rates; the flaky defect makes the canary's a true fraction.
    rates = table["reached_full_traffic_mean"]
    assert ((rates >= 0) & (rates <= 1)).all()
    canary_runs = runs[runs["strategy"] == "canary"]
    full = canary_runs["reached_full_traffic"].astype(bool)
    assert rates["canary"] == pytest.approx(full.mean(), abs=1e-12)
    assert 0 < rates["canary"] < 1  # the seed gives a mix (else this test proves less)
    assert rates["big_bang"] == 1.0

    # Every mean is the mean of the raw replications (NaN dropped), every interval scipy's.
    for name in strategies:
        raw = runs[runs["strategy"] == name]
        for metric in ("latency_ms.p99", "latency_ms.mean", "availability", "blast_radius",
                       "time_to_detect_s", "reached_full_traffic"):  # fmt: skip
            x = pd.to_numeric(raw[metric].astype(object), errors="coerce").astype(float).dropna()
            row = table.loc[name]
            assert row[f"{metric}_mean"] == pytest.approx(x.mean(), rel=1e-12, abs=1e-12)
            if len(x) >= 2 and x.std() > 0:
                low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
                assert row[f"{metric}_ci_low"] == pytest.approx(low, rel=1e-9)
                assert row[f"{metric}_ci_high"] == pytest.approx(high, rel=1e-9)
    # time_to_detect_s exists only where the gate fired: averaged over those runs only.
    detected = canary_runs["time_to_detect_s"].notna().sum()
    assert 0 < detected < reps


def test_paired_differences_are_narrower_than_unpaired_under_common_random_numbers():
    """Canary vs blue/green on latency_ms.mean, 12 replications, seed 4.

    Both see the same arrivals and service draws in replication k, so their latencies are
    strongly correlated (rho): the paired standard error is sqrt(2 (1 - rho)) sigma /
    sqrt(n) against sqrt(2) sigma / sqrt(n) unpaired; with t_11 = 2.20 against Welch's
    t_~22 = 2.07, the paired interval is narrower once rho > 0.12, which the common
    random numbers make certain (the sample correlation is checked too).
    """
    reps, metric = 12, "latency_ms.mean"
    table = ex.compare(quick(CANARY, duration=900), ["canary", "blue_green"], reps, seed=4,
                       workers=1)  # fmt: skip
    runs = table.attrs["replications"]
    diff = ex.differences(runs, baseline="blue_green")
    assert list(diff.index) == ["canary"]
    row = diff.loc["canary"]
    wide = runs.pivot(index="replication", columns="strategy", values=metric)
    a, b = wide["canary"].to_numpy(), wide["blue_green"].to_numpy()
    assert np.corrcoef(a, b)[0, 1] > 0.5

    # The paired mean is the difference of the means (and of the compare table's means).
    assert row[f"{metric}_diff_mean"] == pytest.approx(a.mean() - b.mean(), rel=1e-9)
    assert row[f"{metric}_diff_mean"] == pytest.approx(
        table.loc["canary", f"{metric}_mean"] - table.loc["blue_green", f"{metric}_mean"], 1e-9
    )
    # Independent oracles: scipy's paired t and Welch intervals on the same numbers.
    paired = stats.ttest_rel(a, b).confidence_interval(0.95)
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (row[f"{metric}_diff_ci_low"], row[f"{metric}_diff_ci_high"]) == pytest.approx(
        (paired.low, paired.high), rel=1e-9
    )
    assert (row[f"{metric}_unpaired_ci_low"], row[f"{metric}_unpaired_ci_high"]) == pytest.approx(
        (welch.low, welch.high), rel=1e-9
    )
    paired_width = row[f"{metric}_diff_ci_high"] - row[f"{metric}_diff_ci_low"]
    unpaired_width = row[f"{metric}_unpaired_ci_high"] - row[f"{metric}_unpaired_ci_low"]
    assert 0 < paired_width < unpaired_width


# ---------------------------------------------------------------- backends


def test_same_seed_same_table_serially_on_the_pool_and_on_dask():
    from dask.distributed import Client, LocalCluster

    sc = quick(CANARY, duration=900, defect=FLAKY)
    strategies, reps, seed = ["canary", "blue_green"], 4, 5
    total = reps * len(strategies)

    def run(**kw):
        calls = []
        table = ex.compare(sc, strategies, reps, seed, progress=lambda *c: calls.append(c), **kw)
        # Progress: (done, total), done counting up to the end, whatever the backend.
        assert calls == [(k, total) for k in range(1, total + 1)]
        return table

    serial = run(workers=1)
    pooled = run(workers=2)
    # The pool in a process with other threads (Streamlit, Jupyter) uses a fork server.
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait, daemon=True)
    helper.start()
    try:
        assert threading.active_count() > 1
        served = run(workers=2)
    finally:
        stop.set()
        helper.join()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,  # fmt: skip
        Client(cluster) as client,
    ):
        dask = run(scheduler=client)
    for other in (pooled, served, dask):
        pd.testing.assert_frame_equal(other, serial)
        pd.testing.assert_frame_equal(
            stable(other.attrs["replications"]), stable(serial.attrs["replications"])
        )


def test_progress_reports_done_and_total_ending_at_total():
    calls = []
    replication.replicate(quick(), 3, seed=1, workers=1, progress=lambda *c: calls.append(c))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    calls.clear()
    points = sweeps.grid_points({"fleet.instances": [1, 2]})
    sweeps.sweep(quick(), points, 2, seed=1, workers=1, progress=lambda *c: calls.append(c))
    assert calls == [(k, 4) for k in range(1, 5)]


def test_an_interrupted_pool_kills_its_running_workers_at_once():
    """Ctrl-C (here raised by the progress callback, as a stopped Streamlit run does) kills
    the workers mid-task: a 60 s task does not hold the caller, and none is left running."""
    workers = []

    def stop(done, total):
        workers.extend(multiprocessing.active_children())
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ProcessPool(2).map(time.sleep, [0, 60, 60], progress=stop)
    assert time.monotonic() - started < 30
    assert len(workers) >= 2 and not any(w.is_alive() for w in workers)


def closed_port() -> int:
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_or_malformed_scheduler_is_a_backend_error(monkeypatch):
    monkeypatch.setattr(backends, "CONNECT_TIMEOUT_S", 1.0)
    started = time.monotonic()
    with pytest.raises(BackendError, match="no Dask scheduler answered at .* within 1 s") as info:
        replication.replicate(quick(), 1, scheduler=f"tcp://127.0.0.1:{closed_port()}")
    assert time.monotonic() - started < 20  # distributed alone would retry for 30 s
    assert info.value.setting == "scheduler" and isinstance(info.value, ValueError)
    with pytest.raises(BackendError, match="'tcp://127.0.0.1' is not a scheduler address"):
        replication.replicate(quick(), 1, scheduler="tcp://127.0.0.1")


# ---------------------------------------------------------------- precision


def test_replicate_to_precision_reaches_the_target_with_the_sqrt_n_rule(monkeypatch):
    calls = []
    real = replication.replicate

    def spy(sc, n, seed=0, **kw):
        calls.append((n, kw.get("first", 0)))
        return real(sc, n, seed, **kw)

    monkeypatch.setattr(replication, "replicate", spy)
    sc, metric, rel, initial, maximum = quick(), "latency_ms.p99", 0.01, 4, 80
    frame = replication.replicate_to_precision(sc, metric, relative=rel, seed=9, initial=initial,
                                      maximum=maximum, workers=1)  # fmt: skip
    n = len(frame)
    assert list(frame["replication"]) == list(range(n))
    assert list(frame["seed"]) == replication.replication_seeds(9, n)
    # Batches continue the sequence: each starts where the previous ended.
    assert calls[0] == (initial, 0)
    starts = list(itertools.accumulate([0] + [count for count, _ in calls[:-1]]))
    assert [first for _, first in calls] == starts
    # The recorded precision is the frame's, recomputed with scipy.
    x = frame[metric].to_numpy(dtype=float)
    low, high = stats.t.interval(0.95, n - 1, loc=x.mean(), scale=stats.sem(x))
    p = frame.attrs["precision"]
    assert p["metric"] == metric
    assert p["mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert p["half_width"] == pytest.approx((high - low) / 2, rel=1e-9)
    assert p["relative"] == pytest.approx((high - low) / 2 / x.mean(), rel=1e-9)
    assert p["relative"] <= rel or n == maximum
    assert n > initial  # 1% of a p99 takes more than 4 runs (else this proves nothing)
    # The second batch is the 1/sqrt(n) law's estimate from the first: n0 (h0 / target)^2.
    x0 = x[:initial]
    h0 = stats.t.ppf(0.975, initial - 1) * x0.std(ddof=1) / math.sqrt(initial)
    wanted = math.ceil(initial * (h0 / (rel * x0.mean())) ** 2)
    assert calls[1][0] == min(maximum, max(initial + 1, wanted)) - initial


def test_replicate_to_precision_stops_at_the_maximum():
    frame = replication.replicate_to_precision(quick(), "latency_ms.mean", relative=1e-6, seed=2,
                                      initial=3, maximum=7, workers=1)  # fmt: skip
    assert len(frame) == 7
    assert frame.attrs["precision"]["relative"] > 1e-6


# ---------------------------------------------------------------- sweeps


def test_set_path_on_nested_dicts_and_lists_copies():
    data = ds.load_scenario(quick(CANARY)).to_dict()
    out = sweeps.set_path(data, "strategy.steps.1.weight", 40)
    assert out["strategy"]["steps"][1]["weight"] == 40
    assert out["strategy"]["steps"][0] == data["strategy"]["steps"][0]
    assert data["strategy"]["steps"][1]["weight"] == 50  # the input is untouched
    out = sweeps.set_path(data, "fleet.service_time.mean", 0.1)
    assert out["fleet"]["service_time"] == data["fleet"]["service_time"] | {"mean": 0.1}
    out = sweeps.set_path(data, "strategy.steps.0", {"weight": 5, "bake": 30})
    assert ds.load_scenario(out).strategy.steps[0].weight == 5


@pytest.mark.parametrize(
    ("point", "named"),
    [
        ({"fleet.instances": 0}, ["fleet.instances"]),
        ({"strategy.steps.0.weight": 500}, ["strategy.steps.0.weight"]),
        ({"fleet.instancez": 3}, ["fleet", "instancez"]),
        ({"strategy.steps.5.weight": 20}, ["strategy.steps.5.weight"]),
        ({"strategy.steps.first.weight": 20}, ["strategy.steps.first.weight"]),
        ({"strategy.steps.2": {"weight": 20}}, ["strategy.steps.2"]),
        ({"fleet.instances.count": 3}, ["fleet.instances.count"]),
    ],
)
def test_sweep_rejects_a_bad_path_or_value_naming_it_before_running(point, named):
    calls = []
    good = {"fleet.instances": 3}
    with pytest.raises(ValueError) as err:  # ScenarioError is a ValueError
        sweeps.sweep(quick(CANARY), [good, point], 2, workers=1,
                 progress=lambda *c: calls.append(c))  # fmt: skip
    for name in named:
        assert name in str(err.value)
    assert calls == []  # nothing ran, not even the good point


def test_grid_points_is_the_full_product():
    grid = {"fleet.instances": [1, 2, 3], "traffic.rate": [10, 20], "strategy.type": ["a", "b"]}
    points = sweeps.grid_points(grid)
    assert len(points) == 3 * 2 * 2
    combos = {tuple(p[k] for k in grid) for p in points}
    assert combos == set(itertools.product(*grid.values()))
    assert all(set(p) == set(grid) for p in points)
    assert sweeps.grid_points({}) == [{}]


def test_random_points_reproducible_and_within_bounds():
    space = {"fleet.instances": (1, 4), "traffic.rate": (10.0, 30.0),
             "strategy.type": ["canary", "blue_green", "linear"]}  # fmt: skip
    points = sweeps.random_points(space, 400, seed=6)
    assert points == sweeps.random_points(space, 400, seed=6)
    assert points != sweeps.random_points(space, 400, seed=7)
    counts = {}
    for p in points:
        assert isinstance(p["fleet.instances"], int) and 1 <= p["fleet.instances"] <= 4
        assert isinstance(p["traffic.rate"], float) and 10.0 <= p["traffic.rate"] <= 30.0
        assert p["strategy.type"] in space["strategy.type"]
        counts[p["fleet.instances"]] = counts.get(p["fleet.instances"], 0) + 1
    assert set(counts) == {1, 2, 3, 4}
    assert {p["strategy.type"] for p in points} == set(space["strategy.type"])
    rates = np.array([p["traffic.rate"] for p in points])
    # Uniform on [10, 30]: mean 20, sd 20/sqrt(12) = 5.77, so the mean of 400 has sd 0.29.
    assert abs(rates.mean() - 20) < 5 * 0.29


def test_random_points_integer_range_is_uniform_over_its_integers():
    """'(low, high) is sampled uniformly': for integers each of low..high equally likely.

    4000 draws over 1..4: each count is Binomial(4000, 1/4), mean 1000, sd 27.4; the
    tolerance is 5 sd. Rounding a continuous uniform would give the two ends half as much
    (about 667 each), 12 sd away.
    """
    points = sweeps.random_points({"fleet.instances": (1, 4)}, 4000, seed=11)
    counts = np.bincount([p["fleet.instances"] for p in points], minlength=5)[1:]
    sd = math.sqrt(4000 * 0.25 * 0.75)
    assert np.all(np.abs(counts - 1000) < 5 * sd), counts


def test_sweep_tidy_frame_reflects_the_parameter_and_aggregate_has_a_row_per_point():
    rate, duration, reps = 20, 600, 5
    instances = [1, 2, 3]
    sc = quick(rate=rate, duration=duration)
    tidy = sweeps.sweep(sc, sweeps.grid_points({"fleet.instances": instances}), reps, seed=12,
                    workers=1)  # fmt: skip
    assert len(tidy) == len(instances) * reps
    assert {"fleet.instances", "point", "replication"} <= set(tidy.columns)
    assert sorted(zip(tidy["point"], tidy["replication"], strict=True)) == [
        (p, k) for p in range(len(instances)) for k in range(reps)
    ]
    for p, count in enumerate(instances):
        rows = tidy[tidy["point"] == p]
        assert (rows["fleet.instances"] == count).all()
        # Common random numbers across points: replication k has seed k at every point.
        assert list(rows["seed"]) == replication.replication_seeds(12, reps)
        # The parameter reached the run: no rollout, so cost = instances x price x duration.
        assert rows["cost_usd"].to_numpy() == pytest.approx(count * PRICE * duration / 3600)

    agg = sweeps.aggregate(tidy, ["fleet.instances"])
    assert len(agg) == len(instances)
    assert list(agg.index.get_level_values("fleet.instances")) == instances
    means = agg["latency_ms.mean_mean"].to_numpy()
    expected = tidy.groupby("fleet.instances")["latency_ms.mean"].mean().to_numpy()
    assert means == pytest.approx(expected, rel=1e-12)
    # More instances, lower latency. Theory (random routing: each instance an M/M/2 at
    # rate/instances) gives 66.7, 53.3 and 51.4 ms; each step down must be at least half
    # the theoretical one (the smallest, 1.9 ms, against a mean-of-5 noise of ~0.3 ms,
    # smaller still paired), and each mean within 4% of theory (about 8 sd).
    theory = [erlang_c_latency_ms(rate, c) for c in instances]
    for i in range(len(instances) - 1):
        assert means[i] - means[i + 1] > 0.5 * (theory[i] - theory[i + 1])
    assert means == pytest.approx(theory, rel=0.04)


def test_warmup_is_detected_on_pilot_seeds_and_its_effect_is_shown():
    """MSER-5 from pilots that are not the measured replications; the effect table runs
    both warm-ups on the same seeds, so only the truncation differs between its rows."""
    sc = {"name": "mm1", "duration": 3000,
          "traffic": {"pattern": "poisson", "rate": 8},
          "fleet": {"instances": 1, "workers_per_instance": 1,
                    "service_time": {"distribution": "exponential", "mean": 0.1}},
          "monitoring": {"period": 20}}  # fmt: skip
    detected = ex.detect_warmup(sc, seed=4)
    assert detected == ex.detect_warmup(sc, seed=4)  # reproducible
    assert 0 <= detected < sc["duration"] / 2 and detected % 20 == 0
    effect = ex.warmup_effect(sc, replications=3, seed=4, workers=1)
    assert effect.loc["scenario", "warmup_s"] == 0.0
    assert effect.loc["mser5", "warmup_s"] == detected
    same = replication.replicate(sc | {"warmup": detected}, 3, 4, workers=1)
    assert effect.loc["mser5", "wait_ms.mean_mean"] == pytest.approx(same["wait_ms.mean"].mean())


def test_a_cancelled_experiment_ends_at_the_first_result():
    """A progress callback that raises (as a stopped Streamlit run or Ctrl-C does) ends the
    experiment at the first finished replication: the exception comes through, no table
    is returned, and the pool's queued replications are cancelled, not awaited."""
    sc = {"name": "t", "duration": 120, "traffic": {"pattern": "poisson", "rate": 10}}
    seen = []

    def stop(done, total):
        seen.append(done)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replication.replicate(sc, 40, seed=1, workers=2, progress=stop)
    assert seen == [1]


# ---------------------------------------------------------------- run budget


def test_each_distinct_arm_is_checked_once_before_anything_runs(monkeypatch):
    checked, ran = [], []
    check = engine_budget.check
    monkeypatch.setattr(engine_budget, "check", lambda sc: checked.append(sc.strategy.type)
                        or check(sc))  # fmt: skip
    runs = ex.compare_runs(quick(), ["big_bang", "canary", "big_bang"], 3, 1, workers=1,
                           progress=lambda done, total: ran.append(len(checked)))  # fmt: skip
    assert sorted(checked) == ["big_bang", "canary"]  # once each, not once a replication
    assert ran and set(ran) == {2}  # both checked before the first replication ended
    assert len(runs) == 9


def test_a_sweep_point_over_the_budget_is_refused_before_any_replication(monkeypatch):
    calls = []
    monkeypatch.setattr(engine_budget, "MAX_REQUESTS", 20 * 700)  # 20 req/s x 700 s
    points = [{"duration": 600}, {"duration": 900}]
    with pytest.raises(replication.BudgetError) as err:
        sweeps.sweep(quick(), points, 2, workers=1, progress=lambda *c: calls.append(c))
    assert "sweep point 'duration=900'" in str(err.value) and "traffic.rate" in str(err.value)
    assert calls == []  # not even the point within the budget ran
    frame = sweeps.sweep(quick(), points, 2, workers=1, force=True)
    assert sorted(set(frame["duration"])) == [600, 900]
    assert (frame.groupby("duration")["requests"].mean().diff().dropna() > 0).all()


def test_force_goes_through_every_experiment(monkeypatch):
    monkeypatch.setattr(engine_budget, "MAX_REQUESTS", 1000)
    with pytest.raises(replication.BudgetError, match="strategy canary: "):
        ex.compare(quick(), ["canary"], 2, workers=1)
    with pytest.raises(replication.BudgetError, match="traffic.rate"):
        replication.replicate(quick(), 2, workers=1)
    with pytest.raises(replication.BudgetError):
        replication.replicate_to_precision(quick(), "latency_ms.mean", initial=2, workers=1)
    forced = replication.replicate(quick(), 2, seed=3, workers=1, force=True)
    assert list(forced.drop(columns=VOLATILE).iloc[0]) == list(
        replication.replicate(quick(), 1, seed=3, workers=1, force=True)
        .drop(columns=VOLATILE)
        .iloc[0]
    )
    assert ex.compare(quick(), ["canary"], 2, workers=1, force=True).shape[0] == 1
