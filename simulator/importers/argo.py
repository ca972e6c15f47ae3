"""Argo Rollouts `Rollout` (canary) and its `AnalysisTemplate`s -> a canary with an argo gate.

Mapping:
- `spec.replicas` -> fleet.instances.
- canary `steps`: `setWeight: w` then `pause: {duration: d}` -> a step {weight: w, bake: d};
  a `setWeight` followed by another `setWeight` bakes 0 s. A `pause: {}` with no duration
  waits for a human: as the last step (Argo then waits for a manual promotion) it bakes for
  the whole run, so the release is still waiting when the run ends (outcome "incomplete");
  anywhere else it is refused (the later steps would never run), asking for a duration.
- an inline `analysis` step blocks until its run ends: a bake at the current weight of
  (count - 1) x interval (the last measurement's time), watched by the same gate.
- background `analysis` (from `startingStep`, which must not come after the first bake)
  and inline analysis -> one gate {type: argo, interval, initial_delay, count,
  failure_limit, checks}; both must name the same templates, which must be in the file.
  A `count` of 0 is Argo's unset count (Metric.EffectiveCount: with an interval, measure
  until the rollout ends), so the gate gets no count.
- a metric's `successCondition` / `failureCondition` `result[0] OP number` -> a check on
  what its query measures (`promql.py`): a share of 5xx responses (or of responses that
  are not 5xx: a success rate, whose bound becomes one on the error rate) ->
  error_rate; `histogram_quantile(0.99|0.95|0.5, ...)` -> latency_p99/p95/p50, the
  number in seconds (milliseconds if the query says `_ms`); any other query is refused,
  quoted. Strict conditions are kept exact: `result[0] < 0.01` passes below 0.01 only,
  so the check's max is the largest float below 0.01 (a check fails strictly above it).
- analysis `args`: `{{args.name}}` in a query takes the Rollout's value for the arg, else
  the template's default; an arg with neither, or read from the cluster (`valueFrom`),
  is refused.
- `abortScaleDownDelaySeconds` -> scale_down_delay.
- ignored (documented): metadata, selector, template, workloadRef, revisionHistoryLimit,
  canaryService, stableService, trafficRouting's router details, provider addresses,
  and `maxSurge`/`maxUnavailable`, which with a traffic router do not set traffic;
  `consecutiveErrorLimit` (the simulation has no query errors).
- noted in the description: progressDeadlineSeconds/progressDeadlineAbort (the
  simulator has no progress deadline; provisioning never stalls).
- refused with Argo's own reason where it has one (argo-rollouts
  pkg/apis/rollouts/validation/validation.go, utils/analysis/helpers.go ValidateMetric;
  types in pkg/apis/rollouts/v1alpha1/types.go): setWeight outside 0-100 or not whole,
  negative replicas, durations or limits, count below failureLimit; also 0 replicas
  (nothing to simulate) and abortScaleDownDelaySeconds 0 (Argo then never scales the
  canary down after an abort, which scale_down_delay cannot express).
- refused: blueGreen, steps other than setWeight/pause/analysis (experiment,
  setCanaryScale, setHeaderRoute, setMirrorRoute), a canary without trafficRouting (Argo
  then approximates weights by replica counts), inconclusiveLimit, conditions other than
  `result[0] OP number`, both success and failure conditions, and any unknown field.
"""

from __future__ import annotations

import re
from typing import Any

from simulator.importers import promql
from simulator.userfiles import brief

_ARG = re.compile(r"\{\{\s*args\.([\w-]+)\s*\}\}")

SPEC_IGNORED = {"selector", "template", "workloadRef", "revisionHistoryLimit", "paused"}
CANARY_IGNORED = {"canaryService", "stableService", "trafficRouting", "maxSurge",
                  "maxUnavailable", "canaryMetadata", "stableMetadata"}  # fmt: skip
