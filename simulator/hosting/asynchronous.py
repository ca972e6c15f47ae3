"""An asynchronous endpoint played out: one queue for the fleet, scaled on its backlog.

Every request joins the endpoint's queue and is taken, first come first served, by the
first of the fleet's worker slots to free (instances x MaxConcurrentInvocationsPerInstance):
an M/G/c queue while the fleet holds still. Within a metric period nothing but the
slots' free times changes, so a request starts at max(arrival, earliest free slot); one
that would start after the period ends stays queued, and the next period, perhaps with
more or fewer instances, takes it up. That keeps the queue exact across scaling.

At each period's end the backlog (requests arrived and not started) is the metric
ApproximateBacklogSize; per instance it drives target tracking as Application Auto
Scaling does (scale out after `scale_out_datapoints` periods above the target, in after
`scale_in_datapoints` below 90% of it, with cooldowns), down to `min_instances`, zero
allowed. With no instance the metric is the whole backlog, so without the
HasBacklogWithoutCapacity step policy the fleet only wakes once the backlog passes the
target, as the developer guide warns (docs/reference/hosting.md#asynchronous-inference).
Scale-in removes the instances that free first; one still busy finishes what it started
and is billed until then. A new instance serves after the catalog's start-up time and is
billed from launch.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.engine.events import EventKind
from simulator.engine.result import Result, posture_summary
from simulator.hosting.common import Trail, fleet_variant, latency_ms, streams
from simulator.scenario import Scenario
from simulator.scenario.hosting import Asynchronous

SCALE_IN_RATIO = 0.9
"""Target tracking scales in below 90% of the target, as for real-time variants."""


@dataclass
class _Instance:
    launched: float
    ready: float
    removed: float = math.inf
    busy_until: float = 0.0


class Endpoint:
    """The queue, the worker slots and the instances behind them."""

    def __init__(self, sc: Scenario, seed: int) -> None:
        self.sc, self.spec = sc, sc.hosting
        spec: Asynchronous = sc.hosting
        rng = streams(seed)
        self.variant = fleet_variant(sc)
        self.slots = spec.max_concurrent_invocations_per_instance or self.variant.workers
        self.arrival = sc.traffic.build(rng["traffic"]).arrivals(0.0, sc.duration)
        n = self.arrival.size
        self.work = self.variant.service.sample(rng["service"], n) + sc.fleet.overhead
        self.error = rng["errors"].random(n) < self.variant.error_rate
        self.start = np.full(n, np.nan)
        self.end = np.full(n, np.nan)
        self.expired = np.zeros(n, dtype=bool)
        self.head = 0  # first request not yet started or expired
        self.free: list[tuple[float, int, int]] = []  # (free at, slot id, instance id)
        self.instances: list[_Instance] = []
        self.trail = Trail()
        self._slot_ids = 0

    # ------------------------------------------------------------ the fleet

    @property
    def live(self) -> list[int]:
        """Instances launched and not removed (provisioning ones included)."""
        return [i for i, inst in enumerate(self.instances) if inst.removed == math.inf]

    def launch(self, count: int, t: float, *, ready: bool = False) -> None:
        """Start `count` instances at t; they serve after the fleet's start-up time."""
        at = t if ready else t + self.variant.provisioning_s
        for _ in range(count):
            self.instances.append(_Instance(launched=t, ready=at, busy_until=at))
            for _ in range(self.slots):
                heapq.heappush(self.free, (at, self._slot_ids, len(self.instances) - 1))
                self._slot_ids += 1

    def remove(self, count: int, t: float) -> None:
        """Remove the `count` live instances that free first; busy ones finish what they began."""
        order = sorted(self.live, key=lambda i: (self.instances[i].busy_until, -i))
        for i in order[:count]:
            self.instances[i].removed = t
        gone = set(order[:count])
        self.free = [entry for entry in self.free if entry[2] not in gone]
        heapq.heapify(self.free)

    # ------------------------------------------------------------ the queue

    def serve_until(self, t: float) -> None:
        """Start every queued request that a slot takes before t; expire those past their TTL."""
        spec, arrival, free = self.spec, self.arrival, self.free
        n = arrival.size
        while self.head < n and arrival[self.head] < t:
            j = self.head
            if not free:
                break
            at = max(arrival[j], free[0][0])
            if at - arrival[j] > spec.request_ttl:
                self.expired[j], self.end[j] = True, arrival[j] + spec.request_ttl
                self.head += 1
                continue
            if at >= t:
                break
            busy = min(self.work[j], spec.invocation_timeout)
            self.start[j], self.end[j] = at, at + busy
            _, slot, inst = heapq.heapreplace(free, (at + busy, free[0][1], free[0][2]))
            self.instances[inst].busy_until = max(self.instances[inst].busy_until, at + busy)
            self.head += 1
        while self.head < n and arrival[self.head] + spec.request_ttl <= t:
            j = self.head  # waited its whole TTL without a slot (an empty fleet, say)
            self.expired[j], self.end[j] = True, arrival[j] + spec.request_ttl
            self.head += 1

    def backlog(self, t: float) -> int:
        """Requests arrived by t and not yet started: ApproximateBacklogSize."""
        return int(np.searchsorted(self.arrival, t, side="right")) - self.head


