"""deploysim: what happens if we ship this model this way, on this hardware.

The public face: `load_scenario`, `simulate`, `compare`, `Result`, `Scenario`. The packages
beneath are laid out in `docs/architecture.md`. The names load on first use, so importing
the package (as `deploysim --help` does) costs no pandas, scipy or numba.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.analysis.experiments import compare
    from simulator.engine.result import Result
    from simulator.run import simulate
    from simulator.scenario import Scenario, ScenarioError, load_scenario

_HOMES = {
    "compare": "simulator.analysis.experiments",
    "Result": "simulator.engine.result",
    "simulate": "simulator.run",
    "Scenario": "simulator.scenario",
    "ScenarioError": "simulator.scenario",
    "load_scenario": "simulator.scenario",
}

__all__ = ["Result", "Scenario", "ScenarioError", "compare", "load_scenario", "simulate"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """A public name, imported from its home the first time it is asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
