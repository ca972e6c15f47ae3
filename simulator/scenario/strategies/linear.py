"""Linear: blue/green with LINEAR traffic shifting, the mode SageMaker and CodeDeploy add.

Green is provisioned at full size; traffic moves in equal steps of `linear_step`
(10-50% of capacity, or an instance count), each followed by a `wait_interval` bake
under the gate. Every other field is blue/green's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.scenario.strategies.blue_green import BlueGreen


class Linear(BlueGreen):
    """Blue/green that always shifts linearly."""

    type: Literal["linear"]  # type: ignore[assignment]
    traffic: Literal["LINEAR"] = Field("LINEAR", description="always LINEAR")  # type: ignore[assignment]
