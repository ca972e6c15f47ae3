"""Kubernetes Deployments and HorizontalPodAutoscalers: imported as written, played in bounds.

The files in realworld/kubernetes/ follow the Kubernetes documentation's examples; each has
its expectation in expected.yaml beside it. A rolling update is replayed from the audit
trail (as tests/release/test_platform_rolling.py does) to check it never leaves the
Deployment's surge and availability bounds; a CPU target is checked against arithmetic on
the catalog's own figures.
"""

from __future__ import annotations

import copy
import math
from statistics import NormalDist

import pytest

import simulator as ds
from simulator import catalog
from simulator.importers import DEFAULT_BASE, ConfigImportError, import_config
from tests.importers.documented import (
    docs,
    every_file_has_its_case,
    folder,
    imports_as_expected,
    text,
)
from tests.importers.test_importers import BASE

HERE, CASES = folder("kubernetes")
ROLLING = HERE / "rolling-percent-surge.yaml"
HPA = HERE / "hpa-cpu.yaml"

# test_importers' light base: its instances start in a fixed time, so the audit trail
# says when each serves
START_UP = BASE["fleet"]["provisioning"]


def cpu_target(percent: float, target: str, model: str) -> float:
    """Invocations per instance per minute at `percent` CPU, by hand from the catalog.

    A catalog latency profile is a lognormal through its p50 and p99: sigma = ln(p99 / p50)
    / z(0.99), mean = p50 x exp(sigma^2 / 2). An instance serves workers / mean a second.
    """
    r = catalog.resolve(target, model)
    sigma = math.log(r.p99_s / r.p50_s) / NormalDist().inv_cdf(0.99)
    mean = r.p50_s * math.exp(sigma**2 / 2) + r.extra_latency_s
    return percent / 100 * r.workers_per_instance / mean * 60


# ---------------------------------------------------------------- the documented examples


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_documented_config_imports_as_expected(name):
    case = CASES[name]
    imported = imports_as_expected(HERE / name, case)
    if imported is not None and "cpu_utilization" in case:
        fleet = DEFAULT_BASE["fleet"]
        want = cpu_target(case["cpu_utilization"], fleet["target"], "resnet50")
        assert imported[1].autoscaling.target == pytest.approx(want, rel=1e-9)


def test_every_file_in_the_folder_has_its_expectation():
    every_file_has_its_case(HERE, CASES)


# ---------------------------------------------------------------- the HPA's CPU target


@pytest.mark.parametrize("target, model, percent", [
    ("ml.c5.xlarge", "resnet50", 60),
    ("ml.c5.2xlarge", "bert-base", 80),
    ("ml.m5.large", "xgboost", 35),
])  # fmt: skip
def test_a_cpu_utilization_becomes_invocations_per_instance_from_the_catalog(
    target, model, percent
):
    documents = docs(HPA)
    documents[1]["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] = percent
    base = copy.deepcopy(DEFAULT_BASE)
    base["fleet"] |= {"target": target, "model": model}
    data = import_config(text(documents), base=base)
    assert data["autoscaling"]["target"] == pytest.approx(cpu_target(percent, target, model))
    assert f"{percent}% of CPU -> target {percent}/100 x " in data["description"]


def test_a_cpu_target_on_an_explicit_service_time_is_utilization_x_workers_over_the_mean():
    data = import_config(HPA, base=BASE)  # 2 workers, 50 ms mean: 40 requests a second
    assert data["autoscaling"]["target"] == pytest.approx(0.60 * 2 / 0.05 * 60)


def test_without_metrics_the_autoscaler_tracks_cpu_at_80_percent_as_kubernetes_does():
    documents = docs(HPA)
    del documents[1]["spec"]["metrics"]
    data = import_config(text(documents), base=BASE)
    assert data["autoscaling"]["target"] == pytest.approx(0.80 * 2 / 0.05 * 60)
    v1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
          "metadata": {"name": "php-apache"},
          "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "php-apache"},
                   "maxReplicas": 5, "targetCPUUtilizationPercentage": 50}}  # fmt: skip
    data = import_config(text([documents[0], v1]), base=BASE)
    assert data["autoscaling"]["target"] == pytest.approx(0.50 * 2 / 0.05 * 60)
    assert (data["autoscaling"]["min"], data["autoscaling"]["max"]) == (1, 5)


def test_the_stabilization_windows_span_whole_periods():
    documents = docs(HPA)
    behavior = documents[1]["spec"]["behavior"]
    behavior["scaleDown"] = {"stabilizationWindowSeconds": 150, "selectPolicy": "Disabled"}
    behavior["scaleUp"] = {"stabilizationWindowSeconds": 300}
    scaling = import_config(text(documents), base=BASE)["autoscaling"]
    assert scaling["scale_in_cooldown"] == 150 and scaling["scale_in_datapoints"] == 3
    assert scaling["scale_out_cooldown"] == 300 and scaling["scale_out_datapoints"] == 5
    assert scaling["disable_scale_in"] is True