STEP_REFUSED = {
    "experiment": "experiments (extra ReplicaSets judged side by side) are not modelled",
    "setCanaryScale": "a canary size decoupled from its weight is not modelled",
    "setHeaderRoute": "header-based routing is not modelled (traffic is split by weight only)",
    "setMirrorRoute": "mirroring during a canary is not modelled (use a shadow strategy)",
}
METRIC_FIELDS = {"name", "interval", "initialDelay", "count", "successCondition",
                 "failureCondition", "failureLimit", "inconclusiveLimit",
                 "consecutiveErrorLimit", "provider"}  # fmt: skip
SET_WEIGHT = "Argo's setWeight is a whole percentage of traffic (int32, 0 to 100)"
NOT_NEGATIVE = "Argo's ValidateMetric refuses a negative {}"


def convert(docs: list[Any], ctx) -> dict:
    """Scenario patch for a Rollout and the AnalysisTemplates in the same file."""
    rollout = next(d for d in docs if isinstance(d, dict) and d.get("kind") == "Rollout")
    templates = {}
    for i, doc in enumerate(docs):
        if doc is rollout:
            continue
        kind = doc.get("kind") if isinstance(doc, dict) else None
        if kind not in ("AnalysisTemplate", "ClusterAnalysisTemplate"):
            why = f"kind {brief(kind)} next to a Rollout: only AnalysisTemplates are supported"
            ctx.fail(f"document {i}", why)
        metadata = ctx.mapping(doc.get("metadata"), f"document {i}.metadata")
        templates[ctx.text(metadata.get("name"), f"document {i}.metadata.name")] = doc
    spec = ctx.mapping(rollout.get("spec"), "spec")
    known = SPEC_IGNORED | {"replicas", "strategy", "progressDeadlineSeconds",
                            "progressDeadlineAbort", "minReadySeconds"}  # fmt: skip
    ctx.unknown(spec, known, "spec")
    patch: dict[str, Any] = {}
    if "replicas" in spec:
        why = "Argo's replicas is a whole number, never negative; 0 has nothing to simulate"
        replicas = ctx.integer(spec["replicas"], "spec.replicas", low=1, why=why)
        patch["fleet"] = {"instances": replicas}
    if ctx.integer(spec.get("minReadySeconds", 0), "spec.minReadySeconds", low=0):
        ctx.fail("spec.minReadySeconds", "a readiness delay after provisioning is not modelled")
    if "progressDeadlineSeconds" in spec or "progressDeadlineAbort" in spec:
        deadline = ctx.integer(spec.get("progressDeadlineSeconds", 600),
                               "spec.progressDeadlineSeconds", low=0)  # fmt: skip
        abort = ctx.flag(spec.get("progressDeadlineAbort", False), "spec.progressDeadlineAbort")
        ctx.note(f"spec.progressDeadlineSeconds {deadline} (abort: {abort}) not simulated: "
                 "provisioning never stalls here")  # fmt: skip
    strategy = ctx.mapping(spec.get("strategy"), "spec.strategy")
    if "canary" not in strategy:
        found = brief(list(strategy))
        ctx.fail("spec.strategy", f"only the canary strategy is imported, found {found}")
    ctx.unknown(strategy, {"canary"}, "spec.strategy")
    canary = ctx.mapping(strategy["canary"], "spec.strategy.canary")
    patch["strategy"] = _canary(canary, templates, ctx)
    return patch


