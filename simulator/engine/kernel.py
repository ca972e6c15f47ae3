"""The request kernel: FCFS multi-worker queues served, and recorded, a span at a time.

Between two control events nothing changes, so a whole span of requests is pushed
through one compiled loop. Each instance is a FCFS queue with `workers` servers: a
request starts on the worker that frees first (the Kiefer-Wolfowitz recursion over the
workers' next-free times), so start times are non-decreasing per instance and the
number waiting at time t is the number of accepted requests whose start is after t;
a ring of those start times per instance answers "is the queue full?" and "how many
are outstanding?" (for least-outstanding-requests routing). The state carries across
spans, so splitting time into spans changes nothing: the result is exact.

A request that ends within the span is recorded there and then (`tally.record`); one
still in the system at the span's end waits in `Pending`, where a later span retires
it or a crash fails it. Nothing per request goes back to Python.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from simulator.engine.jit import compiled
from simulator.engine.recording import tally as rec
from simulator.engine.recording.tally import record

SERVED, REJECTED, UNAVAILABLE, RING_FULL = 0, 1, 2, 3  # what `admit` makes of a request


class Queues(NamedTuple):
    """Every instance slot's queue state (see `Servers`)."""

    free_at: np.ndarray  # float64 [slots, workers]: when each worker frees
    workers: np.ndarray  # int64 [slots]
    qcap: np.ndarray  # int64 [slots]: queue capacity, -1 for none
    tracked: np.ndarray  # bool [slots]: keeps the ring of queued start times
    ring: np.ndarray  # float64 [slots, size]: start times of queued requests
    head: np.ndarray  # int64 [slots]
    length: np.ndarray  # int64 [slots]


class Routes(NamedTuple):
    """The configuration in force: candidates per variant and what each variant adds.

    Variant index len(variants) is "nowhere" (no weight anywhere): no candidate.
    """

    ptr: np.ndarray  # int64 [variants + 2]: variant v's instances are idx[ptr[v]:ptr[v+1]]
    idx: np.ndarray  # int64: instance slots
    least_outstanding: np.ndarray  # bool [variants + 1]
    version: np.ndarray  # int64 [variants + 1]: the recorder's version index
    timeout: np.ndarray  # float64 [variants + 1]
    overhead: np.ndarray  # float64 [variants + 1]: fixed latency added after service


class Span(NamedTuple):
    """A span's requests in arrival order; an empty column means "not drawn"."""

    arrival: np.ndarray
    variant: np.ndarray
    service: np.ndarray
    user: np.ndarray
    error: np.ndarray  # bool, or empty: no variant returns errors
    pick: np.ndarray  # uniform draw choosing among instances, or empty: never a choice
    logged: np.ndarray  # bool, or empty: no request log


class Pending(NamedTuple):
    """Requests in the system at the end of the last span: rows [0, count[0])."""

    arrival: np.ndarray
    start: np.ndarray
    end: np.ndarray
    slot: np.ndarray
    variant: np.ndarray
    user: np.ndarray
    error: np.ndarray
    logged: np.ndarray
    count: np.ndarray  # int64 [1]


@compiled(inline=True)
def _pop_started(i, t, q):
    """Drop queued requests of instance i that have started by time t."""
    size = q.ring.shape[1]
    while q.length[i] > 0 and q.ring[i, q.head[i]] <= t:
        q.head[i] = (q.head[i] + 1) % size
        q.length[i] -= 1


@compiled(inline=True)
def _outstanding(i, t, q):
    busy = 0
    for w in range(q.workers[i]):
        if q.free_at[i, w] > t:
            busy += 1
    _pop_started(i, t, q)
    return busy + q.length[i]


