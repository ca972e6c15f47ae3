"""Deployment strategies, one module each, looked up by their `type` tag."""

from typing import Annotated

from pydantic import Field

from .ab_test import ABTest
from .base import StrategyBase
from .big_bang import BigBang
from .blue_green import BlueGreen
from .canary import Canary
from .linear import Linear
from .none import SteadyState
from .parallel import Parallel
from .phased import Phased
from .rolling import Rolling
from .shadow import Shadow

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
