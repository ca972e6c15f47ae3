"""The questions users actually ask, each answered from replications with its uncertainty.

- How many instances do I need?  `capacity_search`: the fewest instances (or workers,
  or any integer field) whose SLO metric meets its limit with the stated confidence;
  `cheapest_target` does it for several instance types and picks the cheapest.
- Will my canary catch this defect?  `detection_power`: for each (weight, bake) the
  probability the gate rolls the release back before it reaches full traffic, with a
  Wilson interval, the time to detect and the blast radius; `false_rollback_rate` is
  the same canary on the release without its defect.
- Which strategy settings are worth considering?  `pareto_front` keeps the settings no
  other setting beats on every objective; `risk_cost_front` runs the sweep first.

Every replication k of every candidate or setting runs on the same seed (common random
numbers, see `experiments.py`), so comparisons between candidates are paired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from simulator.analysis.experiments import (
    CONFIDENCE,
    ExperimentError,
    aggregate,
    check_arms,
    interval,
    numeric,
    run_tasks,
    set_path,
    sweep,
)  # fmt: skip
from simulator.engine.fleet import build_variant
from simulator.scenario.model import Scenario, load_scenario

Sense = Literal["min", "max"]
RISK_COST_OBJECTIVES: dict[str, Sense] = {
    "blast_radius_mean": "min",
    "rollout_duration_s_mean": "min",
    "cost_usd_mean": "min",
}


# ---------------------------------------------------------------- statistics


def one_sided(values: Any, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and one-sided Student-t bounds: P(mean <= upper) = confidence (likewise lower).

    A one-sided bound at `confidence` is one end of the two-sided interval at
    2 confidence - 1, so it reuses `experiments.interval`.
    """
    if not 0.5 < confidence < 1:
        raise ExperimentError(f"confidence must be in (0.5, 1), got {confidence!r}")
    return interval(values, 2 * confidence - 1)


