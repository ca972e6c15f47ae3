"""The data plane: requests generated, routed, served and accounted a span at a time.

The control plane calls `advance_to(t)` before it changes anything (weights,
instances, failures), so each span is served under one fixed configuration.
Requests still in the system at the end of a span stay `pending` (a few arrays no
longer than the number in the system) so a later crash can fail them; everything
else is handed to the recorder at once.
"""

from __future__ import annotations

import numpy as np

from simulator.engine.fleet import Variant
from simulator.engine.kernel import REJECTED as K_REJECTED
from simulator.engine.kernel import Servers
from simulator.engine.recording.recorder import (
    ERROR,
    FAILED,
    OK,
    REJECTED,
    TIMED_OUT,
    UNAVAILABLE,
    Recorder,
)
from simulator.sampling.traffic import ArrivalProcess, draw_users

_FIELDS = ("arrival", "start", "end", "slot", "variant", "error", "user")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_CHUNK = 50_000
_SPAN_MOST = 4 * _CHUNK
"""Most arrivals served in one sub-span: a flash crowd is cut at this count, so the
working arrays (about 300 bytes a request, 60 MB here) never scale with a burst."""


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
        self.pending = {f: np.empty(0, dtype=_dtype(f)) for f in _FIELDS}
        self.log_share = request_log
        self.log_chunks: list[dict[str, np.ndarray]] = []
        self._routes: tuple | None = None
        self._unrecorded: list[tuple[np.ndarray, ...]] = []
        self._unrecorded_n = 0

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

    def _routing(self):
        if self._routes is None:
            weights = self.weights()
            total = weights.sum()
            cum = np.cumsum(weights / total) if total > 0 else np.zeros(len(weights))
            members = [[i.slot for i in v.serving] for v in self.variants]
            ptr = np.zeros(len(members) + 2, dtype=np.int64)  # the last entry: nowhere
            ptr[1:-1] = np.cumsum([len(m) for m in members])
            ptr[-1] = ptr[-2]
            idx = np.array([s for m in members for s in m], dtype=np.int64)
            lor = np.array([v.spec.routing == "least_outstanding" for v in self.variants] + [False])
            self._routes = (cum, total > 0, ptr, idx, lor)
        return self._routes

    def unavailable_share(self) -> float:
        """Share of traffic sent to variants with no serving instance (downtime)."""
        cum, any_weight, ptr, _, _ = self._routing()
        if not any_weight:
            return 1.0
        shares = np.diff(np.concatenate([[0.0], cum]))
        empty = (ptr[1:-1] - ptr[:-2]) == 0
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
        n = len(arrival)
        rng = self.rng
        user = draw_users(rng["users"], n, self.users)
        cum, any_weight, ptr, idx, lor = self._routing()
        if not any_weight:
            variant = np.full(n, len(self.variants), dtype=np.int64)
        else:
            u = _user_hash(user) if self.sticky else rng["route"].random(n)
            variant = np.minimum(np.searchsorted(cum, u * cum[-1], side="right"), len(cum) - 1)
        if self.mirror is not None:
            arrival, variant, user = self._with_copies(arrival, variant, user)
            n = len(arrival)
        service = np.zeros(n)
        error = np.zeros(n, dtype=bool)
        for v in _present(variant, len(self.variants)):
            mine = variant == v
            count = int(mine.sum())
            service[mine] = self.variants[v].service.sample(rng["service"], count)
            error[mine] = rng["errors"].random(count) < self.variants[v].error_rate
        slot, start, depart, status = self.servers.serve(
            arrival, variant, service, rng["route"].random(n), ptr, idx, lor
        )
        dropped = status != 0
        if dropped.any():
            outcome = np.where(status[dropped] == K_REJECTED, REJECTED, UNAVAILABLE)
            self._finish(variant[dropped], arrival[dropped], arrival[dropped], start[dropped],
                         outcome, user[dropped], start[dropped])  # fmt: skip
        keep = ~dropped
        end = depart[keep] + self._overheads()[variant[keep]]
        new = dict(arrival=arrival[keep], start=start[keep], end=end, slot=slot[keep],
                   variant=variant[keep], error=error[keep], user=user[keep])  # fmt: skip
        late = np.flatnonzero(end > t)
        cut = late[0] if len(late) else len(end)  # everything before `cut` has ended
        tail = late - cut
        self._retire_rows({f: a[:cut] for f, a in new.items()})
        done_tail = np.ones(len(end) - cut, dtype=bool)
        done_tail[tail] = False
        self._retire_rows({f: a[cut:][done_tail] for f, a in new.items()})
        self.pending = {f: np.concatenate([self.pending[f], new[f][late]]) for f in _FIELDS}

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

    def _retire(self, t: float) -> None:
        """Hand requests that ended by t to the recorder."""
        p = self.pending
        done = p["end"] <= t
        if done.any():
            self._retire_rows({f: a[done] for f, a in p.items()})
            self.pending = {f: a[~done] for f, a in p.items()}

    def _retire_rows(self, r: dict[str, np.ndarray]) -> None:
        """Outcome of served requests that have ended: timed out, failed (5XX) or ok."""
        if len(r["end"]) == 0:
            return
        v, arrival, end = r["variant"], r["arrival"], r["end"]
        timeout = np.array([x.spec.timeout for x in self.variants])[v]
        outcome = np.where(end - arrival > timeout, TIMED_OUT, np.where(r["error"], ERROR, OK))
        busy = end - r["start"] - self._overheads()[v]
        self._finish(v, arrival, end, r["start"], outcome, r["user"], busy)

    def fail_slots(self, slots: list[int], t: float) -> int:
        """Every request in service or queued on these instances fails at time t."""
        p = self.pending
        hit = np.isin(p["slot"], slots)
        if hit.any():
            start = np.where(p["start"][hit] <= t, p["start"][hit], np.nan)
            outcome = np.full(int(hit.sum()), FAILED)
            self._finish(p["variant"][hit], p["arrival"][hit], np.full(len(start), t), start,
                         outcome, p["user"][hit], t - start)  # fmt: skip
            self.pending = {f: a[~hit] for f, a in p.items()}
        return int(hit.sum())

    def _finish(self, variant, arrival, end, start, outcome, user, busy) -> None:
        version = np.array([self.recorder.versions.index(v.version) for v in self.variants] + [0])[
            variant
        ]
        self._unrecorded.append((version, end, arrival, start, outcome, busy, user))
        self._unrecorded_n += len(end)
        if self._unrecorded_n >= _CHUNK:
            self.flush()
        if self.log_share > 0:
            keep = self.rng["log"].random(len(end)) < self.log_share
            self.log_chunks.append(dict(arrival=arrival[keep], start=start[keep], end=end[keep],
                                        version=version[keep], outcome=outcome[keep],
                                        user=user[keep]))  # fmt: skip

    def _overheads(self) -> np.ndarray:
        """Fixed OverheadLatency per variant (and 0 for the 'nowhere' index)."""
        return np.array([v.spec.overhead for v in self.variants] + [0.0])

    def flush(self) -> None:
        """Record finished requests in bulk: fewer, larger numpy calls than one per span."""
        if self._unrecorded:
            columns = zip(*self._unrecorded, strict=True)
            self.recorder.record(*(np.concatenate(c) for c in columns))
            self._unrecorded, self._unrecorded_n = [], 0

    @property
    def in_system(self) -> int:
        """Users' requests waiting or in service now (shadow copies are not users')."""
        shadow = np.array([v.shadow for v in self.variants] + [False])
        return int(np.count_nonzero(~shadow[self.pending["variant"]]))


def _present(index: np.ndarray, limit: int) -> np.ndarray:
    """The distinct values below `limit` in an array of small non-negative integers."""
    return np.flatnonzero(np.bincount(index, minlength=limit)[:limit])


def _dtype(field: str):
    return {"slot": np.int64, "variant": np.int64, "user": np.int64, "error": bool}.get(
        field, float
    )


def _user_hash(user: np.ndarray) -> np.ndarray:
    """A fixed uniform number per user, so a user always sees the same variant."""
    with np.errstate(over="ignore"):
        mixed = (user.astype(np.uint64) + np.uint64(1)) * _GOLDEN
    return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)
