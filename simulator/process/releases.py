"""One release of the process, played through the engine.

A release carries the defects that escaped CI in its batch of changes; defects
compound (error rates as independent failures, latency factors multiplied). The base
scenario gives the fleet, the traffic, the strategy and its gate; the engine runs it
from the release's time of day (a diurnal pattern is shifted to match), and says
whether the gate rolled it back and how long the release took.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.run import simulate
from simulator.scenario.fleet import MAX_LATENCY_FACTOR
from simulator.scenario.model import Scenario, load_scenario
from simulator.scenario.process import Severity


@dataclass(frozen=True)
class Played:
    """What the engine made of a release."""

    outcome: str  # promoted, rolled_back, or incomplete (still going when the run ended)
    duration: float  # s from the release's start until it was promoted or rolled back
    cost_usd: float  # what the endpoint cost while the release ran (both fleets)


def compound(error_rates, severity: Severity) -> dict[str, float]:
    """The release's defect when it carries defects failing these shares of requests."""
    error_rates = np.asarray(error_rates, dtype=float)
    return {
        "error_rate": float(1.0 - np.prod(1.0 - error_rates)),
        "latency_factor": min(severity.latency_factor ** len(error_rates), MAX_LATENCY_FACTOR),
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


def play(base: Scenario, at: float, defect: dict[str, float], seed: int) -> Played:
    """Run the release that begins at process time `at`, carrying `defect`, through the engine."""
    data = release_data(base)
    data["release"]["defect"] = defect
    traffic = data["traffic"]
    if traffic["pattern"] == "diurnal":  # the run's time 0 is at - start_offset on the clock
        traffic["peak_at"] = (traffic["peak_at"] - (at - start_offset(base))) % traffic["period"]
    result = simulate(load_scenario(data), seed=seed, force=True)  # check_process did it
    outcome = result.summary["outcome"]
    took = result.summary["rollout_duration_s"]
    if outcome not in ("promoted", "rolled_back") or took is None:
        outcome, took = "incomplete", base.duration - start_offset(base)
    spent = result.summary["update_cost_usd"] or 0.0
    return Played(outcome, float(took), float(spent))


def release_seed(seed: int, k: int) -> int:
    """The engine's seed for the process's k-th release: independent of every other."""
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0])
