"""One run of the release process: changes, CI, delivery and releases over the horizon.

`run_process(base, seed)` plays the scenario's `process:` section (or a `ProcessSpec`
given), each release run through the engine on `base` (a scenario with a release and a
strategy). Between releases nothing is simulated request by request: production serves
the last promoted version, accounted for as `impact.py` says (one run of the fleet
alone for quiet time, expected requests for incidents).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from simulator.errors import UserError
from simulator.process import dora
from simulator.process.budget import check_process
from simulator.process.calendar import WorkingCalendar
from simulator.process.changes import draw_changes
from simulator.process.delivery import Delivery
from simulator.process.impact import account
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
from simulator.process.retention import cloudtrail_keeps, cloudwatch_period, finest_resolutions
from simulator.process.steady import steady_run, steady_seed
from simulator.scenario.model import Scenario
from simulator.scenario.process import ProcessSpec

STREAMS = (*CI_STREAMS, "approval")
"""The process run's named random streams, each spawned from the seed (CI's first, so
they draw the same numbers with or without delivery)."""


RELEASE_COLUMNS = [
    "release", "began", "ended", "changes", "fresh", "defects", "error_rate", "latency_factor",
    "outcome", "incident", "detected", "detected_by", "restored", "restored_by", "reverted_by",
    "cost_usd", "failed_requests", "slo_violation_minutes", "incident_slo_share",
]  # fmt: skip
"""The releases table's columns (`account` adds the incidents' failed requests and minutes)."""


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
    delivery = Delivery(env, spec, base, calendar, pipeline, changes, rng["approval"], seed)
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
    releases = pd.DataFrame(delivery.releases, columns=RELEASE_COLUMNS)
    accounted = account(base, spec.horizon, releases, steady_run(base, steady_seed(seed)))
    evidence(releases, spec, base.monitoring.period)
    summary = dora.four_keys(table, releases, spec.horizon)
    summary |= {"changes": len(table), "deployed": int(table["deployed_at"].notna().sum()),
                "releases": len(releases)}  # fmt: skip
    summary |= accounted
    summary["ci_cost_usd"] = spec.pipeline.runner_price_per_hour * pipeline.busy_s / 3600.0
    return ProcessResult(summary, table, releases)


def evidence(releases: pd.DataFrame, spec: ProcessSpec, period: float) -> None:
    """Add what monitoring still holds of each release at its review and at the horizon.

    Metrics: the finest CloudWatch resolution left, in s (NaN once gone); audit: whether
    CloudTrail still has the release's API calls at the review.
    """
    stored = cloudwatch_period(period)
    review = spec.review
    began = releases["began"].to_numpy(dtype=float)
    at_review = np.full(len(began), review.after)  # every release is reviewed as old
    releases["metrics_at_review_s"] = finest_resolutions(at_review, stored)
    releases["metrics_at_horizon_s"] = finest_resolutions(spec.horizon - began, stored)
    releases["audit_at_review"] = cloudtrail_keeps(at_review, review.trail_to_s3)


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
