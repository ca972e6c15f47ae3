"""Blue/green as SageMaker's BlueGreenUpdatePolicy: full green fleet, shifts, bakes, timeouts.

The release starts at 300 s, instances provision in 120 s, and the monitoring period
(the default alarms gate's evaluation interval) is 60 s. With wait intervals that are
whole periods every bake ends exactly, so event times are exact.
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

START, PROV, PERIOD = builders.WARMUP, builders.PROVISIONING, builders.PERIOD
PRICE = catalog.target_info("ml.c5.xlarge")["price_per_hour"]


def blue_green(strategy=None, defect=None, **kw):
    """The usual release (tests/builders.py) by blue/green, with `strategy`'s fields."""
    return builders.release(
        {"type": "blue_green", **(strategy or {})}, defect, name="blue-green", **kw
    )


def expected_shifts(shares, wait):
    """Green's share after each shift: the first as soon as green serves, then one per bake."""
    first = START + PROV
    return [(first + k * wait, share) for k, share in enumerate(shares)]


def green_shares(res):
    return [(t, w["v2"]) for t, w in shifts(res)]


# ---------------------------------------------------------------- green at full size


def test_green_is_provisioned_at_full_size_before_any_shift_and_doubles_the_bill():
    n, wait, duration = 4, 300.0, 1800
    res = ds.simulate(blue_green({"wait_interval": wait}, instances=n, duration=duration), seed=1)
    s = res.summary
    assert launches(res) == [(START, n, "v2")]
    assert green_shares(res) == [(START + PROV, 1.0)]
    end = START + PROV + wait
    assert terminations(res) == [(end, n, "v1")]
    assert timed(res, "UpdateComplete") == [[end, "promoted"]]

    # both fleets billed from green's launch until blue goes: 2N instances
    both = res.metrics.groupby("time_s")["billed_instances"].sum()
    window = both[(both.index >= START) & (both.index + PERIOD <= end)]
    assert len(window) == (end - START) / PERIOD
    assert window.tolist() == pytest.approx([2 * n] * len(window))
    outside = both[(both.index + PERIOD <= START) | (both.index >= end)]
    assert outside.tolist() == pytest.approx([n] * len(outside))
    # the update window costs price x 2N x its length
    assert s["update_cost_usd"] == pytest.approx(PRICE * 2 * n * (end - START) / 3600)
    assert s["rollout_duration_s"] == end - START
    assert s["cost_usd"] == pytest.approx(PRICE * n * (end + duration - START) / 3600)
    # green serves nothing before the shift
    assert periods(res, "v2", 0, START + PROV)["Invocations"].sum() == 0


def test_all_at_once_shifts_everything_once_then_bakes():
    wait = 240.0
    res = ds.simulate(blue_green({"traffic": "ALL_AT_ONCE", "wait_interval": wait}), seed=2)
    assert shifts(res) == [(START + PROV, {"v2": 1.0, "v1": 0.0})]
    assert timed(res, "UpdateComplete") == [[START + PROV + wait, "promoted"]]
    assert res.summary["reached_full_traffic"]


# ---------------------------------------------------------------- CANARY and LINEAR


@pytest.mark.parametrize(
    "size, count",
    [
        ("30%", 2),  # 2.4 instances of 8, rounded down
        ("10%", 1),  # 0.8 rounds down to 0: at least one instance
        ("50%", 4),  # the largest allowed
        (0.25, 2),  # a fraction is a percentage
        (3, 3),  # INSTANCE_COUNT
        ("3", 3),  # a count written as text
    ],
)
def test_canary_shifts_the_canary_share_then_everything(size, count):
    n, wait = 8, 180.0
    strategy = {"traffic": "CANARY", "canary_size": size, "wait_interval": wait}
    spec = ds.load_scenario(blue_green(strategy, instances=n)).strategy
    assert spec.shares(n) == pytest.approx([count / n, 1.0])
    res = ds.simulate(blue_green(strategy, instances=n, duration=1800), seed=3)
    expected = expected_shifts([count / n, 1.0], wait)
    assert green_shares(res) == [(t, pytest.approx(w)) for t, w in expected]
    assert [1 - w["v1"] for _, w in shifts(res)] == pytest.approx([w for _, w in expected])
    assert timed(res, "UpdateComplete") == [[expected[-1][0] + wait, "promoted"]]


