"""Parallel adoption: old and new both run at full size on the same requests, then cut over.

Users are served by the old system while every request is also sent to the new one
(a full-size fleet: double the cost for the whole period). Outputs are compared: two
answers disagree when exactly one of them failed, or, both having answered, with
probability `divergence` (the models' inherent disagreement). After `duration` the
new system takes over if the disagreement rate is within `max_disagreement` and it
meets the checks; otherwise it is abandoned, never having served a user. The risks
are reported, not hidden: the disagreement found, and the extra instance-hours run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.release.gates import window_metrics
from simulator.release.strategies.base import GatedStrategy, Release
from simulator.release.strategies.shadow import compare
from simulator.scenario.base import Duration
from simulator.scenario.thresholds import Rate


class Parallel(GatedStrategy):
    """Run both systems on all traffic, compare their outputs, then cut over."""

    type: Literal["parallel"]
    duration: Duration = Field(1800.0, gt=0, description="how long both systems run")
    divergence: Rate = Field(
        0.0, ge=0, le=1, description="chance two successful answers still differ"
    )
    max_disagreement: Rate = Field(
        0.01, ge=0, le=1, description="cut over only at or below this disagreement rate"
    )
    bake: Duration = Field(300.0, description="gate watch after the cut-over")

    def controller(self, ctx):
        """Both fleets on every request for `duration`, compare, then cut over or abandon."""
        yield ctx.env.timeout(ctx.start_time(self))
        rel = Release(ctx, self, f"parallel adoption {ctx.current.version} + "
                                 f"{ctx.sc.release.version}")  # fmt: skip
        old = rel.stable
        twin = rel.variant(label=f"{ctx.sc.release.version}-parallel", shadow=True)
        yield ctx.launch(twin, rel.size)
        rows = yield from rel.mirror_for(twin, 1.0, self.duration)
        broken = compare(ctx, twin.version, old.version, rows, self.gate.checks)
        rate = self._disagreement(ctx, twin.version, old.version, rows)
        if rate is None or rate > self.max_disagreement:
            broken.append(f"disagreement {rate if rate is not None else 'unmeasured'}")
        if broken:
            rel.abandon("parallel run failed: " + ", ".join(map(str, broken)))
            return
        yield from rel.cut_over(twin, self.bake)  # warm and full size: no provisioning

    def _disagreement(self, ctx, new: str, old: str, rows: slice) -> float | None:
        """Disagreement rate between the two systems' answers over the compared requests.

        Of the N compared requests, F_new failed on the new system and (scaled to N)
        F_old on the old one; failures being independent, the number that failed on both
        is hypergeometric. Exactly one failing is a disagreement; of those both answered,
        each differs with probability `divergence`.
        """
        mine, theirs = window_metrics(ctx, new, rows), window_metrics(ctx, old, rows)
        compared = int(mine["Invocations"][0])
        if compared == 0:
            return None
        failed_new = _failures(mine)
        served_old = theirs["Invocations"][0]
        failed_old = min(compared, round(_failures(theirs) * compared / max(served_old, 1)))
        rng = ctx.sim.rng["strategy"]
        both = int(rng.hypergeometric(failed_old, compared - failed_old, failed_new))
        answered = compared - failed_new - failed_old + both
        found = failed_new + failed_old - 2 * both + int(rng.binomial(answered, self.divergence))
        ctx.report(parallel={"compared": compared, "disagreements": found,
                             "disagreement_rate": found / compared})  # fmt: skip
        return found / compared


def _failures(m) -> int:
    """Requests of a window that got no answer (5XX or 4XX)."""
    return int(m["Invocation5XXErrors"][0] + m["Invocation4XXErrors"][0])
