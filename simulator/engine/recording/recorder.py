"""Metrics as CloudWatch would see them, aggregated while requests are processed.

Requests are recorded in the period in which they end, into counters, exact sums
and a log-spaced latency histogram (1% wide bins, `histogram.py`), so memory grows with
simulated time and never with the number of requests (only the distinct users a
release hurts are kept, as ids). Run-wide latency and wait statistics keep exact sums
and full-range histograms, restricted to requests after warm-up. Where one request
counts is `tally.record`, compiled, which the data plane's kernel calls as it serves.
"""

from __future__ import annotations

import numpy as np

from simulator.engine.recording.histogram import BINS
from simulator.engine.recording.tally import (
    HURT,
    LOGGED,
    OUTSIDE,
    Tally,
    record_rows,
)

_HURT_SLACK = 65536  # hurt user ids gathered before the first de-duplication
_MARGIN = 16  # bins added beyond those needed when the kept range widens


class TimeWeighted:
    """Integral of a piecewise-constant quantity (instances in service, billed) per period."""

    def __init__(self, periods: int, period: float) -> None:
        self.area = np.zeros(periods)
        self.period, self.value, self.since = period, 0.0, 0.0

    def set(self, t: float, value: float) -> None:
        """The quantity changes to `value` at time t."""
        self._accrue(t)
        self.value = value

    def close(self, t: float) -> None:
        """Account up to time t (the end of the run)."""
        self._accrue(t)

    def total_at(self, t: float) -> float:
        """The whole integral up to time t (at or after the last change)."""
        return float(self.area.sum()) + self.value * max(0.0, t - self.since)

    def _accrue(self, t: float) -> None:
        t0 = self.since
        while t0 < t:
            p = int(t0 // self.period)
            if (p + 1) * self.period <= t0:  # t0 // period rounded down across a boundary
                p += 1
            if p >= len(self.area):
                break
            t1 = min(t, (p + 1) * self.period)
            self.area[p] += self.value * (t1 - t0)
            t0 = t1
        self.since = max(self.since, t)


class Recorder:
    """Per-period, per-version aggregates plus the run-wide after-warm-up statistics.

    `counts[v]` is [periods, outcomes]; `sums[v]` is [periods, (latency, wait, busy,
    slow)] over ok requests (busy and slow over all served); `hist[v]` is [periods,
    bins kept] of ok latencies, column 0 being bin `first`, in int32: a run serves at
    most `budget.MAX_REQUESTS` (2e8) requests, below 2^31 in any one bin.
    """

    def __init__(
        self, periods: int, period: float, warmup: float, slo_latency: float | None
    ) -> None:
        self.periods, self.period, self.warmup = periods, period, warmup
        self.slo = np.inf if slo_latency is None else slo_latency
        self.versions: list[str] = []
        self.release = np.zeros(0, dtype=np.bool_)
        self.shadow = np.zeros(0, dtype=np.bool_)  # shadow copies: out of run-wide stats
        self.counts = np.zeros((0, periods, 6), dtype=np.int64)
        self.sums = np.zeros((0, periods, 4))
        self.hist = np.zeros((0, periods, 0), dtype=np.int32)
        self.first = 0
        self.run_hist = np.zeros((2, BINS), dtype=np.int64)
        self._run_sums = np.zeros(4)  # latency, wait, count (ok, after warm-up); sojourn
        self.blast_radius = 0
        # ids of users the release hurt, de-duplicated as they pile up: memory follows the
        # users actually hurt, never the number of users the scenario declares
        self._hurt: list[np.ndarray] = []
        self._hurt_ids, self._hurt_distinct = 0, 0
        self.log_chunks: list[dict[str, np.ndarray]] = []  # the sampled request log

    @property
    def run_latency(self) -> np.ndarray:
        """Histogram of ok requests' latencies after warm-up (all BINS bins)."""
        return self.run_hist[0]

    @property
    def run_wait(self) -> np.ndarray:
        """Histogram of ok requests' waits after warm-up (all BINS bins)."""
        return self.run_hist[1]

    @property
    def run_sums(self) -> np.ndarray:
        """Latency sum, wait sum and count of ok requests after warm-up."""
        return self._run_sums[:3]

    @property
    def sojourn_sum(self) -> float:
        """Every served user request's time in the system, for Little's law."""
        return float(self._run_sums[3])

    def version_index(self, version: str, is_release: bool, shadow: bool = False) -> int:
        """Index of a version's rows, created on first use."""
        if version not in self.versions:
            self.versions.append(version)
            self.release = np.append(self.release, is_release)
            self.shadow = np.append(self.shadow, shadow)
            self.counts, self.sums, self.hist = (
                np.concatenate([a, np.zeros((1, *a.shape[1:]), a.dtype)])
                for a in (self.counts, self.sums, self.hist)
            )
        return self.versions.index(version)

    # ------------------------------------------------------------ recording

    def open(self, rows: int, log: bool = False) -> Tally:
        """The arrays a compiled call records up to `rows` requests into."""
        return Tally(
            float(self.period), float(self.warmup), float(self.slo),
            self.counts, self.sums, self.hist, self.first, self.release, self.shadow,
            self.run_hist, self._run_sums, np.zeros(3, dtype=np.int64),
            np.empty(rows, dtype=np.int64), np.empty((rows, 3), dtype=np.int64),
            np.empty((rows if log else 0, 3)), np.empty((rows if log else 0, 3), np.int64),
        )  # fmt: skip

    def close(self, t: Tally) -> None:
        """Finish what the compiled call left: bins outside the range, hurt users, the log."""
        outside = t.outside[: t.cursors[OUTSIDE]]
        if len(outside):
            self._widen(int(outside[:, 2].min()), int(outside[:, 2].max()) + 1)
            np.add.at(self.hist, (outside[:, 0], outside[:, 1], outside[:, 2] - self.first), 1)
        hurt = t.hurt[: t.cursors[HURT]]
        if len(hurt):
            self.blast_radius += len(hurt)
            self._hurt.append(hurt.copy())
            self._hurt_ids += len(hurt)
            if self._hurt_ids > 2 * self._hurt_distinct + _HURT_SLACK:
                self._unique_hurt()
        logged = t.cursors[LOGGED]
        if logged:
            times, codes = t.log_times[:logged], t.log_codes[:logged]
            self.log_chunks.append(dict(
                arrival=times[:, 0].copy(), start=times[:, 1].copy(), end=times[:, 2].copy(),
                version=codes[:, 0].copy(), outcome=codes[:, 1].copy(), user=codes[:, 2].copy(),
            ))  # fmt: skip

    def record(self, version, end, arrival, start, outcome, busy, user, logged=None) -> None:
        """Account finished requests (equal-length arrays; start and busy NaN if never served)."""
        n = len(end)
        if n == 0:
            return
        logged = np.zeros(0, np.bool_) if logged is None else np.asarray(logged, np.bool_)
        t = self.open(n, log=len(logged) > 0)
        columns = (np.asarray(version, np.int64), *(np.asarray(c, float)
                   for c in (end, arrival, start)), np.asarray(outcome, np.int64),
                   np.asarray(busy, float), np.asarray(user, np.int64))  # fmt: skip
        record_rows(t, *columns, logged)
        self.close(t)

    def _widen(self, lo: int, hi: int) -> None:
        """Keep bins [lo, hi) as well: grow the range by half its width at least."""
        first, width = self.first, self.hist.shape[2]
        if width == 0:
            new_lo, new_hi = max(lo - _MARGIN, 0), min(hi + _MARGIN, BINS)
        else:
            new_lo, new_hi = first, first + width
            if lo < first:
                new_lo = max(min(lo, first - width // 2) - _MARGIN, 0)
            if hi > first + width:
                new_hi = min(max(hi, first + width + width // 2) + _MARGIN, BINS)
        hist = np.zeros((len(self.versions), self.periods, new_hi - new_lo), np.int32)
        hist[:, :, first - new_lo : first - new_lo + width] = self.hist
        self.hist, self.first = hist, new_lo

    # ------------------------------------------------------------ reading

    def users_affected(self) -> int:
        """Distinct users the release hurt at least once (an error or an SLO-slow request)."""
        return len(self._unique_hurt())

    def _unique_hurt(self) -> np.ndarray:
        hurt = np.unique(np.concatenate([np.empty(0, np.int64), *self._hurt]))
        self._hurt, self._hurt_ids, self._hurt_distinct = [hurt], len(hurt), len(hurt)
        return hurt

    def histogram(self, versions, rows: slice) -> np.ndarray:
        """The kept columns of the given periods' histograms, summed over versions.

        One version's rows are a view, not a copy: the histograms are a run's biggest
        arrays, so callers ask for a few hundred rows at a time.
        """
        if len(versions) == 1:
            return self.hist[versions[0], rows]
        out = np.zeros((len(range(self.periods)[rows]), self.hist.shape[2]), np.int64)
        for v in versions:
            out += self.hist[v, rows]
        return out
