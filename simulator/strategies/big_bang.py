"""Big bang: the old system stops and the new one takes all traffic at once.

The seed's advice: "use this deployment when we can't run both systems at the same
time". Without overlap (Kubernetes' Recreate) the old fleet is terminated first and
requests fail until the new fleet is in service; with `overlap: true` the new fleet
is provisioned first and the cut-over is instant.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import StrategyBase


class BigBang(StrategyBase):
    """Cut all traffic over to the release in one step."""

    type: Literal["big_bang"]
    overlap: bool = Field(
        False, description="provision the new fleet before stopping the old (no downtime)"
    )

    def controller(self, ctx):
        """Stop old, provision new, cut over (or provision first when overlapping)."""
        yield ctx.env.timeout(ctx.start_time(self))
        old = ctx.current
        new = ctx.new_variant(is_release=True)
        ctx.audit("UpdateEndpoint", f"big bang {old.version} -> {new.version}")
        if self.overlap:
            yield ctx.launch(new)
            ctx.set_weights({new: 1.0, old: 0.0})
            ctx.terminate(old)
        else:
            ctx.set_weights({new: 1.0, old: 0.0})
            ctx.terminate(old, drain=False)
            yield ctx.launch(new)
        ctx.finish("promoted")
