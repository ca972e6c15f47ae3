"""A Kubernetes `Deployment` (apps/v1) and its `HorizontalPodAutoscaler` -> a release scenario.

The Deployment is the release: the base scenario's fleet is the version running now, and
the new pod template is `release`. Sources and the reasoning behind each rule:
docs/reference/kubernetes.md#importing-a-deployment and
docs/reference/kubernetes.md#importing-a-horizontalpodautoscaler.

Deployment (`spec`):
- `replicas` -> fleet.instances (default 1, as Kubernetes; 0 has nothing to simulate).
- `strategy.type` RollingUpdate (the default) -> a `rolling` strategy with `maxSurge` /
  `maxUnavailable` (a whole number or a percentage such as "25%"; default 25% each; the
  Rolling spec rounds a surge up and an unavailability down, as Kubernetes' fenceposts do),
  gate none and no bake beyond minReadySeconds (a Deployment runs no analysis and never
  rolls back by itself). Both 0 is refused with Kubernetes' own message; a maxSurge above
  100% acts as 100% (every new pod at once), which a note says. Refused on a base whose
  platform runs its own rolling update (its bounds would replace the Deployment's) or on
  ml.inf1 (deploysim plays SageMaker's all-at-once update there).
- `strategy.type` Recreate -> `big_bang` without overlap: every old pod goes before a new
  one starts, and requests fail in between.
- `minReadySeconds` -> the strategy's bake: a new pod takes traffic once ready but counts
  as available, letting the controller take the next old pods down, only that long after.
  The rolling controller bakes each batch once it serves, so the next batch waits exactly
  this long while the new pods serve (a Recreate update completes that much later).
- `template.spec.containers[0].image`: its tag (after the last ':') labels the release
  version; without a tag the base's release version is kept.
- noted: `progressDeadlineSeconds` (it reports Progressing=False and never rolls back).
- ignored (cosmetic): metadata, selector, the rest of the pod template, revisionHistoryLimit,
  status. Refused: a missing pod template, `paused: true` (nothing rolls out), other
  apps/* workloads (StatefulSet, DaemonSet, ReplicaSet), pre-apps/v1 API versions (other
  defaults) and any document but one HorizontalPodAutoscaler next to the Deployment.

HorizontalPodAutoscaler (autoscaling/v2, v2beta2 or v1) in the same file, whose
`scaleTargetRef` names the Deployment -> `autoscaling`:
- `minReplicas` (default 1) / `maxReplicas` -> min / max; a `replicas` outside them starts
  at the nearest bound, as the autoscaler's first sync sets it.
- the metric (one; none is Kubernetes' default of CPU at 80%): deploysim tracks invocations
  per instance per minute. A `Resource` (or `ContainerResource`) cpu `averageUtilization` U
  is U/100 of an instance's capacity, workers / mean service time (resolved from the
  catalog as the engine resolves the fleet), so the target is U/100 x capacity x 60 a
  minute; the arithmetic goes into the description. A Pods, Object or External metric
  whose name says requests per second (`requests-per-second`, `http_requests_per_second`,
  `rps`, ...) with an `averageValue` r is r x 60. Refused, naming the field: memory, a
  CPU `averageValue` (cores), a `Value` target (a total, not per pod), a label selector
  (part of the requests), any other metric, several metrics (the autoscaler takes the
  largest of their counts).
- `behavior.scaleDown.stabilizationWindowSeconds` (default 300) -> scale_in_cooldown, and
  the periods it spans -> scale_in_datapoints (the autoscaler scales in to the highest
  recommendation of the window, so only after the metric was low the whole window);
  `scaleUp` (default 0) likewise -> scale_out_cooldown / scale_out_datapoints, the
  cooldown at least the instances' start-up time and one period (a scale-up counts pods
  still starting as idle, so under a steady load Kubernetes adds none until they serve;
  deploysim's tracking would count them as busy and add one more each period).
  `scaleDown.selectPolicy: Disabled` -> disable_scale_in; `scaleDown.tolerance` (default
  0.1) -> scale_in_ratio 1 - tolerance. Noted: policies (rate limits), other selectPolicy
  values, the scale-out tolerance (deploysim scales out on any period above the target).
  Refused: `scaleUp.selectPolicy: Disabled`, minReplicas 0.
- without an autoscaler a Deployment's size is fixed: a base's `autoscaling` is dropped,
  which a note says.

May import what the other converters may, and `simulator.engine.fleet.build_variant`,
which resolves a fleet's workers and service time as a run would (it runs nothing).
"""

