"""The benchmark's workloads are what it says they are (its timings are its own to report)."""

import numpy as np
import pytest

import simulator as ds
from simulator.validation import bench, theory


@pytest.mark.parametrize("duration", [None, bench.DAY, 7 * bench.DAY])
def test_the_workload_expects_the_requests_asked_for(duration):
    sc = ds.load_scenario(bench.mmc_scenario(2_000_000, duration))
    assert sc.traffic.rate * sc.duration == pytest.approx(2_000_000)
    if duration is None:  # the benchmark's M/M/8 at rho = 0.9
        assert sc.traffic.rate / (bench.WORKERS * bench.MU) == pytest.approx(bench.RHO)
    else:  # the same requests over a longer simulated time only
        assert sc.duration == pytest.approx(duration)


def test_the_engine_workload_queues_as_erlang_c_says():
    """Seed 1, ~200k requests at rho 0.9: the mean wait (8.77 ms by Erlang C) within 10%,
    far wider than this run's own standard error (~3% for a run this long at rho 0.9), so
    the test fails only if the workload is not the M/M/8 it claims to be."""
    result = bench._engine(200_000)
    lam = bench.RHO * bench.WORKERS * bench.MU
    expected = theory.mmc_mean_wait(lam, bench.MU, bench.WORKERS)
    assert result["mean_wait_s"] == pytest.approx(expected, rel=0.10)


def test_the_bare_loop_is_the_fcfs_queue_of_a_heap_of_free_times():
    """The bare recursion (run here as plain Python) against the textbook construction: a
    min-heap of the workers' next-free times. Seed 3, 2,000 requests, 1 to 4 workers, at
    a load that queues often; waits identical to 1e-12 s."""
    import heapq

    rng = np.random.default_rng(3)
    for workers in (1, 2, 4):
        gaps = rng.exponential(1.0, 2000)
        services = rng.exponential(0.95 * workers, 2000)
        free, now, expected = [0.0] * workers, 0.0, []
        for gap, service in zip(gaps, services, strict=True):
            now += gap
            start = max(now, heapq.heappop(free))
            expected.append(start - now)
            heapq.heappush(free, start + service)
        got = bench.kiefer_wolfowitz_waits(gaps, services, workers)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_the_bare_loop_queues_as_erlang_c_says():
    """As for the engine: seed 1, 200k requests, the mean wait within 10% of Erlang C."""
    lam = bench.RHO * bench.WORKERS * bench.MU
    expected = theory.mmc_mean_wait(lam, bench.MU, bench.WORKERS)
    assert bench._bare(200_000)["mean_wait_s"] == pytest.approx(expected, rel=0.10)
