"""The data plane (simulator/engine/dataplane.py) on its own: routing spans of arrivals to
variants and instances, requests pending across spans, failed slots, the hand-over to
the recorder.

Most cases are small enough to count by hand: replayed arrival times (TraceTimestamps),
deterministic service, and instances wired up as the control plane does it (a kernel
slot per instance, reset when it enters service). The statistical ones state their seed,
sample size and tolerance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.engine.dataplane import DataPlane
from simulator.engine.fleet import IN_SERVICE, Instance, build_variant
from simulator.engine.recording.recorder import Recorder
from simulator.engine.recording.tally import (
    ERROR,
    FAILED,
    OK,
    REJECTED,
    TIMED_OUT,
    UNAVAILABLE,
)
from simulator.sampling.traces import TraceTimestamps
from simulator.sampling.traffic import Poisson
from simulator.scenario.model import FleetSpec

STREAMS = ("users", "route", "service", "errors", "log")
K = 5.0  # standard errors allowed in statistical checks (two-sided false alarm ~6e-7)


def deterministic(value):
    return {"distribution": "deterministic", "value": value}


def plane(arrivals, fleets, *, duration=100.0, period=10.0, seed=0, users=1000, log=0.0):
    """A data plane with one variant per fleet: (spec fields, weight, instances in service).

    Wired as the control plane does it: each instance gets a kernel slot (tracked for
    least-outstanding routing), is reset at 0 and serves from then on.
    """
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)}
    recorder = Recorder(math.ceil(duration / period), period, 0.0, None)
    dp = DataPlane(arrivals, users, rng, recorder, log)
    for k, (fields, weight, count) in enumerate(fleets):
        spec = FleetSpec.model_validate({"version": f"v{k + 1}"} | fields)
        variant = build_variant(spec.version, spec, is_release=k > 0)
        variant.weight = weight
        dp.add_variant(variant)
        for _ in range(count):
            slot = dp.servers.add(variant.workers, spec.queue_capacity,
                                  spec.routing == "least_outstanding")  # fmt: skip
            dp.servers.reset(slot, 0.0)
            variant.instances.append(Instance(slot, variant, state=IN_SERVICE))
    dp.changed()
    return dp


def outcomes(dp, version=None):
    """Requests recorded so far per outcome, for one version (index) or all."""
    tables = dp.recorder.counts if version is None else [dp.recorder.counts[version]]
    return sum(t.sum(axis=0) for t in tables)


def pending(dp, field):
    """One column of the requests still in the system."""
    return getattr(dp.pending, field)[: dp.pending.count[0]]


def replay(times):
    return TraceTimestamps(times)


# ----------------------------------------------------------------------------- routing


def test_weights_split_the_traffic():
    """Seed 11, Poisson 200/s for 200 s (~40,000 requests), weights 1 and 3: v2's share
    is 0.75 within K = 5 binomial standard errors (SE ~ 0.0022: a share off by 0.011
    fails)."""
    fast = {"service_time": deterministic(0.001), "workers_per_instance": 4}
    dp = plane(Poisson(200.0, np.random.default_rng(11)), [(fast, 1.0, 1), (fast, 3.0, 1)],
               duration=200.0, seed=11)  # fmt: skip
    dp.advance_to(200.0)
    v1, v2 = outcomes(dp, 0)[OK], outcomes(dp, 1)[OK]
    n = dp.requests
    assert v1 + v2 + dp.in_system == n > 35_000  # every arrival is accounted for once
    assert abs(v2 / n - 0.75) <= K * math.sqrt(0.75 * 0.25 / n)


def test_by_instance_weighs_each_variant_by_its_serving_instances():
    """Kubernetes-style routing: equal weights, 1 and 3 instances, so v2 gets 3/4 (seed 12,
    ~20,000 requests, K = 5 SE); an instance taken out of service stops counting."""
    fast = {"service_time": deterministic(0.001)}
    dp = plane(Poisson(100.0, np.random.default_rng(12)), [(fast, 1.0, 1), (fast, 1.0, 3)],
               duration=200.0, seed=12)  # fmt: skip
    dp.by_instance = True
    dp.changed()
    assert dp.weights().tolist() == [1.0, 3.0]
    dp.advance_to(200.0)
    n = dp.requests
    assert abs(outcomes(dp, 1)[OK] / n - 0.75) <= K * math.sqrt(0.75 * 0.25 / n)
    dp.variants[1].instances[0].state = "down"
    dp.changed()
    assert dp.weights().tolist() == [1.0, 2.0]


def test_a_zero_weight_variant_gets_no_request():
    fleet = {"service_time": deterministic(0.5)}
    dp = plane(replay(np.arange(50.0)), [(fleet, 1.0, 1), (fleet, 0.0, 1)])
    dp.advance_to(100.0)
    assert outcomes(dp, 0)[OK] == 50 and outcomes(dp, 1).sum() == 0


def test_mirroring_everything_sends_one_copy_of_each_request():
    """Share 1: the shadow receives exactly one copy per user request; copies are not
    users' requests (requests counts arrivals, in_system leaves copies out)."""
    dp = plane(replay(np.arange(40.0) * 0.5), [({"service_time": deterministic(3.0)}, 1.0, 1),
                                               ({"service_time": deterministic(3.0)}, 0.0, 1)],
               duration=40.0)  # fmt: skip
    shadow = dp.variants[1]
    shadow.shadow = True
    dp.recorder.shadow[1] = True
    dp.mirror = (shadow, 1.0)
    dp.changed()
    dp.advance_to(10.0)
    users_in_system = np.count_nonzero(pending(dp, "variant") == 0)
    assert dp.in_system == users_in_system > 0  # v1 queues (3 s service every 0.5 s)
    assert np.count_nonzero(pending(dp, "variant") == 1) > 0  # and so does the shadow
    dp.advance_to(40.0)
    assert dp.requests == 40
    dp.advance_to(1000.0)
    assert outcomes(dp, 0).sum() == outcomes(dp, 1).sum() == 40


