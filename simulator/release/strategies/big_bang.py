"""Big bang: the old system stops and the new one takes all traffic at once.

The seed's advice: "use this deployment when we can't run both systems at the same
time". Without overlap (Kubernetes' Recreate) the old fleet is terminated first and
requests fail until the new fleet is in service; with `overlap: true` the new fleet
is provisioned first and the cut-over is instant. The gate watches for `bake` after
the cut-over; rolling back means provisioning the old version again, so the whole
fleet's traffic meets the defect until the old one is back.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.release.strategies.base import GatedStrategy, Release
from simulator.scenario.base import Duration


class BigBang(GatedStrategy):
    """Cut all traffic over to the release in one step."""

    type: Literal["big_bang"]
    overlap: bool = Field(
        False, description="provision the new fleet before stopping the old (no downtime)"
    )
    bake: Duration = Field(600.0, description="watch after the cut-over before calling it done")
    scale_down_delay: Duration = Field(0.0, description="the old fleet goes at the cut-over")

    def controller(self, ctx):
        """Stop old, provision new, cut over (or provision first when overlapping)."""
        yield ctx.env.timeout(ctx.start_time(self))
        old = ctx.current
        rel = Release(ctx, self, f"big bang {old.version} -> {ctx.sc.release.version}")
        new = rel.variant()
        if self.overlap:
            yield ctx.launch(new)
            ctx.set_weights({new: 1.0, old: 0.0})
            ctx.terminate(old)
        else:
            ctx.set_weights({new: 1.0, old: 0.0})
            ctx.terminate(old, drain=False)
            yield ctx.launch(new)
        rel.watch(new)
        if (yield from rel.bake(self.bake)):
            yield from rel.promote(new, keep_for=0.0)
        else:
            yield from rel.roll_back()
