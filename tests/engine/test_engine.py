"""Engine behaviour: exact control logs, invariants, and theory on plain queues."""

import gc
import math
import subprocess
import sys
import tracemalloc
import weakref

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator as ds
from simulator import catalog
from simulator.engine import simulation as engine
from simulator.engine.recording import histogram
from simulator.engine.recording import recorder as monitoring
from simulator.engine.recording.alarms import ALARM, OK, AlarmState
from simulator.scenario.monitoring import Alarm
from simulator.scenario.strategies import STRATEGY_TYPES
from simulator.validation import theory
from tests import builders


def steady_summary(res):
    return {k: v for k, v in res.summary.items() if k not in ("wall_s", "requests_per_s")}


def conserved(s):
    return s["requests"] == (
        s["completed"] + s["errors"] + s["rejected"] + s["timed_out"] + s["in_flight"]
    )


# ---------------------------------------------------------------- invariants

scenarios = st.fixed_dictionaries(
    {
        "rate": st.floats(1, 80),
        "workers": st.integers(1, 4),
        "instances": st.integers(1, 4),
        "queue": st.one_of(st.none(), st.integers(0, 5)),
        "timeout": st.sampled_from([0.3, 60.0]),
        "routing": st.sampled_from(["random", "least_outstanding"]),
        "mtbf": st.one_of(st.none(), st.floats(30, 300)),
        "strategy": st.sampled_from(STRATEGY_TYPES),
        "defect": st.floats(0, 0.5),
    }
)


def build(p):
    fleet = {"queue_capacity": p["queue"], "timeout": p["timeout"], "routing": p["routing"],
             "provisioning": 20}  # fmt: skip
    sc = builders.plain_queue(p["rate"], p["workers"], p["instances"], duration=300, fleet=fleet)
    if p["mtbf"]:
        sc["failures"] = {"instance": {"mtbf": p["mtbf"], "mttr": 15}}
    if p["strategy"] != "none":
        sc["release"] = {"defect": {"error_rate": p["defect"]}}
        sc["strategy"] = {"type": p["strategy"], "start": 100} | SHORT.get(p["strategy"], {})
    return sc


# Strategy settings that play a whole release out within the 300 s runs above.
SHORT = {
    "big_bang": {"bake": 60},
    "phased": {"bake": 30},
    "parallel": {"duration": 60, "bake": 30},
    "rolling": {"bake": 20},
    "canary": {"steps": [{"weight": 20, "bake": 60}]},
    "ab_test": {"interval": 60, "max_duration": 120},
    "blue_green": {"wait_interval": 30},
    "linear": {"wait_interval": 20},
    "shadow": {"duration": 60, "bake": 30},
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios, st.integers(0, 2**16))
def test_every_request_has_exactly_one_outcome(p, seed):
    s = ds.simulate(build(p), seed=seed).summary
    assert conserved(s), s


@settings(max_examples=8, deadline=None)
@given(scenarios, st.integers(0, 2**16))
def test_same_seed_same_summary(p, seed):
    a = ds.simulate(build(p), seed=seed)
    b = ds.simulate(build(p), seed=seed)
    assert steady_summary(a) == steady_summary(b)
    assert a.metrics.equals(b.metrics)


@settings(max_examples=15, deadline=None)
@given(st.floats(2, 9), st.integers(1, 3), st.integers(0, 2**16))
def test_another_worker_never_makes_a_wait_longer(rate, workers, seed):
    """Common random numbers: same arrivals and service draws, FCFS; the
    Kiefer-Wolfowitz recursion is monotone in the number of servers, request by request."""
    logs = []
    for c in (workers, workers + 1):
        sc = builders.plain_queue(rate * workers, c, duration=300)
        sc["monitoring"] = {"request_log": 1.0}
        logs.append(ds.simulate(sc, seed=seed).requests)
    fewer, more = (log.set_index("arrival")["wait"] for log in logs)
    both = fewer.index.intersection(more.index)  # requests still in flight at the end differ
    assert len(both) >= 0.95 * len(fewer)
    assert np.all(more[both].to_numpy() <= fewer[both].to_numpy() + 1e-9)


