"""Continuous integration: every merged change through the pipeline's stages, on shared runners.

Each stage of a change is a job that waits for a free runner (first come, first served)
and holds it for a drawn time; a run that fails for nothing (flaky) is queued again. A
stage catches a defect the change carries with its own probability; the change then
goes back to its author, who fixes it within `fix_delay` of working time and merges it
again, clean, to run the whole pipeline anew. A change passes when its last stage does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from simulator.process.calendar import WorkingCalendar
from simulator.process.changes import Changes, draw_changes
from simulator.scenario.process import PipelineSpec, ProcessSpec

STREAMS = ("merges", "sizes", "defects", "stage_time", "flaky", "catch", "severity")
"""The process run's named random streams, each spawned from the seed."""

WAITING, RUNNING, FIXING, PASSED = range(4)
"""Where a change is: queued for a runner, on one, back with its author, through CI."""


@dataclass(frozen=True)
class CIResult:
    """What CI did with each change (a row per change, as in `Changes`)."""

    passed_at: np.ndarray  # s; NaN if still in CI (or being fixed) at the horizon
    escaped: np.ndarray  # bool: passed while carrying a defect
    caught: np.ndarray  # times CI caught a defect in it (0 or 1: a fixed change is clean)
    runs: np.ndarray  # stage runs, retries included
    retries: np.ndarray  # stage runs lost to flaky failures
    waited: np.ndarray  # s spent queued for a runner
    status: np.ndarray  # WAITING, RUNNING, FIXING or PASSED at the horizon


class Pipeline:
    """The stages and the runner pool, as SimPy processes."""

    def __init__(self, env: simpy.Environment, spec: PipelineSpec, calendar: WorkingCalendar,
                 rng: dict[str, np.random.Generator], changes: int,
                 on_passed: Callable[[int], None] | None = None) -> None:  # fmt: skip
        self.env, self.spec, self.calendar, self.rng = env, spec, calendar, rng
        self.on_passed = on_passed
        self.runners = simpy.Resource(env, capacity=spec.runners)
        self.times = [stage.duration.build() for stage in spec.stages]
        self.passed_at = np.full(changes, np.nan)
        self.escaped = np.zeros(changes, dtype=bool)
        self.caught = np.zeros(changes, dtype=np.int64)
        self.runs = np.zeros(changes, dtype=np.int64)
        self.retries = np.zeros(changes, dtype=np.int64)
        self.waited = np.zeros(changes)
        self.busy_s = 0.0  # runner time used, retries included (what CI bills)
        self.status = np.full(changes, WAITING, dtype=np.int8)

    def change(self, k: int, defective: bool, fix_first: bool = False):
        """One change from its merge until it passes (fixed and merged again if caught).

        With `fix_first`, the change comes back from production (its release rolled back):
        its author fixes it first, and it is clean from then on.
        """
        if fix_first:
            self.status[k] = FIXING
            defective = False
            yield self.env.timeout(self._fixed_at(self.env.now) - self.env.now)
        while True:
            caught = False
            for stage, times in zip(self.spec.stages, self.times, strict=True):
                yield from self._run_stage(k, stage, times)
                if defective and self.rng["catch"].random() < stage.catches:
                    caught = True
                    break
            if not caught:
                self.passed_at[k] = self.env.now
                self.escaped[k] = defective
                self.status[k] = PASSED
                if self.on_passed is not None:
                    self.on_passed(k)
                return
            self.caught[k] += 1
            self.status[k] = FIXING
            defective = False
            yield self.env.timeout(self._fixed_at(self.env.now) - self.env.now)

    def _run_stage(self, k: int, stage, times):
        while True:
            queued = self.env.now
            self.status[k] = WAITING
            with self.runners.request() as turn:
                yield turn
                self.waited[k] += self.env.now - queued
                self.runs[k] += 1
                self.status[k] = RUNNING
                took = float(times.sample(self.rng["stage_time"], 1)[0])
                self.busy_s += took
                yield self.env.timeout(took)
            if self.rng["flaky"].random() >= stage.flaky:
                return
            self.retries[k] += 1

    def _fixed_at(self, t: float) -> float:
        """When a change caught at t is merged again: `fix_delay` of working time later."""
        fixed = self.calendar.at_working(self.calendar.working_before(t) + self.spec.fix_delay)
        return float(fixed) if np.isfinite(fixed) else np.inf  # after the horizon

    def result(self) -> CIResult:
        """The per-change record so far."""
        return CIResult(self.passed_at, self.escaped, self.caught, self.runs, self.retries,
                        self.waited, self.status)  # fmt: skip


def streams(seed: int, names: tuple[str, ...]) -> dict[str, np.random.Generator]:
    """Named random streams spawned from the seed (a name keeps its stream whatever follows)."""
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(s) for name, s in zip(names, children, strict=True)}


def merges(env: simpy.Environment, pipeline: Pipeline, changes: Changes):
    """The SimPy process merging each change at its time into CI."""
    for k, (t, defective) in enumerate(zip(changes.merged_at, changes.defective, strict=True)):
        yield env.timeout(t - env.now)
        env.process(pipeline.change(k, bool(defective)))


def run_ci(spec: ProcessSpec, seed: int) -> tuple[Changes, CIResult]:
    """Draw a horizon's changes and run them through CI alone; returns both records."""
    rng = streams(seed, STREAMS)
    calendar = WorkingCalendar(spec.calendar, spec.horizon)
    changes = draw_changes(spec.changes, calendar, rng)
    env = simpy.Environment()
    pipeline = Pipeline(env, spec.pipeline, calendar, rng, len(changes))
    env.process(merges(env, pipeline, changes))
    env.run(until=spec.horizon)
    return changes, pipeline.result()