def _canary(canary: dict, templates: dict, ctx) -> dict:
    """The canary strategy: steps and one argo gate."""
    where = "spec.strategy.canary"
    known = CANARY_IGNORED | {"steps", "analysis", "abortScaleDownDelaySeconds"}
    ctx.unknown(canary, known, where)
    if "trafficRouting" not in canary:
        ctx.fail(f"{where}.trafficRouting", "missing: without a traffic router Argo approximates "
                 "weights by replica counts, which the canary strategy does not model")  # fmt: skip
    raw_steps = ctx.items(canary.get("steps"), f"{where}.steps")
    steps, analysis_names, args, first_bake = _steps(raw_steps, ctx)
    if canary.get("analysis") is not None:
        background = ctx.mapping(canary["analysis"], f"{where}.analysis")
        ctx.unknown(background, {"templates", "startingStep", "args"}, f"{where}.analysis")
        starting = ctx.integer(background.get("startingStep", 0),
                               f"{where}.analysis.startingStep", low=0)  # fmt: skip
        if first_bake is not None and starting > first_bake:
            ctx.fail(f"{where}.analysis.startingStep", f"{starting} starts analysis after "
                     "the canary has already baked with traffic; the simulated gate watches "
                     f"from the first weight (use startingStep <= {first_bake})")  # fmt: skip
        names, given = _template_names(background, f"{where}.analysis", ctx)
        if analysis_names and (names, given) != (analysis_names, args):
            ctx.fail(f"{where}.analysis.templates", "background and inline analysis must use "
                     "the same templates and args: the simulation runs one gate")  # fmt: skip
        analysis_names, args = names, given
    out: dict[str, Any] = {"type": "canary", "steps": steps}
    if "abortScaleDownDelaySeconds" in canary:
        # Argo docs, "Scaledown New Replicaset on Aborted Rollout": 0 keeps the canary
        # scaled up indefinitely after an abort; scale_down_delay is a delay in seconds.
        delay = ctx.integer(canary["abortScaleDownDelaySeconds"],
                            f"{where}.abortScaleDownDelaySeconds", low=1,
                            why="0 keeps the aborted canary up indefinitely in Argo, which "
                            "the simulation cannot express; give a delay in seconds")  # fmt: skip
        out["scale_down_delay"] = float(delay)
    if analysis_names:
        out["gate"] = _gate(analysis_names, templates, args, ctx)
        inline = any(s.get("_inline") for s in steps)
        if inline and "count" not in out["gate"]:
            ctx.fail("analysis.templates", "an inline analysis step without a metric count "
                     "never ends; give the metric a count")  # fmt: skip
        if inline and canary.get("analysis") is not None:
            ctx.note("inline and background analysis share one argo gate (one run)")
        for step in steps:
            if step.pop("_inline", False):
                step["bake"] = (out["gate"].get("count", 1) - 1) * out["gate"]["interval"]
    else:
        out["gate"] = {"type": "none"}
        ctx.note("no analysis: the rollout is never rolled back automatically")
    return out


def _steps(raw: list, ctx) -> tuple[list[dict], list[str], dict[str, str], int | None]:
    """Canary steps, the inline analysis templates and args, and the first bake's index."""
    steps: list[dict] = []
    weight: float | None = None
    pending = False  # a setWeight not yet followed by a pause
    names: list[str] = []
    args: dict[str, str] = {}
    first_bake = None
    for i, step in enumerate(raw):
        field = f"spec.strategy.canary.steps[{i}]"
        step = ctx.mapping(step, field)
        if len(step) != 1:
            ctx.fail(field, "each step must have exactly one action")
        (action, value), = step.items()  # fmt: skip
        if action in STEP_REFUSED:
            ctx.fail(f"{field}.{action}", STEP_REFUSED[action])
        if action == "setWeight":
            if pending:
                steps.append({"weight": weight, "bake": 0.0})
            weight = float(ctx.integer(value, f"{field}.setWeight", low=0, high=100,
                                       why=SET_WEIGHT))  # fmt: skip
            pending = True
            if weight == 0:
                ctx.fail(f"{field}.setWeight", "a weight of 0 is not a canary step")
        elif action == "pause":
            if weight is None:
                ctx.fail(f"{field}.pause", "a pause before any setWeight has no canary to watch")
            pause = ctx.mapping(value, f"{field}.pause")
            ctx.unknown(pause, {"duration"}, f"{field}.pause")
            if pause.get("duration") in (None, ""):
                if i != len(raw) - 1:
                    ctx.fail(f"{field}.pause", "a pause without a duration waits for a human, "
                             "which cannot be simulated; give it a duration, e.g. "
                             "{duration: 10m}")  # fmt: skip
                bake = float(ctx.base.duration)
                ctx.note(f"steps[{i}] pause without duration (manual promotion) baked for the "
                         "whole run: the release is never promoted")  # fmt: skip
            else:
                bake = ctx.duration(pause["duration"], f"{field}.pause.duration")
            steps.append({"weight": weight, "bake": bake})
            pending = False
            first_bake = i if first_bake is None else first_bake
        elif action == "analysis":
            if weight is None:
                ctx.fail(f"{field}.analysis", "an analysis before any setWeight is not modelled")
            if pending:
                steps.append({"weight": weight, "bake": 0.0})
                pending = False
            analysis = ctx.mapping(value, f"{field}.analysis")
            ctx.unknown(analysis, {"templates", "args"}, f"{field}.analysis")
            these, given = _template_names(analysis, f"{field}.analysis", ctx)
            if names and (these, given) != (names, args):
                ctx.fail(f"{field}.analysis", "all analysis must use the same templates and args")
            names, args = these, given
            steps.append({"weight": weight, "bake": 0.0, "_inline": True})
            first_bake = i if first_bake is None else first_bake
        else:
            ctx.fail(f"{field}.{ctx.key(action)}", "unknown canary step action")
    if pending:
        steps.append({"weight": weight, "bake": 0.0})
    return steps, names, args, first_bake