from __future__ import annotations

import math
import re
from typing import Any

from simulator.engine.fleet import Variant, build_variant
from simulator.importers.context import Context
from simulator.userfiles import brief

WORKLOADS = {
    "StatefulSet": "a StatefulSet replaces its pods one by one in reverse ordinal order, "
    "each keeping its identity and volumes; only a Deployment's update is imported",
    "DaemonSet": "a DaemonSet runs one pod per node, not a fleet of a chosen size",
    "ReplicaSet": "a ReplicaSet does not roll out a new version; import its Deployment",
}
DOC_FIELDS = {"apiVersion", "kind", "metadata", "spec", "status"}
SPEC_IGNORED = {"selector", "template", "revisionHistoryLimit"}
SPEC_FIELDS = SPEC_IGNORED | {"replicas", "strategy", "minReadySeconds", "paused",
                              "progressDeadlineSeconds"}  # fmt: skip
HPA_VERSIONS = ("autoscaling/v2", "autoscaling/v2beta2", "autoscaling/v1")
DEFAULT_CPU = 80  # pkg/apis/autoscaling DefaultCPUUtilization: no metrics given
DEFAULT_SCALE_DOWN_WINDOW = 300  # --horizontal-pod-autoscaler-downscale-stabilization
MAX_WINDOW = 3600  # HPAScalingRules: stabilizationWindowSeconds at most one hour
_PERCENT = re.compile(r"[0-9]+%")
_QUANTITY = re.compile(
    r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][-+]?[0-9]+)?"
)
_SUFFIX = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
           "E": 1e18, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50,
           "Ei": 2.0**60}  # fmt: skip
_RATE = re.compile(r"(?:^|.*[-_.])(?:requests?|invocations?|queries)[-_.]?per[-_.]?(?:second|sec|s)"
                   r"|(?:^|.*[-_.])(?:rps|qps)", re.IGNORECASE)  # fmt: skip
RATE_NAMES = "names saying requests per second: requests-per-second, http_requests_per_second, rps"


