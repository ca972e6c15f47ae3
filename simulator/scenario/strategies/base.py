"""What every strategy spec shares: when the release starts, and for most, a gate."""

from __future__ import annotations

from pydantic import Field, model_validator

from simulator.scenario.base import Duration, Spec
from simulator.scenario.gates import GateSpec, KayentaGate


class StrategyBase(Spec):
    """Fields common to all strategies."""

    type: str
    start: Duration | None = Field(
        None, description="when the release begins, s; default the end of the warm-up"
    )

    def check_fleet(self, size: int) -> None:
        """Raise ValueError if a setting cannot work on a fleet of `size` instances."""

    def check_period(self, period: float) -> None:
        """Raise ValueError if a setting reads metrics more often than a `period` closes them."""


class GatedStrategy(StrategyBase):
    """A strategy whose release a gate can stop (see `simulator.scenario.gates`)."""

    gate: GateSpec = Field(
        default_factory=lambda: {"type": "alarms"},
        description="release gate; default `alarms` (SageMaker auto-rollback on SLO alarms)",
    )
    scale_down_delay: Duration = Field(
        30.0, description="old instances kept after traffic leaves them (Argo: 30s)"
    )

    @model_validator(mode="after")
    def _gate_fits(self) -> GatedStrategy:
        if isinstance(self.gate, KayentaGate) and self.type != "canary":
            raise ValueError("a kayenta gate compares a canary with its baseline: use it with "
                             f"strategy 'canary', not '{self.type}'")  # fmt: skip
        return self
