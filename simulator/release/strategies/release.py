"""The moves most strategies make, in one place: a release in progress.

A controller is a SimPy process that acts only through the `Control` handed to it
(launch and terminate variants, set weights, read metrics, write the audit trail), never
on the data plane's arrays. `Release` holds what most controllers share: shift traffic
step by step while a gate watches, then promote, or roll back with the real delays
(re-provisioning what was scaled down, then scaling the release down).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.engine.events import EventKind
from simulator.release import gates
from simulator.release.gates import Gate
from simulator.scenario.gates import GateBase
from simulator.scenario.strategies import ArgoBlueGreen, GatedStrategy

if TYPE_CHECKING:
    from simulator.engine.control import Control
    from simulator.engine.fleet import Variant


class Release:
    """One release in progress: the stable variant, the release's variants, the gate."""

    def __init__(self, ctx: Control, strategy: GatedStrategy | ArgoBlueGreen, detail: str) -> None:
        self.ctx, self.env, self.strategy = ctx, ctx.env, strategy
        self.stable: Variant = ctx.current
        self.size = self.stable.spec.instances
        self.variants: list[Variant] = []
        self.analysis: Gate | None = None
        ctx.audit(EventKind.UPDATE_ENDPOINT, detail, variant=ctx.sc.release.version)

    def variant(self, **kw: Any) -> Variant:
        """A new variant of the release taking part in this rollout."""
        v = self.ctx.new_variant(is_release=kw.pop("is_release", True), **kw)
        self.variants.append(v)
        return v

    def watch(self, subject: Variant, baseline: Variant | None = None) -> Gate:
        """Start the gate on a variant's metrics (and a Kayenta baseline's)."""
        if self.analysis is None:
            base = None if baseline is None else baseline.version
            self.analysis = gates.start(self.strategy.gate, self.ctx, subject.version, base)
        return self.analysis

    def analyse(self, spec: GateBase, subject: Variant) -> Gate:
        """Start a new gate from `spec` on a variant, ending the current one.

        For a strategy with several analyses of its own (Argo blue/green's pre- and
        post-promotion runs); bakes, growth and rollback then watch this one.
        """
        if self.analysis is not None:
            self.analysis.stop()
        self.analysis = gates.start(spec, self.ctx, subject.version)
        return self.analysis

    def scale_to(self, variant: Variant, count: int):
        """Launch instances until `count` are live; the event fires when they serve."""
        missing = count - len(variant.live)
        return self.ctx.launch(variant, missing) if missing > 0 else self.env.timeout(0)

    def grow(self, ready) -> Generator[Any, Any, bool]:
        """Wait for launched instances to serve, unless the gate aborts first (False)."""
        if self.analysis is None:
            yield ready
            return True
        if not self.analysis.aborted:
            yield ready | self.analysis.abort_event
        return not self.analysis.aborted

    def bake(self, seconds: float) -> Generator[Any, Any, bool]:
        """Hold for a bake while the gate watches; False if it aborted."""
        if self.analysis is None:
            if seconds > 0:
                yield self.env.timeout(seconds)
            return True
        return (yield from self.analysis.wait(self.env.now, seconds))

    def promote(self, release: Variant, *, keep_for: float | None = None):
        """All traffic to the release at full size; the old fleet goes after a delay."""
        if self.analysis is not None and not self.analysis.final():
            yield from self.roll_back()
            return
        if not (yield from self.grow(self.scale_to(release, self.size))):
            yield from self.roll_back()
            return
        final = {release: 1.0} | {v: 0.0 for v in self._others(release)}
        if any(v.weight != w for v, w in final.items()):
            self.ctx.set_weights(final)
        if self.analysis is not None:
            self.analysis.stop()
        self.ctx.current = release
        yield self.env.timeout(self.strategy.scale_down_delay if keep_for is None else keep_for)
        for v in self._others(release):
            if v.live:
                self.ctx.terminate(v)
        self.ctx.finish("promoted")

    def roll_back(self, *, batch: int | None = None, keep_for: float | None = None):
        """Traffic back to the stable fleet, re-provisioning it first if it was scaled down.

        `batch` launches the missing old instances that many at a time (SageMaker's
        RollbackMaximumBatchSize); by default all at once. The release's instances go
        `keep_for` seconds later (default the strategy's scale_down_delay).
        """
        if self.analysis is not None:
            self.analysis.stop()
        stable = self.stable
        missing = self.size - len(stable.live)
        while missing > 0:
            count = missing if batch is None else min(batch, missing)
            yield self.ctx.launch(stable, count)
            missing -= count
        self.ctx.set_weights({stable: 1.0} | {v: 0.0 for v in self.variants})
        self.ctx.current = stable
        self.ctx.restored()
        yield self.env.timeout(self.strategy.scale_down_delay if keep_for is None else keep_for)
        for v in self.variants:
            if v.live:
                self.ctx.terminate(v)
        self.ctx.finish("rolled_back")

    def mirror_for(self, twin: Variant, share: float, duration: float):
        """Copy `share` of requests to a twin for `duration`; returns the periods mirrored whole."""
        ctx = self.ctx
        ctx.mirror(twin, share)
        first = ctx.next_period()
        yield self.env.timeout(duration)
        ctx.sync()
        return slice(first, max(first, ctx.closed_periods()))

    def cut_over(self, twin: Variant, bake: float):
        """A warm twin takes all traffic (grown to full size first), bakes, then is promoted."""
        self.ctx.mirror(None)
        new = self.ctx.adopt(twin)
        self.variants.append(new)
        yield self.scale_to(new, self.size)
        self.ctx.set_weights({new: 1.0, self.stable: 0.0})
        self.watch(new)
        if (yield from self.bake(bake)):
            yield from self.promote(new)
        else:
            yield from self.roll_back()

    def abandon(self, reason: str, judged: Variant) -> None:
        """Reject the release before users ever saw it (a shadow or parallel comparison).

        `judged` is the fleet whose copies were compared.
        """
        if self.analysis is not None:
            self.analysis.stop()
        self.ctx.mirror(None)
        self.ctx.detected(reason, cause=self.strategy.type, subject=judged.version)
        for v in self.variants:
            if v.live:
                self.ctx.terminate(v)
        self.ctx.finish("rolled_back")

    def guardrails_supported(self) -> bool:
        """SageMaker deployment guardrails do not apply to endpoints on ml.inf1 instances."""
        sc = self.ctx.sc
        targets = (sc.fleet.target, sc.release_fleet.target)
        if any(t.startswith("ml.inf1.") for t in targets):
            detail = "ml.inf1 endpoint: all at once, no baking, no auto-rollback"
            self.ctx.audit(EventKind.GUARDRAILS_UNSUPPORTED, detail)  # no fields: the kind says it
            return False
        return True

    def all_at_once(self):
        """SageMaker's fallback without guardrails: new fleet, full shift, old fleet gone."""
        new = self.variant()
        yield self.ctx.launch(new)
        yield from self.promote(new, keep_for=0.0)

    def _others(self, release: Variant) -> list[Variant]:
        return [v for v in [self.stable, *self.variants] if v is not release]


def percent(weight: float) -> float:
    """A weight written in percent (5 = 5%) as a share of traffic."""
    return weight / 100.0


def instances_for(share: float, size: int) -> int:
    """Instances that carry a share of a fleet's traffic (at least one, rounded up)."""
    return max(1, math.ceil(share * size - 1e-9))