def convert(docs: list[Any], ctx) -> dict:
    """Scenario patch for a Deployment and the HorizontalPodAutoscaler in the same file."""
    deployment = next(d for d in docs if _is_workload(d))
    kind, api = deployment["kind"], deployment["apiVersion"]
    if kind != "Deployment":
        ctx.fail("kind", f"{Context.key(kind)}: {WORKLOADS[kind]}")
    if api != "apps/v1":
        ctx.fail("apiVersion", f"{brief(api)}: only apps/v1 Deployments are imported (earlier "
                 "versions, removed in Kubernetes 1.16, default maxSurge and maxUnavailable to "
                 "1 and set no progress deadline)")  # fmt: skip
    autoscalers = []
    for i, doc in enumerate(docs):
        if doc is deployment:
            continue
        if not (isinstance(doc, dict) and doc.get("kind") == "HorizontalPodAutoscaler"):
            found = brief(doc.get("kind")) if isinstance(doc, dict) else brief(doc)
            ctx.fail(f"document {i}", f"kind {found} next to a Deployment: only a "
                     "HorizontalPodAutoscaler is read with it")  # fmt: skip
        autoscalers.append((i, doc))
    if len(autoscalers) > 1:
        ctx.fail(f"document {autoscalers[1][0]}", "a second HorizontalPodAutoscaler: "
                 "Kubernetes lets one autoscaler own a Deployment's replicas")  # fmt: skip
    ctx.unknown(deployment, DOC_FIELDS, "")
    spec = ctx.mapping(deployment.get("spec"), "spec")
    ctx.unknown(spec, SPEC_FIELDS, "spec")
    if spec.get("template") is None:
        ctx.fail("spec.template", "missing: a Deployment needs its pod template (Kubernetes "
                 "refuses one without)")  # fmt: skip
    if ctx.flag(spec.get("paused", False), "spec.paused"):
        ctx.fail("spec.paused", "a paused Deployment rolls nothing out")
    replicas = ctx.integer(spec.get("replicas", 1), "spec.replicas", low=1,
                           why="a whole number of pods; 0 has nothing to simulate")  # fmt: skip
    ready = ctx.integer(spec.get("minReadySeconds", 0), "spec.minReadySeconds", low=0,
                        why="whole seconds, never negative")  # fmt: skip
    if "progressDeadlineSeconds" in spec:
        deadline = ctx.integer(spec["progressDeadlineSeconds"], "spec.progressDeadlineSeconds",
                               low=ready + 1, why="whole seconds, more than minReadySeconds "
                               "(Kubernetes refuses less)")  # fmt: skip
        ctx.note(f"spec.progressDeadlineSeconds {deadline} not simulated: Kubernetes only "
                 "reports Progressing=False then and never rolls back")  # fmt: skip
    patch: dict[str, Any] = {"strategy": _strategy(spec, replicas, ready, ctx), "fleet": {}}
    version = _image_tag(spec, ctx)
    if version is not None:
        if version == ctx.base.fleet.version:
            ctx.fail("spec.template.spec.containers[0].image", f"the tag {brief(version)} "
                     "is the running fleet's version: the Deployment changes nothing")  # fmt: skip
        patch["release"] = {"version": version}
    if autoscalers:
        i, hpa = autoscalers[0]
        name = ctx.mapping(deployment.get("metadata"), "metadata").get("name")
        name = ctx.text(name, "metadata.name")
        patch["autoscaling"] = _autoscaling(hpa, f"document {i}", deployment, name, ctx)
        low, high = patch["autoscaling"]["min"], patch["autoscaling"]["max"]
        given = replicas
        replicas = min(max(replicas, low), high)
        if replicas != given:
            said = f"spec.replicas {given}" if "replicas" in spec else "spec.replicas (unset: 1)"
            ctx.note(f"{said} is outside the autoscaler's {low}-{high}: it sets {replicas} at "
                     "its first sync, where the run starts")  # fmt: skip
    else:
        patch["autoscaling"] = None
        if ctx.base.autoscaling is not None:
            ctx.note("the base scenario's autoscaling dropped: without a HorizontalPodAutoscaler "
                     "a Deployment keeps its replicas")  # fmt: skip
    patch["fleet"]["instances"] = replicas
    return patch


def _is_workload(doc: Any) -> bool:
    """An apps/* (or extensions/*) workload: the document the converter starts from."""
    if not isinstance(doc, dict) or not isinstance(doc.get("apiVersion"), str):
        return False
    api = doc["apiVersion"]
    return api.startswith(("apps/", "extensions/")) and doc.get("kind") in (
        {"Deployment"} | set(WORKLOADS)
    )


def workload_kind(doc: Any) -> str | None:
    """'Kubernetes Deployment' (or the other workload's kind) for an apps/* workload."""
    return f"Kubernetes {doc['kind']}" if _is_workload(doc) else None


