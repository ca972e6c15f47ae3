"""Canary: Argo steps and Flagger weights, canary sizing, Kayenta baselines, promote/roll back.

Every scenario starts the release at the end of a 300 s warm-up, provisions instances in
120 s and uses 60 s monitoring periods, so with bakes and gate intervals that are whole
multiples of 60 s every bake ends exactly on a gate check and event times are exact.
"""

import math
import re
from fractions import Fraction

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
    steady,
    terminations,
)

START, PROV, PERIOD = builders.WARMUP, builders.PROVISIONING, builders.PERIOD
PRICE = catalog.target_info("ml.c5.xlarge")["price_per_hour"]


def canary(strategy=None, defect=None, **kw):
    """The usual release (tests/builders.py) by canary, with `strategy`'s fields."""
    return builders.release({"type": "canary", **(strategy or {})}, defect, name="canary", **kw)


def steps(*pairs):
    return [{"weight": w, "bake": b} for w, b in pairs]


# ---------------------------------------------------------------- reading a run


def timed_first(res, name):
    return kind(res, name)["time"].iloc[0]


def canary_count(weight, n):
    """Argo: the canary's share of the fleet, rounded up (exact arithmetic), at least one."""
    return max(1, math.ceil(Fraction(weight) / 100 * n))


def timeline(plan, n, *, scale="weight", delay=30.0):
    """A healthy canary's launches, weight shifts and end, derived from its plan.

    Each step scales the canary up if its size must grow (ready one provisioning time
    later), sets the weight, and bakes; promotion scales to the whole fleet, moves all
    traffic, and the stable fleet goes `delay` (scale_down_delay) later.
    """
    t, live, launched, shifted = START, 0, [], []
    for weight, bake in plan:
        need = n if scale == "full" else canary_count(weight, n)
        if need > live:
            launched.append((t, need - live))
            t, live = t + PROV, need
        shifted.append((t, weight / 100))
        t += bake
    if live < n:
        launched.append((t, n - live))
        t += PROV
    shifted.append((t, 1.0))
    return launched, shifted, t + delay


def same_run(a, b):
    return steady(a.summary) == steady(b.summary)


# ---------------------------------------------------------------- Argo steps


def test_argo_steps_size_the_canary_by_weight_rounded_up_and_keep_the_stable_fleet_whole():
    """25 instances, weights 10/28/50: 2.5 -> 3, 7 -> 7 (0.28 x 25 is 7.000000000000001 in
    floating point, which a naive ceil would make 8), 12.5 -> 13."""
    n, plan = 25, [(10, 300), (28, 300), (50, 300)]
    res = ds.simulate(canary({"steps": steps(*plan)}, instances=n), seed=2)
    launched, shifted, end = timeline(plan, n)

    assert [(t, c) for t, c, name in launches(res)] == launched
    assert {name for _, _, name in launches(res)} == {"v2"}
    assert [(t, w["v2"]) for t, w in shifts(res)] == [(t, pytest.approx(w)) for t, w in shifted]
    assert [1 - w["v1"] for _, w in shifts(res)] == pytest.approx([w for _, w in shifted])

    # in service per step, from the metrics (time-weighted mean over whole periods)
    bounds = [t for t, _ in shifted]
    for (weight, _), t0, t1 in zip(plan, bounds, bounds[1:], strict=False):
        inside = periods(res, "v2", t0, t1)
        assert len(inside) >= 5
        assert inside["instances"].tolist() == pytest.approx(
            [canary_count(weight, n)] * len(inside)
        )
    # the stable fleet is never scaled down while the canary grows
    stable = periods(res, "v1", 0, bounds[-1])
    assert stable["instances"].tolist() == pytest.approx([n] * len(stable))
    assert terminations(res) == [(end, n, "v1")]


def test_scale_full_launches_the_whole_fleet_for_the_canary_up_front():
    n, plan = 4, [(30, 120), (60, 180)]
    res = ds.simulate(canary({"steps": steps(*plan), "scale": "full"}, instances=n), seed=2)
    launched, shifted, end = timeline(plan, n, scale="full")
    assert launched == [(START, n)]
    assert launches(res) == [(START, n, "v2")]
    assert [(t, w["v2"]) for t, w in shifts(res)] == [(t, pytest.approx(w)) for t, w in shifted]
    inside = periods(res, "v2", shifted[0][0], shifted[-1][0])
    assert inside["instances"].tolist() == pytest.approx([n] * len(inside))
    stable = periods(res, "v1", 0, shifted[-1][0])
    assert stable["instances"].tolist() == pytest.approx([n] * len(stable))
    assert terminations(res) == [(end, n, "v1")]


