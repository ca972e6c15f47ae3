"""Delivery: when changes that passed CI go out, one release at a time, and what comes back.

Three modes decide when a release starts: a train at fixed times takes everything
ready; continuous delivery waits for a person's approval (a delay in working time from
the first change ready, changes passing meanwhile join); continuous deployment releases
as soon as anything is ready. A release is played through the engine (`releases.play`).
Rolled back by its gate, its changes return: the defective ones to their authors (fixed
in working time, then CI again), the others to the ready queue. Promoted with a defect
that escaped, it starts an incident: users notice after `detected_after`, the release
is rolled back `rollback` later, and its changes return the same way.
"""

from __future__ import annotations

import numpy as np
import simpy

from simulator.process.calendar import WorkingCalendar
from simulator.process.pipeline import Pipeline
from simulator.process.releases import compound, play, release_seed
from simulator.scenario.model import Scenario
from simulator.scenario.process import ContinuousDelivery, ProcessSpec, Train


class Delivery:
    """The ready queue, the release slot, and the records of releases and incidents."""

    def __init__(self, env: simpy.Environment, spec: ProcessSpec, base: Scenario,
                 calendar: WorkingCalendar, pipeline: Pipeline, error_rate: np.ndarray,
                 rng: np.random.Generator, seed: int) -> None:  # fmt: skip
        self.env, self.spec, self.base, self.calendar = env, spec, base, calendar
        self.pipeline, self.rng, self.seed = pipeline, rng, seed
        self.error_rate = error_rate  # each change's defect, if it has one
        changes = len(error_rate)
        self.ready: list[int] = []
        self.releasing: list[int] = []  # the changes of the release under way
        self._changed = env.event()
        self.deployed_at = np.full(changes, np.nan)
        self.released = np.zeros(changes, dtype=bool)  # in a release at least once
        self.release_of = np.full(changes, -1)  # the last release each change rode
        self.releases: list[dict] = []

    @property
    def busy(self) -> bool:
        """A release is under way (one at a time)."""
        return bool(self.releasing)

    # ------------------------------------------------------------ events

    def passed(self, k: int) -> None:
        """Change k passed CI: it is ready to go out."""
        self.ready.append(k)
        self._notify()

    def _notify(self) -> None:
        event, self._changed = self._changed, self.env.event()
        event.succeed()

    def _until(self, condition):
        while not condition():
            yield self._changed

    # ------------------------------------------------------------ modes

    def controller(self):
        """The delivery mode's process."""
        mode = self.spec.delivery
        if isinstance(mode, Train):
            return self._trains(mode)
        if isinstance(mode, ContinuousDelivery):
            return self._approvals(mode)
        return self._at_once()

    def _at_once(self):
        while True:
            yield from self._until(lambda: self.ready and not self.busy)
            yield from self._release()

    def _trains(self, mode: Train):
        departs = mode.first
        while departs < self.spec.horizon:
            yield self.env.timeout(max(0.0, departs - self.env.now))
            yield from self._until(lambda: not self.busy)
            if self.ready:
                yield from self._release()
            departs += mode.every

    def _approvals(self, mode: ContinuousDelivery):
        delays = mode.approval.build()
        while True:
            yield from self._until(lambda: bool(self.ready))
            wait = float(delays.sample(self.rng, 1)[0])
            approved = float(self.calendar.at_working(
                self.calendar.working_before(self.env.now) + wait))  # fmt: skip
            if not np.isfinite(approved):
                return  # approved after the horizon
            yield self.env.timeout(approved - self.env.now)
            yield from self._until(lambda: not self.busy)
            yield from self._release()

    # ------------------------------------------------------------ releases

    def _release(self):
        batch, self.ready = self.ready, []
        self.releasing = batch
        k, began = len(self.releases), self.env.now
        escaped = [c for c in batch if self.pipeline.escaped[c]]
        defects = len(escaped)
        fresh = int(np.count_nonzero(~self.released[batch]))
        self.released[batch] = True
        self.release_of[batch] = k
        defect = compound(self.error_rate[escaped], self.spec.changes.severity)
        played = play(self.base, began, defect, release_seed(self.seed, k))
        record = {"release": k, "began": began, "changes": len(batch), "fresh": fresh,
                  "defects": defects, "error_rate": defect["error_rate"],
                  "outcome": played.outcome, "ended": np.nan, "incident": False,
                  "restored": np.nan, "cost_usd": played.cost_usd}  # fmt: skip
        self.releases.append(record)
        yield self.env.timeout(played.duration)
        record["ended"] = self.env.now
        if played.outcome == "promoted":
            self.deployed_at[batch] = self.env.now
            if defects:
                record["incident"] = True
                self.env.process(self._incident(record, batch))
        else:
            record["restored"] = self.env.now  # the gate rolled it back (or it never ended)
            self._return(batch)
        self.releasing = []
        self._notify()

    def _incident(self, record: dict, batch: list[int]):
        incidents = self.spec.incidents
        yield self.env.timeout(incidents.detected_after + incidents.rollback)
        record["restored"] = self.env.now
        self.deployed_at[batch] = np.nan
        self._return(batch)
        self._notify()

    def _return(self, batch: list[int]) -> None:
        """A rolled-back release's changes: defective ones to be fixed, the rest ready."""
        for c in batch:
            if self.pipeline.escaped[c]:
                self.env.process(self.pipeline.change(c, True, fix_first=True))
            else:
                self.ready.append(c)
