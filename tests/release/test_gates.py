"""Release gates (simulator/release/gates/) against the real controllers' documented semantics.

Reference: docs/reference/README.md#release-controllers, one page per tool
(docs/reference/flagger.md, argo-rollouts.md, sagemaker.md, kayenta.md). Most tests run whole
simulations with a start aligned to the 60 s monitoring period and a provisioning time that is a
multiple of it, so every measurement window lines up with closed periods and event times
can be asserted exactly. Tests named `test_rule_*` are unit tests of a gate's rule: they
script the release's measured error rate per measurement by monkeypatching
`Control.metrics`, the one door through which every gate reads the run.
"""

import json
import math

import numpy as np
import pytest
from pydantic import ValidationError

import simulator as ds
from simulator.engine.control import Control
from simulator.scenario.gates import Check, default_checks
from tests import builders

PERIOD = builders.PERIOD
START = builders.WARMUP  # the release starts on a period boundary
PROVISIONING = builders.PROVISIONING  # two periods
FIRST_SHIFT = START + PROVISIONING  # the canary serves, and gets its first weight, here
DET_100MS = {"distribution": "deterministic", "value": 0.1}


def gated(strategy, defect=None, duration=1800, **kw):
    """Half an hour of the usual release (tests/builders.py) under a gated `strategy`."""
    return builders.release(strategy, defect, duration=duration, **kw)


def flagger(step=10, max_weight=50, **gate):
    return {"type": "canary", "step_weight": step, "max_weight": max_weight, "scale": "full",
            "gate": {"type": "flagger"} | gate}  # fmt: skip


def argo(bake=600, **gate):
    return {"type": "canary", "steps": [{"weight": 10, "bake": bake}],
            "gate": {"type": "argo", "interval": PERIOD} | gate}  # fmt: skip


def blue_green(**gate):
    return {"type": "blue_green", "wait_interval": 600, "gate": {"type": "alarms"} | gate}


def times(res, kind):
    return res.events.loc[res.events["kind"] == kind, "time"].tolist()


def details(res, kind):
    return res.events.loc[res.events["kind"] == kind, "detail"].tolist()


def shifts(res):
    """(time, {variant: weight}) for every UpdateEndpointWeightsAndCapacities."""
    rows = res.events[res.events["kind"] == "UpdateEndpointWeightsAndCapacities"]
    return [(t, json.loads(w)) for t, w in zip(rows["time"], rows["weights"], strict=True)]


def promotion_start(res):
    """The last weight change that puts all traffic on v2."""
    return [t for t, w in shifts(res) if w.get("v2") == 1.0][-1]


def scores(res):
    return res.events.loc[res.events["kind"] == "CanaryJudgement", "value"].tolist()


def script(monkeypatch, verdicts, subject="v2"):
    """Unit-test harness: the i-th measurement of `subject` reads error_rate 0.5 if
    verdicts[i] is "fail", no request at all if it is "none", and error_rate 0 otherwise
    (every later one 0). Returns the measurement times."""
    real = Control.metrics
    taken = []

    def scripted(ctx, label, rows, *, merge=True):
        values = real(ctx, label, rows, merge=merge)
        if label == subject and merge:
            i = len(taken)
            taken.append(ctx.env.now)
            verdict = verdicts[i] if i < len(verdicts) else "pass"
            values = dict(values, error_rate=np.array([0.5 if verdict == "fail" else 0.0]))
            if verdict == "none":
                values["Invocations"] = np.array([0.0])
        return values

    monkeypatch.setattr(Control, "metrics", scripted)
    return taken


# ----------------------------------------------------------------------------- Flagger


@pytest.mark.parametrize(
    "step, max_weight, interval",
    [(10, 50, 60), (20, 50, 60), (10, 30, 120)],
)
def test_flagger_promotion_takes_interval_times_steps_when_every_check_passes(
    step, max_weight, interval
):
    """Documented: promotion >= interval x maxWeight/stepWeight. Flagger's scheduler
    (pkg/controller/scheduler.go) adds stepWeight while the weight is below maxWeight (20 by
    20 to 50 gives 20, 40, 60); the check passing the last weight starts the promotion and
    the next tick routes all traffic: interval x (steps + 1) after the first weight."""
    gate = {"interval": f"{interval // 60}m", "threshold": 1}
    res = ds.simulate(gated(flagger(step, max_weight, **gate)), seed=1)
    assert res.summary["outcome"] == "promoted"
    steps = math.ceil(max_weight / step - 1e-9)
    expected_weights = [min(k * step, 100) / 100 for k in range(1, steps + 1)] + [1.0]
    seq = shifts(res)
    assert [w["v2"] for _, w in seq] == pytest.approx(expected_weights)
    first = seq[0][0]
    assert first == FIRST_SHIFT
    # every weight is held exactly one interval, the last one a tick more (Promoting)
    assert [t for t, _ in seq] == [first + k * interval for k in range(steps)] + [
        first + (steps + 1) * interval
    ]
    elapsed = promotion_start(res) - first
    assert elapsed >= interval * max_weight / step
    assert elapsed == interval * (steps + 1)
    assert times(res, "AnalysisFailed") == [] and times(res, "AnalysisPaused") == []


