"""The data plane: requests generated, routed, served and recorded a span at a time.

The control plane calls `advance_to(t)` before it changes anything (weights,
instances, failures), so each span is served under one fixed configuration. Python
draws a span's random numbers and the compiled kernel does the rest per request:
queueing, the outcome and its recording. Requests still in the system at the end of a
span stay pending (a few arrays no longer than the number in the system) so a later
crash can fail them.
"""

from __future__ import annotations

import numpy as np

from simulator.engine import kernel
from simulator.engine.fleet import Variant
from simulator.engine.kernel import Pending, Routes, Servers, Span
from simulator.engine.recording.recorder import Recorder
from simulator.sampling.traffic import ArrivalProcess, draw_users

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_CHUNK = 50_000
_SPAN_MOST = 4 * _CHUNK
"""Most arrivals served in one sub-span: a flash crowd is cut at this count, so the
working arrays (about 100 bytes a request, 20 MB here) never scale with a burst."""
_NONE = np.zeros(0, dtype=np.bool_)  # a column not drawn
_NO_DRAW = np.zeros(0)


class DataPlane:
    """Everything between an arrival and its outcome, for all variants."""

    def __init__(
        self,
        arrivals: ArrivalProcess,
        users: int,
        streams: dict[str, np.random.Generator],
        recorder: Recorder,
        request_log: float = 0.0,
    ) -> None:
        self.arrivals, self.users, self.rng, self.recorder = arrivals, users, streams, recorder
        self.servers = Servers()
        self.variants: list[Variant] = []
        self.now = 0.0
        self.sticky = False  # a user always reaches the same variant (A/B tests, phases)
        self.by_instance = False  # traffic in proportion to serving instances (Kubernetes)
        self.mirror: tuple[Variant, float] | None = None  # shadow copies: target, share
        self.requests = 0
        self.pending = _pending(64)
        self.log_share = request_log
        self._routes: tuple | None = None
        self._choice = False

    # ------------------------------------------------------------ topology

    def add_variant(self, variant: Variant) -> int:
        """Register a variant; its index is what the kernel sees."""
        self.variants.append(variant)
        self.recorder.version_index(variant.version, variant.is_release, variant.shadow)
        self.changed()
        return len(self.variants) - 1

    def changed(self) -> None:
        """Weights or serving instances changed: rebuild the routing tables lazily."""
        self._routes = None

    def weights(self) -> np.ndarray:
        """Each variant's routing weight now (shadow variants only receive copies)."""
        return np.array(
            [0.0 if v.shadow else v.weight * (len(v.serving) if self.by_instance else 1.0)
             for v in self.variants]
        )  # fmt: skip

    def _routing(self) -> tuple[np.ndarray, bool, Routes]:
        """(cumulative weights, whether any is positive, the kernel's routes)."""
        if self._routes is None:
            weights = self.weights()
            total = weights.sum()
            cum = np.cumsum(weights / total) if total > 0 else np.zeros(len(weights))
            members = [[i.slot for i in v.serving] for v in self.variants]
            ptr = np.zeros(len(members) + 2, dtype=np.int64)  # the last entry: nowhere
            ptr[1:-1] = np.cumsum([len(m) for m in members])
            ptr[-1] = ptr[-2]
            routes = Routes(
                ptr=ptr,
                idx=np.array([s for m in members for s in m], dtype=np.int64),
                least_outstanding=np.array(
                    [v.spec.routing == "least_outstanding" for v in self.variants] + [False]
                ),
                version=np.array(
                    [self.recorder.versions.index(v.version) for v in self.variants] + [0],
                    dtype=np.int64,
                ),
                timeout=np.array([v.spec.timeout for v in self.variants] + [np.inf]),
                overhead=np.array([v.spec.overhead + v.network_s for v in self.variants] + [0.0]),
            )
            self._routes = (cum, total > 0, routes)
            self._choice = bool(np.any(np.diff(ptr) > 1))  # a variant has 2+ instances
        return self._routes

    def unavailable_share(self) -> float:
        """Share of traffic sent to variants with no serving instance (downtime)."""
        cum, any_weight, routes = self._routing()
        if not any_weight:
            return 1.0
        shares = np.diff(np.concatenate([[0.0], cum]))
        empty = (routes.ptr[1:-1] - routes.ptr[:-2]) == 0
        return float(shares[empty].sum())

    # ------------------------------------------------------------ time

    def advance_to(self, t: float) -> None:
        """Serve every request arriving in [now, t) under the current configuration."""
        if t <= self.now:
            return
        self._retire(t)
        while self.now < t:
            # Sub-spans of about _CHUNK requests keep the arrays in cache; state carries over.
            step = _CHUNK / max(self.arrivals.mean_rate, 1e-9)
            arrival, t1 = self.arrivals.arrivals_capped(
                self.now, min(t, self.now + step), _SPAN_MOST
            )
            self.requests += len(arrival)
            if len(arrival):
                self._serve(arrival, t1)
            self.now = t1
            self._retire(t1)

    def _serve(self, arrival: np.ndarray, t: float) -> None:
        """Draw what the span needs, then serve and record it in one compiled pass.

        A stream is drawn from only where its numbers are used: the variant when two or
        more share the traffic, the instance when a variant has a choice of them, the
        error flag for a variant that returns errors, the log flag with a request log.
        Users are drawn for every arrival, so the same arrival is the same user whatever
        the strategy (common random numbers for the users a release hurts).
        """
        n = len(arrival)
        rng = self.rng
        user = draw_users(rng["users"], n, self.users)
        variant, only = self._route(user)
        if self.mirror is not None:
            arrival, variant, user = self._with_copies(arrival, variant, user)
            n, only = len(arrival), None
        service, error = self._draw_service(variant, n, only)
        routes = self._routing()[2]
        pick = rng["route"].random(n) if self._choice else _NO_DRAW
        logged = rng["log"].random(n) < self.log_share if self.log_share > 0 else _NONE
        span = Span(arrival, variant, service, user, error, pick, logged)
        self._reserve(n)
        tally = self.recorder.open(n, log=len(logged) > 0)
        k = 0
        while (k := kernel.serve(k, t, span, routes, self.servers.queues(), self.pending,
                                 tally)) < n:  # fmt: skip
            self.servers.grow_ring()
        self.recorder.close(tally)

    def _route(self, user: np.ndarray) -> tuple[np.ndarray, int | None]:
        """Each arrival's variant, and the one variant every arrival goes to, if any.

        By weight: a draw, or the user's hash when sticky.
        """
        cum, any_weight, _ = self._routing()
        n = len(user)
        if not any_weight:  # nowhere: unavailable
            return np.full(n, len(self.variants), dtype=np.int64), len(self.variants)
        shares = np.diff(cum, prepend=0.0)
        if np.count_nonzero(shares) == 1:
            only = int(np.flatnonzero(shares)[0])
            return np.full(n, only, dtype=np.int64), only
        u = _user_hash(user) if self.sticky else self.rng["route"].random(n)
        variant = np.minimum(np.searchsorted(cum, u * cum[-1], side="right"), len(cum) - 1)
        return variant, None

    def _draw_service(
        self, variant: np.ndarray, n: int, only: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Service times, and error flags (empty if no variant returns errors), per variant."""
        if only is None:
            present = _present(variant, len(self.variants))
        else:  # every arrival goes to one variant, or nowhere (which draws nothing)
            present = [only] if only < len(self.variants) else []
        errors = any(self.variants[v].error_rate > 0 for v in present)
        if only is not None and present:
            v = self.variants[only]
            service = v.service.sample(self.rng["service"], n)
            error = self.rng["errors"].random(n) < v.error_rate if errors else _NONE
            return service, error
        service = np.zeros(n)
        error = np.zeros(n, dtype=bool) if errors else _NONE
        for v in present:
            mine = variant == v
            count = int(np.count_nonzero(mine))
            service[mine] = self.variants[v].service.sample(self.rng["service"], count)
            if self.variants[v].error_rate > 0:
                error[mine] = self.rng["errors"].random(count) < self.variants[v].error_rate
        return service, error

    def _with_copies(self, arrival, variant, user):
        """Add a shadow copy after each sampled request (the router mirrors it)."""
        target, share = self.mirror
        copied = np.flatnonzero(self.rng["route"].random(len(arrival)) < share)
        if len(copied) == 0:
            return arrival, variant, user
        rows = np.concatenate([np.arange(len(arrival)), copied])
        order = np.argsort(rows, kind="stable")  # each copy right behind its original
        copy_variant = np.full(len(copied), self.variants.index(target), dtype=np.int64)
        variant = np.concatenate([variant, copy_variant])[order]
        return arrival[rows[order]], variant, user[rows[order]]

    def _reserve(self, extra: int) -> None:
        """Room for `extra` more pending requests (the pending rows move to larger arrays)."""
        p, count = self.pending, int(self.pending.count[0])
        if count + extra > len(p.end):
            grown = _pending(max(2 * len(p.end), count + extra))
            for old, new in zip(p[:-1], grown[:-1], strict=True):
                new[:count] = old[:count]
            grown.count[0] = count
            self.pending = grown

    def _retire(self, t: float) -> None:
        """Record the pending requests that ended by t."""
        count = int(self.pending.count[0])
        if count:
            tally = self.recorder.open(count, log=self.log_share > 0)
            kernel.retire(t, self.pending, self._routing()[2], tally)
            self.recorder.close(tally)

    def fail_slots(self, slots: list[int], t: float) -> int:
        """Every request in service or queued on these instances fails at time t."""
        count = int(self.pending.count[0])
        if not count:
            return 0
        down = np.zeros(self.servers.n, dtype=np.bool_)
        down[slots] = True
        tally = self.recorder.open(count, log=self.log_share > 0)
        failed = kernel.fail(down, t, self.pending, self._routing()[2], tally)
        self.recorder.close(tally)
        return int(failed)

    @property
    def in_system(self) -> int:
        """Users' requests waiting or in service now (shadow copies are not users')."""
        shadow = np.array([v.shadow for v in self.variants] + [False])
        variant = self.pending.variant[: self.pending.count[0]]
        return int(np.count_nonzero(~shadow[variant]))


def _present(index: np.ndarray, limit: int) -> np.ndarray:
    """The distinct values below `limit` in an array of small non-negative integers."""
    return np.flatnonzero(np.bincount(index, minlength=limit)[:limit])


def _pending(capacity: int) -> Pending:
    """Empty pending arrays with room for `capacity` requests."""
    floats = (np.empty(capacity) for _ in range(3))
    ints = (np.empty(capacity, dtype=np.int64) for _ in range(3))
    flags = (np.empty(capacity, dtype=np.bool_) for _ in range(2))
    return Pending(*floats, *ints, *flags, np.zeros(1, dtype=np.int64))


def _user_hash(user: np.ndarray) -> np.ndarray:
    """A fixed uniform number per user, so a user always sees the same variant."""
    with np.errstate(over="ignore"):
        mixed = (user.astype(np.uint64) + np.uint64(1)) * _GOLDEN
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)
