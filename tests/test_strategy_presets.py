"""The strategy presets, run in full: each plays out the way its description says.

Expected times come from the preset's own parameters (bakes, intervals, catalog
provisioning), never from a previous run.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest

import simulator as ds
from simulator import catalog

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@functools.cache
def run(name: str) -> tuple[ds.Scenario, ds.Result]:
    sc = ds.load_scenario(SCENARIOS / f"{name}.yaml")
    return sc, ds.simulate(sc, seed=1)


def times(res, kind, **fields):
    """Times of the events of a kind whose fields have the given values."""
    e = res.events
    rows = e[e["kind"] == kind]
    for name, value in fields.items():
        rows = rows[rows[name] == value]
    return rows["time"].tolist()


def provisioning(target, model, **kw):
    return catalog.resolve(target, model, **kw).provisioning_s


def test_argo_canary_fails_on_the_third_failed_measurement():
    sc, res = run("canary-fraud-argo")
    s = res.summary
    gate = sc.strategy.gate
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    # 3% errors against a 1% bound: every measurement fails; failed > failureLimit (2)
    assert len(times(res, "AnalysisFailed")) == gate.failure_limit + 1
    assert s["time_to_detect_s"] == pytest.approx((gate.failure_limit + 1) * gate.interval)
    # the canary weight goes to 0 at once; its pods go after abortScaleDownDelaySeconds
    (back,) = times(res, "RollbackComplete")
    (gone,) = times(res, "TerminateInstances", variant="v2")
    assert gone - back == pytest.approx(sc.strategy.scale_down_delay)
    # a 5% canary of 10 instances is one instance (rounded up)
    assert times(res, "LaunchInstances", count=1, variant="v2")


def test_flagger_canary_promotes_one_tick_after_interval_times_max_over_step():
    """Documented: promotion >= interval x maxWeight/stepWeight; Flagger's scheduler routes
    all traffic on the tick after the check that passes the last weight (Promoting)."""
    sc, res = run("canary-fraud-flagger")
    strategy = sc.strategy
    assert res.summary["outcome"] == "promoted"
    shifts = times(res, "UpdateEndpointWeightsAndCapacities")
    steps = math.ceil(strategy.max_weight / strategy.step_weight)
    assert len(shifts) == steps + 1  # 10, 20, ..., 50, then all traffic to v2
    assert shifts[-1] - shifts[0] == pytest.approx(
        strategy.gate.interval * (strategy.max_weight / strategy.step_weight + 1)
    )
    # the canary runs at the primary's size from the start (Flagger)
    assert times(res, "LaunchInstances", count=sc.fleet.instances)


def test_sagemaker_blue_green_canary_bakes_and_keeps_blue_for_the_termination_wait():
    sc, res = run("blue-green-fraud-sagemaker")
    strategy = sc.strategy
    assert res.summary["outcome"] == "promoted"
    (begin,) = times(res, "UpdateEndpoint")
    ready = begin + provisioning("ml.c5.xlarge", "xgboost", neo=True)
    canary, full = times(res, "UpdateEndpointWeightsAndCapacities")
    assert canary == pytest.approx(ready) and full == pytest.approx(ready + strategy.wait_interval)
    (blue_gone,) = times(res, "TerminateInstances", variant="v1")
    # blue stays through the last bake and the termination wait
    assert blue_gone == pytest.approx(full + strategy.wait_interval + strategy.termination_wait)
    # green at full size from the start: 8 instances billed while the update runs
    m = res.metrics
    during = m[(m["time_s"] >= ready) & (m["time_s"] + 60 <= blue_gone)]
    assert during.groupby("period")["billed_instances"].sum().min() == pytest.approx(8)


def test_linear_gpu_migration_is_rolled_back_in_its_first_step():
    sc, res = run("linear-chatbot-gpu-migration")
    s = res.summary
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    shifts = res.events[res.events["kind"] == "UpdateEndpointWeightsAndCapacities"]
    assert shifts["detail"].tolist() == ["v2=0.25, v1=0.75", "v1=1, v2=0"]
    # blue never stopped serving: the shift back is immediate, nothing is re-provisioned
    assert s["time_to_rollback_s"] == 0.0
    assert not times(res, "LaunchInstances", variant="v1")


def test_sagemaker_rolling_keeps_capacity_between_six_and_eight():
    sc, res = run("rolling-chatbot-sagemaker")
    assert res.summary["outcome"] == "promoted"
    launches = res.events[res.events["kind"] == "LaunchInstances"]["detail"].tolist()
    assert launches == ["2 x ml.c5.2xlarge for v2"] * 3
    # rebuild the fleet from the audit trail: launches serve after provisioning
    up = provisioning("ml.c5.2xlarge", "bert-base")
    changes = [(t, +2, 0) for t in times(res, "LaunchInstances")]
    changes += [(t + up, 0, +2) for t in times(res, "LaunchInstances")]
    for t, n in res.events[res.events["kind"] == "TerminateInstances"][
        ["time", "count"]
    ].itertuples(index=False):
        changes.append((t, -n, -n))
    live, serving = 6, 6
    # at equal times the controller terminates before it launches
    for _, d_live, d_serving in sorted(changes, key=lambda c: (c[0], c[1] + c[2] > 0)):
        live, serving = live + d_live, serving + d_serving
        assert live <= 8 and serving >= 6


def test_phased_defect_is_caught_in_the_first_phase_and_old_capacity_comes_back():
    sc, res = run("phased-regional-content")
    s = res.summary
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    # 10% of users: one new instance; the old fleet shrank to ceil(0.9 x 8) = 8 (nothing)
    assert times(res, "LaunchInstances", count=1, variant="v2")
    assert not times(res, "LaunchInstances", variant="v1")
    assert s["time_to_rollback_s"] == 0.0
    assert s["users_affected"] <= s["blast_radius"]


def test_shadow_candidate_is_discarded_without_hurting_a_user():
    sc, res = run("shadow-fraud-dnn")
    s = res.summary
    assert s["outcome"] == "rolled_back" and s["blast_radius"] == 0 and s["users_affected"] == 0
    comparison = s["details"]["comparison"]
    # about 50% of production's requests were copied (binomial sd < 0.3% here; 2% slack)
    share = comparison["candidate"]["Invocations"] / comparison["production"]["Invocations"]
    assert share == pytest.approx(sc.strategy.sampling / 100, abs=0.02)
    assert comparison["candidate"]["error_rate"] == pytest.approx(0.04, abs=0.005)
    assert s["cost_by_version"]["v3-shadow"] > 0


def test_parallel_port_disagrees_within_limit_and_cuts_over_warm():
    sc, res = run("parallel-forecast-inferentia-port")
    s = res.summary
    assert s["outcome"] == "promoted"
    report = s["details"]["parallel"]
    # Binomial(n, 0.002): 5 standard deviations of the rate
    sd = math.sqrt(0.002 * 0.998 / report["compared"])
    assert abs(report["disagreement_rate"] - 0.002) <= 5 * sd
    (adopted,) = times(res, "AdoptShadow")
    cutover = times(res, "UpdateEndpointWeightsAndCapacities")[-2:]
    assert cutover[0] == adopted  # no provisioning between the comparison and the cut-over
    assert times(res, "LaunchInstances")[-1] < adopted


def test_ab_test_finds_the_better_ranker():
    sc, res = run("ab-test-upsell-ranker")
    s = res.summary
    ab = s["details"]["ab_test"]
    assert s["outcome"] == "promoted" and ab["winner"] == "v2" and ab["p_value"] <= 0.05
    assert ab["decision_time_s"] <= sc.strategy.max_duration
    # trials split about evenly (sticky 50% of users; 5 binomial sd)
    n = sum(ab["trials"].values())
    assert abs(ab["trials"]["v2"] / n - 0.5) <= 5 * math.sqrt(0.25 / n)
