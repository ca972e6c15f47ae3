"""One release of the process, played through the engine.

A release carries the defects that escaped CI in its batch of changes; defects
compound (error rates as independent failures, latency factors multiplied). The base
scenario gives the fleet, the traffic, the strategy and its gate; the engine runs it
from the release's time of day (a diurnal pattern is shifted to match), and says
whether the gate rolled it back, how long the release took, what users went through
while it ran, and whether an alarm fired once it was promoted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.engine.events import EventKind
from simulator.run import simulate
from simulator.scenario.fleet import MAX_LATENCY_FACTOR
from simulator.scenario.model import Scenario, load_scenario

P99_SHARE = 0.01
"""A period's p99 is above the SLO when more than this share of its served requests is."""


@dataclass(frozen=True)
class Played:
    """What the engine made of a release."""

    outcome: str  # promoted, rolled_back, or incomplete (still going when the run ended)
    duration: float  # s from the release's start until it was promoted or rolled back
    cost_usd: float  # what the endpoint cost while the release ran (both fleets)
    failed: float  # user requests failed (5XX) in the periods the release ran
    slo_minutes: float  # minutes of those periods that broke the SLO
    alarm_after: float | None  # s from promotion until one of the scenario's alarms fired
    watched: float  # s of the run after promotion (the window alarms had)
    after_slo_share: float | None  # share of that time in periods breaking the SLO


def compound(error_rates, latency_factors) -> dict[str, float]:
    """The release's defect when it carries defects with these error rates and factors."""
    error_rates = np.asarray(error_rates, dtype=float)
    return {
        "error_rate": float(1.0 - np.prod(1.0 - error_rates)),
        "latency_factor": float(min(np.prod(latency_factors), MAX_LATENCY_FACTOR)),
    }


def start_offset(base: Scenario) -> float:
    """Seconds into the engine's run at which the release begins (its strategy's start)."""
    start = base.strategy.start
    return base.warmup if start is None else start


def release_data(base: Scenario) -> dict:
    """The scenario one release plays, as a dict: the base without its process section."""
    data = base.to_dict()
    data.pop("process", None)
    return data


def shifted(data: dict, at: float, offset: float) -> dict:
    """`data` with its diurnal traffic shifted so the run's `offset` falls at process time `at`."""
    traffic = data["traffic"]
    if traffic["pattern"] == "diurnal":
        traffic["peak_at"] = (traffic["peak_at"] - (at - offset)) % traffic["period"]
    return data


def play(base: Scenario, at: float, defect: dict[str, float], seed: int) -> Played:
    """Run the release that begins at process time `at`, carrying `defect`, through the engine."""
    data = release_data(base)
    data["release"]["defect"] = defect
    start = start_offset(base)
    sc = load_scenario(shifted(data, at, start))
    result = simulate(sc, seed=seed, force=True)  # check_process did it
    outcome = result.summary["outcome"]
    took = result.summary["rollout_duration_s"]
    if outcome not in ("promoted", "rolled_back") or took is None:
        outcome, took = "incomplete", base.duration - start
    failed, minutes = window_impact(sc, result.metrics, start, start + took)
    alarm_after = share = None
    watched = base.duration - start - took
    if outcome == "promoted":
        alarm_after = first_alarm(result.events, start + took)
        if watched >= sc.monitoring.period:  # a whole period of the new version alone
            share = window_impact(sc, result.metrics, start + took, base.duration)[1] * 60 / watched
    return Played(outcome, float(took), float(result.summary["update_cost_usd"] or 0.0),
                  failed, minutes, alarm_after, watched, share)  # fmt: skip


def window_impact(sc: Scenario, metrics: pd.DataFrame, begin: float, end: float):
    """User requests failed and SLO-breaking minutes in the periods that overlap [begin, end).

    A period breaks the SLO as the engine's own `slo_violation_minutes` says: its error
    share above 1 - availability, or its p99 above latency_p99 (more than 1% of its
    served requests slower, P99_SHARE).
    """
    users = metrics[~metrics["copy"].astype(bool)]
    period = sc.monitoring.period
    inside = users[(users["time_s"] + period > begin) & (users["time_s"] < end)]
    by = inside.groupby("period")[["Invocations", "Invocation5XXErrors", "Invocation4XXErrors",
                                   "slo_breaches"]].sum()  # fmt: skip
    bad = np.zeros(len(by), dtype=bool)
    if sc.slo.availability is not None:
        share = by["Invocation5XXErrors"] / by["Invocations"].where(by["Invocations"] > 0)
        bad |= (share.fillna(0.0) > 1 - sc.slo.availability).to_numpy()
    if sc.slo.latency_p99 is not None:
        served = by["Invocations"] - by["Invocation5XXErrors"] - by["Invocation4XXErrors"]
        slow = by["slo_breaches"] / served.where(served > 0)
        bad |= (slow.fillna(0.0) > P99_SHARE).to_numpy()
    return float(by["Invocation5XXErrors"].sum()), float(bad.sum() * period / 60.0)


def first_alarm(events: pd.DataFrame, after: float) -> float | None:
    """Seconds after `after` until an alarm was in ALARM (0 if one already was), else None."""
    changes = events[events["kind"] == EventKind.ALARM_STATE_CHANGE].sort_values("time")
    before = changes[changes["time"] <= after].groupby("alarm")["state"].last()
    if (before == "ALARM").any():
        return 0.0
    fired = changes[(changes["time"] > after) & (changes["state"] == "ALARM")]
    return None if fired.empty else float(fired["time"].min() - after)


def release_seed(seed: int, k: int) -> int:
    """The engine's seed for the process's k-th release: independent of every other."""
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0])