@pytest.mark.parametrize(
    "n, step, per_shift",
    [
        (8, "25%", 2),
        (8, "30%", 2),  # 2.4 rounded down
        (8, 3, 3),  # INSTANCE_COUNT 3: 3, 6, then the last 2
        (5, "20%", 1),
        (10, "50%", 5),
    ],
)
def test_linear_steps_add_the_step_share_each_bake(n, step, per_shift):
    wait = 120.0
    strategy = {"traffic": "LINEAR", "linear_step": step, "wait_interval": wait}
    shifts_needed = math.ceil(n / per_shift)
    shares = [min(k * per_shift, n) / n for k in range(1, shifts_needed + 1)]
    res = ds.simulate(blue_green(strategy, instances=n, duration=2400), seed=4)
    expected = expected_shifts(shares, wait)
    assert green_shares(res) == [(t, pytest.approx(w)) for t, w in expected]
    assert len(shifts(res)) == shifts_needed and shares[-1] == 1.0
    end = expected[-1][0] + wait
    assert terminations(res) == [(end, n, "v1")]


def test_linear_deactivates_the_same_size_portion_of_blue_and_bills_it_to_the_end():
    """SageMaker's developer guide ("Use linear traffic shifting"): each step turns a portion
    of green on and deactivates the same size portion of blue. So every active instance,
    blue or green, keeps the pre-release load, 50 req/s / 4 = 750 requests a period, while
    all 8 stay billed until blue is terminated. Seed 3; a step's 5 periods hold Poisson
    counts of mean 750 k over k active instances, so the per-instance mean has SD at most
    sqrt(750 / 5) = 12.2; the tolerance is 5 SD (61). Without the deactivation blue's
    instances would share 75%, 50%, 25% of the load: 562, 375, 188 a period."""
    n, wait = 4, 300.0
    strategy = {"traffic": "LINEAR", "linear_step": "25%", "wait_interval": wait}
    res = ds.simulate(blue_green(strategy, instances=n, duration=2400), seed=3)
    shares = [0.25, 0.5, 0.75, 1.0]
    steps = expected_shifts(shares, wait)
    active = kind(res, "ActiveInstances")[["time", "variant", "count"]].values.tolist()
    assert active == [row for (t, share) in steps
                      for row in ([t, "v2", round(share * n)], [t, "v1", n - round(share * n)])]
    for t, share in steps[:-1]:
        for version, on in (("v2", round(share * n)), ("v1", n - round(share * n))):
            rows = periods(res, version, t, t + wait)
            assert len(rows) == wait / PERIOD and (rows["instances"] == on).all()
            assert rows["InvocationsPerInstance"].mean() == pytest.approx(750, abs=61)
    gone = steps[-1][0] + wait
    assert terminations(res) == [(gone, n, "v1")]
    both = periods(res, "v1", START, gone)["billed_instances"]
    assert (both == n).all() and (periods(res, "v2", START, gone)["billed_instances"] == n).all()
    assert res.summary["update_cost_usd"] == pytest.approx(PRICE * 2 * n * (gone - START) / 3600)


def test_linear_rollback_turns_every_blue_instance_back_on_at_once():
    """A defect failing every request trips the derived alarm in the first period of the
    first step; the rollback reactivates all of blue and moves the traffic in the same
    instant (deactivated instances are still provisioned), so nothing is re-launched."""
    strategy = {"traffic": "LINEAR", "linear_step": "25%", "wait_interval": 300}
    res = ds.simulate(blue_green(strategy, {"error_rate": 1.0}, duration=1800), seed=3)
    (back,) = kind(res, "RollbackTriggered")["time"].tolist()
    last = kind(res, "ActiveInstances")[["time", "variant", "count"]].values.tolist()[-1]
    assert last == [back, "v1", 4]
    assert shifts(res)[-1] == (back, {"v1": 1.0, "v2": 0.0})
    assert launches(res) == [(START, 4, "v2")]
    assert res.summary["time_to_rollback_s"] == 0.0
    assert (periods(res, "v1", back + PERIOD, 1800)["instances"] == 4).all()