def share_within_tolerance(res, versions, shifted, weights_of):
    """Each version's share of the requests in every step matches its weight.

    Periods wholly inside a step, skipping the first one (requests routed before the
    shift that end after it are counted there). Routing is independent per request, so
    a version's count is binomial given the total; the tolerance is 4.5 standard errors
    (two-sided false alarm ~7e-6 per check) and n per step is several thousand.
    """
    bounds = [t for t, _ in shifted]
    checked = 0
    for t0, t1 in zip(bounds, bounds[1:], strict=False):
        counts = {v: periods(res, v, t0 + PERIOD, t1)["Invocations"].sum() for v in versions}
        total = sum(counts.values())
        assert total >= 2000
        for version, weight in weights_of(t0).items():
            share = counts[version] / total
            se = math.sqrt(weight * (1 - weight) / total)
            assert abs(share - weight) <= 4.5 * se + 1e-12, (t0, version, share, weight)
            checked += 1
    return checked


def test_traffic_share_of_each_version_follows_the_weights():
    """Seed 3, 50 req/s, 5 min bakes: 12000-18000 requests per step (4-6 whole periods,
    provisioning for the next step included, the weight being unchanged meanwhile)."""
    plan = [(10, 300), (25, 300), (60, 300)]
    res = ds.simulate(canary({"steps": steps(*plan)}), seed=3)
    _, shifted, _ = timeline(plan, 4)
    weights = dict(shifted)
    checked = share_within_tolerance(
        res, ("v1", "v2"), shifted, lambda t: {"v2": weights[t], "v1": 1 - weights[t]}
    )
    assert checked == 2 * len(plan)


def test_argo_pauses_are_timers_under_a_background_analysis():
    """With the Argo gate the analysis runs beside the steps: each pause lasts exactly its
    duration (90 s, 0 s, 30 s here), whatever the 60 s measurement interval."""
    plan = [(10, 90), (20, 0), (30, 30)]
    strategy = {"steps": steps(*plan), "gate": {"type": "argo", "interval": 60}}
    res = ds.simulate(canary(strategy, duration=1800), seed=8)
    launched, shifted, end = timeline(plan, 4)
    assert [(t, w["v2"]) for t, w in shifts(res)] == [(t, pytest.approx(w)) for t, w in shifted]
    assert [(t, c) for t, c, _ in launches(res)] == launched
    assert terminations(res) == [(end, 4, "v1")]


def test_argo_first_pause_is_not_held_for_the_first_measurement():
    """A first pause shorter than the analysis interval: no measurement has been taken
    yet, which is not an inconclusive (low-traffic) one, so the pause still lasts 30 s.
    Shifts at 420, 450 and 480 s."""
    plan = [(10, 30), (20, 30), (25, 30)]
    strategy = {"steps": steps(*plan), "gate": {"type": "argo", "interval": 60}}
    res = ds.simulate(canary(strategy, duration=1800), seed=8)
    _, shifted, _ = timeline(plan, 4)
    assert [(t, w["v2"]) for t, w in shifts(res)] == [(t, pytest.approx(w)) for t, w in shifted]


def test_a_gate_that_fires_during_a_scale_up_rolls_back_at_once():
    """Argo failureLimit 1: the 10% step's 60 s pause ends at the first failed measurement
    (1 failure is within the limit), the canary starts growing to 2 instances (ready 120 s
    later) and the second failure, one interval on, aborts without waiting for them.
    error_rate 0.05 on ~300 canary requests a minute: P(a minute without errors) ~ 2e-7."""
    gate = {"type": "argo", "interval": 60, "failure_limit": 1}
    strategy = {"steps": steps((10, 60), (50, 60)), "gate": gate}
    res = ds.simulate(canary(strategy, defect={"error_rate": 0.05}, duration=1800), seed=9)
    first = START + PROV
    grow = first + 60
    assert launches(res) == [(START, 1, "v2"), (grow, canary_count(50, 4) - 1, "v2")]
    trig = timed_first(res, "RollbackTriggered")
    assert trig == grow + 60 < grow + PROV
    assert shifts(res)[-1] == (trig, {"v1": 1.0, "v2": 0.0})
    assert all(w["v2"] <= 0.1 for _, w in shifts(res))
    # the instances still provisioning go with the rest, scale_down_delay later
    assert terminations(res) == [(trig + 30.0, canary_count(50, 4), "v2")]
    assert res.summary["outcome"] == "rolled_back"