def _strategy(spec: dict, replicas: int, ready: int, ctx) -> dict:
    """The rolling or big-bang strategy of `spec.strategy`, baking minReadySeconds."""
    where = "spec.strategy"
    strategy = ctx.mapping(spec.get("strategy"), where)
    ctx.unknown(strategy, {"type", "rollingUpdate"}, where)
    kind = ctx.choice(strategy.get("type", "RollingUpdate"), f"{where}.type",
                      ("RollingUpdate", "Recreate"), why="Kubernetes' two strategies")  # fmt: skip
    gate = {"type": "none"}  # a Deployment runs no analysis and never rolls back by itself
    if kind == "Recreate":
        if "rollingUpdate" in strategy:
            ctx.fail(f"{where}.rollingUpdate", "may not be given with type Recreate "
                     "(Kubernetes refuses it)")  # fmt: skip
        if ready:
            ctx.note(f"spec.minReadySeconds {ready} -> a bake of {ready} s after the new pods "
                     "serve: the update completes that much later")  # fmt: skip
        return {"type": "big_bang", "overlap": False, "bake": float(ready), "gate": gate}
    platform = ctx.base.platform.name
    if platform != "sagemaker":
        ctx.fail(where, f"the base scenario runs on {platform}, whose own rolling update "
                 "would set the bounds instead of maxSurge and maxUnavailable: use a base on "
                 "the default platform")  # fmt: skip
    targets = [ctx.base.fleet.target] + ([ctx.base.release_fleet.target]
                                         if ctx.base.release is not None else [])  # fmt: skip
    if any(t.startswith("ml.inf1.") for t in targets):
        ctx.fail(where, "the base fleet is on ml.inf1, where deploysim plays SageMaker's "
                 "all-at-once update, not a rolling one: use another target")  # fmt: skip
    rolling = ctx.mapping(strategy.get("rollingUpdate"), f"{where}.rollingUpdate")
    ctx.unknown(rolling, {"maxSurge", "maxUnavailable"}, f"{where}.rollingUpdate")
    surge = _int_or_percent(rolling.get("maxSurge", "25%"), f"{where}.rollingUpdate.maxSurge",
                            ctx)  # fmt: skip
    unavailable = _int_or_percent(rolling.get("maxUnavailable", "25%"),
                                  f"{where}.rollingUpdate.maxUnavailable", ctx)  # fmt: skip
    if isinstance(unavailable, str) and int(unavailable[:-1]) > 100:
        ctx.fail(f"{where}.rollingUpdate.maxUnavailable", f"{unavailable}: must not be greater "
                 "than 100% (Kubernetes refuses it)")  # fmt: skip
    if _zero(surge) and _zero(unavailable):
        ctx.fail(f"{where}.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0 "
                 "(Kubernetes refuses it: no pod could ever be replaced)")  # fmt: skip
    if isinstance(surge, str) and int(surge[:-1]) > 100:
        ctx.note(f"{where}.rollingUpdate.maxSurge {surge} acts as 100%: every new pod at once")
        surge = "100%"
    if ready:
        ctx.note(f"spec.minReadySeconds {ready} -> a bake of {ready} s after each batch serves: "
                 "a pod counts as available that long after it is ready")  # fmt: skip
    return {"type": "rolling", "max_surge": surge, "max_unavailable": unavailable,
            "bake": float(ready), "gate": gate}  # fmt: skip


def _zero(value: int | str) -> bool:
    return value == 0 or value == "0%"


def _int_or_percent(value: Any, field: str, ctx) -> int | str:
    """An IntOrString: a whole number of pods or a whole percentage such as '25%'."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= 8 and _PERCENT.fullmatch(text):
            return f"{int(text[:-1])}%"
        ctx.fail(field, f"expected a whole number or a percentage like '25%', got {brief(value)}")
    return ctx.integer(value, field, low=0, why="a number of pods, never negative")


def _image_tag(spec: dict, ctx) -> str | None:
    """The first container's image tag (after the last ':' of its last path part), if any."""
    template = ctx.mapping(spec.get("template"), "spec.template")
    pod = ctx.mapping(template.get("spec"), "spec.template.spec")
    containers = ctx.items(pod.get("containers"), "spec.template.spec.containers")
    if not containers:
        return None
    first = ctx.mapping(containers[0], "spec.template.spec.containers[0]")
    if first.get("image") is None:
        return None
    image = ctx.text(first["image"], "spec.template.spec.containers[0].image")
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    return tag or None


