"""Big bang: stop the old fleet, start the new one, cut all traffic over at once.

Without overlap (Kubernetes' Recreate) the old fleet is terminated first and requests
fail until the new fleet is in service; with `overlap` the new fleet is provisioned
first. The gate watches for `bake` after the cut-over; rolling back means provisioning
the old version again, so the whole fleet's traffic meets the defect until it is back.
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
