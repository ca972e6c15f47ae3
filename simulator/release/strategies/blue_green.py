"""How blue/green runs.

Green launched at full size, each shift baked under the gate, blue kept for
`termination_wait` after the last; a deadline process rolls back an update still going
after `max_execution_timeout`. The shifts are the spec's
(`simulator.scenario.strategies.blue_green`; `linear` runs here too).

LINEAR as SageMaker's developer guide tells it ("Use linear traffic shifting"): each step
turns a portion of green on and "deactivates the same size portion of the blue fleet", so
every active instance keeps the load it had. Deactivated instances take no traffic but stay
provisioned, and billed, because a rollback moves all traffic back to blue at once and
blue is terminated only after the last bake and the termination wait
("Blue/Green Deployments": "SageMaker AI terminates the blue fleet"); the guide says nothing
of releasing blue instances step by step.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.release.gates import Gate
from simulator.release.strategies.release import Release
from simulator.scenario.strategies.blue_green import BlueGreen

if TYPE_CHECKING:
    from simulator.engine.control import Control


def run(spec: BlueGreen, ctx: Control) -> Generator[Any, Any, None]:
    """Green at full size, shift and bake, then keep blue for termination_wait."""
    yield ctx.env.timeout(ctx.start_time(spec))
    rel = Release(ctx, spec, f"{spec.traffic} blue/green {ctx.current.version} -> "
                             f"{ctx.sc.release.version}")  # fmt: skip
    if not rel.guardrails_supported():
        yield from rel.all_at_once()
        return
    blue = rel.stable
    green = rel.variant()
    analysis = rel.watch(green)
    ctx.env.process(_deadline(spec, ctx, analysis))
    if not (yield from rel.grow(ctx.launch(green))):
        yield from rel.roll_back()
        return
    linear = spec.traffic == "LINEAR"
    for share in spec.shares(rel.size):
        if linear:
            on = round(share * rel.size)
            ctx.keep_active(green, on)
            ctx.keep_active(blue, rel.size - on)
        ctx.set_weights({green: share, blue: 1.0 - share})
        if not (yield from rel.bake(spec.wait_interval)):
            if linear:
                ctx.keep_active(blue, len(blue.instances))
            yield from rel.roll_back()
            return
    yield from rel.promote(green, keep_for=spec.termination_wait)


def _deadline(spec: BlueGreen, ctx: Control, analysis: Gate):
    """MaximumExecutionTimeoutInSeconds: an update still shifting then rolls back."""
    yield ctx.env.timeout(spec.max_execution_timeout)
    analysis.fail("MaximumExecutionTimeoutInSeconds exceeded")
