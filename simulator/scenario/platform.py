"""Where the fleet runs: SageMaker (the default), EC2, ECS on Fargate or EC2, EMR, or on premises.

A platform changes three things, all from the catalog's platform data
(`simulator.catalog.platforms`, docs/reference/platforms.md): what an instance costs
(EC2 prices without SageMaker's premium, Fargate's vCPU and memory rates, EMR's fee,
on-premises hardware and power over its life), how long a new instance takes to serve,
and how each strategy runs there. The same strategy names map to each platform's own
mechanism; one a platform cannot run is refused naming the field and the reason (no
traffic mirroring behind an ALB, no endpoint on EMR, no second fleet on premises), and
so is autoscaling on a fixed fleet. `rolling` holds the native rolling update's own
parameters (ECS minimum_healthy_percent / maximum_percent, an Auto Scaling group's
min_healthy_percentage / max_healthy_percentage, a CodeDeploy configuration on premises),
which bound a rolling release with that platform's rounding.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from simulator.catalog import CatalogError, platforms
from simulator.scenario.base import Spec

HOSTED_BY = {"batch_transform": ("sagemaker", "emr"), "async": ("sagemaker",)}
"""Platforms that run each offline or queued hosting kind: Batch Transform and asynchronous
inference are SageMaker's; a batch scoring job on an EMR cluster plays as a transform job."""


class PlatformSpec(Spec):
    """The platform and its native rolling update's parameters."""

    name: str = Field("sagemaker", description="sagemaker, ec2, ecs_fargate, ecs_ec2, emr or "
                      "on_prem")  # fmt: skip
    rolling: dict[str, int | str] = Field(
        {}, description="the native rolling update's parameters, e.g. minimum_healthy_percent "
        "and maximum_percent on ECS, min_healthy_percentage on EC2")  # fmt: skip

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        if len(name) > 100:
            name = name[:100]
        try:
            platforms.platform(name)
        except CatalogError as exc:
            raise ValueError(str(exc)) from None
        return name

    def check(self, targets: dict[str, str], strategy: str, autoscaling: bool, hosting: str,
              instances: int) -> None:  # fmt: skip
        """Raise ValueError naming the field that this platform cannot run."""
        where = platforms.platform(self.name)
        for field, target in targets.items():
            try:
                where.price_per_hour(target)
            except CatalogError as exc:
                raise ValueError(f"{field}: {exc}") from None
        reason = platforms.refusal(self.name, strategy)
        if reason is not None:
            raise ValueError(f"strategy.type: {self.name} cannot run '{strategy}': {reason}")
        if autoscaling and where.autoscaling_refusal:
            raise ValueError(f"autoscaling: not on {self.name}: {where.autoscaling_refusal}")
        if hosting == "realtime" and not where.online:
            raise ValueError(f"hosting.kind: {where.label} has no endpoint; score batches with "
                             "hosting.kind batch_transform")  # fmt: skip
        if hosting in HOSTED_BY and self.name not in HOSTED_BY[hosting]:
            raise ValueError(f"hosting.kind: {hosting} is SageMaker's; {self.name} serves "
                             "real-time traffic only")  # fmt: skip
        if self.rolling:
            try:
                self.bounds(instances)
            except TypeError:
                raise ValueError(f"platform.rolling: unknown parameter for {self.name}'s "
                                 f"rolling update: {', '.join(sorted(self.rolling))}") from None
            except CatalogError as exc:
                raise ValueError(f"platform.rolling: {exc}") from None

    def bounds(self, desired: int) -> tuple[int, int]:
        """(least in service, most in total) of the native rolling update, in instances."""
        return platforms.rolling_bounds(self.name, desired, **self.rolling)
