"""How an A/B test runs.

The treatment launched at its share, users split sticky, and at every look each arm's
successful requests convert by a binomial draw from the strategy's stream; the spec's
decision rule stops the test (`simulator.scenario.strategies.ab_test`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.engine.events import EventKind
from simulator.release.strategies.release import Release, instances_for, percent
from simulator.scenario.strategies.ab_test import ABTest
from simulator.stats import abstats

if TYPE_CHECKING:
    from simulator.engine.control import Control


def run(spec: ABTest, ctx: Control) -> Generator[Any, Any, None]:
    """Launch the treatment, split users, look every interval, act on the decision."""
    yield ctx.env.timeout(ctx.start_time(spec))
    rel = Release(ctx, spec, f"A/B test {ctx.current.version} vs {ctx.sc.release.version}")
    control, size = rel.stable, rel.size
    treatment = rel.variant()
    share = percent(spec.split)
    yield rel.scale_to(treatment, instances_for(share, size))
    ctx.route_sticky()
    ctx.set_weights({treatment: share, control: 1 - share})
    rel.watch(treatment)
    begun, looked = ctx.env.now, ctx.next_period()  # whole periods of the split
    test = spec.decision_rule()
    counts = [0, 0, 0, 0]  # conversions and trials: control, then treatment
    rng = ctx.rng
    while True:
        if not (yield from rel.bake(spec.interval)):
            yield from rel.roll_back()
            return
        rows = slice(looked, max(looked, ctx.closed_periods()))
        looked = rows.stop
        arms = ((control, spec.conversion.control), (treatment, spec.conversion.treatment))
        for k, (variant, p) in enumerate(arms):
            served = _successes(ctx, variant.version, rows)
            counts[2 * k] += int(rng.binomial(served, p))
            counts[2 * k + 1] += served
        final = ctx.env.now - begun >= spec.max_duration - 1e-9
        decision = test.look(abstats.Counts(*counts), final=final)
        if decision.stop:
            break
    names = {"A": control.version, "B": treatment.version}
    ctx.report(
        ab_test={
            "winner": names.get(decision.winner),
            "decision_time_s": ctx.env.now - begun,
            "p_value": decision.p_value,
            "lift": decision.lift,
            "conversions": {names["A"]: counts[0], names["B"]: counts[2]},
            "trials": {names["A"]: counts[1], names["B"]: counts[3]},
        }
    )
    ctx.audit(EventKind.EXPERIMENT_DECISION, decision.reason,
              variant=names.get(decision.winner), value=decision.p_value)  # fmt: skip
    if decision.winner == "B":
        yield from rel.promote(treatment)
    else:
        yield from rel.roll_back()


def _successes(ctx: Control, label: str, rows: slice) -> int:
    """Requests of a series that succeeded (only those can convert)."""
    m = ctx.metrics(label, rows)
    return int(m["Invocations"][0] - m["Invocation5XXErrors"][0] - m["Invocation4XXErrors"][0])
