"""Flagger's canary analysis: a check every `interval`, judged at the end of each step.

A failed check holds the weight and adds to `failedChecks`, which is cumulative (not
consecutive). The scheduler (fluxcd/flagger pkg/controller/scheduler.go, advanceCanary)
tests `FailedChecks >= threshold` at the start of a tick, before it runs the analysis, so
the rollback lands on the tick after the threshold-th failure, one interval later. A query
that finds no request to the canary returns "no values found", which
runBuiltinMetricChecks (pkg/controller/scheduler_metrics.go) counts as a failed check like
any other ("Halt advancement no values found ... probably ... is not receiving traffic");
Flagger has no minimum number of requests.
"""

from __future__ import annotations

import numpy as np

from simulator.release.gates.base import PASS, JudgedGate


class Flagger(JudgedGate):
    """Flagger's `spec.analysis`."""

    advancing = (PASS,)

    def _no_data(self, values: dict[str, np.ndarray]) -> str:
        return self._failed("no values found (no request to it in the interval)")

    def _rule(self) -> tuple[str, bool]:
        threshold = self.spec.threshold
        return f"failedChecks {self.failed}/{threshold}", self.failed >= threshold

    def _give_up(self, reason: str) -> None:
        self._due = reason  # the next tick rolls back before it measures