def test_a_scale_out_waits_for_the_instances_it_added_to_serve():
    # no scale-up window: the cooldown is the start-up plus a period, from the catalog
    scaling = import_config(HPA)["autoscaling"]
    start_up = catalog.resolve(DEFAULT_BASE["fleet"]["target"], "resnet50").provisioning_s
    period = DEFAULT_BASE["monitoring"]["period"]
    assert scaling["scale_out_cooldown"] == start_up + period
    assert scaling["scale_out_datapoints"] == 1
    # under a steady load the fleet settles where Kubernetes' formula puts it, no higher
    base = copy.deepcopy(BASE) | {"traffic": {"pattern": "poisson", "rate": 60}}
    data = import_config(HPA, base=base) | {"strategy": {"type": "none"}}
    res = ds.simulate(data, seed=1)
    per_instance = 0.60 * 2 / 0.05  # requests a second at 60% CPU
    outs = res.events[res.events.kind == "ScaleOut"]
    assert outs["count"].tolist() == [math.ceil(60 / per_instance)]


def test_without_an_autoscaler_the_bases_autoscaling_goes_with_a_note():
    base = copy.deepcopy(BASE) | {"autoscaling": {"target": 600, "max": 8}}
    data = import_config(ROLLING, base=base)
    assert "autoscaling" not in data
    assert "the base scenario's autoscaling dropped" in data["description"]


# ---------------------------------------------------------------- played by the engine


def lifetimes(res: ds.Result, size: int, ready: float) -> list[tuple[float, float, float]]:
    """Each pod's (launched, available from, terminated), from the audit trail.

    A pod serves START_UP after its launch and counts as available `ready` (its
    minReadySeconds) later; the running fleet's pods were available from the start.
    """
    live: dict[str, list[tuple[float, float]]] = {"v1": [(-math.inf, -math.inf)] * size}
    gone = []
    for ev in res.events.itertuples():
        if ev.kind == "LaunchInstances":
            live.setdefault(ev.variant, [])
            live[ev.variant] += [(ev.time, ev.time + START_UP + ready)] * int(ev.count)
        elif ev.kind == "TerminateInstances":  # the newest go first
            gone += [(*live[ev.variant].pop(), ev.time) for _ in range(int(ev.count))]
    return gone + [(*pair, math.inf) for pairs in live.values() for pair in pairs]


@pytest.mark.parametrize("name, surge, unavailable", [
    ("rolling-percent-surge.yaml", math.ceil(0.25 * 4), math.floor(0 * 4)),  # 25% up, 0
    ("rolling-integer-bounds.yaml", 2, 1),
])  # fmt: skip
def test_a_deployments_rolling_update_never_leaves_its_surge_and_unavailability(
    name, surge, unavailable
):
    sc = ds.load_scenario(import_config(HERE / name, base=BASE))
    size, ready = sc.fleet.instances, sc.strategy.bake
    res = ds.simulate(sc, seed=1)
    spans = lifetimes(res, size, ready)
    moments = sorted({t for span in spans for t in span if 0 <= t < math.inf})
    trail = [(t, sum(a <= t < e for _, a, e in spans), sum(s <= t < e for s, _, e in spans))
             for t in moments]  # fmt: skip
    assert len(trail) > 1, "the rolling update launched nothing"
    assert all(available >= size - unavailable for _, available, _ in trail), trail
    assert all(total <= size + surge for _, _, total in trail), trail
    # the update uses what it is allowed, so the bounds are reached, not merely respected
    assert max(n for _, _, n in trail) == size + surge
    assert min(a for _, a, _ in trail) == size - unavailable
    assert res.summary["outcome"] == "promoted"
    assert res.summary["downtime_s"] == 0


def test_a_recreate_deployment_kills_every_old_pod_then_waits_for_the_new_ones():
    res = ds.simulate(import_config(HERE / "recreate.yaml", base=BASE), seed=1)
    trail = res.events[res.events.kind.isin(["TerminateInstances", "LaunchInstances"])]
    assert trail.kind.tolist() == ["TerminateInstances", "LaunchInstances"]
    assert trail.time.nunique() == 1 and trail["count"].tolist() == [3, 3]
    assert res.summary["downtime_s"] == pytest.approx(START_UP)
    assert res.summary["outcome"] == "promoted"


# ---------------------------------------------------------------- refusals and notes


def _rolling(**fields) -> dict:
    deployment = docs(ROLLING)[0]
    deployment["spec"]["strategy"]["rollingUpdate"] = fields
    return deployment


