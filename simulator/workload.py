"""Scenario schema for what the system is asked to do: traffic shapes and service times.

Each spec is a tagged variant (`pattern:` for traffic, `distribution:` for service
time) that validates its parameters and builds the numpy sampler that does the work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from . import distributions as dist
from . import traces, traffic
from .specbase import Duration, Spec

# ---------------------------------------------------------------- service time


class Exponential(Spec):
    """Memoryless service (the M in M/M/c)."""

    distribution: Literal["exponential"]
    mean: Duration = Field(gt=0, description="mean service time, s")

    def build(self) -> dist.ServiceTime:
        """The sampler."""
        return dist.Exponential(self.mean)


class Deterministic(Spec):
    """Constant service (the D in M/D/1)."""

    distribution: Literal["deterministic"]
    value: Duration = Field(gt=0, description="service time, s")

    def build(self) -> dist.ServiceTime:
        """The sampler."""
        return dist.Deterministic(self.value)


class LogNormal(Spec):
    """Right-skewed latency, fitted from two of: mean, p50, p99, sigma."""

    distribution: Literal["lognormal"]
    mean: Duration | None = Field(None, gt=0)
    p50: Duration | None = Field(None, gt=0)
    p99: Duration | None = Field(None, gt=0)
    sigma: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _two_of(self) -> LogNormal:
        self.build()
        return self

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


class Gamma(Spec):
    """Service with a chosen variability (cv < 1 steadier than exponential)."""

    distribution: Literal["gamma"]
    mean: Duration = Field(gt=0)
    cv: float = Field(gt=0, description="coefficient of variation (1 = exponential)")

    def build(self) -> dist.ServiceTime:
        """The sampler."""
        return dist.Gamma(self.mean, self.cv)


class Empirical(Spec):
    """Measured latencies, resampled with replacement."""

    distribution: Literal["empirical"]
    samples: list[Duration] = Field(min_length=1, description="observed service times, s")

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


class _TrafficBase(Spec):
    users: int = Field(100_000, ge=1, description="distinct users (sticky A/B, phased segments)")


class Poisson(_TrafficBase):
    """Independent arrivals at a constant rate."""

    pattern: Literal["poisson"]
    rate: float = Field(gt=0, description="requests per second")

    def build(self, rng: np.random.Generator) -> traffic.ArrivalProcess:
        """The arrival process."""
        return traffic.Poisson(self.rate, rng)


class Diurnal(_TrafficBase):
    """A daily cycle: rate x (1 + amplitude x cos(2 pi (t - peak_at) / period))."""

    pattern: Literal["diurnal"]
    rate: float = Field(gt=0, description="mean requests per second over a period")
    amplitude: float = Field(0.5, ge=0, le=1, description="swing as a share of the mean rate")
    period: Duration = Field(86400.0, gt=0)
    peak_at: Duration = Field(14 * 3600.0, description="time of the peak within the period")

    def build(self, rng: np.random.Generator) -> traffic.ArrivalProcess:
        """The arrival process."""
        return traffic.Diurnal(self.rate, self.amplitude, self.period, self.peak_at, rng)


class Burst(Spec):
    """A flash crowd: the rate multiplied for a while."""

    at: Duration
    duration: Duration = Field(gt=0)
    multiplier: float = Field(gt=0)


class MMPPSpec(Spec):
    """Two-state Markov-modulated Poisson: quiet at `rate`, bursts at `high_rate`."""

    high_rate: float = Field(gt=0, description="requests per second in the burst state")
    mean_low: Duration = Field(gt=0, description="mean time in the quiet state, s")
    mean_high: Duration = Field(gt=0, description="mean time in the burst state, s")


class Bursty(_TrafficBase):
    """Bursty traffic: flash crowds on a schedule, Gamma gaps (cv > 1), or a two-state MMPP."""

    pattern: Literal["bursty"]
    rate: float = Field(gt=0, description="base requests per second")
    bursts: list[Burst] = []
    every: Duration | None = Field(None, gt=0, description="repeat the burst schedule")
    cv: float | None = Field(None, gt=0, description="Gamma inter-arrival coefficient of variation")
    mmpp: MMPPSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Bursty:
        kinds = [bool(self.bursts), self.cv is not None, self.mmpp is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of 'bursts', 'cv' or 'mmpp'")
        return self

    def build(self, rng: np.random.Generator) -> traffic.ArrivalProcess:
        """The arrival process."""
        if self.cv is not None:
            return traffic.GammaRenewal(self.rate, self.cv, rng)
        if self.mmpp is not None:
            m = self.mmpp
            return traffic.MMPP2(self.rate, m.high_rate, m.mean_low, m.mean_high, rng)
        bursts = [(b.at, b.duration, b.multiplier) for b in self.bursts]
        return traffic.Bursty(self.rate, bursts, rng, every=self.every)


class Trace(_TrafficBase):
    """Replay of a CSV: arrival timestamps, or counts per minute (Azure Functions style)."""

    pattern: Literal["trace"]
    path: str = Field(description="CSV file, relative to the scenario file")
    kind: Literal["timestamps", "counts"] = "timestamps"
    column: str | None = Field(None, description="column to read; default the first")

    @field_validator("path")
    @classmethod
    def _exists(cls, path: str, info: ValidationInfo) -> str:
        base = Path((info.context or {}).get("base_dir", "."))
        full = (base / path).resolve()
        if not full.is_file():
            raise ValueError(f"trace file not found: {full}")
        return str(full)

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
