"""Deployment strategies, one module each, looked up by their `type` tag."""

from typing import Annotated

from pydantic import Field

from .base import StrategyBase
from .big_bang import BigBang
from .none import SteadyState

STRATEGIES: dict[str, type[StrategyBase]] = {"none": SteadyState, "big_bang": BigBang}
STRATEGY_TYPES = tuple(STRATEGIES)
StrategySpec = Annotated[SteadyState | BigBang, Field(discriminator="type")]

__all__ = ["STRATEGIES", "STRATEGY_TYPES", "StrategyBase", "StrategySpec"]
