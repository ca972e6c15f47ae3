"""A real-time SageMaker endpoint (InvokeEndpoint): what every scenario ran before hosting kinds.

SageMaker hosting takes three calls: CreateModel, CreateEndpointConfig (the production
variants) and CreateEndpoint. The endpoint serves once it is InService, which the catalog
puts at `create_endpoint_s` after CreateEndpoint (docs/reference/hardware.md#create-endpoint).
By default a run starts with the endpoint already in service; `create_endpoint` starts it
from nothing, so the first requests meet no endpoint and fail.

The endpoint configuration's first production variant is the `fleet`; `variants` adds
more, each its own fleet with a weight (traffic share = weight / sum of weights), which
is how SageMaker itself splits traffic between models. `updates` are
UpdateEndpointWeightsAndCapacities calls: new weights and instance counts at given times.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.limits import MAX_INSTANCES
from simulator.scenario.base import Duration, Spec
from simulator.scenario.fleet import MAX_WEIGHT, ReleaseSpec


class ProductionVariant(ReleaseSpec):
    """Another production variant: `version` is its VariantName; unset fields come from `fleet`."""

    version: str = Field(description="VariantName: the variant's label in metrics and events")
    weight: float = Field(1.0, ge=0, le=MAX_WEIGHT, description="InitialVariantWeight")


class DesiredWeightAndCapacity(Spec):
    """One variant's new weight and instance count; unset means unchanged."""

    variant: str = Field(description="VariantName: the fleet's version or a variant's")
    weight: float | None = Field(None, ge=0, le=MAX_WEIGHT, description="DesiredWeight")
    instances: int | None = Field(
        None, ge=0, le=MAX_INSTANCES, description="DesiredInstanceCount; new ones start up first"
    )


class WeightsUpdate(Spec):
    """An UpdateEndpointWeightsAndCapacities call at time `at`."""

    at: Duration = Field(description="when it is called, s; after the run's end it never is")
    variants: list[DesiredWeightAndCapacity] = Field(min_length=1, max_length=10)


class Realtime(Spec):
    """A synchronous endpoint: requests wait for their answer, at most 60 s (InvokeEndpoint)."""

    kind: Literal["realtime"]
    create_endpoint: bool = Field(
        False, description="start from nothing: the fleet serves after CreateEndpoint completes"
    )
    create_time: Duration | None = Field(
        None, description="CreateEndpoint to InService, s; default the target's create_endpoint_s"
    )
    variants: list[ProductionVariant] = Field(
        [], max_length=9, description="production variants besides the fleet (at most 10 in all)"
    )
    updates: list[WeightsUpdate] = Field(
        [], max_length=1000, description="UpdateEndpointWeightsAndCapacities calls, by time"
    )

    @model_validator(mode="after")
    def _names(self) -> Realtime:
        names = [v.version for v in self.variants]
        if len(set(names)) < len(names):
            raise ValueError("variants: two production variants share a VariantName")
        return self
