"""Argo Rollouts' blue/green: preview, pre-promotion analysis, pause, switch, post-promotion.

The release starts at 300 s (START), instances provision in 120 s (PROV), so the preview
serves from 420 s, a whole number of 60 s periods. An AnalysisRun measures at its start
plus initialDelay, then every interval, over the periods closed since the last one; the
analyses here wait one period (initial_delay 60) so their first window holds a whole
period of the preview's copies, unless a test is about that first window. Event times are
exact, read from the audit trail.
"""

import pytest

import simulator as ds
from tests import builders
from tests.release.strategies.audit import (
    at,
    conserved,
    kind,
    launches,
    periods,
    shifts,
    terminations,
    timed,
)

START, PROV, PERIOD = builders.WARMUP, builders.PROVISIONING, builders.PERIOD
READY = START + PROV
DEFECT = {"error_rate": 0.05}


def argo(interval=60.0, count=3, initial_delay=60.0, **kw):
    """An argo gate (one AnalysisRun) with checks from the scenario's SLO."""
    return {"type": "argo", "interval": interval, "count": count,
            "initial_delay": initial_delay, **kw}  # fmt: skip


def blue_green(strategy=None, defect=None, **kw):
    """The usual release (tests/builders.py) by Argo's blue/green, with `strategy`'s fields."""
    strategy = {"type": "argo_blue_green", **(strategy or {})}
    return builders.release(strategy, defect, name="argo-blue-green", duration=1800, **kw)


def run_end(start, interval=60.0, count=3, initial_delay=60.0):
    """When a run whose every measurement has data is Successful: its count-th one."""
    return start + initial_delay + (count - 1) * interval


def switch_time(res):
    (moved,) = [t for t, w in shifts(res) if w.get("v2") == 1.0]
    return moved


# ---------------------------------------------------------------- the preview


def test_the_preview_takes_copies_but_no_production_request_before_the_switch():
    res = ds.simulate(blue_green({"pre_promotion_analysis": argo()}), seed=1)
    switch = run_end(READY)
    assert launches(res) == [(START, 4, "v2-preview")]
    assert timed(res, "ShadowTraffic") == [[READY, "10% of requests to v2-preview"],
                                           [switch, "off"]]  # fmt: skip
    assert at(res, "AnalysisRunSuccessful") == [switch]
    assert shifts(res) == [(switch, {"v2": 1.0, "v1": 0.0})]
    assert at(res, "AdoptShadow") == [switch]
    # production requests by version, per period: v1 alone until the switch, v2 after
    assert periods(res, "v2", 0, switch)["Invocations"].sum() == 0
    assert periods(res, "v1", START, switch)["Invocations"].min() > 2000
    # (requests queued on v1 at the switch still finish there, in the period that follows)
    assert periods(res, "v1", switch + PERIOD, 1800)["Invocations"].sum() == 0
    assert periods(res, "v2", switch, 1800)["Invocations"].min() > 2000
    copies = periods(res, "v2-preview", 0, 1800)["Invocations"]
    assert copies.sum() > 0 and periods(res, "v2-preview", READY, switch)["Invocations"].min() > 0
    # copies are not users' requests: the same arrivals as a run without any release
    no_release = builders.release(name="argo-blue-green", duration=1800, release=builders.DROP)
    alone = ds.simulate(no_release, seed=1)
    s = res.summary
    assert s["requests"] == alone.summary["requests"] and conserved(s)
    assert s["outcome"] == "promoted" and s["downtime_s"] == 0 and s["blast_radius"] == 0


@pytest.mark.parametrize("sampling", [10, 30])
def test_the_preview_gets_preview_traffic_percent_of_requests_as_copies(sampling):
    """Copies / production requests over the 10 whole periods of a 10-measurement run.
    Seed 3, about 50 x 600 = 30,000 production requests; the copies are binomial with SD
    <= sqrt(.25 / 30000) = 0.0029: tolerance 0.015 is 5 SDs."""
    strategy = {"preview_traffic": sampling, "pre_promotion_analysis": argo(count=10)}
    res = ds.simulate(blue_green(strategy), seed=3)
    on, off = at(res, "ShadowTraffic")
    assert (on, off) == (READY, run_end(READY, count=10))
    prod = periods(res, "v1", on, off)["Invocations"].sum()
    copies = periods(res, "v2-preview", on, off)["Invocations"].sum()
    assert prod > 25_000
    assert abs(copies / prod - sampling / 100) <= 0.015