# ---------------------------------------------------------------- Flagger form


def flagger_timeline(weights, n, interval):
    """A healthy canary's launches, weight shifts and end on Flagger's ticks.

    Read from fluxcd/flagger pkg/controller/scheduler.go (advanceCanary): the tick that
    sees the new revision (START) scales the canary to full size; the first tick on which
    it is ready sets the first weight, each tick after a passing check the next one; the
    check that passes the last weight starts the promotion, the next tick routes all
    traffic to the new version and the one after scales the old pods down.
    """
    first = START + interval * max(1, math.ceil(PROV / interval))
    shifted = [(first + k * interval, w / 100) for k, w in enumerate(weights)]
    full = first + (len(weights) + 1) * interval
    return [(START, n)], [*shifted, (full, 1.0)], full + interval


@pytest.mark.parametrize(
    "step, top",
    [(10, 50), (20, 50), (30, 100), (15, 40), (60, 50), (25, 100), (30, 80)],
)
def test_flagger_step_weight_adds_steps_until_max_weight_is_reached_or_passed(step, top):
    """runCanary adds stepWeight while the weight is below maxWeight, capping it at 100
    only: the last weight is the first multiple of the step at or above maxWeight."""
    weights = ds.load_scenario(canary({"step_weight": step, "max_weight": top})).strategy.weights()
    assert weights == pytest.approx([min(k * step, 100) for k in range(1, len(weights) + 1)])
    assert weights[-1] >= top and all(w < top for w in weights[:-1])


def test_flagger_step_weight_20_max_weight_50_goes_20_40_60_on_its_ticks():
    """Flagger's docs ("Rollout Weights": increasing by 20 until the weight goes above 50)
    and its scheduler give 20, 40, 60, then promotion: each weight one interval (60 s)."""
    res = ds.simulate(canary({"step_weight": 20, "max_weight": 50}), seed=4)
    launched, shifted, end = flagger_timeline([20, 40, 60], 4, PERIOD)
    assert [(t, w["v2"]) for t, w in shifts(res)] == [(t, pytest.approx(w)) for t, w in shifted]
    assert [(t, c) for t, c, _ in launches(res)] == launched
    assert res.summary["outcome"] == "promoted" and res.summary["reached_full_traffic"]
    assert kind(res, "UpdateComplete")[["time", "detail"]].values.tolist() == [[end, "promoted"]]
    assert terminations(res) == [(end, 4, "v1")]


@pytest.mark.parametrize("interval", [60, 120, 90])
def test_flagger_step_weights_are_each_held_for_one_interval_on_its_ticks(interval):
    """With a 90 s interval the canary, ready at 120 s, waits for the tick at 180 s."""
    strategy = {"step_weights": [5, 30, 60], "gate": {"type": "flagger", "interval": interval}}
    res = ds.simulate(canary(strategy), seed=4)
    launched, shifted, end = flagger_timeline([5, 30, 60], 4, interval)
    assert [(t, w["v2"]) for t, w in shifts(res)] == [(t, pytest.approx(w)) for t, w in shifted]
    assert [(t, c) for t, c, _ in launches(res)] == launched
    assert terminations(res) == [(end, 4, "v1")]


def test_flagger_step_weights_must_increase():
    with pytest.raises(ds.ScenarioError, match=r"step_weights must increase"):
        ds.load_scenario(canary({"step_weights": [10, 10, 50]}))


# ---------------------------------------------------------------- Kayenta baseline


