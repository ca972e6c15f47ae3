"""Flagger's canary analysis: a check every `interval`, judged at the end of each step.

A failed check holds the weight and adds to `failedChecks`, which is cumulative (not
consecutive): the canary is rolled back once it reaches `threshold`. Only a passing check
moves the release on. Real Flagger counts "no values found" as a failed check
(`no_data: fail`); by default deploysim pauses instead.
"""

from __future__ import annotations

from simulator.release.gates.base import PASS, JudgedGate


class Flagger(JudgedGate):
    """Flagger's `spec.analysis`."""

    advancing = (PASS,)

    def _no_data(self, n: int) -> str:
        if self.spec.no_data == "fail":
            return self._failed(f"no values found ({n} requests)")
        return self._paused(n)

    def _rule(self) -> tuple[str, bool]:
        threshold = self.spec.threshold
        return f"failedChecks {self.failed}/{threshold}", self.failed >= threshold
