"""The request kernel's queues (simulator/engine/kernel.py, `admit`) against a plain-Python queue.

The oracle below is the textbook FCFS c-server queue: a heap of the workers' next-free
times (the Kiefer-Wolfowitz recursion: a request starts on the worker that frees first,
at max(arrival, that time)). It keeps every accepted request's start and departure, so
"how many are waiting" and "how many are outstanding" are direct counts over them,
with none of the kernel's ring buffer. The kernel does the same float operations
(max, then +), so starts and departures must agree to the last bit; the tests allow
1e-12 s.
"""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba import njit

from simulator.engine.kernel import REJECTED, RING_FULL, SERVED, UNAVAILABLE, Routes, Servers, admit

ATOL = 1e-12


# ----------------------------------------------------------------------------- oracle


def oracle(instances, members, lor, arrival, variant, service, u_route):
    """Serve requests in arrival order; return (instance, start, depart, status) lists.

    instances: (workers, queue_capacity or None) per instance; members: the instances
    each variant routes to; lor: whether a variant routes to the least outstanding.
    """
    free = [[0.0] * w for w, _ in instances]  # heaps of next-free times
    starts = [[] for _ in instances]  # accepted requests' starts after now, per instance
    departs = [[] for _ in instances]  # and their departures after now
    out = {"inst": [], "start": [], "depart": [], "status": []}

    def emit(i, s, d, status):
        for key, value in zip(out, (i, s, d, status), strict=True):
            out[key].append(value)

    for a, v, x, u in zip(arrival, variant, service, u_route, strict=True):
        cand = members[v]
        if not cand:
            emit(-1, np.nan, np.nan, UNAVAILABLE)
            continue
        for i in cand:  # arrivals never go back in time: what is over stays over
            starts[i] = [s for s in starts[i] if s > a]
            departs[i] = [d for d in departs[i] if d > a]
        if lor[v] and len(cand) > 1:
            # requests in the instance (in service or waiting) = accepted, not yet departed
            load = [len(departs[i]) for i in cand]
            tied = [i for i, c in zip(cand, load, strict=True) if c == min(load)]
            i = tied[int(u * len(tied))]
        else:
            i = cand[min(int(u * len(cand)), len(cand) - 1)]
        first_free = free[i][0]
        waiting = len(starts[i])  # accepted, not started by a
        cap = instances[i][1]
        if first_free > a and cap is not None and waiting >= cap:
            emit(i, np.nan, np.nan, REJECTED)
            continue
        s = max(a, first_free)
        d = s + x
        heapq.heapreplace(free[i], d)
        starts[i].append(s)
        departs[i].append(d)
        emit(i, s, d, SERVED)
    return {k: np.array(v) for k, v in out.items()}


# ----------------------------------------------------------------------------- kernel


def routes(members, lor):
    """The kernel's routing tables: candidate pointers and indices, least-outstanding flags."""
    ptr = np.zeros(len(members) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(m) for m in members])
    idx = np.array([i for m in members for i in m], dtype=np.int64)
    return ptr, idx, np.array(lor, dtype=np.bool_)


@njit
def _admit_each(k0, arrival, variant, service, u_route, routes, queues, inst, start, status):
    """kernel.admit for requests k0.. in order, as kernel.serve calls it; stops at a full ring."""
    for k in range(k0, len(arrival)):
        i, s, verdict = admit(arrival[k], variant[k], service[k], u_route[k], routes, queues)
        if verdict == RING_FULL:
            return k
        inst[k], start[k], status[k] = i, s, verdict
    return len(arrival)


def serve(servers, arrival, variant, service, u_route, ptr, idx, lor):
    """Every request through `admit` (growing a full ring as the data plane does):
    (instance, start, departure, status) arrays."""
    n = len(arrival)
    none = np.zeros(0)
    table = Routes(ptr, idx, lor, none.astype(np.int64), none, none)
    inst, start, status = np.empty(n, np.int64), np.full(n, np.nan), np.empty(n, np.int8)
    k = 0
    while (k := _admit_each(k, arrival, variant, service, u_route, table, servers.queues(),
                            inst, start, status)) < n:  # fmt: skip
        servers.grow_ring()
    return inst, start, np.where(status == SERVED, start + service, np.nan), status