def test_a_smaller_preview_is_billed_at_its_size_then_scaled_to_full_before_the_switch():
    strategy = {"preview_replica_count": 1, "pre_promotion_analysis": argo(count=2),
                "auto_promotion_seconds": 90}  # fmt: skip
    res = ds.simulate(blue_green(strategy), seed=2)
    passed = run_end(READY, count=2)  # 540
    resumed = passed + 90  # autoPromotionSeconds from the pause that follows the run
    switch = resumed + PROV  # the scaled-up preview serves
    assert launches(res) == [(START, 1, "v2-preview"), (resumed, 3, "v2-preview")]
    assert switch_time(res) == switch == 750
    assert terminations(res) == [(switch + 30, 4, "v1")]
    billed = periods(res, "v2-preview", START, resumed - PERIOD / 2)["billed_instances"]
    assert len(billed) == 5 and (billed == 1).all()  # 300-600: one instance
    full = periods(res, "v2-preview", 660, switch)["billed_instances"]
    assert len(full) == 1 and (full == 4).all()  # 660-720 wholly after the scale-up
    assert (periods(res, "v1", 0, switch)["billed_instances"] == 4).all()


# ---------------------------------------------------------------- promotion timing


@pytest.mark.parametrize(
    "interval, count, delay, seconds",
    [(60.0, 3, 60.0, 0.0), (120.0, 2, 60.0, 0.0), (60.0, 4, 120.0, 300.0), (60.0, 1, 60.0, 45.0)],
)
def test_the_switch_is_preview_ready_plus_the_run_plus_auto_promotion_seconds(
    interval, count, delay, seconds
):
    gate = argo(interval=interval, count=count, initial_delay=delay)
    res = ds.simulate(blue_green({"pre_promotion_analysis": gate,
                                  "auto_promotion_seconds": seconds}), seed=4)  # fmt: skip
    passed = run_end(READY, interval, count, delay)
    assert at(res, "AnalysisRunSuccessful") == [passed]
    assert switch_time(res) == passed + seconds
    assert kind(res, "AnalysisError").empty


def test_a_first_measurement_at_the_runs_start_finds_no_copies_and_errs():
    """With no initial delay Argo measures as the preview starts serving: the window (the
    period before) holds no copy, an Error that does not count, so the run ends one
    interval later than its count alone says."""
    res = ds.simulate(blue_green({"pre_promotion_analysis": argo(initial_delay=0.0)}), seed=5)
    assert at(res, "AnalysisError") == [READY]
    assert at(res, "AnalysisRunSuccessful") == [READY + 3 * 60]
    assert switch_time(res) == READY + 3 * 60


def test_without_copies_the_pre_promotion_run_errs_until_it_aborts():
    """preview_traffic 0: every measurement finds no data; the fifth consecutive error is
    more than consecutiveErrorLimit 4 and aborts the rollout before any user met v2."""
    res = ds.simulate(blue_green({"preview_traffic": 0, "pre_promotion_analysis": argo()}), seed=6)
    errors = [READY + 60 + k * 60 for k in range(5)]
    assert at(res, "AnalysisError") == errors
    assert at(res, "RollbackTriggered") == [errors[-1]]
    assert kind(res, "ShadowTraffic").empty
    assert res.summary["outcome"] == "rolled_back"


def test_without_auto_promotion_the_rollout_waits_for_a_human_to_the_end():
    res = ds.simulate(blue_green({"auto_promotion_enabled": False}), seed=7)
    assert at(res, "AnalysisRunSuccessful") == [run_end(READY)]
    assert shifts(res) == [] and kind(res, "UpdateComplete").empty
    assert res.summary["outcome"] == "incomplete"
    assert periods(res, "v2", 0, 1800)["Invocations"].sum() == 0
    # the preview is kept, and billed, while it waits
    assert (periods(res, "v2-preview", READY, 1800)["billed_instances"] == 4).all()


# ---------------------------------------------------------------- aborts


