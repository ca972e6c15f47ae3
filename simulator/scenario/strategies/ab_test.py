"""A/B test: a fixed, user-sticky split, run until a business metric decides.

Each successful request converts (a click, a purchase) with its version's
probability; failed requests never convert, so a defect costs conversions too.
Every `interval` the test looks at the cumulative counts: `sequential` (mSPRT,
valid however often it is peeked at) may stop at any look; `two_proportion` (the
fixed-horizon z-test) decides once both arms reach the planned sample size for a
relative lift of `mde`, or at `max_duration`. The treatment is promoted if it wins;
otherwise the control keeps all traffic. The gate (SLO alarms by default) is a
guardrail: it rolls the treatment back whatever the conversions say.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.scenario.base import Duration, Spec
from simulator.scenario.strategies.base import GatedStrategy
from simulator.stats import abstats


class Conversion(Spec):
    """Probability that a successful request converts, per arm.

    The fixed-horizon test's sample size grows as 1 / (control x mde)^2: with the control
    rate at least 1e-6 and mde at least 0.001 it stays a number (rarer is no A/B test).
    """

    control: float = Field(0.10, ge=1e-6, lt=1, description="the control's rate, at least 1e-6")
    treatment: float = Field(0.11, ge=0, le=1)


class ABTest(GatedStrategy):
    """Split users between control and treatment until the conversion test decides."""

    type: Literal["ab_test"]
    split: float = Field(50.0, gt=0, lt=100, description="percent of users on the treatment")
    conversion: Conversion = Field(Conversion(), description="conversion rate of each arm")
    test: Literal["sequential", "two_proportion"] = Field(
        "sequential", description="mSPRT (peeking-safe) or the fixed-horizon z-test"
    )
    alpha: float = Field(0.05, gt=0, lt=1, description="false-positive rate of the test")
    mde: float = Field(
        0.10, ge=1e-3, description="relative lift the fixed-horizon test plans for, at least 0.1%"
    )
    power: float = Field(0.8, gt=0, lt=1, description="power the fixed-horizon test plans for")
    interval: Duration = Field(600.0, gt=0, description="between looks at the counts")
    max_duration: Duration = Field(7200.0, gt=0, description="stop without a winner after this")

    @model_validator(mode="after")
    def _plannable(self) -> ABTest:
        """The fixed-horizon test's sample size exists: found now, not when the test starts."""
        if self.test == "two_proportion":
            try:
                self.decision_rule()
            except ValueError as exc:
                raise ValueError(f"the two_proportion test cannot be planned with "
                                 f"conversion.control, mde, alpha and power as given: {exc}"
                                 ) from None  # fmt: skip
        return self

    def check_period(self, period: float) -> None:
        """Each look reads the periods closed since the last: looking more often sees nothing."""
        if self.interval < period - 1e-9:
            raise ValueError(f"strategy.interval ({self.interval:g} s) must be at least "
                             f"monitoring.period ({period:g} s)")  # fmt: skip

    def decision_rule(self) -> abstats.TwoProportionTest | abstats.SequentialTest:
        """The stopping rule this test's settings describe (planned now, used at each look)."""
        if self.test == "sequential":
            return abstats.make_test("sequential", self.alpha)
        planned = abstats.required_sample_size(
            self.conversion.control, self.mde, self.alpha, self.power
        )
        return abstats.make_test("two_proportion", self.alpha, planned_n=planned)

