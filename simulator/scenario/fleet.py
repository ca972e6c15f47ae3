"""Fleets in the schema: the production variant running today and the release replacing it.

A fleet is a model on a catalog hardware target (or an explicit service time, or an
inference pipeline) with its capacity, queue, timeout and routing; the release inherits
every field it leaves out, and carries the injected defect strategies are judged on.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from simulator import catalog, userfiles
from simulator.limits import MAX_INSTANCES
from simulator.scenario.base import Duration, Spec
from simulator.scenario.workload import ServiceTimeSpec

MAX_WEIGHT = 1e6
"""Largest variant weight. Weights are relative (a share is weight / sum of weights), so
any bound works; this one keeps every sum finite (`.inf` routed as inf / inf = NaN)."""

MAX_PRICE = 1e6
"""Largest price in USD per instance-hour, far above the dearest SageMaker instance
(~$100/h); with MAX_INSTANCES for the longest run the bill still fits a float."""

MAX_QUEUE = 10_000
"""Most waiting places per instance: the kernel keeps a ring of this many start times for
every instance, and no client waits behind ten thousand requests."""

MAX_LATENCY_FACTOR = 1000.0
"""Largest slow-down a defect injects: a release 1000x slower is an outage (model it with
error_rate), and the bound keeps the scaled service time's E[S^2] finite."""


def _catalog_key(kind: str, key: str | None, known: list[str]) -> str | None:
    """Check a catalog key on its own, so a typo is reported at its field path."""
    if key is None:
        return None
    if len(key) > 100:  # no catalog key is this long: spare difflib a huge string
        raise ValueError(f"unknown {kind} {userfiles.brief(key)}; known: {', '.join(known)}")
    try:
        return catalog._check(kind, key, known)
    except catalog.CatalogError as exc:
        raise ValueError(str(exc)) from None


class Defect(Spec):
    """What is wrong with the release, injected so strategies can be judged on catching it."""

    error_rate: float = Field(0.0, ge=0, le=1, description="extra share of requests failing (5XX)")
    latency_factor: float = Field(
        1.0, gt=0, le=MAX_LATENCY_FACTOR, description="multiplies the release's service time"
    )


class Container(Spec):
    """One container of an inference pipeline (2-5 run in sequence; their latencies add)."""

    name: str = Field("container", description="label for the audit trail")
    model: str | None = Field(None, description="catalog latency profile on the fleet's target")
    service_time: ServiceTimeSpec | None = Field(None, description="explicit latency instead")

    @field_validator("model")
    @classmethod
    def _known_model(cls, model: str | None) -> str | None:
        return _catalog_key("model", model, catalog.models())

    @model_validator(mode="after")
    def _one_source(self) -> Container:
        if (self.model is None) == (self.service_time is None):
            raise ValueError("give exactly one of 'model' or 'service_time'")
        return self


class _CatalogKeys(Spec):
    """Catalog keys checked where they are written, so errors name `fleet.target` etc."""

    @field_validator("target", check_fields=False)
    @classmethod
    def _known_target(cls, target: str | None) -> str | None:
        return _catalog_key("target", target, catalog.targets())

    @field_validator("model", check_fields=False)
    @classmethod
    def _known_model(cls, model: str | None) -> str | None:
        return _catalog_key("model", model, catalog.models())

    @field_validator("accelerator", check_fields=False)
    @classmethod
    def _known_accelerator(cls, accelerator: str | None) -> str | None:
        return _catalog_key("accelerator", accelerator, catalog.accelerators())


