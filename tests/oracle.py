"""A plain per-request SimPy model of the data plane: the oracle the fast engine must match.

It shares no code with the engine and is written the way the SimPy tutorial writes a
queue, so that it can be checked by reading: one process per request, one
``simpy.Resource`` per instance (its ``workers`` slots and FCFS queue), and crashes that
``interrupt`` the processes of the requests on the crashed instance. Speed is no goal.

Semantics (the engine implements exactly these):

* Requests arrive as a Poisson process at ``rate`` per second on ``[0, duration)`` (or
  at the given ``arrivals`` times). Each picks a variant with probability
  ``weight / sum(weights)`` under the weight schedule in force at its arrival time
  (the last entry whose time is <= the arrival time), as SageMaker production variants do.
* ``random`` routing picks uniformly among that variant's instances that are up;
  ``least_outstanding`` picks the up instance with the fewest outstanding requests (in
  service + waiting), ties broken uniformly at random. If no instance of the variant is
  up, the request is ``unavailable`` at once.
* An instance has ``workers`` parallel servers and one FCFS queue. An arrival that finds
  every worker busy and ``queue_capacity`` requests waiting is ``rejected``
  (``None`` = unlimited queue, ``0`` = loss system).
* A crash ``(time, instance, repair)`` fails every request in service or waiting there
  at ``time`` (outcome ``failed``, ``end`` = crash time). The instance is down on
  ``[time, time + repair)`` and comes back with idle workers and an empty queue. A crash
  of an instance that is already down is ignored (there is nothing left to fail and its
  repair is already scheduled).
* A completed request whose latency ``end - arrival`` exceeds ``timeout`` is
  ``timed_out``; it kept its worker until its service ended (the client gave up, the
  model server did not). Other completed requests are ``ok``.
* The run stops at ``duration``: requests still waiting or in service then are
  ``in_flight``; crashes at or after ``duration`` do not happen.

Several things at the same instant happen in this order: service completions (and the
next requests in line starting), then repairs, then crashes, then arrivals in arrival
order. So an arrival at the instant a request completes sees the freed worker, a request
that completes at the crash instant is ``ok``, an arrival at the repair instant is
served, and a request that completes exactly at ``duration`` is complete. One process
(``outside_world``) plays arrivals, crashes and repairs in that order and lets every
other event of the instant settle before each action, which is what makes the order
exact rather than an accident of SimPy's event ids.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import simpy

OUTCOMES = ("ok", "timed_out", "failed", "rejected", "unavailable", "in_flight")
ROUTINGS = ("random", "least_outstanding")
COLUMNS = ["arrival", "variant", "instance", "start", "end", "wait", "latency", "outcome"]

# Order of the outside world's actions at one instant (after service completions).
_REPAIR, _CRASH, _ARRIVAL = 0, 1, 2


@dataclass
class OracleInstance:
    """One model-serving instance: a variant, ``workers`` servers and a bounded queue."""

    variant: str
    workers: int
    queue_capacity: int | None  # waiting places only; None = unlimited; 0 = loss system


@dataclass
class _Record:
    """What happened to one request; ``instance`` is -1 when it never reached one."""

    arrival: float
    variant: str
    instance: int = -1
    start: float = math.nan
    end: float = math.nan
    outcome: str = "in_flight"


@dataclass
class _Server:
    """Live state of one instance during a run."""

    spec: OracleInstance
    resource: simpy.Resource
    up: bool = True
    outstanding: int = 0  # in service + waiting
    active: dict = field(default_factory=dict)  # request processes in service or waiting


def _sleep_until(env: simpy.Environment, time: float):
    """Sleep until exactly ``time`` (>= now) in floating point.

    SimPy wakes a process at ``now + delay``, and ``now + (time - now)`` can miss ``time``
    by an ulp, which would move a crash or an arrival off the instant it was given for.
    Once ``time / 2 <= now <= time``, ``time - now`` is exact (Sterbenz' lemma) and so is
    the sum; from further back a first hop lands in that range.
    """
    if env.now < time / 2:
        yield env.timeout(0.75 * time - env.now)
    yield env.timeout(time - env.now)


def _settle(env: simpy.Environment):
    """Wait until every other event scheduled for the current instant has been processed."""
    while env.peek() == env.now:
        yield env.timeout(0)


def _validate(duration, rate, instances, weights, service, routing, crashes, timeout, arrivals):
    """Raise ValueError for arguments the semantics above do not cover."""
    if not duration > 0:
        raise ValueError(f"duration must be > 0, got {duration!r}")
    if arrivals is None and not rate > 0:
        raise ValueError(f"rate must be > 0, got {rate!r}")
    if arrivals is not None:
        times = list(arrivals)
        if any(not 0 <= t < duration for t in times) or times != sorted(times):
            raise ValueError("arrivals must be sorted times in [0, duration)")
    if routing not in ROUTINGS:
        raise ValueError(f"routing must be one of {ROUTINGS}, got {routing!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be > 0 or None, got {timeout!r}")
    for i, inst in enumerate(instances):
        if inst.variant not in service:
            raise ValueError(f"instances[{i}].variant {inst.variant!r} has no service entry")
        if inst.workers < 1:
            raise ValueError(f"instances[{i}].workers must be >= 1, got {inst.workers}")
        if inst.queue_capacity is not None and inst.queue_capacity < 0:
            raise ValueError(f"instances[{i}].queue_capacity must be >= 0 or None")
    if not weights or weights[0][0] != 0:
        raise ValueError("weights must be a non-empty schedule whose first entry is at time 0")
    for j, (t, table) in enumerate(weights):
        if j and t < weights[j - 1][0]:
            raise ValueError(f"weights[{j}] is at time {t}, before the previous entry")
        if any(v not in service for v in table):
            raise ValueError(f"weights[{j}] names a variant with no service entry")
        if any(not (w >= 0 and math.isfinite(w)) for w in table.values()):
            raise ValueError(f"weights[{j}] has a negative or non-finite weight")
        if not sum(table.values()) > 0:
            raise ValueError(f"weights[{j}] has no positive weight")
    for j, (t, i, repair) in enumerate(crashes):
        if not (t >= 0 and repair >= 0 and 0 <= i < len(instances)):
            raise ValueError(
                f"crashes[{j}] = {(t, i, repair)!r} needs time >= 0, repair >= 0 and "
                f"an instance index in [0, {len(instances)})"
            )


def run_oracle(
    *,
    duration: float,
    rate: float,
    instances: list[OracleInstance],
    weights: list[tuple[float, dict[str, float]]],
    service: dict[str, Callable[[np.random.Generator], float]],
    routing: str = "random",
    crashes: Sequence[tuple[float, int, float]] = (),
    timeout: float | None = None,
    seed: int = 0,
    arrivals: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Simulate the data plane request by request; return one row per request.

    ``weights`` is the weight schedule ``[(time, {variant: weight}), ...]`` (first entry
    at time 0), ``service[variant](rng)`` draws one service time in seconds per request
    (at its arrival, whatever its fate), ``crashes`` lists ``(time, instance index,
    repair seconds)``. ``arrivals``, if given, replaces the Poisson arrivals (and
    ``rate``) by these sorted times, for hand-checkable tests. Randomness comes from
    ``seed`` through independent streams for arrivals, variant choice, routing and service.

    Columns: ``arrival, variant, instance, start, end, wait, latency, outcome`` with times
    in seconds; ``instance`` is the index into ``instances`` (-1 if unavailable),
    ``start`` is NaN if service never started, ``end`` is NaN unless the request
    completed or failed (then it is the crash time), ``wait = start - arrival``,
    ``latency = end - arrival`` and ``outcome`` is one of ``OUTCOMES``. Rows are in
    arrival order.
    """
    _validate(duration, rate, instances, weights, service, routing, crashes, timeout, arrivals)
    streams = np.random.SeedSequence(seed).spawn(4)
    arrival_rng, variant_rng, routing_rng, service_rng = map(np.random.default_rng, streams)

    env = simpy.Environment()
    servers = [_Server(spec, simpy.Resource(env, spec.workers)) for spec in instances]
    schedule_times = [t for t, _ in weights]
    schedule = []  # per entry: the variants with positive weight and their cumulative shares
    for _, table in weights:
        names = [v for v, w in table.items() if w > 0]
        cumulative = np.cumsum([table[v] for v in names], dtype=float)
        schedule.append((names, cumulative / cumulative[-1]))
    records: list[_Record] = []

    timeline: list[tuple] = []  # heap of (time, rank, sequence, payload)
    sequence = iter(range(1 << 62))

    def plan(time: float, rank: int, payload=None) -> None:
        heapq.heappush(timeline, (time, rank, next(sequence), payload))

    if arrivals is None:
        plan(arrival_rng.exponential(1.0 / rate), _ARRIVAL)
    else:
        for t in arrivals:
            plan(float(t), _ARRIVAL)
    for t, i, repair in crashes:
        plan(float(t), _CRASH, (i, float(repair)))

    def request(env: simpy.Environment, rec: _Record, srv: _Server, slots, service_time):
        """Wait for a worker, hold it for the service time; fail if the instance crashes."""
        with slots.request() as slot:
            try:
                yield slot
                rec.start = env.now
                yield env.timeout(service_time)
            except simpy.Interrupt:
                rec.end = env.now
                rec.outcome = "failed"
                return
        rec.end = env.now
        too_late = timeout is not None and rec.end - rec.arrival > timeout
        rec.outcome = "timed_out" if too_late else "ok"
        srv.outstanding -= 1
        del srv.active[env.active_process]

    def choose_instance(candidates: list[int]) -> int:
        if routing == "least_outstanding":
            fewest = min(servers[i].outstanding for i in candidates)
            candidates = [i for i in candidates if servers[i].outstanding == fewest]
        return candidates[routing_rng.integers(len(candidates))]

    def arrive(env: simpy.Environment) -> None:
        names, shares = schedule[bisect.bisect_right(schedule_times, env.now) - 1]
        pick = min(int(np.searchsorted(shares, variant_rng.random(), side="right")), len(names) - 1)
        variant = names[pick]
        service_time = float(service[variant](service_rng))
        rec = _Record(arrival=env.now, variant=variant)
        records.append(rec)
        candidates = [i for i, s in enumerate(servers) if s.spec.variant == variant and s.up]
        if not candidates:
            rec.outcome = "unavailable"
            return
        rec.instance = choose_instance(candidates)
        srv = servers[rec.instance]
        capacity = srv.spec.queue_capacity
        if capacity is not None and srv.outstanding >= srv.spec.workers + capacity:
            rec.outcome = "rejected"
            return
        srv.outstanding += 1
        proc = env.process(request(env, rec, srv, srv.resource, service_time))
        srv.active[proc] = None

    def crash(env: simpy.Environment, i: int, repair: float) -> None:
        srv = servers[i]
        if not srv.up:
            return
        for proc in srv.active:
            proc.interrupt("crash")
        srv.up = False
        srv.active = {}
        srv.outstanding = 0
        srv.resource = simpy.Resource(env, srv.spec.workers)  # idle workers, empty queue
        plan(env.now + repair, _REPAIR, i)

    def outside_world(env: simpy.Environment):
        """Play arrivals, crashes and repairs in time order until ``duration``."""
        while timeline and timeline[0][0] < duration:
            time, rank, _, payload = heapq.heappop(timeline)
            yield from _sleep_until(env, time)
            yield from _settle(env)
            if rank == _ARRIVAL:
                arrive(env)
                if arrivals is None:
                    plan(env.now + arrival_rng.exponential(1.0 / rate), _ARRIVAL)
            elif rank == _CRASH:
                crash(env, *payload)
            else:
                servers[payload].up = True
        yield from _sleep_until(env, duration)
        yield from _settle(env)  # completions at exactly `duration` count

    env.run(until=env.process(outside_world(env)))

    frame = pd.DataFrame(
        {
            "arrival": np.array([r.arrival for r in records], dtype=float),
            "variant": pd.Series([r.variant for r in records], dtype=str),
            "instance": np.array([r.instance for r in records], dtype=np.int64),
            "start": np.array([r.start for r in records], dtype=float),
            "end": np.array([r.end for r in records], dtype=float),
            "outcome": pd.Series([r.outcome for r in records], dtype=str),
        }
    )
    frame["wait"] = frame["start"] - frame["arrival"]
    frame["latency"] = frame["end"] - frame["arrival"]
    return frame[COLUMNS]
