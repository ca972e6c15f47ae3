"""A HorizontalPodAutoscaler beside an imported Deployment -> the scenario's `autoscaling`.

The arithmetic and the defaults are in `kubernetes.py`'s module docstring and in
docs/reference/kubernetes.md (importing a HorizontalPodAutoscaler): a CPU utilisation
target becomes invocations per instance per minute from the fleet's capacity, a request
rate target is read as it is, and the stabilization windows become cooldowns.
"""

from __future__ import annotations

import math
import re
from typing import Any

from simulator.engine.fleet import Variant, build_variant
from simulator.importers.context import Context
from simulator.userfiles import brief

HPA_VERSIONS = ("autoscaling/v2", "autoscaling/v2beta2", "autoscaling/v1")
DOC_FIELDS = {"apiVersion", "kind", "metadata", "spec", "status"}
DEFAULT_CPU = 80  # pkg/apis/autoscaling DefaultCPUUtilization: no metrics given
DEFAULT_SCALE_DOWN_WINDOW = 300  # --horizontal-pod-autoscaler-downscale-stabilization
MAX_WINDOW = 3600  # HPAScalingRules: stabilizationWindowSeconds at most one hour
_QUANTITY = re.compile(
    r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][-+]?[0-9]+)?"
)
_SUFFIX = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
           "E": 1e18, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50,
           "Ei": 2.0**60}  # fmt: skip
_RATE = re.compile(r"(?:^|.*[-_.])(?:requests?|invocations?|queries)[-_.]?per[-_.]?(?:second|sec|s)"
                   r"|(?:^|.*[-_.])(?:rps|qps)", re.IGNORECASE)  # fmt: skip
RATE_NAMES = "names saying requests per second: requests-per-second, http_requests_per_second, rps"


def autoscaling(hpa: dict, where: str, deployment: dict, name: str, ctx) -> dict:
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