def test_kayenta_runs_a_baseline_of_the_old_version_sized_and_weighted_like_the_canary():
    """Seed 5; the shares use the same binomial tolerance as above (4.5 SE)."""
    n, plan = 4, [(20, 300), (40, 300)]
    strategy = {"steps": steps(*plan), "gate": {"type": "kayenta", "interval": 300}}
    res = ds.simulate(canary(strategy, instances=n), seed=5)

    canaries = [(t, c) for t, c, name in launches(res) if name == "v2"]
    baseline = [(t, c) for t, c, name in launches(res) if name == "v1-baseline"]
    assert {name for _, _, name in launches(res)} == {"v2", "v1-baseline"}
    # launched together, one for one, until promotion scales the canary alone to full size
    assert baseline == canaries[: len(baseline)]
    sizes = [canary_count(w, n) for w, _ in plan]
    assert [c for _, c in baseline] == [b - a for a, b in zip([0, *sizes], sizes, strict=False)]

    steps_seen = [w for _, w in shifts(res) if w["v2"] < 1]
    assert [w["v2"] for w in steps_seen] == pytest.approx([w / 100 for w, _ in plan])
    for w in steps_seen:
        assert w["v1-baseline"] == w["v2"]
        assert w["v1"] == pytest.approx(1 - 2 * w["v2"])
    assert "v1-baseline" in set(res.metrics["version"])
    assert len(kind(res, "CanaryJudgement")) >= len(plan)

    shifted = [(t, w["v2"]) for t, w in shifts(res)]
    weights = dict(shifted)
    checked = share_within_tolerance(
        res, ("v1", "v2", "v1-baseline"), shifted,
        lambda t: {"v2": weights[t], "v1-baseline": weights[t], "v1": 1 - 2 * weights[t]},
    )  # fmt: skip
    assert checked == 3 * len(plan)
    # baseline in service at the canary's size in each step
    bounds = [t for t, _ in shifted]
    for (weight, _), t0, t1 in zip(plan, bounds, bounds[1:], strict=False):
        inside = periods(res, "v1-baseline", t0, t1)
        assert inside["instances"].tolist() == pytest.approx(
            [canary_count(weight, n)] * len(inside)
        )

    assert res.summary["outcome"] == "promoted"
    end = terminations(res)
    assert {name for _, _, name in end} == {"v1", "v1-baseline"}
    assert len({t for t, _, _ in end}) == 1 and end[0][0] == shifted[-1][0] + 30.0


@pytest.mark.parametrize(
    "strategy",
    [
        {"steps": steps((10, 60), (60, 60))},
        {"step_weight": 30, "max_weight": 60},
        {"step_weights": [10, 51]},
    ],
)
def test_kayenta_rejects_weights_above_50(strategy):
    with pytest.raises(ds.ScenarioError, match=r"strategy: .*kayenta.*50"):
        ds.load_scenario(canary(strategy | {"gate": {"type": "kayenta"}}))


def test_kayenta_accepts_a_weight_of_exactly_50():
    sc = ds.load_scenario(canary({"steps": steps((25, 60), (50, 60)), "gate": {"type": "kayenta"}}))
    assert sc.strategy.weights() == [25, 50]


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("flagger", [{"step_weight": 10}, {"step_weights": [10, 20]}])
def test_argo_steps_and_flagger_weights_together_are_rejected(flagger):
    with pytest.raises(ds.ScenarioError) as err:
        ds.load_scenario(canary({"steps": steps((10, 60))} | flagger))
    message = str(err.value)
    assert "strategy:" in message and "'steps'" in message and "'step_weight" in message


@pytest.mark.parametrize(
    "strategy, field",
    [
        ({"steps": [{"weight": 0}]}, "strategy.steps.0.weight"),
        ({"steps": [{"weight": 101}]}, "strategy.steps.0.weight"),
        ({"step_weight": 0}, "strategy.step_weight"),
        ({"max_weight": 120}, "strategy.max_weight"),
        ({"scale": "half"}, "strategy.scale"),
    ],
)
def test_bad_canary_fields_are_named(strategy, field):
    with pytest.raises(ds.ScenarioError, match=re.escape(field) + ":"):
        ds.load_scenario(canary(strategy))


@pytest.mark.parametrize(
    "weights",
    [
        [150],  # a canary of 6 instances on a fleet of 4, weight 1.5
        [-10, 20],  # a negative routing weight: no canary traffic, the rollout never ends
        [0, 20],
    ],
)
def test_flagger_step_weights_are_percentages_like_step_weight(weights):
    """stepWeights are traffic percentages (0, 100], as step_weight and steps[].weight are."""
    with pytest.raises(ds.ScenarioError, match=r"strategy\.step_weights"):
        ds.load_scenario(canary({"step_weights": weights}))


# ---------------------------------------------------------------- promote and roll back


