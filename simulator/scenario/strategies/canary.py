"""Canary: a small, growing share of traffic goes to the release while a gate watches.

Two ways to write the steps, as the real controllers do:
- Argo Rollouts: `steps` of `{weight, bake}` (setWeight then pause); the canary is
  scaled to its share of the fleet (rounded up) and the stable fleet stays whole.
- Flagger: `step_weight` until the weight reaches `max_weight` (the last step may pass it:
  20 by 20 to 50 gives 20, 40, 60), or an explicit `step_weights` list; each weight is
  held for one gate interval, and a failed check holds it another. Flagger's scheduler
  runs on a ticker of that interval, and so do these steps (`flagger_schedule`).

With a Kayenta gate a baseline of the old version, the same size as the canary and
started at the same time, takes the same share of traffic, so the judge compares
like with like. Promotion scales the canary to full size and moves all traffic to it;
rollback moves traffic back at once and scales the canary down after
`scale_down_delay` (Argo's abortScaleDownDelaySeconds).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simulator.scenario.base import Duration, Spec
from simulator.scenario.gates import GateSpec, KayentaGate
from simulator.scenario.strategies.base import GatedStrategy

MAX_STEPS = 1000
"""Most canary steps: each lasts at least a gate interval, so more is a rollout of weeks."""


class Step(Spec):
    """One canary step: a traffic weight, then a bake while the gate watches."""

    weight: float = Field(gt=0, le=100, description="percent of traffic to the canary")
    bake: Duration = Field(0.0, description="pause at this weight (Argo `pause.duration`)")


class Canary(GatedStrategy):
    """Shift traffic to the release in weighted steps, promote or roll back on the gate."""

    type: Literal["canary"]
    steps: list[Step] | None = Field(
        None, max_length=MAX_STEPS,
        description="Argo-style steps; default 10%, 25%, 50% with 5m bakes; [] promotes at once",
    )  # fmt: skip
    step_weight: float | None = Field(None, gt=0, le=100, description="Flagger stepWeight")
    max_weight: float = Field(50.0, gt=0, le=100, description="Flagger maxWeight")
    step_weights: list[Annotated[float, Field(gt=0, le=100)]] | None = Field(
        None, min_length=1, max_length=MAX_STEPS, description="Flagger stepWeights"
    )
    scale: Literal["weight", "full"] | None = Field(
        None,
        description="canary size: its share of the fleet (default for `steps`, as Argo), or "
        "the whole fleet (default for Flagger's form, as Flagger scales its canary)",
    )
    gate: GateSpec = Field(
        default_factory=lambda: {"type": "flagger"},
        description="release gate; default `flagger` with checks from the SLO",
    )

    @model_validator(mode="after")
    def _one_form(self) -> Canary:
        flagger = self.step_weight is not None or self.step_weights is not None
        if flagger and self.steps is not None:
            raise ValueError("give either 'steps' (Argo) or 'step_weight'/'step_weights' (Flagger)")
        if self.step_weights is not None and any(
            b <= a for a, b in zip(self.step_weights, self.step_weights[1:], strict=False)
        ):
            raise ValueError("step_weights must increase: Flagger steps by the difference to "
                             "the next weight, so a smaller one stalls the canary")  # fmt: skip
        if self.step_weight is not None and self.max_weight / self.step_weight > MAX_STEPS:
            raise ValueError(f"step_weight {self.step_weight:g} takes more than {MAX_STEPS} "
                             f"steps to reach max_weight {self.max_weight:g}")  # fmt: skip
        if isinstance(self.gate, KayentaGate) and max(self.weights(), default=0) > 50:
            raise ValueError("with a kayenta gate the canary and its baseline share traffic: "
                             "weights must not exceed 50")  # fmt: skip
        return self

    @property
    def flagger_schedule(self) -> bool:
        """Written as Flagger writes it, so stepped on Flagger's ticks."""
        return self.step_weight is not None or self.step_weights is not None

    @property
    def full_size(self) -> bool:
        """Whether the canary runs at the whole fleet's size from its first step."""
        return (self.scale or ("full" if self.flagger_schedule else "weight")) == "full"

    def weights(self) -> list[float]:
        """The canary's traffic weights in percent, in order."""
        return [w for w, _ in self.plan(60.0)]

    def plan(self, interval: float) -> list[tuple[float, float]]:
        """(weight in percent, bake in seconds) for each step before promotion."""
        if self.step_weights is not None:
            return [(w, interval) for w in self.step_weights]
        if self.step_weight is not None:
            # runCanary: add stepWeight while the weight is below maxWeight, capped at 100
            weights, w = [], 0.0
            while w < self.max_weight - 1e-9:
                w = min(w + self.step_weight, 100.0)
                weights.append(w)
            return [(w, interval) for w in weights]
        steps = self.steps
        if steps is None:
            steps = [Step(weight=w, bake=300) for w in (10, 25, 50)]
        return [(s.weight, s.bake) for s in steps]