def _hpa(**spec) -> list[dict]:
    documents = docs(HPA)
    documents[1]["spec"] |= spec
    return documents


def _metric(metric: dict) -> list[dict]:
    return _hpa(metrics=[metric])


@pytest.mark.parametrize("documents, where, words", [
    ([_rolling(maxUnavailable="110%")], "spec.strategy.rollingUpdate.maxUnavailable",
     "must not be greater than 100%"),
    ([_rolling(maxSurge="3")], "spec.strategy.rollingUpdate.maxSurge",
     "a percentage like '25%'"),
    ([docs(ROLLING)[0] | {"apiVersion": "extensions/v1beta1"}], "apiVersion",
     "only apps/v1 Deployments"),
    ([docs(HPA)[0], {"apiVersion": "v1", "kind": "Service"}], "document 1",
     "kind 'Service' next to a Deployment"),
    (docs(HPA) + docs(HPA)[1:], "document 2", "a second HorizontalPodAutoscaler"),
    (_hpa(minReplicas=0), "document 1.spec.minReplicas", "scale-to-zero"),
    (_metric({"type": "Resource", "resource": {"name": "memory", "target": {
        "type": "Utilization", "averageUtilization": 60}}}),
     "document 1.spec.metrics[0].resource.name", "only cpu is mapped"),
    (_metric({"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "AverageValue", "averageValue": "500m"}}}),
     "document 1.spec.metrics[0].resource.target", "CPU request"),
    (_metric({"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 150}}}),
     "document 1.spec.metrics[0].resource.target.averageUtilization", "never be reached"),
    (_metric({"type": "Object", "object": {"metric": {"name": "requests-per-second"},
              "describedObject": {"kind": "Ingress", "name": "main-route"},
              "target": {"type": "Value", "value": "10k"}}}),
     "document 1.spec.metrics[0].object.target", "a Value is a total"),
    (_metric({"type": "Pods", "pods": {"metric": {"name": "packets-per-second"},
              "target": {"type": "AverageValue", "averageValue": "1k"}}}),
     "document 1.spec.metrics[0].pods.metric.name", "not read as a request rate"),
    (_hpa(metrics=docs(HPA)[1]["spec"]["metrics"] * 2), "document 1.spec.metrics",
     "2 metrics"),
    (_hpa(behavior={"scaleUp": {"selectPolicy": "Disabled"}}),
     "document 1.spec.behavior.scaleUp.selectPolicy", "always scales out"),
])  # fmt: skip
def test_what_deploysim_cannot_play_is_refused_naming_the_field(documents, where, words):
    with pytest.raises(ConfigImportError) as err:
        import_config(text(documents), base=BASE)
    message = str(err.value)
    assert message.startswith(f"<text>: {where}: "), message
    assert words in message, message


def test_a_rolling_update_on_a_platform_with_its_own_bounds_is_refused():
    base = copy.deepcopy(BASE) | {"platform": "ecs_fargate"}
    base["fleet"] |= {"target": "ml.c5.xlarge"}
    with pytest.raises(ConfigImportError, match="spec.strategy: the base scenario runs on "
                       "ecs_fargate, whose own rolling update"):  # fmt: skip
        import_config(ROLLING, base=base)


def test_an_image_tagged_as_the_running_version_changes_nothing():
    deployment = docs(ROLLING)[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:v1"
    with pytest.raises(ConfigImportError, match="is the running fleet's version"):
        import_config(deployment, base=BASE)


def test_quantities_and_large_surges_read_as_kubernetes_reads_them():
    metric = {"type": "External", "external": {"metric": {"name": "lb_requests_per_second"},
              "target": {"type": "AverageValue", "averageValue": "2500m"}}}  # fmt: skip
    data = import_config(text(_metric(metric)), base=BASE)
    assert data["autoscaling"]["target"] == pytest.approx(2.5 * 60)
    assert "read as this Deployment's own requests" in data["description"]
    data = import_config(_rolling(maxSurge="200%", maxUnavailable=0), base=BASE)
    assert data["strategy"]["max_surge"] == "100%"
    assert "maxSurge 200% acts as 100%" in data["description"]


def test_an_autoscaler_alone_is_an_unknown_kind_with_a_short_message(tmp_path):
    path = tmp_path / "hpa.yaml"
    path.write_text(text(docs(HPA)[1:]))
    with pytest.raises(ConfigImportError) as err:
        import_config(path)
    message = str(err.value)
    assert "found autoscaling/v2 HorizontalPodAutoscaler" in message
    assert "a Kubernetes Deployment (apps/v1, with its HorizontalPodAutoscaler)" in message
    assert len(message) < 600
