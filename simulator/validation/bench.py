"""The benchmark: the same M/M/c workload through the engine, SimPy, Ciw and a bare loop.

All of them see an M/M/8 queue at rho = 0.9 (10 ms mean service); the engine and the
bare loop are compiled first so their one-off JIT compilation is not counted. The bare
loop (numba over numpy draws, a block at a time as the engine draws them, nothing
recorded) is the practical limit of the same language. Ciw, a queueing-network
simulator in plain Python, runs if it is installed. Strategy presets report their own
simulated requests per second. The memory checks run the engine in a fresh process per
case and read that process's peak RSS: two request counts, two simulated durations, and
a week of canary release with autoscaling. The startup check times `import simulator`
and `deploysim --help` in fresh processes. The replication check times the same
replications of a strategy preset on one process and on a pool of two.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

WORKERS, RHO, MU = 8, 0.9, 100.0
DAY = 86400.0
PRESETS = ("canary-fraud-argo", "blue-green-fraud-sagemaker")
_BLOCK = 50_000  # the bare loop's draws per block: the engine's own sub-span size
_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


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


def week_scenario() -> dict:
    """A week at 200 requests/s on a daily cycle, autoscaled, with a canary on day two.

    The case issue 11 sets a memory target for: 10,080 one-minute periods, two versions
    (about 120 million requests).
    """
    return {
        "name": "bench-week-canary",
        "duration": 7 * DAY,
        "traffic": {"pattern": "diurnal", "rate": 200, "amplitude": 0.5, "period": DAY},
        "fleet": {"version": "v1", "target": "ml.c5.xlarge", "model": "xgboost",
                  "instances": 4},
        "release": {"version": "v2"},
        "autoscaling": {"metric": "invocations_per_instance", "target": 3000,
                        "min": 2, "max": 12},
        "strategy": {"type": "canary", "start": DAY,
                     "steps": [{"weight": w, "bake": 3600} for w in (5, 25, 50)],
                     "gate": {"type": "argo", "interval": 60, "failure_limit": 2,
                              "checks": [{"metric": "error_rate", "max": 0.01}]}},
        "slo": {"latency_p99": 0.1, "availability": 0.999},
    }  # fmt: skip


def _timed(requests: int, seconds: float, **extra) -> dict:
    return {"requests": requests, "seconds": seconds, "requests_per_s": requests / seconds,
            **extra}  # fmt: skip


def _engine(requests: int, seed: int = 1, duration: float | None = None) -> dict:
    from simulator.run import simulate

    started = time.perf_counter()
    res = simulate(mmc_scenario(requests, duration), seed=seed)
    seconds = time.perf_counter() - started
    return _timed(res.summary["requests"], seconds,
                  mean_wait_s=res.summary["wait_ms"]["mean"] / 1e3)  # fmt: skip


def _simpy(requests: int, seed: int = 1) -> dict:
    from simulator.validation.textbook import run_textbook_mmc

    started = time.perf_counter()
    waits = run_textbook_mmc(RHO * WORKERS * MU, MU, WORKERS, requests, seed)
    return _timed(requests, time.perf_counter() - started, mean_wait_s=float(waits.mean()))


_CIW = """
import json, sys, time
import ciw
lam, mu, c, n, seed = json.loads(sys.argv[1])
network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=lam)],
                             service_distributions=[ciw.dists.Exponential(rate=mu)],
                             number_of_servers=[c])
