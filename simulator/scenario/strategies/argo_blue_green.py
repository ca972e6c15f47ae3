"""Blue/green as Argo Rollouts plays it (`spec.strategy.blueGreen`), step for step.

The sources are argo-rollouts' own code (rollout/bluegreen.go, rollout/service.go,
rollout/analysis.go, rollout/pause.go, rollout/replicaset.go, rollout/sync.go) and its
blue/green documentation page (features/bluegreen); docs/reference/argo-rollouts.md#bluegreen
says what is modelled and what is approximated. In order:

1. The new ReplicaSet, the preview, is created at `preview_replica_count` instances
   (previewReplicaCount), else at the fleet's size (spec.replicas). The previewService
   selects it; the activeService stays on the old ReplicaSet, so it takes no production
   traffic.
2. Once the preview is available, `pre_promotion_analysis` (prePromotionAnalysis) runs
   on it; a failed (or errored) run aborts the rollout: the activeService never moves and
   the preview is scaled down `abort_scale_down_delay` later (abortScaleDownDelaySeconds).
   In Argo the run judges smoke tests sent to the previewService; here `preview_traffic`
   percent of production requests are mirrored to the preview meanwhile as their stand-in
   (answers discarded, as a shadow's are), so the analysis has requests to measure.
3. Only after the run is Successful does the controller pause (reconcileBlueGreenPause):
   `auto_promotion_enabled: false` waits for a human, who never comes in a run (the
   release stays on preview: outcome "incomplete"); `auto_promotion_seconds` N promotes N s
   after that pause began (CompletedBlueGreenPause); neither set promotes at once.
4. A preview smaller than the fleet is scaled up to full size and the switch waits for it
   to serve (calculateScaleUpPreviewCheckPoint, reconcileActiveService's saturation check).
5. The switch: the activeService selects the new ReplicaSet, all traffic at once.
6. `post_promotion_analysis` (postPromotionAnalysis) runs on it; meanwhile the old
   ReplicaSet is still the stable one, kept at full size. A failed run aborts: the
   activeService goes back to it (no provisioning), and the new one is scaled down
   `abort_scale_down_delay` later.
7. The new ReplicaSet becomes stable when the post-promotion run is Successful (at once
   without one: shouldFullPromote); the old one is scaled down `scale_down_delay`
   (scaleDownDelaySeconds) after that, not after the switch (scaleDownDelayHelper). Both
   fleets are billed until then.

Analyses are `argo` gates (an AnalysisRun: initial delay, interval, count, failure and
error limits) and block the rollout until they end, so each needs a `count`. Argo runs
none unless told; deploysim's default pre-promotion analysis (three one-minute
measurements of the preview's copies, after a minute of them, checks from the SLO) is
there so a defective release is caught by default, as every gated strategy's is.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.limits import MAX_INSTANCES
from simulator.scenario.base import Duration
from simulator.scenario.gates import ArgoGate
from simulator.scenario.strategies.base import StrategyBase


def _default_pre_promotion() -> ArgoGate:
    return ArgoGate(type="argo", interval=60.0, initial_delay=60.0, count=3)


class ArgoBlueGreen(StrategyBase):
    """Preview ReplicaSet, pre-promotion analysis, pause, switch, post-promotion analysis."""

    type: Literal["argo_blue_green"]
    preview_replica_count: int | None = Field(
        None, ge=1, le=MAX_INSTANCES,
        description="previewReplicaCount: instances of the preview before the switch, "
        "scaled to the fleet's size just before it; default the fleet's size",
    )  # fmt: skip
    auto_promotion_enabled: bool = Field(
        True, description="autoPromotionEnabled: false pauses before the switch for a human "
        "(none comes during a run: the outcome is 'incomplete')",
    )  # fmt: skip
    auto_promotion_seconds: Duration = Field(
        0.0, description="autoPromotionSeconds: the switch waits this long after the "
        "pre-promotion analysis succeeded (Argo's pause start); 0: at once",
    )  # fmt: skip
    pre_promotion_analysis: ArgoGate | None = Field(
        default_factory=_default_pre_promotion,
        description="prePromotionAnalysis: an argo gate on the preview's mirrored requests, "
        "run to its end before the switch; null for none (Argo's default); deploysim's "
        "default: 3 measurements a minute apart after a minute, checks from the SLO",
    )  # fmt: skip
    post_promotion_analysis: ArgoGate | None = Field(
        None, description="postPromotionAnalysis: an argo gate on the new version after the "
        "switch, the old fleet kept meanwhile; a failure switches back",
    )  # fmt: skip
    preview_traffic: float = Field(
        10.0, ge=0, le=100,
        description="percent of production requests mirrored to the preview while the "
        "pre-promotion analysis runs, a stand-in for the smoke tests Argo's analysis judges "
        "through the previewService (answers discarded); 0: the analysis finds no data",
    )  # fmt: skip
    scale_down_delay: Duration = Field(
        30.0, description="scaleDownDelaySeconds: the old fleet is kept this long after the "
        "new one becomes stable (after a post-promotion analysis, not the switch)",
    )  # fmt: skip
    abort_scale_down_delay: Duration = Field(
        30.0, gt=0, description="abortScaleDownDelaySeconds: the new fleet is kept this long "
        "after an abort (Argo's 0, never, is not modelled)",
    )  # fmt: skip

    @model_validator(mode="after")
    def _playable(self) -> ArgoBlueGreen:
        for name, gate in self._analyses():
            if gate.count is None:
                raise ValueError(f"{name} needs a count: the rollout waits for the run to "
                                 "end, and without one Argo measures until it fails, so "
                                 "the release would never be promoted")  # fmt: skip
        if not self.auto_promotion_enabled and self.auto_promotion_seconds > 0:
            raise ValueError("auto_promotion_seconds is ignored when auto_promotion_enabled "
                             "is false (Argo then waits for a human): set one of them")  # fmt: skip
        return self

    def check_fleet(self, size: int) -> None:
        """The preview may be smaller than the fleet, never larger."""
        count = self.preview_replica_count
        if count is not None and count > size:
            raise ValueError(f"strategy.preview_replica_count: {count} instances is more than "
                             f"the {size}-instance fleet (spec.replicas)")  # fmt: skip

    def check_period(self, period: float) -> None:
        """A measurement reads whole monitoring periods."""
        for name, gate in self._analyses():
            if gate.interval < period - 1e-9:
                raise ValueError(f"strategy.{name}.interval ({gate.interval:g} s) must be at "
                                 f"least monitoring.period ({period:g} s): a measurement "
                                 "reads whole periods")  # fmt: skip

    def _analyses(self) -> list[tuple[str, ArgoGate]]:
        """(field name, gate) of each analysis the strategy runs."""
        pairs = [("pre_promotion_analysis", self.pre_promotion_analysis),
                 ("post_promotion_analysis", self.post_promotion_analysis)]  # fmt: skip
        return [(name, gate) for name, gate in pairs if gate is not None]