def _autoscaling(hpa: dict, where: str, deployment: dict, name: str, ctx) -> dict:
    """The `autoscaling` section of a HorizontalPodAutoscaler scaling the Deployment."""
    api = hpa.get("apiVersion")
    if api not in HPA_VERSIONS:
        ctx.fail(f"{where}.apiVersion", f"{brief(api)}: only {', '.join(HPA_VERSIONS)} are "
                 "read (autoscaling/v2beta1 spells its metrics differently)")  # fmt: skip
    ctx.unknown(hpa, DOC_FIELDS, where)
    own = ctx.mapping(hpa.get("metadata"), f"{where}.metadata").get("namespace")
    theirs = ctx.mapping(deployment.get("metadata"), "metadata").get("namespace")
    if own is not None and theirs is not None and own != theirs:
        ctx.fail(f"{where}.metadata.namespace", f"{brief(own)}, not the Deployment's "
                 f"{brief(theirs)}: an autoscaler scales in its own namespace")  # fmt: skip
    spec = ctx.mapping(hpa.get("spec"), f"{where}.spec")
    fields = {"scaleTargetRef", "minReplicas", "maxReplicas"}
    fields |= (
        {"targetCPUUtilizationPercentage"} if api == "autoscaling/v1" else {"metrics", "behavior"}
    )
    ctx.unknown(spec, fields, f"{where}.spec")
    ref = ctx.mapping(spec.get("scaleTargetRef"), f"{where}.spec.scaleTargetRef")
    ctx.unknown(ref, {"apiVersion", "kind", "name"}, f"{where}.spec.scaleTargetRef")
    target_kind = ctx.text(ref.get("kind"), f"{where}.spec.scaleTargetRef.kind")
    target = ctx.text(ref.get("name"), f"{where}.spec.scaleTargetRef.name")
    if target_kind != "Deployment" or target != name:
        ctx.fail(f"{where}.spec.scaleTargetRef", f"scales {Context.key(target_kind)} "
                 f"{brief(target)}, not the Deployment in the file, {brief(name)}")  # fmt: skip
    low = ctx.integer(spec.get("minReplicas", 1), f"{where}.spec.minReplicas", low=1,
                      why="0 is the alpha scale-to-zero; deploysim keeps one instance")  # fmt: skip
    high = ctx.integer(spec.get("maxReplicas"), f"{where}.spec.maxReplicas", low=low,
                       why="at least minReplicas (Kubernetes refuses less)")  # fmt: skip
    out: dict[str, Any] = {"min": low, "max": high}
    if api == "autoscaling/v1":
        percent = spec.get("targetCPUUtilizationPercentage", DEFAULT_CPU)
        out["target"] = _cpu(percent, f"{where}.spec.targetCPUUtilizationPercentage", ctx)
    else:
        out["target"] = _metrics(spec.get("metrics"), f"{where}.spec.metrics", ctx)
    out |= _behavior(spec.get("behavior"), f"{where}.spec.behavior", ctx)
    # A scale-up counts pods still starting as idle (CPU: "not yet ready"; other metrics:
    # missing), so under a steady load it adds none until those it added serve. deploysim's
    # tracking counts them as busy instances: wait until they start, and a period with them
    # serving is measured.
    wait = _variant(ctx.base.fleet, ctx).provisioning_s + ctx.base.monitoring.period
    if out["scale_out_cooldown"] < wait:
        out["scale_out_cooldown"] = wait
        ctx.note(f"scale_out_cooldown {wait:g} s, the instances' start-up and a period: "
                 "Kubernetes counts pods still starting as idle, so adds none until they "
                 "serve")  # fmt: skip
    return out


