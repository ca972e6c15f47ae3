"""A SageMaker asynchronous endpoint (InvokeEndpointAsync): an internal queue in front of the fleet.

Requests wait in the endpoint's queue, not in the client: latency is queue wait plus
processing. Each instance takes at most MaxConcurrentInvocationsPerInstance at once. The
fleet may scale to zero when idle; autoscaling tracks ApproximateBacklogSizePerInstance,
and an optional step policy on HasBacklogWithoutCapacity starts the first instance as soon
as a request waits (docs/reference/hosting.md#asynchronous-inference). A request still
queued after RequestTTLSeconds (6 h) expires, one processed longer than
InvocationTimeoutSeconds (15 min) fails.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.limits import MAX_INSTANCES
from simulator.scenario.base import Duration, Spec


class Asynchronous(Spec):
    """An asynchronous endpoint on the fleet, scaled on its backlog, down to zero if allowed."""

    kind: Literal["async"]
    max_concurrent_invocations_per_instance: int | None = Field(
        None, ge=1, le=1000, description="requests at once per instance; default the workers "
        "the catalog gives the fleet")  # fmt: skip
    initial_instances: int | None = Field(
        None, ge=0, le=MAX_INSTANCES, description="instances serving at the start; default "
        "fleet.instances, 0 for an endpoint already scaled to zero")  # fmt: skip
    min_instances: int = Field(0, ge=0, le=MAX_INSTANCES, description="0 lets it scale to zero")
    max_instances: int = Field(4, ge=1, le=MAX_INSTANCES, description="scale-out stops here")
    target_backlog_per_instance: float = Field(
        5.0, gt=0, le=1e6, description="target of ApproximateBacklogSizePerInstance"
    )
    drain: Duration = Field(
        0.0, description="played on after the traffic ends (duration), s: the queue empties "
        "and the fleet scales in, still billed")  # fmt: skip
    scale_out_cooldown: Duration = Field(300.0, description="after a scale-out, s")
    scale_in_cooldown: Duration = Field(600.0, description="after any scaling, before a "
                                        "scale-in, s")  # fmt: skip
    scale_out_datapoints: int = Field(
        3, ge=1, le=1440, description="periods above the target before scaling out"
    )
    scale_in_datapoints: int = Field(
        15, ge=1, le=1440, description="periods below 90% of the target before scaling in"
    )
    scale_from_zero: bool = Field(
        True, description="a step policy on HasBacklogWithoutCapacity adds one instance at once"
    )
    request_ttl: Duration = Field(
        21600.0, ge=60, le=21600, description="RequestTTLSeconds: longest wait in the queue, s"
    )
    invocation_timeout: Duration = Field(
        900.0, ge=1, le=3600, description="InvocationTimeoutSeconds: longest processing, s"
    )

    @model_validator(mode="after")
    def _bounds(self) -> Asynchronous:
        if self.min_instances > self.max_instances:
            raise ValueError(f"min_instances ({self.min_instances}) must not exceed "
                             f"max_instances ({self.max_instances})")  # fmt: skip
        if self.initial_instances is not None and self.initial_instances > self.max_instances:
            raise ValueError(f"initial_instances ({self.initial_instances}) must not exceed "
                             f"max_instances ({self.max_instances})")  # fmt: skip
        return self
