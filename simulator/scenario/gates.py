"""Gate specs: what a scenario says about the analysis that may stop a release.

One class per real controller's analysis, each tagged by `type` (`alarms`: SageMaker's
AutoRollbackConfiguration; `flagger`; `argo`: an AnalysisTemplate; `kayenta`: Spinnaker's
canary judge; `none`). How each gate behaves during a run is in `simulator.release.gates`;
the semantics modelled, quirks included, are in `docs/reference/README.md#release-controllers`.
"""

from __future__ import annotations

import math
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from simulator.scenario.base import Duration, Spec
from simulator.scenario.thresholds import AlarmMetric, parse_threshold


class Check(Spec):
    """One metric of the release and its bounds (Flagger's thresholdRange, Argo's conditions)."""

    metric: AlarmMetric
    max: float | None = Field(None, description="fails above this ('500ms', '1%', 0.01)")
    min: float | None = Field(None, description="fails below this")
    strict: bool = Field(
        False, description="the bound itself fails too (Argo's `result[0] < 0.01` passes "
        "below 0.01 only)",
    )  # fmt: skip

    @field_validator("max", "min", mode="before")
    @classmethod
    def _unit(cls, value: Any, info: ValidationInfo) -> float | None:
        return None if value is None else parse_threshold(value, info.data.get("metric"))

    @model_validator(mode="after")
    def _bounded(self) -> Check:
        if self.max is None and self.min is None:
            raise ValueError(f"check on {self.metric} needs 'max' or 'min'")
        return self

    def violated(self, value: float) -> bool:
        """Whether a measured value is out of bounds (NaN, no data, is not)."""
        if math.isnan(value):
            return False
        if self.strict:
            return (self.max is not None and value >= self.max) or (
                self.min is not None and value <= self.min
            )
        return (self.max is not None and value > self.max) or (
            self.min is not None and value < self.min
        )


class GateBase(Spec):
    """Fields every gate shares."""

    type: str
    checks: list[Check] | None = Field(
        None,
        description="bounds on the release's metrics; default from the SLO: error_rate <= "
        "1 - availability (else 1%) and latency_p99 <= slo.latency_p99 (else 500ms)",
    )
    min_requests: int = Field(
        0, ge=0,
        description="deploysim's own guard, off at 0: a measurement with fewer release "
        "requests is inconclusive and the rollout pauses (no real controller has it)",
    )  # fmt: skip

    def interval_s(self, period: float) -> float:
        """Seconds between measurements: the gate's interval, or the metric `period`."""
        return getattr(self, "interval", None) or period


class NoGate(GateBase):
    """No analysis: every bake simply elapses (the release is never rolled back)."""

    type: Literal["none"]


class AlarmsGate(GateBase):
    """SageMaker AutoRollbackConfiguration: any alarm in ALARM during baking rolls back."""

    type: Literal["alarms"]
    alarms: list[str] | None = Field(
        None,
        description="names from monitoring.alarms; default all of them, or alarms on the "
        "release derived from `checks` when the scenario has none",
    )
    evaluation_periods: int = Field(1, ge=1, description="of the derived alarms")
    datapoints_to_alarm: int | None = Field(None, ge=1, description="of the derived alarms")

    @model_validator(mode="after")
    def _m_of_n(self) -> AlarmsGate:
        if (self.datapoints_to_alarm or 0) > self.evaluation_periods:
            raise ValueError("datapoints_to_alarm must not exceed evaluation_periods")
        return self


class FlaggerGate(GateBase):
    """Flagger's canary analysis (`spec.analysis`)."""

    type: Literal["flagger"]
    interval: Duration = Field(60.0, ge=10, description="between checks (Flagger floor 10s)")
    threshold: int = Field(1, ge=1, description="cumulative failed checks before rollback")


class ArgoGate(GateBase):
    """An Argo Rollouts AnalysisTemplate run in the background of the rollout."""

    type: Literal["argo"]
    interval: Duration = Field(60.0, gt=0)
    initial_delay: Duration = 0.0
    count: int | None = Field(None, ge=1, description="measurements, then Successful")
    failure_limit: int = Field(0, ge=0, description="the run fails when failed > failureLimit")
    consecutive_error_limit: int = Field(
        4, ge=0, description="the run errors (and aborts) after more consecutive errors"
    )


class KayentaMetric(Spec):
    """A metric the Kayenta judge compares between canary and baseline."""

    metric: AlarmMetric
    direction: Literal["increase", "decrease", "either"] = "increase"
    critical: bool = False


class KayentaGate(GateBase):
    """Spinnaker's automated canary analysis against a baseline deployed alongside."""

    type: Literal["kayenta"]
    interval: Duration = Field(300.0, gt=0, description="between judgements")
    metrics: list[KayentaMetric] = Field(
        default_factory=lambda: [
            {"metric": "error_rate", "critical": True},
            {"metric": "latency_p99"},
        ]
    )
    pass_score: float = Field(95.0, ge=0, le=100, description="the last judgement's bar")
    marginal_score: float = Field(
        75.0, ge=0, le=100, description="a judgement at or below it fails the canary at once"
    )

    @model_validator(mode="after")
    def _ordered(self) -> KayentaGate:
        if self.marginal_score > self.pass_score:
            raise ValueError("marginal must not exceed pass")
        return self


GATE_SPECS = (NoGate, AlarmsGate, FlaggerGate, ArgoGate, KayentaGate)
"""Every gate, in the order the schema reference lists them."""

GATES: dict[str, type[GateBase]] = {
    typing.get_args(spec.model_fields["type"].annotation)[0]: spec for spec in GATE_SPECS
}
GateSpec = Annotated[Union[GATE_SPECS], Field(discriminator="type")]  # noqa: UP007


def default_checks(slo: Any) -> list[Check]:
    """Checks derived from a scenario's SLO (Flagger's defaults where it has none)."""
    error = 1.0 - slo.availability if slo.availability is not None else 0.01
    p99 = slo.latency_p99 if slo.latency_p99 is not None else 0.5
    return [Check(metric="error_rate", max=error), Check(metric="latency_p99", max=p99)]
