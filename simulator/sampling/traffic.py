"""Arrival processes: when requests reach the endpoint, one span of time at a time.

The engine asks for the arrivals in consecutive spans [t0, t1) between control events.
Each process builds its realisation in fixed internal blocks (fixed time chunks or fixed
numbers of draws, never sized by the span asked for) and serves spans from a buffer. So
the concatenated spans are one exact realisation of the process and, for a given
generator state, the very same one wherever the spans end: a canary and a big-bang run
with one seed see the same requests (common random numbers). Spans must move forward.
Bursty shapes (flash crowds, Gamma renewal, MMPP) are in `bursts.py`.
"""

from __future__ import annotations

import abc
import math
import operator

import numpy as np

from simulator.sampling.arguments import generator, number

_BLOCK = 16384
"""Expected arrivals per generated block: amortises numpy calls, bounds memory."""


_MOST_BLOCKS = 8
"""No block is expected to hold more than this many _BLOCKs, whatever the parameters: a
process whose natural unit is longer (an MMPP dwell of 30 days) cuts it into pieces."""


def _poisson_pieces(rng, starts, ends, rates) -> np.ndarray:
    """Exact Poisson arrivals on abutting pieces [starts, ends) with constant rates, sorted."""
    lengths = ends - starts
    counts = rng.poisson(rates * lengths)
    if len(counts) == 1:  # one piece (Poisson, Diurnal): the same numbers, fewer temporaries
        t = rng.random(int(counts[0]))
        t *= lengths[0]
        t += starts[0]
        np.minimum(t, np.nextafter(ends[0], -np.inf), out=t)
    else:
        t = np.repeat(starts, counts) + np.repeat(lengths, counts) * rng.random(int(counts.sum()))
        t = np.minimum(t, np.nextafter(np.repeat(ends, counts), -np.inf))  # rounding at ends
    t.sort()
    return t


class ArrivalProcess(abc.ABC):
    """Request arrival times in seconds, generated span by span."""

    mean_rate: float
    _served_to = -math.inf

    @abc.abstractmethod
    def rate_at(self, t: np.ndarray) -> np.ndarray:
        """Instantaneous (or, for random-rate processes, expected) rate in requests/s."""

    def expected_count(self, t0: float, t1: float) -> float:
        """Return the expected arrivals in [t0, t1): mean_rate x length if stationary."""
        return self.mean_rate * (t1 - t0)

    def arrivals(self, t0: float, t1: float) -> np.ndarray:
        """Sorted float64 arrival times in [t0, t1); spans must not go back in time."""
        t0, t1 = self._span(t0, t1)
        self._served_to = t1
        return self._arrivals(t0, t1)

    def arrivals_capped(self, t0: float, t1: float, limit: int) -> tuple[np.ndarray, float]:
        """Return the arrivals in [t0, t) and t, with t <= t1 early enough to keep them few.

        At most about `limit` arrivals (more only when more arrive at one instant), so a
        flash crowd never lands in memory at once; the next span starts at t. This default
        returns the whole span: a process that holds its arrivals already (a replay).
        """
        return self.arrivals(t0, t1), float(t1)

    def _span(self, t0: float, t1: float) -> tuple[float, float]:
        t0, t1 = float(t0), float(t1)
        name = type(self).__name__
        if not (math.isfinite(t0) and math.isfinite(t1) and t0 <= t1):
            raise ValueError(f"{name}.arrivals: need finite t0 <= t1, got [{t0}, {t1})")
        if t0 < self._served_to:
            raise ValueError(
                f"{name}.arrivals: spans must move forward; t0={t0} is before the end "
                f"of the previous span, {self._served_to}"
            )
        return t0, t1

    @abc.abstractmethod
    def _arrivals(self, t0: float, t1: float) -> np.ndarray: ...