def test_span_boundaries_do_not_change_the_result():
    """The monitoring period sets where spans are cut; results must not depend on it."""
    sc = builders.plain_queue(30, workers=3, duration=1200)
    a = ds.simulate(sc | {"monitoring": {"period": 60, "request_log": 1.0}}, seed=4).requests
    b = ds.simulate(sc | {"monitoring": {"period": 7, "request_log": 1.0}}, seed=4).requests
    np.testing.assert_allclose(a["wait"], b["wait"], rtol=0, atol=1e-9)


# ---------------------------------------------------------------- theory


def test_mm2_mean_wait_matches_erlang_c():
    """M/M/2 at rho 0.8, 10 replications of ~60k requests: theory inside the 99.9%
    t-interval of the replication means (a real bias of a few % would fail it)."""
    lam, mu, c = 16.0, 10.0, 2
    sc = builders.plain_queue(lam, c, duration=4000, warmup=200)
    waits = [ds.simulate(sc, seed=s).summary["wait_ms"]["mean"] / 1e3 for s in range(10)]
    mean, se = np.mean(waits), np.std(waits, ddof=1) / math.sqrt(10)
    assert abs(mean - theory.mmc_mean_wait(lam, mu, c)) <= 4.78 * se  # t(0.9995, 9)
    assert se < 0.05 * mean  # the interval is tight enough to mean something


def test_loss_system_blocking_matches_erlang_b():
    """queue_capacity 0 with 3 workers and offered load 2.5: blocking vs Erlang B.
    ~200k requests; binomial SE ~ 0.0009; tolerance 5 SE."""
    sc = builders.plain_queue(25, 3, duration=8000, fleet={"queue_capacity": 0})
    res = ds.simulate(sc, seed=3).summary
    p = res["rejected"] / res["requests"]
    expected = theory.erlang_b(3, 2.5)
    assert abs(p - expected) <= 5 * math.sqrt(expected * (1 - expected) / res["requests"])


def test_timeouts_count_requests_slower_than_the_deadline():
    sc = builders.plain_queue(2, 1, duration=600, fleet={"timeout": 0.5})
    sc["fleet"]["service_time"] = {"distribution": "deterministic", "value": 1.0}
    s = ds.simulate(sc, seed=1).summary
    assert s["completed"] == 0 and s["timed_out"] > 0 and conserved(s)


def test_littles_law_holds_on_a_plain_queue():
    sc = builders.plain_queue(30, 4, duration=20000, monitoring={"period": 5})
    assert ds.simulate(sc, seed=2).summary["littles_law_gap"] < 0.03


# ---------------------------------------------------------------- control logs


def release_scenario(strategy):
    # no gate and no bake: the engine's own moves, exactly (gates have tests of their own)
    strategy = {"type": "big_bang", "start": 300, "gate": {"type": "none"}, "bake": 0} | strategy
    return builders.plain_queue(20, 2, instances=2, duration=1800, fleet={"provisioning": 120},
                                release={}, strategy=strategy)  # fmt: skip


def test_big_bang_without_overlap_has_downtime_for_the_provisioning_time():
    res = ds.simulate(release_scenario({}), seed=1)
    log = [(t, kind) for t, kind, *_ in res.events.itertuples(index=False)]
    assert log == [(300.0, "UpdateEndpoint"), (300.0, "UpdateEndpointWeightsAndCapacities"),
                   (300.0, "TerminateInstances"), (300.0, "LaunchInstances"),
                   (420.0, "UpdateComplete")]  # fmt: skip
    s = res.summary
    assert s["outcome"] == "promoted" and s["rollout_duration_s"] == 120.0
    assert s["downtime_s"] == pytest.approx(120.0)
    assert s["unavailable"] > 0 and conserved(s)
    # every unavailable request was sent to the release: it is in the blast radius
    assert s["blast_radius"] >= s["unavailable"]