@pytest.mark.parametrize("threshold", [1, 2, 5])
def test_flagger_rolls_back_on_the_tick_after_the_threshold_th_failed_check(threshold):
    """Every check fails (error_rate 0.5 against a 0.1% limit; ~300 requests per check, so a
    check passing would need 0 errors in 300: probability 2^-300). The documented
    "interval x threshold" is when the threshold-th check fails; Flagger's scheduler tests
    FailedChecks >= threshold at the start of the next tick, so the rollback lands one
    interval later. The weight never moves past the first."""
    interval = 60
    res = ds.simulate(gated(flagger(threshold=threshold), {"error_rate": 0.5}), seed=1)
    s = res.summary
    assert s["outcome"] == "rolled_back"
    first = shifts(res)[0][0]
    assert first == FIRST_SHIFT
    assert times(res, "RollbackTriggered") == [first + interval * (threshold + 1)]
    assert times(res, "AnalysisFailed") == [first + interval * k for k in range(1, threshold + 1)]
    assert f"failedChecks {threshold}/{threshold}" in details(res, "RollbackTriggered")[0]
    # held at the first weight until the rollback moved everything back
    assert [w["v2"] for _, w in shifts(res)] == [0.1, 0.0]
    assert s["time_to_detect_s"] == interval * (threshold + 1)


def test_rule_flagger_failed_checks_are_cumulative_not_consecutive(monkeypatch):
    """Unit test of the rule: fail, pass, fail, pass, fail with threshold 3 never has two
    failures in a row, yet rolls back on the tick after the 5th check; each failure holds
    the weight."""
    taken = script(monkeypatch, ["fail", "pass", "fail", "pass", "fail"])
    res = ds.simulate(gated(flagger(threshold=3)), seed=1)
    first, i = FIRST_SHIFT, 60.0
    assert taken == [first + k * i for k in range(1, 6)]
    assert times(res, "AnalysisFailed") == [first + i, first + 3 * i, first + 5 * i]
    assert times(res, "RollbackTriggered") == [first + 6 * i]
    assert "failedChecks 3/3" in details(res, "RollbackTriggered")[0]
    # a step starts only after a passing check: 10% held over check 1, 20% over check 3
    assert shifts(res)[:3] == [(first, {"v2": 0.1, "v1": 0.9}),
                               (first + 2 * i, {"v2": 0.2, "v1": 0.8}),
                               (first + 4 * i, {"v2": 0.3, "v1": 0.7})]  # fmt: skip
    assert shifts(res)[3] == (first + 6 * i, {"v1": 1.0, "v2": 0.0})
    assert res.summary["outcome"] == "rolled_back"


@pytest.mark.parametrize("failures_at", [(), (0,), (0, 3), (2, 3, 4, 5)])
def test_rule_flagger_each_failed_check_under_threshold_adds_one_interval(monkeypatch, failures_at):
    """Unit test of the rule: with threshold 5, k failed checks delay promotion by exactly
    k intervals: promotion at interval x (maxWeight/stepWeight + 1 + k) after the first weight
    (the Promoting tick; see test_flagger_promotion_takes_...)."""
    verdicts = ["fail" if n in failures_at else "pass" for n in range(12)]
    script(monkeypatch, verdicts)
    res = ds.simulate(gated(flagger(threshold=5)), seed=1)
    assert res.summary["outcome"] == "promoted"
    assert len(times(res, "AnalysisFailed")) == len(failures_at)
    assert promotion_start(res) - FIRST_SHIFT == 60 * (50 / 10 + 1 + len(failures_at))


# ----------------------------------------------------------------------------- Argo


