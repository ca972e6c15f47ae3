"""Arrival processes: when requests reach the endpoint, one span of time at a time.

The engine asks for the arrivals in consecutive spans [t0, t1) between control events.
Each process builds its realisation in fixed internal blocks (fixed time chunks or fixed
numbers of draws, never sized by the span asked for) and serves spans from a buffer. So
the concatenated spans are one exact realisation of the process and, for a given
generator state, the very same one wherever the spans end: a canary and a big-bang run
with one seed see the same requests (common random numbers). Spans must move forward.
"""

from __future__ import annotations

import abc
import math
import operator
from collections.abc import Sequence

import numpy as np

_BLOCK = 16384
"""Expected arrivals per generated block: amortises numpy calls, bounds memory."""

_MOST_BLOCKS = 8
"""No block is expected to hold more than this many _BLOCKs, whatever the parameters: a
process whose natural unit is longer (an MMPP dwell of 30 days) cuts it into pieces."""


def _number(owner: str, name: str, value: object, kind: str = "positive") -> float:
    """Return `value` as a float, or raise ValueError naming the argument.

    `kind` is "positive", "non-negative" or "finite" (any sign).
    """
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    if not (
        math.isfinite(x) and (kind == "finite" or x > 0 or (kind == "non-negative" and x == 0))
    ):
        what = "a finite number" if kind == "finite" else f"a {kind} finite number"
        raise ValueError(f"{owner}: {name} must be {what}, got {value!r}")
    return x


