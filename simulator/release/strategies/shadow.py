"""How a shadow test runs.

A shadow fleet takes `sampling`% copies for `duration`, its metrics are judged on the
checks and reported beside production's, then a passing shadow is cut over warm, a failing
one discarded (`simulator.scenario.strategies.shadow`).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.release.gates import broken_checks
from simulator.release.strategies.release import Release, percent
from simulator.scenario.gates import Check, default_checks
from simulator.scenario.strategies.shadow import Shadow

if TYPE_CHECKING:
    from simulator.engine.control import Control


def run(spec: Shadow, ctx: Control) -> Generator[Any, Any, None]:
    """Shadow for `duration`, judge the copies, then promote or discard."""
    yield ctx.env.timeout(ctx.start_time(spec))
    what = f"{spec.sampling:g}% of {ctx.current.version}'s traffic"
    rel = Release(ctx, spec, f"shadow test {ctx.sc.release.version} ({what})")
    stable = rel.stable
    shadow = rel.variant(label=f"{ctx.sc.release.version}-shadow", shadow=True)
    yield ctx.launch(shadow, spec.instances)
    rows = yield from rel.mirror_for(shadow, percent(spec.sampling), spec.duration)
    broken = compare(ctx, shadow.version, stable.version, rows, spec.gate.checks)
    if broken or not spec.promote:
        reason = "shadow failed: " + ", ".join(broken) if broken else "report only"
        rel.abandon(reason, shadow)
        return
    yield from rel.cut_over(shadow, spec.bake)


def compare(
    ctx: Control, candidate: str, production: str, rows: slice, checks: list[Check] | None
) -> list[str]:
    """Judge a shadow's copies on the checks; report both sides; return what broke."""
    mine = ctx.metrics(candidate, rows)
    theirs = ctx.metrics(production, rows)
    ctx.report(comparison={"candidate": _reported(mine), "production": _reported(theirs)})
    if mine["Invocations"][0] == 0:
        return ["no shadow requests"]
    return broken_checks(checks if checks is not None else default_checks(ctx.sc.slo), mine)


def _reported(values: dict) -> dict[str, float | None]:
    """One side's figures for the summary, latencies in ms as everywhere in a summary."""
    return {"Invocations": _number(values["Invocations"][0]),
            "error_rate": _number(values["error_rate"][0]),
            "latency_p50_ms": _number(1000.0 * values["latency_p50"][0]),
            "latency_p99_ms": _number(1000.0 * values["latency_p99"][0])}  # fmt: skip


def _number(value: float) -> float | None:
    """A reported figure; None where there was nothing to measure (no NaN in JSON)."""
    return None if math.isnan(value) else float(value)
