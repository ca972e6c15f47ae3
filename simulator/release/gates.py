"""Release gates: what decides, while a release is under way, to go on, wait or roll back.

Each gate models one real controller's analysis, quirks included
(`../shared/reference/deployment-semantics.md`):

- `alarms`: SageMaker's AutoRollbackConfiguration. CloudWatch alarms (the scenario's,
  or ones derived from the SLO) are evaluated every period; any alarm in ALARM while
  the release bakes rolls it back.
- `flagger`: a check every `interval`; a failed check holds the weight and adds to a
  cumulative (not consecutive) `failedChecks`; rollback when failedChecks >= threshold.
- `argo`: an AnalysisRun measuring every `interval` (up to `count` times); the metric
  fails when failed > failureLimit (strictly greater, Argo's quirk).
- `kayenta`: a judgement every `interval` comparing the canary with a baseline of the
  old version deployed at the same time (Mann-Whitney, see `judge.py`); a score below
  `marginal` fails at once, and the last one before promotion must reach `pass`.

Low traffic never fails a check: a measurement with fewer than `min_requests` release
requests is inconclusive, the rollout pauses, and the audit trail says so.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from simulator.engine.recording.metrics import period_metrics
from simulator.release import judge
from simulator.scenario.base import Duration, Spec
from simulator.scenario.thresholds import AlarmMetric, parse_threshold

if TYPE_CHECKING:
    from simulator.engine.simulation import Control

PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"
_EPS = 1e-9


class Check(Spec):
    """One metric of the release and its bounds (Flagger's thresholdRange, Argo's conditions)."""

    metric: AlarmMetric
    max: float | None = Field(None, description="fails above this ('500ms', '1%', 0.01)")
    min: float | None = Field(None, description="fails below this")

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
        50, ge=0, description="fewer release requests in a measurement: inconclusive, pause"
    )

    def interval_s(self, ctx: Control) -> float:
        """Seconds between measurements."""
        return getattr(self, "interval", None) or ctx.sc.monitoring.period


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
    min_requests: int = Field(0, ge=0, description="SageMaker bakes on regardless of traffic")

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
    no_data: Literal["pause", "fail"] = Field(
        "pause", description="real Flagger counts 'no values found' as a failed check: 'fail'"
    )


class ArgoGate(GateBase):
    """An Argo Rollouts AnalysisTemplate run in the background of the rollout."""

    type: Literal["argo"]
    interval: Duration = Field(60.0, gt=0)
    initial_delay: Duration = 0.0
    count: int | None = Field(None, ge=1, description="measurements, then Successful")
    failure_limit: int = Field(0, ge=0, description="the run fails when failed > failureLimit")


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


GATES = {"none": NoGate, "alarms": AlarmsGate, "flagger": FlaggerGate, "argo": ArgoGate,
         "kayenta": KayentaGate}  # fmt: skip
GateSpec = Annotated[
    NoGate | AlarmsGate | FlaggerGate | ArgoGate | KayentaGate, Field(discriminator="type")
]


def default_checks(ctx: Control) -> list[Check]:
    """Checks derived from the scenario's SLO (Flagger's defaults where it has none)."""
    slo = ctx.sc.slo
    error = 1.0 - slo.availability if slo.availability is not None else 0.01
    p99 = slo.latency_p99 if slo.latency_p99 is not None else 0.5
    return [Check(metric="error_rate", max=error), Check(metric="latency_p99", max=p99)]


def closed_periods(ctx: Control) -> int:
    """Monitoring periods that have ended by now (their metrics are final)."""
    rec = ctx.sim.recorder
    return min(rec.periods, int(math.floor(ctx.env.now / rec.period + _EPS)))


def next_period(ctx: Control) -> int:
    """The first period that starts now or later (whose data all comes after now)."""
    rec = ctx.sim.recorder
    return min(rec.periods, int(math.ceil(ctx.env.now / rec.period - _EPS)))


def window_metrics(ctx: Control, label: str, rows: slice, *, merge: bool = True):
    """One series' metrics (a version, a baseline, a shadow) over closed periods."""
    sim = ctx.sim
    versions = [sim.recorder.versions.index(label)] if label in sim.recorder.versions else []
    return period_metrics(sim.recorder, sim.gauges, versions, rows, merge=merge)


def broken_checks(checks: list[Check], values: dict[str, np.ndarray]) -> list[str]:
    """The checks a merged measurement breaks, each shown with its value."""
    return [f"{c.metric}={values[c.metric][0]:.4g}" for c in checks
            if c.violated(float(values[c.metric][0]))]  # fmt: skip


