"""deploysim: what happens if we ship this model this way, on this hardware.

The public face: `load_scenario`, `simulate`, `compare`, `Result`, `Scenario`. The packages
beneath are laid out in `docs/architecture.md`.
"""

from simulator.analysis.experiments import compare
from simulator.engine.result import Result
from simulator.run import simulate
from simulator.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["Result", "Scenario", "ScenarioError", "compare", "load_scenario", "simulate"]
__version__ = "0.1.0"