@pytest.mark.parametrize("limit", [0, 2])
def test_argo_fails_when_failed_exceeds_failure_limit(limit):
    """Argo's quirk, failed > failureLimit: limit 0 fails on the 1st failed measurement,
    limit 2 on the 3rd (not the 2nd). Every measurement fails (error_rate 0.5)."""
    res = ds.simulate(gated(argo(failure_limit=limit), {"error_rate": 0.5}), seed=1)
    first = shifts(res)[0][0]
    assert first == FIRST_SHIFT
    assert times(res, "AnalysisFailed") == [first + 60 * k for k in range(1, limit + 2)]
    assert times(res, "RollbackTriggered") == [first + 60 * (limit + 1)]
    assert f"failed {limit + 1} (failureLimit {limit})" in details(res, "RollbackTriggered")[0]
    assert res.summary["outcome"] == "rolled_back"


@pytest.mark.parametrize("limit, outcome", [(2, "promoted"), (1, "rolled_back")])
def test_rule_argo_two_failures_are_within_failure_limit_two(monkeypatch, limit, outcome):
    """Unit test of the rule: fail, pass, fail, pass, pass (after the measurement at the
    start, which finds no request). Two failures do not exceed failureLimit 2 (promoted
    after the 300 s bake); with failureLimit 1 the 2nd failure, at the 3rd conclusive
    measurement, does."""
    script(monkeypatch, ["none", "fail", "pass", "fail", "pass", "pass"])
    res = ds.simulate(gated(argo(bake=300, failure_limit=limit)), seed=1)
    assert res.summary["outcome"] == outcome
    assert times(res, "AnalysisFailed")[:2] == [FIRST_SHIFT + 60, FIRST_SHIFT + 180]
    if outcome == "promoted":
        assert times(res, "RollbackTriggered") == []
        # the bake ends at the 5th measurement; then the canary scales to the full fleet
        assert promotion_start(res) == FIRST_SHIFT + 300 + PROVISIONING
    else:
        assert times(res, "RollbackTriggered") == [FIRST_SHIFT + 180]


def test_argo_count_reached_ends_the_run_successful():
    """count 3 with failureLimit 5: three (failed) measurements, AnalysisRunSuccessful, then
    no more measurements; the run succeeded, so the step's bake ends and the release is
    promoted (Argo's semantics, whatever the release is worth)."""
    bake = 600
    res = ds.simulate(gated(argo(bake=bake, count=3, failure_limit=5), {"error_rate": 0.5}),
                      seed=1)  # fmt: skip
    first = FIRST_SHIFT
    assert times(res, "AnalysisFailed") == [first + 60, first + 120, first + 180]
    assert times(res, "AnalysisRunSuccessful") == [first + 180]
    assert details(res, "AnalysisRunSuccessful") == ["3 measurements"]
    assert times(res, "RollbackTriggered") == []
    assert res.summary["outcome"] == "promoted"
    assert promotion_start(res) == first + bake + PROVISIONING


def test_rule_argo_count_stops_measuring(monkeypatch):
    """Unit test: after `count` conclusive measurements the gate reads no more metrics; the
    one at the start (no request yet: an Error) does not count."""
    taken = script(monkeypatch, [])
    res = ds.simulate(gated(argo(bake=600, count=4)), seed=1)
    assert taken == [FIRST_SHIFT + 60 * k for k in range(5)]
    assert times(res, "AnalysisError") == [FIRST_SHIFT]
    assert res.summary["outcome"] == "promoted"


def test_rule_a_gate_failing_while_promotion_scales_up_rolls_back(monkeypatch):
    """Unit test: Argo's background analysis runs until the rollout is complete. Here the
    measurement at 60 s passes (bake 60 s over), promotion scales the canary from 1 to 4
    instances (120 s), and the next one, during that scale-up, fails with failureLimit 0.
    A RollbackTriggered must not be followed by a promotion."""
    script(monkeypatch, ["none", "pass", "fail", "fail", "fail"])
    res = ds.simulate(gated(argo(bake=60)), seed=1)
    assert times(res, "RollbackTriggered") == [FIRST_SHIFT + 120]
    assert res.summary["outcome"] == "rolled_back"
    assert details(res, "UpdateComplete") == ["rolled_back"]


# ----------------------------------------------------------------------------- alarms


