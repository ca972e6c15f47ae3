"""How a phased rollout runs.

Per phase the new fleet grows to its share, sticky user segments move, the old fleet
shrinks to what it still serves, and the gate watches a bake
(`simulator.scenario.strategies.phased`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.release.strategies.release import Release, instances_for, percent
from simulator.scenario.strategies.phased import Phased

if TYPE_CHECKING:
    from simulator.engine.control import Control


def run(spec: Phased, ctx: Control) -> Generator[Any, Any, None]:
    """Grow the new fleet, move a segment, shrink the old fleet, bake; repeat."""
    yield ctx.env.timeout(ctx.start_time(spec))
    rel = Release(ctx, spec, f"phased {ctx.current.version} -> {ctx.sc.release.version}")
    old, size = rel.stable, rel.size
    new = rel.variant()
    ctx.route_sticky()
    for phase in spec.phases:
        share = percent(phase)
        if not (yield from rel.grow(rel.scale_to(new, instances_for(share, size)))):
            yield from rel.roll_back()
            return
        ctx.set_weights({new: share, old: 1.0 - share})
        keep = instances_for(1.0 - share, size) if share < 1 else 0
        if len(old.live) > keep:
            ctx.terminate(old, len(old.live) - keep)
        rel.watch(new)
        if not (yield from rel.bake(spec.bake)):
            yield from rel.roll_back()
            return
    yield from rel.promote(new, keep_for=0.0)