class _Buffered(ArrivalProcess):
    """Generates blocks ahead with `_extend` and serves spans from what is buffered."""

    _buf = np.empty(0)
    _horizon: float | None = None  # every arrival before it has been generated

    def _arrivals(self, t0, t1):
        return self._take(t0, t1, math.inf)[0]

    def arrivals_capped(self, t0, t1, limit):
        """Return the arrivals in [t0, t) and t <= t1, generating no more than needed."""
        t0, t1 = self._span(t0, t1)
        times, self._served_to = self._take(t0, t1, limit)
        return times, self._served_to

    def _take(self, t0: float, t1: float, limit: float) -> tuple[np.ndarray, float]:
        """Arrivals in [t0, t) and t: t1, or earlier once more than `limit` are buffered."""
        if self._horizon is None:
            self._start(t0)
            self._horizon = t0
        parts = [self._buf]
        ahead = len(self._buf) - int(np.searchsorted(self._buf, t0))
        # a block may end on an arrival (a renewal gap lost in rounding), so go past t0
        while self._horizon < t1 and (ahead <= limit or self._horizon <= t0):
            times, self._horizon = self._extend()
            parts.append(times)
            ahead += len(times) - int(np.searchsorted(times, t0))
        buf = np.concatenate(parts) if len(parts) > 1 else self._buf
        end = min(t1, self._horizon)
        i0, i1 = np.searchsorted(buf, [t0, end])
        if i1 - i0 > limit:
            end = float(buf[i0 + int(limit)])
            i1 = np.searchsorted(buf, end)
            if i1 == i0:  # more than `limit` arrivals at one instant: take them all
                end = float(np.nextafter(end, math.inf))
                i1 = np.searchsorted(buf, end)
        self._buf = buf[i1:]
        return buf[i0:i1], end

    def _start(self, t0: float) -> None:
        self._origin, self._k = t0, 0

    def _chunk(self) -> tuple[float, float]:
        """Return the next chunk of the fixed grid anchored at the first span's start."""
        a = self._origin + self._k * self._width
        self._k += 1
        return a, self._origin + self._k * self._width

    @abc.abstractmethod
    def _extend(self) -> tuple[np.ndarray, float]: ...


class Poisson(_Buffered):
    """Independent arrivals at a constant rate: Poisson counts, uniform times, per chunk."""

    def __init__(self, rate: float, rng: np.random.Generator):
        self.rate = self.mean_rate = number("Poisson", "rate", rate)
        self._rng = generator("Poisson", rng)
        self._width = _BLOCK / self.rate

    def rate_at(self, t):
        """Return the constant rate."""
        return np.full(np.shape(t), self.rate)

    def _extend(self):
        a, b = self._chunk()
        return _poisson_pieces(self._rng, np.array([a]), np.array([b]), self.rate), b


class Diurnal(_Buffered):
    """A daily cycle, rate*(1 + amplitude*cos(2 pi (t - peak_at)/period)), by exact thinning."""

    def __init__(self, rate, amplitude, period, peak_at, rng: np.random.Generator):
        self.rate = self.mean_rate = number("Diurnal", "rate", rate)
        self.amplitude = number("Diurnal", "amplitude", amplitude, "non-negative")
        if self.amplitude > 1:
            raise ValueError(f"Diurnal: amplitude must be in [0, 1], got {amplitude!r}")
        self.period = number("Diurnal", "period", period)
        self.peak_at = number("Diurnal", "peak_at", peak_at, "finite")
        self._rng = generator("Diurnal", rng)
        self._peak = self.rate * (1 + self.amplitude)
        self._width = _BLOCK / self._peak

    def rate_at(self, t):
        """Return the cosine rate at times t."""
        phase = 2 * np.pi * (np.asarray(t, dtype=np.float64) - self.peak_at) / self.period
        return self.rate * (1 + self.amplitude * np.cos(phase))

    def expected_count(self, t0, t1):
        """Return the integral of the rate over [t0, t1)."""
        w = 2 * math.pi / self.period
        swing = math.sin(w * (t1 - self.peak_at)) - math.sin(w * (t0 - self.peak_at))
        return self.rate * ((t1 - t0) + self.amplitude * swing / w)

    def _extend(self):
        a, b = self._chunk()
        cand = _poisson_pieces(self._rng, np.array([a]), np.array([b]), self._peak)
        keep = self._rng.random(cand.size) * self._peak < self.rate_at(cand)
        return cand[keep], b


def draw_users(rng: np.random.Generator, n: int, users: int) -> np.ndarray:
    """Draw `n` int64 user ids uniformly from [0, users) (sticky A/B, phased segments)."""
    n, users = operator.index(n), operator.index(users)
    if n < 0 or users < 1:
        raise ValueError(f"draw_users: need n >= 0 and users >= 1, got n={n}, users={users}")
    return generator("draw_users", rng).integers(0, users, n, dtype=np.int64)