def run(sc: Scenario, seed: int) -> Result:
    """Play the endpoint: requests come for the scenario's duration, the fleet runs `drain` more."""
    ep = Endpoint(sc, seed)
    spec: Asynchronous = sc.hosting
    period = sc.monitoring.period
    horizon = sc.duration + spec.drain
    periods = max(1, math.ceil(horizon / period - 1e-9))
    initial = spec.initial_instances
    ep.launch(sc.fleet.instances if initial is None else initial, 0.0, ready=True)
    high = low = 0
    last_out = last_in = -math.inf
    rows = []
    for p in range(periods):
        t = min((p + 1) * period, horizon)
        ep.serve_until(t)
        backlog, n = ep.backlog(t), len(ep.live)
        metric = backlog / n if n else float(backlog)
        rows.append((p, p * period, backlog, metric, n))
        high = high + 1 if metric > spec.target_backlog_per_instance else 0
        low = low + 1 if metric < SCALE_IN_RATIO * spec.target_backlog_per_instance else 0
        desired = math.ceil(backlog / spec.target_backlog_per_instance - 1e-9)
        name = sc.fleet.version
        if n == 0 and backlog > 0 and spec.scale_from_zero:
            ep.trail.add(t, EventKind.SCALE_OUT, f"{name}: 0 -> 1 (HasBacklogWithoutCapacity)",
                         variant=name, count=1, value=float(backlog))  # fmt: skip
            ep.launch(1, t)
            last_out, high = t, 0
        elif high >= spec.scale_out_datapoints and t - last_out >= spec.scale_out_cooldown:
            target = min(spec.max_instances, max(desired, n + 1))
            if target > n:
                ep.trail.add(t, EventKind.SCALE_OUT, f"{name}: {n} -> {target} "
                             f"(backlog {metric:.1f} per instance)",
                             variant=name, count=target, value=metric)  # fmt: skip
                ep.launch(target - n, t)
                last_out, high = t, 0
        elif (low >= spec.scale_in_datapoints
              and t - max(last_in, last_out) >= spec.scale_in_cooldown):  # fmt: skip
            target = max(spec.min_instances, desired)
            if target < n:
                ep.trail.add(t, EventKind.SCALE_IN, f"{name}: {n} -> {target} "
                             f"(backlog {metric:.1f} per instance)",
                             variant=name, count=target, value=metric)  # fmt: skip
                ep.remove(n - target, t)
                last_in, low = t, 0
    return _result(sc, seed, ep, rows)


def _result(sc: Scenario, seed: int, ep: Endpoint, rows: list[tuple]) -> Result:
    spec = ep.spec
    horizon = sc.duration + spec.drain
    started = ~np.isnan(ep.start)
    ok = started & ~ep.error & (ep.work <= spec.invocation_timeout)
    timed_out = started & (ep.work > spec.invocation_timeout) & (ep.end <= horizon)
    errors = (started & ep.error & ~timed_out & (ep.end <= horizon)) | ep.expired
    after_warmup = ep.arrival >= sc.warmup
    done = ok & (ep.end <= horizon)
    billed = [min(max(i.removed, i.busy_until) if i.removed < math.inf else horizon, horizon)
              - i.launched for i in ep.instances]  # fmt: skip
    instance_s = float(sum(max(b, 0.0) for b in billed))
    zero_s = _time_without_instances(ep, horizon)
    n = ep.arrival.size
    summary = {
        "scenario": sc.name, "strategy": "none", "seed": seed, "hosting": "async",
        "requests": n, "completed": int(done.sum()),
        "errors": int(errors.sum()), "rejected": 0, "timed_out": int(timed_out.sum()),
        "in_flight": n - int(done.sum() + errors.sum() + timed_out.sum()),
        "expired": int(ep.expired.sum()),
        "latency_ms": latency_ms((ep.end - ep.arrival)[done & after_warmup]),
        "wait_ms": latency_ms((ep.start - ep.arrival)[done & after_warmup]),
        "availability": float(done.sum() / n) if n else None,
        "last_completion_s": float(ep.end[done].max()) if done.any() else None,
        "instance_hours": instance_s / 3600.0,
        "cost_usd": instance_s / 3600.0 * ep.variant.price_per_hour,
        "zero_instance_s": zero_s,
        "outcome": "steady",
        **posture_summary(sc.security, n, horizon),
    }  # fmt: skip
    summary["cost_usd"] += summary["security_cost_usd"] or 0.0
    return Result(summary=summary, metrics=_metrics(sc, ep, rows), events=ep.trail.frame())


def _time_without_instances(ep: Endpoint, horizon: float) -> float:
    """Seconds of the run with no instance launched and not yet removed."""
    changes = sorted([(i.launched, 1) for i in ep.instances]
                     + [(i.removed, -1) for i in ep.instances if i.removed < horizon])  # fmt: skip
    count, last, zero = 0, 0.0, 0.0
    for t, step in changes:
        if count == 0:
            zero += t - last
        count, last = count + step, t
    return zero + (horizon - last if count == 0 else 0.0)


def _metrics(sc: Scenario, ep: Endpoint, rows: list[tuple]) -> pd.DataFrame:
    """Per period: arrivals, completions, the backlog and instances the autoscaler saw, latency."""
    period = sc.monitoring.period
    columns = ["period", "time_s", "ApproximateBacklogSize", "ApproximateBacklogSizePerInstance",
               "instances"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    count = len(rows)
    arrived = np.bincount(np.minimum((ep.arrival // period).astype(np.int64), count - 1),
                          minlength=count)  # fmt: skip
    horizon = sc.duration + ep.spec.drain
    finished = ~np.isnan(ep.end) & ~ep.expired & ~ep.error & (ep.end <= horizon)
    index = np.minimum((ep.end[finished] // period).astype(np.int64), count - 1)
    latency = (ep.end - ep.arrival)[finished]
    frame["Invocations"] = arrived
    frame["completed"] = np.bincount(index, minlength=count)
    per = pd.Series(latency).groupby(index)
    frame["latency_p50_ms"] = per.quantile(0.5).reindex(range(count)).to_numpy() * 1e3
    frame["latency_p99_ms"] = per.quantile(0.99).reindex(range(count)).to_numpy() * 1e3
    frame.insert(2, "version", sc.fleet.version)
    return frame
