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

import re
from typing import Any

from simulator.importers import hpa as hpa_section
from simulator.importers.context import Context
from simulator.importers.hpa import DOC_FIELDS
from simulator.userfiles import brief

WORKLOADS = {
    "StatefulSet": "a StatefulSet replaces its pods one by one in reverse ordinal order, "
    "each keeping its identity and volumes; only a Deployment's update is imported",
    "DaemonSet": "a DaemonSet runs one pod per node, not a fleet of a chosen size",
    "ReplicaSet": "a ReplicaSet does not roll out a new version; import its Deployment",
}
SPEC_IGNORED = {"selector", "template", "revisionHistoryLimit"}
SPEC_FIELDS = SPEC_IGNORED | {"replicas", "strategy", "minReadySeconds", "paused",
                              "progressDeadlineSeconds"}  # fmt: skip
_PERCENT = re.compile(r"[0-9]+%")


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
        patch["autoscaling"] = hpa_section.autoscaling(hpa, f"document {i}", deployment, name, ctx)
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
