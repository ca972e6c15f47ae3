"""The questions users actually ask, each answered from replications with its uncertainty.

`capacity` (how many instances do I need?), `power` (will my canary catch this defect?)
and `pareto` (which settings are worth considering?). Every replication k of every
candidate or setting runs on the same seed (common random numbers), so comparisons
between candidates are paired.

May import: the rest of `simulator.analysis`, `simulator.run` and below.
"""

from simulator.analysis.questions.capacity import (
    CapacityResult,
    TargetChoice,
    capacity_search,
    cheapest_target,
    default_limit,
    lower_bound,
    offered_load,
)
from simulator.analysis.questions.pareto import (
    RISK_COST_OBJECTIVES,
    pareto_front,
    pareto_mask,
    risk_cost_front,
)
from simulator.analysis.questions.power import (
    canary_scenario,
    detection_power,
    false_rollback_rate,
)
from simulator.analysis.statistics import one_sided, wilson

__all__ = ["RISK_COST_OBJECTIVES", "CapacityResult", "TargetChoice", "canary_scenario",
           "capacity_search", "cheapest_target", "default_limit", "detection_power",
           "false_rollback_rate", "lower_bound", "offered_load", "one_sided", "pareto_front",
           "pareto_mask", "risk_cost_front", "wilson"]  # fmt: skip