@pytest.mark.parametrize("wait", [90.0, 150.0])
def test_a_bake_is_exactly_wait_interval_even_between_alarm_periods(wait):
    """WaitIntervalInSeconds is an exact wait; the alarms are evaluated every period
    meanwhile, so a bake that is not a whole number of periods is not rounded up."""
    strategy = {"traffic": "LINEAR", "linear_step": "25%", "wait_interval": wait}
    res = ds.simulate(blue_green(strategy), seed=2)
    expected = expected_shifts([0.25, 0.5, 0.75, 1.0], wait)
    assert green_shares(res) == [(t, pytest.approx(w)) for t, w in expected]
    assert kind(res, "UpdateComplete")["time"].tolist() == [START + PROV + 4 * wait]


def test_termination_wait_keeps_blue_after_the_last_bake():
    n, wait, keep = 4, 120.0, 420.0
    strategy = {"traffic": "CANARY", "canary_size": 1, "wait_interval": wait,
                "termination_wait": keep}  # fmt: skip
    res = ds.simulate(blue_green(strategy, instances=n, duration=1800), seed=6)
    full = expected_shifts([1 / n, 1.0], wait)[-1][0]
    gone = full + wait + keep
    assert terminations(res) == [(gone, n, "v1")]
    assert timed(res, "UpdateComplete") == [[gone, "promoted"]]
    # blue is billed (and idle) until then
    blue = periods(res, "v1", full + PERIOD, gone)
    assert (blue["billed_instances"] == n).all() and blue["Invocations"].sum() == 0
    assert periods(res, "v1", gone, 1800)["billed_instances"].sum() == 0


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "strategy, field",
    [
        ({"traffic": "CANARY", "canary_size": "60%"}, "canary_size"),
        ({"traffic": "CANARY", "canary_size": 0.51}, "canary_size"),
        ({"traffic": "LINEAR", "linear_step": "5%"}, "linear_step"),
        ({"traffic": "LINEAR", "linear_step": "55%"}, "linear_step"),
    ],
)
def test_percent_sizes_out_of_range_are_rejected(strategy, field):
    with pytest.raises(ds.ScenarioError, match=f"strategy: {field} must"):
        ds.load_scenario(blue_green(strategy))


@pytest.mark.parametrize(
    "strategy",
    [
        {"traffic": "CANARY", "canary_size": "50%"},
        {"traffic": "LINEAR", "linear_step": "10%"},
        {"traffic": "LINEAR", "linear_step": "50%"},
    ],
)
def test_percent_sizes_at_the_limits_are_accepted(strategy):
    ds.load_scenario(blue_green(strategy))


@pytest.mark.parametrize(
    "size",
    [
        3,  # INSTANCE_COUNT 3 of 4 is 75% of the fleet: CanarySize must be <= 50%
        4,  # the whole fleet
        0,  # CapacitySize Value must be >= 1
    ],
)
def test_canary_instance_counts_are_checked_against_the_fleet(size):
    with pytest.raises(ds.ScenarioError, match="canary_size"):
        ds.load_scenario(blue_green({"traffic": "CANARY", "canary_size": size}, instances=4))


@pytest.mark.parametrize(
    "field, value",
    [
        ("wait_interval", 3601),
        ("termination_wait", 3601),
        ("max_execution_timeout", 599),
        ("max_execution_timeout", 28801),
        ("traffic", "ROLLING"),
    ],
)
def test_sagemaker_limits_are_enforced(field, value):
    with pytest.raises(ds.ScenarioError, match=f"strategy.{field}:"):
        ds.load_scenario(blue_green({field: value}))


# ---------------------------------------------------------------- rollback


