"""Rolling: replace the fleet's instances batch by batch; old and new serve side by side.

Kubernetes' RollingUpdate: at most `max_surge` instances above the fleet size (a
percentage rounds up) and at most `max_unavailable` below it (rounds down) at any
time; a Service spreads traffic over every ready instance, so each version's share is
its share of serving instances and capacity dips are visible. SageMaker's
RollingUpdatePolicy is the same walk with `max_surge` = MaximumBatchSize,
`max_unavailable` = 0 and `bake` = WaitIntervalInSeconds, the gate's alarms
watching each bake. Rolling back launches the old instances again,
`rollback_batch` at a time (RollbackMaximumBatchSize; default all at once); one still
rolling after `max_execution_timeout` (MaximumExecutionTimeoutInSeconds) rolls back. As
SageMaker does, an endpoint on ml.inf1 instances updates all at once instead, with no
baking and no auto-rollback.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.scenario.base import Duration, Share, share_count
from simulator.scenario.strategies.base import GatedStrategy


class Rolling(GatedStrategy):
    """Replace instances in batches, within surge and unavailability limits."""

    type: Literal["rolling"]
    max_surge: Share = Field("25%", description="instances above the fleet size (rounded up)")
    max_unavailable: Share = Field(
        "25%", description="instances below the fleet size (rounded down)"
    )
    bake: Duration = Field(120.0, description="watch after each batch (WaitIntervalInSeconds)")
    rollback_batch: Share | None = Field(
        None, description="old instances relaunched at a time on rollback; default all"
    )
    max_execution_timeout: Duration | None = Field(
        None, ge=600, le=28800, description="MaximumExecutionTimeoutInSeconds: an update still "
        "rolling then rolls back; none = no deadline (Kubernetes)")  # fmt: skip

    @model_validator(mode="after")
    def _moves(self) -> Rolling:
        if self.max_surge == 0 and self.max_unavailable == 0:
            raise ValueError("max_surge and max_unavailable cannot both be 0")
        return self

    def limits(self, size: int) -> tuple[int, int]:
        """(surge, unavailable) in instances, rounded as Kubernetes does.

        When both round to 0, Kubernetes' ResolveFenceposts allows one unavailable.
        """
        surge = share_count(self.max_surge, size, round_up=True)
        unavailable = share_count(self.max_unavailable, size, round_up=False)
        return (surge, unavailable) if surge or unavailable else (0, 1)

    def rollback_batch_size(self, size: int) -> int | None:
        """RollbackMaximumBatchSize in instances (None: the whole old fleet at once)."""
        if self.rollback_batch is None:
            return None
        return max(1, share_count(self.rollback_batch, size, round_up=False))
