"""Replications of a release process: DORA's four keys with confidence intervals.

Replication k gets the k-th seed spawned from the experiment's seed, as for single runs
(`replication.replication_seeds`), so two scenarios that differ only in how they release
see the same change stream replication by replication (common random numbers), and
run on the same backends (a local process pool, or Dask).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from simulator.analysis.backends import backend_for
from simulator.analysis.replication import replication_seeds
from simulator.analysis.statistics import summarize
from simulator.process.budget import check_process
from simulator.process.simulation import ProcessError, run_process
from simulator.scenario.model import Scenario, load_scenario


def run_process_one(task: tuple[dict, int]) -> dict[str, float]:
    """One replication's summary, None as NaN (a module-level function any backend ships)."""
    data, seed = task
    summary = run_process(load_scenario(data), seed, force=True).summary  # checked already
    return {key: math.nan if value is None else value for key, value in summary.items()}


def replicate_process(
    scenario: Scenario | dict | str,
    replications: int = 10,
    seed: int = 0,
    *,
    scheduler: Any = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> pd.DataFrame:
    """One row per replication of the scenario's release process.

    The process is checked against its budget once, here, unless `force`.
    """
    sc = load_scenario(scenario)
    if not force:
        if sc.process is None:
            raise ProcessError("the scenario has no process: section to play")
        check_process(sc, sc.process)
    data = sc.to_dict()
    tasks = [(data, s) for s in replication_seeds(seed, replications)]
    rows = backend_for(scheduler, workers).map(run_process_one, tasks, progress)
    frame = pd.DataFrame(rows)
    frame.insert(0, "replication", range(replications))
    return frame


def process_intervals(frame: pd.DataFrame) -> pd.Series:
    """M_mean, M_ci_low, M_ci_high (95%) for each key, over the replications."""
    return summarize(frame.drop(columns=["replication"]))
