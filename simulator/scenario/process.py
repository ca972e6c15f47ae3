"""The `process` section: weeks of changes merged, tested, delivered and released.

A working calendar (days, hours, time zone) paces the team; changes arrive as a Poisson
stream in working time, each with a size in lines and a chance of a defect that grows
with its size; the CI pipeline runs stages on a shared pool of runners, each stage
taking a drawn time, failing now and then for no reason (retried), and catching a
defect with some probability (the change goes back to its author, who fixes it in
working time and merges it again). A delivery mode says when passed changes go out;
each release plays the rest of the scenario (`simulator/process/` runs it all).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from simulator.scenario.base import Duration, Spec
from simulator.scenario.fleet import MAX_LATENCY_FACTOR
from simulator.scenario.workload import ServiceTimeSpec
from simulator.userfiles import brief

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")
MAX_CHANGES_PER_DAY = 10_000
"""More merges a working day than any team makes: a larger figure is a slip."""


def clock_minutes(clock: str) -> int:
    """Minutes after midnight of 'HH:MM' (24:00 is the day's end)."""
    match = _CLOCK.match(clock)
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(f"expected a time of day such as '09:00' or '17:30', got {brief(clock)}")
    return int(match.group(1)) * 60 + int(match.group(2))


class CalendarSpec(Spec):
    """When the team works: local days and hours in a time zone (daylight saving included)."""

    timezone: str = Field("UTC", description="IANA time zone, e.g. Europe/Paris")
    start: dt.date = Field(dt.date(2026, 1, 5), description="local date at time 0 (midnight)")
    days: list[Literal[DAYS]] = Field(  # type: ignore[valid-type]
        ["mon", "tue", "wed", "thu", "fri"], min_length=1, description="working days"
    )
    hours: tuple[str, str] = Field(("09:00", "17:00"), description="working hours, local")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {brief(zone)}; expected e.g. 'Europe/Paris'"
            ) from None
        return zone

    @field_validator("days")
    @classmethod
    def _once_each(cls, days: list[str]) -> list[str]:
        if len(set(days)) != len(days):
            raise ValueError("each working day may be listed once")
        return days

    @field_validator("hours")
    @classmethod
    def _ordered(cls, hours: tuple[str, str]) -> tuple[str, str]:
        if clock_minutes(hours[0]) >= clock_minutes(hours[1]):
            raise ValueError(f"working hours must end after they start, got "
                             f"{brief(hours[0])}-{brief(hours[1])}")  # fmt: skip
        return hours


class BetaShare(Spec):
    """A share drawn for each defect from a Beta distribution of the given mean and spread."""

    distribution: Literal["beta"]
    mean: float = Field(gt=0, lt=1, description="mean share")
    sd: float = Field(gt=0, description="standard deviation (below sqrt(mean (1 - mean)))")

    @model_validator(mode="after")
    def _possible(self) -> BetaShare:
        if self.sd**2 >= self.mean * (1 - self.mean):
            raise ValueError(f"a share of mean {self.mean:g} has a standard deviation below "
                             f"{(self.mean * (1 - self.mean)) ** 0.5:.3g}")  # fmt: skip
        return self

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """N draws: Beta(a, b) with a + b = mean (1 - mean) / sd^2 - 1."""
        total = self.mean * (1 - self.mean) / self.sd**2 - 1
        return rng.beta(self.mean * total, (1 - self.mean) * total, n)