def test_mirroring_a_share_copies_that_share():
    """Seed 13, ~100,000 Poisson requests, share 0.3: copies within K = 5 binomial SE
    (SE ~ 145 copies, so a share off by 0.01, 1,000 copies, fails)."""
    fast = {"service_time": deterministic(0.001), "workers_per_instance": 4}
    dp = plane(Poisson(500.0, np.random.default_rng(13)), [(fast, 1.0, 1), (fast, 0.0, 1)],
               duration=200.0, seed=13)  # fmt: skip
    dp.mirror = (dp.variants[1], 0.3)
    dp.advance_to(200.0)
    dp.advance_to(201.0)
    n, copies = dp.requests, outcomes(dp, 1).sum()
    assert abs(copies - 0.3 * n) <= K * math.sqrt(0.3 * 0.7 * n)


def test_sticky_routing_sends_each_user_to_one_variant():
    """50 users, 2,000 requests, equal weights, every request logged: each user's
    requests all reach one variant, and both variants get users."""
    fleet = {"service_time": deterministic(0.01)}
    dp = plane(replay(np.arange(2000.0) * 0.05), [(fleet, 1.0, 1), (fleet, 1.0, 1)],
               users=50, log=1.0)  # fmt: skip
    dp.sticky = True
    dp.advance_to(200.0)
    log = {k: np.concatenate([c[k] for c in dp.recorder.log_chunks]) for k in ("user", "version")}
    assert len(log["user"]) == 2000
    per_user = {u: set(log["version"][log["user"] == u].tolist()) for u in set(log["user"])}
    assert all(len(v) == 1 for v in per_user.values())
    assert {next(iter(v)) for v in per_user.values()} == {0, 1}


def test_no_serving_instance_makes_the_variant_unavailable():
    """v2 has weight but no instance: its share of the traffic is unavailable, each of its
    requests ends unavailable at its arrival; with no weight at all, everything is."""
    fleet = {"service_time": deterministic(0.01)}
    dp = plane(replay(np.arange(30.0)), [(fleet, 1.0, 1), (fleet, 1.0, 0)])
    assert dp.unavailable_share() == 0.5
    dp.advance_to(100.0)
    v1, v2 = outcomes(dp, 0), outcomes(dp, 1)
    assert v1[OK] + v2[UNAVAILABLE] == 30 and v1.sum() == v1[OK] and v2.sum() == v2[UNAVAILABLE]
    assert v2[UNAVAILABLE] > 0
    assert dp.recorder.sums[1][:, 0].sum() == 0  # no latency: none was served

    dp = plane(replay(np.arange(30.0)), [(fleet, 0.0, 1)])
    assert dp.unavailable_share() == 1.0
    dp.advance_to(100.0)
    assert outcomes(dp)[UNAVAILABLE] == 30


