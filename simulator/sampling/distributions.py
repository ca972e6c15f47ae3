"""Service-time distributions: how long one request holds a worker, in seconds.

Each distribution knows its mean and second moment in closed form, because queueing
theory (Pollaczek-Khinchine, Kingman) needs E[S] and E[S^2], and samples a whole span
of requests in one vectorised call from a `numpy.random.Generator` it is handed.
"""

from __future__ import annotations

import abc
import math
import operator
from collections.abc import Sequence

import numpy as np
from scipy.special import gammaincinv, ndtri

from simulator.sampling.arguments import number

Z99 = float(ndtri(0.99))
"""The standard normal 0.99 quantile, used to fit log-normals to a p99."""

_MC_SAMPLES = 1 << 20
_MC_SEED = 20240101
_LOG_MAX = math.log(np.finfo(np.float64).max)
"""ln of the largest float64 (709.78): log-normal moments are checked against it in log space."""


def _moments(owner: str, mean: float, second_moment: float) -> tuple[float, float]:
    """E[S] and E[S^2], refused when the parameters overflow float64 (theory needs both)."""
    if not (math.isfinite(mean) and math.isfinite(second_moment)):
        raise ValueError(
            f"{owner}: the parameters overflow float64 (E[S] = {mean:.4g} s, "
            f"E[S^2] = {second_moment:.4g} s^2); use smaller ones"
        )
    return mean, second_moment