def test_big_bang_with_overlap_has_no_downtime():
    res = ds.simulate(release_scenario({"overlap": True}), seed=1)
    log = [(t, kind) for t, kind, *_ in res.events.itertuples(index=False)]
    assert log == [(300.0, "UpdateEndpoint"), (300.0, "LaunchInstances"),
                   (420.0, "UpdateEndpointWeightsAndCapacities"), (420.0, "TerminateInstances"),
                   (420.0, "UpdateComplete")]  # fmt: skip
    s = res.summary
    assert s["downtime_s"] == 0.0 and s["unavailable"] == 0
    # both fleets are billed during the overlap: 4 instances for 120 s, 2 otherwise
    price = catalog.target_info("ml.c5.xlarge")["price_per_hour"]
    assert s["cost_usd"] == pytest.approx(price * (2 * 1800 + 2 * 120) / 3600)
    assert res.metrics["cost_usd"].sum() == pytest.approx(s["cost_usd"])
    versions = set(res.metrics.loc[res.metrics["Invocations"] > 0, "version"])
    assert versions == {"v1", "v2"}


def test_fixed_mtbf_crashes_at_exact_times_and_fails_in_flight_requests():
    sc = builders.plain_queue(40, 4, duration=1000)
    sc["failures"] = {"instance": {"mtbf": 300, "mttr": 60, "distribution": "fixed"}}
    res = ds.simulate(sc, seed=5)
    crashes = res.events[res.events["kind"] == "InstanceFailure"]["time"].tolist()
    back = res.events[res.events["kind"] == "InstanceInService"]["time"].tolist()
    assert crashes == [300.0, 660.0] and back == [360.0, 720.0]
    s = res.summary
    assert s["failed_in_flight"] > 0 and s["unavailable"] > 0
    assert s["downtime_s"] == pytest.approx(120.0)


def test_zone_outage_takes_the_fraction_of_instances_down():
    sc = builders.plain_queue(20, 1, instances=4, duration=600)
    sc["failures"] = {"zone_outages": [{"at": 100, "duration": 200, "fraction": 0.5}]}
    res = ds.simulate(sc, seed=2)
    down = res.events[res.events["kind"] == "InstanceFailure"]
    assert len(down) == 2 and set(down["time"]) == {100.0}
    m = res.metrics.set_index("period")["instances"]
    assert m.loc[2] == pytest.approx(2.0) and m.loc[8] == pytest.approx(4.0)


def test_target_tracking_scales_out_after_three_breaching_minutes():
    sc = builders.plain_queue(5, 1, instances=1, duration=1800, fleet={"provisioning": 60})
    sc["fleet"]["service_time"] = {"distribution": "exponential", "mean": 0.02}
    sc["traffic"] = {"pattern": "bursty", "rate": 5,
                     "bursts": [{"at": 600, "duration": 1200, "multiplier": 4}]}  # fmt: skip
    sc["autoscaling"] = {"target": 600, "min": 1, "max": 4}
    res = ds.simulate(sc, seed=1)
    outs = res.events[res.events["kind"] == "ScaleOut"]
    # 1200/min per instance from minute 10: breaching datapoints at 660, 720, 780 s
    assert outs["time"].iloc[0] == 780.0
    assert outs["variant"].iloc[0] == "v1" and outs["count"].iloc[0] == 2  # 1 -> 2 instances
    m = res.metrics.set_index("period")["instances"]
    assert m.loc[12] == pytest.approx(1.0) and m.loc[15] == pytest.approx(2.0)


# ---------------------------------------------------------------- alarms


def alarm(n, m, missing="missing"):
    return AlarmState(Alarm(name="a", metric="error_rate", threshold=0.1, evaluation_periods=n,
                            datapoints_to_alarm=m, treat_missing_data=missing))  # fmt: skip


def test_alarm_needs_m_of_the_last_n_datapoints():
    a = alarm(3, 2)
    changes = [a.observe(x) for x in (0.2, 0.0, 0.0, 0.2, 0.0, 0.2, 0.0, 0.0)]
    assert changes == [OK, None, None, None, None, ALARM, OK, None]


def test_alarm_missing_data_policies():
    assert [alarm(2, 2).observe(x) for x in (None,)] == [None]
    a = alarm(2, 2, "breaching")
    assert [a.observe(x) for x in (0.2, None)] == [OK, ALARM]
    b = alarm(2, 2, "notBreaching")
    assert [b.observe(x) for x in (0.2, None, 0.2)] == [OK, None, None]


