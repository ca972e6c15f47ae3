"""Big bang: the old system stops and the new one takes all traffic at once.

The seed's advice: "use this deployment when we can't run both systems at the same
time". Without overlap (Kubernetes' Recreate) the old fleet is terminated first and
requests fail until the new fleet is in service; with `overlap: true` the new fleet
is provisioned first and the cut-over is instant.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.scenario.base import Duration
from simulator.scenario.strategies.base import GatedStrategy


class BigBang(GatedStrategy):
    """Cut all traffic over to the release in one step."""

    type: Literal["big_bang"]
    overlap: bool = Field(
        False, description="provision the new fleet before stopping the old (no downtime)"
    )
    bake: Duration = Field(600.0, description="watch after the cut-over before calling it done")
    scale_down_delay: Duration = Field(0.0, description="the old fleet goes at the cut-over")
