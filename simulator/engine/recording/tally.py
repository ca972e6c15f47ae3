"""Recording one finished request, compiled, so the request kernel records as it serves.

A `Tally` is the recorder's arrays as the compiled code sees them (built by
`Recorder.open` for one call and taken back by `Recorder.close`): the per-version,
per-period tables it adds to, the run-wide statistics, and scratch space for what
only Python finishes (ids of the users a release hurt, histogram bins outside the
range kept so far, rows of the sampled request log). `record` is the one definition of
where a request counts; the data plane's kernel and `Recorder.record` both call it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from simulator.engine.jit import compiled
from simulator.engine.recording.histogram import bin_of

OK, ERROR, FAILED, UNAVAILABLE, TIMED_OUT, REJECTED = range(6)
OUTCOMES = ("ok", "error", "failed", "unavailable", "timed_out", "rejected")
HURT, OUTSIDE, LOGGED = range(3)  # the cursors' slots: rows written to each scratch array


class Tally(NamedTuple):
    """The recorder's arrays for one compiled call (see `Recorder` for what each holds)."""

    period: float
    warmup: float
    slo: float
    counts: np.ndarray  # int64 [versions, periods, outcomes]
    sums: np.ndarray  # float64 [versions, periods, (latency, wait, busy, slow)]
    hist: np.ndarray  # int32 [versions, periods, bins kept], bin `first` in column 0
    first: int
    release: np.ndarray  # bool [versions]: a release users see, whose harm is counted
    shadow: np.ndarray  # bool [versions]: mirrored copies, outside the run-wide figures
    run_hist: np.ndarray  # int64 [2, BINS]: latency and wait after warm-up, ok requests
    run_sums: np.ndarray  # float64 [4]: latency, wait, ok count after warm-up; sojourn
    cursors: np.ndarray  # int64 [3]: rows written to hurt, outside and the log
    hurt: np.ndarray  # int64 [rows]: the user of each request the release hurt
    outside: np.ndarray  # int64 [rows, 3]: (version, period, bin) beyond the kept range
    log_times: np.ndarray  # float64 [rows or 0, 3]: arrival, start, end of logged requests
    log_codes: np.ndarray  # int64 [rows or 0, 3]: version, outcome, user of logged requests


@compiled(inline=True)
def record(t, v, end, arrival, start, outcome, busy, user, logged):
    """Account one finished request of version v (start and busy NaN if never served).

    It counts in the period it ends in; its busy time in every period it spans, so a
    worker busy for 90 s across two 60 s periods counts in both (time past the run's end
    counts in its last period).
    """
    last = t.counts.shape[1] - 1
    p = min(int(math.floor(end / t.period)), last)
    latency = end - arrival
    wait = start - arrival
    t.counts[v, p, outcome] += 1
    served = not math.isnan(busy)
    b = bin_of(latency) if outcome == OK else 0
    if outcome == OK:
        t.sums[v, p, 0] += latency
        t.sums[v, p, 1] += wait
        column = b - t.first
        if 0 <= column < t.hist.shape[2]:
            t.hist[v, p, column] += 1
        else:
            k = t.cursors[OUTSIDE]
            t.outside[k, 0], t.outside[k, 1], t.outside[k, 2] = v, p, b
            t.cursors[OUTSIDE] = k + 1
    if served:
        _add_busy(t.sums, v, start, busy, t.period, last)
    slow = served and latency > t.slo
    if slow:
        t.sums[v, p, 3] += 1
    if t.release[v] and not t.shadow[v] and (slow or (outcome != OK and outcome != REJECTED)):
        t.hurt[t.cursors[HURT]] = user
        t.cursors[HURT] += 1
    if not t.shadow[v]:
        if outcome != REJECTED and outcome != UNAVAILABLE:
            t.run_sums[3] += latency
        if outcome == OK and arrival >= t.warmup:
            t.run_hist[0, b] += 1
            t.run_hist[1, bin_of(wait)] += 1
            t.run_sums[0] += latency
            t.run_sums[1] += wait
            t.run_sums[2] += 1.0
    if logged:
        k = t.cursors[LOGGED]
        t.log_times[k, 0], t.log_times[k, 1], t.log_times[k, 2] = arrival, start, end
        t.log_codes[k, 0], t.log_codes[k, 1], t.log_codes[k, 2] = v, outcome, user
        t.cursors[LOGGED] = k + 1


@compiled(inline=True)
def _add_busy(sums, v, start, busy, period, last):
    """Busy seconds of [start, start + busy) into each period it spans."""
    first = min(int(math.floor(start / period)), last)
    end = start + busy
    final = min(max(int(math.ceil(end / period)) - 1, first), last)
    if final == first:
        sums[v, first, 2] += busy
        return
    for q in range(first, final + 1):
        lo = max(q * period, start)
        hi = end if q == final else min((q + 1) * period, end)
        sums[v, q, 2] += max(hi - lo, 0.0)


@compiled
def record_rows(t, version, end, arrival, start, outcome, busy, user, logged):
    """`record` for each row of equal-length arrays (`logged` may be empty: none logged)."""
    keep_log = len(logged) > 0
    for k in range(len(end)):
        record(t, version[k], end[k], arrival[k], start[k], outcome[k], busy[k], user[k],
               keep_log and logged[k])  # fmt: skip