class ServiceTime(abc.ABC):
    """A service-time distribution in seconds, with E[S] and E[S^2] known exactly.

    Every constructor refuses parameters whose mean or second moment overflow float64,
    so a sampler that exists has finite moments and finite draws.
    """

    mean: float
    second_moment: float

    @property
    def variance(self) -> float:
        """Var[S] = E[S^2] - E[S]^2, in s^2."""
        return max(self.second_moment - self.mean**2, 0.0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw `n` independent service times (float64 seconds, shape (n,))."""
        n = operator.index(n)
        if n < 0:
            raise ValueError(f"{type(self).__name__}.sample: n must be >= 0, got {n}")
        return np.asarray(self._sample(rng, n), dtype=np.float64).reshape(n)

    def quantile(self, q: float) -> float:
        """Return the q-quantile in seconds (q in [0, 1]), exact unless the class says otherwise."""
        qf = number(f"{type(self).__name__}.quantile", "q", q, "non-negative")
        if qf > 1.0:
            raise ValueError(f"{type(self).__name__}.quantile: q must be in [0, 1], got {q!r}")
        return float(self._quantile(qf))

    @abc.abstractmethod
    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray: ...

    @abc.abstractmethod
    def _quantile(self, q: float) -> float: ...

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._args().items())
        return f"{type(self).__name__}({args})"

    def _args(self) -> dict[str, object]:
        return {"mean": self.mean}


class Exponential(ServiceTime):
    """Memoryless service: the M in M/M/c, E[S^2] = 2 mean^2."""

    def __init__(self, mean: float):
        m = number("Exponential", "mean", mean)
        self.mean, self.second_moment = _moments("Exponential", m, 2.0 * m * m)

    def _sample(self, rng, n):
        return rng.exponential(self.mean, n)

    def _quantile(self, q):
        return -self.mean * math.log1p(-q) if q < 1 else math.inf


class Deterministic(ServiceTime):
    """Constant service: the D in M/D/1, zero variance."""

    def __init__(self, value: float):
        v = self.value = number("Deterministic", "value", value)
        self.mean, self.second_moment = _moments("Deterministic", v, v * v)

    def _sample(self, rng, n):
        return np.full(n, self.value)

    def _quantile(self, q):
        return self.value

    def _args(self):
        return {"value": self.value}


class LogNormal(ServiceTime):
    """Right-skewed latency: log S ~ Normal(mu, sigma^2), so p50 = exp(mu).

    The moments are exp(mu + sigma^2/2) and exp(2 mu + 2 sigma^2), checked in log space
    before they are taken: with p50 = 1 s, a sigma above 18.8 overflows E[S^2]. With E[S^2]
    finite every draw is too (mu + 9 sigma stays below ln of the largest float).
    """

    def __init__(self, mu: float, sigma: float):
        self.mu = number("LogNormal", "mu (log seconds)", mu, "finite")
        self.sigma = number("LogNormal", "sigma", sigma)
        log_mean = self.mu + self.sigma * self.sigma / 2
        log_second = 2 * log_mean + self.sigma * self.sigma
        if not log_second < _LOG_MAX:
            raise ValueError(
                f"LogNormal: sigma = {self.sigma:.4g} with mu = {self.mu:.4g} (log seconds) "
                f"gives E[S^2] = exp({log_second:.4g}) s^2, beyond float64's exp({_LOG_MAX:.4g})"
            )
        self.mean, self.second_moment = math.exp(log_mean), math.exp(log_second)

    @classmethod
    def from_p50_p99(cls, p50: float, p99: float) -> LogNormal:
        """Fit to a median and a 99th percentile (seconds); needs p99 > p50."""
        a = number("LogNormal.from_p50_p99", "p50", p50)
        b = number("LogNormal.from_p50_p99", "p99", p99)
        if b <= a:
            raise ValueError(
                f"LogNormal.from_p50_p99: p99 must be greater than p50, got {b} <= {a}"
            )
        return cls(math.log(a), math.log(b / a) / Z99)

    @classmethod
    def from_mean_p99(cls, mean: float, p99: float) -> LogNormal:
        """Fit to a mean and a p99 (seconds), reproducing both.

        With d = ln(p99/mean), sigma solves sigma^2/2 - z sigma + d = 0. We take the
        smaller root, which tends to 0 as p99 -> mean; the larger root (sigma > z99)
        puts most of the mass far below the mean, a shape no latency profile has. A real
        root needs p99/mean <= exp(z99^2/2) ~= 14.97, and p99 > mean (otherwise only
        the absurd root sigma > 2 z99 remains).
        """
        m = number("LogNormal.from_mean_p99", "mean", mean)
        b = number("LogNormal.from_mean_p99", "p99", p99)
        if b <= m:
            raise ValueError(
                f"LogNormal.from_mean_p99: p99 must be greater than mean, got {b} <= {m}"
            )
        d = math.log(b / m)
        disc = Z99**2 - 2 * d
        if disc < 0:
            raise ValueError(
                f"LogNormal.from_mean_p99: p99/mean = {b / m:.4g} exceeds "
                f"exp(z99^2/2) = {math.exp(Z99**2 / 2):.4g}, the most any log-normal reaches"
            )
        sigma = 2 * d / (Z99 + math.sqrt(disc))  # the smaller root, without cancellation
        return cls(math.log(m) - sigma**2 / 2, sigma)

    @classmethod
    def from_mean_sigma(cls, mean: float, sigma: float) -> LogNormal:
        """Fit to a mean (seconds) and the log-space sigma."""
        m = number("LogNormal.from_mean_sigma", "mean", mean)
        s = number("LogNormal.from_mean_sigma", "sigma", sigma)
        if not math.isfinite(s * s):
            raise ValueError(f"LogNormal.from_mean_sigma: sigma = {s:.4g} overflows float64")
        return cls(math.log(m) - s * s / 2, s)

    def _sample(self, rng, n):
        return rng.lognormal(self.mu, self.sigma, n)

    def _quantile(self, q):
        return math.exp(self.mu + self.sigma * float(ndtri(q)))

    def _args(self):
        return {"mu": self.mu, "sigma": self.sigma}


class Gamma(ServiceTime):
    """Service with a chosen variability: shape = 1/cv^2 (cv = 1 is exponential)."""

    def __init__(self, mean: float, cv: float):
        m = number("Gamma", "mean", mean)
        self.cv = number("Gamma", "cv", cv)
        cv2 = self.cv * self.cv
        self.shape, self.scale = (1.0 / cv2 if cv2 > 0 else math.inf), m * cv2
        if not (0 < self.shape < math.inf and 0 < self.scale < math.inf):
            raise ValueError(f"Gamma: cv = {self.cv:.4g} gives shape {self.shape:.4g} and scale "
                             f"{self.scale:.4g} s, which float64 cannot hold")  # fmt: skip
        self.mean, self.second_moment = _moments("Gamma", m, m * m * (1.0 + cv2))

    def _sample(self, rng, n):
        return rng.gamma(self.shape, self.scale, n)

    def _quantile(self, q):
        return self.scale * float(gammaincinv(self.shape, q))

    def _args(self):
        return {"mean": self.mean, "cv": self.cv}


class Empirical(ServiceTime):
    """Measured latencies resampled with replacement; moments and quantiles are the sample's."""

    def __init__(self, samples: Sequence[float] | np.ndarray):
        x = np.array(samples, dtype=np.float64).ravel()
        if x.size == 0:
            raise ValueError("Empirical: samples must hold at least one service time, got none")
        bad = np.flatnonzero(~np.isfinite(x) | (x < 0))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"Empirical: samples must be non-negative finite seconds; samples[{i}] = {x[i]!r}"
            )
        x.setflags(write=False)
        self.samples = x
        with np.errstate(over="ignore"):
            moments = float(x.mean()), float(np.mean(x * x))
        self.mean, self.second_moment = _moments("Empirical", *moments)

    def _sample(self, rng, n):
        return self.samples[rng.integers(0, self.samples.size, n)]

    def _quantile(self, q):
        return float(np.quantile(self.samples, q, method="inverted_cdf"))

    def _args(self):
        return {"samples": f"<{self.samples.size} values>"}


