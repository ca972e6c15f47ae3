"""Metrics as CloudWatch would see them, aggregated while requests are processed.

Requests are recorded in the period in which they end, into counters, exact sums
and a log-spaced latency histogram (1% wide bins), so memory grows with simulated
time and never with the number of requests (only the distinct users a release hurts
are kept, as ids). Run-wide latency and wait statistics keep exact sums and the same
histograms, restricted to requests after warm-up.
"""

from __future__ import annotations

import numpy as np

OK, ERROR, FAILED, UNAVAILABLE, TIMED_OUT, REJECTED = range(6)
OUTCOMES = ("ok", "error", "failed", "unavailable", "timed_out", "rejected")

_LO, _RATIO, BINS = 1e-6, 1.01, 2600
_HURT_SLACK = 65536  # hurt user ids gathered before the first de-duplication
_INV_LOG = 1.0 / np.log(_RATIO)


def to_bin(x: np.ndarray) -> np.ndarray:
    """Histogram bin of each latency; bin 0 holds values up to 1 microsecond (and zero)."""
    with np.errstate(divide="ignore"):
        b = np.floor(np.log(np.maximum(x, _LO) / _LO) * _INV_LOG).astype(np.int64) + 1
    b[x <= _LO] = 0
    return np.minimum(b, BINS - 1)


_MIDDLES = np.array([0.0] + [_LO * _RATIO ** (b - 0.5) for b in range(1, BINS)])
_ROWS = 256  # histogram rows cumulated at once: bounds the temporaries at 5 MB


def quantile(hist: np.ndarray, q: float) -> float:
    """The q-quantile of a histogram, at the geometric middle of its bin (within 0.5%)."""
    return float(quantiles(hist[None, :], (q,))[0, 0])


