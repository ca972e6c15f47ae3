"""One run, wired: a scenario, the engine, and the controller of the scenario's strategy.

`simulate` is the one place where the engine (which runs any controller) meets the
release package (which builds the controller for a strategy spec), so neither imports
the other's side. A Batch Transform job or an asynchronous endpoint goes to its own
player in `simulator.hosting` instead. Everything that runs scenarios (analysis,
validation, front ends) comes through here.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.engine import budget
from simulator.engine.result import Result
from simulator.engine.simulation import Simulation
from simulator.hosting import budget as hosting_budget
from simulator.hosting import play
from simulator.release.strategies import controller_for
from simulator.scenario import Scenario, load_scenario, with_strategy


def simulate(
    scenario: Scenario | dict | str,
    seed: int = 0,
    *,
    strategy: str | None = None,
    progress: Callable[[float], None] | None = None,
    force: bool = False,
) -> Result:
    """Run one scenario with one seed; the same seed always gives the same result.

    A scenario over the budget (`simulator.engine.budget`) raises BudgetError before
    anything is allocated, unless `force`.
    """
    sc = with_strategy(load_scenario(scenario), strategy)
    if not force:
        check_budget(sc)
    if sc.hosting.kind != "realtime":
        return play(sc, seed, progress)
    return Simulation(sc, seed, controller_for(sc.strategy), progress).run()


def check_budget(sc: Scenario) -> budget.Estimate:
    """The run budget of the scenario's hosting kind; BudgetError when it is over."""
    if sc.hosting.kind == "realtime":
        return budget.check(sc)
    return hosting_budget.check(sc)
