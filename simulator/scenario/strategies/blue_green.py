"""Blue/green, as SageMaker's BlueGreenUpdatePolicy runs it.

The green fleet is provisioned at full size first, so the endpoint runs (and pays for)
twice its capacity during the update. Traffic then shifts to green in one go
(ALL_AT_ONCE), after a canary slice (CANARY), or in equal steps (LINEAR), baking
`wait_interval` after every shift, the last one included, while the gate (by default
CloudWatch alarms, as AutoRollbackConfiguration) watches; any alarm in ALARM shifts
100% back to blue. Blue is kept for `termination_wait` after the full shift, then
terminated. A rollout still going after `max_execution_timeout` is rolled back.
Guardrails do not apply to ml.inf1 endpoints: SageMaker then updates all at once, with
no baking and no auto-rollback, and so does the simulation.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.scenario.base import Duration, Share, share_count
from simulator.scenario.strategies.base import GatedStrategy


class BlueGreen(GatedStrategy):
    """Provision green at full size, shift traffic to it, keep blue for a while."""

    type: Literal["blue_green"]
    traffic: Literal["ALL_AT_ONCE", "CANARY", "LINEAR"] = Field(
        "ALL_AT_ONCE", description="TrafficRoutingConfiguration.Type"
    )
    wait_interval: Duration = Field(
        300.0, le=3600, description="WaitIntervalInSeconds: bake after each shift"
    )
    canary_size: Share = Field(
        "10%", description="CanarySize: instances or capacity percent (<= 50%), CANARY only"
    )
    linear_step: Share = Field(
        "20%", description="LinearStepSize: instances or capacity percent (10-50%), LINEAR only"
    )
    termination_wait: Duration = Field(
        0.0, le=3600, description="TerminationWaitInSeconds: blue kept after the full shift"
    )
    max_execution_timeout: Duration = Field(
        3600.0, ge=600, le=28800, description="MaximumExecutionTimeoutInSeconds"
    )

    @model_validator(mode="after")
    def _sizes(self) -> BlueGreen:
        if isinstance(self.canary_size, float) and not 0 < self.canary_size <= 0.5:
            raise ValueError("canary_size must be at most 50% of the fleet")
        if isinstance(self.linear_step, float) and not 0.1 <= self.linear_step <= 0.5:
            raise ValueError("linear_step must be between 10% and 50% of the fleet")
        return self

    def check_fleet(self, size: int) -> None:
        """SageMaker's limits on instance counts: canary 1 to 50%, linear steps 10-50%."""
        if self.traffic == "CANARY" and isinstance(self.canary_size, int):
            if not 1 <= self.canary_size <= 0.5 * size:
                raise ValueError(f"strategy.canary_size: {self.canary_size} instances is not "
                                 f"between 1 and 50% of the {size}-instance fleet")  # fmt: skip
        if self.traffic == "LINEAR" and isinstance(self.linear_step, int):
            if not max(1, 0.1 * size) <= self.linear_step <= 0.5 * size:
                raise ValueError(f"strategy.linear_step: {self.linear_step} instances is not "
                                 f"between 10% and 50% of the {size}-instance fleet")  # fmt: skip

    def shares(self, size: int) -> list[float]:
        """Green's share of traffic after each shift: capacity on green over the fleet."""
        if self.traffic == "ALL_AT_ONCE":
            return [1.0]
        if self.traffic == "CANARY":
            count = min(max(1, share_count(self.canary_size, size, round_up=False)), size)
            return [count / size, 1.0]
        step = min(max(1, share_count(self.linear_step, size, round_up=False)), size)
        return [min(k * step, size) / size for k in range(1, -(-size // step) + 1)]
