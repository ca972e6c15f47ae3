"""How parallel adoption runs.

A full-size twin takes a copy of every request for `duration`, its answers are compared
with the old system's (disagreements drawn from the failure counts), then a warm cut-over
or abandonment (`simulator.scenario.strategies.parallel`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.release.strategies.release import Release
from simulator.release.strategies.shadow import compare
from simulator.scenario.strategies.parallel import Parallel

if TYPE_CHECKING:
    from simulator.engine.control import Control


def run(spec: Parallel, ctx: Control) -> Generator[Any, Any, None]:
    """Both fleets on every request for `duration`, compare, then cut over or abandon."""
    yield ctx.env.timeout(ctx.start_time(spec))
    rel = Release(ctx, spec, f"parallel adoption {ctx.current.version} + "
                             f"{ctx.sc.release.version}")  # fmt: skip
    old = rel.stable
    twin = rel.variant(label=f"{ctx.sc.release.version}-parallel", shadow=True)
    yield ctx.launch(twin, rel.size)
    rows = yield from rel.mirror_for(twin, 1.0, spec.duration)
    broken = compare(ctx, twin.version, old.version, rows, spec.gate.checks)
    rate = _disagreement(spec, ctx, twin.version, old.version, rows)
    if rate is None or rate > spec.max_disagreement:
        broken.append(f"disagreement {rate if rate is not None else 'unmeasured'}")
    if broken:
        rel.abandon("parallel run failed: " + ", ".join(map(str, broken)), twin)
        return
    yield from rel.cut_over(twin, spec.bake)  # warm and full size: no provisioning


def _disagreement(spec: Parallel, ctx: Control, new: str, old: str, rows: slice) -> float | None:
    """Disagreement rate between the two systems' answers over the compared requests.

    Of the N compared requests, F_new failed on the new system and (scaled to N)
    F_old on the old one; failures being independent, the number that failed on both
    is hypergeometric. Exactly one failing is a disagreement; of those both answered,
    each differs with probability `divergence`.
    """
    mine, theirs = ctx.metrics(new, rows), ctx.metrics(old, rows)
    compared = int(mine["Invocations"][0])
    if compared == 0:
        return None
    failed_new = _failures(mine)
    served_old = theirs["Invocations"][0]
    failed_old = min(compared, round(_failures(theirs) * compared / max(served_old, 1)))
    rng = ctx.rng
    both = int(rng.hypergeometric(failed_old, compared - failed_old, failed_new))
    answered = compared - failed_new - failed_old + both
    found = failed_new + failed_old - 2 * both + int(rng.binomial(answered, spec.divergence))
    ctx.report(parallel={"compared": compared, "disagreements": found,
                         "disagreement_rate": found / compared})  # fmt: skip
    return found / compared


def _failures(m: dict[str, np.ndarray]) -> int:
    """Requests of a window that got no answer (5XX or 4XX)."""
    return int(m["Invocation5XXErrors"][0] + m["Invocation4XXErrors"][0])
