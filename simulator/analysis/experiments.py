"""Experiments: replications with confidence intervals, fair comparisons and sweeps.

One run of a stochastic simulation proves nothing. Replication k of an experiment
always gets the k-th seed spawned from the experiment's seed (numpy SeedSequence),
whatever else runs, so results are reproducible and, when strategies are compared,
replication k of each sees the same traffic, failures and defect draws (common random
numbers): their paired differences are far less noisy than the separate means.

Replications run on a local process pool (every core) by default, or on a Dask
distributed cluster given its scheduler address or Client; the same seed gives the
same table on every backend. Every distinct arm is checked against the run budget
(`budget.py`) once, here, before anything is dispatched, unless `force`.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student-t quantiles, without importing scipy.stats

from simulator.analysis.backends import Backend, backend_for
from simulator.engine import budget
from simulator.engine.budget import BudgetError
from simulator.errors import UserError
from simulator.run import simulate
from simulator.scenario import with_strategy
from simulator.scenario.model import Scenario, load_scenario
from simulator.userfiles import brief

CONFIDENCE = 0.95


class ExperimentError(UserError):
    """An experiment or question that cannot be set up as asked: the message says what to give.

    A field path that does not exist, no strategy to compare, no limit to hold a metric to.
    """


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
    arms: Sequence[tuple[Scenario | dict | str, str | None]], labels: Sequence[str] | None = None
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
            budget.check(sc)
        except BudgetError as exc:
            if labels is None and strategy is None:
                raise
            name = labels[a] if labels is not None else f"strategy {strategy}"
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
    arms: Sequence[tuple[Scenario | dict | str, str | None]],
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


def numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """The summary metrics that can be averaged (booleans become 0/1, None becomes NaN).

    The outcome becomes two rates, `promoted` and `rolled_back`.
    """
    out = {}
    if "outcome" in frame:
        for outcome in ("promoted", "rolled_back"):
            out[outcome] = (frame["outcome"] == outcome).astype(float)
    for column in frame.columns:
        if column in ("arm", "point", "replication", "seed", "wall_s", "requests_per_s"):
            continue
        values = frame[column]
        if values.map(lambda v: v is None or isinstance(v, bool | int | float)).all():
            converted = pd.to_numeric(values.astype(object).where(values.notna()), "coerce")
            if converted.notna().any():
                out[column] = converted.astype(float)
    return pd.DataFrame(out, index=frame.index)


def interval(values: Iterable[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replications (NaN dropped)."""
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = stdtrit(len(x) - 1, 0.5 + confidence / 2) * x.std(ddof=1) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def summarize(frame: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.Series:
    """M_mean, M_ci_low, M_ci_high for every numeric summary metric M."""
    out: dict[str, float] = {}
    for column, values in numeric(frame).items():
        out[f"{column}_mean"], out[f"{column}_ci_low"], out[f"{column}_ci_high"] = interval(
            values, confidence
        )
    return pd.Series(out)


def compare(
    scenario: Scenario | dict | str,
    strategies: Sequence[str],
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

    The raw replications are kept in `table.attrs["replications"]`, for paired
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
    strategies: Sequence[str],
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
    names = [strategies[a] for a in frame.pop("arm")]
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
            row[f"{column}_unpaired_ci_low"], row[f"{column}_unpaired_ci_high"] = _welch(
                mine[column].dropna(), base[column].dropna(), confidence
            )
        rows[name] = row
    table = pd.DataFrame(rows).T
    table.index.name = "strategy"
    return table


def _welch(a: pd.Series, b: pd.Series, confidence: float) -> tuple[float, float]:
    """Welch's interval for mean(a) - mean(b) from independent samples."""
    if len(a) < 2 or len(b) < 2:
        return math.nan, math.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        d = float(a.mean() - b.mean())
        return d, d
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = stdtrit(dof, 0.5 + confidence / 2) * se
    d = float(a.mean() - b.mean())
    return d - half, d + half


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


# ------------------------------------------------------------------ warm-up


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
        budget.check(sc)
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


# ------------------------------------------------------------------ sweeps


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
