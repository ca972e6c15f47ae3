"""One entry for the hosting kinds this package plays; the engine plays realtime ones."""

from __future__ import annotations

import time
from collections.abc import Callable

from simulator.engine.result import Result
from simulator.scenario import Scenario


def play(sc: Scenario, seed: int, progress: Callable[[float], None] | None = None) -> Result:
    """Run a batch_transform or async scenario; the wall time is the player's own."""
    from simulator.hosting import asynchronous, batch_transform

    players = {"batch_transform": batch_transform.run, "async": asynchronous.run}
    wall = time.perf_counter()
    result = players[sc.hosting.kind](sc, seed)
    result.summary["wall_s"] = time.perf_counter() - wall
    requests = result.summary["requests"]
    result.summary["requests_per_s"] = requests / max(result.summary["wall_s"], 1e-9)
    if progress is not None:
        progress(1.0)
    return result
