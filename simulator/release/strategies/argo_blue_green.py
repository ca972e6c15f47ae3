"""How Argo Rollouts' blue/green runs: preview, pre-promotion analysis, pause, switch, post.

The preview is a shadow variant (``v2-preview``): it takes `preview_traffic` percent of
copies while the pre-promotion AnalysisRun judges them, never a user's request. The switch
adopts its warm instances into the release's serving variant (``v2``), all traffic at once;
the post-promotion run judges that. Each AnalysisRun blocks the rollout until it is
Successful (its `count` conclusive measurements) or aborts it. What each step follows in
argo-rollouts is in `simulator.scenario.strategies.argo_blue_green`.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.release.strategies.release import Release, percent
from simulator.scenario.gates import ArgoGate
from simulator.scenario.strategies.argo_blue_green import ArgoBlueGreen

if TYPE_CHECKING:
    from simulator.engine.control import Control
    from simulator.engine.fleet import Variant

def run(spec: ArgoBlueGreen, ctx: Control) -> Generator[Any, Any, None]:
    """Preview, pre-promotion analysis, pause, scale up, switch, post-promotion analysis."""
    yield ctx.env.timeout(ctx.start_time(spec))
    rel = Release(ctx, spec, f"Argo blue/green {ctx.current.version} -> "
                             f"{ctx.sc.release.version}")  # fmt: skip
    stable, size = rel.stable, rel.size
    preview = rel.variant(label=f"{ctx.sc.release.version}-preview", shadow=True)
    yield ctx.launch(preview, spec.preview_replica_count or size)
    pre, post = spec.pre_promotion_analysis, spec.post_promotion_analysis
    if pre is not None:
        if spec.preview_traffic > 0:
            ctx.mirror(preview, percent(spec.preview_traffic))
        passed = yield from analysis_run(rel, pre, preview)
        if spec.preview_traffic > 0:
            ctx.mirror(None)
        if not passed:
            yield from rel.roll_back(keep_for=spec.abort_scale_down_delay)
            return
    if not spec.auto_promotion_enabled:
        yield ctx.env.event()  # paused for `kubectl argo rollouts promote`: never in a run
    if spec.auto_promotion_seconds > 0:
        yield ctx.env.timeout(spec.auto_promotion_seconds)
    yield rel.scale_to(preview, size)
    active = ctx.adopt(preview)
    rel.variants.append(active)
    ctx.set_weights({active: 1.0, stable: 0.0})
    if post is not None and not (yield from analysis_run(rel, post, active)):
        yield from rel.roll_back(keep_for=spec.abort_scale_down_delay)
        return
    yield from rel.promote(active, keep_for=spec.scale_down_delay)


def analysis_run(rel: Release, spec: ArgoGate, subject: Variant) -> Generator[Any, Any, bool]:
    """Run an AnalysisRun on `subject` to its end: True when Successful, False if aborted."""
    gate = rel.analyse(spec, subject)
    yield gate.ended
    return not gate.aborted
