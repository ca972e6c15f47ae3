"""What every gate does during a release: measure on a clock, hold bakes, abort.

A `Gate` is started on the release's variant (and, for Kayenta, a baseline) and measures
every `interval` in the background. Strategies only ask it three things: wait out a bake
(`wait`), may the release be promoted (`final`), and stop (`stop`); when it decides to roll
back it fires `abort_event`, and `ended` when its run is over (aborted, or Successful: an
analysis a strategy waits out whole, as Argo's blue/green does). Subclasses say how they
measure, how a failed measurement counts, and how a bake is held: in the background, cut
short by an abort (`BackgroundGate`: Argo, SageMaker alarms), or judged by a measurement
taken at or after the bake's end (`JudgedGate`: Flagger, Kayenta). A measurement that
finds no request to the release is the controller's own business (`_no_data`: Flagger
fails the check, Argo records an error); deploysim's `min_requests` guard, when a
scenario asks for it, makes a measurement with fewer requests inconclusive and holds the
rollout instead.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.engine.events import EventKind
from simulator.scenario.gates import Check, GateBase, default_checks

if TYPE_CHECKING:
    from simulator.engine.control import Control

PASS, FAIL, INCONCLUSIVE, ERROR = "pass", "fail", "inconclusive", "error"
UNDECIDED = (INCONCLUSIVE, ERROR)
"""Verdicts that conclude nothing: they do not count (only deploysim's low-traffic pause,
INCONCLUSIVE, also holds a bake)."""
EPS = 1e-9


def broken_checks(checks: list[Check], values: dict[str, np.ndarray]) -> list[str]:
    """The checks a merged measurement breaks, each shown with its value."""
    return [f"{c.metric}={values[c.metric][0]:.4g}" for c in checks
            if c.violated(float(values[c.metric][0]))]  # fmt: skip


class Gate:
    """A gate at work during one release: measures, pauses, and decides to abort."""

    measures = True
    """Whether it measures at all (`none` only lets bakes elapse)."""

    def __init__(self, spec: GateBase, ctx: Control, subject: str, baseline: str | None = None):
        self.spec, self.ctx, self.env = spec, ctx, ctx.env
        self.subject, self.baseline = subject, baseline
        self.interval = spec.interval_s(ctx.period)
        self.checks = spec.checks if spec.checks is not None else default_checks(ctx.sc.slo)
        self.failed = 0
        self.last: tuple[float, str] = (-math.inf, INCONCLUSIVE)
        self.aborted: str | None = None
        self._due: str | None = None  # a rollback the controller takes at its next tick
        self.done = False  # Argo: `count` measurements taken, the run is Successful
        self._tick = self.env.event()
        self.abort_event = self.env.event()  # fires when the gate decides to roll back
        self.ended = self.env.event()  # fires when the run ends: Successful or aborted
        self._stopped = False
        self._begin = 0.0

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Gate:
        """Begin measuring now (in the background)."""
        self._begin = self.env.now
        self._prepare()
        if self.measures:
            self.env.process(self._run())
        return self

    def stop(self) -> None:
        """The release is over: no more measurements."""
        self._stopped = True

    def wait(self, since: float, bake: float) -> Generator[Any, Any, bool]:
        """Wait out a bake that began at `since`; True to go on, False if aborted.

        A bake of 0, a gate that does not measure, or an analysis already Successful
        simply elapses; otherwise the subclass holds it (`_hold`).
        """
        deadline = since + bake
        if not self.measures or self.done or bake <= 0:
            if deadline > self.env.now and not self.aborted:
                yield self.env.timeout(deadline - self.env.now)
            return not self.aborted
        return (yield from self._hold(deadline))

    def fail(self, reason: str) -> None:
        """Abort from outside the measurements (a deadline passed)."""
        if not self.aborted and not self._stopped:
            self._abort(reason, cause="timeout")

    def final(self) -> bool:
        """Before promotion: whether the release may take all traffic."""
        return not self.aborted

    # ------------------------------------------------------------ what subclasses say

    def _prepare(self) -> None:
        """Anything to set up when the gate starts."""

    def _hold(self, deadline: float) -> Generator[Any, Any, bool]:
        """Hold a bake ending at `deadline`; True to go on."""
        raise NotImplementedError

    def _before_first(self) -> Generator[Any, Any, None]:
        """Wait before the first interval starts (an initial delay, a period boundary)."""
        yield from ()

    def _counted(self, taken: int) -> None:
        """After each conclusive measurement: `taken` so far."""

    def _rule(self) -> tuple[str, bool]:
        """How the failed measurements so far read, and whether they abort."""
        raise NotImplementedError

    def _first_wait(self) -> float:
        """From the start (after `_before_first`) to the first measurement."""
        return self.interval

    def _no_data(self, values: dict[str, np.ndarray]) -> str:
        """A measurement that found no request: by default the checks see no value."""
        return self._decide(values)

    def _give_up(self, reason: str) -> None:
        """The tool's rule says roll back: by default at once."""
        self._abort(reason)

    def _decide(self, values: dict[str, np.ndarray]) -> str:
        """A measurement with enough requests: the checks decide."""
        broken = broken_checks(self.checks, values)
        return self._failed(", ".join(broken)) if broken else PASS

    # ------------------------------------------------------------ measuring

    def _run(self):
        yield from self._before_first()
        taken, wait = 0, self._first_wait()
        while not self._stopped and not self.aborted:
            yield self.env.timeout(wait)
            wait = self.interval
            if self._stopped:
                return
            if self._due is not None:
                self._abort(self._due)
            else:
                self.ctx.sync()
                verdict = self._measure()
                taken += verdict not in UNDECIDED
                self.last = (self.env.now, verdict)
                self._counted(taken)
            tick, self._tick = self._tick, self.env.event()
            tick.succeed()
            if self.done:
                self._end()
                return

    def _measure(self) -> str:
        values = self.ctx.metrics(self.subject, self._window(self.env.now - self.interval))
        n = int(values["Invocations"][0])
        if n < self.spec.min_requests:
            return self._paused(n)
        return self._decide(values) if n else self._no_data(values)

    def _failed(self, what: str) -> str:
        """Count a failed measurement; abort by the tool's own rule."""
        self.failed += 1
        rule, abort = self._rule()
        self.ctx.audit(EventKind.ANALYSIS_FAILED, f"{self.subject}: {what}; {rule}",
                       variant=self.subject, count=self.failed)  # fmt: skip
        if abort:
            self._give_up(f"{what}; {rule}")
        return FAIL

    def _paused(self, n: int) -> str:
        """Too little traffic to judge: say so, and hold the rollout where it is."""
        limit = self.spec.min_requests
        self.ctx.audit(EventKind.ANALYSIS_PAUSED,
                       f"{n} requests to {self.subject} < min_requests {limit}",
                       variant=self.subject, count=n)  # fmt: skip
        return INCONCLUSIVE

    def _abort(self, reason: str, cause: str | None = None) -> None:
        """Roll back; `cause` is what caught the release (by default this gate's type)."""
        self.aborted = f"{self.spec.type}: {reason}"
        self.ctx.detected(self.aborted, cause=cause or self.spec.type, subject=self.subject)
        self.abort_event.succeed()
        self._end()

    def _end(self) -> None:
        if not self.ended.triggered:
            self.ended.succeed()

    def _window(self, since: float) -> slice:
        """The closed periods that ended after `since`."""
        closed = self.ctx.closed_periods()
        first = max(0, int(math.floor(since / self.ctx.period + EPS)))
        return slice(min(first, closed), closed)


class BackgroundGate(Gate):
    """Measures beside the rollout; a bake is a timer that an abort cuts short."""

    def _hold(self, deadline: float) -> Generator[Any, Any, bool]:
        while not self.aborted and self.env.now < deadline - EPS:
            timer = self.env.timeout(deadline - self.env.now)
            yield timer if self.done else timer | self._tick
        yield from self._catch_up()
        while (
            not (self.aborted or self.done)
            and self.last[1] == INCONCLUSIVE
            and (self.last[0] > -math.inf)
        ):
            yield self._tick
        return not self.aborted

    def _catch_up(self) -> Generator[Any, Any, None]:
        """Wait for measurements the bake's end still owes."""
        yield from ()


class JudgedGate(Gate):
    """Judges the bake itself.

    The release goes on once a measurement taken at or after the bake's end allows it.
    """

    advancing: tuple[str, ...] = (PASS, FAIL)
    """Verdicts that let the release go on."""

    def _hold(self, deadline: float) -> Generator[Any, Any, bool]:
        while not self.aborted:
            at, verdict = self.last
            if at >= deadline - EPS and verdict in self.advancing:
                return True
            yield self._tick
        return False
