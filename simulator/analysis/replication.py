"""Replications: the k-th seed of an experiment, run anywhere, checked against the budget.

One run of a stochastic simulation proves nothing. Replication k of an experiment
always gets the k-th seed spawned from the experiment's seed (numpy SeedSequence),
whatever else runs, so results are reproducible and, when strategies are compared,
replication k of each sees the same traffic, failures and defect draws (common random
numbers): their paired differences are far less noisy than the separate means.

Replications run on a local process pool (every core) by default, or on a Dask
distributed cluster given its scheduler address or Client; the same seed gives the
same table on every backend. Every distinct arm is checked against the run budget
(`simulator.engine.budget`) once, here, before anything is dispatched, unless `force`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.backends import Backend, backend_for
from simulator.analysis.statistics import interval, numeric
from simulator.engine.budget import BudgetError
from simulator.run import check_budget, simulate
from simulator.scenario import with_strategy
from simulator.scenario.model import Scenario, load_scenario


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Independent, reproducible seeds; replication k's seed does not depend on how many."""
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def flatten(summary: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested summary keys as dotted names (`latency_ms.p99`)."""
    flat: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, dict):
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def run_one(task: tuple[dict, int, str | None]) -> dict[str, Any]:
    """One replication (a module-level function, so any backend can ship it).

    Tasks come from `run_tasks`, which has checked their budget already.
    """
    scenario, seed, strategy = task
    return flatten(simulate(scenario, seed=seed, strategy=strategy, force=True).summary)


def check_arms(
    arms: Sequence[tuple[Scenario | dict | str, str | dict | None]],
    labels: Sequence[str] | None = None,
) -> None:
    """Check every distinct arm against the run budget, once, in this process.

    A refused arm raises BudgetError naming it (its label, else its strategy), before
    any replication of any arm has started.
    """
    seen = set()
    for a, (scenario, strategy) in enumerate(arms):
        sc = with_strategy(load_scenario(scenario), strategy)
        key = json.dumps(sc.to_dict(), sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        try:
            check_budget(sc)
        except BudgetError as exc:
            if labels is None and strategy is None:
                raise
            kind = strategy if isinstance(strategy, str | None) else strategy.get("type")
            name = labels[a] if labels is not None else f"strategy {kind}"
            raise BudgetError(f"{name}: {exc}") from None


def replicate(
    scenario: Scenario | dict | str,
    replications: int = 10,
    seed: int = 0,
    *,
    strategy: str | None = None,
    first: int = 0,
    scheduler: Any = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> pd.DataFrame:
    """One row per replication (flattened summary), replications first..first+n-1."""
    frame = run_tasks(
        [(scenario, strategy)], replications, seed, first=first, scheduler=scheduler,
        workers=workers, progress=progress, force=force,
    )  # fmt: skip
    return frame.drop(columns=["arm"])


def run_tasks(
    arms: Sequence[tuple[Scenario | dict | str, str | dict | None]],
    replications: int,
    seed: int,
    *,
    first: int = 0,
    scheduler: Any = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    backend: Backend | None = None,
    force: bool = False,
) -> pd.DataFrame:
    """Replications of several arms (scenario, strategy), replication k sharing seed k.

    Every arm is checked against the run budget first (`check_arms`), unless `force`.
    """
    seeds = replication_seeds(seed, first + replications)[first:]
    if not force:
        check_arms(arms)
    data = [load_scenario(sc).to_dict() for sc, _ in arms]
    tasks = [(data[a], s, arm[1]) for a, arm in enumerate(arms) for s in seeds]
    backend = backend or backend_for(scheduler, workers)
    rows = backend.map(run_one, tasks, progress)
    frame = pd.DataFrame(rows)
    frame.insert(0, "replication", [first + k for _ in arms for k in range(replications)])
    frame.insert(0, "arm", [a for a in range(len(arms)) for _ in range(replications)])
    return frame


def replicate_to_precision(
    scenario: Scenario | dict | str,
    metric: str,
    *,
    relative: float = 0.05,
    seed: int = 0,
    initial: int = 5,
    maximum: int = 200,
    force: bool = False,
    **kw: Any,
) -> pd.DataFrame:
    """Add replications until the metric's 95% half-width is within `relative` of its mean.

    Starts with `initial`, then grows to the number the current estimate says is
    needed (n = n0 (h0 / target)^2, the 1/sqrt(n) law), up to `maximum`. The budget is
    checked once, before the first replication.
    """
    frame = replicate(scenario, initial, seed, force=force, **kw)
    while True:
        mean, low, high = interval(numeric(frame)[metric])
        half = (high - low) / 2
        target = relative * abs(mean)
        n = len(frame)
        if math.isnan(half) or half <= target or n >= maximum:
            relative_half = half / abs(mean) if mean else math.nan
            frame.attrs["precision"] = {"metric": metric, "mean": mean, "half_width": half,
                                        "relative": relative_half}  # fmt: skip
            return frame
        wanted = n * (half / target) ** 2 if target > 0 else math.inf
        more = int(min(maximum, max(n + 1, math.ceil(min(wanted, maximum))))) - n
        frame = pd.concat(
            [frame, replicate(scenario, more, seed, first=n, force=True, **kw)],
            ignore_index=True,
        )
