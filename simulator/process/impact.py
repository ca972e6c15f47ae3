"""What users went through over the horizon, and what production cost.

The horizon splits into three kinds of time, each accounted for its own way:
- release windows (from a release's start to its end) were run by the engine: their
  failed requests and SLO-breaking minutes are the engine's (`releases.play`);
- incidents (an escaped defect serving all traffic, from promotion until restored)
  fail the traffic's expected requests times the defect's error rate, and break the
  SLO for the share of time the engine saw the promoted version break it after its
  promotion (or, without such a window, when the error rate alone exceeds the
  availability objective); their minutes inside release windows are not counted twice;
- the rest is quiet: production's rates from one run of the fleet alone
  (`steady.steady_run`), autoscaling included, times its length.
The incident's requests are expected counts, not draws: the impact of a long incident
is a mean, not a sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.process.steady import Steady
from simulator.scenario.model import Scenario


def overlap(a: np.ndarray, b: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each interval [a_i, b_i], its time inside the union of disjoint [starts, ends]."""
    lo = np.maximum(a[:, None], starts[None, :])
    hi = np.minimum(b[:, None], ends[None, :])
    return np.clip(hi - lo, 0.0, None).sum(axis=1)


def account(base: Scenario, horizon: float, releases: pd.DataFrame, steady: Steady) -> dict:
    """Fill the releases' incident columns; return the horizon's user impact and costs."""
    begun = releases["began"].to_numpy(dtype=float)
    ended = releases["ended"].fillna(horizon).to_numpy(dtype=float)
    window = ended - begun
    incident = releases["incident"].to_numpy(dtype=bool)
    until = releases["restored"].fillna(horizon).to_numpy(dtype=float)
    a, b = ended[incident], until[incident]
    arrivals = base.traffic.build(np.random.default_rng(0))  # expected counts draw nothing
    expected = np.array([arrivals.expected_count(x, y) for x, y in zip(a, b, strict=True)])
    rate = releases["error_rate"].to_numpy(dtype=float)[incident]
    share = releases["incident_slo_share"].to_numpy(dtype=float)[incident]
    if base.slo.availability is not None:
        share = np.where(np.isnan(share), (rate > 1 - base.slo.availability) * 1.0, share)
    share = np.nan_to_num(share)
    outside = (b - a) - overlap(a, b, begun, ended)
    failed = np.zeros(len(releases))
    minutes = np.zeros(len(releases))
    failed[incident] = expected * rate
    minutes[incident] = share * outside / 60.0
    releases["incident_failed_requests"] = failed
    releases["incident_slo_minutes"] = minutes
    quiet = max(0.0, horizon - window.sum() - outside.sum())
    total_failed = steady.failed_per_s * quiet + releases["failed_requests"].sum() + failed.sum()
    budget = None
    if base.slo.availability is not None:
        allowed = (1 - base.slo.availability) * arrivals.expected_count(0.0, horizon)
        budget = float(total_failed / allowed) if allowed > 0 else None
    overhead = releases["cost_usd"].to_numpy(dtype=float) - steady.cost_per_s * window
    return {
        "failed_requests": float(total_failed),
        "incident_failed_requests": float(failed.sum()),
        "slo_violation_minutes": float(steady.slo_share * quiet / 60.0
                                       + releases["slo_violation_minutes"].sum()
                                       + minutes.sum()),  # fmt: skip
        "error_budget_burned": budget,
        "serving_cost_usd": steady.cost_per_s * horizon,
        "release_overhead_usd": float(overhead.sum()),
    }