@pytest.mark.parametrize("n, m", [(1, None), (3, None), (5, 2), (4, 3)])
def test_alarms_m_of_n_delays_detection(n, m):
    """Derived alarms with evaluation_periods N and datapoints_to_alarm M: every request of
    the release fails (error_rate 1, deterministic), so every period breaches from the
    first one with traffic and the alarm fires when M (default N) datapoints have closed."""
    gate = {"evaluation_periods": n} | ({} if m is None else {"datapoints_to_alarm": m})
    res = ds.simulate(gated(blue_green(**gate), {"error_rate": 1.0}), seed=1)
    first = shifts(res)[0][0]
    assert first == FIRST_SHIFT and shifts(res)[0][1]["v2"] == 1.0
    needed = m or n
    assert times(res, "RollbackTriggered") == [first + PERIOD * needed]
    assert "v2-error_rate-max" in details(res, "RollbackTriggered")[0]
    assert res.summary["time_to_detect_s"] == PERIOD * needed
    assert res.summary["outcome"] == "rolled_back"


@pytest.mark.parametrize(
    "slo, defect, alarm",
    [
        # error_rate max = 1 - availability: 5% errors breach 1%, not 10%
        ({"availability": 0.99}, {"error_rate": 0.05}, "v2-error_rate-max"),
        ({"availability": 0.9}, {"error_rate": 0.05}, None),
        # latency_p99 max = slo.latency_p99: 0.5-0.9 s breaches 250 ms, not 2 s
        ({"latency_p99": "250ms"}, {"latency_factor": 3}, "v2-latency_p99-max"),
        ({"latency_p99": "2s"}, {"latency_factor": 3}, None),
    ],
)
def test_alarms_derived_from_the_slo(slo, defect, alarm):
    """No scenario alarms: the gate derives one per check, from the SLO. 10 req/s of 100 ms
    (x3 for the latency defect) on 8 workers: 600 requests per period, so 5% errors reads
    5% +- 0.9% (<1% or >10% are 4.5 SE away), and every request of the slow release takes
    >= 300 ms (per-period p99 0.53-0.90 s over seeds 1-5: far from 2 s)."""
    sc = gated(blue_green(), defect, rate=10, fleet={"service_time": DET_100MS}) | {"slo": slo}
    res = ds.simulate(sc, seed=1)
    if alarm is None:
        assert res.summary["outcome"] == "promoted"
        assert times(res, "RollbackTriggered") == []
    else:
        assert res.summary["outcome"] == "rolled_back"
        assert times(res, "RollbackTriggered") == [FIRST_SHIFT + PERIOD]
        assert details(res, "RollbackTriggered") == [f"alarms: alarm {alarm} in ALARM"]


NAMED = [
    {"name": "v2-p99", "metric": "latency_p99", "threshold": "250ms", "version": "v2"},
    {"name": "v2-errors", "metric": "error_rate", "threshold": "1%", "version": "v2"},
]


@pytest.mark.parametrize(
    "names, defect, alarm",
    [
        (["v2-p99"], {"latency_factor": 3}, "v2-p99"),  # latency-only defect, error_rate 0
        (["v2-p99"], {"error_rate": 0.5}, None),  # the derived error alarm is not used
        (["v2-errors"], {"latency_factor": 3}, None),
        (None, {"latency_factor": 3}, "v2-p99"),  # default: every scenario alarm
        (None, {"error_rate": 0.5}, "v2-errors"),
    ],
)
def test_alarms_gate_watches_the_named_scenario_alarms(names, defect, alarm):
    """monitoring.alarms given: the gate watches those named (default all), not derived
    ones. Healthy v2 reads p99 100-172 ms per period (seeds 1-5; < 250 ms); with
    latency_factor 3 every request takes >= 300 ms, so the p99 alarm breaches in the first
    period."""
    sc = gated(blue_green(**({} if names is None else {"alarms": names})), defect, rate=10,
               fleet={"service_time": DET_100MS})  # fmt: skip
    sc["monitoring"]["alarms"] = NAMED
    res = ds.simulate(sc, seed=1)
    if alarm is None:
        assert res.summary["outcome"] == "promoted"
        assert times(res, "RollbackTriggered") == []
    else:
        assert res.summary["outcome"] == "rolled_back"
        assert times(res, "RollbackTriggered") == [FIRST_SHIFT + PERIOD]
        assert details(res, "RollbackTriggered") == [f"alarms: alarm {alarm} in ALARM"]


@pytest.mark.parametrize("scenario_alarms, unknown", [(NAMED, "nope"), ([], "nope, v2-p99")])
def test_alarms_gate_rejects_unknown_alarm_names(scenario_alarms, unknown):
    """A name not in monitoring.alarms is refused when the scenario loads, naming exactly the
    unknown names, also when there are no scenario alarms at all (it must not silently fall
    back to derived alarms)."""
    sc = gated(blue_green(alarms=["v2-p99", "nope"]), {"error_rate": 1.0})
    sc["monitoring"]["alarms"] = scenario_alarms
    expected = f"strategy.gate.alarms: no alarm named {unknown} in monitoring.alarms"
    with pytest.raises(ds.ScenarioError) as caught:
        ds.load_scenario(sc)
    assert str(caught.value).endswith(expected)