def test_defective_canary_is_shifted_back_to_blue_during_the_canary_bake():
    """error_rate 0.05 on a quarter of 50 req/s: the first alarm evaluation sees ~750 green
    requests (P(no error) ~ 2e-17) against the SLO's 0.1%, one period after the shift."""
    n, wait, delay = 4, 300.0, 30.0
    strategy = {"traffic": "CANARY", "canary_size": 1, "wait_interval": wait}
    res = ds.simulate(blue_green(strategy, defect={"error_rate": 0.05}, instances=n), seed=7)
    s = res.summary
    shifted = START + PROV
    trig = timed(res, "RollbackTriggered")[0][0]
    assert shifted < trig < shifted + wait  # during the canary bake
    assert trig == shifted + PERIOD
    assert shifts(res) == [(shifted, {"v2": 1 / n, "v1": 1 - 1 / n}),
                           (trig, {"v1": 1.0, "v2": 0.0})]  # fmt: skip
    assert timed(res, "RollbackComplete") == [[trig, "all traffic on v1"]]
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    assert s["time_to_detect_s"] == PERIOD and s["time_to_rollback_s"] == 0.0
    # green goes after scale_down_delay; blue (never scaled down) stays
    assert terminations(res) == [(trig + delay, n, "v2")]
    assert timed(res, "UpdateComplete") == [[trig + delay, "rolled_back"]]
    assert periods(res, "v2", trig + PERIOD, 3600)["Invocations"].sum() == 0
    assert s["blast_radius"] > 0 and conserved(s)


def test_exceeding_max_execution_timeout_rolls_back():
    """LINEAR 25% of 4 with 5 min bakes needs 120 s + 4 x 300 s = 1320 s > the 600 s
    timeout: rolled back no later than the end of the bake in which it ran out."""
    wait, timeout = 300.0, 600.0
    strategy = {"traffic": "LINEAR", "linear_step": "25%", "wait_interval": wait,
                "max_execution_timeout": timeout}  # fmt: skip
    res = ds.simulate(blue_green(strategy), seed=8)
    s = res.summary
    deadline = START + timeout
    ((trig, cause),) = kind(res, "RollbackTriggered")[["time", "cause"]].values.tolist()
    assert cause == "timeout"  # MaximumExecutionTimeoutInSeconds
    assert deadline <= trig <= deadline + wait
    forward = [(t, w["v2"]) for t, w in shifts(res) if t < trig]
    assert all(t <= deadline for t, _ in forward)
    assert forward == [(t, pytest.approx(w)) for t, w in expected_shifts([0.25, 0.5], wait)]
    assert shifts(res)[-1] == (trig, {"v1": 1.0, "v2": 0.0})
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    assert s["false_rollback"]  # the release was healthy: the clock, not a defect

    # the same rollout with enough time is promoted
    enough = strategy | {"max_execution_timeout": PROV + 4 * wait + PERIOD}
    assert ds.simulate(blue_green(enough), seed=8).summary["outcome"] == "promoted"


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize(
    "strategy, defect",
    [
        ({"traffic": "CANARY", "canary_size": 1, "wait_interval": 300}, {"error_rate": 0.05}),
        ({"traffic": "LINEAR", "linear_step": "25%", "wait_interval": 120}, None),
    ],
)
def test_same_seed_same_summary_and_events(strategy, defect):
    sc = blue_green(strategy, defect)
    a, b = ds.simulate(sc, seed=31), ds.simulate(sc, seed=31)
    strip = ("wall_s", "requests_per_s")
    assert {k: v for k, v in a.summary.items() if k not in strip} == {
        k: v for k, v in b.summary.items() if k not in strip
    }
    assert a.events.equals(b.events) and a.metrics.equals(b.metrics)
    assert ds.simulate(sc, seed=32).summary["requests"] != a.summary["requests"]


@pytest.mark.parametrize("traffic", ["ALL_AT_ONCE", "CANARY", "LINEAR"])
def test_every_request_has_exactly_one_outcome(traffic):
    """A loss system with a tight deadline and baseline errors: every term occurs."""
    sc = blue_green(
        {"traffic": traffic, "wait_interval": 120},
        {"error_rate": 0.02},
        rate=70,
        fleet={"queue_capacity": 0, "timeout": 0.15, "error_rate": 0.005},
    )
    s = ds.simulate(sc, seed=33).summary
    assert s["completed"] > 0 and s["errors"] > 0 and s["rejected"] > 0 and s["timed_out"] > 0
    assert conserved(s)
