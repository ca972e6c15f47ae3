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
- a metric's `successCondition` / `failureCondition` `result[0] OP number` -> a check on
  the metric its query names: `5..`, `5xx` or `error` -> error_rate; `duration` or
  `latency` -> latency_p99 (or p95/p50 from `histogram_quantile(0.95|0.5, ...)`), the
  number in seconds (milliseconds if the query says `_ms`). Strict conditions are kept
  exact: `result[0] < 0.01` passes below 0.01 only, so the check's max is the largest
  float below 0.01 (a check fails strictly above its max).
- `abortScaleDownDelaySeconds` -> scale_down_delay.
- ignored (documented): metadata, selector, template, workloadRef, revisionHistoryLimit,
  canaryService, stableService, trafficRouting's router details, provider addresses,
  and `maxSurge`/`maxUnavailable`, which with a traffic router do not set traffic;
  `consecutiveErrorLimit` (the simulation has no query errors).
- noted in the description: progressDeadlineSeconds/progressDeadlineAbort (the
  simulator has no progress deadline; provisioning never stalls).
- refused: blueGreen, steps other than setWeight/pause/analysis (experiment,
  setCanaryScale, setHeaderRoute, setMirrorRoute), a canary without trafficRouting (Argo
  then approximates weights by replica counts), inconclusiveLimit, conditions other than
  `result[0] OP number`, both success and failure conditions, and any unknown field.
