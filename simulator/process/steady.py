"""Production between releases: one run of the scenario's fleet with no release under way.

Between releases nothing changes but the traffic, so one engine run of the fleet alone
over a traffic cycle (a diurnal period, else the scenario's duration), after its
warm-up, stands for every stretch of the horizon no release or incident covers: its
rates per second (what the fleet costs with its autoscaling, the requests it fails,
the share of time breaking the SLO) are scaled by how long those stretches last.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.process.releases import release_data, release_seed, shifted, window_impact
from simulator.run import simulate
from simulator.scenario.model import Scenario, load_scenario

STEADY_KEY = 2**32 - 1
"""The steady run's key next to the process seed (releases use their index, far below)."""


def steady_seed(seed: int) -> int:
    """The engine's seed for the steady run: independent of every release's."""
    return release_seed(seed, STEADY_KEY)


@dataclass(frozen=True)
class Steady:
    """Production's rates with no release under way."""

    cost_per_s: float  # USD, autoscaling included
    failed_per_s: float  # user requests failed (5XX)
    slo_share: float  # share of the time in periods that break the SLO
    seconds: float  # how long the run measured (one cycle)


def steady_scenario(base: Scenario) -> Scenario:
    """The fleet alone for one traffic cycle after the warm-up, its clock at process time 0."""
    data = release_data(base)
    data.pop("release", None)
    data["strategy"] = {"type": "none"}
    traffic = data["traffic"]
    cycle = traffic["period"] if traffic["pattern"] == "diurnal" else base.duration - base.warmup
    data["duration"] = base.warmup + cycle
    return load_scenario(shifted(data, 0.0, base.warmup))


def steady_run(base: Scenario, seed: int) -> Steady:
    """Run the fleet alone for one cycle; its rates stand for the time between releases."""
    sc = steady_scenario(base)
    result = simulate(sc, seed=seed, force=True)  # check_process counted it
    seconds = sc.duration - sc.warmup
    metrics = result.metrics
    after = metrics[metrics["time_s"] >= sc.warmup]
    failed, minutes = window_impact(sc, metrics, sc.warmup, sc.duration)
    return Steady(float(after["cost_usd"].sum()) / seconds, failed / seconds,
                  min(1.0, minutes * 60.0 / seconds), seconds)  # fmt: skip
