"""What a run returns: a summary dict, per-period metrics and the audit trail.

The summary keys are a public contract (docs/design.md#summary-keys): add keys freely, never rename.
Latency and wait statistics cover completed requests that arrived after warm-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulator.engine.events import FIELDS
from simulator.engine.recording.histogram import quantile
from simulator.engine.recording.metrics import period_metrics
from simulator.engine.recording.tally import OUTCOMES
from simulator.scenario import security

if TYPE_CHECKING:
    from simulator.engine.dataplane import DataPlane
    from simulator.engine.records import Records


@dataclass
class Result:
    """One run's answer.

    ``metrics`` has one row per period and version. Its last column, ``copy``, is True
    on the rows of a shadow or parallel copy (mirrored requests whose answers no user
    saw), so readers tell copies by data, not by label; it came after the others, and a
    run stored before it has none: read that as False.

    ``events`` is the audit trail, one row per event: ``time``, ``kind`` (an
    `EventKind` value) and ``detail`` (the same in words, for people), then the event's
    fields as typed columns (`simulator.engine.events.FIELDS`), filled as its kind says.
    Read what happened from the fields, never from the detail. A run stored before the
    fields existed has only the first three columns: it says nothing more as data.
    """

    summary: dict[str, Any]
    metrics: pd.DataFrame
    events: pd.DataFrame
    requests: pd.DataFrame | None = None


def build_result(run: Records, plane: DataPlane, wall_s: float) -> Result:
    """Assemble summary, metrics and events once, at the end of the run."""
    rec, sc = run.recorder, run.sc
    users = [v for v in range(len(rec.versions)) if not rec.shadow[v]]
    totals = sum(rec.counts[v].sum(axis=0) for v in users)
    by = dict(zip(OUTCOMES, (int(x) for x in totals), strict=True))
    lat_sum, wait_sum, n_ok = rec.run_sums
    in_flight = plane.in_system
    begun, ended = run.rollout
    samples = np.array(run.in_system_samples, dtype=float)
    mean_in_system = float(samples.mean()) if len(samples) else 0.0
    little_lw = rec.sojourn_sum / sc.duration
    posture = posture_summary(sc.security, plane.requests, sc.duration)
    cost = float(sum(run.gauges.cost[v].area.sum() for v in run.gauges.cost))
    cost += posture["security_cost_usd"] or 0.0
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "strategy": sc.strategy.type,
        "seed": run.seed,
        "requests": plane.requests,
        "completed": by["ok"],
        "errors": by["error"] + by["failed"] + by["unavailable"],
        "rejected": by["rejected"],
        "timed_out": by["timed_out"],
        "in_flight": in_flight,
        "failed_in_flight": by["failed"],
        "unavailable": by["unavailable"],
        "latency_ms": _stats(rec.run_latency, lat_sum, n_ok, (0.50, 0.95, 0.99)),
        "wait_ms": _stats(rec.run_wait, wait_sum, n_ok, (0.50, 0.99)),
        "availability": _ratio(by["ok"], plane.requests - in_flight),
        "cost_usd": cost,
        "cost_per_million_usd": _ratio(cost * 1e6, by["ok"]),
        "throughput_per_s": by["ok"] / sc.duration,
        "outcome": run.outcome,
        "rollout_duration_s": None if begun is None or ended is None else ended - begun,
        "downtime_s": float(run.downtime.area.sum()),
        "blast_radius": rec.blast_radius,
        **_risk(run),
        **_costs(run, cost),
        **posture,
        "mean_in_system": mean_in_system,
        "lambda_w": little_lw,
        "littles_law_gap": _ratio(abs(mean_in_system - little_lw), max(little_lw, 1e-12)),
        "wall_s": wall_s,
        "requests_per_s": plane.requests / wall_s if wall_s > 0 else None,
    }
    frames = _metrics_frame(run, plane), _events_frame(run), _requests_frame(run)
    return Result(summary, *frames)


def _risk(run: Records) -> dict[str, Any]:
    """What the release risked: exposure, detection, rollback, SLO and error budget."""
    risk, sc, rec = run.risk, run.sc, run.recorder
    defect = sc.release.defect if sc.release is not None else None
    defective = defect is not None and (defect.error_rate > 0 or defect.latency_factor != 1)
    detect = _since(risk.detected_at, risk.exposed_at)
    if risk.detected_at is not None and risk.exposed_at is None:
        detect = None  # caught before any user saw it (a shadow or parallel comparison)
    minutes, budget = _slo(run)
    return {
        "time_to_detect_s": detect,
        "time_to_rollback_s": _since(risk.restored_at, risk.detected_at),
        "users_affected": rec.users_affected(),
        "reached_full_traffic": risk.full_at is not None,
        "release_defective": defective if sc.release is not None else None,
        "false_rollback": (run.outcome == "rolled_back" and not defective)
        if sc.release is not None
        else None,
        "slo_violation_minutes": minutes,
        "error_budget_burned": budget,
        "details": run.details,
    }


def _since(later: float | None, earlier: float | None) -> float | None:
    return None if later is None or earlier is None else later - earlier


def _slo(run: Records) -> tuple[float | None, float | None]:
    """Minutes of after-warm-up periods breaking the SLO, and the error budget burned.

    A period breaks the SLO when all user traffic's p99 exceeds `slo.latency_p99` or
    its success rate falls below `slo.availability`; the budget is the allowed share of
    failures (1 - availability) of the requests, and 1.0 means all of it is spent.
    """
    sc, rec = run.sc, run.recorder
    slo = sc.slo
    if slo.latency_p99 is None and slo.availability is None:
        return None, None
    users = [v for v in range(len(rec.versions)) if not rec.shadow[v]]
    first = min(rec.periods, int(np.ceil(sc.warmup / rec.period - 1e-9)))
    m = period_metrics(rec, run.gauges, users, slice(first, rec.periods))
    bad = np.zeros(len(m["Invocations"]), dtype=bool)
    if slo.latency_p99 is not None:
        bad |= np.nan_to_num(m["latency_p99"]) > slo.latency_p99
    budget = None
    if slo.availability is not None:
        bad |= np.nan_to_num(m["error_rate"]) > 1 - slo.availability
        allowed = (1 - slo.availability) * m["Invocations"].sum()
        budget = _ratio(float(m["Invocation5XXErrors"].sum()), allowed)
    return float(bad.sum() * rec.period / 60.0), budget


def _costs(run: Records, total: float) -> dict[str, Any]:
    """Cost of each version and of the update window (overlap while both fleets run)."""
    rec, gauges = run.recorder, run.gauges
    begun, ended = run.rollout_spend
    if begun is not None and ended is None:
        ended = run.spend.total_at(run.sc.duration)
    return {
        "cost_by_version": {
            version: float(gauges.cost[v].area.sum()) if v in gauges.cost else 0.0
            for v, version in enumerate(rec.versions)
        },
        "update_cost_usd": None if begun is None else ended - begun,
    }


def posture_summary(spec, requests: int, seconds: float) -> dict[str, Any]:
    """What the security posture `spec` costs over `seconds` and `requests`, and its findings.

    `security_posture` maps each practice with a finding to its severity, what to change
    and the field, in the order docs/reference/security.md gives the practices.
    """
    if spec is None:
        return {"security_cost_usd": None, "security_findings": None, "security_posture": None}
    hourly = security.posture_cost_per_hour(spec) * seconds / 3600.0
    per_gb = security.posture_cost_per_gb(spec) * requests * spec.payload_kb / 1e6
    found = security.open_findings(spec)
    return {"security_cost_usd": hourly + per_gb, "security_findings": len(found),
            "security_posture": {f.practice: f"{f.severity}: {f.message} (security.{f.field})"
                                 for f in found}}  # fmt: skip


def _stats(hist, total: float, n: float, qs) -> dict[str, float | None]:
    if n == 0:
        return {"mean": None} | {f"p{round(q * 100)}": None for q in qs}
    return {"mean": 1e3 * total / n} | {f"p{round(q * 100)}": 1e3 * quantile(hist, q) for q in qs}


def _ratio(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _metrics_frame(run: Records, plane: DataPlane) -> pd.DataFrame:
    rec = run.recorder
    rows = slice(0, rec.periods)
    frames = []
    for v, version in enumerate(rec.versions):
        m = period_metrics(rec, run.gauges, [v], rows)
        frame = {"time_s": np.arange(rec.periods) * rec.period, "period": np.arange(rec.periods),
                 "version": version}  # fmt: skip
        for key in ("latency_mean", "latency_p50", "latency_p95", "latency_p99", "wait_mean"):
            frame[f"{key}_ms"] = m.pop(key) * 1e3
        utilisation = m.pop("utilization")
        variant = next(x for x in plane.variants if x.version == version)
        frame |= m
        frame[variant.utilisation_metric] = utilisation
        # SageMaker's own share of each request's latency (microseconds), a fixed overhead here
        frame["OverheadLatency"] = np.where(
            m["Invocations"] > 0, variant.spec.overhead * 1e6, np.nan
        )
        frame["copy"] = bool(rec.shadow[v])  # a mirrored copy's rows: no user saw them
        frames.append(pd.DataFrame(frame))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if frames:  # last, so no earlier column moves (nor a second fleet's utilisation column)
        table["copy"] = table.pop("copy")
    return table.sort_values(["period", "version"], kind="stable").reset_index(drop=True)


def _events_frame(run: Records) -> pd.DataFrame:
    """The audit trail: time, kind and detail, then every event field, typed (empty if unfilled)."""
    frame = pd.DataFrame([event[:3] for event in run.events], columns=["time", "kind", "detail"])
    for name, dtype in FIELDS.items():
        values = [fields.get(name) for *_, fields in run.events]
        frame[name] = pd.Series(values, index=frame.index, dtype=dtype)
    return frame


def _requests_frame(run: Records) -> pd.DataFrame | None:
    chunks = run.recorder.log_chunks
    if not chunks:
        return None
    data = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    frame = pd.DataFrame(data)
    frame["version"] = np.array(run.recorder.versions)[frame["version"]]
    frame["outcome"] = np.array(OUTCOMES)[frame["outcome"]]
    frame["wait"] = frame["start"] - frame["arrival"]
    frame["latency"] = frame["end"] - frame["arrival"]
    return frame.sort_values("arrival", kind="stable").reset_index(drop=True)