class Severity(Spec):
    """What one defect does to the release carrying it; defects in one release compound."""

    error_rate: float | BetaShare = Field(
        0.02, description="share of requests it fails: a number, or {distribution: beta, ...}"
    )
    latency_factor: float | ServiceTimeSpec = Field(
        1.0, description="how much slower it serves: a number (1 or more), or any "
        "service-time distribution drawn per defect and read as a factor (below 1 is 1)"
    )

    @field_validator("latency_factor")
    @classmethod
    def _factor(cls, value):
        if isinstance(value, float) and not 1 <= value <= MAX_LATENCY_FACTOR:
            raise ValueError(f"a latency factor is between 1 and {MAX_LATENCY_FACTOR:g}, "
                             f"got {value:g}")  # fmt: skip
        return value

    @field_validator("error_rate")
    @classmethod
    def _share(cls, value: float | BetaShare) -> float | BetaShare:
        if isinstance(value, float) and not 0 <= value <= 1:
            raise ValueError(f"an error rate is a share between 0 and 1, got {value:g}")
        return value

    def error_rates(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Each of n defects' error rate."""
        if isinstance(self.error_rate, BetaShare):
            return self.error_rate.draw(rng, n)
        return np.full(n, float(self.error_rate))

    def latency_factors(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Each of n defects' latency factor, within [1, MAX_LATENCY_FACTOR]."""
        if isinstance(self.latency_factor, float):
            return np.full(n, self.latency_factor)
        return np.clip(self.latency_factor.build().sample(rng, n), 1.0, MAX_LATENCY_FACTOR)


class ChangesSpec(Spec):
    """Merged changes: a Poisson stream in working time, each with a size and maybe a defect."""

    rate: float = Field(gt=0, le=MAX_CHANGES_PER_DAY, description="changes merged per working day")
    size: ServiceTimeSpec = Field(
        default_factory=lambda: {"distribution": "lognormal", "p50": 50, "sigma": 1.0},
        description="lines changed (any service-time distribution, read as lines)",
    )
    defect_per_100_lines: float = Field(
        0.02, ge=0, le=1, description="chance that 100 lines carry a defect"
    )
    severity: Severity = Field(Severity(), description="what each defect does")


class StageSpec(Spec):
    """One CI stage: how long it takes, how often it fails for nothing, what it catches."""

    name: str = Field(min_length=1, max_length=60, description="label, unique in the pipeline")
    duration: ServiceTimeSpec = Field(description="time one run takes, s")
    catches: float = Field(0.0, ge=0, le=1, description="chance of catching a defect present")
    flaky: float = Field(0.0, ge=0, lt=1, description="chance a run fails for nothing (retried)")


class PipelineSpec(Spec):
    """Continuous integration: stages run in order on one runner of a shared pool."""

    runners: int = Field(4, ge=1, le=10_000, description="CI runners shared by every change")
    stages: list[StageSpec] = Field(min_length=1, max_length=50, description="in order")
    fix_delay: Duration = Field(
        4 * 3600.0, description="working time to fix a change CI caught, s"
    )
    runner_price_per_hour: float = Field(
        0.0, ge=0, le=1000, description="USD per hour a runner is busy (0: not counted)"
    )

    @model_validator(mode="after")
    def _distinct(self) -> PipelineSpec:
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError("stage names must differ")
        return self


class Train(Spec):
    """Scheduled release trains: every `every`, from `first`, all changes that passed CI."""

    mode: Literal["train"]
    every: Duration = Field(gt=0, description="time between trains, s")
    first: Duration = Field(0.0, description="time of the first train, s")


class ContinuousDelivery(Spec):
    """A person approves each release, a working-time delay after the first change is ready.

    Changes passing CI while it waits join the release.
    """

    mode: Literal["continuous_delivery"]
    approval: ServiceTimeSpec = Field(
        default_factory=lambda: {"distribution": "exponential", "mean": 7200},
        description="working time from a change ready to the release approved, s",
    )


class ContinuousDeployment(Spec):
    """Every change that passes CI is released at once.

    Changes passing during a release go out together in the next.
    """

    mode: Literal["continuous_deployment"]


DeliverySpec = Annotated[
    Train | ContinuousDelivery | ContinuousDeployment, Field(discriminator="mode")
]


class IncidentSpec(Spec):
    """A defect the release gate let through hurts users until detected and restored.

    The scenario's alarms keep watching after a release is promoted, for the rest of the
    release's run (`duration`): one that fires detects the incident then. Otherwise users
    report it `detected_after` the promotion. Restoring is a rollback to the version
    before (which also reverts any release promoted since), or a fix forward: the
    defective changes go back to their authors and CI, and the incident lasts until the
    release carrying their fixes is promoted.
    """

    detected_after: Duration = Field(
        3600.0, description="from full traffic until users report it, s"
    )
    by_alarms: bool = Field(
        True, description="the scenario's alarms detect an incident when one fires after "
        "promotion, within the release's run"
    )
    restore: Literal["rollback", "fix_forward"] = Field(
        "rollback", description="how an incident ends: roll back, or fix forward through CI"
    )
    rollback: Duration = Field(
        600.0, description="from detection to the previous version serving again, s"
    )


class ReviewSpec(Spec):
    """When a release is looked into again, and where its evidence is kept.

    CloudWatch coarsens metrics as they age and CloudTrail's event history keeps 90 days
    (docs/reference/monitoring-retention.md): the releases table says what is left.
    """

    after: Duration = Field(30 * 86400.0, description="from a release's start to its review, s")
    trail_to_s3: bool = Field(
        False, description="a CloudTrail trail delivers events to S3 (kept past 90 days)"
    )


class ProcessSpec(Spec):
    """Weeks of changes flowing into production."""

    horizon: Duration = Field(gt=0, description="simulated time, s")
    calendar: CalendarSpec = Field(CalendarSpec(), description="when the team works")
    changes: ChangesSpec = Field(description="what the team merges")
    pipeline: PipelineSpec = Field(description="continuous integration")
    delivery: DeliverySpec = Field(
        default_factory=lambda: {"mode": "continuous_deployment"},
        description="when passed changes go out",
    )
    incidents: IncidentSpec = Field(
        IncidentSpec(), description="defects that escape the release gate"
    )
    review: ReviewSpec = Field(
        ReviewSpec(), description="what monitoring keeps of a release for a later review"
    )
