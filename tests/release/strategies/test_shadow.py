"""Shadow tests: mirrored copies never reach users; compare offline, then promote or discard."""

import math

import pytest

import simulator as ds
from simulator import catalog
from tests import builders
from tests.release.strategies.audit import at, conserved, steady

PRICE = catalog.target_info("ml.c5.xlarge")["price_per_hour"]
PROVISIONING = builders.PROVISIONING
START = builders.WARMUP
PERIOD = builders.PERIOD
DEFECT = {"error_rate": 0.05}


def shadow(strategy=None, defect=None, **kw):
    """The usual release (tests/builders.py) shadowed for 1200 s, with `strategy`'s fields."""
    strategy = {"type": "shadow", "duration": 1200, **(strategy or {})}
    return builders.release(strategy, defect, name="shadow", **kw)


def rows(res, version, t0, t1):
    """A version's metrics over the periods inside [t0, t1)."""
    m = res.metrics
    return m[(m.version == version) & (m.time_s >= t0) & (m.time_s + PERIOD <= t1)]


# ---------------------------------------------------------------- users never see it


def test_users_are_never_served_by_a_defective_shadow():
    """A shadow failing half its requests, three times slower, on one overloaded instance:
    no user request is hurt, the summary counts only the users' requests (the same arrivals
    as a run without any release, common random numbers), and every one has an outcome."""
    defect = {"error_rate": 0.5, "latency_factor": 3.0}
    res = ds.simulate(shadow({"instances": 1}, defect), seed=1)
    no_release = builders.release(name="shadow", release=builders.DROP, strategy=builders.DROP)
    alone = ds.simulate(no_release, seed=1)
    s = res.summary
    assert s["blast_radius"] == 0 and s["users_affected"] == 0
    assert s["errors"] == 0 and s["timed_out"] == 0
    assert s["requests"] == alone.summary["requests"]
    assert conserved(s), s
    copies = res.metrics[res.metrics.version == "v2-shadow"]
    assert copies.Invocations.sum() > 10_000 and copies.Invocation5XXErrors.sum() > 0
    users = res.metrics[res.metrics.version == "v1"]
    assert users.Invocations.sum() == s["completed"] + s["errors"] + s["timed_out"] + s[
        "rejected"]  # fmt: skip


@pytest.mark.parametrize("sampling", [10, 50])
def test_shadow_gets_the_sampling_share_of_requests(sampling):
    """Copies / production requests over whole periods of the shadow test. Seed 2, about
    50 x 1200 = 60,000 production requests; the count of copies is binomial, SD <=
    sqrt(.25 / 60000) = 0.002: tolerance 0.012 is 6 SDs."""
    res = ds.simulate(shadow({"sampling": sampling}), seed=2)
    on, off = at(res, "ShadowTraffic")
    assert on == START + PROVISIONING and off == on + 1200
    prod = rows(res, "v1", on, off).Invocations.sum()
    copies = rows(res, "v2-shadow", on, off).Invocations.sum()
    assert prod > 50_000
    assert abs(copies / prod - sampling / 100) <= 0.012
    # no copies outside the test
    outside = res.metrics[
        (res.metrics.version == "v2-shadow")
        & ((res.metrics.time_s < on - PERIOD) | (res.metrics.time_s > off))
    ]
    assert outside.Invocations.sum() == 0  # fmt: skip


# ---------------------------------------------------------------- cost


def test_cost_includes_the_shadow_fleet():
    """A discarded 2-instance shadow is billed from launch to termination, on top of the
    production fleet billed for the whole run: cost = price x instance-seconds / 3600."""
    res = ds.simulate(shadow({"instances": 2}, DEFECT), seed=3)
    launched = at(res, "LaunchInstances")[0]
    ended = at(res, "TerminateInstances")[0]
    assert (launched, ended) == (START, START + PROVISIONING + 1200)
    shadow_s = 2 * (ended - launched)
    s = res.summary
    assert s["cost_by_version"]["v2-shadow"] == pytest.approx(PRICE * shadow_s / 3600, rel=1e-9)
    assert s["cost_usd"] == pytest.approx(PRICE * (4 * 3600 + shadow_s) / 3600, rel=1e-9)
    assert s["update_cost_usd"] == pytest.approx(
        PRICE * (4 + 2) * (ended - launched) / 3600, rel=1e-9
    )


# ---------------------------------------------------------------- decisions


