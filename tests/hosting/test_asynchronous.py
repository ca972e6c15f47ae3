"""Asynchronous endpoints: one queue for the fleet (Erlang C), scale to zero, waking, expiry.

The exact event-log tests use traces of per-minute counts small enough that the backlog
never reaches the scaling target unless the test means it to, so every scaling time is
arithmetic on the scaling rules. The one statistical test (the M/M/c wait) states its
sample and tolerance where it is.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import simulator as ds
from simulator import catalog
from simulator.hosting.asynchronous import SCALE_IN_RATIO
from simulator.validation.theory import mmc_mean_wait
from tests.builders import scenario

PRICE = catalog.target_info("ml.m5.large")["price_per_hour"]
START_UP = catalog.target_info("ml.m5.large")["provisioning"]["scale_out_s"]


def endpoint(tmp_path, minutes: list[int], **hosting):
    """An async endpoint on one ml.m5.large fed a per-minute count trace."""
    trace = tmp_path / "counts.csv"
    trace.write_text("minute,requests\n" + "".join(f"{i},{c}\n" for i, c in enumerate(minutes)))
    return scenario(
        duration=len(minutes) * 60,
        traffic={"pattern": "trace", "path": str(trace), "kind": "counts", "column": "requests"},
        fleet={"target": "ml.m5.large", "model": "xgboost", "instances": 1},
        hosting={"kind": "async", **hosting},
    )


def test_a_fixed_fleet_waits_as_erlang_c_says(tmp_path):
    # 3 instances x 4 slots = M/M/12 at rho = 0.85. 10 replications of 4,000 s
    # (about 41,000 requests each, warm-up 500 s dropped): the replication means are
    # independent, so the grand mean is tested against 4 of their standard errors.
    lam, mean, c = 10.2, 1.0, 12
    sc = scenario(duration=4500, warmup=500, traffic={"rate": lam},
                  fleet={"instances": 3, "service_time": {"distribution": "exponential",
                                                          "mean": mean}},
                  hosting={"kind": "async", "max_concurrent_invocations_per_instance": 4,
                           "min_instances": 3, "max_instances": 3})  # fmt: skip
    waits = [ds.simulate(sc, seed=s).summary["wait_ms"]["mean"] / 1000 for s in range(10)]
    expected = mmc_mean_wait(lam, 1 / mean, c)
    se = np.std(waits, ddof=1) / math.sqrt(len(waits))
    assert abs(np.mean(waits) - expected) < 4 * se, (np.mean(waits), expected, se)


def test_an_idle_endpoint_scales_to_zero_and_stops_paying(tmp_path):
    # one request a second for 10 minutes, then 50 quiet ones: the backlog (at most a
    # request or two) is under 90% of the target from the first period, so after 15
    # periods target tracking sets the fleet to ceil(0 / 5) = 0.
    sc = endpoint(tmp_path, [60] * 10 + [0] * 50)
    res = ds.simulate(sc, seed=1)
    m = res.metrics
    low = m["ApproximateBacklogSizePerInstance"] < SCALE_IN_RATIO * 5.0
    streak_end = next(i for i in range(15, len(m) + 1) if low.iloc[i - 15 : i].all())
    scale_in_at = streak_end * 60.0
    assert scale_in_at == 900.0
    events = res.events[res.events["kind"] == "ScaleIn"]
    assert events["time"].tolist() == [scale_in_at] and events["count"].tolist() == [0]
    s = res.summary
    assert s["zero_instance_s"] == pytest.approx(3600 - scale_in_at)
    assert s["cost_usd"] == pytest.approx(PRICE * (3600 - s["zero_instance_s"]) / 3600)
    assert s["completed"] == s["requests"] == 600


@pytest.mark.parametrize("policy,wake_at,count", [(True, 61 * 60, 1), (False, 63 * 60, 4)])
def test_the_first_request_after_zero_wakes_the_fleet_after_one_period_or_after_three(
    tmp_path, policy, wake_at, count
):
    # asleep since 900 s; 30 requests arrive in minute 61. HasBacklogWithoutCapacity
    # fires at that period's end and adds one instance; without it the backlog (30 > 5)
    # must breach three periods running, and target tracking then asks for
    # ceil(30 / 5) = 6 instances, capped at max_instances (4). The requests wait for
    # the start-up either way.
    sc = endpoint(tmp_path, [60] * 10 + [0] * 50 + [30] + [0] * 19, scale_from_zero=policy)
    res = ds.simulate(sc, seed=2)
    outs = res.events[res.events["kind"] == "ScaleOut"]
    assert outs["time"].tolist() == [wake_at] and outs["count"].tolist() == [count]
    assert res.summary["completed"] == 630
    slowest = res.summary["latency_ms"]["p99"] / 1000
    assert wake_at + START_UP - 61 * 60 - 60 <= slowest <= wake_at + START_UP - 60 * 60


def test_requests_nobody_serves_expire_after_their_ttl(tmp_path):
    sc = endpoint(tmp_path, [5] * 3 + [0] * 7, initial_instances=0, scale_from_zero=False,
                  target_backlog_per_instance=100, request_ttl=60)  # fmt: skip
    s = ds.simulate(sc, seed=1).summary
    assert s["expired"] == s["requests"] == 15 and s["completed"] == 0
    assert s["cost_usd"] == 0 and s["zero_instance_s"] == 600


def test_drain_plays_on_after_the_traffic_and_keeps_billing_until_scale_in(tmp_path):
    sc = endpoint(tmp_path, [60] * 5, drain=1800)
    s = ds.simulate(sc, seed=1).summary
    assert s["cost_usd"] == pytest.approx(PRICE * 900 / 3600)
    assert s["zero_instance_s"] == pytest.approx(300 + 1800 - 900)


def test_the_bounds_are_checked_where_they_are_written():
    with pytest.raises(ds.ScenarioError, match="min_instances .* must not exceed"):
        ds.load_scenario(scenario(hosting={"kind": "async", "min_instances": 5,
                                           "max_instances": 2}))  # fmt: skip
    with pytest.raises(ds.ScenarioError, match="hosting.request_ttl"):
        ds.load_scenario(scenario(hosting={"kind": "async", "request_ttl": "7h"}))
    with pytest.raises(ds.ScenarioError, match="autoscaling: not modelled for hosting kind"):
        ds.load_scenario(scenario(hosting={"kind": "async"},
                                  autoscaling={"target": 100, "max": 3}))  # fmt: skip


def test_a_posture_adds_its_hourly_cost_over_the_whole_run_and_per_gb_per_request(tmp_path):
    from simulator.catalog import network
    from simulator.scenario import security

    posture = {"runtime_endpoint": "privatelink", "payload_kb": 100}
    plain = ds.simulate(endpoint(tmp_path, [60] * 5, drain=600), seed=1).summary
    sc = endpoint(tmp_path, [60] * 5, drain=600) | {"security": posture}
    s = ds.simulate(sc, seed=1).summary
    spec = security.SecuritySpec(**posture)
    hourly = security.posture_cost_per_hour(spec) * (300 + 600) / 3600
    per_gb = network.interface_endpoint_cost_per_gb() * s["requests"] * 100 / 1e6
    assert s["security_cost_usd"] == pytest.approx(hourly + per_gb)
    assert s["cost_usd"] == pytest.approx(plain["cost_usd"] + hourly + per_gb)
    assert s["security_findings"] == len(security.open_findings(spec))