def new_servers(instances, track_all=False):
    servers = Servers()
    for workers, cap in instances:
        servers.add(workers, cap, track_all)
    return servers


def kernel(instances, members, lor, arrival, variant, service, u_route, cuts=(), track_all=True):
    """`serve` over the requests, in spans cut before each index in `cuts`."""
    servers = new_servers(instances, track_all)
    ptr, idx, flags = routes(members, lor)
    bounds = [0, *sorted({min(c, len(arrival)) for c in cuts}), len(arrival)]
    parts = [
        serve(servers, arrival[a:b], variant[a:b], service[a:b], u_route[a:b], ptr, idx, flags)
        for a, b in zip(bounds, bounds[1:], strict=False)
    ]
    inst, start, depart, status = (np.concatenate(col) for col in zip(*parts, strict=True))
    return {"inst": inst, "start": start, "depart": depart, "status": status}, servers


def assert_same(got, want):
    np.testing.assert_array_equal(got["status"], want["status"])
    np.testing.assert_array_equal(got["inst"], want["inst"])
    np.testing.assert_allclose(got["start"], want["start"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(got["depart"], want["depart"], rtol=0, atol=ATOL)


def requests(rng, n, rate, mean_service, variants=1):
    arrival = np.cumsum(rng.exponential(1 / rate, n))
    variant = rng.integers(0, variants, n).astype(np.int64)
    return arrival, variant, rng.exponential(mean_service, n), rng.random(n)


# ----------------------------------------------------------------------------- tests

# Small cases that hit the corners: simultaneous arrivals, zero service times, ties
# between workers and between instances, full queues, variants with no instance.
times = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0, 3))
case = st.fixed_dictionaries(
    {
        "instances": st.lists(
            st.tuples(st.integers(1, 4), st.one_of(st.none(), st.integers(0, 3))),
            min_size=1, max_size=4,
        ),
        "gaps": st.lists(times, min_size=1, max_size=120),
        "services": st.lists(times, min_size=120, max_size=120),
        "u": st.lists(st.floats(0, 1, exclude_max=True), min_size=120, max_size=120),
        "two_variants": st.booleans(),
        "lor": st.tuples(st.booleans(), st.booleans()),
        "cuts": st.lists(st.integers(0, 120), max_size=4),
    }
)  # fmt: skip


def arrays(p):
    n = len(p["gaps"])
    arrival = np.cumsum(p["gaps"])
    # with two variants, the second routes to the last instance only, or (one instance) to
    # none: a variant with no instance, whose requests are unavailable
    k = len(p["instances"])
    members = [list(range(k))] + ([[k - 1] if k > 1 else []] if p["two_variants"] else [])
    variant = (np.arange(n) % len(members)).astype(np.int64)
    service = np.array(p["services"][:n])
    u = np.array(p["u"][:n])
    return members, list(p["lor"][: len(members)]), arrival, variant, service, u


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case)
def test_every_request_matches_the_heap_of_free_times(p):
    """Random small cases (hypothesis): instance, start, departure and status of every
    request equal the oracle's, whatever the workers, capacities, routing and cuts."""
    members, lor, arrival, variant, service, u = arrays(p)
    want = oracle(p["instances"], members, lor, arrival, variant, service, u)
    got, _ = kernel(p["instances"], members, lor, arrival, variant, service, u, p["cuts"])
    assert_same(got, want)