"""

from __future__ import annotations

import math
import re
from typing import Any

_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_CONDITION = re.compile(r"^\s*result\[0\]\s*(<=|>=|<|>)\s*([0-9.]+(?:[eE][-+]?\d+)?)\s*$")

SPEC_IGNORED = {"selector", "template", "workloadRef", "revisionHistoryLimit", "paused"}
CANARY_IGNORED = {"canaryService", "stableService", "trafficRouting", "maxSurge",
                  "maxUnavailable", "canaryMetadata", "stableMetadata"}  # fmt: skip
STEP_REFUSED = {
    "experiment": "experiments (extra ReplicaSets judged side by side) are not modelled",
    "setCanaryScale": "a canary size decoupled from its weight is not modelled",
    "setHeaderRoute": "header-based routing is not modelled (traffic is split by weight only)",
    "setMirrorRoute": "mirroring during a canary is not modelled (use a shadow strategy)",
}


def go_duration(value: Any, field: str, ctx) -> float:
    """Seconds from an Argo/Flagger duration: an integer (seconds) or Go text like '1m30s'."""
    if isinstance(value, bool):
        ctx.fail(field, f"expected a duration, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text.isdigit():
        return float(text)
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        ctx.fail(field, f"expected a duration like '30s', '10m' or '1h', got {value!r}")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def unknown(mapping: dict, known: set[str], field: str, ctx) -> None:
    """Refuse fields this importer does not map, so none is dropped silently."""
    for key in mapping:
        if key not in known:
            ctx.fail(f"{field}.{key}", "not supported by the importer (no simulator equivalent)")


def convert(docs: list[Any], ctx) -> dict:
    """Scenario patch for a Rollout and the AnalysisTemplates in the same file."""
    rollouts = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Rollout"]
    templates = {}
    for i, doc in enumerate(docs):
        if doc is rollouts[0]:
            continue
        kind = doc.get("kind") if isinstance(doc, dict) else None
        if kind not in ("AnalysisTemplate", "ClusterAnalysisTemplate"):
            why = f"kind {kind!r} next to a Rollout: only AnalysisTemplates are supported"
            ctx.fail(f"document {i}", why)
        templates[(doc.get("metadata") or {}).get("name")] = doc
    spec = rollouts[0].get("spec") or {}
    known = SPEC_IGNORED | {"replicas", "strategy", "progressDeadlineSeconds",
                            "progressDeadlineAbort", "minReadySeconds"}  # fmt: skip
    unknown(spec, known, "spec", ctx)
    patch: dict[str, Any] = {}
    if "replicas" in spec:
        patch["fleet"] = {"instances": int(spec["replicas"])}
    if spec.get("minReadySeconds"):
        ctx.fail("spec.minReadySeconds", "a readiness delay after provisioning is not modelled")
    if "progressDeadlineSeconds" in spec or "progressDeadlineAbort" in spec:
        ctx.note(f"spec.progressDeadlineSeconds {spec.get('progressDeadlineSeconds', 600)} "
                 f"(abort: {spec.get('progressDeadlineAbort', False)}) not simulated: "
                 "provisioning never stalls here")  # fmt: skip
    strategy = spec.get("strategy") or {}
    if "canary" not in strategy:
        ctx.fail("spec.strategy", f"only the canary strategy is imported, found {list(strategy)}")
    unknown(strategy, {"canary"}, "spec.strategy", ctx)
    patch["strategy"] = _canary(strategy["canary"] or {}, templates, ctx)
    return patch


def _canary(canary: dict, templates: dict, ctx) -> dict:
    """The canary strategy: steps and one argo gate."""
    where = "spec.strategy.canary"
    known = CANARY_IGNORED | {"steps", "analysis", "abortScaleDownDelaySeconds"}
    unknown(canary, known, where, ctx)
    if "trafficRouting" not in canary:
        ctx.fail(f"{where}.trafficRouting", "missing: without a traffic router Argo approximates "
                 "weights by replica counts, which the canary strategy does not model")  # fmt: skip
    steps, analysis_names, first_bake = _steps(canary.get("steps") or [], templates, ctx)
    background = canary.get("analysis")
    if background is not None:
        unknown(background, {"templates", "startingStep", "args"}, f"{where}.analysis", ctx)
        if background.get("args"):
            ctx.fail(f"{where}.analysis.args", "template arguments are not substituted")
        starting = int(background.get("startingStep", 0))
        if first_bake is not None and starting > first_bake:
            ctx.fail(f"{where}.analysis.startingStep", f"{starting} starts analysis after "
                     "the canary has already baked with traffic; the simulated gate watches "
                     f"from the first weight (use startingStep <= {first_bake})")  # fmt: skip
        names = _template_names(background, f"{where}.analysis", ctx)
        if analysis_names and names != analysis_names:
            ctx.fail(f"{where}.analysis.templates", "background and inline analysis must use "
                     "the same templates: the simulation runs one gate")  # fmt: skip
        analysis_names = names
    out: dict[str, Any] = {"type": "canary", "steps": steps}
    if "abortScaleDownDelaySeconds" in canary:
        out["scale_down_delay"] = float(canary["abortScaleDownDelaySeconds"])
    if analysis_names:
        out["gate"] = _gate(analysis_names, templates, ctx)
        inline = any(s.get("_inline") for s in steps)
        if inline and "count" not in out["gate"]:
            ctx.fail("analysis.templates", "an inline analysis step without a metric count "
                     "never ends; give the metric a count")  # fmt: skip
        if inline and background is not None:
            ctx.note("inline and background analysis share one argo gate (one run)")
        for step in steps:
            if step.pop("_inline", False):
                step["bake"] = (out["gate"].get("count", 1) - 1) * out["gate"]["interval"]
    else:
        out["gate"] = {"type": "none"}
        ctx.note("no analysis: the rollout is never rolled back automatically")
    return out


def _steps(raw: list, templates: dict, ctx) -> tuple[list[dict], list[str], int | None]:
    """Canary steps, the inline analysis templates, and the index of the first bake."""
    steps: list[dict] = []
    weight: float | None = None
    pending = False  # a setWeight not yet followed by a pause
    names: list[str] = []
    first_bake = None
    for i, step in enumerate(raw):
        field = f"spec.strategy.canary.steps[{i}]"
        if not isinstance(step, dict) or len(step) != 1:
            ctx.fail(field, "each step must have exactly one action")
        (action, value), = step.items()  # fmt: skip
        if action in STEP_REFUSED:
            ctx.fail(f"{field}.{action}", STEP_REFUSED[action])
        if action == "setWeight":
            if pending:
                steps.append({"weight": weight, "bake": 0.0})
            weight, pending = float(value), True
            if weight <= 0:
                ctx.fail(f"{field}.setWeight", "a weight of 0 is not a canary step")
        elif action == "pause":
            if weight is None:
                ctx.fail(f"{field}.pause", "a pause before any setWeight has no canary to watch")
            value = value or {}
            if value.get("duration") in (None, ""):
                if i != len(raw) - 1:
                    ctx.fail(f"{field}.pause", "a pause without a duration waits for a human, "
                             "which cannot be simulated; give it a duration, e.g. "
                             "{duration: 10m}")  # fmt: skip
                bake = float(ctx.base.duration)
                ctx.note(f"steps[{i}] pause without duration (manual promotion) baked for the "
                         "whole run: the release is never promoted")  # fmt: skip
            else:
                bake = go_duration(value["duration"], f"{field}.pause.duration", ctx)
            steps.append({"weight": weight, "bake": bake})
            pending = False
            first_bake = i if first_bake is None else first_bake
        elif action == "analysis":
            if weight is None:
                ctx.fail(f"{field}.analysis", "an analysis before any setWeight is not modelled")
            if pending:
                steps.append({"weight": weight, "bake": 0.0})
                pending = False
            these = _template_names(value or {}, f"{field}.analysis", ctx)
            if names and these != names:
                ctx.fail(f"{field}.analysis", "all analysis must use the same templates")
            names = these
            steps.append({"weight": weight, "bake": 0.0, "_inline": True})
            first_bake = i if first_bake is None else first_bake
        else:
            ctx.fail(f"{field}.{action}", "unknown canary step action")
    if pending:
        steps.append({"weight": weight, "bake": 0.0})
    return steps, names, first_bake


def _template_names(analysis: dict, field: str, ctx) -> list[str]:
    """The template names an analysis refers to."""
    unknown(analysis, {"templates", "startingStep", "args"}, field, ctx)
    names = [t.get("templateName") for t in analysis.get("templates") or []]
    if not names or None in names:
        ctx.fail(f"{field}.templates", "expected a list of {templateName: ...}")
    return names


def _gate(names: list[str], templates: dict, ctx) -> dict:
    """One argo gate from the named templates' metrics (which must share their timing)."""
    metrics = []
    for name in names:
        if name not in templates:
            ctx.fail("analysis.templates", f"AnalysisTemplate {name!r} is not in the file "
                     f"(found {sorted(t for t in templates if t)})")  # fmt: skip
        for j, m in enumerate((templates[name].get("spec") or {}).get("metrics") or []):
            metrics.append((f"AnalysisTemplate {name}.spec.metrics[{j}]", m))
    if not metrics:
        ctx.fail("analysis.templates", "the templates define no metrics")
    gate: dict[str, Any] = {"type": "argo", "checks": []}
    timing = None
    for field, m in metrics:
        unknown(m, {"name", "interval", "initialDelay", "count", "successCondition",
                    "failureCondition", "failureLimit", "inconclusiveLimit",
                    "consecutiveErrorLimit", "provider"}, field, ctx)  # fmt: skip
        if m.get("inconclusiveLimit"):
            ctx.fail(f"{field}.inconclusiveLimit", "inconclusive limits are not modelled")
        these = (
            go_duration(m.get("interval", 0), f"{field}.interval", ctx),
            go_duration(m.get("initialDelay", 0), f"{field}.initialDelay", ctx),
            m.get("count"),
            int(m.get("failureLimit", 0)),
        )
        if timing is not None and these != timing:
            ctx.fail(field, "metrics with different interval/initialDelay/count/failureLimit "
                     "need separate analysis runs; the simulation runs one gate")  # fmt: skip
        timing = these
        gate["checks"].append(_check(m, field, ctx))
    interval, delay, count, failure_limit = timing
    if interval <= 0:
        ctx.fail(f"{metrics[0][0]}.interval", "a metric measured once (no interval) is not "
                 "modelled; give an interval")  # fmt: skip
    gate.update(interval=interval, failure_limit=failure_limit)
    if delay:
        gate["initial_delay"] = delay
    if count is not None:
        gate["count"] = int(count)
    return gate


