"""Shadow: a copy of a share of live traffic goes to the release; its answers are discarded.

SageMaker's shadow variants (ShadowProductionVariants, or an inference experiment of
Type ShadowMode with a SamplingPercentage): users are only ever served by the
production fleet, while the shadow fleet takes mirrored copies at its own cost. After
`duration` the shadow's metrics are compared offline with the checks (from the SLO
by default) and with production's; a shadow that passes is promoted (its fleet grows
to full size and takes all traffic, watched by the gate for `bake`), one that fails
is discarded before any user met it.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from simulator.release.gates import broken_checks, default_checks, window_metrics
from simulator.release.strategies.base import GatedStrategy, Release, percent
from simulator.scenario.base import MAX_INSTANCES, Duration


class Shadow(GatedStrategy):
    """Mirror traffic to the release, compare offline, then promote or discard it."""

    type: Literal["shadow"]
    sampling: float = Field(100.0, ge=0, le=100, description="SamplingPercentage of requests")
    duration: Duration = Field(1800.0, gt=0, description="how long the shadow test runs")
    instances: int | None = Field(
        None, ge=1, le=MAX_INSTANCES,
        description="shadow fleet size; default the release's instance count",
    )  # fmt: skip
    promote: bool = Field(True, description="promote a shadow that passes, or only report")
    bake: Duration = Field(300.0, description="gate watch after promotion")

    def controller(self, ctx):
        """Shadow for `duration`, judge the copies, then promote or discard."""
        yield ctx.env.timeout(ctx.start_time(self))
        what = f"{self.sampling:g}% of {ctx.current.version}'s traffic"
        rel = Release(ctx, self, f"shadow test {ctx.sc.release.version} ({what})")
        stable = rel.stable
        shadow = rel.variant(label=f"{ctx.sc.release.version}-shadow", shadow=True)
        yield ctx.launch(shadow, self.instances)
        rows = yield from rel.mirror_for(shadow, percent(self.sampling), self.duration)
        broken = compare(ctx, shadow.version, stable.version, rows, self.gate.checks)
        if broken or not self.promote:
            reason = "shadow failed: " + ", ".join(broken) if broken else "report only"
            rel.abandon(reason)
            return
        yield from rel.cut_over(shadow, self.bake)


def compare(ctx, candidate: str, production: str, rows: slice, checks) -> list[str]:
    """Judge a shadow's copies on the checks; report both sides; return what broke."""
    mine = window_metrics(ctx, candidate, rows)
    theirs = window_metrics(ctx, production, rows)
    keys = ("Invocations", "error_rate", "latency_p50", "latency_p99")
    ctx.report(
        comparison={
            "candidate": {k: _number(mine[k][0]) for k in keys},
            "production": {k: _number(theirs[k][0]) for k in keys},
        }
    )
    if mine["Invocations"][0] == 0:
        return ["no shadow requests"]
    return broken_checks(checks if checks is not None else default_checks(ctx), mine)


def _number(value: float) -> float | None:
    """A reported figure; None where there was nothing to measure (no NaN in JSON)."""
    return None if math.isnan(value) else float(value)
