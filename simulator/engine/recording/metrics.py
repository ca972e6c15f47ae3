"""CloudWatch-named metrics computed from the recorder's aggregates, for any periods.

One function serves both the alarms (one period, while the run goes on) and the
result's metrics table (all periods at the end), so they can never disagree.
"""

from __future__ import annotations

import numpy as np

from simulator.engine.recording.histogram import ROWS, quantiles
from simulator.engine.recording.recorder import Recorder, TimeWeighted
from simulator.engine.recording.tally import (
    ERROR,
    FAILED,
    OK,
    OUTCOMES,
    REJECTED,
    TIMED_OUT,
    UNAVAILABLE,
)


class Gauges:
    """Time-weighted instance counts per version: in service (capacity) and billed (cost)."""

    def __init__(self, periods: int, period: float) -> None:
        self.periods, self.period = periods, period
        self.in_service: dict[int, TimeWeighted] = {}
        self.billed: dict[int, TimeWeighted] = {}
        self.workers: dict[int, TimeWeighted] = {}
        self.cost: dict[int, TimeWeighted] = {}

    def set(self, t: float, version: int, serving: int, billed: int, workers: int, price: float):
        """Counts for a version change at time t (price: USD per hour of all billed instances)."""
        for table, value in ((self.in_service, serving), (self.billed, billed),
                             (self.workers, workers), (self.cost, price / 3600.0)):  # fmt: skip
            table.setdefault(version, TimeWeighted(self.periods, self.period)).set(t, value)

    def close(self, t: float) -> None:
        """Account every gauge up to the end of the run."""
        for table in (self.in_service, self.billed, self.workers, self.cost):
            for gauge in table.values():
                gauge.close(t)

    def area(self, table: dict[int, TimeWeighted], versions, rows: slice) -> np.ndarray:
        """Integral over each period of the gauge, summed over versions."""
        out = np.zeros(len(range(self.periods)[rows]))
        for v in versions:
            if v in table:
                out += table[v].area[rows]
        return out


def period_metrics(
    rec: Recorder, gauges: Gauges, versions, rows: slice, *, merge: bool = False
) -> dict[str, np.ndarray]:
    """CloudWatch-style metrics for the given periods, summed over the given versions.

    With `merge`, the periods count as one window (a gate's measurement interval):
    the result has one row, with percentiles of the pooled latencies.
    """
    n = len(range(rec.periods)[rows])
    counts = _total(rec.counts, versions, rows, (n, len(OUTCOMES)), np.int64)
    sums = _total(rec.sums, versions, rows, (n, 4), np.float64)
    instances = gauges.area(gauges.in_service, versions, rows) / rec.period
    capacity = gauges.area(gauges.workers, versions, rows)
    billed = gauges.area(gauges.billed, versions, rows) / rec.period
    cost = gauges.area(gauges.cost, versions, rows)
    if merge:
        counts, sums = (a.sum(axis=0, keepdims=True) for a in (counts, sums))
        window = max(n, 1)
        instances, billed = np.array([instances.sum()]) / window, np.array([billed.sum()]) / window
        capacity, cost = np.array([capacity.sum()]), np.array([cost.sum()])
    invocations = counts.sum(axis=1).astype(float)
    ok = counts[:, OK].astype(float)
    five_xx = counts[:, [ERROR, FAILED, UNAVAILABLE, TIMED_OUT]].sum(axis=1)
    p50, p95, p99 = _percentiles(rec, versions, rows, merge)
    with np.errstate(divide="ignore", invalid="ignore"):
        latency_mean = np.where(ok > 0, sums[:, 0] / ok, np.nan)
        out = {
            "Invocations": invocations,
            "InvocationsPerInstance": np.where(instances > 0, invocations / instances, np.nan),
            "Invocation4XXErrors": counts[:, REJECTED].astype(float),
            "Invocation5XXErrors": five_xx.astype(float),
            "timed_out": counts[:, TIMED_OUT].astype(float),
            "error_rate": np.where(invocations > 0, five_xx / invocations, np.nan),
            "ModelLatency": latency_mean * 1e6,
            "latency_mean": latency_mean,
            "latency_p50": p50,
            "latency_p95": p95,
            "latency_p99": p99,
            "wait_mean": np.where(ok > 0, sums[:, 1] / ok, np.nan),
            "slo_breaches": sums[:, 3].copy(),  # sums may be the recorder's own rows
            "utilization": np.where(capacity > 0, 100.0 * sums[:, 2] / capacity, np.nan),
            "instances": instances,
            "billed_instances": billed,
            "cost_usd": cost,
        }
    return out


def _percentiles(rec: Recorder, versions, rows: slice, merge: bool) -> np.ndarray:
    """p50, p95 and p99 of each period's latencies (or of all of them pooled, with `merge`).

    The histograms are summed over versions a few hundred periods at a time, so no
    temporary is ever as large as the run's histograms.
    """
    qs = (0.50, 0.95, 0.99)
    span = range(rec.periods)[rows]
    pooled = np.zeros((1, rec.hist.shape[2]), np.int64)
    out = np.empty((len(qs), len(span)))
    for r0 in range(span.start, span.stop, ROWS):
        block = rec.histogram(versions, slice(r0, min(r0 + ROWS, span.stop)))
        if merge:
            pooled += block.sum(axis=0, dtype=np.int64)
        else:
            out[:, r0 - span.start : r0 - span.start + len(block)] = quantiles(
                block, qs, rec.first
            )
    return quantiles(pooled, qs, rec.first) if merge else out


def _total(tables: np.ndarray, versions, rows: slice, shape, dtype) -> np.ndarray:
    """The given rows summed over versions; one version's rows as they are (a view)."""
    if len(versions) == 1:
        return tables[versions[0]][rows]
    out = np.zeros(shape, dtype)
    for v in versions:
        out += tables[v][rows]
    return out
