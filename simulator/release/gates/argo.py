"""An Argo Rollouts AnalysisRun measuring in the background of the rollout.

As argo-rollouts analysis/analysis.go schedules it (generateMetricTasks): the first
measurement is taken when the run starts (or `initial_delay` later), each next one
`interval` after the previous; after `count` conclusive measurements the run is
Successful and stops. The metric fails when failed > failureLimit: strictly greater,
Argo's quirk (failureLimit 0 aborts on the first failure). A query that finds no request to
the release returns an empty result, which the condition `result[0] ...` cannot index: the
measurement is an Error. Errors do not count towards `count`; a conclusive measurement
resets them, and more than `consecutive_error_limit` in a row (assessMetricStatus) errors
the run, which aborts the rollout as a failure does.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np

from simulator.engine.events import EventKind
from simulator.release.gates.base import ERROR, BackgroundGate


class Argo(BackgroundGate):
    """An AnalysisTemplate run in the background."""

    errors = 0
    """Consecutive measurements in Error."""

    def _before_first(self) -> Generator[Any, Any, None]:
        if self.spec.initial_delay > 0:
            yield self.env.timeout(self.spec.initial_delay)

    def _first_wait(self) -> float:
        return 0.0

    def _no_data(self, values: dict[str, np.ndarray]) -> str:
        self.errors += 1
        limit = self.spec.consecutive_error_limit
        rule = f"consecutiveErrors {self.errors} (consecutiveErrorLimit {limit})"
        self.ctx.audit(EventKind.ANALYSIS_ERROR, f"{self.subject}: no data (empty result); {rule}",
                       variant=self.subject, count=self.errors)  # fmt: skip
        if self.errors > limit:
            self._abort(f"no data; {rule}")
        return ERROR

    def _decide(self, values: dict[str, np.ndarray]) -> str:
        self.errors = 0
        return super()._decide(values)

    def _counted(self, taken: int) -> None:
        if self.spec.count is not None and taken >= self.spec.count and not self.aborted:
            self.done = True
            self.ctx.audit(EventKind.ANALYSIS_RUN_SUCCESSFUL, f"{taken} measurements",
                           variant=self.subject, count=taken)  # fmt: skip

    def _rule(self) -> tuple[str, bool]:
        limit = self.spec.failure_limit
        return f"failed {self.failed} (failureLimit {limit})", self.failed > limit
