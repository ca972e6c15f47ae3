"""Phased rollout: the new system reaches user segments (or regions) one phase at a time.

Routing is sticky by user id, so a user moved to the new version stays there and the
segments grow monotonically (users in the first 25% are still in the first 50%).
Before each phase the new fleet grows to its share of the capacity; after the shift
the old fleet is decommissioned down to the share it still serves, so unlike
blue/green there is never a full second fleet. The gate watches each phase's bake;
rolling back has to provision the decommissioned old capacity again.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from simulator.scenario.base import Duration
from simulator.scenario.strategies.base import GatedStrategy


class Phased(GatedStrategy):
    """Move user segments to the release phase by phase, decommissioning old capacity."""

    type: Literal["phased"]
    phases: list[float] = Field(
        [25.0, 50.0, 75.0, 100.0], max_length=1000,
        description="cumulative percent of users after each phase (at most 1000 phases)",
    )  # fmt: skip
    bake: Duration = Field(600.0, description="watch after each phase")

    @field_validator("phases")
    @classmethod
    def _growing(cls, phases: list[float]) -> list[float]:
        if not phases or any(not 0 < p <= 100 for p in phases):
            raise ValueError("phases are percents of users in (0, 100]")
        if any(b <= a for a, b in zip(phases, phases[1:], strict=False)):
            raise ValueError("phases must grow: each covers more users than the last")
        if phases[-1] != 100:
            raise ValueError("the last phase must reach 100% of users")
        return phases