def wilson(
    successes: int, trials: int, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Share and Wilson score interval; unlike p +- z se it stays in [0, 1] at 0 or n of n."""
    if trials <= 0:
        return math.nan, math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return p, max(0.0, centre - half), min(1.0, centre + half)


# ---------------------------------------------------------------- capacity


@dataclass
class CapacityResult:
    """The fewest value of `field` meeting the SLO (None if none up to the maximum)."""

    field: str
    value: int | None
    metric: str
    limit: float
    availability: float | None
    confidence: float
    table: pd.DataFrame = dc_field(repr=False)

    @property
    def instances(self) -> int | None:
        """The answer under its usual name (the searched field is fleet.instances by default)."""
        return self.value

    @property
    def found(self) -> bool:
        """Whether some candidate up to the maximum met the SLO."""
        return self.value is not None


def offered_load(sc: Scenario) -> float | None:
    """Offered load lambda x E[S] in Erlangs, when the traffic's mean rate is known (else None)."""
    traffic = sc.traffic
    if traffic.pattern in ("poisson", "diurnal") or (
        traffic.pattern == "bursty" and traffic.cv is not None
    ):
        service = build_variant("capacity", sc.fleet, is_release=False).service
        return float(traffic.rate) * float(service.mean)
    return None


def lower_bound(sc: Scenario, field_path: str) -> int | None:
    """Fewest instances (or workers) with capacity above the offered load, when known.

    Below it the queue is unstable and waits grow without bound, so no latency limit
    holds in steady state. Not used when something else can rescue an overloaded fleet:
    a finite queue (it rejects instead) or autoscaling (it adds instances).
    """
    if field_path not in ("fleet.instances", "fleet.workers_per_instance"):
        return None
    if sc.fleet.queue_capacity is not None or sc.autoscaling is not None:
        return None
    load = offered_load(sc)
    if load is None:
        return None
    if field_path == "fleet.instances":
        per = build_variant("capacity", sc.fleet, is_release=False).workers
    else:
        per = sc.fleet.instances
    return math.floor(load / per + 1e-12) + 1


def default_limit(sc: Scenario, metric: str) -> float:
    """The SLO's p99 latency in ms, the default limit of a latency metric."""
    if sc.slo.latency_p99 is None:
        raise ExperimentError(f"give a limit for {metric}: the scenario has no slo.latency_p99")
    return sc.slo.latency_p99 * 1000.0


def capacity_search(
    scenario: Scenario | dict | str,
    *,
    replications: int = 10,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    minimum: int = 1,
    maximum: int = 64,
    metric: str = "latency_ms.p99",
    limit: float | None = None,
    availability: float | None = None,
    field: str = "fleet.instances",
    force: bool = False,
    **kw: Any,
) -> CapacityResult:
    """The fewest `field` (default fleet.instances) meeting the SLO with confidence.

    A candidate meets the SLO when the one-sided `confidence` upper bound of the
    metric's mean over replications is <= `limit` (default slo.latency_p99 in ms) and,
    if an availability target is set (`availability`, default slo.availability; 0 drops it), its
    one-sided lower bound is >= the target. The requirement is taken to be monotone
    (more capacity never hurts), so the search starts at the stability bound
    floor(lambda E[S] / per) + 1 when it is known (else `minimum`), gallops up by 1, 2,
    4, ... until a candidate meets, then bisects the last gap: O(log) evaluations.
    Each candidate is checked against the run budget before it runs, unless `force`.
    `kw` goes to `experiments.run_tasks` (workers, scheduler, progress).
    """
    if replications < 2:
        raise ExperimentError("capacity_search needs at least 2 replications for an interval")
    if minimum < 1 or maximum < minimum:
        raise ExperimentError(f"need 1 <= minimum <= maximum, got {minimum}, {maximum}")
    sc = load_scenario(scenario)
    limit = default_limit(sc, metric) if limit is None else float(limit)
    target = sc.slo.availability if availability is None else availability
    base = sc.to_dict()
    name = field.rsplit(".", 1)[-1]
    rows: dict[int, dict[str, Any]] = {}

    def meets(value: int) -> bool:
        data = load_scenario(set_path(base, field, value))
        frame = numeric(run_tasks([(data, None)], replications, seed, force=force, **kw))
        if metric not in frame:
            raise ExperimentError(f"unknown metric {metric!r}; known: {', '.join(frame.columns)}")
        mean, _, upper = one_sided(frame[metric], confidence)
        row = {name: value, "metric_mean": mean, "metric_upper": upper}
        ok = not math.isnan(upper) and upper <= limit
        if target is not None:
            avail, lower, _ = one_sided(frame["availability"], confidence)
            row |= {"availability_mean": avail, "availability_lower": lower}
            ok = ok and not math.isnan(lower) and lower >= target
        rows[value] = row | {"meets": ok}
        return ok

    bound = lower_bound(sc, field)
    start = max(minimum, bound) if bound is not None else minimum
    answer = _gallop(meets, start, maximum)
    table = pd.DataFrame([rows[v] for v in sorted(rows)])
    table.attrs["lower_bound"] = bound
    return CapacityResult(field, answer, metric, limit, target, confidence, table)


def _gallop(meets: Any, start: int, maximum: int) -> int | None:
    """Smallest n in [start, maximum] with meets(n), for a monotone meets; None if none."""
    if start > maximum:
        return None
    if meets(start):
        return start
    failing, step = start, 1
    while True:
        candidate = min(failing + step, maximum)
        if meets(candidate):
            passing = candidate
            break
        if candidate == maximum:
            return None
        failing, step = candidate, step * 2
    while passing - failing > 1:
        middle = (failing + passing) // 2
        if meets(middle):
            passing = middle
        else:
            failing = middle
    return passing


@dataclass
class TargetChoice:
    """The cheapest target meeting the SLO, and every target's answer."""

    target: str | None
    instances: int | None
    price_per_hour: float | None
    cost_per_hour: float | None
    table: pd.DataFrame = dc_field(repr=False)
    searches: dict[str, CapacityResult] = dc_field(repr=False, default_factory=dict)


def cheapest_target(
    scenario: Scenario | dict | str, targets: list[str], *, force: bool = False, **kw: Any
) -> TargetChoice:
    """The cheapest (instances x price per hour) of `targets` that meets the SLO.

    Each target replaces fleet.target (the model's catalog latency and workers follow
    it) and gets its own `capacity_search` (keywords as there); its price is the built
    variant's, so an accelerator or an explicit price_per_hour counts. Ties go to the
    target listed first. Every target is checked against the run budget before any
    search starts, unless `force`.
    """
    if not targets:
        raise ExperimentError("cheapest_target needs at least one target")
    base = load_scenario(scenario).to_dict()
    scenarios = {t: load_scenario(set_path(base, "fleet.target", t)) for t in targets}
    if not force:
        check_arms([(sc, None) for sc in scenarios.values()], [f"target {t}" for t in targets])
    rows, searches = [], {}
    for target, sc in scenarios.items():
        price = build_variant("price", sc.fleet, is_release=False).price_per_hour
        result = capacity_search(sc, force=force, **kw)
        searches[target] = result
        cost = None if result.value is None else result.value * price
        rows.append({"target": target, "instances": result.value, "price_per_hour": price,
                     "cost_per_hour": cost, "meets": result.found})  # fmt: skip
    table = pd.DataFrame(rows)
    found = table[table["meets"]]
    if found.empty:
        return TargetChoice(None, None, None, None, table, searches)
    best = found.loc[found["cost_per_hour"].astype(float).idxmin()]
    return TargetChoice(best["target"], int(best["instances"]), float(best["price_per_hour"]),
                        float(best["cost_per_hour"]), table, searches)  # fmt: skip


# ---------------------------------------------------------------- canary detection


def canary_scenario(sc: Scenario, weight: float, bake: float, *, healthy: bool = False) -> dict:
    """The scenario with one canary step (weight %, bake s) then promotion.

    The scenario's gate, start and scale_down_delay are kept when its strategy has them
    (else the canary's defaults: a Flagger gate with checks from the SLO).
    """
    data = sc.to_dict()
    old = data.get("strategy", {})
    strategy = {"type": "canary", "steps": [{"weight": weight, "bake": bake}]}
    strategy |= {k: old[k] for k in ("start", "gate", "scale_down_delay") if k in old}
    data["strategy"] = strategy
    if healthy:
        data["release"]["defect"] = {}
    return data


def _canary_runs(
    scenario: Scenario | dict | str,
    weights: list[float],
    bakes: list[float],
    replications: int,
    seed: int,
    healthy: bool,
    force: bool,
    kw: dict[str, Any],
) -> tuple[list[tuple[float, float]], pd.DataFrame]:
    """Every (weight, bake) cell's replications, common random numbers across cells."""
    sc = load_scenario(scenario)
    if sc.release is None:
        raise ExperimentError("a canary needs a release: the scenario has none")
    defect = sc.release.defect
    if not healthy and defect.error_rate == 0 and defect.latency_factor == 1:
        raise ExperimentError("detection power needs a defective release (release.defect is empty)")
    if not weights or not bakes:
        raise ExperimentError("give at least one weight and one bake")
    cells = [(float(w), float(b)) for w in weights for b in bakes]
    arms = [(load_scenario(canary_scenario(sc, w, b, healthy=healthy)), None) for w, b in cells]
    return cells, run_tasks(arms, replications, seed, force=force, **kw)


def detection_power(
    scenario: Scenario | dict | str,
    *,
    weights: list[float],
    bakes: list[float],
    replications: int = 20,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    force: bool = False,
    **kw: Any,
) -> pd.DataFrame:
    """How likely a one-step canary catches the release's defect, per (weight, bake).

    A detection is a rollback before the release reached full traffic. Columns: weight,
    bake, replications, detections, power with its Wilson interval, time_to_detect_s
    mean and t-interval over the detections, blast_radius mean and t-interval over all
    replications, and how many were promoted or incomplete (the run ended first: make
    the scenario longer). `kw` goes to `experiments.run_tasks`.
    """
    cells, frame = _canary_runs(scenario, weights, bakes, replications, seed, False, force, kw)
    rows = []
    for arm, (weight, bake) in enumerate(cells):
        runs = frame[frame["arm"] == arm]
        caught = (runs["outcome"] == "rolled_back") & ~runs["reached_full_traffic"].astype(bool)
        power, low, high = wilson(int(caught.sum()), len(runs), confidence)
        detect = interval(numeric(runs[caught])["time_to_detect_s"] if caught.any() else [],
                          confidence)  # fmt: skip
        blast = interval(runs["blast_radius"].astype(float), confidence)
        rows.append({
            "weight": weight, "bake": bake, "replications": len(runs),
            "detections": int(caught.sum()),
            "power": power, "power_ci_low": low, "power_ci_high": high,
            "time_to_detect_s_mean": detect[0], "time_to_detect_s_ci_low": detect[1],
            "time_to_detect_s_ci_high": detect[2],
            "blast_radius_mean": blast[0], "blast_radius_ci_low": blast[1],
            "blast_radius_ci_high": blast[2],
            "promoted": int((runs["outcome"] == "promoted").sum()),
            "incomplete": int((runs["outcome"] == "incomplete").sum()),
        })  # fmt: skip
    return pd.DataFrame(rows)


def false_rollback_rate(
    scenario: Scenario | dict | str,
    *,
    weights: list[float],
    bakes: list[float],
    replications: int = 20,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    force: bool = False,
    **kw: Any,
) -> pd.DataFrame:
    """The same canaries on the release without its defect: the share rolled back.

    Columns: weight, bake, replications, rollbacks, false_rollback_rate with its
    Wilson interval, and incomplete runs.
    """
    cells, frame = _canary_runs(scenario, weights, bakes, replications, seed, True, force, kw)
    rows = []
    for arm, (weight, bake) in enumerate(cells):
        runs = frame[frame["arm"] == arm]
        back = int((runs["outcome"] == "rolled_back").sum())
        rate, low, high = wilson(back, len(runs), confidence)
        rows.append({
            "weight": weight, "bake": bake, "replications": len(runs), "rollbacks": back,
            "false_rollback_rate": rate, "false_rollback_rate_ci_low": low,
            "false_rollback_rate_ci_high": high,
            "incomplete": int((runs["outcome"] == "incomplete").sum()),
        })  # fmt: skip
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- Pareto fronts


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
