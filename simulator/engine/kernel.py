"""The request kernel: FCFS multi-worker queues served a span of arrivals at a time.

Between two control events nothing changes, so a whole span of requests is pushed
through one compiled loop. Each instance is a FCFS queue with `workers` servers: a
request starts on the worker that frees first (the Kiefer-Wolfowitz recursion over the
workers' next-free times), so start times are non-decreasing per instance and the
number waiting at time t is the number of accepted requests whose start is after t;
a ring of those start times per instance answers "is the queue full?" and "how many
are outstanding?" (for least-outstanding-requests routing). The state carries across
spans, so splitting time into spans changes nothing: the result is exact.

The compiled loop is cached on disk, never in the source tree (numba's default,
`simulator/__pycache__`), so a clean clone stays clean: in `$NUMBA_CACHE_DIR` if the user
set it, else in `$XDG_CACHE_HOME/deploysim/numba` (`~/.cache` by default).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
from numba import njit
from numba.core import config

SERVED, REJECTED, UNAVAILABLE = 0, 1, 2


def _cache_folder() -> str | None:
    """Where the compiled loop is kept, or None to compile it in each process.

    None when the folder cannot be made or written: numba would then fall back to the
    source tree.
    """
    config.reload_config()  # NUMBA_CACHE_DIR may have been set after numba was imported
    folder = config.CACHE_DIR
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):  # unset, or relative, which the XDG spec says to ignore
            base = os.path.expanduser("~/.cache")
        if not os.path.isabs(base):  # no home directory either
            return None
        folder = os.path.join(base, "deploysim", "numba")
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()  # numba's own test that it can write there
    except OSError:
        return None
    return folder


_CACHE = _cache_folder()


def _compiled(func):
    """`njit`, cached in _CACHE; numba reads config.CACHE_DIR once, as it decorates a function.

    The setting is put back at once, so other numba code in the process is left as it was.
    """
    saved, config.CACHE_DIR = config.CACHE_DIR, _CACHE or ""
    try:
        return njit(cache=_CACHE is not None, nogil=True)(func)
    finally:
        config.CACHE_DIR = saved


@_compiled
def _pop_started(i, t, ring, head, length):
    """Drop queued requests of instance i that have started by time t."""
    size = ring.shape[1]
    while length[i] > 0 and ring[i, head[i]] <= t:
        head[i] = (head[i] + 1) % size
        length[i] -= 1


@_compiled
def _outstanding(i, t, free_at, workers, ring, head, length):
    busy = 0
    for w in range(workers[i]):
        if free_at[i, w] > t:
            busy += 1
    _pop_started(i, t, ring, head, length)
    return busy + length[i]


@_compiled
def serve(
    k0, arrival, variant, service, u_route,
    cand_ptr, cand_idx, least_outstanding,
    free_at, workers, qcap, tracked, ring, head, length,
    inst, start, depart, status,
):  # fmt: skip
    """Serve requests k0.. in arrival order; return the index reached.

    Returns len(arrival) when done, or the index of a request that found its
    instance's ring full (the caller grows the ring and calls again from there).
    """
    n = arrival.shape[0]
    size = ring.shape[1]
    for k in range(k0, n):
        a = arrival[k]
        v = variant[k]
        lo = cand_ptr[v]
        m = cand_ptr[v + 1] - lo
        if m == 0:
            status[k] = UNAVAILABLE
            inst[k] = -1
            continue
        i = cand_idx[lo]
        if least_outstanding[v] and m > 1:
            best = 1 << 62
            ties = 0
            for j in range(m):
                c = _outstanding(cand_idx[lo + j], a, free_at, workers, ring, head, length)
                if c < best:
                    best = c
                    ties = 1
                elif c == best:
                    ties += 1
            pick = int(u_route[k] * ties)
            for j in range(m):
                c = _outstanding(cand_idx[lo + j], a, free_at, workers, ring, head, length)
                if c == best:
                    if pick == 0:
                        i = cand_idx[lo + j]
                        break
                    pick -= 1
        elif m > 1:
            i = cand_idx[lo + min(int(u_route[k] * m), m - 1)]
        inst[k] = i
        w_best = 0
        f_best = free_at[i, 0]
        for w in range(1, workers[i]):
            if free_at[i, w] < f_best:
                f_best = free_at[i, w]
                w_best = w
        if tracked[i]:
            _pop_started(i, a, ring, head, length)
            if f_best > a:
                if qcap[i] >= 0 and length[i] >= qcap[i]:
                    status[k] = REJECTED
                    continue
                if length[i] == size:
                    return k
                ring[i, (head[i] + length[i]) % size] = f_best
                length[i] += 1
        s = max(a, f_best)
        start[k] = s
        depart[k] = s + service[k]
        free_at[i, w_best] = depart[k]
        status[k] = SERVED
    return n


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

    def serve(self, arrival, variant, service, u_route, cand_ptr, cand_idx, least_outstanding):
        """Serve a span of requests; returns (instance, start, depart, status) arrays."""
        n = len(arrival)
        inst = np.empty(n, dtype=np.int64)
        start = np.full(n, np.nan)
        depart = np.full(n, np.nan)
        status = np.empty(n, dtype=np.int8)
        k = 0
        while True:
            k = serve(
                k, arrival, variant, service, u_route, cand_ptr, cand_idx, least_outstanding,
                self.free_at, self.workers, self.qcap, self.tracked,
                self.ring, self.head, self.length, inst, start, depart, status,
            )  # fmt: skip
            if k == n:
                return inst, start, depart, status
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
