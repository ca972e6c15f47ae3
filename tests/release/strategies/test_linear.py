"""Linear: blue/green that always shifts in equal LINEAR steps (SageMaker, CodeDeploy).

The release starts at 300 s, instances provision in 120 s, and the monitoring period
(the default alarms gate's evaluation interval) is 60 s; wait intervals are whole
periods, so every event time is exact.
"""

import math
from fractions import Fraction

import pytest

import simulator as ds
from simulator import catalog
from tests import builders
from tests.release.strategies.audit import conserved, launches, periods, shifts, terminations, timed

START, PROV, PERIOD = builders.WARMUP, builders.PROVISIONING, builders.PERIOD
PRICE = catalog.target_info("ml.c5.xlarge")["price_per_hour"]


def linear(strategy=None, defect=None, duration=2400, **kw):
    """40 min of the usual release (tests/builders.py) by linear, with `strategy`'s fields."""
    return builders.release({"type": "linear", **(strategy or {})}, defect, name="linear",
                            duration=duration, **kw)  # fmt: skip


def step_instances(step, n):
    """LinearStepSize in instances: a count as given, a percentage of n rounded down, >= 1."""
    if isinstance(step, int):
        return step
    share = Fraction(step[:-1]) / 100 if isinstance(step, str) else Fraction(str(step))
    return max(1, math.floor(share * n))


# ---------------------------------------------------------------- the type


@pytest.mark.parametrize("traffic", ["CANARY", "ALL_AT_ONCE"])
def test_linear_rejects_any_other_traffic_routing(traffic):
    with pytest.raises(ds.ScenarioError, match=r"strategy\.traffic: .*'LINEAR'"):
        ds.load_scenario(linear({"traffic": traffic}))


def test_linear_is_linear_by_default_and_accepts_linear_explicitly():
    assert ds.load_scenario(linear({})).strategy.traffic == "LINEAR"
    assert ds.load_scenario(linear({"traffic": "LINEAR"})).strategy.traffic == "LINEAR"


def test_linear_runs_as_blue_green_linear_would():
    """Same fields, same seed: the linear type and blue_green with LINEAR give one run."""
    fields = {"linear_step": "25%", "wait_interval": 120, "termination_wait": 60}
    a = ds.simulate(linear(fields), seed=1)
    b = ds.simulate(linear(fields | {"type": "blue_green", "traffic": "LINEAR"}), seed=1)
    assert a.events.equals(b.events) and a.metrics.equals(b.metrics)
    assert a.summary["strategy"] == "linear" and b.summary["strategy"] == "blue_green"


# ---------------------------------------------------------------- steps


@pytest.mark.parametrize(
    "n, step",
    [
        (8, None),  # the default, 20%: 1.6 rounds down to one instance a step, 8 shifts
        (4, "20%"),  # 0.8 rounds down to 0, at least one: 4 shifts
        (5, "20%"),  # one instance a step: 5 shifts
        (10, "30%"),  # 3 a step: 0.3, 0.6, 0.9, then the rest: 4 shifts
        (10, "50%"),  # 2 shifts
        (6, 2),  # INSTANCE_COUNT: 3 shifts
        (7, 0.3),  # 2.1 -> 2 a step: 2, 4, 6, 7 of 7
    ],
)
def test_shifts_step_by_step_to_full_traffic(n, step):
    wait = 120.0
    strategy = {"wait_interval": wait} | ({} if step is None else {"linear_step": step})
    res = ds.simulate(linear(strategy, instances=n), seed=2)
    per = step_instances("20%" if step is None else step, n)
    count = math.ceil(n / per)
    expected = [(START + PROV + k * wait, min((k + 1) * per, n) / n) for k in range(count)]
    seen = [(t, w["v2"]) for t, w in shifts(res)]
    assert seen == [(t, pytest.approx(w)) for t, w in expected]
    assert [1 - w["v1"] for _, w in shifts(res)] == pytest.approx([w for _, w in expected])
    assert seen[-1][1] == 1.0
    # green was provisioned at full size before the first shift
    assert launches(res) == [(START, n, "v2")]
    end = expected[-1][0] + wait
    assert terminations(res) == [(end, n, "v1")]
    assert timed(res, "UpdateComplete") == [[end, "promoted"]]
    s = res.summary
    assert s["reached_full_traffic"] and s["rollout_duration_s"] == end - START
    # blue and green both billed over the whole update window
    assert s["update_cost_usd"] == pytest.approx(PRICE * 2 * n * (end - START) / 3600)


def test_each_step_carries_its_share_of_the_traffic():
    """Seed 3, 50 req/s, 4 steps of 25% with 5 min bakes: ~12000 requests in the 4 whole
    periods after each shift; green's count is binomial given the total, and the
    tolerance is 4.5 standard errors (two-sided false alarm ~7e-6 per step)."""
    n, wait = 4, 300.0
    res = ds.simulate(linear({"linear_step": "25%", "wait_interval": wait}, duration=2400),
                      seed=3)  # fmt: skip
    times = [t for t, _ in shifts(res)]
    for k, (t0, t1) in enumerate(zip(times, times[1:], strict=False)):
        green = periods(res, "v2", t0 + PERIOD, t1)["Invocations"].sum()
        blue = periods(res, "v1", t0 + PERIOD, t1)["Invocations"].sum()
        total, share = green + blue, (k + 1) / n
        assert total >= 8000
        se = math.sqrt(share * (1 - share) / total)
        assert abs(green / total - share) <= 4.5 * se


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("step", ["5%", "9%", "51%", 0.6])
def test_linear_step_outside_10_to_50_percent_is_rejected(step):
    with pytest.raises(ds.ScenarioError, match="strategy: linear_step must be between 10%"):
        ds.load_scenario(linear({"linear_step": step}))


