"""Flagger `Canary` -> a canary with Flagger's stepping (`scale: full`) and a flagger gate.

Mapping (`spec.analysis`):
- `interval` -> gate.interval (default 1m), `threshold` -> gate.threshold,
  `stepWeight` -> step_weight, `maxWeight` -> max_weight (default 100, as Flagger's
  scheduler reads a missing or 0 maxWeight), `stepWeights` -> step_weights (Flagger then
  ignores maxWeight: it promotes after the last of them); the canary runs at full size
  (`scale: full`, as Flagger scales the canary Deployment). Both forms play on Flagger's
  ticks, the last stepWeight passing maxWeight as its scheduler does (20 by 20 to 50:
  20, 40, 60); the gate has no `min_requests`, since Flagger judges whatever requests
  come and counts none as a failed check (docs/reference/flagger.md).
- metrics: `request-success-rate` thresholdRange {min: m} (percent) -> error_rate max
  (100 - m) / 100; `request-duration` thresholdRange {max: ms} -> latency_p99 max ms.
  Flagger fails a check on success rate < min or duration > max, as the check does.
  A metric's own `interval` (its query window) must equal the analysis interval.
- ignored (documented): metadata, targetRef, service (ports, gateways, hosts), provider
  (the mesh), autoscalerRef, ingressRef, `webhooks` (load tests and hooks: the scenario's
  traffic is the load) and `alerts` (notifications).
- noted: progressDeadlineSeconds (no progress deadline is simulated).
- refused: iterations, match, mirror, mirrorWeight (A/B, blue/green and mirroring modes),
  stepWeightPromotion other than 100 (or 0, its unset value), custom metrics
  (templateRef), other metric names, and any unknown field.
- refused as nonsense, with Flagger's documented ranges (docs "Canary analysis" and
  "Metrics Analysis": weights and success rates are percentages 0-100, durations are
  milliseconds; Go types in pkg/apis/flagger/v1beta1/canary.go: weights and threshold are
  `int`): weights that are not whole or outside 1-100 (a stepWeight of 0 never moves
  traffic), stepWeights that do not increase (Flagger steps by the difference to the next
  weight, so a smaller one stalls the canary), stepWeight together with stepWeights (the
  CRD accepts exactly one), a threshold below 1 (Flagger silently reads it as 1), a
  success rate outside 0-100 (150 could never pass) and a duration limit of 0 ms or less.
"""

from __future__ import annotations

from typing import Any

SPEC_IGNORED = {"targetRef", "service", "provider", "autoscalerRef", "ingressRef",
                "revertOnDeletion"}  # fmt: skip
REFUSED = {
    "iterations": "A/B and blue/green iterations are not a canary (use an ab_test strategy)",
    "match": "header/cookie routing (A/B) is not modelled",
    "mirror": "traffic mirroring during analysis is not modelled",
    "mirrorWeight": "traffic mirroring during analysis is not modelled",
    "skipAnalysis": "skipping analysis is not a canary; use big_bang",
}
ANALYSIS_FIELDS = {"interval", "threshold", "maxWeight", "stepWeight", "stepWeights",
                   "stepWeightPromotion", "metrics", "webhooks", "alerts"}  # fmt: skip
WEIGHT = "Flagger weights are whole percentages of traffic (0-100)"
STEP = WEIGHT + "; a step of 0 never moves traffic"
BUILTIN = ("request-success-rate", "request-duration")


