"""Strategy controllers: one module per strategy, each a SimPy process `run(spec, ctx)`.

`controller_for` finds a scenario's controller in `CONTROLLERS`, keyed by the spec's class
(`simulator.scenario.strategies`); `simulate()` hands it to the engine. A new strategy is a
spec there, a module here, and a line in `CONTROLLERS`.

May import: `simulator.release.gates`, `simulator.engine.control` (through `Control`
only), `engine.events`, `simulator.scenario` and `simulator.stats`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from simulator.release.strategies import (
    ab_test,
    argo_blue_green,
    big_bang,
    blue_green,
    canary,
    none,
    parallel,
    phased,
    rolling,
    shadow,
)
from simulator.scenario import strategies as specs

if TYPE_CHECKING:
    from simulator.engine.control import Controller

CONTROLLERS: dict[type[specs.StrategyBase], Callable[..., Generator[Any, Any, None]]] = {
    specs.SteadyState: none.run,
    specs.BigBang: big_bang.run,
    specs.Phased: phased.run,
    specs.Parallel: parallel.run,
    specs.Rolling: rolling.run,
    specs.Canary: canary.run,
    specs.ABTest: ab_test.run,
    specs.BlueGreen: blue_green.run,
    specs.Linear: blue_green.run,  # blue/green that always shifts linearly
    specs.Shadow: shadow.run,
    specs.ArgoBlueGreen: argo_blue_green.run,
}


def controller_for(spec: specs.StrategyBase) -> Controller:
    """The SimPy process that carries out `spec`, given the run's Control."""
    return functools.partial(CONTROLLERS[type(spec)], spec)


__all__ = ["CONTROLLERS", "controller_for"]