def test_alarms_gate_datapoints_to_alarm_cannot_exceed_evaluation_periods():
    """As for a scenario alarm, M of N with M > N is rejected when the scenario loads."""
    sc = gated(blue_green(evaluation_periods=2, datapoints_to_alarm=3))
    with pytest.raises(ds.ScenarioError, match="datapoints_to_alarm"):
        ds.load_scenario(sc)


# ----------------------------------------------------------------------------- Kayenta


def kayenta(**gate):
    return {"type": "canary", "gate": {"type": "kayenta"} | gate}  # steps 10/25/50, 5m bakes


def test_kayenta_baseline_is_deployed_with_the_canary_at_the_same_size():
    res = ds.simulate(gated(kayenta(), duration=2400), seed=1)
    assert res.summary["outcome"] == "promoted"
    launches = res.events[res.events["kind"] == "LaunchInstances"]
    by_time = {}
    columns = launches[["time", "count", "variant"]]
    for t, count, name in columns.itertuples(index=False):
        by_time.setdefault(t, {})[name] = count
    # every scale-up of the canary before promotion is matched by the baseline, same count
    promote = promotion_start(res)
    for t, launched in by_time.items():
        if t < promote - PROVISIONING:
            assert launched["v2"] == launched["v1-baseline"], (t, launched)
    # canary and baseline share traffic equally; the stable fleet takes the rest
    for _, w in shifts(res)[:-1]:
        assert w["v2"] == w["v1-baseline"] and w["v1"] == pytest.approx(1 - 2 * w["v2"])
    m = res.metrics.pivot(index="period", columns="version", values="instances")
    before = m.index < promote // PERIOD
    np.testing.assert_allclose(m.loc[before, "v2"], m.loc[before, "v1-baseline"])


def test_kayenta_defective_canary_scores_low_and_rolls_back():
    """latency_factor 2: each of the first 5 periods' canary p99 (from ~300 requests, relative
    SE ~12%) sits far above the baseline's, so latency is High (the 5 vs 5 separation needed
    fails with probability < 1e-3), error_rate (none on either side) Pass: score 100 x 1/2 =
    50 < marginal 75 at the first judgement, one interval after the canary got traffic."""
    res = ds.simulate(gated(kayenta(), {"latency_factor": 2}, duration=2400), seed=1)
    interval = 300
    assert times(res, "CanaryJudgement") == [FIRST_SHIFT + interval]
    assert details(res, "CanaryJudgement") == [f"score 50 over {interval // 60:.0f} periods"]
    assert times(res, "RollbackTriggered") == [FIRST_SHIFT + interval]
    reason = details(res, "RollbackTriggered")[0]
    assert "canary score 50" in reason and "marginal 75" in reason
    assert res.summary["outcome"] == "rolled_back"


@pytest.mark.parametrize("marginal, rolled_back_at", [(50, 1), (49, 4)])
def test_kayenta_score_at_the_marginal_fails(marginal, rolled_back_at):
    """Orca's MonitorKayentaCanaryTask: `canaryScore <= marginal` is TERMINAL, so the
    defective canary's 50 fails at once with marginal 50; with 49 it walks every step (4
    judgements, see the test below) and the final rule (50 < pass 95) rolls it back."""
    res = ds.simulate(gated(kayenta(marginal_score=marginal), {"latency_factor": 2},
                            duration=2400), seed=1)  # fmt: skip
    judged = times(res, "CanaryJudgement")
    assert len(judged) == rolled_back_at and set(scores(res)) == {50.0}
    assert times(res, "RollbackTriggered") == [judged[-1]]
    assert res.summary["outcome"] == "rolled_back"


