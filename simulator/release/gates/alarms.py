"""SageMaker's AutoRollbackConfiguration: an alarm in ALARM while baking rolls back.

The alarms are the scenario's (`monitoring.alarms`, or the ones the gate names), or, when
the scenario has none, alarms on the release derived from the gate's checks. They are
evaluated at period boundaries, as CloudWatch does, and replayed from the start of the
run so that their M-of-N windows hold the periods before the release too. A bake waits for
the evaluation of the period that ends with it.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

from simulator.engine.recording.alarms import AlarmState
from simulator.release.gates.base import EPS, FAIL, PASS, BackgroundGate
from simulator.scenario.monitoring import Alarm


class Alarms(BackgroundGate):
    """CloudWatch alarms watched during baking."""

    def _prepare(self) -> None:
        self._alarms = self._alarm_states()
        self._next_period = self.ctx.closed_periods()

    def _before_first(self) -> Generator[Any, Any, None]:
        period = self.ctx.period  # CloudWatch evaluates at period boundaries
        yield self.env.timeout(math.ceil(self.env.now / period - EPS) * period - self.env.now)

    def _catch_up(self) -> Generator[Any, Any, None]:
        while not self.aborted and self._next_period < self.ctx.closed_periods():
            yield self._tick

    def _measure(self) -> str:
        closed = self.ctx.closed_periods()
        rows = slice(self._next_period, closed)
        for p in range(self._next_period, closed):
            for state in self._alarms:
                state.observe(self._value(state.spec, p))
        self._next_period = closed
        firing = [s.spec.name for s in self._alarms if s.state == "ALARM"]
        if firing:
            self._abort(f"alarm {', '.join(firing)} in ALARM")
            return FAIL
        n = int(self.ctx.metrics(self.subject, rows)["Invocations"][0])
        return self._paused(n) if n < self.spec.min_requests else PASS

    def _alarm_states(self) -> list[AlarmState]:
        """The alarms this gate watches, replayed from the start of the run.

        Names the gate lists are known alarms: the scenario's loader checks them.
        """
        spec, monitoring = self.spec, self.ctx.sc.monitoring
        if monitoring.alarms:
            names = spec.alarms or [a.name for a in monitoring.alarms]
            chosen = [a for a in monitoring.alarms if a.name in names]
        else:
            chosen = [
                Alarm(name=f"{self.subject}-{c.metric}-{bound}", metric=c.metric,
                      threshold=limit, comparison=">" if bound == "max" else "<",
                      evaluation_periods=spec.evaluation_periods,
                      datapoints_to_alarm=spec.datapoints_to_alarm, version=self.subject)
                for c in self.checks for bound, limit in (("max", c.max), ("min", c.min))
                if limit is not None
            ]  # fmt: skip
        states = [AlarmState(a) for a in chosen]
        for p in range(self.ctx.closed_periods()):
            for state in states:
                state.observe(self._value(state.spec, p))
        return states

    def _value(self, alarm: Alarm, p: int) -> float | None:
        value = self.ctx.alarm_value(alarm, p)
        return None if math.isnan(value) else value
