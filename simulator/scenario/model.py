"""The scenario: one validated description of traffic, fleets, release, strategy and checks.

Everything a run needs is in a `Scenario`; `load_scenario` accepts a path, YAML text
or a dict and turns any mistake into a `ScenarioError` naming the field path and what
was expected. Durations are seconds (numbers or strings such as "10m"). Files and text
are read through `userfiles` (size, encoding, YAML bombs and duplicate keys), and no
message ever quotes more than a few dozen characters of what the user gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import ErrorDetails

from simulator import catalog, userfiles
from simulator.errors import UserError
from simulator.release.gates import GATES
from simulator.release.strategies import STRATEGY_TYPES, StrategySpec
from simulator.scenario.base import MAX_INSTANCES, Duration, Spec
from simulator.scenario.thresholds import AlarmMetric, threshold_validator
from simulator.scenario.workload import (
    DISTRIBUTIONS,
    TRAFFIC_PATTERNS,
    ServiceTimeSpec,
    TrafficSpec,
)

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

MAX_PROBLEMS = 20
"""Problems listed in one ScenarioError: a list of a million bad samples is one mistake."""

MAX_MESSAGE = 300
"""Longest description of one problem, in characters."""


class ScenarioError(UserError):
    """A scenario that cannot be run; the message names every bad field and why."""


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
                (f"{_field_path(e['loc'])}: " if e["loc"] else "") + _message(e)
                for e in exc.errors(include_url=False)[:MAX_PROBLEMS]
            ]
            raise ValueError("; ".join(problems)) from None
        if release.version == current.version:
            raise ValueError(
                f"release.version must differ from fleet.version (both "
                f"{userfiles.brief(release.version)})"
            )
        return release

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.warmup >= self.duration:
            raise ValueError(f"warmup ({self.warmup:g} s) must be shorter than duration")
        if self.strategy.type != "none" and self.release is None:
            raise ValueError(f"strategy '{self.strategy.type}' needs a 'release' to roll out")
        self.strategy.check_fleet(self.fleet.instances)
        self.strategy.check_period(self.monitoring.period)
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


def load_scenario(
    source: Scenario | dict | str | Path, trace_dirs: Sequence[str | Path] | None = None
) -> Scenario:
    """A Scenario from a path, YAML text or a dict; a ScenarioError names what is wrong.

    `trace_dirs` lists the only folders a traffic trace may be read from (after `..` and
    symbolic links are resolved); None, for the CLI on the user's own machine, allows any.
    A scenario from someone else (an upload, pasted text) must be loaded with them.
    """
    if isinstance(source, Scenario):
        if trace_dirs is None:
            return source
        source = source.to_dict()  # built elsewhere: its trace is checked here again
    where, base_dir = "scenario", Path.cwd()
    try:
        if isinstance(source, Path) or (
            isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))
        ):
            path = Path(source)
            where, base_dir = str(path), path.parent
            source = userfiles.read_text(path, "scenario")
        if isinstance(source, str):
            source = userfiles.load_yaml(source, where)
    except userfiles.InputError as exc:
        raise ScenarioError(str(exc)) from None
    if not isinstance(source, dict):
        raise ScenarioError(f"{where}: expected a mapping of scenario fields at the top level")
    context = {"base_dir": base_dir, "trace_dirs": trace_dirs}
    try:
        return Scenario.model_validate(source, context=context)
    except ValidationError as exc:
        raise ScenarioError(_describe(where, exc)) from None


def _describe(where: str, exc: ValidationError) -> str:
    """One line per problem: its field path, what was expected, and a glimpse of the input."""
    lines = [f"{where} is invalid:"]
    for err in exc.errors(include_url=False)[:MAX_PROBLEMS]:
        message = _message(err)
        if err["type"] not in {"missing", "value_error"} and "input" in err:
            message += f" (got {userfiles.brief(err['input'])})"
        lines.append(f"  {_field_path(err['loc'])}: {message}")
    if exc.error_count() > MAX_PROBLEMS:
        lines.append(f"  (and {exc.error_count() - MAX_PROBLEMS:,} more problems)")
    return "\n".join(lines)


def _message(err: ErrorDetails) -> str:
    """Pydantic's words for one problem, cut; a wrong union tag is shown briefly, not whole."""
    if err["type"] == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return (f"unknown {ctx.get('discriminator')} {userfiles.brief(ctx.get('tag'))}; "
                f"expected one of {ctx.get('expected_tags')}")  # fmt: skip
    message = err["msg"].removeprefix("Value error, ")
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


UNIONS = {"traffic": TRAFFIC_PATTERNS, "service_time": DISTRIBUTIONS,
          "strategy": set(STRATEGY_TYPES), "gate": set(GATES)}  # fmt: skip
"""The tags of each tagged union, by the field that holds it."""


def _field_path(loc: tuple[int | str, ...]) -> str:
    """The field path as the user wrote it.

    Pydantic puts the chosen member's tag right after a union field (`strategy.canary.steps`)
    and names validator functions in paths; users wrote neither.
    """
    kept = [
        str(part) for i, part in enumerate(loc)
        if not (isinstance(part, str) and part.startswith("function-"))
        and not (i > 0 and part in UNIONS.get(str(loc[i - 1]), ()))
    ]  # fmt: skip
    return ".".join(kept) or "(top level)"
