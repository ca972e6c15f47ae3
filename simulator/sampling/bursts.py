"""Traffic that comes in bursts.

Flash crowds on a schedule, Gamma renewal gaps (cv > 1), and a two-state
Markov-modulated Poisson process.

Like every arrival process (`traffic.py`), each builds its realisation in fixed internal
blocks, so the arrivals do not depend on where the engine's spans end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from simulator.sampling.arguments import generator, number
from simulator.sampling.traffic import (
    _BLOCK,
    _MOST_BLOCKS,
    _Buffered,
    _poisson_pieces,
)


class Bursty(_Buffered):
    """Flash crowds: the rate multiplied during bursts (at, duration, multiplier), exactly.

    With `every`, burst i recurs at at_i + k*every (k = 0, 1, ...); a burst lasting
    `every` or longer is on for good from at_i. Overlapping bursts multiply. Chunks are
    sized by the peak rate (so a block holds about _BLOCK arrivals even inside a burst)
    and by `every` (so a block holds a bounded number of burst windows).
    """

    def __init__(self, rate, bursts: Sequence[tuple[float, float, float]], rng, every=None):
        self.rate = number("Bursty", "rate", rate)
        self.bursts = []
        for i, b in enumerate(bursts):
            if len(b) != 3:
                raise ValueError(f"Bursty: bursts[{i}] must be (at, duration, multiplier): {b!r}")
            self.bursts.append(
                (
                    number("Bursty", f"bursts[{i}].at", b[0], "non-negative"),
                    number("Bursty", f"bursts[{i}].duration", b[1]),
                    number("Bursty", f"bursts[{i}].multiplier", b[2], "non-negative"),
                )
            )
        self.every = None if every is None else number("Bursty", "every", every)
        self._rng = generator("Bursty", rng)
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
        self.rate = self.mean_rate = number("GammaRenewal", "rate", rate)
        self.cv = number("GammaRenewal", "cv", cv)
        self._shape, self._scale = 1 / self.cv**2, self.cv**2 / self.rate
        self._rng = generator("GammaRenewal", rng)

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
        self.rate_low = number("MMPP2", "rate_low", rate_low, "non-negative")
        self.rate_high = number("MMPP2", "rate_high", rate_high, "non-negative")
        self.mean_low = number("MMPP2", "mean_low", mean_low)
        self.mean_high = number("MMPP2", "mean_high", mean_high)
        self._rng = generator("MMPP2", rng)
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