def test_overhead_latency_is_reported_and_added_to_latency_but_not_to_busy_time():
    sc = builders.plain_queue(5, 1, duration=600, fleet={"overhead": "20ms"})
    sc["fleet"]["service_time"] = {"distribution": "deterministic", "value": 0.01}
    res = ds.simulate(sc, seed=1)
    m = res.metrics[res.metrics["Invocations"] > 0]
    assert (m["OverheadLatency"] == 20_000).all()
    assert res.summary["latency_ms"]["mean"] >= 30.0 - 1e-6
    # busy time is the 10 ms service only: utilisation ~ 5/s x 10 ms = 5%
    assert m["CPUUtilization"].mean() == pytest.approx(5.0, rel=0.15)


def test_utilisation_splits_long_requests_across_periods():
    """A 90 s request in 60 s periods is busy in both: no period shows more than 100%,
    and each period's busy time equals the overlap of the logged requests with it."""
    sc = {"name": "u", "duration": 1200,
          "traffic": {"pattern": "poisson", "rate": 0.05},
          "fleet": {"instances": 1, "workers_per_instance": 1,
                    "service_time": {"distribution": "deterministic", "value": 90}},
          "monitoring": {"period": 60, "request_log": 1.0}}  # fmt: skip
    res = ds.simulate(sc, seed=3)
    log = res.requests
    busy = res.metrics["CPUUtilization"].to_numpy() * 60 / 100
    edges = np.arange(0, 1260, 60.0)
    expected = [
        np.clip(np.minimum(log["end"], b) - np.maximum(log["start"], a), 0, None).sum()
        for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]
    assert len(log) > 5 and (log["end"] - log["start"]).min() == pytest.approx(90)
    assert np.allclose(np.nan_to_num(busy), expected)
    assert np.nanmax(res.metrics["CPUUtilization"]) <= 100 + 1e-9


# ---------------------------------------------------------------- memory


@pytest.mark.parametrize("users", [2000, 10**10])
def test_users_affected_counts_each_hurt_user_once(users, monkeypatch):
    """Against the request log: distinct users of release requests that failed (not
    rejected) or were served slower than the SLO. 2000 users repeat (de-duplication
    after every 16 ids here); 1e10 never do, and must not cost memory per user."""
    monkeypatch.setattr(monitoring, "_HURT_SLACK", 16)
    sc = builders.plain_queue(40, 2, instances=2, duration=900)
    sc["traffic"]["users"] = users
    sc["release"] = {"defect": {"error_rate": 0.2, "latency_factor": 2.0}}
    sc["strategy"] = {"type": "big_bang", "start": 300, "bake": 0, "gate": {"type": "none"}}
    sc["slo"] = {"latency_p99": "150ms"}
    sc["monitoring"] = {"request_log": 1.0}
    tracemalloc.start()
    try:
        res = ds.simulate(sc, seed=6)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    log = res.requests
    slow = (log["latency"] > 0.15) & log["start"].notna()
    failed = ~log["outcome"].isin(["ok", "rejected"])
    hurt = log[(log["version"] == "v2") & (slow | failed)]
    assert res.summary["users_affected"] == hurt["user"].nunique()
    assert hurt["user"].nunique() > 100
    if users == 2000:
        assert hurt["user"].nunique() < len(hurt)  # users were hurt more than once
    assert peak < 100 * 2**20  # a bool per user would be 10 GB


def test_a_flash_crowd_is_served_a_bounded_span_at_a_time():
    """A x10,000 burst brings a million requests within 10 s; the data plane cuts them
    into sub-spans of at most dataplane._SPAN_MOST (60 MB of arrays at ~300 bytes a
    request), where serving the burst at once took 300 MB."""
    sc = builders.plain_queue(10, 4, instances=50, duration=200)
    sc["fleet"]["service_time"] = {"distribution": "exponential", "mean": 0.001}
    sc["traffic"] = {"pattern": "bursty", "rate": 10, "users": 1000,
                     "bursts": [{"at": 50, "duration": 10, "multiplier": 10_000}]}  # fmt: skip
    tracemalloc.start()
    try:
        s = ds.simulate(sc, seed=1).summary
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert abs(s["requests"] - 1_001_900) <= 5 * math.sqrt(1_001_900) and conserved(s)
    assert peak < 120 * 2**20


