"""What is watched: CloudWatch-style metric periods, alarms, the request log and the SLO."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from simulator.scenario.base import Duration, Spec
from simulator.scenario.thresholds import AlarmMetric, threshold_validator


class Alarm(Spec):
    """A CloudWatch alarm: M of the last N periods breaching puts it in ALARM."""

    name: str
    metric: AlarmMetric
    threshold: float = Field(description="seconds/'200ms' for latency, '5%' or 0.05 for rates")
    comparison: Literal[">", ">=", "<", "<="] = ">"
    evaluation_periods: int = Field(1, ge=1)
    datapoints_to_alarm: int | None = Field(None, ge=1)
    version: str | None = Field(None, description="only this version's requests; none = all")
    treat_missing_data: Literal["missing", "notBreaching", "breaching", "ignore"] = "missing"

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, value: Any, info: ValidationInfo) -> float:
        return threshold_validator(value, info)

    @model_validator(mode="after")
    def _m_of_n(self) -> Alarm:
        if self.datapoints_to_alarm is not None and self.datapoints_to_alarm > (
            self.evaluation_periods
        ):
            raise ValueError("datapoints_to_alarm must not exceed evaluation_periods")
        return self

    @property
    def m(self) -> int:
        """Datapoints that must breach (defaults to all evaluation periods)."""
        return self.datapoints_to_alarm or self.evaluation_periods


class Monitoring(Spec):
    """CloudWatch-style metrics per period, alarms, and an optional sampled request log."""

    period: Duration = Field(60.0, gt=0, description="metric period, s (CloudWatch: 60)")
    alarms: list[Alarm] = []
    request_log: float = Field(0.0, ge=0, le=1, description="share of requests logged one by one")


class SLO(Spec):
    """Service-level objectives; requests slower than latency_p99 count against the release."""

    latency_p99: Duration | None = None
    availability: float | None = Field(None, gt=0, le=1)