class Analysis:
    """A gate at work during one release: measures, pauses, and decides to abort."""

    def __init__(self, spec: GateBase, ctx: Control, subject: str, baseline: str | None = None):
        self.spec, self.ctx, self.env = spec, ctx, ctx.env
        self.subject, self.baseline = subject, baseline
        self.interval = spec.interval_s(ctx)
        self.checks = spec.checks if spec.checks is not None else default_checks(ctx)
        self.failed = 0
        self.scores: list[float] = []
        self.last: tuple[float, str] = (-math.inf, INCONCLUSIVE)
        self.aborted: str | None = None
        self.done = False  # Argo: `count` measurements taken, the run is Successful
        self._tick = self.env.event()
        self.abort_event = self.env.event()  # fires when the gate decides to roll back
        self._stopped = False
        self._begin = 0.0
        self._alarms: list[Any] = []
        self._next_period = 0

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Analysis:
        """Begin measuring now (in the background)."""
        self._begin = self.env.now
        if isinstance(self.spec, AlarmsGate):
            self._alarms = self._alarm_states()
            self._next_period = closed_periods(self.ctx)
        if not isinstance(self.spec, NoGate):
            self.env.process(self._run())
        return self

    def stop(self) -> None:
        """The release is over: no more measurements."""
        self._stopped = True

    def wait(self, since: float, bake: float) -> Generator[Any, Any, bool]:
        """Wait out a bake that began at `since`; True to go on, False if aborted.

        Argo's analysis runs in the background, and SageMaker's alarms are evaluated
        every period: their bakes are timers cut short by an abort (the alarms' bake also
        waits for the evaluation of a period ending with it). Flagger and Kayenta judge
        the bake itself: the release goes on once a measurement taken at or after its end
        allows it (Flagger: a passing check). Low traffic (an inconclusive measurement)
        holds every gate. A bake of 0 goes on at once.
        """
        deadline = since + bake
        if isinstance(self.spec, NoGate) or self.done or bake <= 0:
            if deadline > self.env.now and not self.aborted:
                yield self.env.timeout(deadline - self.env.now)
            return not self.aborted
        if isinstance(self.spec, ArgoGate | AlarmsGate):
            while not self.aborted and self.env.now < deadline - _EPS:
                timer = self.env.timeout(deadline - self.env.now)
                yield timer if self.done else timer | self._tick
            if isinstance(self.spec, AlarmsGate):
                while not self.aborted and self._next_period < closed_periods(self.ctx):
                    yield self._tick
            while (
                not (self.aborted or self.done)
                and self.last[1] == INCONCLUSIVE
                and (self.last[0] > -math.inf)
            ):
                yield self._tick
            return not self.aborted
        while not self.aborted:
            at, verdict = self.last
            if at >= deadline - _EPS and verdict in self._advancing():
                return True
            yield self._tick
        return False

    def fail(self, reason: str) -> None:
        """Abort from outside the measurements (a deadline passed)."""
        if not self.aborted and not self._stopped:
            self._abort(reason)

    def final(self) -> bool:
        """Before promotion: Kayenta's last judgement must reach `pass`."""
        if not isinstance(self.spec, KayentaGate) or not self.scores or self.aborted:
            return not self.aborted
        if self._verdict(final=True) == "fail":
            self._abort(f"last canary score {self.scores[-1]:.0f} < pass {self.spec.pass_score:g}")
            return False
        return True

    def _verdict(self, *, final: bool) -> str:
        """Spinnaker's rule over the judgements so far (see `judge.sequence_verdict`)."""
        spec = self.spec
        return judge.sequence_verdict(self.scores, final, spec.pass_score, spec.marginal_score)

    def _advancing(self) -> tuple[str, ...]:
        return (PASS,) if isinstance(self.spec, FlaggerGate) else (PASS, FAIL)

    # ------------------------------------------------------------ measuring

    def _run(self):
        spec = self.spec
        if isinstance(spec, ArgoGate) and spec.initial_delay > 0:
            yield self.env.timeout(spec.initial_delay)
        if isinstance(spec, AlarmsGate):  # CloudWatch evaluates at period boundaries
            period = self.ctx.sc.monitoring.period
            yield self.env.timeout(math.ceil(self.env.now / period - _EPS) * period - self.env.now)
        taken = 0
        while not self._stopped and not self.aborted:
            yield self.env.timeout(self.interval)
            if self._stopped:
                return
            self.ctx.sync()
            verdict = self._measure()
            taken += verdict != INCONCLUSIVE
            self.last = (self.env.now, verdict)
            if isinstance(spec, ArgoGate) and spec.count is not None and taken >= spec.count:
                if not self.aborted:
                    self.done = True
                    self.ctx.audit("AnalysisRunSuccessful", f"{taken} measurements")
            tick, self._tick = self._tick, self.env.event()
            tick.succeed()
            if self.done:
                return

    def _measure(self) -> str:
        spec = self.spec
        if isinstance(spec, AlarmsGate):
            return self._measure_alarms()
        window = self._window(self.env.now - self.interval)
        values = self._metrics(self.subject, window)
        n = int(values["Invocations"][0])
        if n < spec.min_requests:
            if isinstance(spec, FlaggerGate) and spec.no_data == "fail":
                return self._failed(f"no values found ({n} requests)")
            return self._paused(n)
        if isinstance(spec, KayentaGate):
            return self._judge()
        broken = broken_checks(self.checks, values)
        return self._failed(", ".join(broken)) if broken else PASS

    def _failed(self, what: str) -> str:
        """Count a failed measurement; abort by the tool's own rule."""
        spec = self.spec
        self.failed += 1
        if isinstance(spec, FlaggerGate):
            rule, abort = (
                f"failedChecks {self.failed}/{spec.threshold}",
                (self.failed >= spec.threshold),
            )
        else:
            rule, abort = (
                f"failed {self.failed} (failureLimit {spec.failure_limit})",
                (self.failed > spec.failure_limit),
            )
        self.ctx.audit("AnalysisFailed", f"{self.subject}: {what}; {rule}")
        if abort:
            self._abort(f"{what}; {rule}")
        return FAIL

    def _paused(self, n: int) -> str:
        """Too little traffic to judge: say so, and hold the rollout where it is."""
        limit = self.spec.min_requests
        self.ctx.audit("AnalysisPaused", f"{n} requests to {self.subject} < min_requests {limit}")
        return INCONCLUSIVE

    def _abort(self, reason: str) -> None:
        self.aborted = f"{self.spec.type}: {reason}"
        self.ctx.detected(self.aborted)
        self.abort_event.succeed()

    # ------------------------------------------------------------ data

    def _window(self, since: float) -> slice:
        """The closed periods that ended after `since`."""
        rec = self.ctx.sim.recorder
        first = max(0, int(math.floor(since / rec.period + _EPS)))
        return slice(min(first, closed_periods(self.ctx)), closed_periods(self.ctx))

    def _metrics(self, label: str, rows: slice, *, merge: bool = True) -> dict[str, np.ndarray]:
        return window_metrics(self.ctx, label, rows, merge=merge)

    def _alarm_states(self) -> list[Any]:
        """The alarms this gate watches, replayed from the start of the run."""
        from simulator.engine.recording.alarms import AlarmState
        from simulator.scenario.model import Alarm

        spec, monitoring = self.spec, self.ctx.sc.monitoring
        if monitoring.alarms:
            names = spec.alarms or [a.name for a in monitoring.alarms]
            unknown = sorted(set(names) - {a.name for a in monitoring.alarms})
            if unknown:
                raise ValueError(f"gate alarms not in monitoring.alarms: {', '.join(unknown)}")
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
        for p in range(closed_periods(self.ctx)):
            for state in states:
                state.observe(self._alarm_value(state.spec, p))
        return states

    def _alarm_value(self, alarm, p: int) -> float | None:
        versions = self.ctx.version_indices(alarm.version)
        sim = self.ctx.sim
        value = float(period_metrics(sim.recorder, sim.gauges, versions, slice(p, p + 1))[
            alarm.metric][0])  # fmt: skip
        return None if math.isnan(value) else value

    def _measure_alarms(self) -> str:
        closed = closed_periods(self.ctx)
        rows = slice(self._next_period, closed)
        for p in range(self._next_period, closed):
            for state in self._alarms:
                state.observe(self._alarm_value(state.spec, p))
        self._next_period = closed
        firing = [s.spec.name for s in self._alarms if s.state == "ALARM"]
        if firing:
            self._abort(f"alarm {', '.join(firing)} in ALARM")
            return FAIL
        n = int(self._metrics(self.subject, rows)["Invocations"][0])
        return self._paused(n) if n < self.spec.min_requests else PASS

    def _judge(self) -> str:
        spec = self.spec
        rows = self._window(self._begin)
        canary = self._metrics(self.subject, rows, merge=False)
        base = self._metrics(self.baseline, rows, merge=False)
        data = {m.metric: (canary[m.metric], base[m.metric]) for m in spec.metrics}
        configs = [judge.MetricConfig(name=m.metric, direction=m.direction, critical=m.critical)
                   for m in spec.metrics]  # fmt: skip
        result = judge.judge(data, configs, self.ctx.sim.rng["strategy"])
        self.scores.append(result.score)
        detail = f"score {result.score:.0f} over {rows.stop - rows.start} periods"
        self.ctx.audit("CanaryJudgement", detail + (f" ({result.reason})" if result.reason else ""))
        if self._verdict(final=False) == "fail":
            self._abort(f"canary score {result.score:.0f} <= marginal {spec.marginal_score:g}")
            return FAIL
        return PASS