def _args(raw: list, field: str, ctx) -> dict[str, str]:
    """Analysis args by name: a `value`; `valueFrom` is read from the cluster, so refused."""
    out = {}
    for k, arg in enumerate(raw):
        where = f"{field}[{k}]"
        arg = ctx.mapping(arg, where)
        ctx.unknown(arg, {"name", "value", "valueFrom"}, where)
        name = ctx.text(arg.get("name"), f"{where}.name")
        if "valueFrom" in arg:
            ctx.fail(f"{where}.valueFrom", "read from the cluster when the analysis runs "
                     "(a pod template hash, a field of the Rollout): give a value")  # fmt: skip
        if "value" in arg:
            out[name] = str(ctx.text(str(arg["value"]), f"{where}.value"))
    return out


def _template_names(analysis: dict, field: str, ctx) -> tuple[list[str], dict[str, str]]:
    """The template names an analysis refers to, and the args it passes them."""
    args = _args(ctx.items(analysis.get("args"), f"{field}.args"), f"{field}.args", ctx)
    refs = ctx.items(analysis.get("templates"), f"{field}.templates")
    if not refs:
        ctx.fail(f"{field}.templates", "expected a list of {templateName: ...}")
    names = []
    for k, ref in enumerate(refs):
        where = f"{field}.templates[{k}]"
        ref = ctx.mapping(ref, where)
        ctx.unknown(ref, {"templateName", "clusterScope"}, where)
        names.append(ctx.text(ref.get("templateName"), f"{where}.templateName"))
    return names, args