@pytest.mark.parametrize("defect, outcome", [({}, "promoted"), ({"latency_factor": 2}, None)])
def test_kayenta_last_judgement_must_reach_pass(defect, outcome):
    """pass_score 100, marginal 0: no judgement can fail on its own, so a canary scoring 50
    walks every step and is rolled back by the final rule at the judgement that ends the last
    bake; a healthy one (Pass on both metrics: score 100; a false High has ~1% chance per
    judgement by the 98% interval, seed 1) is promoted."""
    res = ds.simulate(gated(kayenta(pass_score=100, marginal_score=0), defect,
                            duration=2400), seed=1)  # fmt: skip
    interval, bake = 300, 300
    got = scores(res)
    judged = times(res, "CanaryJudgement")
    assert judged == [FIRST_SHIFT + interval * k for k in range(1, len(judged) + 1)]
    if outcome == "promoted":
        assert res.summary["outcome"] == "promoted" and got[-1] == 100
        return
    assert got and all(s == 50 for s in got)
    weights = [w["v2"] for _, w in shifts(res)]
    assert weights[:3] == [0.1, 0.25, 0.5]  # every step walked
    last_shift = shifts(res)[2][0]
    ends = FIRST_SHIFT + interval * math.ceil((last_shift + bake - FIRST_SHIFT) / interval)
    assert times(res, "RollbackTriggered") == [ends] == [judged[-1]]
    assert "last canary score 50 < pass 100" in details(res, "RollbackTriggered")[0]
    assert res.summary["outcome"] == "rolled_back"


# ----------------------------------------------------------------------------- low traffic


@pytest.mark.parametrize(
    "strategy, rate, first_pause",
    [
        (flagger(min_requests=50), 0.5, 60),  # ~3 requests per 60 s check at 10%
        (flagger(min_requests=10**6), 50, 60),
        (argo(bake=60, min_requests=50), 0.5, 0),  # Argo measures at the start too
    ],
)
def test_min_requests_when_asked_for_pauses_instead_of_judging(strategy, rate, first_pause):
    """deploysim's own guard, off unless a scenario sets it: a defective release
    (error_rate 0.5) seen through too few requests: every measurement is AnalysisPaused,
    none AnalysisFailed or AnalysisError, the weight stays at the first step, and the run
    ends with the release incomplete (not rolled back)."""
    duration = 1200
    res = ds.simulate(gated(strategy, {"error_rate": 0.5}, rate=rate, duration=duration),
                      seed=1)  # fmt: skip
    first = shifts(res)[0][0]
    assert first == FIRST_SHIFT
    expected = np.arange(first + first_pause, duration, 60).tolist()
    assert times(res, "AnalysisPaused") == expected
    assert times(res, "AnalysisFailed") == [] and times(res, "RollbackTriggered") == []
    assert times(res, "AnalysisError") == []
    assert len(shifts(res)) == 1
    assert res.summary["outcome"] == "incomplete"


def test_min_requests_pause_resumes_when_traffic_is_enough():
    """1 req/s (6 canary requests per check at 10%) until a 50x burst from t=900: paused
    checks until the window ending at 900, the step advances at the first check after it,
    then each weight holds one interval, and the tick after the last promotes."""
    sc = gated(flagger(min_requests=50), rate=1, duration=1800)
    sc["traffic"] = {"pattern": "bursty", "rate": 1,
                     "bursts": [{"at": 900, "duration": 900, "multiplier": 50}]}  # fmt: skip
    res = ds.simulate(sc, seed=1)
    assert times(res, "AnalysisPaused") == np.arange(FIRST_SHIFT + 60, 901, 60).tolist()
    assert times(res, "AnalysisFailed") == []
    assert [t for t, _ in shifts(res)] == [FIRST_SHIFT, 960, 1020, 1080, 1140, 1260]
    assert res.summary["outcome"] == "promoted"


def test_flagger_low_traffic_is_judged_as_it_comes():
    """Flagger has no minimum: a healthy release at 1 req/s (6 canary requests a check at
    10%) is judged on those few requests and promoted on schedule. P(a check sees no
    request) = e^-6 per check, 6 checks: the seed-1 run has none (asserted)."""
    res = ds.simulate(gated(flagger(), rate=1, duration=1800), seed=1)
    assert times(res, "AnalysisPaused") == [] and times(res, "AnalysisFailed") == []
    assert promotion_start(res) == FIRST_SHIFT + 60 * 6
    assert res.summary["outcome"] == "promoted"


def test_flagger_no_values_found_is_a_failed_check():
    """Real Flagger: a query with no values found fails the check (fluxcd/flagger
    pkg/controller/scheduler_metrics.go, runBuiltinMetricChecks). A healthy release at
    0.002 req/s (10%: ~0.012 canary requests a check, so P(any request in the two checks)
    ~ 2.4%; the seed-1 run has none, asserted by the messages) is rolled back on the tick
    after the second check: a false rollback."""
    res = ds.simulate(gated(flagger(threshold=2), rate=0.002), seed=1)
    assert times(res, "AnalysisFailed") == [FIRST_SHIFT + 60, FIRST_SHIFT + 120]
    assert all("no values found" in d for d in details(res, "AnalysisFailed"))
    assert times(res, "RollbackTriggered") == [FIRST_SHIFT + 180]
    assert times(res, "AnalysisPaused") == []
    s = res.summary
    assert s["outcome"] == "rolled_back" and s["false_rollback"] is True


