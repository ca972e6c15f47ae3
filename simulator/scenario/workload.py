"""Scenario schema for what the system is asked to do: traffic shapes and service times.

Each spec is a tagged variant (`pattern:` for traffic, `distribution:` for service
time) that validates its parameters and builds the numpy sampler that does the work.
A spec that validates builds: parameters whose moments or rates the arithmetic cannot
hold are refused here, with the reason, rather than failing (or going NaN) mid-run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from simulator.limits import MAX_RATE, MAX_SECONDS
from simulator.sampling import bursts as burst_processes
from simulator.sampling import distributions as dist
from simulator.sampling import traces, traffic
from simulator.scenario.base import Duration, Spec

MIN_CV, MAX_CV = 1e-6, 100.0
"""Range of a Gamma's coefficient of variation (service times or gaps between arrivals).
Its shape is 1/cv^2: at cv 100 (shape 1e-4) 93% of draws already underflow to exactly 0 s
and the mean rests on about one draw in 10^4, so no run of feasible length measures it;
below cv 1e-6 the Gamma is a constant (use `deterministic`) and 1/cv^2 soon overflows."""

MAX_SAMPLES = 1_000_000
"""Most measured latencies in an empirical distribution (what a scenario file can hold)."""

MIN_RATE = 1 / MAX_SECONDS
"""Fewest requests per second: a mean gap longer than the longest run is no traffic."""

# ---------------------------------------------------------------- service time


class _ServiceTime(Spec):
    """What every service-time spec shares: it builds, and its mean fits the clock."""

    @model_validator(mode="after")
    def _fits(self) -> _ServiceTime:
        sampler = self.build()  # a ValueError names the parameters that overflow
        if sampler.mean > MAX_SECONDS:
            raise ValueError(f"the mean service time, {sampler.mean:.4g} s, is longer than "
                             f"the longest run ({MAX_SECONDS:g} s)")  # fmt: skip
        return self

    def build(self) -> dist.ServiceTime:
        """The sampler."""
        raise NotImplementedError


class Exponential(_ServiceTime):
    """Memoryless service (the M in M/M/c)."""

    distribution: Literal["exponential"]
    mean: Duration = Field(gt=0, description="mean service time, s")

    def build(self) -> dist.ServiceTime:
        """The sampler."""
        return dist.Exponential(self.mean)


class Deterministic(_ServiceTime):
    """Constant service (the D in M/D/1)."""

    distribution: Literal["deterministic"]
    value: Duration = Field(gt=0, description="service time, s")

    def build(self) -> dist.ServiceTime:
        """The sampler."""
        return dist.Deterministic(self.value)


class LogNormal(_ServiceTime):
    """Right-skewed latency, fitted from two of: mean, p50, p99, sigma."""

    distribution: Literal["lognormal"]
    mean: Duration | None = Field(None, gt=0)
    p50: Duration | None = Field(None, gt=0)
    p99: Duration | None = Field(None, gt=0)
    sigma: float | None = Field(None, gt=0, description="log-space standard deviation")

    def build(self) -> dist.ServiceTime:
        """The sampler, fitted from whichever pair was given."""
        given = [self.mean, self.p50, self.p99, self.sigma]
        if sum(v is not None for v in given) != 2:
            raise ValueError(
                "give exactly two of: p50 and p99, mean and p99, mean and sigma, p50 and sigma"
            )
        if self.p50 is not None and self.p99 is not None and self.mean is None:
            return dist.LogNormal.from_p50_p99(self.p50, self.p99)
        if self.mean is not None and self.p99 is not None and self.p50 is None:
            return dist.LogNormal.from_mean_p99(self.mean, self.p99)
        if self.mean is not None and self.sigma is not None and self.p99 is None:
            return dist.LogNormal.from_mean_sigma(self.mean, self.sigma)
        if self.p50 is not None and self.sigma is not None and self.p99 is None:
            return dist.LogNormal(float(np.log(self.p50)), self.sigma)
        raise ValueError(
            "give exactly two of: p50 and p99, mean and p99, mean and sigma, p50 and sigma"
        )


class Gamma(_ServiceTime):
    """Service with a chosen variability (cv < 1 steadier than exponential)."""

    distribution: Literal["gamma"]
    mean: Duration = Field(gt=0)
    cv: float = Field(
        ge=MIN_CV, le=MAX_CV, description="coefficient of variation (1 = exponential), 1e-6 to 100"
    )

    def build(self) -> dist.ServiceTime:
        """The sampler."""
        return dist.Gamma(self.mean, self.cv)


class Empirical(_ServiceTime):
    """Measured latencies, resampled with replacement."""

    distribution: Literal["empirical"]
    samples: list[Duration] = Field(
        min_length=1, max_length=MAX_SAMPLES, description="observed service times, s"
    )

    @field_validator("samples")
    @classmethod
    def _positive(cls, samples: list[float]) -> list[float]:
        if min(samples) <= 0:
            raise ValueError("every sample must be greater than 0")
        return samples

    def build(self) -> dist.ServiceTime:
        """The sampler."""
        return dist.Empirical(np.asarray(self.samples))


ServiceTimeSpec = Annotated[
    Exponential | Deterministic | LogNormal | Gamma | Empirical, Field(discriminator="distribution")
]
DISTRIBUTIONS = {"exponential", "deterministic", "lognormal", "gamma", "empirical"}

# ---------------------------------------------------------------- traffic


MAX_USERS = 10_000_000_000
"""More distinct users than people on Earth; user ids are int64 (the run budget bounds the
byte per user the recorder keeps)."""


class _TrafficBase(Spec):
    users: int = Field(
        100_000, ge=1, le=MAX_USERS, description="distinct users (sticky A/B, phased segments)"
    )


def _rate(description: str) -> Any:
    """A rate field: between one request per longest run and one per microsecond."""
    return Field(ge=MIN_RATE, le=MAX_RATE, description=f"{description}, 1e-9 to 1e6")


class Poisson(_TrafficBase):
    """Independent arrivals at a constant rate."""

    pattern: Literal["poisson"]
    rate: float = _rate("requests per second")

    def build(self, rng: np.random.Generator) -> traffic.ArrivalProcess:
        """The arrival process."""
        return traffic.Poisson(self.rate, rng)


class Diurnal(_TrafficBase):
    """A daily cycle: rate x (1 + amplitude x cos(2 pi (t - peak_at) / period))."""

    pattern: Literal["diurnal"]
    rate: float = _rate("mean requests per second over a period")
    amplitude: float = Field(0.5, ge=0, le=1, description="swing as a share of the mean rate")
    period: Duration = Field(86400.0, gt=0)
    peak_at: Duration = Field(14 * 3600.0, description="time of the peak within the period")

    @model_validator(mode="after")
    def _peak(self) -> Diurnal:
        if self.rate * (1 + self.amplitude) > MAX_RATE:
            raise ValueError(f"the peak, rate x (1 + amplitude), must be at most {MAX_RATE:,.0f} "
                             "requests per second")  # fmt: skip
        return self

    def build(self, rng: np.random.Generator) -> traffic.ArrivalProcess:
        """The arrival process."""
        return traffic.Diurnal(self.rate, self.amplitude, self.period, self.peak_at, rng)


class Burst(Spec):
    """A flash crowd: the rate multiplied for a while."""

    at: Duration
    duration: Duration = Field(gt=0)
    multiplier: float = Field(gt=0, description="the rate during the burst over the base rate")


class MMPPSpec(Spec):
    """Two-state Markov-modulated Poisson: quiet at `rate`, bursts at `high_rate`."""

    high_rate: float = _rate("requests per second in the burst state")
    mean_low: Duration = Field(gt=0, description="mean time in the quiet state, s")
    mean_high: Duration = Field(gt=0, description="mean time in the burst state, s")


class Bursty(_TrafficBase):
    """Bursty traffic: flash crowds on a schedule, Gamma gaps (cv > 1), or a two-state MMPP."""

    pattern: Literal["bursty"]
    rate: float = _rate("base requests per second")
    bursts: list[Burst] = Field([], max_length=100, description="flash crowds, at most 100")
    every: Duration | None = Field(None, gt=0, description="repeat the burst schedule")
    cv: float | None = Field(
        None, ge=MIN_CV, le=MAX_CV, description="Gamma inter-arrival coefficient of variation"
    )
    mmpp: MMPPSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Bursty:
        kinds = [bool(self.bursts), self.cv is not None, self.mmpp is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of 'bursts', 'cv' or 'mmpp'")
        # the arrival process's own peak (built, never drawn from): bursts may overlap,
        # and a product beyond float64 is simply too high
        with np.errstate(over="ignore"):
            peak = self.build(np.random.default_rng(0)).peak_rate if self.bursts else self.rate
        if peak > MAX_RATE:
            raise ValueError(f"overlapping bursts multiply: the rate times the highest product "
                             f"must be at most {MAX_RATE:,.0f} requests per second")  # fmt: skip
        return self

    def build(self, rng: np.random.Generator) -> traffic.ArrivalProcess:
        """The arrival process."""
        if self.cv is not None:
            return burst_processes.GammaRenewal(self.rate, self.cv, rng)
        if self.mmpp is not None:
            m = self.mmpp
            return burst_processes.MMPP2(self.rate, m.high_rate, m.mean_low, m.mean_high, rng)
        bursts = [(b.at, b.duration, b.multiplier) for b in self.bursts]
        return burst_processes.Bursty(self.rate, bursts, rng, every=self.every)


class Trace(_TrafficBase):
    """Replay of a CSV: arrival timestamps, or counts per minute (Azure Functions style)."""

    pattern: Literal["trace"]
    path: str = Field(description="a .csv file, relative to the scenario file")
    kind: Literal["timestamps", "counts"] = "timestamps"
    column: str | None = Field(None, description="column to read; default the first")

    @field_validator("path")
    @classmethod
    def _allowed(cls, path: str, info: ValidationInfo) -> str:
        """The absolute path, if the file is a .csv where traces may be read from.

        `trace_dirs` in the validation context (from `load_scenario`) lists the only
        folders a trace may be read from; None allows any.
        """
        context = info.context or {}
        base = Path(context.get("base_dir", "."))
        return str(traces.locate(path, base, context.get("trace_dirs")))

    @model_validator(mode="after")
    def _readable(self) -> Trace:
        traces.load_trace(self.path, self.kind, self.column)
        return self

    def build(self, rng: np.random.Generator) -> traffic.ArrivalProcess:
        """The arrival process."""
        data = traces.load_trace(self.path, self.kind, self.column)
        if self.kind == "timestamps":
            return traces.TraceTimestamps(data)
        return traces.TraceCounts(data, 60.0, rng)


TrafficSpec = Annotated[Poisson | Diurnal | Bursty | Trace, Field(discriminator="pattern")]
TRAFFIC_PATTERNS = {"poisson", "diurnal", "bursty", "trace"}
