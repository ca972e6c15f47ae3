"""One run of the release process: changes, CI, delivery and releases over the horizon.

`run_process(base, seed)` plays the scenario's `process:` section (or a `ProcessSpec`
given), each release run through the engine on `base` (a scenario with a release and a
strategy). Between releases nothing is simulated request by request: production serves
the last promoted version, and an incident (a defect the gate let through) costs the
traffic's expected requests over it times the defect's error rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from simulator.engine.fleet import build_variant
from simulator.errors import UserError
from simulator.process import dora
from simulator.process.budget import check_process
from simulator.process.calendar import WorkingCalendar
from simulator.process.changes import draw_changes
from simulator.process.delivery import Delivery
from simulator.process.pipeline import (
    FIXING,
    PASSED,
    RUNNING,
    WAITING,
    Pipeline,
    merges,
    streams,
)
from simulator.process.pipeline import STREAMS as CI_STREAMS
from simulator.scenario.model import Scenario
from simulator.scenario.process import ProcessSpec

STREAMS = (*CI_STREAMS, "approval")
"""The process run's named random streams, each spawned from the seed (CI's first, so
they draw the same numbers with or without delivery)."""


class ProcessError(UserError):
    """A process that cannot be played with the scenario given."""


@dataclass
class ProcessResult:
    """A process run: DORA's four keys and more in `summary`, and a table per kind of thing."""

    summary: dict
    changes: pd.DataFrame
    releases: pd.DataFrame


def run_process(
    base: Scenario, seed: int, spec: ProcessSpec | None = None, *, force: bool = False
) -> ProcessResult:
    """Play the release process; each release goes through the engine on `base`.

    The process is `spec` if given, else the scenario's own `process:` section. It is
    checked against the process budget first (`process/budget.py`), unless `force`.
    """
    spec = spec or base.process
    if spec is None:
        raise ProcessError("the scenario has no process: section to play")
    if base.release is None or base.strategy.type == "none":
        raise ProcessError("a release process needs a scenario with a release and a strategy "
                           "to play each release with (release: and strategy:)")  # fmt: skip
    if not force:
        check_process(base, spec)
    rng = streams(seed, STREAMS)
    calendar = WorkingCalendar(spec.calendar, spec.horizon)
    changes = draw_changes(spec.changes, calendar, rng)
    env = simpy.Environment()
    pipeline = Pipeline(env, spec.pipeline, calendar, rng, len(changes))
    delivery = Delivery(env, spec, base, calendar, pipeline, changes.error_rate, rng["approval"],
                        seed)  # fmt: skip
    pipeline.on_passed = delivery.passed

    env.process(merges(env, pipeline, changes))
    env.process(delivery.controller())
    env.run(until=spec.horizon)

    table = pd.DataFrame({
        "merged_at": changes.merged_at, "size": changes.size, "defective": changes.defective,
        "passed_at": pipeline.passed_at, "deployed_at": delivery.deployed_at,
        "caught": pipeline.caught, "runs": pipeline.runs, "retries": pipeline.retries,
        "waited_s": pipeline.waited, "release": delivery.release_of,
    })  # fmt: skip
    table["lead_time_s"] = table["deployed_at"] - table["merged_at"]
    table["state"] = _states(pipeline, delivery, len(table))
    releases = pd.DataFrame(delivery.releases, columns=[
        "release", "began", "ended", "changes", "fresh", "defects", "error_rate", "outcome",
        "incident", "restored", "cost_usd"])  # fmt: skip
    releases["failed_requests"] = [
        _incident_failures(base, spec, r) if r["incident"] else 0.0
        for r in releases.to_dict("records")
    ]
    summary = dora.four_keys(table, releases, spec.horizon)
    summary |= {"changes": len(table), "deployed": int(table["deployed_at"].notna().sum()),
                "releases": len(releases),
                "incident_failed_requests": float(releases["failed_requests"].sum())}
    summary |= _costs(base, spec, pipeline, releases)
    return ProcessResult(summary, table, releases)


def _costs(base: Scenario, spec: ProcessSpec, pipeline: Pipeline, releases: pd.DataFrame) -> dict:
    """USD over the horizon: the fleet serving, what releases added, and CI's runners.

    Serving is the scenario's fleet billed all the time; a release's overhead is what the
    endpoint cost while it ran (both fleets, the engine's `update_cost_usd`) less what
    the fleet alone would have cost in that time.
    """
    hourly = build_variant("v", base.fleet, is_release=False).price_per_hour * base.fleet.instances
    took = (releases["ended"].fillna(spec.horizon) - releases["began"]).to_numpy()
    overhead = float((releases["cost_usd"].to_numpy() - hourly * took / 3600.0).sum())
    return {
        "serving_cost_usd": hourly * spec.horizon / 3600.0,
        "release_overhead_usd": overhead,
        "ci_cost_usd": spec.pipeline.runner_price_per_hour * pipeline.busy_s / 3600.0,
    }


def _states(pipeline: Pipeline, delivery: Delivery, n: int) -> np.ndarray:
    """Where each change is at the horizon ("lost" would be a bug: tests look for it)."""
    state = np.full(n, "lost", dtype=object)
    state[np.isin(pipeline.status, (WAITING, RUNNING))] = "in CI"
    state[pipeline.status == FIXING] = "being fixed"
    passed = pipeline.status == PASSED
    ready = np.zeros(n, dtype=bool)
    ready[delivery.ready] = True
    state[passed & ready] = "ready"
    releasing = np.zeros(n, dtype=bool)
    releasing[delivery.releasing] = True
    state[passed & releasing] = "releasing"
    state[passed & ~np.isnan(delivery.deployed_at)] = "deployed"
    return state


def _incident_failures(base: Scenario, spec: ProcessSpec, release: dict) -> float:
    """Expected requests failed while an escaped defect served all traffic."""
    end = release["restored"] if np.isfinite(release["restored"]) else spec.horizon
    arrivals = base.traffic.build(np.random.default_rng(0))
    return arrivals.expected_count(release["ended"], end) * release["error_rate"]
