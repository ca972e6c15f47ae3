"""How a big bang runs.

With overlap, launch the new fleet then cut over; without, stop the old fleet first (its
in-flight requests fail) and wait for the new one. The gate watches `bake` after the cut-
over (`simulator.scenario.strategies.big_bang`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.release.strategies.release import Release
from simulator.scenario.strategies.big_bang import BigBang

if TYPE_CHECKING:
    from simulator.engine.control import Control


def run(spec: BigBang, ctx: Control) -> Generator[Any, Any, None]:
    """Stop old, provision new, cut over (or provision first when overlapping)."""
    yield ctx.env.timeout(ctx.start_time(spec))
    old = ctx.current
    rel = Release(ctx, spec, f"big bang {old.version} -> {ctx.sc.release.version}")
    new = rel.variant()
    if spec.overlap:
        yield ctx.launch(new)
        ctx.set_weights({new: 1.0, old: 0.0})
        ctx.terminate(old)
    else:
        ctx.set_weights({new: 1.0, old: 0.0})
        ctx.terminate(old, drain=False)
        yield ctx.launch(new)
    rel.watch(new)
    if (yield from rel.bake(spec.bake)):
        yield from rel.promote(new, keep_for=0.0)
    else:
        yield from rel.roll_back()
