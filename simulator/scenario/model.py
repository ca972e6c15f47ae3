"""The scenario: one validated description of traffic, fleets, release, strategy and checks.

Everything a run needs is in a `Scenario`; `load_scenario` accepts a path, YAML text
or a dict and turns any mistake into a `ScenarioError` naming the field path and what
was expected. Durations are seconds (numbers or strings such as "10m"). Files and text
are read through `userfiles` (size, encoding, YAML bombs and duplicate keys), and no
message ever quotes more than a few dozen characters of what the user gave.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import ErrorDetails

from simulator import userfiles
from simulator.errors import UserError
from simulator.scenario.base import Duration, Spec
from simulator.scenario.fleet import FleetSpec, ReleaseSpec
from simulator.scenario.gates import GATES
from simulator.scenario.hosting import HOSTING_KINDS, HostingSpec
from simulator.scenario.monitoring import SLO, Monitoring
from simulator.scenario.operations import Autoscaling, Failures
from simulator.scenario.platform import PlatformSpec
from simulator.scenario.process import ProcessSpec
from simulator.scenario.security import SecuritySpec
from simulator.scenario.strategies import STRATEGY_TYPES, StrategySpec
from simulator.scenario.workload import DISTRIBUTIONS, TRAFFIC_PATTERNS, TrafficSpec

MAX_PROBLEMS = 20
"""Problems listed in one ScenarioError: a list of a million bad samples is one mistake."""

MAX_MESSAGE = 300
"""Longest description of one problem, in characters."""


class ScenarioError(UserError):
    """A scenario that cannot be run; the message names every bad field and why."""


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
    hosting: HostingSpec = Field(
        default_factory=lambda: {"kind": "realtime"},
        description="how SageMaker serves the fleet: realtime, batch_transform or async",
    )
    platform: PlatformSpec = Field(
        PlatformSpec(), description="where the fleet runs: prices, start-up, native strategies"
    )
    security: SecuritySpec | None = Field(
        None, description="the security posture, checked and costed; none = not assessed"
    )
    process: ProcessSpec | None = Field(
        None, description="weeks of releases (deploysim process); each plays this scenario"
    )

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
        if self.process is not None and (self.release is None or self.strategy.type == "none"):
            raise ValueError("process: each release plays this scenario, so it needs a "
                             "release: section and a strategy: other than none")  # fmt: skip
        if self.warmup >= self.duration:
            raise ValueError(f"warmup ({self.warmup:g} s) must be shorter than duration")
        if self.strategy.type != "none" and self.release is None:
            raise ValueError(f"strategy '{self.strategy.type}' needs a 'release' to roll out")
        self._check_hosting()
        targets = {"fleet.target": self.fleet.target}
        if self.release_fleet is not None:
            targets["release.target"] = self.release_fleet.target
        for i, variant in enumerate(getattr(self.hosting, "variants", [])):
            targets[f"hosting.variants.{i}.target"] = variant.fleet(self.fleet).target
        self.platform.check(targets, self.strategy.type, self.autoscaling is not None,
                            self.hosting.kind, self.fleet.instances)  # fmt: skip
        fleets = [self.fleet, self.release_fleet]
        if self.platform.name != "sagemaker" and any(f and f.accelerator for f in fleets):
            raise ValueError(f"fleet.accelerator: the catalog prices Elastic Inference on "
                             f"SageMaker only, not on {self.platform.name}")  # fmt: skip
        own = [name for name in ("max_surge", "max_unavailable")
               if getattr(self.strategy, name, None) not in (None, 0.25)]  # not the default 25%
        if self.platform.name != "sagemaker" and self.strategy.type == "rolling" and own:
            raise ValueError(f"strategy.{sorted(own)[0]}: on {self.platform.name} the native "
                             "rolling update's own limits apply: set platform.rolling")  # fmt: skip
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

    def _check_hosting(self) -> None:
        kind = self.hosting.kind
        if kind == "realtime":
            self._check_variants()
            return
        offline = {"release": self.release, "autoscaling": self.autoscaling,
                   "process": self.process,
                   "failures.instance": self.failures.instance}  # fmt: skip
        for field, value in offline.items():
            if value is not None:
                raise ValueError(f"{field}: not modelled for hosting kind '{kind}' (only a "
                                 "realtime endpoint is released, scaled by target tracking, "
                                 "or failed instance by instance)")  # fmt: skip
        if self.failures.zone_outages:
            raise ValueError(f"failures.zone_outages: not modelled for hosting kind '{kind}'")
        if self.strategy.type != "none":
            raise ValueError(f"strategy '{self.strategy.type}': hosting kind '{kind}' plays no "
                             "release; a new model version is a new job or endpoint")  # fmt: skip
        if self.monitoring.alarms:
            raise ValueError(f"monitoring.alarms: not evaluated for hosting kind '{kind}'")

    def _check_variants(self) -> None:
        hosting = self.hosting
        names = [self.fleet.version] + [v.version for v in hosting.variants]
        if len(set(names)) < len(names):
            raise ValueError(f"hosting.variants: a VariantName repeats fleet.version "
                             f"({userfiles.brief(self.fleet.version)})")  # fmt: skip
        if hosting.variants and self.release is not None:
            raise ValueError("hosting.variants: a release replaces one fleet; with several "
                             "production variants, shift traffic with hosting.updates")  # fmt: skip
        for i, variant in enumerate(hosting.variants):
            try:
                variant.fleet(self.fleet)
            except ValidationError as exc:
                problem = exc.errors(include_url=False)[0]
                raise ValueError(f"hosting.variants.{i}.{_field_path(problem['loc'])}: "
                                 f"{_message(problem)}") from None  # fmt: skip
        for i, update in enumerate(hosting.updates):
            for j, desired in enumerate(update.variants):
                if desired.variant not in names:
                    name = userfiles.brief(desired.variant)
                    raise ValueError(f"hosting.updates.{i}.variants.{j}.variant: no production "
                                     f"variant named {name}")  # fmt: skip

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


def with_strategy(sc: Scenario, strategy: str | dict | None) -> Scenario:
    """The scenario with another strategy, or as it is for None.

    The strategy is a type (with its defaults) or a whole spec (its `type` and settings).
    """
    if strategy is None or strategy == sc.strategy.type:
        return sc
    data = sc.to_dict()
    data["strategy"] = {"type": strategy} if isinstance(strategy, str) else dict(strategy)
    return load_scenario(data)


def _describe(where: str, exc: ValidationError) -> str:
    """One line per problem: its field path, what was expected, and a glimpse of the input."""
    lines = [f"{where} is invalid:"]
    for err in exc.errors(include_url=False)[:MAX_PROBLEMS]:
        message, path = _message(err), _field_path(err["loc"])
        if err["type"] in TAGS:  # the problem is the tag, not the whole mapping
            path = f"{path}.{err.get('ctx', {}).get('discriminator', '').strip(chr(39))}"
        elif err["type"] not in {"missing", "value_error"} and "input" in err:
            message += f" (got {userfiles.brief(err['input'])})"
        lines.append(f"  {path}: {message}")
    if exc.error_count() > MAX_PROBLEMS:
        lines.append(f"  (and {exc.error_count() - MAX_PROBLEMS:,} more problems)")
    return "\n".join(lines)


TAGS = {"union_tag_invalid", "union_tag_not_found"}
"""Pydantic's errors about the tag that picks a union's member (`type`, `pattern`, ...)."""


def _message(err: ErrorDetails) -> str:
    """Pydantic's words for one problem, cut; a union's tag in plain words, with did-you-mean."""
    ctx = err.get("ctx", {})
    name = str(ctx.get("discriminator", "")).strip("'")
    expected = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]
    if not expected and err["loc"]:  # pydantic names no tags when the tag is missing
        expected = sorted(UNIONS.get(str(err["loc"][-1]), ()))
    if err["type"] == "union_tag_not_found":
        return f"missing: say which {name} it is, one of {', '.join(expected) or '(none)'}"
    if err["type"] == "union_tag_invalid":
        tag = str(ctx.get("tag"))
        close = difflib.get_close_matches(tag, expected, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return (f"unknown {name} {userfiles.brief(tag)}{hint}; "
                f"expected one of {', '.join(expected)}")  # fmt: skip
    message = err["msg"].removeprefix("Value error, ")
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


UNIONS = {"traffic": TRAFFIC_PATTERNS, "service_time": DISTRIBUTIONS,
          "strategy": set(STRATEGY_TYPES), "gate": set(GATES),
          "hosting": set(HOSTING_KINDS)}  # fmt: skip
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
