"""No release: the current fleet serves for the whole run (steady state, and validation)."""

from __future__ import annotations

from typing import Literal

from simulator.scenario.strategies.base import StrategyBase


class SteadyState(StrategyBase):
    """Nothing changes; the outcome is "steady"."""

    type: Literal["none"]
