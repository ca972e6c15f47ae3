"""The scenario: one validated description of traffic, fleets, release, strategy and checks.

Everything a run needs is in a `Scenario`; `load_scenario` accepts a path, YAML text
or a dict and turns any mistake into a `ScenarioError` naming the field path and what
was expected. Durations are seconds (numbers or strings such as "10m").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from . import catalog
from .specbase import Duration, Spec
from .strategies import STRATEGY_TYPES, StrategySpec
from .thresholds import AlarmMetric, threshold_validator
from .workload import DISTRIBUTIONS, TRAFFIC_PATTERNS, ServiceTimeSpec, TrafficSpec


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names every bad field and why."""


def _catalog_key(kind: str, key: str | None, known: list[str]) -> str | None:
    """Check a catalog key on its own, so a typo is reported at its field path."""
    if key is None:
        return None
    try:
        return catalog._check(kind, key, known)
    except catalog.CatalogError as exc:
        raise ValueError(str(exc)) from None


class Defect(Spec):
    """What is wrong with the release, injected so strategies can be judged on catching it."""

    error_rate: float = Field(0.0, ge=0, le=1, description="extra share of requests failing (5XX)")
    latency_factor: float = Field(1.0, gt=0, description="multiplies the release's service time")


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
    instances: int = Field(1, ge=1, le=10_000, description="initial instance count")
    workers_per_instance: int | None = Field(
        None, ge=1, le=1024, description="concurrent requests per instance; default from catalog"
    )
    queue_capacity: int | None = Field(
        None, ge=0, description="waiting places per instance (0 = loss system, none = unlimited)"
    )
    timeout: Duration = Field(60.0, gt=0, description="client deadline, s (InvokeEndpoint: 60 s)")
    routing: Literal["random", "least_outstanding"] = Field(
        "random", description="SageMaker RoutingStrategy within the variant"
    )
    weight: float = Field(1.0, ge=0, description="InitialVariantWeight; share = weight / sum")
    service_time: ServiceTimeSpec | None = Field(None, description="overrides the catalog latency")
    pipeline: list[Container] | None = Field(
        None, min_length=2, max_length=5, description="inference pipeline: 2-5 containers"
    )
    error_rate: float = Field(0.0, ge=0, le=1, description="baseline share of 5XX errors")
    overhead: Duration = Field(0.0, description="fixed SageMaker OverheadLatency per request, s")
    price_per_hour: float | None = Field(None, ge=0, description="overrides the catalog price")
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
    instances: int | None = Field(None, ge=1, le=10_000)
    workers_per_instance: int | None = Field(None, ge=1, le=1024)
    queue_capacity: int | None = Field(None, ge=0)
    timeout: Duration | None = Field(None, gt=0)
    routing: Literal["random", "least_outstanding"] | None = None
    service_time: ServiceTimeSpec | None = None
    pipeline: list[Container] | None = Field(None, min_length=2, max_length=5)
    error_rate: float | None = Field(None, ge=0, le=1)
    overhead: Duration | None = None
    price_per_hour: float | None = Field(None, ge=0)
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
    scale-in 15 below 90% of the target; cooldowns default to 300 s.
    """

    metric: Literal["invocations_per_instance"] = "invocations_per_instance"
    target: float = Field(gt=0, description="invocations per instance per minute")
    min: int = Field(1, ge=1)
    max: int = Field(ge=1)
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


class Alarm(Spec):
    """A CloudWatch alarm: M of the last N periods breaching puts it in ALARM."""

    name: str
    metric: AlarmMetric
    threshold: float = Field(description="seconds/'200ms' for latency, '5%' or 0.05 for rates")
    comparison: Literal[">", ">=", "<", "<="] = ">"
    evaluation_periods: int = Field(1, ge=1)
    datapoints_to_alarm: int | None = Field(None, ge=1)
    version: str | None = Field(None, description="only this version's requests; none = all")
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, value: Any, info: ValidationInfo) -> float:
        return threshold_validator(value, info)

    @model_validator(mode="after")
    def _m_of_n(self) -> Alarm:
        if self.datapoints_to_alarm is not None and self.datapoints_to_alarm > (
            self.evaluation_periods
        ):
            raise ValueError("datapoints_to_alarm must not exceed evaluation_periods")
        return self

    @property
    def m(self) -> int:
        """Datapoints that must breach (defaults to all evaluation periods)."""
        return self.datapoints_to_alarm or self.evaluation_periods


class Monitoring(Spec):
    """CloudWatch-style metrics per period, alarms, and an optional sampled request log."""

    period: Duration = Field(60.0, gt=0, description="metric period, s (CloudWatch: 60)")
    alarms: list[Alarm] = []
    request_log: float = Field(0.0, ge=0, le=1, description="share of requests logged one by one")


class SLO(Spec):
    """Service-level objectives; requests slower than latency_p99 count against the release."""

    latency_p99: Duration | None = None
    availability: float | None = Field(None, gt=0, le=1)


class Scenario(Spec):
    """A whole what-if: what runs, what ships, how, and what can go wrong."""

    name: str = "scenario"
    description: str = ""
    duration: Duration = Field(gt=0, description="simulated time, s")
    warmup: Duration = Field(0.0, description="excluded from latency statistics, s")
    traffic: TrafficSpec
    fleet: FleetSpec = FleetSpec()
    release: ReleaseSpec | None = None
    strategy: StrategySpec = Field(default_factory=lambda: {"type": "none"})
    failures: Failures = Failures()
    autoscaling: Autoscaling | None = None
    monitoring: Monitoring = Monitoring()
    slo: SLO = SLO()

    @field_validator("release")
    @classmethod
    def _inherits(cls, release: ReleaseSpec | None, info: ValidationInfo) -> ReleaseSpec | None:
        current = info.data.get("fleet")
        if release is None or current is None:
            return release
        try:
            release.fleet(current)
        except ValidationError as exc:
            problems = [
                ".".join(map(str, e["loc"]))
                + ": " * bool(e["loc"])
                + e["msg"].removeprefix("Value error, ")
                for e in exc.errors(include_url=False)
            ]
            raise ValueError("; ".join(problems)) from None
        if release.version == current.version:
            raise ValueError(
                f"release.version must differ from fleet.version (both {release.version!r})"
            )
        return release

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.warmup >= self.duration:
            raise ValueError(f"warmup ({self.warmup:g} s) must be shorter than duration")
        if self.strategy.type != "none" and self.release is None:
            raise ValueError(f"strategy '{self.strategy.type}' needs a 'release' to roll out")
        self.strategy.check_fleet(self.fleet.instances)
        gate = getattr(self.strategy, "gate", None)
        interval = getattr(gate, "interval", None)
        if interval is not None and interval < self.monitoring.period - 1e-9:
            raise ValueError(
                f"strategy.gate.interval ({interval:g} s) must be at least monitoring.period "
                f"({self.monitoring.period:g} s): a measurement reads whole periods"
            )
        named = getattr(gate, "alarms", None) or []
        unknown = sorted(set(named) - {a.name for a in self.monitoring.alarms})
        if unknown:
            raise ValueError(f"strategy.gate.alarms: no alarm named {', '.join(unknown)} in "
                             "monitoring.alarms")  # fmt: skip
        return self

    @property
    def release_fleet(self) -> FleetSpec | None:
        """The release with inherited fields filled in."""
        return None if self.release is None else self.release.fleet(self.fleet)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (durations in seconds) that load_scenario reads back to an equal Scenario."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        """The scenario as YAML text."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def load_scenario(source: Scenario | dict | str | Path) -> Scenario:
    """A Scenario from a path, YAML text or a dict; a ScenarioError names what is wrong."""
    if isinstance(source, Scenario):
        return source
    where, base_dir = "scenario", Path.cwd()
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))
    ):
        path = Path(source)
        where, base_dir = str(path), path.parent
        try:
            source = path.read_text()
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot read the scenario ({exc.strerror})") from None
    if isinstance(source, str):
        try:
            source = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or exc
            raise ScenarioError(f"{where}: not valid YAML{line}: {problem}") from None
    if not isinstance(source, dict):
        raise ScenarioError(f"{where}: expected a mapping of scenario fields at the top level")
    try:
        return Scenario.model_validate(source, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ScenarioError(_describe(where, exc)) from None


def _describe(where: str, exc: ValidationError) -> str:
    lines = [f"{where} is invalid:"]
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"] if not _is_union_tag(p)) or "(top level)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] not in {"missing", "value_error"} and "input" in err:
            got = repr(err["input"])
            message += f" (got {got[:60]})"
        lines.append(f"  {path}: {message}")
    return "\n".join(lines)


def _is_union_tag(part: Any) -> bool:
    """Pydantic puts the chosen union member's tag in error paths; users never wrote it."""
    return isinstance(part, str) and (part.startswith("function-") or part in UNION_TAGS)


UNION_TAGS = TRAFFIC_PATTERNS | DISTRIBUTIONS | set(STRATEGY_TYPES)
