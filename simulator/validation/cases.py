"""Simulation against queueing theory: the cases `deploysim validate` checks.

Each case is a plain queue written as a scenario (docs/design.md#plain-queues)
with a closed-form answer. A case runs several independent replications and passes
when theory lies inside the 99.9% Student-t interval of the replication means,
widened by 1% of the theoretical value for the histogram resolution of the tail
estimates. Little's law is checked on every case the same way: the number in system
sampled at period ends against lambda x W, paired by replication.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student-t quantiles, without importing scipy.stats (45 MB)

from simulator.engine.result import Result
from simulator.run import simulate
from simulator.validation import theory

CONFIDENCE = 0.999
RESOLUTION = 0.01


@dataclass(frozen=True)
class Case:
    """A plain queue, the quantity measured, and what theory says it is."""

    name: str
    quantity: str
    theory: float
    scenario: dict[str, Any]
    measure: Callable[[Result], float]


def _queue(name, lam, service, workers, *, requests, queue_capacity=None, log=0.0):
    mean = service.get("mean", service.get("value"))
    duration = requests / lam
    return {
        "name": name,
        "duration": duration,
        "warmup": min(duration / 10, 2000 * mean),
        "traffic": {"pattern": "poisson", "rate": lam},
        "fleet": {
            "instances": 1,
            "workers_per_instance": workers,
            "service_time": service,
            "queue_capacity": queue_capacity,
            "timeout": 1e9,
        },  # fmt: skip
        "monitoring": {"period": max(10 * mean, duration / 1000), "request_log": log},
    }


def _mean_wait(res: Result) -> float:
    return res.summary["wait_ms"]["mean"] / 1e3


def _blocking(res: Result) -> float:
    s = res.summary
    return s["rejected"] / (s["requests"] - s["in_flight"])


def _wait_tail(t: float, warmup: float) -> Callable[[Result], float]:
    def measure(res: Result) -> float:
        log = res.requests
        done = log[(log["outcome"] == "ok") & (log["arrival"] >= warmup)]
        return float((done["wait"] > t).mean())

    return measure


def cases(scale: float = 1.0) -> Iterator[Case]:
    """Every validation case; `scale` shrinks or grows the requests per replication."""
    n = int(200_000 * scale)
    mu = 10.0  # service rate per worker: mean service 100 ms
    exp = {"distribution": "exponential", "mean": 1 / mu}
    for rho in (0.3, 0.5, 0.7, 0.9, 0.95):
        heavy = int(n * (4 if rho >= 0.9 else 1))
        yield Case(f"M/M/1 rho={rho}", "mean wait (s)", theory.mmc_mean_wait(rho * mu, mu, 1),
                   _queue(f"mm1-{rho}", rho * mu, exp, 1, requests=heavy), _mean_wait)  # fmt: skip
        lam = rho * 4 * mu
        yield Case(f"M/M/4 rho={rho}", "mean wait (s)", theory.mmc_mean_wait(lam, mu, 4),
                   _queue(f"mm4-{rho}", lam, exp, 4, requests=heavy), _mean_wait)  # fmt: skip
    for rho in (0.5, 0.9):
        lam = rho * 4 * mu
        t = 1 / (4 * mu - lam)  # the conditional wait's mean: P(W > t) = C / e
        sc = _queue(f"mm4-tail-{rho}", lam, exp, 4, requests=n, log=1.0)
        tail = theory.mmc_wait_tail(lam, mu, 4, t)
        yield Case(f"M/M/4 rho={rho} tail", f"P(W > {t:.3g} s)", tail, sc,
                   _wait_tail(t, sc["warmup"]))  # fmt: skip
    for rho in (0.3, 0.7, 0.95):
        det = {"distribution": "deterministic", "value": 1 / mu}
        yield Case(f"M/D/1 rho={rho}", "mean wait (s)", theory.md1_mean_wait(rho * mu, 1 / mu),
                   _queue(f"md1-{rho}", rho * mu, det, 1, requests=n), _mean_wait)  # fmt: skip
    for c, load in ((5, 4.0), (10, 8.0)):
        yield Case(f"Erlang B c={c} a={load:g}", "blocking", theory.erlang_b(c, load),
                   _queue(f"erlang-b-{c}", load * mu, exp, c, requests=n, queue_capacity=0),
                   _blocking)  # fmt: skip
    yield Case("M/M/2/K k_wait=3 rho=0.9", "blocking", theory.mmck_blocking(18.0, mu, 2, 3),
               _queue("mm2k3", 18.0, exp, 2, requests=n, queue_capacity=3), _blocking)  # fmt: skip


def run_case(case: Case, replications: int = 8, seed: int = 0) -> dict[str, Any]:
    """Replicate a case and judge it against theory."""
    estimates, sampled, lambda_w = [], [], []
    for r in range(replications):
        res = simulate(case.scenario, seed=seed * 1000 + r)
        estimates.append(case.measure(res))
        sampled.append(res.summary["mean_in_system"])
        lambda_w.append(res.summary["lambda_w"])
    est = np.asarray(estimates)
    half = _half_width(est)
    # Little's law: L sampled at period ends against lambda x W, paired by replication.
    gap = np.asarray(sampled) - np.asarray(lambda_w)
    little_ok = abs(gap.mean()) <= _half_width(gap) + RESOLUTION * np.mean(lambda_w)
    return {
        "case": case.name,
        "quantity": case.quantity,
        "theory": case.theory,
        "simulated": float(est.mean()),
        "ci_half_width": half,
        "rel_error": float(abs(est.mean() - case.theory) / case.theory),
        "littles_gap": float(abs(gap.mean()) / np.mean(lambda_w)),
        "ok": bool(abs(est.mean() - case.theory) <= half + RESOLUTION * case.theory and little_ok),
    }


def _half_width(x: np.ndarray) -> float:
    """Half-width of the CONFIDENCE Student-t interval of the mean of x."""
    return float(stdtrit(len(x) - 1, 0.5 + CONFIDENCE / 2) * x.std(ddof=1) / np.sqrt(len(x)))


def validate(
    replications: int = 8, seed: int = 0, scale: float = 1.0, progress=None
) -> pd.DataFrame:
    """The theory-versus-simulation table for every case."""
    rows = []
    all_cases = list(cases(scale))
    for i, case in enumerate(all_cases):
        rows.append(run_case(case, replications, seed))
        if progress is not None:
            progress((i + 1) / len(all_cases))
    return pd.DataFrame(rows)
