"""Flagger `Canary` -> a canary with Flagger's stepping (`scale: full`) and a flagger gate.

Mapping (`spec.analysis`):
- `interval` -> gate.interval (default 1m), `threshold` -> gate.threshold,
  `stepWeight` -> step_weight, `maxWeight` -> max_weight, `stepWeights` -> step_weights;
  the canary runs at full size (`scale: full`, as Flagger scales the canary Deployment).
- metrics: `request-success-rate` thresholdRange {min: m} (percent) -> error_rate max
  (100 - m) / 100; `request-duration` thresholdRange {max: ms} -> latency_p99 max ms.
  Flagger fails a check on success rate < min or duration > max, as the check does.
  A metric's own `interval` (its query window) must equal the analysis interval.
- ignored (documented): metadata, targetRef, service (ports, gateways, hosts), provider
  (the mesh), autoscalerRef, ingressRef, `webhooks` (load tests and hooks: the scenario's
  traffic is the load) and `alerts` (notifications).
- noted: progressDeadlineSeconds (no progress deadline is simulated).
- refused: iterations, match, mirror, mirrorWeight (A/B, blue/green and mirroring modes),
  stepWeightPromotion other than 100, custom metrics (templateRef), other metric names,
  and any unknown field.
"""

from __future__ import annotations

from typing import Any

from .argo import go_duration, unknown

SPEC_IGNORED = {"targetRef", "service", "provider", "autoscalerRef", "ingressRef",
                "revertOnDeletion"}  # fmt: skip
REFUSED = {
    "iterations": "A/B and blue/green iterations are not a canary (use an ab_test strategy)",
    "match": "header/cookie routing (A/B) is not modelled",
    "mirror": "traffic mirroring during analysis is not modelled",
    "mirrorWeight": "traffic mirroring during analysis is not modelled",
    "skipAnalysis": "skipping analysis is not a canary; use big_bang",
}


def convert(doc: dict, ctx) -> dict:
    """Scenario patch for a Flagger Canary."""
    spec = doc.get("spec") or {}
    unknown(spec, SPEC_IGNORED | {"analysis", "progressDeadlineSeconds", "skipAnalysis"},
            "spec", ctx)  # fmt: skip
    if spec.get("skipAnalysis"):
        ctx.fail("spec.skipAnalysis", REFUSED["skipAnalysis"])
    if "progressDeadlineSeconds" in spec:
        ctx.note(f"spec.progressDeadlineSeconds {spec['progressDeadlineSeconds']} not "
                 "simulated: provisioning never stalls here")  # fmt: skip
    analysis = spec.get("analysis")
    if not isinstance(analysis, dict):
        ctx.fail("spec.analysis", "missing: a Canary needs its analysis")
    where = "spec.analysis"
    for key, why in REFUSED.items():
        if key in analysis:
            ctx.fail(f"{where}.{key}", why)
    known = {"interval", "threshold", "maxWeight", "stepWeight", "stepWeights",
             "stepWeightPromotion", "metrics", "webhooks", "alerts"}  # fmt: skip
    unknown(analysis, known, where, ctx)
    if analysis.get("stepWeightPromotion", 100) != 100:
        ctx.fail(f"{where}.stepWeightPromotion", "gradual promotion is not modelled (the "
                 "canary is promoted in one step, as with the default 100)")  # fmt: skip
    interval = go_duration(analysis.get("interval", "1m"), f"{where}.interval", ctx)
    gate: dict[str, Any] = {"type": "flagger", "interval": interval}
    if "threshold" in analysis:
        gate["threshold"] = int(analysis["threshold"])
    checks = [_check(m, i, interval, ctx) for i, m in enumerate(analysis.get("metrics") or [])]
    if checks:
        gate["checks"] = checks
    strategy: dict[str, Any] = {"type": "canary", "scale": "full", "gate": gate}
    if "stepWeights" in analysis:
        strategy["step_weights"] = [float(w) for w in analysis["stepWeights"]]
    if "stepWeight" in analysis:
        strategy["step_weight"] = float(analysis["stepWeight"])
    if "maxWeight" in analysis:
        strategy["max_weight"] = float(analysis["maxWeight"])
    if "stepWeight" not in analysis and "stepWeights" not in analysis:
        ctx.fail(where, "needs stepWeight or stepWeights (a canary's traffic steps)")
    return {"strategy": strategy}


def _check(metric: dict, i: int, interval: float, ctx) -> dict:
    """A gate check from a builtin Flagger metric."""
    field = f"spec.analysis.metrics[{i}]"
    unknown(metric, {"name", "interval", "thresholdRange", "templateRef"}, field, ctx)
    if "templateRef" in metric:
        ctx.fail(f"{field}.templateRef", "custom MetricTemplates are not mapped; use the "
                 "builtin request-success-rate or request-duration")  # fmt: skip
    window = go_duration(metric.get("interval", interval), f"{field}.interval", ctx)
    if window != interval:
        ctx.fail(f"{field}.interval", f"a query window of {window:g}s differs from the analysis "
                 f"interval {interval:g}s; the simulated check measures one interval")  # fmt: skip
    bounds = metric.get("thresholdRange") or {}
    unknown(bounds, {"min", "max"}, f"{field}.thresholdRange", ctx)
    name = metric.get("name")
    if name == "request-success-rate":
        if set(bounds) != {"min"}:
            ctx.fail(f"{field}.thresholdRange", "request-success-rate takes a min (percent)")
        return {"metric": "error_rate", "max": (100.0 - float(bounds["min"])) / 100.0}
    if name == "request-duration":
        if set(bounds) != {"max"}:
            ctx.fail(f"{field}.thresholdRange", "request-duration takes a max (milliseconds)")
        return {"metric": "latency_p99", "max": f"{float(bounds['max']):g}ms"}
    ctx.fail(f"{field}.name", f"{name!r} is not a builtin Flagger metric "
             "(request-success-rate, request-duration)")  # fmt: skip