def quantiles(hist: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """The q-quantiles of every row of a [rows, BINS] histogram: shape [len(qs), rows].

    A row with no request has NaN quantiles; bin 0 (up to 1 us) reads as 0.
    """
    out = np.empty((len(qs), len(hist)))
    for r0 in range(0, len(hist), _ROWS):
        cum = np.cumsum(hist[r0 : r0 + _ROWS], axis=1)
        total = cum[:, -1]
        for i, q in enumerate(qs):
            b = np.count_nonzero(cum < (q * total)[:, None], axis=1)  # searchsorted, per row
            out[i, r0 : r0 + _ROWS] = np.where(total > 0, _MIDDLES[b], np.nan)
    return out


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
    """Per-period, per-version aggregates plus the run-wide after-warm-up statistics."""

    def __init__(
        self, periods: int, period: float, warmup: float, slo_latency: float | None
    ) -> None:
        self.periods, self.period, self.warmup = periods, period, warmup
        self.slo = np.inf if slo_latency is None else slo_latency
        self.versions: list[str] = []
        self.release: list[bool] = []
        self.shadow: list[bool] = []  # shadow copies: kept per version, out of run-wide stats
        self.counts: list[np.ndarray] = []  # per version: [periods, outcomes]
        self.sums: list[np.ndarray] = []  # per version: [periods, (latency, wait, service, slow)]
        self.hist: list[np.ndarray] = []  # per version: [periods, BINS] of ok latencies
        self.run_latency = np.zeros(BINS, dtype=np.int64)
        self.run_wait = np.zeros(BINS, dtype=np.int64)
        self.run_sums = np.zeros(3)  # after warm-up, ok requests: latency, wait, count
        self.blast_radius = 0
        # ids of users the release hurt, de-duplicated as they pile up: memory follows the
        # users actually hurt, never the number of users the scenario declares
        self._hurt: list[np.ndarray] = []
        self._hurt_ids, self._hurt_distinct = 0, 0
        self.sojourn_sum = 0.0  # every served request's time in system, for Little's law

    def version_index(self, version: str, is_release: bool, shadow: bool = False) -> int:
        """Index of a version's rows, created on first use."""
        if version not in self.versions:
            self.versions.append(version)
            self.release.append(is_release)
            self.shadow.append(shadow)
            self.counts.append(np.zeros((self.periods, len(OUTCOMES)), dtype=np.int64))
            self.sums.append(np.zeros((self.periods, 4)))
            self.hist.append(np.zeros((self.periods, BINS), dtype=np.int64))
        return self.versions.index(version)

    def record(self, version, end, arrival, start, outcome, busy, user) -> None:
        """Account finished requests (equal-length arrays; start and busy NaN if never served)."""
        if len(end) == 0:
            return
        period = np.minimum((end // self.period).astype(np.int64), self.periods - 1)
        latency = end - arrival
        wait = start - arrival
        lat_bin = to_bin(latency)
        present = np.flatnonzero(np.bincount(version))
        for v in present:
            if len(present) == 1:
                cols = (period, outcome, latency, wait, start, busy, lat_bin, user)
            else:
                mine = version == v
                cols = (period[mine], outcome[mine], latency[mine], wait[mine], start[mine],
                        busy[mine], lat_bin[mine], user[mine])  # fmt: skip
            self._record_version(int(v), *cols)
        users = ~np.array(self.shadow)[version]
        entered = (outcome != REJECTED) & (outcome != UNAVAILABLE) & users
        self.sojourn_sum += float(latency[entered].sum())
        steady = (outcome == OK) & (arrival >= self.warmup) & users
        lat, wt = latency[steady], wait[steady]
        self.run_latency += np.bincount(lat_bin[steady], minlength=BINS)
        self.run_wait += np.bincount(to_bin(wt), minlength=BINS)
        self.run_sums += (lat.sum(), wt.sum(), len(lat))

    def _record_version(
        self, v, period, outcome, latency, wait, start, service, lat_bin, user
    ) -> None:
        _add(self.counts[v], period, outcome)
        ok = outcome == OK
        p_ok = period[ok]
        sums = self.sums[v]
        _add(sums[:, 0:1], p_ok, 0, latency[ok])
        _add(sums[:, 1:2], p_ok, 0, wait[ok])
        served = ~np.isnan(service)
        rows, seconds = self._busy_periods(start[served], service[served])
        _add(sums[:, 2:3], rows, 0, seconds)
        slow = latency > self.slo
        slow &= served
        _add(sums[:, 3:4], period[slow], 0)
        _add(self.hist[v], p_ok, lat_bin[ok])
        if self.release[v] and not self.shadow[v]:
            hurt = (~ok & (outcome != REJECTED)) | slow
            self.blast_radius += int(np.count_nonzero(hurt))
            self._hurt.append(user[hurt])
            self._hurt_ids += len(self._hurt[-1])
            if self._hurt_ids > 2 * self._hurt_distinct + _HURT_SLACK:
                self._unique_hurt()

    def users_affected(self) -> int:
        """Distinct users the release hurt at least once (an error or an SLO-slow request)."""
        return len(self._unique_hurt())

    def _unique_hurt(self) -> np.ndarray:
        hurt = np.unique(np.concatenate([np.empty(0, np.int64), *self._hurt]))
        self._hurt, self._hurt_ids, self._hurt_distinct = [hurt], len(hurt), len(hurt)
        return hurt

    def _busy_periods(self, start: np.ndarray, busy: np.ndarray):
        """Busy seconds per period: each request's [start, start + busy) cut at period ends.

        A worker busy for 90 s across two 60 s periods counts in both, so utilisation is
        never over 100% in a period (time past the run's end counts in its last period).
        """
        P, last = self.period, self.periods - 1
        first = np.minimum((start // P).astype(np.int64), last)
        end = start + busy
        final = np.minimum(np.maximum(np.ceil(end / P).astype(np.int64) - 1, first), last)
        within = first == final
        rows, seconds = [first[within]], [busy[within]]
        two = final == first + 1  # the common split: one boundary crossed
        cut = (first[two] + 1) * P
        rows += [first[two], final[two]]
        seconds += [cut - start[two], end[two] - cut]
        more = ~within & ~two
        for s, e, p0, p1 in zip(start[more], end[more], first[more], final[more], strict=True):
            edges = np.arange(p0, p1 + 1) * P
            cut = np.minimum(np.append(edges[1:], np.inf), e) - np.maximum(edges, s)
            rows.append(np.arange(p0, p1 + 1))
            seconds.append(np.maximum(cut, 0.0))
        return np.concatenate(rows), np.concatenate(seconds)


def _add(table: np.ndarray, rows: np.ndarray, cols, weights=None) -> None:
    """table[rows, cols] += weights (or 1), with bincount over the few rows touched."""
    if len(rows) == 0:
        return
    r0, r1 = int(rows.min()), int(rows.max()) + 1
    width = table.shape[1]
    flat = (rows - r0) * width + cols
    added = np.bincount(flat, weights=weights, minlength=(r1 - r0) * width)
    table[r0:r1] += added.reshape(r1 - r0, width).astype(table.dtype, copy=False)
