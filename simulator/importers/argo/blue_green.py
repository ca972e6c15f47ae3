"""Argo Rollouts' `blueGreen` strategy -> an argo_blue_green strategy, field for field.

Mapping (types in pkg/apis/rollouts/v1alpha1/types.go BlueGreenStrategy; behaviour in
rollout/bluegreen.go, rollout/analysis.go, rollout/replicaset.go, rollout/sync.go; see
`simulator.scenario.strategies.argo_blue_green` and docs/reference/argo-rollouts.md#bluegreen):
- `previewReplicaCount` -> preview_replica_count (1 to spec.replicas).
- `autoPromotionEnabled` -> auto_promotion_enabled; false pauses for a human, who never
  promotes during a run (outcome "incomplete"): said in the description. Argo then ignores
  `autoPromotionSeconds`, and so does the import (noted).
- `autoPromotionSeconds` -> auto_promotion_seconds (counted, as Argo does, from the pause
  that follows a Successful pre-promotion analysis).
- `prePromotionAnalysis` / `postPromotionAnalysis` -> pre_promotion_analysis /
  post_promotion_analysis, each one argo gate (`analysis.py`) whose metrics need a count;
  without them, null (Argo runs none). The pre-promotion run judges smoke tests sent to
  the previewService, which the simulation has not: `preview_traffic` (by default 10% of
  requests mirrored to the preview) stands in for them, as the description says.
- `scaleDownDelaySeconds` -> scale_down_delay; `scaleDownDelayRevisionLimit` 0 scales the
  old ReplicaSet down at once (scaleDownDelayHelper: no delay annotation is added), so
  scale_down_delay 0; any other limit has no effect on a single release (noted).
- `abortScaleDownDelaySeconds` -> abort_scale_down_delay; 0 (never scale down) is refused.
- ignored (documented): activeService and previewService (names; they must differ, as
  validation.go requires), previewMetadata, activeMetadata, antiAffinity (scheduling) and
  maxUnavailable (it bounds pod restarts, which are not modelled).
- refused: an unknown field, a missing activeService, negative numbers.
"""

from __future__ import annotations

from typing import Any

from simulator.importers.argo import analysis
from simulator.scenario.strategies import ArgoBlueGreen

WHERE = "spec.strategy.blueGreen"
IGNORED = {"activeService", "previewService", "previewMetadata", "activeMetadata",
           "antiAffinity", "maxUnavailable"}  # fmt: skip
KNOWN = IGNORED | {"previewReplicaCount", "autoPromotionEnabled", "autoPromotionSeconds",
                   "prePromotionAnalysis", "postPromotionAnalysis", "scaleDownDelaySeconds",
                   "scaleDownDelayRevisionLimit", "abortScaleDownDelaySeconds"}  # fmt: skip
INT32 = "Argo's {} is a whole number of {}, never negative"
PREVIEW_TRAFFIC = ArgoBlueGreen.model_fields["preview_traffic"].default
"""Percent of requests the strategy mirrors to the preview, said in the description."""


def convert(blue_green: dict, templates: dict, replicas: int, ctx) -> dict:
    """The argo_blue_green strategy for a Rollout of `replicas` (its fleet's size)."""
    ctx.unknown(blue_green, KNOWN, WHERE)
    active = ctx.text(blue_green.get("activeService"), f"{WHERE}.activeService")
    if blue_green.get("previewService") == active:
        ctx.fail(f"{WHERE}.previewService", "the same service as activeService; Argo's "
                 "validation requires two different services")  # fmt: skip
    out: dict[str, Any] = {"type": "argo_blue_green"}
    if "previewReplicaCount" in blue_green:
        out["preview_replica_count"] = ctx.integer(
            blue_green["previewReplicaCount"], f"{WHERE}.previewReplicaCount", low=1,
            high=replicas, why=f"a preview of 1 to spec.replicas ({replicas}) pods",
        )  # fmt: skip
    seconds = ctx.integer(blue_green.get("autoPromotionSeconds", 0),
                          f"{WHERE}.autoPromotionSeconds", low=0,
                          why=INT32.format("autoPromotionSeconds", "seconds"))  # fmt: skip
    if not ctx.flag(blue_green.get("autoPromotionEnabled", True), f"{WHERE}.autoPromotionEnabled"):
        out["auto_promotion_enabled"] = False
        ctx.note("autoPromotionEnabled false: the rollout pauses before the switch for "
                 "`kubectl argo rollouts promote`, which never comes during a run: the "
                 "release is never promoted (outcome incomplete)")  # fmt: skip
        if seconds:
            ctx.note(f"autoPromotionSeconds {seconds} ignored, as Argo ignores it when "
                     "autoPromotionEnabled is false")  # fmt: skip
    elif seconds:
        out["auto_promotion_seconds"] = float(seconds)
    for key, name in (("prePromotionAnalysis", "pre_promotion_analysis"),
                      ("postPromotionAnalysis", "post_promotion_analysis")):  # fmt: skip
        value = blue_green.get(key)
        out[name] = None if value is None else analysis.run_to_end(value, f"{WHERE}.{key}",
                                                                   templates, ctx)  # fmt: skip
    if out["pre_promotion_analysis"] is not None:
        ctx.note("prePromotionAnalysis judges smoke tests sent to the previewService; "
                 f"simulated as {PREVIEW_TRAFFIC:g}% of production requests mirrored to the "
                 "preview, answers discarded (strategy.preview_traffic)")  # fmt: skip
    if out["pre_promotion_analysis"] is None and out["post_promotion_analysis"] is None:
        ctx.note("no analysis: the rollout is never aborted automatically")
    _delays(blue_green, out, ctx)
    return out


def _delays(blue_green: dict, out: dict, ctx) -> None:
    """The delays: scaleDownDelaySeconds (or a revision limit of 0), abortScaleDownDelaySeconds."""
    if "scaleDownDelaySeconds" in blue_green:
        out["scale_down_delay"] = float(ctx.integer(
            blue_green["scaleDownDelaySeconds"], f"{WHERE}.scaleDownDelaySeconds", low=0,
            why=INT32.format("scaleDownDelaySeconds", "seconds")))  # fmt: skip
    if "scaleDownDelayRevisionLimit" in blue_green:
        why = INT32.format("scaleDownDelayRevisionLimit", "ReplicaSets")
        limit = ctx.integer(blue_green["scaleDownDelayRevisionLimit"],
                            f"{WHERE}.scaleDownDelayRevisionLimit", low=0, why=why)  # fmt: skip
        if limit == 0:
            out["scale_down_delay"] = 0.0
            ctx.note("scaleDownDelayRevisionLimit 0: the old ReplicaSet is scaled down as "
                     "soon as the new one is stable, without scaleDownDelaySeconds")  # fmt: skip
        else:
            ctx.note(f"scaleDownDelayRevisionLimit {limit} has no effect on one release")
    if "abortScaleDownDelaySeconds" in blue_green:
        out["abort_scale_down_delay"] = float(ctx.integer(
            blue_green["abortScaleDownDelaySeconds"], f"{WHERE}.abortScaleDownDelaySeconds",
            low=1, why="0 keeps the aborted preview up indefinitely in Argo, which the "
            "simulation cannot express; give a delay in seconds"))  # fmt: skip
