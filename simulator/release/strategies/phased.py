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

from simulator.release.strategies.base import GatedStrategy, Release, instances_for, percent
from simulator.scenario.base import Duration


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

    def controller(self, ctx):
        """Grow the new fleet, move a segment, shrink the old fleet, bake; repeat."""
        yield ctx.env.timeout(ctx.start_time(self))
        rel = Release(ctx, self, f"phased {ctx.current.version} -> {ctx.sc.release.version}")
        old, size = rel.stable, rel.size
        new = rel.variant()
        ctx.route_sticky()
        for phase in self.phases:
            share = percent(phase)
            if not (yield from rel.grow(rel.scale_to(new, instances_for(share, size)))):
                yield from rel.roll_back()
                return
            ctx.set_weights({new: share, old: 1.0 - share})
            keep = instances_for(1.0 - share, size) if share < 1 else 0
            if len(old.live) > keep:
                ctx.terminate(old, len(old.live) - keep)
            rel.watch(new)
            if not (yield from rel.bake(self.bake)):
                yield from rel.roll_back()
                return
        yield from rel.promote(new, keep_for=0.0)
