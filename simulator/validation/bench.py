"""The benchmark: the same M/M/c workload through the engine, plain SimPy and a bare loop.

All three see an M/M/8 queue at rho = 0.9 (10 ms mean service); the engine and the bare
loop are compiled first so their one-off JIT compilation is not counted. The bare loop
(numba over numpy draws, nothing recorded) is the practical limit of the same language.
The memory check runs the engine in a fresh process per size and reads that process's
peak RSS, at two request counts and at two simulated durations. The replication check
times the same replications of a strategy preset on one process and on a pool of two.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np

WORKERS, RHO, MU = 8, 0.9, 100.0


DAY = 86400.0


def mmc_scenario(requests: int, duration: float | None = None) -> dict:
    """The benchmark workload as a plain-queue scenario.

    At the benchmark's load by default; given a `duration`, the same expected number of
    requests spread over it (a lighter load), so that only simulated time changes.
    """
    lam = RHO * WORKERS * MU if duration is None else requests / duration
    return {
        "name": "bench-mmc",
        "duration": requests / lam,
        "traffic": {"pattern": "poisson", "rate": lam},
        "fleet": {"instances": 1, "workers_per_instance": WORKERS,
                  "service_time": {"distribution": "exponential", "mean": 1 / MU}},
    }  # fmt: skip


def _engine(requests: int, seed: int = 1, duration: float | None = None) -> dict:
    from simulator.run import simulate

    started = time.perf_counter()
    res = simulate(mmc_scenario(requests, duration), seed=seed)
    seconds = time.perf_counter() - started
    n = res.summary["requests"]
    return {"requests": n, "seconds": seconds, "requests_per_s": n / seconds,
            "mean_wait_s": res.summary["wait_ms"]["mean"] / 1e3}  # fmt: skip


def _simpy(requests: int, seed: int = 1) -> dict:
    from simulator.validation.textbook import run_textbook_mmc

    started = time.perf_counter()
    waits = run_textbook_mmc(RHO * WORKERS * MU, MU, WORKERS, requests, seed)
    seconds = time.perf_counter() - started
    return {"requests": requests, "seconds": seconds, "requests_per_s": requests / seconds,
            "mean_wait_s": float(waits.mean())}  # fmt: skip


def kiefer_wolfowitz_waits(gaps, services, workers: int):
    """Waits of a FCFS queue with `workers` servers, and nothing else recorded.

    Each request starts on the worker that frees first (the Kiefer-Wolfowitz recursion).
    """
    free = np.zeros(workers)
    waits = np.empty(len(gaps))
    now = 0.0
    for i in range(len(gaps)):
        now += gaps[i]
        k = np.argmin(free)
        start = max(now, free[k])
        waits[i] = start - now
        free[k] = start + services[i]
    return waits


def _bare(requests: int, seed: int = 1) -> dict:
    """The practical limit in Python: the same M/M/c as one bare compiled loop.

    Numpy draws the gaps and services at once; numba runs the recursion; there is no
    control plane and no recording. Compilation is not timed, the draws are.
    """
    from numba import njit

    loop = njit(kiefer_wolfowitz_waits)
    loop(np.ones(8), np.ones(8), WORKERS)  # compile before timing
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / (RHO * WORKERS * MU), requests)
    waits = loop(gaps, rng.exponential(1.0 / MU, requests), WORKERS)
    seconds = time.perf_counter() - started
    return {"requests": requests, "seconds": seconds, "requests_per_s": requests / seconds,
            "mean_wait_s": float(waits.mean())}  # fmt: skip


def peak_rss_mb(requests: int, duration: float | None = None) -> float:
    """Peak resident memory of a fresh process that simulates `requests` requests.

    Over `duration` simulated seconds, if given; else at the benchmark's load.
    """
    code = (
        f"import resource, simulator.validation.bench as b; b._engine({requests}, 1, {duration});"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def replication_speedup(replications: int, workers: int = 2) -> dict:
    """Wall time of the same replications of a strategy preset serially and on a pool."""
    from pathlib import Path

    from simulator.analysis.replication import replicate

    preset = Path(__file__).resolve().parents[2] / "scenarios" / "canary-fraud-argo.yaml"
    replicate(preset, 1, 0, workers=1)  # load the compiled kernel before timing
    times = {}
    for n in (1, workers):
        started = time.perf_counter()
        replicate(preset, replications, 0, workers=n)
        times[n] = time.perf_counter() - started
    return {"scenario": preset.stem, "replications": replications, "workers": workers,
            "serial_s": times[1], "pool_s": times[workers],
            "speedup": times[1] / times[workers]}  # fmt: skip


def run_bench(
    requests: int, reference_requests: int, memory_requests: int = 0, replications: int = 0
) -> dict:
    """The models on the same workload in one run; the speed-up and, optionally, memory.

    The memory checks run first, while this process is still small: Linux carries a
    process's peak RSS over into the children it starts, so a child started after the
    timed runs (which hold millions of draws) would report this process's peak, not its own.
    """
    report: dict = {"workers": WORKERS, "rho": RHO}
    if memory_requests:
        sizes = (memory_requests // 10, memory_requests)
        report["memory"] = [{"requests": n, "peak_rss_mb": peak_rss_mb(n)} for n in sizes]
        # the same requests over a day and over a week: memory that grows with simulated time
        n = memory_requests // 10
        report["memory_by_duration"] = [
            {"requests": n, "days": days, "peak_rss_mb": peak_rss_mb(n, days * DAY)}
            for days in (1, 7)
        ]
    _engine(20_000)  # compile the kernel before timing
    engine = _engine(requests)
    reference = _simpy(reference_requests)
    bare = _bare(requests)
    report |= {
        "engine": engine, "simpy": reference, "bare": bare,
        "ratio": engine["requests_per_s"] / reference["requests_per_s"],
        "share_of_bare": engine["requests_per_s"] / bare["requests_per_s"],
    }  # fmt: skip
    if replications:
        report["replications"] = replication_speedup(replications)
    return report


if __name__ == "__main__":
    print(json.dumps(run_bench(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
