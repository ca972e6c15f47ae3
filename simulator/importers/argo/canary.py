"""Argo Rollouts' `canary` strategy -> a canary with an argo gate.

Mapping:
- `steps`: `setWeight: w` then `pause: {duration: d}` -> a step {weight: w, bake: d};
  a `setWeight` followed by another `setWeight` bakes 0 s. A `pause: {}` with no duration
  waits for a human: as the last step (Argo then waits for a manual promotion) it bakes for
  the whole run, so the release is still waiting when the run ends (outcome "incomplete");
  anywhere else it is refused (the later steps would never run), asking for a duration.
- an inline `analysis` step blocks until its run ends: a bake at the current weight of
  (count - 1) x interval (the last measurement's time), watched by the same gate.
- background `analysis` (from `startingStep`, which must not come after the first bake)
  and inline analysis -> one argo gate (`analysis.py`); both must name the same templates.
- `abortScaleDownDelaySeconds` -> scale_down_delay; 0 (Argo then never scales the
  canary down after an abort, which scale_down_delay cannot express) is refused.
- ignored (documented): canaryService, stableService, trafficRouting's router details,
  canaryMetadata, stableMetadata, and `maxSurge`/`maxUnavailable`, which with a traffic
  router do not set traffic.
- refused: steps other than setWeight/pause/analysis (experiment, setCanaryScale,
  setHeaderRoute, setMirrorRoute), a canary without trafficRouting (Argo then approximates
  weights by replica counts), setWeight outside 0-100 or not whole (Argo's validation.go),
  and any unknown field.
"""

from __future__ import annotations

from typing import Any

from simulator.importers.argo import analysis

CANARY_IGNORED = {"canaryService", "stableService", "trafficRouting", "maxSurge",
                  "maxUnavailable", "canaryMetadata", "stableMetadata"}  # fmt: skip
STEP_REFUSED = {
    "experiment": "experiments (extra ReplicaSets judged side by side) are not modelled",
    "setCanaryScale": "a canary size decoupled from its weight is not modelled",
    "setHeaderRoute": "header-based routing is not modelled (traffic is split by weight only)",
    "setMirrorRoute": "mirroring during a canary is not modelled (use a shadow strategy)",
}
SET_WEIGHT = "Argo's setWeight is a whole percentage of traffic (int32, 0 to 100)"


def convert(canary: dict, templates: dict, ctx) -> dict:
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
        names, given = analysis.template_names(background, f"{where}.analysis", ctx)
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
        out["gate"] = analysis.gate(analysis_names, templates, args, ctx)
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
            value = ctx.mapping(value, f"{field}.analysis")
            ctx.unknown(value, {"templates", "args"}, f"{field}.analysis")
            these, given = analysis.template_names(value, f"{field}.analysis", ctx)
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
