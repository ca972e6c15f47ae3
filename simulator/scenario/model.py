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
from typing import Any

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import ErrorDetails

from simulator import userfiles
from simulator.errors import UserError
from simulator.scenario.base import Duration, Spec
from simulator.scenario.fleet import FleetSpec, ReleaseSpec
from simulator.scenario.gates import GATES
from simulator.scenario.monitoring import SLO, Monitoring
from simulator.scenario.operations import Autoscaling, Failures
from simulator.scenario.process import ProcessSpec
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


def with_strategy(sc: Scenario, strategy: str | None) -> Scenario:
    """The scenario with another strategy type (its defaults), or as it is for None."""
    if strategy is None or strategy == sc.strategy.type:
        return sc
    data = sc.to_dict()
    data["strategy"] = {"type": strategy}
    return load_scenario(data)


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
