"""A real-time endpoint created during the run: nothing answers until CreateEndpoint completes."""

from __future__ import annotations

import json

import pytest

import simulator as ds
from simulator import catalog
from tests.builders import scenario


def created(**hosting):
    return scenario(duration="30m", traffic={"rate": 5}, monitoring={"request_log": 1.0},
                    fleet={"target": "ml.m5.large", "model": "xgboost", "instances": 2},
                    hosting={"kind": "realtime", "create_endpoint": True, **hosting})  # fmt: skip


@pytest.mark.parametrize("override", [None, 300.0])
def test_requests_before_the_endpoint_is_in_service_fail_and_the_fleet_is_billed_from_the_call(
    override,
):
    info = catalog.target_info("ml.m5.large")
    create = override or info["provisioning"]["create_endpoint_s"]
    res = ds.simulate(created(**({"create_time": override} if override else {})), seed=4)
    log = res.requests
    early = log["arrival"] < create
    assert (log.loc[early, "outcome"] == "unavailable").all() and early.any()
    assert (log.loc[~early, "outcome"] == "ok").all()
    assert res.summary["downtime_s"] == pytest.approx(create)
    assert res.summary["cost_usd"] == pytest.approx(2 * 0.5 * info["price_per_hour"])
    first = res.events.iloc[0]
    assert (first["kind"], first["variant"], first["value"]) == ("CreateEndpoint", "v1", create)


def test_an_endpoint_that_exists_serves_from_the_first_request():
    res = ds.simulate(created() | {"hosting": {"kind": "realtime"}}, seed=4)
    assert res.summary["downtime_s"] == 0 and (res.requests["outcome"] == "ok").all()
    assert "CreateEndpoint" not in set(res.events["kind"])


def two_variants(**extra):
    """An A/B endpoint: v1 on two instances, B on one c5.large, weights 3 and 1."""
    return scenario(duration="1h", traffic={"rate": 40},
                    fleet={"target": "ml.m5.large", "model": "xgboost", "instances": 2,
                           "weight": 3},
                    hosting={"kind": "realtime", "variants": [
                        {"version": "B", "target": "ml.c5.large", "instances": 1,
                         "weight": 1}], **extra})  # fmt: skip


def test_a_two_variant_endpoint_splits_traffic_by_weight_within_the_binomial_interval():
    # each request picks B with probability 1 / (3 + 1); over n requests B's count is
    # binomial: 4 standard deviations leave a false alarm at about 1 in 16,000
    res = ds.simulate(two_variants(), seed=11)
    calls = res.metrics.groupby("version")["Invocations"].sum()
    n, p = calls.sum(), 0.25
    assert n == res.summary["requests"]
    assert abs(calls["B"] - n * p) < 4 * (n * p * (1 - p)) ** 0.5
    # each variant is its own fleet: its own instance type, its own bill
    price = {t: catalog.target_info(t)["price_per_hour"] for t in ("ml.m5.large", "ml.c5.large")}
    assert res.summary["cost_by_version"]["B"] == pytest.approx(price["ml.c5.large"])
    assert res.summary["cost_by_version"]["v1"] == pytest.approx(2 * price["ml.m5.large"])


def test_update_endpoint_weights_and_capacities_moves_traffic_and_instances_at_its_time():
    update = {"at": 1800, "variants": [{"variant": "B", "weight": 3, "instances": 2},
                                       {"variant": "v1", "weight": 1}]}  # fmt: skip
    res = ds.simulate(two_variants(updates=[update]), seed=12)
    m = res.metrics.pivot_table(index="period", columns="version", values="Invocations")
    before, after = m.loc[:29].sum(), m.loc[30:].sum()
    for calls, p in ((before, 0.25), (after, 0.75)):
        n = calls.sum()
        assert abs(calls["B"] - n * p) < 4 * (n * p * (1 - p)) ** 0.5
    events = res.events.set_index("kind")
    assert events.loc["UpdateEndpointWeightsAndCapacities", "time"] == 1800
    assert json.loads(events.loc["UpdateEndpointWeightsAndCapacities", "weights"]) == {
        "B": 3.0, "v1": 1.0}
    launch = events.loc["LaunchInstances"]
    assert (launch["time"], launch["variant"], launch["count"]) == (1800, "B", 1)


def test_variants_are_checked_against_the_fleet_and_each_other():
    bad = two_variants()
    bad["hosting"]["variants"][0]["version"] = "v1"
    with pytest.raises(ds.ScenarioError, match="repeats fleet.version"):
        ds.load_scenario(bad)
    bad = two_variants(updates=[{"at": 60, "variants": [{"variant": "C", "weight": 1}]}])
    with pytest.raises(ds.ScenarioError, match="updates.0.variants.0.variant: no production"):
        ds.load_scenario(bad)
    bad = two_variants() | {"release": {"version": "v2"}}
    with pytest.raises(ds.ScenarioError, match="shift traffic with hosting.updates"):
        ds.load_scenario(bad)
    bad = two_variants()
    bad["hosting"]["variants"][0]["target"] = "ml.c5.larg"
    with pytest.raises(ds.ScenarioError, match="did you mean 'ml.c5.large'"):
        ds.load_scenario(bad)
