"""SageMaker target tracking on SageMakerVariantInvocationsPerInstance, per variant.

Application Auto Scaling's target-tracking alarms: scale out after `scale_out_datapoints`
consecutive periods above the target (at least one instance more, at most `max`), scale
in after `scale_in_datapoints` below `scale_in_ratio` x target (never below `min`), each
direction with its cooldown; a scale-out also holds back the next scale-in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.engine.events import EventKind

if TYPE_CHECKING:
    from simulator.engine.control import Control
    from simulator.engine.fleet import Variant
    from simulator.scenario.operations import Autoscaling


@dataclass
class _Streak:
    """A variant's consecutive breaching periods and its last scaling times."""

    high: int = 0
    low: int = 0
    out: float = -math.inf
    in_: float = -math.inf


class TargetTracking:
    """Evaluated by the monitor at the end of every period."""

    def __init__(self, ctl: Control, spec: Autoscaling) -> None:
        self.ctl, self.spec = ctl, spec
        self._streaks: dict[int, _Streak] = {}

    def evaluate(self, p: int) -> None:
        """Scale every weighted variant on period p's invocations per instance per minute."""
        for variant in self.ctl.plane.variants:
            if variant.weight > 0 and variant.live:
                self._scale(variant, p)

    def _scale(self, variant: Variant, p: int) -> None:
        ctl, spec = self.ctl, self.spec
        live = variant.live
        m = ctl.metrics(variant.version, slice(p, p + 1), merge=False)
        per_minute = m["InvocationsPerInstance"][0] * 60.0 / ctl.period
        state = self._streaks.setdefault(id(variant), _Streak())
        if math.isnan(per_minute):
            return
        state.high = state.high + 1 if per_minute > spec.target else 0
        state.low = state.low + 1 if per_minute < spec.scale_in_ratio * spec.target else 0
        now, n = ctl.env.now, len(live)
        desired = math.ceil(n * per_minute / spec.target - 1e-9)
        rate = f"({per_minute:.0f}/min per instance)"
        if state.high >= spec.scale_out_datapoints and now - state.out >= spec.scale_out_cooldown:
            target = min(spec.max, max(desired, n + 1))
            if target > n:
                state.out, state.high = now, 0
                ctl.audit(EventKind.SCALE_OUT, f"{variant.name}: {n} -> {target} {rate}",
                          variant=variant.name, count=target, value=per_minute)  # fmt: skip
                ctl.launch(variant, target - n)
        elif (not spec.disable_scale_in and state.low >= spec.scale_in_datapoints
              and now - max(state.in_, state.out) >= spec.scale_in_cooldown):  # fmt: skip
            target = max(spec.min, desired)
            if target < n:
                state.in_, state.low = now, 0
                ctl.audit(EventKind.SCALE_IN, f"{variant.name}: {n} -> {target} {rate}",
                          variant=variant.name, count=target, value=per_minute)  # fmt: skip
                ctl.terminate(variant, n - target)