# ----------------------------------------------------------------------------- outcomes


def test_a_loss_system_rejects_while_the_worker_is_busy():
    """One worker, no waiting place, 1 s service; arrivals at 0, 0.5, 1, 1.5: the 0.5 and
    1.5 ones find it busy (rejected); at 1 it has just freed up (served)."""
    dp = plane(replay([0.0, 0.5, 1.0, 1.5]),
               [({"service_time": deterministic(1.0), "queue_capacity": 0}, 1.0, 1)])  # fmt: skip
    dp.advance_to(10.0)
    counts = outcomes(dp)
    assert (counts[OK], counts[REJECTED], counts.sum()) == (2, 2, 4)
    assert dp.recorder.sums[0][:, 2].sum() == 2.0  # busy time: only the two served


def test_deadlines_and_errors():
    """2 s service against a 1 s timeout: every request times out. A 100% error rate
    with fast service: every request is a 5XX."""
    slow = {"service_time": deterministic(2.0), "timeout": 1.0, "workers_per_instance": 8}
    dp = plane(replay(np.arange(20.0)), [(slow, 1.0, 1)])
    dp.advance_to(100.0)
    assert outcomes(dp)[TIMED_OUT] == outcomes(dp).sum() == 20
    failing = {"service_time": deterministic(0.1), "error_rate": 1.0}
    dp = plane(replay(np.arange(20.0)), [(failing, 1.0, 1)])
    dp.advance_to(100.0)
    assert outcomes(dp)[ERROR] == outcomes(dp).sum() == 20


def test_overhead_adds_to_latency_but_not_to_busy_time():
    """10 requests of 10 ms service plus 20 ms OverheadLatency: each takes 30 ms."""
    fleet = {"service_time": deterministic(0.01), "overhead": 0.02}
    dp = plane(replay(np.arange(10.0)), [(fleet, 1.0, 1)])
    dp.advance_to(100.0)
    sums = dp.recorder.sums[0].sum(axis=0)
    assert sums[0] == pytest.approx(10 * 0.03, rel=1e-12)  # latency
    assert sums[2] == pytest.approx(10 * 0.01, rel=1e-12)  # busy


# ----------------------------------------------------------------------------- in flight


def test_pending_holds_exactly_the_requests_still_in_the_system():
    """Arrivals every second from 0 to 19 on 8 workers (never a wait), 2.5 s service:
    after advancing to t, the requests in the system are those with k < t < k + 2.5, and
    the recorder has every one that ended by t."""
    dp = plane(replay(np.arange(20.0)), [({"service_time": deterministic(2.5),
                                           "workers_per_instance": 8}, 1.0, 1)])  # fmt: skip
    for t in (0.5, 1.0, 2.5, 3.0, 7.25, 19.0, 21.5, 30.0):
        dp.advance_to(t)
        k = np.arange(20.0)
        assert dp.in_system == np.count_nonzero((k < t) & (k + 2.5 > t)), t
        assert outcomes(dp)[OK] == np.count_nonzero(k + 2.5 <= t), t


def test_a_request_is_recorded_by_the_span_that_sees_it_end():
    """Arrivals every 0.1 s for 10 s, 0.35 s service on 8 workers: advancing to 5.2 s
    records the requests that ended by then (k * 0.1 + 0.35 <= 5.2: 49 of them) and
    nothing later; the rest are recorded as the spans reach their ends."""
    dp = plane(replay(np.arange(100.0) * 0.1), [({"service_time": deterministic(0.35),
                                                  "workers_per_instance": 8}, 1.0, 1)])  # fmt: skip
    dp.advance_to(5.2)
    ended = np.count_nonzero(np.arange(100.0) * 0.1 + 0.35 <= 5.2)
    assert outcomes(dp)[OK] == ended == 49
    assert dp.in_system == np.count_nonzero(np.arange(100.0) * 0.1 < 5.2) - ended
    dp.advance_to(50.0)
    assert outcomes(dp)[OK] == 100