@compiled(inline=True)
def admit(a, v, x, u, routes, q):
    """Route a request of variant v arriving at a, needing x of service, to an instance.

    Returns (instance, start, verdict); the verdict is RING_FULL, with nothing changed,
    when the instance's ring must grow first. `u` is the uniform draw choosing among
    candidates (only read when there is a choice).
    """
    lo = routes.ptr[v]
    m = routes.ptr[v + 1] - lo
    if m == 0:
        return -1, math.nan, UNAVAILABLE
    i = routes.idx[lo]
    if routes.least_outstanding[v] and m > 1:
        best = 1 << 62
        ties = 0
        for j in range(m):
            c = _outstanding(routes.idx[lo + j], a, q)
            if c < best:
                best = c
                ties = 1
            elif c == best:
                ties += 1
        pick = int(u * ties)
        for j in range(m):
            if _outstanding(routes.idx[lo + j], a, q) == best:
                if pick == 0:
                    i = routes.idx[lo + j]
                    break
                pick -= 1
    elif m > 1:
        i = routes.idx[lo + min(int(u * m), m - 1)]
    w_best = 0
    f_best = q.free_at[i, 0]
    for w in range(1, q.workers[i]):
        if q.free_at[i, w] < f_best:
            f_best = q.free_at[i, w]
            w_best = w
    if q.tracked[i]:
        _pop_started(i, a, q)
        if f_best > a:
            if q.qcap[i] >= 0 and q.length[i] >= q.qcap[i]:
                return i, math.nan, REJECTED
            size = q.ring.shape[1]
            if q.length[i] == size:
                return i, math.nan, RING_FULL
            q.ring[i, (q.head[i] + q.length[i]) % size] = f_best
            q.length[i] += 1
    s = max(a, f_best)
    q.free_at[i, w_best] = s + x
    return i, s, SERVED


@compiled(inline=True)
def _finish(tally, routes, v, arrival, start, end, error, user, logged):
    """Record a served request that has ended: timed out, failed (5XX) or ok."""
    if end - arrival > routes.timeout[v]:
        outcome = rec.TIMED_OUT
    elif error:
        outcome = rec.ERROR
    else:
        outcome = rec.OK
    busy = end - start - routes.overhead[v]
    record(tally, routes.version[v], end, arrival, start, outcome, busy, user, logged)


@compiled
def serve(k0, until, span, routes, q, pending, tally):
    """Serve requests k0.. of a span ending at `until`; return the index reached.

    Returns the span's length when done, or the index of a request that found its
    instance's ring full (the caller grows the ring and calls again from there).
    `pending` must have room for every request of the span.
    """
    n = span.arrival.shape[0]
    errors, logs, picks = len(span.error) > 0, len(span.logged) > 0, len(span.pick) > 0
    for k in range(k0, n):
        a = span.arrival[k]
        v = span.variant[k]
        x = span.service[k]
        i, s, verdict = admit(a, v, x, span.pick[k] if picks else 0.0, routes, q)
        if verdict == RING_FULL:
            return k
        logged = logs and span.logged[k]
        if verdict != SERVED:
            outcome = rec.REJECTED if verdict == REJECTED else rec.UNAVAILABLE
            record(tally, routes.version[v], a, a, math.nan, outcome, math.nan, span.user[k],
                   logged)  # fmt: skip
            continue
        end = s + x + routes.overhead[v]
        error = errors and span.error[k]
        if end <= until:
            _finish(tally, routes, v, a, s, end, error, span.user[k], logged)
        else:
            j = pending.count[0]
            pending.arrival[j], pending.start[j], pending.end[j] = a, s, end
            pending.slot[j], pending.variant[j], pending.user[j] = i, v, span.user[k]
            pending.error[j], pending.logged[j] = error, logged
            pending.count[0] = j + 1
    return n


@compiled
def retire(until, pending, routes, tally):
    """Record the pending requests that have ended by `until`; keep the rest, in order."""
    kept = 0
    for j in range(pending.count[0]):
        if pending.end[j] <= until:
            _finish(tally, routes, pending.variant[j], pending.arrival[j], pending.start[j],
                    pending.end[j], pending.error[j], pending.user[j],
                    pending.logged[j])  # fmt: skip
        else:
            _move(pending, j, kept)
            kept += 1
    pending.count[0] = kept


