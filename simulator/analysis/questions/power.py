"""Will my canary catch this defect? How often the gate rolls a defective release back.

`detection_power`: for each (weight, bake) the probability the gate rolls the release
back before it reaches full traffic, with a Wilson interval, the time to detect and the
blast radius; `false_rollback_rate` is the same canary on the release without its defect.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from simulator.analysis.replication import run_tasks
from simulator.analysis.statistics import CONFIDENCE, ExperimentError, interval, numeric, wilson
from simulator.scenario.model import Scenario, load_scenario


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
