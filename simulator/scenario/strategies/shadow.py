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

from typing import Literal

from pydantic import Field

from simulator.limits import MAX_INSTANCES
from simulator.scenario.base import Duration
from simulator.scenario.strategies.base import GatedStrategy


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
