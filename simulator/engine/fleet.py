"""Fleets: production variants made of instances, with what each costs and how fast it serves.

A `Variant` is SageMaker's production variant: one model version on one instance
type, with a weight, a routing strategy and a set of instances. `build_variant`
resolves a scenario's fleet spec against the hardware catalog once, so the hot path
only samples numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator import catalog
from simulator.catalog import platforms
from simulator.sampling import distributions as dist
from simulator.scenario.fleet import Defect, FleetSpec

PROVISIONING, IN_SERVICE, TERMINATED = "provisioning", "in_service", "terminated"


@dataclass(eq=False)
class Instance:
    """One instance: a slot in the kernel's arrays plus its lifecycle state."""

    slot: int
    variant: Variant
    state: str = PROVISIONING
    down_reasons: set[str] = field(default_factory=set)

    @property
    def serving(self) -> bool:
        """Receives traffic: in service and not taken down by a failure."""
        return self.state == IN_SERVICE and not self.down_reasons

    @property
    def billed(self) -> bool:
        """Costs money: everything but a terminated instance (SageMaker bills from launch)."""
        return self.state != TERMINATED


@dataclass(eq=False)
class Variant:
    """A production variant: a model version on a hardware target, with its instances."""

    name: str
    version: str
    spec: FleetSpec
    service: dist.ServiceTime
    error_rate: float
    workers: int
    price_per_hour: float
    provisioning_s: float
    utilisation_metric: str
    is_release: bool
    shadow: bool = False  # receives mirrored copies only; its responses are discarded
    network_s: float = 0.0  # the client's network path, added to every response
    weight: float = 0.0
    instances: list[Instance] = field(default_factory=list)

    @property
    def serving(self) -> list[Instance]:
        """Instances that receive traffic now."""
        return [i for i in self.instances if i.serving]

    @property
    def live(self) -> list[Instance]:
        """Instances not terminated (provisioning, serving or down)."""
        return [i for i in self.instances if i.state != TERMINATED]


def build_variant(
    name: str, spec: FleetSpec, *, is_release: bool, defect: Defect | None = None,
    platform: str = "sagemaker",
) -> Variant:  # fmt: skip
    """Resolve a fleet spec against the catalog: service time, workers, price, start-up time.

    Off SageMaker, the price and the start-up time are the platform's for the same
    instance type (`simulator.catalog.platforms`); the latency is the target's own.
    """
    info = catalog.target_info(spec.target)
    if spec.service_time is not None:
        service = spec.service_time.build()
        resolved = None
    elif spec.pipeline is not None:
        parts = [_container(spec, c.model, c.service_time) for c in spec.pipeline]
        service = dist.Sum(parts)
        resolved = next((_resolve(spec, c.model) for c in spec.pipeline if c.model), None)
    else:
        resolved = _resolve(spec, spec.model)
        service = _container(spec, spec.model, None)
    if defect is not None and defect.latency_factor != 1.0:
        service = dist.Scaled(service, defect.latency_factor)
    extra_error = defect.error_rate if defect is not None else 0.0
    workers = spec.workers_per_instance or (resolved.workers_per_instance if resolved else 1)
    price, provisioning = spec.price_per_hour, spec.provisioning
    elsewhere = None if platform == "sagemaker" else platforms.platform(platform)
    if price is None and elsewhere is not None:
        price = elsewhere.price_per_hour(spec.target)
    if price is None:
        price = resolved.price_per_hour if resolved else float(info["price_per_hour"])
    if provisioning is None and elsewhere is not None:
        provisioning = elsewhere.start_up_s(spec.target)
    if provisioning is None:
        provisioning = resolved.provisioning_s if resolved else _scale_out_s(info)
    family = info["family"]
    return Variant(
        name=name,
        version=spec.version,
        spec=spec,
        service=service,
        error_rate=1.0 - (1.0 - spec.error_rate) * (1.0 - extra_error),
        workers=workers,
        price_per_hour=price,
        provisioning_s=provisioning,
        utilisation_metric="CPUUtilization" if family == "cpu" else "GPUUtilization",
        is_release=is_release,
    )


def _resolve(spec: FleetSpec, model: str) -> catalog.Resolved:
    return catalog.resolve(spec.target, model, neo=spec.neo, accelerator=spec.accelerator)


def _container(spec: FleetSpec, model: str | None, service_time) -> dist.ServiceTime:
    if service_time is not None:
        return service_time.build()
    r = _resolve(spec, model)
    latency = dist.LogNormal.from_p50_p99(r.p50_s, r.p99_s)
    return dist.Shifted(latency, r.extra_latency_s) if r.extra_latency_s > 0 else latency


def _scale_out_s(info: dict) -> float:
    """A new instance's start-up time from a raw catalog row (scenarios with service_time)."""
    return float(info["provisioning"]["scale_out_s"])