@pytest.mark.parametrize("limit", [4, 0, 2])
def test_argo_no_data_is_an_error_and_too_many_in_a_row_abort(limit):
    """Argo's Prometheus provider returns an empty vector for a series with no sample, and
    `result[0]` cannot index it: the measurement is an Error (argo-rollouts
    metricproviders/prometheus). More than consecutiveErrorLimit in a row (default 4)
    error the run, which aborts the rollout. At 0.002 req/s the canary sees none (as
    above), so errors come at the start and every 60 s."""
    gate = {} if limit == 4 else {"consecutive_error_limit": limit}
    res = ds.simulate(gated(argo(**gate), rate=0.002), seed=1)
    errors = [FIRST_SHIFT + 60 * k for k in range(limit + 1)]
    assert times(res, "AnalysisError") == errors
    assert times(res, "RollbackTriggered") == [errors[-1]]
    assert f"consecutiveErrorLimit {limit}" in details(res, "RollbackTriggered")[0]
    assert times(res, "AnalysisFailed") == []


def test_rule_argo_a_conclusive_measurement_resets_the_consecutive_errors(monkeypatch):
    """Unit test: four errors, a pass, four errors, a pass: never more than 4 in a row, so
    the run goes on (errors do not count towards failureLimit either); five in a row abort."""
    none4 = ["none"] * 4
    script(monkeypatch, [*none4, "pass", *none4, "pass", *none4, "none"])
    res = ds.simulate(gated(argo(bake=1200)), seed=1)
    errors = times(res, "AnalysisError")
    assert len(errors) == 13
    assert times(res, "RollbackTriggered") == [errors[-1]] == [FIRST_SHIFT + 60 * 14]
    assert res.events.loc[res.events["kind"] == "AnalysisError", "count"].tolist() == [
        1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 5
    ]  # fmt: skip


def test_argo_first_measurement_is_at_the_start_of_the_run_or_after_initial_delay():
    """argo-rollouts analysis/analysis.go (generateMetricTasks): a metric never measured is
    measured at once, or when initialDelay has passed, then every interval after the last.
    A defect failing half its requests is caught by the first measurement with data: with
    initialDelay 90 s, at 90 s (over the 60 s before), not one interval later."""
    res = ds.simulate(gated(argo(initial_delay=90), {"error_rate": 0.5}), seed=1)
    assert times(res, "AnalysisError") == []
    assert times(res, "AnalysisFailed") == [FIRST_SHIFT + 90]
    assert times(res, "RollbackTriggered") == [FIRST_SHIFT + 90]
    res = ds.simulate(gated(argo(), {"error_rate": 0.5}), seed=1)
    assert times(res, "AnalysisError") == [FIRST_SHIFT]  # nothing served yet
    assert times(res, "AnalysisFailed") == [FIRST_SHIFT + 60]


def test_alarms_gate_bakes_on_regardless_of_traffic():
    """SageMaker's auto-rollback has no minimum traffic (min_requests 0): at 0.5 req/s the
    alarms gate never pauses and the healthy release is promoted when the bake ends."""
    res = ds.simulate(gated(blue_green(), rate=0.5), seed=1)
    assert times(res, "AnalysisPaused") == [] and times(res, "RollbackTriggered") == []
    assert res.summary["outcome"] == "promoted"
    assert times(res, "UpdateComplete") == [FIRST_SHIFT + 600]


@pytest.mark.parametrize(
    "missing, outcome",
    [("missing", "promoted"), ("notBreaching", "promoted"), ("ignore", "promoted"),
     ("breaching", "rolled_back")],
)  # fmt: skip
def test_alarms_gate_treats_periods_without_data_as_the_alarm_says(missing, outcome):
    """SageMaker's rollback alarms are CloudWatch alarms: a period with no datapoint is what
    their TreatMissingData says. At 0.002 req/s the release's periods are empty (about
    one request in the 10-minute bake, P(none) ~ 30%; the seed-1 run has none). A
    breaching alarm on a series that has never had data is in ALARM from the first
    evaluation after the update starts, while green is still provisioning: rolled back
    before any user meets it."""
    sc = gated(blue_green(), rate=0.002)
    sc["monitoring"] = {"period": PERIOD, "alarms": [
        {"name": "v2-errors", "metric": "error_rate", "threshold": 0.01, "version": "v2",
         "treat_missing_data": missing}]}  # fmt: skip
    res = ds.simulate(sc, seed=1)
    assert res.summary["outcome"] == outcome
    assert times(res, "AnalysisPaused") == []
    if outcome == "rolled_back":
        assert times(res, "RollbackTriggered") == [START + PERIOD]
        assert "v2-errors" in details(res, "RollbackTriggered")[0]
        assert shifts(res) == [(START + PERIOD, {"v1": 1.0, "v2": 0.0})]


