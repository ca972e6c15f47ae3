"""Argo Rollouts: a `Rollout` and the `AnalysisTemplate`s in the same file -> a scenario.

The Rollout's own fields are read here; its strategy by the module for it: `canary.py`
(a canary with an argo gate) or `blue_green.py` (argo_blue_green, with pre- and
post-promotion analyses); the analysis both share (templates, args, metrics, conditions)
by `analysis.py`.

- `spec.replicas` -> fleet.instances; 0 (nothing to simulate) and negatives are refused.
- `spec.minReadySeconds` other than 0 is refused: a readiness delay after provisioning
  is not modelled.
- noted in the description: progressDeadlineSeconds/progressDeadlineAbort (the
  simulator has no progress deadline; provisioning never stalls).
- ignored (documented): metadata, selector, template, workloadRef, revisionHistoryLimit,
  paused, and provider addresses.
- refused: a strategy with both or neither of canary and blueGreen (Argo's
  validation.go: "Multiple Strategies can not be listed"), documents other than
  AnalysisTemplates next to the Rollout, and any unknown field.

May import: `simulator.importers.promql` and `importers.context` (the `Context` a
converter is handed), `simulator.scenario` (a spec's defaults) and `simulator.userfiles`.
"""

from __future__ import annotations

from typing import Any

from simulator.importers.argo import blue_green, canary
from simulator.userfiles import brief

SPEC_IGNORED = {"selector", "template", "workloadRef", "revisionHistoryLimit", "paused"}
STRATEGIES = ("canary", "blueGreen")


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
    replicas = ctx.base.fleet.instances
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
    ctx.unknown(strategy, STRATEGIES, "spec.strategy")
    if len(strategy) != 1:
        found = brief(list(strategy))
        ctx.fail("spec.strategy", f"expected one of canary or blueGreen, found {found} (Argo's "
                 "validation: \"Multiple Strategies can not be listed\")")  # fmt: skip
    if "canary" in strategy:
        body = ctx.mapping(strategy["canary"], "spec.strategy.canary")
        patch["strategy"] = canary.convert(body, templates, ctx)
    else:
        body = ctx.mapping(strategy["blueGreen"], "spec.strategy.blueGreen")
        patch["strategy"] = blue_green.convert(body, templates, replicas, ctx)
    return patch