def _metrics(value: Any, field: str, ctx) -> float:
    """Invocations per instance per minute from the autoscaler's one metric."""
    metrics = ctx.items(value, field)
    if not metrics:
        ctx.note(f"{field} not given: Kubernetes' default, CPU at {DEFAULT_CPU}%")
        return _cpu(DEFAULT_CPU, field, ctx)
    if len(metrics) > 1:
        ctx.fail(field, f"{len(metrics)} metrics: the autoscaler takes the largest of their "
                 "replica counts; deploysim's target tracking follows one metric")  # fmt: skip
    field = f"{field}[0]"
    metric = ctx.mapping(metrics[0], field)
    sources = {"Resource": "resource", "ContainerResource": "containerResource",
               "Pods": "pods", "Object": "object", "External": "external"}  # fmt: skip
    kind = ctx.choice(metric.get("type"), f"{field}.type", sources,
                      why="the autoscaling/v2 metric source types")  # fmt: skip
    key = sources[kind]
    ctx.unknown(metric, {"type", key}, field)
    field = f"{field}.{key}"
    source = ctx.mapping(metric.get(key), field)
    if kind in ("Resource", "ContainerResource"):
        ctx.unknown(source, {"name", "target"} | ({"container"} if key != "resource" else set()),
                    field)  # fmt: skip
        resource = ctx.text(source.get("name"), f"{field}.name")
        if resource != "cpu":
            ctx.fail(f"{field}.name", f"{brief(resource)}: only cpu is mapped (deploysim's "
                     "instances have no memory use to track)")  # fmt: skip
        goal = ctx.mapping(source.get("target"), f"{field}.target")
        ctx.unknown(goal, {"type", "averageUtilization", "averageValue"}, f"{field}.target")
        if goal.get("type") != "Utilization" or "averageUtilization" not in goal:
            ctx.fail(f"{field}.target", "only a Utilization target (averageUtilization, percent "
                     "of the CPU request) is mapped: an averageValue in cores needs the pod's "
                     "CPU request, which deploysim does not know")  # fmt: skip
        if key == "containerResource":
            ctx.note(f"{field}: the container's CPU read as the instance's (no sidecars here)")
        return _cpu(goal["averageUtilization"], f"{field}.target.averageUtilization", ctx)
    ctx.unknown(source, {"metric", "target"} | ({"describedObject"} if key == "object" else set()),
                field)  # fmt: skip
    about = ctx.mapping(source.get("metric"), f"{field}.metric")
    ctx.unknown(about, {"name", "selector"}, f"{field}.metric")
    name = ctx.text(about.get("name"), f"{field}.metric.name")
    if not (len(name) <= 100 and _RATE.fullmatch(name)):
        ctx.fail(f"{field}.metric.name", f"{brief(name)} is not read as a request rate; "
                 f"deploysim tracks invocations per instance ({RATE_NAMES})")  # fmt: skip
    if about.get("selector"):
        ctx.fail(f"{field}.metric.selector", "a label selector counts part of the requests; "
                 "deploysim's target tracking counts every invocation")  # fmt: skip
    goal = ctx.mapping(source.get("target"), f"{field}.target")
    ctx.unknown(goal, {"type", "value", "averageValue"}, f"{field}.target")
    if goal.get("type") != "AverageValue" or "averageValue" not in goal:
        ctx.fail(f"{field}.target", "only an AverageValue target (requests per second per pod) "
                 "is mapped: a Value is a total compared whatever the pod count")  # fmt: skip
    rate = _quantity(goal["averageValue"], f"{field}.target.averageValue", ctx)
    if kind != "Pods":
        ctx.note(f"{field}: {brief(name)} read as this Deployment's own requests")
    per_minute = rate * 60.0
    ctx.note(f"{field} {brief(name)} {rate:g}/s per pod -> target {rate:g} x 60 = "
             f"{per_minute:g} invocations per instance per minute")  # fmt: skip
    return per_minute


def _cpu(value: Any, field: str, ctx) -> float:
    """Invocations per instance per minute at U% CPU: U/100 x workers / mean service x 60."""
    percent = ctx.integer(value, field, low=1, high=100, why="a whole percentage of the CPU "
                          "request; deploysim's instance has no CPU beyond its workers, so a "
                          "target above 100% would never be reached")  # fmt: skip
    workers, mean, per_second, metric = _capacity(ctx.base.fleet, ctx)
    per_minute = percent / 100 * per_second * 60.0
    ctx.note(f"{field} {percent}% of CPU -> target {percent}/100 x {workers} workers / "
             f"{mean:.4g} s mean service x 60 = {per_minute:.4g} invocations per instance per "
             "minute (an instance's CPU read as its busy workers)")  # fmt: skip
    if metric != "CPUUtilization":
        ctx.note(f"the model runs on {ctx.base.fleet.target}'s accelerator, yet the CPU is "
                 "read as its busy share: a server's CPU need not follow it")  # fmt: skip
    release = ctx.base.release_fleet
    if release is not None:
        theirs = percent / 100 * _capacity(release, ctx)[2] * 60.0
        if not math.isclose(theirs, per_minute, rel_tol=1e-9):
            ctx.note(f"the release's own capacity would give {theirs:.4g}; the target follows "
                     "the running fleet")  # fmt: skip
    return per_minute