def test_a_crash_fails_the_requests_in_service_and_waiting_on_its_instance():
    """One worker, 10 s service, arrivals every second from 0 to 9; the instance fails at
    15 s: the request in service since 10 s and the 8 waiting fail at 15 s, the first
    one had finished (ok). Busy time: 10 s served plus the 5 s the crash cut short."""
    dp = plane(replay(np.arange(10.0)), [({"service_time": deterministic(10.0)}, 1.0, 1)],
               duration=200.0)  # fmt: skip
    dp.advance_to(15.0)
    assert dp.fail_slots([dp.variants[0].instances[0].slot], 15.0) == 9
    assert dp.in_system == 0
    dp.advance_to(200.0)
    counts = outcomes(dp)
    assert (counts[OK], counts[FAILED], counts.sum()) == (1, 9, 10)
    rec = dp.recorder
    assert rec.counts[0][1, FAILED] == 9  # recorded in the period of the crash (10-20 s)
    assert rec.sums[0][:, 2].sum() == 15.0


def test_a_crash_fails_only_its_own_instance():
    """Two instances of one worker (least outstanding), 10 s service, arrivals at 0, 1, 2,
    3 s: each instance gets two (one in service, one waiting), whatever the tie-breaks.
    Failing the instance of the first request at 5 s fails exactly its two; the other
    two are served; other slots' requests stay pending untouched."""
    fleet = {"service_time": deterministic(10.0), "routing": "least_outstanding"}
    dp = plane(replay([0.0, 1.0, 2.0, 3.0]), [(fleet, 1.0, 2)], duration=100.0)
    dp.advance_to(5.0)
    slot, arrival = pending(dp, "slot"), pending(dp, "arrival")
    first = int(slot[arrival == 0.0][0])
    others = arrival[slot != first].tolist()
    assert len(others) == 2 and 1.0 in others
    assert dp.fail_slots([first], 5.0) == 2
    assert sorted(pending(dp, "arrival").tolist()) == sorted(others)
    assert dp.fail_slots([first], 5.0) == 0  # nothing left there
    dp.advance_to(100.0)
    counts = outcomes(dp)
    assert (counts[OK], counts[FAILED]) == (2, 2)
    # busy: the two served (10 s each) and 5 s of the one in service on the failed slot
    assert dp.recorder.sums[0][:, 2].sum() == 25.0


@pytest.mark.parametrize("cuts", [[], [0.3, 0.31, 50.0], list(np.arange(1.0, 100.0, 7.3))])
def test_cutting_time_into_spans_changes_no_request(cuts):
    """Seed 14, 2,000 arrivals replayed over 90 s on one instance of 2 workers (exponential
    80 ms service, load 0.89): advanced in one step or through these cut points, every
    request (arrival, start, end, outcome, from the full request log) and every count is
    equal, exactly. Requests that end after a cut stay pending and are retired later."""
    rng = np.random.default_rng(14)
    times = np.sort(rng.uniform(0, 90, 2000))
    fleet = {"service_time": {"distribution": "exponential", "mean": 0.08},
             "workers_per_instance": 2}  # fmt: skip

    def run(points):
        dp = plane(replay(times), [(fleet, 1.0, 1)], seed=14, log=1.0)
        held = 0
        for t in [*points, 100.0]:
            dp.advance_to(t)
            held += dp.in_system
        assert held > 0 or not points  # requests did stay pending across a cut
        log = {k: np.concatenate([c[k] for c in dp.recorder.log_chunks])
               for k in ("arrival", "start", "end", "outcome")}  # fmt: skip
        order = np.argsort(log["arrival"], kind="stable")
        return {k: v[order] for k, v in log.items()}, dp.recorder.counts[0]

    whole, counts = run([])
    cut, cut_counts = run(cuts)
    for key in whole:
        np.testing.assert_array_equal(cut[key], whole[key])
    np.testing.assert_array_equal(cut_counts, counts)
    assert len(whole["arrival"]) == 2000 and (whole["start"] > whole["arrival"]).any()