def _generator(owner: str, rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{owner}: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _poisson_pieces(rng, starts, ends, rates) -> np.ndarray:
    """Exact Poisson arrivals on abutting pieces [starts, ends) with constant rates, sorted."""
    lengths = ends - starts
    counts = rng.poisson(rates * lengths)
    t = np.repeat(starts, counts) + np.repeat(lengths, counts) * rng.random(int(counts.sum()))
    t = np.minimum(t, np.nextafter(np.repeat(ends, counts), -np.inf))  # float rounding at ends
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
        self.rate = self.mean_rate = _number("Poisson", "rate", rate)
        self._rng = _generator("Poisson", rng)
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
        self.rate = self.mean_rate = _number("Diurnal", "rate", rate)
        self.amplitude = _number("Diurnal", "amplitude", amplitude, "non-negative")
        if self.amplitude > 1:
            raise ValueError(f"Diurnal: amplitude must be in [0, 1], got {amplitude!r}")
        self.period = _number("Diurnal", "period", period)
        self.peak_at = _number("Diurnal", "peak_at", peak_at, "finite")
        self._rng = _generator("Diurnal", rng)
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


class Bursty(_Buffered):
    """Flash crowds: the rate multiplied during bursts (at, duration, multiplier), exactly.

    With `every`, burst i recurs at at_i + k*every (k = 0, 1, ...); a burst lasting
    `every` or longer is on for good from at_i. Overlapping bursts multiply. Chunks are
    sized by the peak rate (so a block holds about _BLOCK arrivals even inside a burst)
    and by `every` (so a block holds a bounded number of burst windows).
    """

    def __init__(self, rate, bursts: Sequence[tuple[float, float, float]], rng, every=None):
        self.rate = _number("Bursty", "rate", rate)
        self.bursts = []
        for i, b in enumerate(bursts):
            if len(b) != 3:
                raise ValueError(f"Bursty: bursts[{i}] must be (at, duration, multiplier): {b!r}")
            self.bursts.append(
                (
                    _number("Bursty", f"bursts[{i}].at", b[0], "non-negative"),
                    _number("Bursty", f"bursts[{i}].duration", b[1]),
                    _number("Bursty", f"bursts[{i}].multiplier", b[2], "non-negative"),
                )
            )
        self.every = None if every is None else _number("Bursty", "every", every)
        self._rng = _generator("Bursty", rng)
        self.peak_rate = self._peak()
        self._width = _BLOCK / max(self.peak_rate, 0.0 if self.every is None else 1 / self.every)
        self.mean_rate = self.rate
        if self.every is not None and self.bursts:
            start = max(at for at, _, _ in self.bursts)  # periodic from here on
            self.mean_rate = self.expected_count(start, start + self.every) / self.every

    def rate_at(self, t):
        """Return the piecewise-constant rate at times t."""
        t = np.asarray(t, dtype=np.float64)
        out = np.full(t.shape, self.rate)
        for at, dur, m in self.bursts:
            since = t - at if self.every is None else np.mod(t - at, self.every)
            out *= np.where((t >= at) & (since < dur), m, 1.0)
        return out

    def _peak(self) -> float:
        """The highest rate: the base rate, or where bursts overlap the most.

        Before the last burst begins fewer bursts can be on, and from each burst's start
        the schedule repeats every `every`, so one window per start sees every overlap.
        """
        if self.every is None:
            windows = [(0.0, max([at + dur for at, dur, _ in self.bursts], default=1.0))]
        else:
            windows = [(at, at + self.every) for at in sorted({at for at, _, _ in self.bursts})]
        mids = [np.empty(0)]
        for a, b in windows:
            s, e = self._pieces(a, b)
            mids.append((s + e) / 2)
        return max(self.rate, float(self.rate_at(np.concatenate(mids)).max(initial=0.0)))

    def _pieces(self, a, b):
        """Start and end of each constant-rate piece of [a, b)."""
        edges = [np.array([a, b])]
        for at, dur, _ in self.bursts:
            if self.every is None:
                starts = np.array([at])
            elif dur >= self.every:  # the repeats overlap: on for good from `at`
                edges.append(np.array([at]))
                continue
            else:
                k0 = max(0, math.floor((a - at - dur) / self.every))
                k1 = max(k0, math.floor((b - at) / self.every) + 1)
                starts = at + self.every * np.arange(k0, k1)
            edges += [starts, starts + dur]
        e = np.unique(np.concatenate(edges))
        e = e[(e >= a) & (e <= b)]
        return e[:-1], e[1:]

    def expected_count(self, t0, t1):
        """Return the integral of the rate over [t0, t1).

        Between two burst starts the rate repeats every `every`, so a long span costs one
        period's pieces, not one per repeat.
        """
        if self.every is None:
            return self._integral(t0, t1)
        total = 0.0
        cuts = sorted({t0, t1} | {at for at, _, _ in self.bursts if t0 < at < t1})
        for u, v in zip(cuts[:-1], cuts[1:], strict=True):
            whole = math.floor((v - u) / self.every)
            total += whole * self._integral(u, u + self.every) if whole else 0.0
            total += self._integral(u + whole * self.every, v)
        return total

    def _integral(self, a: float, b: float) -> float:
        s, e = self._pieces(a, b)
        return float(np.sum(self.rate_at((s + e) / 2) * (e - s)))

    def _extend(self):
        a, b = self._chunk()
        s, e = self._pieces(a, b)
        return _poisson_pieces(self._rng, s, e, self.rate_at((s + e) / 2)), b


class GammaRenewal(_Buffered):
    """A renewal process with Gamma gaps: mean 1/rate, coefficient of variation cv.

    It starts in equilibrium (the first gap is the forward recurrence time, U times a
    length-biased Gamma(k+1) gap), so counts are stationary from the first span on.
    """

    _DRAWS = 8192

    def __init__(self, rate, cv, rng: np.random.Generator):
        self.rate = self.mean_rate = _number("GammaRenewal", "rate", rate)
        self.cv = _number("GammaRenewal", "cv", cv)
        self._shape, self._scale = 1 / self.cv**2, self.cv**2 / self.rate
        self._rng = _generator("GammaRenewal", rng)

    def rate_at(self, t):
        """Return the long-run rate (the process is stationary)."""
        return np.full(np.shape(t), self.rate)

    def _start(self, t0):
        self._next = t0 + self._rng.gamma(self._shape + 1, self._scale) * self._rng.random()

    def _extend(self):
        cs = np.cumsum(self._rng.gamma(self._shape, self._scale, self._DRAWS))
        times = self._next + np.concatenate(([0.0], cs[:-1]))
        self._next = self._next + cs[-1]
        return times, self._next


class MMPP2(_Buffered):
    """Two-state Markov-modulated Poisson: exponential dwells, Poisson arrivals in each.

    It starts in the stationary state distribution, so it is stationary from the start.
    Dwells are drawn a batch at a time; a batch expected to bring more arrivals than a
    block may hold is served a block at a time, a long dwell cut into pieces (Poisson
    counts on disjoint pieces are independent, so the cut changes nothing in law).
    """

    def __init__(self, rate_low, rate_high, mean_low, mean_high, rng: np.random.Generator):
        self.rate_low = _number("MMPP2", "rate_low", rate_low, "non-negative")
        self.rate_high = _number("MMPP2", "rate_high", rate_high, "non-negative")
        self.mean_low = _number("MMPP2", "mean_low", mean_low)
        self.mean_high = _number("MMPP2", "mean_high", mean_high)
        self._rng = _generator("MMPP2", rng)
        self.p_high = self.mean_high / (self.mean_low + self.mean_high)
        self.mean_rate = self.rate_low * (1 - self.p_high) + self.rate_high * self.p_high
        per_dwell = max(self.rate_low * self.mean_low, self.rate_high * self.mean_high, 1.0)
        self._dwells = int(min(4096, max(2, _BLOCK // per_dwell)))

    def rate_at(self, t):
        """Return the expected (stationary) rate."""
        return np.full(np.shape(t), self.mean_rate)

    def _start(self, t0):
        self._t, self._high = t0, bool(self._rng.random() < self.p_high)
        self._pending = (np.empty(0), np.empty(0), np.empty(0))  # dwells drawn, not generated

    def _extend(self):
        starts, ends, rates = self._pending if len(self._pending[0]) else self._dwell_batch()
        expected = np.cumsum(rates * (ends - starts))
        most = _MOST_BLOCKS * _BLOCK
        k = int(np.searchsorted(expected, most, side="right"))  # whole pieces that fit
        if k == 0:  # one dwell alone is too long: its first `most` expected arrivals
            cut = starts[0] + most / rates[0]
            if cut < ends[0]:
                self._pending = (np.concatenate(([cut], starts[1:])), ends, rates)
                return _poisson_pieces(self._rng, starts[:1], np.array([cut]), rates[:1]), cut
            k = 1
        self._pending = (starts[k:], ends[k:], rates[k:])
        return _poisson_pieces(self._rng, starts[:k], ends[:k], rates[:k]), float(ends[k - 1])

    def _dwell_batch(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The next `_dwells` dwells, alternating states: starts, ends and rates."""
        high = (np.arange(self._dwells) + self._high) % 2 == 1
        mean = np.where(high, self.mean_high, self.mean_low)
        dwell = self._rng.exponential(1.0, self._dwells) * mean
        ends = self._t + np.cumsum(dwell)
        starts = np.concatenate(([self._t], ends[:-1]))
        rates = np.where(high, self.rate_high, self.rate_low)
        self._t, self._high = float(ends[-1]), not high[-1]
        return starts, ends, rates


def draw_users(rng: np.random.Generator, n: int, users: int) -> np.ndarray:
    """Draw `n` int64 user ids uniformly from [0, users) (sticky A/B, phased segments)."""
    n, users = operator.index(n), operator.index(users)
    if n < 0 or users < 1:
        raise ValueError(f"draw_users: need n >= 0 and users >= 1, got n={n}, users={users}")
    return _generator("draw_users", rng).integers(0, users, n, dtype=np.int64)
