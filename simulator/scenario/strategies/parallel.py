"""Parallel adoption: old and new both run at full size on the same requests, then cut over.

Users are served by the old system while every request is also sent to the new one
(a full-size fleet: double the cost for the whole period). Outputs are compared: two
answers disagree when exactly one of them failed, or, both having answered, with
probability `divergence` (the models' inherent disagreement). After `duration` the
new system takes over if the disagreement rate is within `max_disagreement` and it
meets the checks; otherwise it is abandoned, never having served a user. The risks
are reported, not hidden: the disagreement found, and the extra instance-hours run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.scenario.base import Duration
from simulator.scenario.strategies.base import GatedStrategy
from simulator.scenario.thresholds import Rate


class Parallel(GatedStrategy):
    """Run both systems on all traffic, compare their outputs, then cut over."""

    type: Literal["parallel"]
    duration: Duration = Field(1800.0, gt=0, description="how long both systems run")
    divergence: Rate = Field(
        0.0, ge=0, le=1, description="chance two successful answers still differ"
    )
    max_disagreement: Rate = Field(
        0.01, ge=0, le=1, description="cut over only at or below this disagreement rate"
    )
    bake: Duration = Field(300.0, description="gate watch after the cut-over")