def test_healthy_canary_is_promoted_and_the_stable_fleet_goes_after_scale_down_delay():
    n, delay, duration = 4, 90.0, 3600
    plan = [(10, 120), (50, 180)]
    res = ds.simulate(canary({"steps": steps(*plan), "scale_down_delay": delay}), seed=6)
    launched, shifted, end = timeline(plan, n, delay=delay)
    s = res.summary
    assert s["outcome"] == "promoted" and s["reached_full_traffic"] and not s["false_rollback"]
    assert shifts(res)[-1] == (shifted[-1][0], {"v2": 1.0, "v1": 0.0})
    assert terminations(res) == [(end, n, "v1")]
    assert kind(res, "UpdateComplete")[["time", "detail"]].values.tolist() == [[end, "promoted"]]
    assert s["rollout_duration_s"] == end - START
    assert s["time_to_detect_s"] is None and kind(res, "RollbackTriggered").empty

    # all traffic on v2 once the full shift is made
    after_v1 = periods(res, "v1", shifted[-1][0] + PERIOD, duration)["Invocations"]
    after_v2 = periods(res, "v2", shifted[-1][0] + PERIOD, duration)["Invocations"]
    assert after_v1.sum() == 0 and (after_v2 > 0).all()
    # cost = price x instance-seconds: v1 until its termination, each v2 launch to the end
    v2_seconds = sum(c * (duration - t) for t, c in launched)
    assert s["cost_by_version"]["v1"] == pytest.approx(PRICE * n * end / 3600)
    assert s["cost_by_version"]["v2"] == pytest.approx(PRICE * v2_seconds / 3600)
    assert conserved(s)


def test_defective_canary_is_rolled_back_before_full_traffic():
    """error_rate 0.05 against a 0.1% error check: the first Flagger check (60 s of ~300
    canary requests; P(no error) = 0.95^300 ~ 2e-7) fails and threshold 1 rolls back on
    the next tick, one interval later, as Flagger's scheduler does."""
    delay = 45.0
    res = ds.simulate(canary({"scale_down_delay": delay}, defect={"error_rate": 0.05}), seed=7)
    first = START + PROV  # the default steps start at 10%: one canary instance to provision
    s = res.summary
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    assert all(w["v2"] < 1 for _, w in shifts(res))

    kinds = res.events["kind"].tolist()
    trig, done = kinds.index("RollbackTriggered"), kinds.index("RollbackComplete")
    assert trig < done
    t_trig = res.events["time"].iloc[trig]
    assert kind(res, "AnalysisFailed")["time"].tolist() == [first + PERIOD]
    assert t_trig == first + 2 * PERIOD
    assert s["time_to_detect_s"] == 2 * PERIOD
    # the stable fleet was never scaled down: traffic goes back at once
    assert s["time_to_rollback_s"] == 0.0
    assert res.events["time"].iloc[done] == t_trig
    assert shifts(res)[-1] == (t_trig, {"v1": 1.0, "v2": 0.0})
    # the canary goes scale_down_delay later (abortScaleDownDelaySeconds)
    assert terminations(res) == [(t_trig + delay, 1, "v2")]
    complete = kind(res, "UpdateComplete")[["time", "detail"]].values.tolist()
    assert complete == [[t_trig + delay, "rolled_back"]]
    assert periods(res, "v2", t_trig + PERIOD, 3600)["Invocations"].sum() == 0
    assert s["blast_radius"] > 0 and conserved(s)


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize(
    "strategy, defect",
    [
        ({"steps": steps((20, 120), (50, 120))}, {"error_rate": 0.05}),
        ({"step_weight": 25, "gate": {"type": "flagger", "threshold": 3}}, {"latency_factor": 2}),
        ({"steps": steps((20, 300)), "gate": {"type": "kayenta"}}, None),
    ],
)
def test_same_seed_same_summary_and_events(strategy, defect):
    a = ds.simulate(canary(strategy, defect), seed=11)
    b = ds.simulate(canary(strategy, defect), seed=11)
    assert same_run(a, b)
    assert a.events.equals(b.events)
    assert a.metrics.equals(b.metrics)
    other = ds.simulate(canary(strategy, defect), seed=12)
    assert other.summary["requests"] != a.summary["requests"]


@pytest.mark.parametrize("defect", [None, {"error_rate": 0.05}])
def test_every_request_has_exactly_one_outcome(defect):
    """A loss system (no queue), a tight deadline and baseline errors: every term occurs."""
    sc = canary(
        {"steps": steps((20, 120), (50, 120))},
        defect,
        rate=70,
        fleet={"queue_capacity": 0, "timeout": 0.15, "error_rate": 0.01},
    )
    s = ds.simulate(sc, seed=13).summary
    assert s["completed"] > 0 and s["errors"] > 0 and s["rejected"] > 0 and s["timed_out"] > 0
    assert conserved(s)
