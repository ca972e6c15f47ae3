"""A rolling release on each platform stays within that platform's documented bounds.

The bounds are the catalog's (docs/reference/platforms.md): ECS never below
minimumHealthyPercent of the desired count running (rounded up) nor above maximumPercent
(rounded down); an Auto Scaling group's instance refresh never below MinHealthyPercentage
in service; CodeDeploy in place never more hosts at a time than its configuration. The
test replays the audit trail: an instance counts from its LaunchInstances (serving once
its start-up time has passed) until its TerminateInstances, newest first.
"""

from __future__ import annotations

import math

import pytest

import simulator as ds
from simulator.catalog import platforms
from tests.builders import release


def lifetimes(res: ds.Result, start_up: float) -> list[tuple[float, float, float]]:
    """Each instance's (launched, serving from, terminated), from the audit trail."""
    live = {"v1": [(-math.inf, -math.inf)] * 4, "v2": []}
    gone = []
    for ev in res.events.itertuples():
        if ev.kind == "LaunchInstances":
            live[ev.variant] += [(ev.time, ev.time + start_up)] * int(ev.count)
        elif ev.kind == "TerminateInstances":  # the newest go first
            gone += [(*live[ev.variant].pop(), ev.time) for _ in range(int(ev.count))]
    return gone + [(*pair, math.inf) for pairs in live.values() for pair in pairs]


def counts(res: ds.Result, start_up: float) -> list[tuple[float, int, int]]:
    """(time, serving, in total) at every moment the counts can change."""
    spans = lifetimes(res, start_up)
    moments = sorted({t for span in spans for t in span if 0 <= t < math.inf})
    return [(t, sum(r <= t < e for _, r, e in spans), sum(s <= t < e for s, _, e in spans))
            for t in moments]  # fmt: skip


CASES = [
    ("ecs_ec2", {"minimum_healthy_percent": 50, "maximum_percent": 150}),
    ("ecs_fargate", {"minimum_healthy_percent": 75, "maximum_percent": 125}),
    ("ec2", {"min_healthy_percentage": 90}),
    ("ec2", {"min_healthy_percentage": 50, "max_healthy_percentage": 150}),
    ("on_prem", {"config": "CodeDeployDefault.HalfAtATime"}),
    ("on_prem", {}),
]


@pytest.mark.parametrize("name, params", CASES)
def test_a_rolling_release_never_leaves_the_platforms_bounds(name, params):
    sc = release({"type": "rolling", "bake": 60}, instances=4, duration=3600)
    sc["fleet"] |= {"target": "ml.c5.xlarge", "provisioning": None}
    sc["fleet"].pop("provisioning")
    sc["platform"] = {"name": name, "rolling": params}
    res = ds.simulate(sc, seed=1)
    low, high = platforms.rolling_bounds(name, 4, **params)
    start_up = platforms.platform(name).start_up_s("ml.c5.xlarge")
    trail = counts(res, start_up)
    assert trail, "the rolling update launched nothing"
    assert all(serving >= low and total <= high for _, serving, total in trail), trail
    assert res.summary["outcome"] == "promoted"
    # the bounds are reached, not merely respected: the update uses what it is allowed
    assert min(s for _, s, _ in trail) == low or max(n for _, _, n in trail) == high


def test_the_strategys_own_limits_are_refused_off_sagemaker():
    sc = release({"type": "rolling", "max_surge": 1}, instances=4)
    sc["platform"] = "ecs_ec2"
    with pytest.raises(ds.ScenarioError, match="strategy.max_surge: on ecs_ec2"):
        ds.load_scenario(sc)


@pytest.mark.parametrize("name, strategy, words", [
    ("ecs_fargate", "shadow", "no managed traffic mirroring"),
    ("emr", "canary", "EMR runs batch steps"),
    ("on_prem", "blue_green", "cannot run 'blue_green'"),
])  # fmt: skip
def test_a_strategy_a_platform_cannot_run_is_refused_with_its_reason(name, strategy, words):
    sc = release({"type": strategy}, instances=4)
    sc["platform"] = name
    with pytest.raises(ds.ScenarioError, match=f"strategy.type: {name} cannot run"):
        ds.load_scenario(sc)
    with pytest.raises(ds.ScenarioError, match=words):
        ds.load_scenario(sc)


def test_on_premises_refuses_autoscaling_with_the_procurement_lead_time():
    sc = release({"type": "none"}, instances=4) | {"autoscaling": {"target": 600, "max": 8}}
    sc["platform"] = "on_prem"
    with pytest.raises(ds.ScenarioError, match="autoscaling: not on on_prem: a fixed fleet"):
        ds.load_scenario(sc)


def test_the_platform_prices_the_fleet_and_times_its_start_up():
    sc = release({"type": "none"}, instances=2, duration=3600)
    sc["fleet"]["target"] = "ml.c5.xlarge"
    for name in ("sagemaker", "ec2", "ecs_fargate", "on_prem"):
        sc["platform"] = name
        res = ds.simulate(sc, seed=1)
        price = platforms.platform(name).price_per_hour("ml.c5.xlarge")
        assert res.summary["cost_usd"] == pytest.approx(2 * price)


def test_every_production_variants_target_must_be_one_the_platform_offers():
    sc = release({"type": "none"}, instances=2) | {"platform": "ecs_fargate"}
    sc.pop("release")
    sc["hosting"] = {"kind": "realtime", "variants": [{"version": "B",
                                                       "target": "ml.g4dn.xlarge"}]}  # fmt: skip
    with pytest.raises(ds.ScenarioError, match="hosting.variants.0.target: ecs_fargate does "
                       "not offer g4dn.xlarge: Fargate runs no GPU tasks"):  # fmt: skip
        ds.load_scenario(sc)