def test_a_long_heavy_queue_matches_the_oracle_and_grows_the_ring():
    """Seed 1, 20,000 requests at 7.125/s: 80% to 3 instances x 2 workers (random routing,
    1 s mean service), 20% to 2 instances x 1 worker (least outstanding, 4/3 s): load 0.95
    everywhere and no queue limit, so queues reach dozens, far past the ring's initial
    4 places, and the kernel regrows its ring mid-span."""
    rng = np.random.default_rng(1)
    n = 20_000
    instances = [(2, None)] * 3 + [(1, None)] * 2
    members, lor = [[0, 1, 2], [3, 4]], [False, True]
    arrival = np.cumsum(rng.exponential(1 / 7.125, n))
    variant = (rng.random(n) < 0.2).astype(np.int64)
    service = np.where(variant == 0, rng.exponential(1.0, n), rng.exponential(4 / 3, n))
    u = rng.random(n)
    want = oracle(instances, members, lor, arrival, variant, service, u)
    got, servers = kernel(instances, members, lor, arrival, variant, service, u)
    assert_same(got, want)
    assert np.max(want["start"] - arrival) > 20  # the queue really was long
    assert servers.ring.shape[1] > 4


@pytest.mark.parametrize("cuts", [[1], [7, 8, 9], list(range(0, 5000, 97)), [4999]])
def test_cutting_the_span_anywhere_changes_no_result(cuts):
    """Seed 2, 5,000 requests at load 0.9 with a 3-place queue limit and least-outstanding
    routing (the state that must carry across spans: workers, rings, heads): served in
    one span or cut at these indices, every array is identical (exact equality)."""
    rng = np.random.default_rng(2)
    instances = [(2, 3), (1, 3), (3, 3)]
    members, lor = [[0, 1, 2]], [True]
    arrival, variant, service, u = requests(rng, 5000, rate=5.4, mean_service=1.0)
    whole, _ = kernel(instances, members, lor, arrival, variant, service, u)
    cut, _ = kernel(instances, members, lor, arrival, variant, service, u, cuts)
    for key in whole:
        np.testing.assert_array_equal(cut[key], whole[key])


@pytest.mark.parametrize("capacity", [0, 1, 4])
def test_queue_capacity_rejections_match_a_direct_count(capacity):
    """Seed 3, 20,000 requests on one instance of 2 workers at load 1.2 (so many are turned
    away): a request is rejected exactly when both workers are busy and `capacity`
    accepted requests are still waiting, counted directly from the accepted starts."""
    rng = np.random.default_rng(3)
    arrival, variant, service, u = requests(rng, 20_000, rate=2.4, mean_service=1.0)
    got, _ = kernel([(2, capacity)], [[0]], [False], arrival, variant, service, u)
    served = got["status"] == SERVED
    accepted_starts = got["start"][served]
    accepted_departs = got["depart"][served]
    rejected = 0
    for k, a in enumerate(arrival):
        before = served[:k]
        waiting = np.count_nonzero(got["start"][:k][before] > a)
        in_service = np.count_nonzero((got["start"][:k][before] <= a)
                                      & (got["depart"][:k][before] > a))  # fmt: skip
        full = in_service == 2 and waiting >= capacity
        assert (got["status"][k] == REJECTED) == full, k
        assert waiting <= capacity
        rejected += full
    assert rejected == np.count_nonzero(got["status"] == REJECTED) > 1000
    assert len(accepted_starts) == len(accepted_departs) == len(arrival) - rejected


def test_least_outstanding_sends_each_request_to_the_emptiest_instance():
    """Two instances of one worker, 10 s service, arrivals at 0, 1, 2, 3 s: 0 and 2 find
    both instances equally loaded (the draw picks the first below 0.5), 1 and 3 go to
    the one with fewer requests, so each instance gets two and the second one waits."""
    arrival = np.array([0.0, 1.0, 2.0, 3.0])
    service = np.full(4, 10.0)
    variant = np.zeros(4, dtype=np.int64)
    for u, first in ((np.full(4, 0.2), 0), (np.full(4, 0.7), 1)):
        got, _ = kernel([(1, None), (1, None)], [[0, 1]], [True], arrival, variant, service, u)
        other = 1 - first
        assert got["inst"].tolist() == [first, other, first, other]
        assert got["start"].tolist() == [0.0, 1.0, 10.0, 11.0]