def test_a_simulation_is_freed_when_simulate_returns(monkeypatch):
    """With the garbage collector off, nothing may keep a finished run alive: not the
    processes still suspended at the end (crashes, outages, gates, deadlines), not the
    Control, not the result."""
    runs = []
    run = engine.Simulation.run

    def watched(sim):
        runs.append((weakref.ref(sim), weakref.ref(sim.records), weakref.ref(sim.plane)))
        return run(sim)

    monkeypatch.setattr(engine.Simulation, "run", watched)
    results = []
    gc.disable()
    try:
        for strategy in STRATEGY_TYPES:
            p = {"rate": 20, "workers": 2, "instances": 3, "queue": None, "timeout": 60.0,
                 "routing": "random", "mtbf": 120.0, "strategy": strategy, "defect": 0.1}
            sc = build(p)
            sc["failures"]["zone_outages"] = [{"at": 250, "duration": 600, "fraction": 0.5}]
            results.append(ds.simulate(sc, seed=3))  # fmt: skip
        alive = [i for i, refs in enumerate(runs) if any(r() is not None for r in refs)]
    finally:
        gc.enable()
    assert len(runs) == len(STRATEGY_TYPES) and alive == []
    assert all(r.summary["requests"] > 0 for r in results)  # the results themselves live on


FIFTY_RUNS = """
import resource
import simulator as ds
sc = {"name": "fifty", "duration": 2000, "traffic": {"pattern": "poisson", "rate": 20},
      "release": {}, "strategy": {"type": "canary"}, "monitoring": {"period": 2}}
ds.simulate(sc, seed=0)
one = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for seed in range(1, 50):
    ds.simulate(sc, seed=seed)
print(one, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_fifty_runs_in_one_process_peak_as_high_as_one():
    """Each run holds 1000 periods x 2 versions of 20 KiB histograms (42 MB): a process
    keeping finished runs until a full collection grew by 550 MB over 50 runs. The
    allocator and pandas settle within the first runs (about 15 MB here); the margin,
    25 MB, is less than one run kept alive."""
    out = subprocess.run([sys.executable, "-c", FIFTY_RUNS], capture_output=True, text=True,
                         check=True, timeout=120)  # fmt: skip
    one, fifty = (int(x) / 1024 for x in out.stdout.split())
    assert fifty <= one + 25, (one, fifty)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300), st.integers(0, 2**32 - 1), st.floats(0.0, 1.0),
       st.integers(0, 2500))
def test_quantiles_of_many_rows_equal_the_quantile_of_each(rows, seed, empty, first):
    """histogram.quantiles (rows a block at a time) is the bin middle found row by row,
    and reads the same from the columns of a kept range starting at bin `first`."""

    def one_row(h, q):  # the definition: the first bin whose cumulative count reaches q x total
        if h.sum() == 0:
            return math.nan
        b = int(np.searchsorted(np.cumsum(h), q * h.sum(), side="left"))
        return 0.0 if b == 0 else 1e-6 * 1.01 ** (b - 0.5)

    rng = np.random.default_rng(seed)
    hist = rng.poisson(rng.exponential(2.0, histogram.BINS), (rows, histogram.BINS))
    hist[rng.random(rows) < empty] = 0  # periods without a request
    hist[:, :first] = 0  # nothing below the kept range
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(histogram, "ROWS", 7)  # several blocks, the last one short
        got = histogram.quantiles(hist, (0.5, 0.99))
        kept = histogram.quantiles(hist[:, first:].astype(np.int32), (0.5, 0.99), first)
    np.testing.assert_array_equal(kept, got)
    for i, q in enumerate((0.5, 0.99)):
        np.testing.assert_allclose(got[i], [one_row(h, q) for h in hist], rtol=1e-12)
        assert histogram.quantile(hist[0], q) == got[i][0] or math.isnan(got[i][0])
