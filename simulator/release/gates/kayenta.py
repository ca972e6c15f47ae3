"""Spinnaker's automated canary analysis: the canary judged against a baseline.

Every `interval` the judge (`simulator.release.judge`, Kayenta's Mann-Whitney classifier)
compares the canary's per-period metrics since the gate started with those of a baseline
of the old version deployed at the same time. A score at or below `marginal_score` fails
the canary at once; the last score before promotion must reach `pass_score`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.engine.events import EventKind
from simulator.release import judge
from simulator.release.gates.base import FAIL, PASS, JudgedGate


class Kayenta(JudgedGate):
    """Judgements of canary against baseline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scores: list[float] = []

    def final(self) -> bool:
        """Before promotion: the last judgement must reach `pass`."""
        if not self.scores or self.aborted:
            return not self.aborted
        if self._verdict(final=True) == "fail":
            self._abort(f"last canary score {self.scores[-1]:.0f} < pass {self.spec.pass_score:g}")
            return False
        return True

    def _verdict(self, *, final: bool) -> str:
        """Spinnaker's rule over the judgements so far (see `judge.sequence_verdict`)."""
        spec = self.spec
        return judge.sequence_verdict(self.scores, final, spec.pass_score, spec.marginal_score)

    def _decide(self, values: dict[str, np.ndarray]) -> str:
        spec = self.spec
        rows = self._window(self._begin)
        canary = self.ctx.metrics(self.subject, rows, merge=False)
        base = self.ctx.metrics(self.baseline, rows, merge=False)
        data = {m.metric: (canary[m.metric], base[m.metric]) for m in spec.metrics}
        configs = [judge.MetricConfig(name=m.metric, direction=m.direction, critical=m.critical)
                   for m in spec.metrics]  # fmt: skip
        result = judge.judge(data, configs, self.ctx.rng)
        self.scores.append(result.score)
        detail = f"score {result.score:.0f} over {rows.stop - rows.start} periods"
        self.ctx.audit(EventKind.CANARY_JUDGEMENT,
                       detail + (f" ({result.reason})" if result.reason else ""),
                       variant=self.subject, value=result.score,
                       count=rows.stop - rows.start)  # fmt: skip
        if self._verdict(final=False) == "fail":
            self._abort(f"canary score {result.score:.0f} <= marginal {spec.marginal_score:g}")
            return FAIL
        return PASS