def test_random_routing_takes_the_candidate_the_draw_points_at():
    """Three candidates: u in [0, 1/3) the first, [1/3, 2/3) the second, else the third."""
    u = np.array([0.0, 0.33, 1 / 3, 0.6, 2 / 3, 0.999999])
    n = len(u)
    got, _ = kernel([(1, None)] * 3, [[0, 1, 2]], [False], np.arange(n, dtype=float),
                    np.zeros(n, dtype=np.int64), np.zeros(n), u)  # fmt: skip
    assert got["inst"].tolist() == [0, 0, 1, 1, 2, 2]


def test_a_variant_with_no_instance_leaves_its_requests_unavailable():
    arrival = np.array([0.0, 1.0, 2.0])
    variant = np.array([1, 0, 1], dtype=np.int64)
    got, _ = kernel([(1, None)], [[0], []], [False, False], arrival, variant, np.ones(3),
                    np.zeros(3))  # fmt: skip
    assert got["status"].tolist() == [UNAVAILABLE, SERVED, UNAVAILABLE]
    assert got["inst"].tolist() == [-1, 0, -1]
    assert np.isnan(got["start"][[0, 2]]).all() and got["start"][1] == 1.0


def test_reset_starts_an_instance_afresh():
    """An instance with a queue, reset at t = 5 (restarted after a crash): idle workers
    free from 5 and an empty queue, so with room for one waiting request a burst at 6
    gets one started at once, one waiting, and the rest rejected."""
    servers = new_servers([(1, 1)])
    ptr, idx, flags = routes([[0]], [False])
    n = 3
    before = serve(servers, np.array([0.0, 0.1, 0.2]), np.zeros(n, dtype=np.int64),
                    np.full(n, 100.0), np.zeros(n), ptr, idx, flags)  # fmt: skip
    assert before[3].tolist() == [SERVED, SERVED, REJECTED]
    servers.reset(0, 5.0)
    assert servers.free_at[0, 0] == 5.0 and servers.length[0] == 0
    after = serve(servers, np.array([6.0, 6.0, 6.0]), np.zeros(n, dtype=np.int64),
                   np.full(n, 1.0), np.zeros(n), ptr, idx, flags)  # fmt: skip
    assert after[3].tolist() == [SERVED, SERVED, REJECTED]
    assert after[1][:2].tolist() == [6.0, 7.0]


def test_more_instances_and_workers_than_the_first_arrays_hold():
    """Seed 4: 20 instances (the slot arrays start at 8) with up to 9 workers (the worker
    array starts 1 wide) and capacities up to 10 (the ring starts 4 wide), 8,000 requests
    over three variants: the grown state serves exactly as the oracle."""
    rng = np.random.default_rng(4)
    instances = [(int(rng.integers(1, 10)), [None, 0, 10][i % 3]) for i in range(20)]
    members = [list(range(0, 8)), list(range(8, 15)), list(range(15, 20))]
    lor = [False, True, True]
    arrival, variant, service, u = requests(rng, 8000, rate=60.0, mean_service=0.5,
                                            variants=3)  # fmt: skip
    want = oracle(instances, members, lor, arrival, variant, service, u)
    got, servers = kernel(instances, members, lor, arrival, variant, service, u, [3000])
    assert_same(got, want)
    assert servers.free_at.shape[1] >= 9 and len(servers.workers) >= 20


def test_untracked_instances_serve_random_routing_the_same():
    """Tracking (the ring) only matters for queue limits and least-outstanding routing:
    without either, a tracked and an untracked instance serve identically (seed 5)."""
    rng = np.random.default_rng(5)
    instances = [(2, None), (1, None)]
    arrival, variant, service, u = requests(rng, 3000, rate=2.5, mean_service=1.0)
    tracked, _ = kernel(instances, [[0, 1]], [False], arrival, variant, service, u)
    plain, _ = kernel(instances, [[0, 1]], [False], arrival, variant, service, u,
                      track_all=False)  # fmt: skip
    for key in tracked:
        np.testing.assert_array_equal(plain[key], tracked[key])
