"""deploysim: what happens if we ship this model this way, on this hardware."""

from .engine import simulate
from .experiments import compare
from .result import Result
from .scenario import Scenario, ScenarioError, load_scenario

__all__ = ["Result", "Scenario", "ScenarioError", "compare", "load_scenario", "simulate"]
__version__ = "0.1.0"
