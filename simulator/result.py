"""What a run returns: a summary dict, per-period metrics and the audit trail.

The summary keys are a public contract (DESIGN.md): add keys freely, never rename.
Latency and wait statistics cover completed requests that arrived after warm-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .metrics import period_metrics
from .monitoring import OUTCOMES, quantile

if TYPE_CHECKING:
    from .engine import Simulation


@dataclass
class Result:
    """One run's answer."""

    summary: dict[str, Any]
    metrics: pd.DataFrame
    events: pd.DataFrame
    requests: pd.DataFrame | None = None


def build_result(sim: Simulation, wall_s: float) -> Result:
    """Assemble summary, metrics and events once, at the end of the run."""
    rec, sc = sim.recorder, sim.sc
    totals = sum(c.sum(axis=0) for c in rec.counts)
    by = dict(zip(OUTCOMES, (int(x) for x in totals), strict=True))
    lat_sum, wait_sum, n_ok = rec.run_sums
    in_flight = sim.plane.in_system
    begun, ended = sim.rollout
    samples = np.array(sim.in_system_samples, dtype=float)
    mean_in_system = float(samples.mean()) if len(samples) else 0.0
    little_lw = rec.sojourn_sum / sc.duration
    cost = float(sum(sim.gauges.cost[v].area.sum() for v in sim.gauges.cost))
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "strategy": sc.strategy.type,
        "seed": sim.seed,
        "requests": sim.plane.requests,
        "completed": by["ok"],
        "errors": by["error"] + by["failed"] + by["unavailable"],
        "rejected": by["rejected"],
        "timed_out": by["timed_out"],
        "in_flight": in_flight,
        "failed_in_flight": by["failed"],
        "unavailable": by["unavailable"],
        "latency_ms": _stats(rec.run_latency, lat_sum, n_ok, (0.50, 0.95, 0.99)),
        "wait_ms": _stats(rec.run_wait, wait_sum, n_ok, (0.50, 0.99)),
        "availability": _ratio(by["ok"], sim.plane.requests - in_flight),
        "cost_usd": cost,
        "cost_per_million_usd": _ratio(cost * 1e6, by["ok"]),
        "outcome": sim.outcome,
        "time_to_detect_s": None,
        "time_to_rollback_s": None,
        "rollout_duration_s": None if begun is None or ended is None else ended - begun,
        "downtime_s": float(sim.downtime.area.sum()),
        "blast_radius": rec.blast_radius,
        "mean_in_system": mean_in_system,
        "lambda_w": little_lw,
        "littles_law_gap": _ratio(abs(mean_in_system - little_lw), max(little_lw, 1e-12)),
        "wall_s": wall_s,
        "requests_per_s": sim.plane.requests / wall_s if wall_s > 0 else None,
    }
    return Result(summary, _metrics_frame(sim), _events_frame(sim), _requests_frame(sim))


def _stats(hist, total: float, n: float, qs) -> dict[str, float | None]:
    if n == 0:
        return {"mean": None} | {f"p{round(q * 100)}": None for q in qs}
    return {"mean": 1e3 * total / n} | {f"p{round(q * 100)}": 1e3 * quantile(hist, q) for q in qs}


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _metrics_frame(sim: Simulation) -> pd.DataFrame:
    rec = sim.recorder
    rows = slice(0, rec.periods)
    frames = []
    for v, version in enumerate(rec.versions):
        m = period_metrics(rec, sim.gauges, [v], rows)
        frame = {"time_s": np.arange(rec.periods) * rec.period, "period": np.arange(rec.periods),
                 "version": version}  # fmt: skip
        for key in ("latency_mean", "latency_p50", "latency_p95", "latency_p99", "wait_mean"):
            frame[f"{key}_ms"] = m.pop(key) * 1e3
        utilisation = m.pop("utilization")
        variant = next(x for x in sim.plane.variants if x.version == version)
        frame |= m
        frame[variant.utilisation_metric] = utilisation
        # SageMaker's own share of each request's latency (microseconds), a fixed overhead here
        frame["OverheadLatency"] = np.where(
            m["Invocations"] > 0, variant.spec.overhead * 1e6, np.nan
        )
        frames.append(pd.DataFrame(frame))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table.sort_values(["period", "version"], kind="stable").reset_index(drop=True)


def _events_frame(sim: Simulation) -> pd.DataFrame:
    return pd.DataFrame(sim.events, columns=["time", "kind", "detail"])


def _requests_frame(sim: Simulation) -> pd.DataFrame | None:
    chunks = sim.plane.log_chunks
    if not chunks:
        return None
    data = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    frame = pd.DataFrame(data)
    frame["version"] = np.array(sim.recorder.versions)[frame["version"]]
    frame["outcome"] = np.array(OUTCOMES)[frame["outcome"]]
    frame["wait"] = frame["start"] - frame["arrival"]
    frame["latency"] = frame["end"] - frame["arrival"]
    return frame.sort_values("arrival", kind="stable").reset_index(drop=True)
