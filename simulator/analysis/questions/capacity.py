"""How many instances do I need? The fewest that meet the SLO with the stated confidence.

`capacity_search` gallops up from a lower bound taken from queueing theory (the offered
load), then bisects, over any integer field (instances, workers); `cheapest_target` does
it for several instance types and picks the cheapest. Every candidate runs replication k
on the same seed (common random numbers), so comparisons between candidates are paired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import pandas as pd

from simulator.analysis.replication import check_arms, run_tasks
from simulator.analysis.statistics import CONFIDENCE, ExperimentError, numeric, one_sided
from simulator.analysis.sweep import set_path
from simulator.engine.fleet import build_variant
from simulator.scenario.model import Scenario, load_scenario


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
