"""CloudWatch alarms: M of the last N datapoints breaching puts an alarm in ALARM.

Missing data follows CloudWatch's `treatMissingData`: "missing" judges only the
datapoints present in the window (and keeps the state when there are none),
"notBreaching"/"breaching" fill gaps with good/bad datapoints, and "ignore" keeps
the current state whenever the newest datapoint is missing.
"""

from __future__ import annotations

import math
import operator

from simulator.scenario.monitoring import Alarm

_COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
INSUFFICIENT_DATA, OK, ALARM = "INSUFFICIENT_DATA", "OK", "ALARM"


class AlarmState:
    """One alarm's datapoints and state."""

    def __init__(self, spec: Alarm) -> None:
        self.spec = spec
        self.state = INSUFFICIENT_DATA
        self.datapoints: list[float | None] = []

    def observe(self, value: float | None) -> str | None:
        """Add one period's datapoint; return the new state if it changed."""
        if value is not None and math.isnan(value):
            value = None
        self.datapoints.append(value)
        window = self.datapoints[-self.spec.evaluation_periods :]
        missing = self.spec.treat_missing_data
        if missing == "ignore" and value is None:
            return None
        breach = _COMPARE[self.spec.comparison]
        verdicts = []
        for point in window:
            if point is None:
                if missing in ("notBreaching", "breaching"):
                    verdicts.append(missing == "breaching")
            else:
                verdicts.append(breach(point, self.spec.threshold))
        if not verdicts:
            return None
        new = ALARM if sum(verdicts) >= self.spec.m else OK
        if new == self.state:
            return None
        self.state = new
        return new
