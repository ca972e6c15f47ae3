"""Canary: a small, growing share of traffic goes to the release while a gate watches.

Two ways to write the steps, as the real controllers do:
- Argo Rollouts: `steps` of `{weight, bake}` (setWeight then pause); the canary is
  scaled to its share of the fleet (rounded up) and the stable fleet stays whole.
- Flagger: `step_weight` up to `max_weight` (or an explicit `step_weights` list); each
  weight is held for one gate interval, and a failed check holds it another.

With a Kayenta gate a baseline of the old version, the same size as the canary and
started at the same time, takes the same share of traffic, so the judge compares
like with like. Promotion scales the canary to full size and moves all traffic to it;
rollback moves traffic back at once and scales the canary down after
`scale_down_delay` (Argo's abortScaleDownDelaySeconds).
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
