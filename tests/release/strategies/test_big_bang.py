"""Big bang: Recreate (downtime while the new fleet starts) or overlap (both fleets billed).

The old fleet provisions in 120 s and the release in 180 s (`release.provisioning`), so
a test can tell which of the two a delay comes from. The release starts at 300 s, the
monitoring period (and the default alarms gate's interval) is 60 s, and bakes are whole
periods, so every event time is exact.
"""

import math

import pytest

import simulator as ds
from simulator import catalog
from tests import builders
from tests.release.strategies.audit import (
    conserved,
    kind,
    launches,
    periods,
    shifts,
    terminations,
    timed,
)

START, PERIOD = builders.WARMUP, builders.PERIOD
OLD_PROV, NEW_PROV = builders.PROVISIONING, 180.0
N = 4
PRICE = catalog.target_info("ml.c5.xlarge")["price_per_hour"]


def big_bang(strategy=None, defect=None, **kw):
    """The usual release (tests/builders.py) by big bang, the release provisioning in NEW_PROV."""
    return builders.release({"type": "big_bang", **(strategy or {})}, defect, name="big-bang",
                            instances=N, release={"provisioning": NEW_PROV}, **kw)  # fmt: skip


# ---------------------------------------------------------------- Recreate


def test_without_overlap_the_endpoint_is_down_for_the_release_provisioning_time():
    rate = 50
    res = ds.simulate(big_bang({"bake": 240}, rate=rate), seed=1)
    s = res.summary
    cutover = START + NEW_PROV
    # the old fleet stops first (weights to the empty new fleet), then the new one launches
    assert shifts(res) == [(START, {"v2": 1.0, "v1": 0.0})]
    assert terminations(res, count=str) == [(START, str(N), "v1")]
    assert launches(res, count=str) == [(START, str(N), "v2")]
    assert s["downtime_s"] == pytest.approx(NEW_PROV)
    assert s["outcome"] == "promoted" and s["rollout_duration_s"] == NEW_PROV + 240

    # requests arriving while no v2 instance serves fail at once as unavailable, and are
    # recorded at arrival: they are exactly v2's invocations before the cut-over
    before = periods(res, "v2", START, cutover)
    assert len(before) == NEW_PROV / PERIOD
    assert (before["Invocation5XXErrors"] == before["Invocations"]).all()
    assert s["unavailable"] == before["Invocations"].sum()
    # they were sent to the release, so they are its blast radius (a healthy release
    # has no other failures: no error rate, p99 far below the 1 s SLO)
    assert s["blast_radius"] == s["unavailable"]
    # Poisson arrivals: mean rate x downtime = 9000, sd 95; 5 sd
    expected = rate * NEW_PROV
    assert abs(s["unavailable"] - expected) <= 5 * math.sqrt(expected)
    # Recreate does not drain: v1's in-flight requests fail at the stop (v1 has no
    # other failures), and the old fleet is gone from the start of the rollout
    assert s["failed_in_flight"] == periods(res, "v1", 0, 3600)["Invocation5XXErrors"].sum()
    assert periods(res, "v1", START + PERIOD, 3600)["Invocations"].sum() == 0
    assert s["errors"] == s["unavailable"] + s["failed_in_flight"]
    assert conserved(s)


@pytest.mark.parametrize("overlap", [False, True])
def test_recreate_fails_the_old_fleets_requests_in_flight_and_overlap_drains_them(overlap):
    """Deterministic 1 s service on 32 workers at 20 req/s never queues: the requests in
    flight when v1 stops are exactly those that arrived in the second before it stops."""
    fleet = {
        "workers_per_instance": 8,
        "service_time": {"distribution": "deterministic", "value": 1.0},
    }
    sc = big_bang({"overlap": overlap, "bake": 240}, rate=20, duration=1200, fleet=fleet)
    sc["monitoring"] = {"period": PERIOD, "request_log": 1.0}
    res = ds.simulate(sc, seed=5)
    log, s = res.requests, res.summary
    stop = START if not overlap else START + NEW_PROV
    failed = log[log["outcome"] == "failed"]
    if overlap:
        assert s["failed_in_flight"] == 0 and failed.empty
        return
    in_flight = log[(log["version"] == "v1") & (log["arrival"] > stop - 1.0)
                    & (log["arrival"] < stop)]  # fmt: skip
    assert len(in_flight) > 0  # Poisson(20): P(none) ~ 2e-9
    assert s["failed_in_flight"] == len(failed) == len(in_flight)
    assert (failed["end"] == stop).all() and set(failed["version"]) == {"v1"}


def test_without_overlap_one_fleet_is_billed_at_a_time():
    res = ds.simulate(big_bang({"bake": 240}, duration=1800), seed=1)
    s = res.summary
    assert s["cost_usd"] == pytest.approx(PRICE * N * 1800 / 3600)
    billed = res.metrics.groupby("period")["billed_instances"].sum()
    assert billed.tolist() == pytest.approx([N] * len(billed))


# ---------------------------------------------------------------- overlap


