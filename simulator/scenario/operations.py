"""What happens to a fleet while it runs: instance crashes, zone outages, autoscaling."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.limits import MAX_INSTANCES
from simulator.scenario.base import Duration, Spec


class InstanceFailures(Spec):
    """Instance crashes: in-flight requests fail; the instance is replaced or repaired."""

    mtbf: Duration = Field(gt=0, description="mean time between failures per instance, s")
    mttr: Duration | None = Field(
        None, description="time to bring capacity back, s; default the target's provisioning"
    )
    distribution: Literal["exponential", "fixed"] = "exponential"


class ZoneOutage(Spec):
    """An availability-zone outage: a fraction of every fleet's instances down for a span."""

    at: Duration
    duration: Duration = Field(gt=0)
    fraction: float = Field(gt=0, le=1)


class Failures(Spec):
    """What breaks during the run."""

    instance: InstanceFailures | None = None
    zone_outages: list[ZoneOutage] = []


class Autoscaling(Spec):
    """SageMaker target tracking on SageMakerVariantInvocationsPerInstance.

    The metric is invocations per instance per minute. As Application Auto Scaling's
    target-tracking alarms do, scale-out needs 3 consecutive breaching minutes and
    scale-in 15 below 90% of the target; cooldowns default to 300 s. The target is at
    least 0.001 a minute (under 2 a day per instance): a tiny one makes the desired
    count, instances x rate / target, overflow.
    """

    metric: Literal["invocations_per_instance"] = "invocations_per_instance"
    target: float = Field(
        ge=1e-3, description="invocations per instance per minute, at least 0.001"
    )
    min: int = Field(1, ge=1, le=MAX_INSTANCES)
    max: int = Field(ge=1, le=MAX_INSTANCES)
    scale_out_cooldown: Duration = 300.0
    scale_in_cooldown: Duration = 300.0
    scale_out_datapoints: int = Field(3, ge=1)
    scale_in_datapoints: int = Field(15, ge=1)
    scale_in_ratio: float = Field(0.9, gt=0, le=1, description="scale in below ratio x target")
    disable_scale_in: bool = False

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self
