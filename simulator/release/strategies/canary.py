"""How a canary runs.

Each step scales the canary (and, for Kayenta, a baseline of the old version) to its share
of the fleet, shifts the weight and bakes under the gate; then promotion at full size, or
rollback. The steps, Argo's or Flagger's, are the spec's
(`simulator.scenario.strategies.canary`).

Steps written as Flagger writes them follow its scheduler (fluxcd/flagger
pkg/controller/scheduler.go), which acts only on the ticks of its interval counted from the
tick that saw the new revision and scaled the canary up: the first weight is set on the
first tick after that with the canary ready; the check that passes the last weight starts
the promotion (Promoting: the primary takes the canary's spec) and the next tick routes all
traffic to it (Finalising), one more tick scales the canary down. deploysim plays the
Promoting tick at the last weight and keeps the old fleet that one tick as the canary's
pods, the same count and bill.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.release.strategies.release import Release, instances_for, percent
from simulator.scenario.gates import KayentaGate
from simulator.scenario.strategies.canary import Canary

if TYPE_CHECKING:
    from simulator.engine.control import Control


def run(spec: Canary, ctx: Control) -> Generator[Any, Any, None]:
    """Launch the canary (and a baseline), walk the steps, then promote or roll back."""
    yield ctx.env.timeout(ctx.start_time(spec))
    rel = Release(ctx, spec, f"canary {ctx.current.version} -> {ctx.sc.release.version}")
    stable, size = rel.stable, rel.size
    canary = rel.variant()
    kayenta = isinstance(spec.gate, KayentaGate)
    baseline = None
    if kayenta:
        baseline = rel.variant(is_release=False, label=f"{stable.version}-baseline")
    interval = spec.gate.interval_s(ctx.period)
    detected = ctx.env.now
    for step, (weight, bake) in enumerate(spec.plan(interval)):
        share = percent(weight)
        count = size if spec.full_size else instances_for(share, size)
        ready = [rel.scale_to(canary, count)]
        if baseline is not None:
            ready.append(rel.scale_to(baseline, count))
        if not (yield from rel.grow(ctx.env.all_of(ready))):
            yield from rel.roll_back()
            return
        if spec.flagger_schedule and step == 0:
            ticks = max(1, math.ceil((ctx.env.now - detected) / interval - 1e-9))
            yield ctx.env.timeout(detected + ticks * interval - ctx.env.now)
        weights = {canary: share, stable: max(0.0, 1 - share * (2 if kayenta else 1))}
        if baseline is not None:
            weights[baseline] = share
        ctx.set_weights(weights)
        rel.watch(canary, baseline)
        if not (yield from rel.bake(bake)):
            yield from rel.roll_back()
            return
    if spec.flagger_schedule and rel.analysis is not None:
        rel.analysis.stop()  # Promoting: no more checks
        yield ctx.env.timeout(interval)
        yield from rel.promote(canary, keep_for=interval)
        return
    yield from rel.promote(canary)
