"""An Argo Rollouts AnalysisRun measuring in the background of the rollout.

It waits `initial_delay`, then measures every `interval`; after `count` measurements the
run is Successful and stops. The metric fails when failed > failureLimit: strictly
greater, Argo's quirk (failureLimit 0 aborts on the first failure).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from simulator.engine.events import EventKind
from simulator.release.gates.base import BackgroundGate


class Argo(BackgroundGate):
    """An AnalysisTemplate run in the background."""

    def _before_first(self) -> Generator[Any, Any, None]:
        if self.spec.initial_delay > 0:
            yield self.env.timeout(self.spec.initial_delay)

    def _counted(self, taken: int) -> None:
        if self.spec.count is not None and taken >= self.spec.count and not self.aborted:
            self.done = True
            self.ctx.audit(EventKind.ANALYSIS_RUN_SUCCESSFUL, f"{taken} measurements",
                           variant=self.subject, count=taken)  # fmt: skip

    def _rule(self) -> tuple[str, bool]:
        limit = self.spec.failure_limit
        return f"failed {self.failed} (failureLimit {limit})", self.failed > limit