@compiled
def fail(down, t, pending, routes, tally):
    """Every pending request on a slot marked `down` fails at time t; returns how many."""
    kept = 0
    failed = 0
    for j in range(pending.count[0]):
        if down[pending.slot[j]]:
            start = pending.start[j] if pending.start[j] <= t else math.nan
            v = pending.variant[j]
            record(tally, routes.version[v], t, pending.arrival[j], start, rec.FAILED,
                   t - start, pending.user[j], pending.logged[j])  # fmt: skip
            failed += 1
        else:
            _move(pending, j, kept)
            kept += 1
    pending.count[0] = kept
    return failed


@compiled(inline=True)
def _move(pending, j, to):
    if j != to:
        pending.arrival[to], pending.start[to], pending.end[to] = (
            pending.arrival[j], pending.start[j], pending.end[j])
        pending.slot[to], pending.variant[to], pending.user[to] = (
            pending.slot[j], pending.variant[j], pending.user[j])
        pending.error[to], pending.logged[to] = pending.error[j], pending.logged[j]


class Servers:
    """Kernel state of every instance slot ever created; slots are never reused."""

    def __init__(self) -> None:
        self.n = 0
        self.free_at = np.zeros((8, 1))
        self.workers = np.zeros(8, dtype=np.int64)
        self.qcap = np.full(8, -1, dtype=np.int64)
        self.tracked = np.zeros(8, dtype=np.bool_)
        self.ring = np.zeros((8, 4))
        self.head = np.zeros(8, dtype=np.int64)
        self.length = np.zeros(8, dtype=np.int64)

    def add(self, workers: int, queue_capacity: int | None, track: bool) -> int:
        """A new instance slot; returns its index."""
        if self.n == len(self.workers):
            self._grow_slots()
        if workers > self.free_at.shape[1]:
            self.free_at = _widen(self.free_at, workers, 0.0)
        cap = -1 if queue_capacity is None else queue_capacity
        if cap + 1 > self.ring.shape[1]:
            self._regrow_ring(cap + 1)
        i = self.n
        self.workers[i], self.qcap[i], self.tracked[i] = workers, cap, track or cap >= 0
        self.n += 1
        return i

    def reset(self, i: int, t: float) -> None:
        """Instance i starts afresh at time t: idle workers, empty queue."""
        self.free_at[i, :] = t
        self.head[i] = self.length[i] = 0

    def queues(self) -> Queues:
        """The state as the compiled loops take it (the arrays themselves, not copies)."""
        return Queues(self.free_at, self.workers, self.qcap, self.tracked, self.ring,
                      self.head, self.length)  # fmt: skip

    def grow_ring(self) -> None:
        """Twice the room for queued start times (after `admit` found a ring full)."""
        self._regrow_ring(2 * self.ring.shape[1])

    def _grow_slots(self) -> None:
        grow = len(self.workers)
        self.free_at = np.vstack([self.free_at, np.zeros_like(self.free_at)])
        self.workers = np.concatenate([self.workers, np.zeros(grow, dtype=np.int64)])
        self.qcap = np.concatenate([self.qcap, np.full(grow, -1, dtype=np.int64)])
        self.tracked = np.concatenate([self.tracked, np.zeros(grow, dtype=np.bool_)])
        self.ring = np.vstack([self.ring, np.zeros_like(self.ring)])
        self.head = np.concatenate([self.head, np.zeros(grow, dtype=np.int64)])
        self.length = np.concatenate([self.length, np.zeros(grow, dtype=np.int64)])

    def _regrow_ring(self, size: int) -> None:
        """A wider ring, each instance's queue unrolled to start at position 0."""
        old, width = self.ring, self.ring.shape[1]
        ring = np.zeros((old.shape[0], size))
        for i in range(self.n):
            idx = (self.head[i] + np.arange(self.length[i])) % width
            ring[i, : self.length[i]] = old[i, idx]
        self.ring, self.head[:] = ring, 0


def _widen(a: np.ndarray, columns: int, fill: float) -> np.ndarray:
    out = np.full((a.shape[0], columns), fill)
    out[:, : a.shape[1]] = a
    return out