@pytest.mark.parametrize(
    "n, step",
    [
        (4, 3),  # 75% of the fleet
        (4, 4),  # the whole fleet in one step
        (20, 1),  # 5% of the fleet
        (4, 0),  # CapacitySize Value must be >= 1
    ],
)
def test_linear_step_instance_counts_are_checked_against_the_fleet(n, step):
    """LinearStepSize must be 10-50% of the fleet whichever way it is written."""
    with pytest.raises(ds.ScenarioError, match="linear_step"):
        ds.load_scenario(linear({"linear_step": step}, instances=n))


# ---------------------------------------------------------------- gate and timeout


def test_defective_release_is_shifted_back_during_the_first_step():
    """error_rate 0.05 on a quarter of 50 req/s: ~750 green requests in the first period
    (P(no error) ~ 2e-17) against the SLO's 0.1%: the alarm fires one period in."""
    wait = 300.0
    res = ds.simulate(linear({"linear_step": "25%", "wait_interval": wait},
                             defect={"error_rate": 0.05}), seed=4)  # fmt: skip
    s = res.summary
    first = START + PROV
    assert timed(res, "RollbackTriggered")[0][0] == first + PERIOD
    assert shifts(res) == [(first, {"v2": 0.25, "v1": 0.75}),
                           (first + PERIOD, {"v1": 1.0, "v2": 0.0})]  # fmt: skip
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    assert terminations(res) == [(first + PERIOD + 30.0, 4, "v2")]


def test_bakes_beyond_max_execution_timeout_roll_back():
    """20% of 4 (one instance a step) with 4 min bakes takes 120 + 4 x 240 = 1080 s:
    beyond a 600 s timeout, rolled back no later than the bake in which it ran out."""
    wait, timeout = 240.0, 600.0
    res = ds.simulate(linear({"wait_interval": wait, "max_execution_timeout": timeout}), seed=5)
    deadline = START + timeout
    ev = res.events
    ((trig, cause),) = ev.loc[ev["kind"] == "RollbackTriggered", ["time", "cause"]].values.tolist()
    assert cause == "timeout"  # MaximumExecutionTimeoutInSeconds
    assert deadline <= trig <= deadline + wait
    assert all(t <= deadline for t, w in shifts(res) if w.get("v2", 0) > 0)
    assert res.summary["outcome"] == "rolled_back"
    assert not res.summary["reached_full_traffic"]


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize("defect", [None, {"error_rate": 0.05}])
def test_same_seed_same_summary_and_events(defect):
    sc = linear({"linear_step": "25%", "wait_interval": 120}, defect)
    a, b = ds.simulate(sc, seed=41), ds.simulate(sc, seed=41)
    strip = ("wall_s", "requests_per_s")
    assert {k: v for k, v in a.summary.items() if k not in strip} == {
        k: v for k, v in b.summary.items() if k not in strip
    }
    assert a.events.equals(b.events) and a.metrics.equals(b.metrics)
    assert ds.simulate(sc, seed=42).summary["requests"] != a.summary["requests"]


@pytest.mark.parametrize("defect", [None, {"error_rate": 0.05}])
def test_every_request_has_exactly_one_outcome(defect):
    """A loss system with a tight deadline and baseline errors: every term occurs."""
    sc = linear(
        {"linear_step": "25%", "wait_interval": 120},
        defect,
        rate=70,
        fleet={"queue_capacity": 0, "timeout": 0.15, "error_rate": 0.005},
    )
    s = ds.simulate(sc, seed=43).summary
    assert s["completed"] > 0 and s["errors"] > 0 and s["rejected"] > 0 and s["timed_out"] > 0
    assert conserved(s)


@pytest.mark.parametrize("strategy", ["linear", "blue_green", "rolling"])
def test_inf1_endpoints_fall_back_to_all_at_once_without_baking(strategy):
    """SageMaker guardrails do not apply to ml.inf1: the update is all at once, with no
    baking, so even a badly defective release is promoted, never rolled back."""
    sc = linear({"type": strategy}, defect={"error_rate": 0.5})
    sc["release"]["target"] = "ml.inf1.xlarge"
    res = ds.simulate(sc, seed=1)
    events = res.events
    assert "GuardrailsUnsupported" in set(events["kind"])
    assert res.summary["outcome"] == "promoted" and res.summary["time_to_detect_s"] is None
    shifts = events[events["kind"] == "UpdateEndpointWeightsAndCapacities"]
    assert shifts["detail"].tolist() == ["v2=1, v1=0"]
    # the release inherits the fleet's provisioning time: one full-size launch, then the shift
    launched = events.loc[events["kind"] == "LaunchInstances", ["time", "detail"]]
    assert launched.values.tolist() == [[START, "4 x ml.inf1.xlarge for v2"]]
    assert shifts["time"].iloc[0] == START + PROV