ciw.seed(seed)
started = time.perf_counter()
sim = ciw.Simulation(network)
sim.simulate_until_max_customers(n, method="Finish")
seconds = time.perf_counter() - started
waits = [r.waiting_time for r in sim.get_all_records()]
print(json.dumps([len(waits), seconds, sum(waits) / len(waits)]))
"""


def _ciw(requests: int, seed: int = 1) -> dict | None:
    """Ciw's M/M/c (https://ciw.readthedocs.io), or None if Ciw is not installed.

    In a process of its own: Ciw draws from the global `random` and numpy states that
    `ciw.seed` sets, which this process keeps out of. Its own run is timed, not its start.
    """
    args = json.dumps([RHO * WORKERS * MU, MU, WORKERS, requests, seed])
    done = subprocess.run([sys.executable, "-c", _CIW, args], capture_output=True, text=True)
    if done.returncode != 0:
        if "No module named 'ciw'" in done.stderr:
            return None
        raise RuntimeError(f"the Ciw model failed: {done.stderr.strip().splitlines()[-1]}")
    n, seconds, mean_wait = json.loads(done.stdout)
    return _timed(n, seconds, mean_wait_s=mean_wait)


def kiefer_wolfowitz(gaps, services, free, now, waits):
    """Waits of a block of a FCFS queue with len(free) servers; returns the clock.

    Each request starts on the worker that frees first (the Kiefer-Wolfowitz recursion);
    `free` (each worker's next-free time) and the clock carry from block to block.
    """
    for i in range(len(gaps)):
        now += gaps[i]
        k = 0
        for w in range(1, len(free)):
            if free[w] < free[k]:
                k = w
        start = max(now, free[k])
        waits[i] = start - now
        free[k] = start + services[i]
    return now


def _bare(requests: int, seed: int = 1) -> dict:
    """The practical limit in Python: the same M/M/c as one bare compiled loop.

    Numpy draws the gaps and services a block at a time into the same arrays, as the
    engine draws a span at a time; numba runs the recursion; there is no control plane
    and no recording. Compilation is not timed, the draws are.
    """
    from numba import njit

    loop = njit(nogil=True)(kiefer_wolfowitz)
    gaps, services, waits = np.empty(_BLOCK), np.empty(_BLOCK), np.empty(_BLOCK)
    loop(gaps[:1] * 0, gaps[:1] * 0, np.zeros(WORKERS), 0.0, waits)  # compile before timing
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    free, now, total = np.zeros(WORKERS), 0.0, 0.0
    for first in range(0, requests, _BLOCK):
        n = min(_BLOCK, requests - first)
        rng.standard_exponential(out=gaps[:n])
        gaps[:n] *= 1.0 / (RHO * WORKERS * MU)
        rng.standard_exponential(out=services[:n])
        services[:n] *= 1.0 / MU
        now = loop(gaps[:n], services[:n], free, now, waits[:n])
        total += waits[:n].sum()
    return _timed(requests, time.perf_counter() - started, mean_wait_s=total / requests)


def preset_speed(name: str, seeds: int = 5) -> dict:
    """Simulated requests per second of a strategy preset, over `seeds` runs after one."""
    from simulator.run import simulate
    from simulator.scenario.model import load_scenario

    sc = load_scenario(_SCENARIOS / f"{name}.yaml", trace_dirs=[_SCENARIOS])
    simulate(sc, seed=0)  # load the compiled kernel before timing
    started, requests = time.perf_counter(), 0
    for seed in range(1, seeds + 1):
        requests += simulate(sc, seed=seed).summary["requests"]
    return _timed(requests, time.perf_counter() - started, scenario=name, runs=seeds)


HOSTING = ("hosting-forecast-batch-transform", "hosting-forecast-async")
"""Issue 13's players on the nightly forecast (~630k records or requests each)."""


def hosting_speed(name: str, seeds: int = 3) -> dict:
    """A hosting preset's requests (or records) per second over `seeds` runs."""
    from simulator.run import simulate
    from simulator.scenario.model import load_scenario

    sc = load_scenario(_SCENARIOS / f"{name}.yaml", trace_dirs=[_SCENARIOS])
    started, requests = time.perf_counter(), 0
    for seed in range(1, seeds + 1):
        requests += simulate(sc, seed=seed).summary["requests"]
    return _timed(requests, time.perf_counter() - started, scenario=name, runs=seeds)


def hosting_memory(name: str) -> float:
    """Peak RSS of a fresh process playing a hosting preset (its trace's path made absolute)."""
    from simulator.scenario.model import load_scenario

    data = load_scenario(_SCENARIOS / f"{name}.yaml", trace_dirs=[_SCENARIOS]).to_dict()
    if "path" in data["traffic"]:
        data["traffic"]["path"] = str((_SCENARIOS / data["traffic"]["path"]).resolve())
    return peak_rss_mb(data)


_PROCESS = """
import json, resource, sys, time
from simulator.process.simulation import run_process
from simulator.scenario import load_scenario
sc = load_scenario(json.loads(sys.argv[1]))
started = time.perf_counter()
summary = run_process(sc, 1).summary
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"scenario": sc.name, "seconds": seconds, "releases": summary["releases"],
                  "days": sc.process.horizon / 86400, "peak_rss_mb": peak}))
"""


PROCESS_CASE = {"horizon": 30 * 86400.0, "rate": 10.0}
"""Issue 12's case: 30 simulated days of about 200 releases on the continuous deployment
preset (50 requests/s on a daily cycle), its team merging 10 changes a working day."""


def process_speed(name: str = "process-continuous-deployment-canary") -> dict:
    """One replication of PROCESS_CASE in a fresh process: wall time, releases, peak RSS.

    Issue 12's target: under 60 s on one core and under 500 MB.
    """
    from simulator.scenario.model import load_scenario

    data = load_scenario(_SCENARIOS / f"{name}.yaml").to_dict()
    data["process"]["horizon"] = PROCESS_CASE["horizon"]
    data["process"]["changes"]["rate"] = PROCESS_CASE["rate"]
    done = subprocess.run([sys.executable, "-c", _PROCESS, json.dumps(data)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rss_mb(scenario: dict) -> float:
    """Peak resident memory of a fresh process that simulates `scenario` (seed 1)."""
    code = (
        "import json, resource, sys; from simulator.run import simulate;"
        "simulate(json.loads(sys.argv[1]), seed=1);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(scenario)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


STARTUP = {
    "import simulator": [sys.executable, "-c", "import simulator"],
    "deploysim --help": [sys.executable, "-c", "from simulator.cli import app; app()", "--help"],
}
"""What the startup check times: the commands as a user's shell would run them."""


def startup_s(repeats: int = 3) -> dict:
    """Wall time of each STARTUP command in fresh processes.

    The best of `repeats`, after one run that warms the disk cache.
    """
    best = {}
    for label, command in STARTUP.items():
        times = []
        for _ in range(repeats + 1):
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True)
            times.append(time.perf_counter() - started)
        best[label] = min(times[1:])
    return best


def replication_speedup(replications: int, workers: int = 2) -> dict:
    """Wall time of the same replications of a strategy preset serially and on a pool."""
    from simulator.analysis.replication import replicate

    preset = _SCENARIOS / "canary-fraud-argo.yaml"
    replicate(preset, 1, 0, workers=1)  # load the compiled kernel before timing
    times = {}
    for n in (1, workers):
        started = time.perf_counter()
        replicate(preset, replications, 0, workers=n)
        times[n] = time.perf_counter() - started
    return {"scenario": preset.stem, "replications": replications, "workers": workers,
            "serial_s": times[1], "pool_s": times[workers],
            "speedup": times[1] / times[workers]}  # fmt: skip


def memory_checks(requests: int) -> dict:
    """Peak RSS at two request counts, at two simulated durations, and for the week."""
    n = requests // 10
    peak_rss_mb(mmc_scenario(20_000))  # fills the compiled-code cache: no measured child compiles
    return {
        "memory": [{"requests": k, "peak_rss_mb": peak_rss_mb(mmc_scenario(k))}
                   for k in (n, requests)],
        # the same requests over a day and over a week: memory that grows with simulated time
        "memory_by_duration": [
            {"requests": n, "days": days, "peak_rss_mb": peak_rss_mb(mmc_scenario(n, days * DAY))}
            for days in (1, 7)
        ],
        "memory_week": {"scenario": "week at 200 requests/s, canary, autoscaling",
                        "peak_rss_mb": peak_rss_mb(week_scenario())},
    }  # fmt: skip


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
        report |= memory_checks(memory_requests)
    hosting_rss = [hosting_memory(name) for name in HOSTING]  # while this process is small
    report["startup_s"] = startup_s()
    _engine(20_000)  # compile the kernel before timing
    engine = _engine(requests)
    reference = _simpy(reference_requests)
    bare = _bare(requests)
    report |= {
        "engine": engine, "simpy": reference, "ciw": _ciw(reference_requests), "bare": bare,
        "ratio": engine["requests_per_s"] / reference["requests_per_s"],
        "share_of_bare": engine["requests_per_s"] / bare["requests_per_s"],
        "presets": [preset_speed(name) for name in PRESETS],
    }  # fmt: skip
    report["process"] = process_speed()
    report["hosting"] = [hosting_speed(name) | {"peak_rss_mb": rss}
                         for name, rss in zip(HOSTING, hosting_rss, strict=True)]  # fmt: skip
    if replications:
        report["replications"] = replication_speedup(replications)
    return report


if __name__ == "__main__":
    print(json.dumps(run_bench(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