def test_defective_shadow_is_discarded_before_any_user_meets_it():
    res = ds.simulate(shadow({}, DEFECT), seed=4)
    s, ev = res.summary, res.events
    assert s["outcome"] == "rolled_back"
    assert not s["reached_full_traffic"]
    assert s["time_to_detect_s"] is None and s["time_to_rollback_s"] is None
    assert s["blast_radius"] == 0 and s["users_affected"] == 0
    decided = START + PROVISIONING + 1200
    trigger = ev[ev.kind == "RollbackTriggered"]
    assert list(trigger.time) == [decided]
    assert trigger.detail.item().startswith("shadow failed: error_rate=")
    assert list(ev[ev.kind == "TerminateInstances"].detail) == ["4 of v2-shadow"]
    assert "AdoptShadow" not in set(ev.kind)
    assert "UpdateEndpointWeightsAndCapacities" not in set(ev.kind)
    assert at(res, "UpdateComplete") == [decided]
    cand = s["details"]["comparison"]["candidate"]
    # error rate of ~18,000 copies: SD sqrt(.05 x .95 / 18000) = 0.0016, tolerance 5 SDs
    assert abs(cand["error_rate"] - 0.05) <= 0.008


def test_healthy_shadow_is_promoted_with_a_warm_fleet():
    """Launch, mirror once it serves, compare after `duration`, adopt the warm fleet (no
    provisioning), bake, retire the old fleet after scale_down_delay."""
    res = ds.simulate(shadow({"bake": 300}), seed=5)
    s, ev = res.summary, res.events
    decided = START + PROVISIONING + 1200
    assert s["outcome"] == "promoted" and s["reached_full_traffic"]
    assert at(res, "LaunchInstances") == [START]
    assert at(res, "ShadowTraffic") == [START + PROVISIONING, decided]
    assert at(res, "AdoptShadow") == [decided]
    shift = ev[ev.kind == "UpdateEndpointWeightsAndCapacities"]
    assert list(shift.time) == [decided] and shift.detail.item() == "v2=1, v1=0"
    assert list(ev[ev.kind == "TerminateInstances"].detail) == ["4 of v1"]
    assert at(res, "UpdateComplete") == [decided + 300 + 30]
    assert s["blast_radius"] == 0
    m = res.metrics
    assert m[(m.version == "v2") & (m.time_s >= decided)].Invocations.sum() > 0


def test_a_smaller_shadow_grows_to_full_size_before_taking_traffic():
    res = ds.simulate(shadow({"instances": 1, "sampling": 20}), seed=6)
    ev = res.events
    decided = START + PROVISIONING + 1200
    grow = ev[ev.kind == "LaunchInstances"]
    assert list(grow.time) == [START, decided]
    assert list(grow.detail) == ["1 x ml.c5.xlarge for v2-shadow", "3 x ml.c5.xlarge for v2"]
    shift = ev[ev.kind == "UpdateEndpointWeightsAndCapacities"]
    assert list(shift.time) == [decided + PROVISIONING]
    assert res.summary["outcome"] == "promoted"


def test_promote_false_only_reports():
    """A healthy shadow with promote: false is discarded with reason "report only"; the
    comparison reports both sides over the shadow window, as the metrics count them."""
    res = ds.simulate(shadow({"promote": False, "sampling": 40}), seed=7)
    s, ev = res.summary, res.events
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    assert list(ev[ev.kind == "RollbackTriggered"].detail) == ["report only"]
    assert "AdoptShadow" not in set(ev.kind)
    comparison = s["details"]["comparison"]
    assert set(comparison) == {"candidate", "production"}
    keys = {"Invocations", "error_rate", "latency_p50_ms", "latency_p99_ms"}
    assert set(comparison["candidate"]) == keys == set(comparison["production"])
    on, off = at(res, "ShadowTraffic")
    window = (math.floor(on / PERIOD) * PERIOD, off)
    # in ms, as every latency of a summary: the pooled median lies between the periods'
    per_period = rows(res, "v1", *window).latency_p50_ms
    assert per_period.min() <= comparison["production"]["latency_p50_ms"] <= per_period.max()
    assert comparison["production"]["Invocations"] == rows(res, "v1", *window).Invocations.sum()
    assert comparison["candidate"]["Invocations"] == (
        rows(res, "v2-shadow", *window).Invocations.sum()
    )
    assert comparison["candidate"]["error_rate"] == 0.0


def test_comparison_covers_the_same_periods_on_both_sides():
    """Provisioning of 90 s starts the mirror mid-period (390 s). With 100% sampling both
    sides of the comparison must count the same requests (up to the few in flight at the
    window's edges): production must not include requests from before the shadow test."""
    sc = shadow({"sampling": 100, "promote": False})
    sc["fleet"]["provisioning"] = 90
    res = ds.simulate(sc, seed=1)
    on = at(res, "ShadowTraffic")[0]
    assert on % PERIOD != 0
    comparison = res.summary["details"]["comparison"]
    cand, prod = comparison["candidate"], comparison["production"]
    assert abs(cand["Invocations"] - prod["Invocations"]) <= 20, (cand, prod)


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize("defect", [None, DEFECT])
def test_same_seed_same_result_and_requests_conserved(defect):
    a = ds.simulate(shadow({"sampling": 30}, defect), seed=8)
    b = ds.simulate(shadow({"sampling": 30}, defect), seed=8)
    assert steady(a.summary) == steady(b.summary)
    assert a.events.equals(b.events)
    assert conserved(a.summary), a.summary
