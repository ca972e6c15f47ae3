"""Rolling: replace the fleet's instances batch by batch; old and new serve side by side.

Kubernetes' RollingUpdate: at most `max_surge` instances above the fleet size (a
percentage rounds up) and at most `max_unavailable` below it (rounds down) at any
time; a Service spreads traffic over every ready instance, so each version's share is
its share of serving instances and capacity dips are visible. SageMaker's
RollingUpdatePolicy is the same walk with `max_surge` = MaximumBatchSize,
`max_unavailable` = 0 and `bake` = WaitIntervalInSeconds, the gate's alarms
watching each bake. Rolling back launches the old instances again,
`rollback_batch` at a time (RollbackMaximumBatchSize; default all at once). As
SageMaker does, an endpoint on ml.inf1 instances updates all at once instead, with no
baking and no auto-rollback.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.release.strategies.release import Release
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
    surge, unavailable = spec.limits(size)
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