def _variant(spec, ctx) -> Variant:
    """A fleet resolved as a run resolves it: workers, service time, start-up time."""
    return build_variant(spec.version, spec, is_release=False, platform=ctx.base.platform.name)


def _capacity(spec, ctx) -> tuple[int, float, float, str]:
    """(workers, mean service s, requests a second, utilization metric) of one instance."""
    variant = _variant(spec, ctx)
    mean = variant.service.mean
    return variant.workers, mean, variant.workers / mean, variant.utilisation_metric


def _quantity(value: Any, field: str, ctx) -> float:
    """A Kubernetes quantity (10, '500m', '1k', '1.5') as a positive number."""
    if isinstance(value, str):
        text = value.strip()
        match = _QUANTITY.fullmatch(text) if len(text) <= 32 else None
        if match is None:
            ctx.fail(field, f"expected a quantity like 10, '500m' or '2k', got {brief(value)}")
        number, suffix = float(match.group(1)), match.group(2) or ""
        scale = (_SUFFIX.get(suffix) or float("1" + suffix)) if suffix else 1.0
        value = number * scale  # an exponent too large is inf, refused below
    number = ctx.number(value, field, low=0)
    if number <= 0:
        ctx.fail(field, "must be positive (Kubernetes refuses 0)")
    return number


def _behavior(value: Any, field: str, ctx) -> dict:
    """Cooldowns, datapoints and scale-in settings from `behavior`."""
    behavior = ctx.mapping(value, field)
    ctx.unknown(behavior, {"scaleUp", "scaleDown"}, field)
    period = ctx.base.monitoring.period
    out: dict[str, Any] = {}
    for key, direction, default in (("scaleUp", "out", 0), ("scaleDown", "in",
                                                           DEFAULT_SCALE_DOWN_WINDOW)):  # fmt: skip
        where = f"{field}.{key}"
        rules = ctx.mapping(behavior.get(key), where)
        ctx.unknown(rules, {"stabilizationWindowSeconds", "selectPolicy", "policies",
                            "tolerance"}, where)  # fmt: skip
        window = ctx.integer(rules.get("stabilizationWindowSeconds", default),
                             f"{where}.stabilizationWindowSeconds", low=0, high=MAX_WINDOW,
                             why="whole seconds, at most an hour")  # fmt: skip
        out[f"scale_{direction}_cooldown"] = float(window)
        out[f"scale_{direction}_datapoints"] = max(1, math.ceil(window / period - 1e-9))
        select = ctx.choice(rules.get("selectPolicy", "Max"), f"{where}.selectPolicy",
                            ("Max", "Min", "Disabled"))  # fmt: skip
        if select == "Disabled" and key == "scaleUp":
            ctx.fail(f"{where}.selectPolicy", "Disabled: deploysim's target tracking always "
                     "scales out; set maxReplicas to minReplicas for a fixed size")  # fmt: skip
        if select == "Disabled":
            out["disable_scale_in"] = True
        elif "selectPolicy" in rules or "policies" in rules:
            policies = ctx.items(rules.get("policies"), f"{where}.policies")
            ctx.note(f"{where}.policies ({len(policies)}, selectPolicy {select}) not modelled: "
                     "deploysim moves to the desired count in one step")  # fmt: skip
        # --horizontal-pod-autoscaler-tolerance: no scaling within 10% of the target
        tolerance = ctx.number(rules.get("tolerance", 0.1), f"{where}.tolerance", low=0,
                               high=0.999, why="a share of the target")  # fmt: skip
        if key == "scaleDown":
            out["scale_in_ratio"] = 1.0 - tolerance
        elif tolerance > 0:
            ctx.note(f"the scale-out tolerance {tolerance:g} not modelled: deploysim scales out "
                     f"on any period above the target, Kubernetes above {1 + tolerance:g} x "
                     "it")  # fmt: skip
    return out
