"""The scenario schema: what a run is, validated, running nothing.

One description of traffic, fleets, release, strategy,
gate and checks, with messages naming the field path of every mistake. It runs nothing.

May import: pydantic, yaml, `simulator.sampling`, `simulator.catalog`, `simulator.stats`
and the bottom modules (`errors`, `userfiles`, `limits`); never the engine or a controller.
"""

from simulator.scenario.model import Scenario, ScenarioError, load_scenario, with_strategy

__all__ = ["Scenario", "ScenarioError", "load_scenario", "with_strategy"]