def convert(doc: dict, ctx) -> dict:
    """Scenario patch for a Flagger Canary."""
    spec = ctx.mapping(doc.get("spec"), "spec")
    ctx.unknown(spec, SPEC_IGNORED | {"analysis", "progressDeadlineSeconds", "skipAnalysis"},
                "spec")  # fmt: skip
    if ctx.flag(spec.get("skipAnalysis", False), "spec.skipAnalysis"):
        ctx.fail("spec.skipAnalysis", REFUSED["skipAnalysis"])
    if "progressDeadlineSeconds" in spec:
        deadline = ctx.integer(spec["progressDeadlineSeconds"], "spec.progressDeadlineSeconds",
                               low=0)  # fmt: skip
        ctx.note(f"spec.progressDeadlineSeconds {deadline} not simulated: provisioning never "
                 "stalls here")  # fmt: skip
    if spec.get("analysis") is None:
        ctx.fail("spec.analysis", "missing: a Canary needs its analysis")
    where = "spec.analysis"
    analysis = ctx.mapping(spec["analysis"], where)
    for key, why in REFUSED.items():
        if key in analysis:
            ctx.fail(f"{where}.{key}", why)
    ctx.unknown(analysis, ANALYSIS_FIELDS, where)
    # scheduler.go runPromotionTrafficShift: 0 (unset) and 100 both promote in one step
    promotion = ctx.integer(analysis.get("stepWeightPromotion", 100),
                            f"{where}.stepWeightPromotion", low=0, high=100,
                            why=WEIGHT)  # fmt: skip
    if promotion not in (0, 100):
        ctx.fail(f"{where}.stepWeightPromotion", "gradual promotion is not modelled (the "
                 "canary is promoted in one step, as with the default 100)")  # fmt: skip
    interval = ctx.duration(analysis.get("interval", "1m"), f"{where}.interval")
    gate: dict[str, Any] = {"type": "flagger", "interval": interval}
    if "threshold" in analysis:
        gate["threshold"] = ctx.integer(analysis["threshold"], f"{where}.threshold", low=1,
                                        why="the failed checks that roll back; Flagger "
                                        "reads a threshold below 1 as 1")  # fmt: skip
    metrics = ctx.items(analysis.get("metrics"), f"{where}.metrics")
    checks = [_check(m, f"{where}.metrics[{i}]", interval, ctx) for i, m in enumerate(metrics)]
    if checks:
        gate["checks"] = checks
    strategy: dict[str, Any] = {"type": "canary", "scale": "full", "gate": gate}
    if "stepWeight" in analysis and "stepWeights" in analysis:
        ctx.fail(where, "give stepWeight or stepWeights, not both: Flagger's Canary CRD "
                 "accepts exactly one")  # fmt: skip
    if "stepWeights" in analysis:
        strategy["step_weights"] = _step_weights(analysis["stepWeights"], where, ctx)
        if "maxWeight" in analysis:
            ctx.note(f"{where}.maxWeight not used: with stepWeights Flagger promotes after "
                     "the last of them")  # fmt: skip
    elif "stepWeight" in analysis:
        strategy["step_weight"] = float(ctx.integer(analysis["stepWeight"],
                                                     f"{where}.stepWeight", low=1, high=100,
                                                     why=STEP))  # fmt: skip
        # scheduler.go maxWeight(): a missing or 0 maxWeight is the total weight, 100
        most = ctx.integer(analysis.get("maxWeight", 0), f"{where}.maxWeight", low=0,
                           high=100, why=WEIGHT)  # fmt: skip
        strategy["max_weight"] = float(most or 100)
    else:
        ctx.fail(where, "needs stepWeight or stepWeights (a canary's traffic steps)")
    return {"strategy": strategy}


def _step_weights(value: Any, where: str, ctx) -> list[float]:
    """Flagger's stepWeights: whole percentages that only go up."""
    weights: list[float] = []
    for i, raw in enumerate(ctx.items(value, f"{where}.stepWeights")):
        field = f"{where}.stepWeights[{i}]"
        weight = float(ctx.integer(raw, field, low=1, high=100, why=STEP))
        if weights and weight <= weights[-1]:
            ctx.fail(field, f"{weight:g} after {weights[-1]:g}: stepWeights must increase "
                     "(Flagger steps by the difference to the next weight, so this one "
                     "stalls the canary)")  # fmt: skip
        weights.append(weight)
    if not weights:
        ctx.fail(f"{where}.stepWeights", "expected at least one weight")
    return weights


def _check(metric: Any, field: str, interval: float, ctx) -> dict:
    """A gate check from a builtin Flagger metric."""
    metric = ctx.mapping(metric, field)
    ctx.unknown(metric, {"name", "interval", "thresholdRange", "templateRef"}, field)
    if "templateRef" in metric:
        ctx.fail(f"{field}.templateRef", "custom MetricTemplates are not mapped; use the "
                 "builtin request-success-rate or request-duration")  # fmt: skip
    window = ctx.duration(metric.get("interval", interval), f"{field}.interval")
    if window != interval:
        ctx.fail(f"{field}.interval", f"a query window of {window:g}s differs from the analysis "
                 f"interval {interval:g}s; the simulated check measures one interval")  # fmt: skip
    bounds = ctx.mapping(metric.get("thresholdRange"), f"{field}.thresholdRange")
    ctx.unknown(bounds, {"min", "max"}, f"{field}.thresholdRange")
    name = ctx.choice(metric.get("name"), f"{field}.name", BUILTIN,
                      why="the builtin Flagger metrics")  # fmt: skip
    if name == "request-success-rate":
        if set(bounds) != {"min"}:
            ctx.fail(f"{field}.thresholdRange", "request-success-rate takes a min (percent)")
        least = ctx.number(bounds["min"], f"{field}.thresholdRange.min", low=0, high=100,
                           why="request-success-rate is the percentage of requests that "
                           "succeed (Flagger docs: percentage 0-100)")  # fmt: skip
        # rounded to 12 places: (100 - 99.9) / 100 is 0.0009999999999999432 in binary
        # floating point, and a scenario should say 0.001 as the config said 99.9
        return {"metric": "error_rate", "max": round((100.0 - least) / 100.0, 12)}
    if set(bounds) != {"max"}:
        ctx.fail(f"{field}.thresholdRange", "request-duration takes a max (milliseconds)")
    most = ctx.number(bounds["max"], f"{field}.thresholdRange.max", low=0,
                      why="request-duration is the P99 latency in milliseconds")  # fmt: skip
    if most == 0:
        ctx.fail(f"{field}.thresholdRange.max", "a P99 of at most 0 ms can never pass")
    return {"metric": "latency_p99", "max": f"{most:g}ms"}
