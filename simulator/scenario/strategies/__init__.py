"""Strategy specs: one module per strategy, each a pydantic model tagged by `type`.

A spec says what a strategy is (its steps, bakes, limits) and checks it against the rest
of the scenario; how it is carried out is its controller in `simulator.release.strategies`.
`SPECS` is the one list of strategies: the tagged union and the type names derive from it.

May import: `simulator.scenario.base`, `scenario.gates`, `scenario.thresholds` and
`simulator.stats`; never a controller.
"""

from __future__ import annotations

import typing
from typing import Annotated, Union

from pydantic import Field

from simulator.scenario.strategies.ab_test import ABTest
from simulator.scenario.strategies.argo_blue_green import ArgoBlueGreen
from simulator.scenario.strategies.base import GatedStrategy, StrategyBase
from simulator.scenario.strategies.big_bang import BigBang
from simulator.scenario.strategies.blue_green import BlueGreen
from simulator.scenario.strategies.canary import Canary
from simulator.scenario.strategies.linear import Linear
from simulator.scenario.strategies.none import SteadyState
from simulator.scenario.strategies.parallel import Parallel
from simulator.scenario.strategies.phased import Phased
from simulator.scenario.strategies.rolling import Rolling
from simulator.scenario.strategies.shadow import Shadow

SPECS = (SteadyState, BigBang, Phased, Parallel, Rolling, Canary, ABTest, BlueGreen, Linear,
         Shadow, ArgoBlueGreen)  # fmt: skip
"""Every strategy, in the order the schema reference and the front end list them."""

STRATEGIES: dict[str, type[StrategyBase]] = {
    typing.get_args(spec.model_fields["type"].annotation)[0]: spec for spec in SPECS
}
STRATEGY_TYPES = tuple(STRATEGIES)
StrategySpec = Annotated[Union[SPECS], Field(discriminator="type")]  # noqa: UP007

__all__ = ["SPECS", "STRATEGIES", "STRATEGY_TYPES", "ArgoBlueGreen", "GatedStrategy",
           "StrategyBase", "StrategySpec"]  # fmt: skip