def test_with_overlap_there_is_no_downtime_and_both_fleets_are_billed_meanwhile():
    duration = 1800
    res = ds.simulate(big_bang({"overlap": True, "bake": 240}, duration=duration), seed=2)
    s = res.summary
    cutover = START + NEW_PROV
    assert launches(res, count=str) == [(START, str(N), "v2")]
    assert shifts(res) == [(cutover, {"v2": 1.0, "v1": 0.0})]
    assert terminations(res, count=str) == [(cutover, str(N), "v1")]
    assert s["downtime_s"] == 0.0 and s["unavailable"] == 0 and s["errors"] == 0
    # SageMaker drains: nothing in flight on the old fleet fails
    assert s["failed_in_flight"] == 0

    # v1 billed until the cut-over, v2 from its launch to the end: price x instance-seconds
    assert s["cost_by_version"]["v1"] == pytest.approx(PRICE * N * cutover / 3600)
    assert s["cost_by_version"]["v2"] == pytest.approx(PRICE * N * (duration - START) / 3600)
    assert s["cost_usd"] == pytest.approx(PRICE * N * (duration + NEW_PROV) / 3600)
    billed = res.metrics.groupby("period")["billed_instances"].sum()
    times = res.metrics.groupby("period")["time_s"].first()
    during = (times >= START) & (times + PERIOD <= cutover)
    assert during.sum() == NEW_PROV / PERIOD
    assert billed[during].tolist() == pytest.approx([2 * N] * int(during.sum()))
    assert billed[~during & ((times + PERIOD <= START) | (times >= cutover))].tolist() == (
        pytest.approx([N] * int(((times + PERIOD <= START) | (times >= cutover)).sum()))
    )
    # the update window is start -> cut-over + bake: 2N for the overlap, N for the bake
    assert s["update_cost_usd"] == pytest.approx(PRICE * N * (2 * NEW_PROV + 240) / 3600)
    assert conserved(s)


# ---------------------------------------------------------------- gate


@pytest.mark.parametrize("overlap", [False, True])
def test_healthy_release_is_promoted_a_bake_after_the_cut_over(overlap):
    bake = 420
    res = ds.simulate(big_bang({"overlap": overlap, "bake": bake}), seed=3)
    s = res.summary
    cutover = START + NEW_PROV
    assert timed(res, "UpdateComplete") == [[cutover + bake, "promoted"]]
    assert s["outcome"] == "promoted" and s["reached_full_traffic"]
    assert s["rollout_duration_s"] == NEW_PROV + bake
    assert kind(res, "RollbackTriggered").empty and s["time_to_detect_s"] is None


@pytest.mark.parametrize("overlap", [False, True])
def test_defective_release_is_rolled_back_by_launching_the_old_fleet_again(overlap):
    """error_rate 0.05 against the SLO's 0.1%: the first alarm evaluation after the cut-over
    sees ~3000 requests on v2 (P(no error) ~ e^-150), so the gate fires one period in."""
    res = ds.simulate(big_bang({"overlap": overlap}, defect={"error_rate": 0.05}), seed=4)
    s = res.summary
    cutover = START + NEW_PROV
    detected = cutover + PERIOD
    assert timed(res, "RollbackTriggered")[0][0] == detected
    assert s["time_to_detect_s"] == PERIOD
    # the old fleet is gone, so rolling back means provisioning it again (its own start-up)
    assert launches(res, count=str)[-1] == (detected, str(N), "v1")
    assert s["time_to_rollback_s"] == OLD_PROV
    restored = detected + OLD_PROV
    assert timed(res, "RollbackComplete") == [[restored, "all traffic on v1"]]
    assert shifts(res)[-1] == (restored, {"v1": 1.0, "v2": 0.0})
    # big bang's scale_down_delay is 0: the release goes at once
    assert terminations(res, count=str)[-1] == (restored, str(N), "v2")
    assert timed(res, "UpdateComplete") == [[restored, "rolled_back"]]
    assert s["outcome"] == "rolled_back" and s["reached_full_traffic"]
    assert s["release_defective"] and not s["false_rollback"]
    # all traffic met the defect until the old fleet was back, none after
    meanwhile = periods(res, "v2", detected, restored)
    assert len(meanwhile) == OLD_PROV / PERIOD and (meanwhile["Invocation5XXErrors"] > 0).all()
    assert periods(res, "v2", restored + PERIOD, 3600)["Invocations"].sum() == 0
    assert conserved(s)


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize("overlap", [False, True])
def test_same_seed_same_summary_and_events(overlap):
    sc = big_bang({"overlap": overlap}, defect={"error_rate": 0.02})
    a, b = ds.simulate(sc, seed=21), ds.simulate(sc, seed=21)
    strip = ("wall_s", "requests_per_s")
    assert {k: v for k, v in a.summary.items() if k not in strip} == {
        k: v for k, v in b.summary.items() if k not in strip
    }
    assert a.events.equals(b.events) and a.metrics.equals(b.metrics)
    assert ds.simulate(sc, seed=22).summary["requests"] != a.summary["requests"]


@pytest.mark.parametrize("overlap", [False, True])
def test_every_request_has_exactly_one_outcome(overlap):
    """A loss system with a tight deadline and baseline errors, through a rollback."""
    sc = big_bang({"overlap": overlap}, {"error_rate": 0.05}, rate=70,
                  fleet={"queue_capacity": 0, "timeout": 0.15, "error_rate": 0.005})  # fmt: skip
    s = ds.simulate(sc, seed=23).summary
    assert s["completed"] > 0 and s["errors"] > 0 and s["rejected"] > 0 and s["timed_out"] > 0
    assert conserved(s)