def test_a_gate_interval_shorter_than_the_period_is_rejected():
    """A measurement reads whole monitoring periods: a 30 s Flagger interval over 60 s
    periods would find every other window empty and read a busy endpoint as 'no data'.
    The scenario says so instead of pausing or failing checks for no reason."""
    with pytest.raises(ds.ScenarioError, match=r"strategy\.gate\.interval \(30 s\).*60 s"):
        ds.load_scenario(gated(flagger(interval="30s")))
    sc = gated(flagger(interval="30s"))
    sc["monitoring"] = {"period": 30}
    assert ds.load_scenario(sc).strategy.gate.interval == 30


# ----------------------------------------------------------------------------- checks


def test_check_needs_a_bound():
    with pytest.raises(ValidationError, match="needs 'max' or 'min'"):
        Check(metric="error_rate")
    sc = gated(flagger(checks=[{"metric": "latency_p99"}]))
    with pytest.raises(ds.ScenarioError, match=r"strategy\.gate\.checks\.0"):
        ds.load_scenario(sc)


@pytest.mark.parametrize(
    "metric, written, value",
    [("latency_p99", "500ms", 0.5), ("latency_p99", "2s", 2.0), ("latency_p95", 0.25, 0.25),
     ("error_rate", "1%", 0.01), ("error_rate", "0.5%", 0.005), ("error_rate", 0.02, 0.02)],
)  # fmt: skip
def test_check_thresholds_take_units(metric, written, value):
    assert Check(metric=metric, max=written).max == pytest.approx(value)
    assert Check(metric=metric, min=written).min == pytest.approx(value)


@pytest.mark.parametrize("metric, written", [("latency_p99", "1%"), ("error_rate", "500ms")])
def test_check_thresholds_reject_the_wrong_unit(metric, written):
    with pytest.raises(ValidationError):
        Check(metric=metric, max=written)


def test_check_bounds_are_strict_and_no_data_is_not_a_violation():
    upper = Check(metric="error_rate", max="1%")
    assert not upper.violated(0.01) and upper.violated(0.0101) and not upper.violated(0.0)
    lower = Check(metric="InvocationsPerInstance", min=10)
    assert not lower.violated(10) and lower.violated(9.9)
    assert not upper.violated(math.nan) and not lower.violated(math.nan)


def slo_of(slo):
    return ds.load_scenario(gated(flagger()) | {"slo": slo}).slo


@pytest.mark.parametrize(
    "slo, error, p99",
    [
        ({"availability": 0.999, "latency_p99": "1s"}, 0.001, 1.0),
        ({"availability": 0.95}, 0.05, 0.5),  # latency: Flagger's request-duration max 500
        ({"latency_p99": "200ms"}, 0.01, 0.2),  # errors: request-success-rate min 99%
        ({}, 0.01, 0.5),
    ],
)
def test_default_checks_derive_from_the_slo_else_flaggers_defaults(slo, error, p99):
    checks = default_checks(slo_of(slo))
    assert [(c.metric, c.min) for c in checks] == [("error_rate", None), ("latency_p99", None)]
    assert [c.max for c in checks] == pytest.approx([error, p99])


@pytest.mark.parametrize("slo, outcome", [({}, "rolled_back"), ({"availability": 0.9}, "promoted")])
def test_gate_without_checks_uses_the_default_checks(slo, outcome):
    """5% errors: over Flagger's default 1% (no SLO), under the SLO-derived 10%. At 10% of
    50 req/s a check sees ~300 requests (more at later weights): 5% reads 5% +- 1.3%;
    P(<= 1%, i.e. <= 3 errors) ~ 2e-4 and P(> 10%) ~ 1e-4 per check, at most 5 checks."""
    res = ds.simulate(gated(flagger(), {"error_rate": 0.05}) | {"slo": slo}, seed=1)
    assert res.summary["outcome"] == outcome
    if outcome == "rolled_back":  # the first check fails; the next tick rolls back
        assert times(res, "RollbackTriggered") == [FIRST_SHIFT + 120]