class FleetSpec(_CatalogKeys):
    """A production variant: a model on a hardware target, with its capacity and routing."""

    version: str = Field("v1", description="version label shown in metrics")
    target: str = Field("ml.c5.xlarge", description="catalog instance type")
    model: str | None = Field("resnet50", description="catalog latency profile")
    neo: bool = Field(False, description="compiled with SageMaker Neo (catalog speed-up)")
    accelerator: str | None = Field(None, description="Elastic Inference accelerator (legacy)")
    instances: int = Field(1, ge=1, le=MAX_INSTANCES, description="initial instance count")
    workers_per_instance: int | None = Field(
        None, ge=1, le=1024, description="concurrent requests per instance; default from catalog"
    )
    queue_capacity: int | None = Field(
        None, ge=0, le=MAX_QUEUE,
        description="waiting places per instance (0 = loss system, none = unlimited)",
    )  # fmt: skip
    timeout: Duration = Field(60.0, gt=0, description="client deadline, s (InvokeEndpoint: 60 s)")
    routing: Literal["random", "least_outstanding"] = Field(
        "random", description="SageMaker RoutingStrategy within the variant"
    )
    weight: float = Field(
        1.0, ge=0, le=MAX_WEIGHT, description="InitialVariantWeight; share = weight / sum"
    )
    service_time: ServiceTimeSpec | None = Field(None, description="overrides the catalog latency")
    pipeline: list[Container] | None = Field(
        None, min_length=2, max_length=5, description="inference pipeline: 2-5 containers"
    )
    error_rate: float = Field(0.0, ge=0, le=1, description="baseline share of 5XX errors")
    overhead: Duration = Field(0.0, description="fixed SageMaker OverheadLatency per request, s")
    price_per_hour: float | None = Field(
        None, ge=0, le=MAX_PRICE, description="overrides the catalog price, USD"
    )
    provisioning: Duration | None = Field(None, description="overrides the catalog start-up time")

    @model_validator(mode="before")
    @classmethod
    def _no_default_model(cls, data: Any) -> Any:
        # The catalog model is only a default when nothing else gives the latency; without
        # this, `model: null` next to a service_time would not survive to_dict (exclude_none).
        if (
            isinstance(data, dict)
            and "model" not in data
            and (data.get("service_time") is not None or data.get("pipeline") is not None)
        ):
            data = {**data, "model": None}
        return data

    @model_validator(mode="after")
    def _check_catalog(self) -> FleetSpec:
        if self.service_time is not None and self.pipeline is not None:
            raise ValueError("give 'service_time' or 'pipeline', not both")
        if self.model is None and self.service_time is None and self.pipeline is None:
            raise ValueError("give one of 'model', 'service_time' or 'pipeline'")
        models = [self.model] if self.service_time is None and self.pipeline is None else []
        models += [c.model for c in self.pipeline or [] if c.model is not None]
        try:
            catalog.target_info(self.target)
            for model in models:
                catalog.resolve(self.target, model, neo=self.neo, accelerator=self.accelerator)
        except catalog.CatalogError as exc:
            raise ValueError(str(exc)) from None
        return self


class ReleaseSpec(_CatalogKeys):
    """The new version; every field left out is inherited from the current fleet."""

    version: str = "v2"
    defect: Defect = Defect()
    target: str | None = None
    model: str | None = None
    neo: bool | None = None
    accelerator: str | None = None
    instances: int | None = Field(None, ge=1, le=MAX_INSTANCES)
    workers_per_instance: int | None = Field(None, ge=1, le=1024)
    queue_capacity: int | None = Field(None, ge=0, le=MAX_QUEUE)
    timeout: Duration | None = Field(None, gt=0)
    routing: Literal["random", "least_outstanding"] | None = None
    service_time: ServiceTimeSpec | None = None
    pipeline: list[Container] | None = Field(None, min_length=2, max_length=5)
    error_rate: float | None = Field(None, ge=0, le=1)
    overhead: Duration | None = None
    price_per_hour: float | None = Field(None, ge=0, le=MAX_PRICE)
    provisioning: Duration | None = None

    def fleet(self, current: FleetSpec) -> FleetSpec:
        """The release as a complete fleet: its own fields over the current fleet's."""
        own = self.model_dump(exclude={"defect"}, exclude_none=True)
        if "service_time" in own or "pipeline" in own or "model" in own:
            base = current.model_dump(exclude={"service_time", "pipeline", "model"})
            base["model"] = None if "model" not in own else own["model"]
        else:
            base = current.model_dump()
        return FleetSpec.model_validate(base | own)