def _gate(names: list[str], templates: dict, given: dict[str, str], ctx) -> dict:
    """One argo gate from the named templates' metrics (which must share their timing).

    Each template's args are its defaults overridden by those the Rollout passes (`given`).
    """
    metrics = []
    for name in names:
        if name not in templates:
            ctx.fail("analysis.templates", f"AnalysisTemplate {brief(name)} is not in the file "
                     f"(found {brief(sorted(templates))})")  # fmt: skip
        where = f"AnalysisTemplate {ctx.key(name)}.spec"
        spec = ctx.mapping(templates[name].get("spec"), where)
        args = _args(ctx.items(spec.get("args"), f"{where}.args"), f"{where}.args", ctx) | given
        for j, m in enumerate(ctx.items(spec.get("metrics"), f"{where}.metrics")):
            metrics.append((f"{where}.metrics[{j}]", ctx.mapping(m, f"{where}.metrics[{j}]"),
                            args))  # fmt: skip
    if not metrics:
        ctx.fail("analysis.templates", "the templates define no metrics")
    gate: dict[str, Any] = {"type": "argo", "checks": []}
    timing = None
    for field, m, args in metrics:
        ctx.unknown(m, METRIC_FIELDS, field)
        if ctx.integer(m.get("inconclusiveLimit", 0), f"{field}.inconclusiveLimit", low=0,
                       why=NOT_NEGATIVE.format("inconclusiveLimit")):  # fmt: skip
            ctx.fail(f"{field}.inconclusiveLimit", "inconclusive limits are not modelled")
        ctx.integer(m.get("consecutiveErrorLimit", 4), f"{field}.consecutiveErrorLimit", low=0,
                    why=NOT_NEGATIVE.format("consecutiveErrorLimit"))  # fmt: skip
        # Argo's Metric.EffectiveCount: a count of 0 (or none) with an interval runs until
        # the rollout ends, as no count does here.
        count = ctx.integer(m.get("count", 0), f"{field}.count", low=0,
                            why=NOT_NEGATIVE.format("count"))  # fmt: skip
        failure_limit = ctx.integer(m.get("failureLimit", 0), f"{field}.failureLimit", low=0,
                                    why=NOT_NEGATIVE.format("failureLimit"))  # fmt: skip
        if count and count < failure_limit:
            ctx.fail(f"{field}.count", f"{count} measurements can never exceed failureLimit "
                     f"{failure_limit}; Argo's ValidateMetric requires count >= "
                     "failureLimit")  # fmt: skip
        these = (
            ctx.duration(m.get("interval", 0), f"{field}.interval"),
            ctx.duration(m.get("initialDelay", 0), f"{field}.initialDelay"),
            count or None,
            failure_limit,
        )
        if timing is not None and these != timing:
            ctx.fail(field, "metrics with different interval/initialDelay/count/failureLimit "
                     "need separate analysis runs; the simulation runs one gate")  # fmt: skip
        timing = these
        gate["checks"].append(_check(m, field, args, ctx))
    interval, delay, count, failure_limit = timing
    if interval <= 0:
        ctx.fail(f"{metrics[0][0]}.interval", "a metric measured once (no interval) is not "
                 "modelled; give an interval")  # fmt: skip
    gate.update(interval=interval, failure_limit=failure_limit)
    if delay:
        gate["initial_delay"] = delay
    if count is not None:
        gate["count"] = count
    return gate


def _check(metric: dict, field: str, args: dict[str, str], ctx) -> dict:
    """A check from a metric's query (its args substituted) and its condition (`promql`)."""
    provider = ctx.mapping(metric.get("provider"), f"{field}.provider")
    query = None
    for kind, settings in provider.items():
        where = f"{field}.provider.{ctx.key(kind)}"
        settings = ctx.mapping(settings, where)
        if settings.get("query") not in (None, ""):
            query = _substitute(ctx.text(settings["query"], f"{where}.query"), args,
                                f"{where}.query", ctx)  # fmt: skip
            break
    if query is None:
        ctx.fail(f"{field}.provider", "no query to tell which metric is measured")
    success, failure = metric.get("successCondition"), metric.get("failureCondition")
    if success and failure:
        ctx.fail(field, "both successCondition and failureCondition: the inconclusive band "
                 "between them is not modelled; keep one")  # fmt: skip
    if not (success or failure):
        ctx.fail(field, "no successCondition or failureCondition")
    key = "successCondition" if success else "failureCondition"
    return promql.check(query, key, ctx.text(success or failure, f"{field}.{key}"), field, ctx)


def _substitute(query: str, args: dict[str, str], field: str, ctx) -> str:
    """`{{args.name}}` replaced by the arg's value: the Rollout's, else the template's default."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in args:
            ctx.fail(field, f"{{{{args.{ctx.key(name)}}}}} has no value: neither the Rollout's "
                     "analysis args nor the template's args give one")  # fmt: skip
        return args[name]

    return _ARG.sub(value, query)
