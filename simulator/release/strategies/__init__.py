"""Deployment strategies, one module each, looked up by their `type` tag."""

from typing import Annotated

from pydantic import Field

from simulator.release.strategies.ab_test import ABTest
from simulator.release.strategies.base import StrategyBase
from simulator.release.strategies.big_bang import BigBang
from simulator.release.strategies.blue_green import BlueGreen
from simulator.release.strategies.canary import Canary
from simulator.release.strategies.linear import Linear
from simulator.release.strategies.none import SteadyState
from simulator.release.strategies.parallel import Parallel
from simulator.release.strategies.phased import Phased
from simulator.release.strategies.rolling import Rolling
from simulator.release.strategies.shadow import Shadow

STRATEGIES: dict[str, type[StrategyBase]] = {
    "none": SteadyState,
    "big_bang": BigBang,
    "phased": Phased,
    "parallel": Parallel,
    "rolling": Rolling,
    "canary": Canary,
    "ab_test": ABTest,
    "blue_green": BlueGreen,
    "linear": Linear,
    "shadow": Shadow,
}
STRATEGY_TYPES = tuple(STRATEGIES)
StrategySpec = Annotated[
    SteadyState
    | BigBang
    | Phased
    | Parallel
    | Rolling
    | Canary
    | ABTest
    | BlueGreen
    | Linear
    | Shadow,
    Field(discriminator="type"),
]

__all__ = ["STRATEGIES", "STRATEGY_TYPES", "StrategyBase", "StrategySpec"]
