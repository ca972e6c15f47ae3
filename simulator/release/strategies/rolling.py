"""How a rolling update runs.

Terminate what `max_unavailable` allows, launch what `max_surge` allows, bake each new
batch under the gate, until the new version holds the whole fleet; on ml.inf1, all at
once. The limits are the spec's (`simulator.scenario.strategies.rolling`) on SageMaker,
and the platform's native rolling update's elsewhere (`scenario.platform`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.release.strategies.release import Release
from simulator.scenario.platform import PlatformSpec
from simulator.scenario.strategies.rolling import Rolling

if TYPE_CHECKING:
    from simulator.engine.control import Control


def run(spec: Rolling, ctx: Control) -> Generator[Any, Any, None]:
    """Kill what availability allows, add what surge allows, bake each new batch."""
    yield ctx.env.timeout(ctx.start_time(spec))
    rel = Release(ctx, spec, f"rolling {ctx.current.version} -> {ctx.sc.release.version}")
    if not rel.guardrails_supported():
        yield from rel.all_at_once()
        return
    old, size = rel.stable, rel.size
    if spec.max_execution_timeout is not None:
        ctx.env.process(_deadline(spec.max_execution_timeout, ctx, rel))
    surge, unavailable = limits(ctx.sc.platform, spec, size)
    new = rel.variant()
    ctx.route_by_instances()
    ctx.set_weights({old: 1.0, new: 1.0})
    while len(new.serving) < size or old.live:
        available = len(old.serving) + len(new.serving)
        kill = min(len(old.live), available - (size - unavailable))
        if kill > 0:
            ctx.terminate(old, kill)
        add = min(size - len(new.live), size + surge - len(old.live) - len(new.live))
        if add > 0:
            grown = yield from rel.grow(ctx.launch(new, add))
            rel.watch(new)
            if not grown or not (yield from rel.bake(spec.bake)):
                yield from rel.roll_back(batch=spec.rollback_batch_size(size))
                return
        elif kill <= 0:  # instances down (crashes): wait for the fleet to recover
            yield ctx.env.timeout(ctx.sc.monitoring.period)
    yield from rel.promote(new, keep_for=0.0)


def _deadline(seconds: float, ctx: Control, rel: Release):
    """MaximumExecutionTimeoutInSeconds: an update still rolling then rolls back."""
    yield ctx.env.timeout(seconds)
    if rel.analysis is not None:
        rel.analysis.fail("MaximumExecutionTimeoutInSeconds exceeded")


def limits(platform: PlatformSpec, spec: Rolling, size: int) -> tuple[int, int]:
    """(surge, unavailable) in instances: the strategy's on SageMaker, else the platform's own.

    ECS keeps at least minimumHealthyPercent running (rounded up) and at most maximumPercent
    (rounded down); an Auto Scaling group's instance refresh at least MinHealthyPercentage
    in service; CodeDeploy in place takes its configuration's hosts at a time.
    """
    if platform.name == "sagemaker":
        return spec.limits(size)
    low, high = platform.bounds(size)
    return high - size, size - low
