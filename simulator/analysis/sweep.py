"""Sweeps: every combination of the given field values (or random points), replicated.

Each point's replications share the experiment's seeds, so neighbouring points differ
by their settings, not by luck; `aggregate` turns the tidy table into means and 95%
intervals per point.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulator.analysis.replication import check_arms, run_tasks
from simulator.analysis.statistics import CONFIDENCE, ExperimentError, summarize
from simulator.scenario.model import Scenario, load_scenario
from simulator.userfiles import brief


def set_path(data: dict, path: str, value: Any) -> dict:
    """A copy of scenario data with one dotted field set (`strategy.steps.0.weight`).

    Missing mappings on the way are created; list indices must exist; any other step
    (into a number or a string) is an error naming the path.
    """
    out = copy.deepcopy(data)
    parts = path.split(".")
    node: Any = out
    for i, part in enumerate(parts):
        where = ".".join(parts[:i]) or "the scenario"
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ExperimentError(f"{path}: {where} is a list of {len(node)}; "
                                      f"{part!r} is not one of its indices")  # fmt: skip
            key: Any = int(part)
        elif isinstance(node, dict):
            key = part
            if not last and node.get(key) is None:
                node[key] = {}
        else:
            raise ExperimentError(
                f"{path}: {where} is a {type(node).__name__}, not a mapping or list"
            )
        if last:
            node[key] = value
        else:
            node = node[key]
    return out


def grid_points(grid: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, as {path: value} points."""
    points: list[dict[str, Any]] = [{}]
    for path, values in grid.items():
        points = [p | {path: v} for p in points for v in values]
    return points


def random_points(
    space: dict[str, tuple[float, float] | Sequence[Any]], samples: int, seed: int = 0
) -> list[dict[str, Any]]:
    """Random points: (low, high) uniformly (integers if both are), a list by choice."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    points = []
    for _ in range(samples):
        point = {}
        for path, values in space.items():
            if isinstance(values, tuple) and len(values) == 2:
                low, high = values
                if isinstance(low, int) and isinstance(high, int):
                    point[path] = int(rng.integers(low, high + 1))
                else:
                    point[path] = float(rng.uniform(low, high))
            else:
                point[path] = values[int(rng.integers(len(values)))]
        points.append(point)
    return points


def sweep(
    scenario: Scenario | dict | str,
    points: Sequence[dict[str, Any]],
    replications: int = 5,
    seed: int = 0,
    *,
    force: bool = False,
    **kw: Any,
) -> pd.DataFrame:
    """A tidy table: one row per point and replication, the point's fields as columns.

    Every point is checked (loaded, and its budget unless `force`) before anything runs,
    so a bad value is reported at once with its field path.
    """
    base = load_scenario(scenario).to_dict()
    arms = []
    for point in points:
        data = base
        for path, value in point.items():
            data = set_path(data, path, value)
        arms.append((load_scenario(data), None))
    if not force:
        labels = [", ".join(f"{k}={v!r}" for k, v in p.items()) or "the scenario" for p in points]
        check_arms(arms, [f"sweep point {brief(label, 80)}" for label in labels])
    frame = run_tasks(arms, replications, seed, force=True, **kw)
    params = pd.DataFrame([points[a] for a in frame["arm"]], index=frame.index)
    frame.insert(1, "point", frame["arm"])
    return pd.concat([params, frame.drop(columns=["arm"])], axis=1)


def aggregate(tidy: pd.DataFrame, by: str | Sequence[str], confidence: float = CONFIDENCE):
    """Mean and interval per point of a sweep (or any grouping of replications)."""
    keys = [by] if isinstance(by, str) else list(by)
    groups = tidy.groupby(keys if len(keys) > 1 else keys[0], sort=False)
    table = pd.DataFrame(
        {key: summarize(group.drop(columns=keys), confidence) for key, group in groups}
    ).T
    table.index.names = keys
    return table
