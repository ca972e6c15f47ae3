"""How a canary runs.

Each step scales the canary (and, for Kayenta, a baseline of the old version) to its share
of the fleet, shifts the weight and bakes under the gate; then promotion at full size, or
rollback. The steps, Argo's or Flagger's, are the spec's
(`simulator.scenario.strategies.canary`).
"""

from __future__ import annotations

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
    for weight, bake in spec.plan(spec.gate.interval_s(ctx.period)):
        share = percent(weight)
        count = size if spec.scale == "full" else instances_for(share, size)
        ready = [rel.scale_to(canary, count)]
        if baseline is not None:
            ready.append(rel.scale_to(baseline, count))
        if not (yield from rel.grow(ctx.env.all_of(ready))):
            yield from rel.roll_back()
            return
        weights = {canary: share, stable: max(0.0, 1 - share * (2 if kayenta else 1))}
        if baseline is not None:
            weights[baseline] = share
        ctx.set_weights(weights)
        rel.watch(canary, baseline)
        if not (yield from rel.bake(bake)):
            yield from rel.roll_back()
            return
    yield from rel.promote(canary)
