"""Experiments: strategies compared on common random numbers, and warm-up measured.

`compare` runs replication k of every strategy on the same seed, so their paired
differences (`differences`, Welch's intervals) are far less noisy than separate means;
`detect_warmup` and `warmup_effect` find and show the initial transient to cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.replication import replicate, replication_seeds, run_tasks
from simulator.analysis.statistics import (
    CONFIDENCE,
    ExperimentError,
    interval,
    numeric,
    summarize,
    welch,
)
from simulator.run import check_budget, simulate
from simulator.scenario.model import Scenario, load_scenario


def compare(
    scenario: Scenario | dict | str,
    strategies: Sequence[str | dict],
    replications: int = 30,
    seed: int = 0,
    *,
    scheduler: Any = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    confidence: float = CONFIDENCE,
    force: bool = False,
) -> pd.DataFrame:
    """Strategies side by side on common random numbers: a row per strategy.

    A strategy is a type (with its defaults) or a whole strategy spec with its settings,
    named by its type. The raw replications are kept in `table.attrs["replications"]`, for paired
    differences (`differences`).
    """
    runs = compare_runs(scenario, strategies, replications, seed, scheduler=scheduler,
                        workers=workers, progress=progress, force=force)  # fmt: skip
    table = pd.DataFrame(
        {name: summarize(group, confidence) for name, group in runs.groupby("strategy", sort=False)}
    ).T
    table.index.name = "strategy"
    table.attrs["replications"] = runs
    return table


def compare_runs(
    scenario: Scenario | dict | str,
    strategies: Sequence[str | dict],
    replications: int,
    seed: int,
    *,
    force: bool = False,
    **kw: Any,
) -> pd.DataFrame:
    """Every replication of every strategy, a row each (`strategy`, `replication`, metrics)."""
    sc = load_scenario(scenario)
    if not strategies:
        raise ExperimentError("compare needs at least one strategy")
    frame = run_tasks([(sc, s) for s in strategies], replications, seed, force=force, **kw)
    types = [s if isinstance(s, str) else str(s["type"]) for s in strategies]
    names = [types[a] for a in frame.pop("arm")]
    frame = frame.drop(columns=["strategy"])
    frame.insert(0, "strategy", names)
    return frame


def differences(runs: pd.DataFrame, baseline: str, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Each strategy minus the baseline, paired by replication, with both intervals.

    `M_diff_ci_*` is the paired interval (common random numbers); `M_unpaired_ci_*`
    the Welch interval the same numbers would give if the runs were independent.
    """
    values = numeric(runs.set_index(["strategy", "replication"]).reset_index(drop=False))
    values.index = pd.MultiIndex.from_frame(runs[["strategy", "replication"]])
    base = values.xs(baseline, level="strategy")
    rows = {}
    for name in dict.fromkeys(runs["strategy"]):
        if name == baseline:
            continue
        mine = values.xs(name, level="strategy")
        row: dict[str, float] = {}
        for column in values.columns:
            paired = (mine[column] - base[column]).dropna()
            (
                row[f"{column}_diff_mean"],
                row[f"{column}_diff_ci_low"],
                row[f"{column}_diff_ci_high"],
            ) = interval(paired, confidence)
            row[f"{column}_unpaired_ci_low"], row[f"{column}_unpaired_ci_high"] = welch(
                mine[column].dropna(), base[column].dropna(), confidence
            )
        rows[name] = row
    table = pd.DataFrame(rows).T
    table.index.name = "strategy"
    return table


def detect_warmup(
    scenario: Scenario | dict | str,
    seed: int = 0,
    *,
    pilots: int = 3,
    column: str = "wait_mean_ms",
    force: bool = False,
) -> float:
    """MSER-5 warm-up of the scenario, the largest over a few pilot runs, in seconds.

    The pilots use seeds of their own (spawned apart from the replications' seeds), so
    the runs that pick the warm-up are not the ones measured after it.
    """
    from simulator.analysis.warmup import warmup_time

    sc = load_scenario(scenario)
    if not force:
        check_budget(sc)
    pilot_seed = int(np.random.SeedSequence(seed, spawn_key=(2**31,)).generate_state(1)[0])
    times = [
        warmup_time(simulate(sc, seed=s, force=True).metrics, column, sc.monitoring.period)
        for s in replication_seeds(pilot_seed, pilots)
    ]
    return float(max(times))


def warmup_effect(
    scenario: Scenario | dict | str,
    replications: int = 10,
    seed: int = 0,
    *,
    metric: str = "wait_ms.mean",
    column: str = "wait_mean_ms",
    force: bool = False,
    **kw: Any,
) -> pd.DataFrame:
    """The metric with the scenario's own warm-up and with MSER-5's, side by side."""
    sc = load_scenario(scenario)
    detected = detect_warmup(sc, seed, column=column, force=force)
    rows = {}
    for label, warmup in (("scenario", sc.warmup), ("mser5", detected)):
        data = sc.to_dict() | {"warmup": warmup}
        runs = replicate(data, replications, seed, force=True, **kw)  # checked just above
        mean, low, high = interval(numeric(runs)[metric])
        rows[label] = {"warmup_s": warmup, f"{metric}_mean": mean,
                       f"{metric}_ci_low": low, f"{metric}_ci_high": high}  # fmt: skip
    return pd.DataFrame(rows).T