@pytest.mark.parametrize("abort_delay", [30.0, 90.0])
def test_a_defect_caught_before_promotion_never_takes_production_traffic(abort_delay):
    strategy = {"pre_promotion_analysis": argo(), "abort_scale_down_delay": abort_delay}
    res = ds.simulate(blue_green(strategy, DEFECT), seed=8)
    caught = READY + 60  # the first measurement: 5% errors, failureLimit 0
    rows = kind(res, "RollbackTriggered")
    assert rows[["time", "variant", "cause"]].values.tolist() == [[caught, "v2-preview", "argo"]]
    assert at(res, "ShadowTraffic") == [READY, caught]
    assert all(w.get("v2-preview", 0) == 0 and "v2" not in w for _, w in shifts(res))
    assert terminations(res) == [(caught + abort_delay, 4, "v2-preview")]
    s = res.summary
    assert s["outcome"] == "rolled_back" and s["blast_radius"] == 0 and s["errors"] == 0
    assert periods(res, "v2", 0, 1800)["Invocations"].sum() == 0


def test_a_defect_caught_after_the_switch_goes_back_to_the_old_fleet_still_up():
    strategy = {"pre_promotion_analysis": None, "post_promotion_analysis": argo()}
    res = ds.simulate(blue_green(strategy, DEFECT), seed=9)
    switch, caught = READY, READY + 60
    assert shifts(res) == [(switch, {"v2": 1.0, "v1": 0.0}),
                           (caught, {"v1": 1.0, "v2-preview": 0.0, "v2": 0.0})]  # fmt: skip
    assert at(res, "RollbackTriggered") == [caught] == at(res, "RollbackComplete")
    # the old ReplicaSet was never scaled down: nothing relaunched, no downtime
    assert launches(res) == [(START, 4, "v2-preview")]
    assert terminations(res) == [(caught + 30, 4, "v2")]
    assert (periods(res, "v1", 0, 1800)["billed_instances"] == 4).all()
    s = res.summary
    assert s["outcome"] == "rolled_back" and s["downtime_s"] == 0
    assert s["time_to_detect_s"] == caught - switch and s["blast_radius"] > 0
    # after the period in which v2's queued requests finish, it serves nothing
    assert periods(res, "v2", caught + PERIOD, 1800)["Invocations"].sum() == 0


# ---------------------------------------------------------------- the old fleet


@pytest.mark.parametrize("delay", [30.0, 45.0, 0.0])
def test_the_old_fleet_goes_scale_down_delay_after_the_post_promotion_run_succeeds(delay):
    """rollout/sync.go shouldFullPromote: with postPromotionAnalysis the new ReplicaSet
    becomes stable only when the run is Successful; scaleDownDelayHelper then sets the old
    one's deadline: the delay counts from there, not from the switch."""
    strategy = {"pre_promotion_analysis": None, "post_promotion_analysis": argo(),
                "scale_down_delay": delay}  # fmt: skip
    res = ds.simulate(blue_green(strategy), seed=10)
    stable = run_end(READY)
    assert switch_time(res) == READY and at(res, "AnalysisRunSuccessful") == [stable]
    assert terminations(res) == [(stable + delay, 4, "v1")]
    assert timed(res, "UpdateComplete") == [[stable + delay, "promoted"]]
    both = res.metrics.groupby("time_s")["billed_instances"].sum()
    window = both[(both.index >= START) & (both.index + PERIOD <= stable)]
    assert len(window) == (stable - START) / PERIOD and (window == 8).all()


def test_without_post_promotion_analysis_the_delay_counts_from_the_switch():
    res = ds.simulate(blue_green({"pre_promotion_analysis": None, "scale_down_delay": 120}),
                      seed=11)  # fmt: skip
    assert switch_time(res) == READY
    assert terminations(res) == [(READY + 120, 4, "v1")]


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "strategy, words",
    [
        ({"pre_promotion_analysis": {"type": "argo"}}, "pre_promotion_analysis needs a count"),
        ({"post_promotion_analysis": {"type": "argo"}}, "post_promotion_analysis needs a count"),
        ({"auto_promotion_enabled": False, "auto_promotion_seconds": 60}, "is ignored when"),
        ({"preview_replica_count": 5}, "preview_replica_count: 5 instances is more than"),
        ({"preview_replica_count": 0}, "preview_replica_count"),
        ({"pre_promotion_analysis": argo(interval=30)}, "interval (30 s) must be at least"),
        ({"abort_scale_down_delay": 0}, "abort_scale_down_delay"),
        ({"preview_traffic": 101}, "preview_traffic"),
    ],
)
def test_settings_argo_would_not_play_are_refused_naming_the_field(strategy, words):
    with pytest.raises(ds.ScenarioError) as err:
        ds.load_scenario(blue_green(strategy))
    assert words in str(err.value)
