"""Which settings are worth considering? The ones no other setting beats on every objective.

`pareto_front` keeps them from any table; `risk_cost_front` runs the sweep first, over
risk (blast radius), rollout duration and cost.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from simulator.analysis.statistics import CONFIDENCE, ExperimentError
from simulator.analysis.sweep import aggregate, sweep
from simulator.scenario.model import Scenario

Sense = Literal["min", "max"]


RISK_COST_OBJECTIVES: dict[str, Sense] = {
    "blast_radius_mean": "min",
    "rollout_duration_s_mean": "min",
    "cost_usd_mean": "min",
}


def _costs(table: pd.DataFrame, objectives: dict[str, Sense]) -> np.ndarray:
    """The objectives as a matrix to minimise (a maximised column is negated)."""
    if not objectives:
        raise ExperimentError("give at least one objective")
    missing = [c for c in objectives if c not in table.columns]
    if missing:
        raise ExperimentError(f"no column {', '.join(missing)} in the table")
    bad = {c: s for c, s in objectives.items() if s not in ("min", "max")}
    if bad:
        raise ExperimentError(f"objectives must be 'min' or 'max', got {bad}")
    columns = [
        pd.to_numeric(table[c], errors="coerce").to_numpy(float) * (1 if s == "min" else -1)
        for c, s in objectives.items()
    ]
    return np.column_stack(columns)


def pareto_mask(table: pd.DataFrame, objectives: dict[str, Sense]) -> pd.Series:
    """True for the rows no other row dominates (no worse everywhere, better somewhere).

    Rows equal on every objective do not dominate each other, so ties are all kept; a
    row with a missing (NaN) objective cannot be ranked and is never on the front.
    Sorting lexicographically first means a row can only be dominated by one before
    it, and then by one already kept (dominance is transitive), so each row is
    compared with the front so far only.
    """
    costs = _costs(table, objectives)
    complete = ~np.isnan(costs).any(axis=1)
    order = [i for i in np.lexsort(costs.T[::-1]) if complete[i]]
    front: list[int] = []
    for i in order:
        kept = costs[front]
        if not len(front) or not np.any(
            np.all(kept <= costs[i], axis=1) & np.any(kept < costs[i], axis=1)
        ):
            front.append(i)
    mask = np.zeros(len(table), dtype=bool)
    mask[front] = True
    return pd.Series(mask, index=table.index, name="pareto")


def pareto_front(table: pd.DataFrame, objectives: dict[str, Sense]) -> pd.DataFrame:
    """The non-dominated rows, sorted by the objectives in the order given (best first)."""
    costs = _costs(table, objectives)
    mask = pareto_mask(table, objectives).to_numpy()
    order = [i for i in np.lexsort(costs.T[::-1]) if mask[i]]
    return table.iloc[order]


def risk_cost_front(
    scenario: Scenario | dict | str,
    points: list[dict[str, Any]],
    replications: int = 5,
    seed: int = 0,
    *,
    objectives: dict[str, Sense] | None = None,
    confidence: float = CONFIDENCE,
    force: bool = False,
    **kw: Any,
) -> pd.DataFrame:
    """Every strategy setting's means and intervals, with a `pareto` column.

    Runs `experiments.sweep` over the points (dotted field -> value), aggregates each
    point's replications, and marks the settings on the front of `objectives` (default:
    blast radius, rollout duration and cost, all minimised). Points come first as
    columns, in the order given.
    """
    if not points:
        raise ExperimentError("give at least one point")
    tidy = sweep(scenario, points, replications, seed, force=force, **kw)
    table = aggregate(tidy, ["point"], confidence)
    table.index = pd.Index(table.index.get_level_values(0).astype(int), name="point")
    params = pd.DataFrame([points[p] for p in table.index], index=table.index)
    table = pd.concat([params, table], axis=1)
    table["pareto"] = pareto_mask(table, objectives or RISK_COST_OBJECTIVES)
    return table