def _check(metric: dict, field: str, ctx) -> dict:
    """A check from a metric's query and its success or failure condition."""
    provider = metric.get("provider") or {}
    queries = [p.get("query") for p in provider.values() if isinstance(p, dict)]
    query = next((q for q in queries if q), None)
    if query is None:
        ctx.fail(f"{field}.provider", "no query to tell which metric is measured")
    name = _metric_for(query)
    if name is None:
        ctx.fail(f"{field}.provider", "cannot tell the metric from the query (expected 5.., 5xx "
                 f"or error for errors, duration or latency for latency): {query!r}")  # fmt: skip
    success, failure = metric.get("successCondition"), metric.get("failureCondition")
    if success and failure:
        ctx.fail(field, "both successCondition and failureCondition: the inconclusive band "
                 "between them is not modelled; keep one")  # fmt: skip
    if not (success or failure):
        ctx.fail(field, "no successCondition or failureCondition")
    key = "successCondition" if success else "failureCondition"
    match = _CONDITION.match(str(success or failure))
    if not match:
        ctx.fail(
            f"{field}.{key}",
            f"only 'result[0] OP number' is understood, got {success or failure!r}",
        )
    op, number = match.group(1), float(match.group(2))
    if name.startswith("latency") and "_ms" in query:
        number /= 1000.0
    below, above = math.nextafter(number, -math.inf), math.nextafter(number, math.inf)
    if success:  # passes when the condition holds: fails on its negation
        bound = {"<": ("max", below), "<=": ("max", number),
                 ">": ("min", above), ">=": ("min", number)}[op]  # fmt: skip
    else:  # fails when the condition holds
        bound = {">": ("max", number), ">=": ("max", below),
                 "<": ("min", number), "<=": ("min", above)}[op]  # fmt: skip
    return {"metric": name, bound[0]: bound[1]}


def _metric_for(query: str) -> str | None:
    """The simulator metric a query measures, from what it says."""
    q = query.lower()
    if "5.." in q or "5xx" in q or "error" in q:
        return "error_rate"
    if "duration" in q or "latency" in q:
        quantile = re.search(r"histogram_quantile\(\s*([0-9.]+)", q)
        level = float(quantile.group(1)) if quantile else 0.99
        return {0.95: "latency_p95", 0.5: "latency_p50"}.get(level, "latency_p99")
    return None