class Sum(ServiceTime):
    """An inference pipeline: independent container latencies add up.

    `quantile` is exact when at most one part is random (the rest shift it); otherwise
    it is the quantile of 2^20 draws from a fixed internal seed, within ~1e-4 in
    probability (binomial standard error at p99), computed once and cached.
    """

    def __init__(self, parts: Sequence[ServiceTime]):
        parts = tuple(parts)
        if not parts:
            raise ValueError("Sum: parts must hold at least one ServiceTime, got none")
        for i, p in enumerate(parts):
            if not isinstance(p, ServiceTime):
                raise ValueError(f"Sum: parts[{i}] must be a ServiceTime, got {type(p).__name__}")
        self.parts = parts
        mean = sum(p.mean for p in parts)
        self.mean, self.second_moment = _moments(
            "Sum", mean, sum(p.variance for p in parts) + mean * mean
        )
        self._mc: np.ndarray | None = None

    def _sample(self, rng, n):
        out = np.zeros(n)
        for p in self.parts:
            out += p.sample(rng, n)
        return out

    def _quantile(self, q):
        random = [p for p in self.parts if not isinstance(p, Deterministic)]
        if len(random) <= 1:
            shift = sum(p.value for p in self.parts if isinstance(p, Deterministic))
            return shift + (random[0].quantile(q) if random else 0.0)
        if self._mc is None:
            self._mc = np.sort(self._sample(np.random.default_rng(_MC_SEED), _MC_SAMPLES))
        return float(np.quantile(self._mc, q, method="inverted_cdf"))

    def _args(self):
        return {"parts": list(self.parts)}


class Scaled(ServiceTime):
    """A base latency multiplied by `factor` (a defect's latency_factor)."""

    def __init__(self, base: ServiceTime, factor: float):
        if not isinstance(base, ServiceTime):
            raise ValueError(f"Scaled: base must be a ServiceTime, got {type(base).__name__}")
        self.base = base
        self.factor = number("Scaled", "factor", factor)
        self.mean, self.second_moment = _moments(
            "Scaled", self.factor * base.mean, self.factor * self.factor * base.second_moment
        )

    def _sample(self, rng, n):
        return self.factor * self.base.sample(rng, n)

    def _quantile(self, q):
        return self.factor * self.base.quantile(q)

    def _args(self):
        return {"base": self.base, "factor": self.factor}


class Shifted(ServiceTime):
    """A base latency plus a fixed `offset` in seconds (e.g. an Elastic Inference hop)."""

    def __init__(self, base: ServiceTime, offset: float):
        if not isinstance(base, ServiceTime):
            raise ValueError(f"Shifted: base must be a ServiceTime, got {type(base).__name__}")
        self.base = base
        self.offset = number("Shifted", "offset", offset, "non-negative")
        d = self.offset
        self.mean, self.second_moment = _moments(
            "Shifted", base.mean + d, base.second_moment + 2 * d * base.mean + d * d
        )

    def _sample(self, rng, n):
        return self.base.sample(rng, n) + self.offset

    def _quantile(self, q):
        return self.base.quantile(q) + self.offset

    def _args(self):
        return {"base": self.base, "offset": self.offset}
