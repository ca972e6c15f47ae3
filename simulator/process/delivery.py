"""Delivery: when changes that passed CI go out, one release at a time, and what comes back.

Three modes decide when a release starts: a train at fixed times takes everything
ready; continuous delivery waits for a person's approval (a delay in working time from
the first change ready, changes passing meanwhile join); continuous deployment releases
as soon as anything is ready. A release is played through the engine (`releases.play`).
Rolled back by its gate, its changes return: the defective ones to their authors (fixed
in working time, then CI again), the others to the ready queue. Promoted with a defect
that escaped, it starts an incident, detected by an alarm that fires once it serves
all traffic or by users `detected_after` its promotion. Rolled back (`rollback` after
detection), it takes with it every release promoted since, whose changes are ready
again; fixed forward, its defective changes go back through their authors and CI, and
the incident ends when the release carrying the last fix is promoted.
"""

from __future__ import annotations

import numpy as np
import simpy

from simulator.process.calendar import WorkingCalendar
from simulator.process.changes import Changes
from simulator.process.pipeline import Pipeline
from simulator.process.releases import compound, play, release_seed
from simulator.scenario.model import Scenario
from simulator.scenario.process import ContinuousDelivery, ProcessSpec, Train


class Delivery:
    """The ready queue, the release slot, and the records of releases and incidents."""

    def __init__(self, env: simpy.Environment, spec: ProcessSpec, base: Scenario,
                 calendar: WorkingCalendar, pipeline: Pipeline, changes: Changes,
                 rng: np.random.Generator, seed: int) -> None:  # fmt: skip
        self.env, self.spec, self.base, self.calendar = env, spec, base, calendar
        self.pipeline, self.rng, self.seed = pipeline, rng, seed
        self.error_rate = changes.error_rate  # each change's defect, if it has one
        self.latency_factor = changes.latency_factor
        n = len(changes)
        self.ready: list[int] = []
        self.releasing: list[int] = []  # the changes of the release under way
        self._changed = env.event()
        self.deployed_at = np.full(n, np.nan)
        self.released = np.zeros(n, dtype=bool)  # in a release at least once
        self.release_of = np.full(n, -1)  # the last release each change rode
        self.releases: list[dict] = []
        self.live: list[tuple[dict, list[int]]] = []  # promoted releases still serving
        self.awaiting: dict[int, tuple[dict, set[int]]] = {}  # incidents awaiting fixes

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
        fresh = int(np.count_nonzero(~self.released[batch]))
        self.released[batch] = True
        self.release_of[batch] = k
        defect = compound(self.error_rate[escaped], self.latency_factor[escaped])
        played = play(self.base, began, defect, release_seed(self.seed, k))
        record = {"release": k, "began": began, "ended": np.nan, "changes": len(batch),
                  "fresh": fresh, "defects": len(escaped), **defect, "outcome": played.outcome,
                  "incident": False, "detected": np.nan, "detected_by": None,
                  "restored": np.nan, "restored_by": None, "reverted_by": -1,
                  "cost_usd": played.cost_usd,
                  "failed_requests": played.failed,
                  "slo_violation_minutes": played.slo_minutes,
                  "incident_slo_share": np.nan}  # fmt: skip
        self.releases.append(record)
        yield self.env.timeout(played.duration)
        record["ended"] = self.env.now
        if played.outcome == "promoted":
            self.deployed_at[batch] = self.env.now
            self.live.append((record, batch))
            self._fixes_landed(batch)
            if escaped:
                record["incident"] = True
                self.env.process(self._incident(record, batch, played))
        else:
            record["restored"] = self.env.now  # the gate rolled it back (or it never ended)
            record["restored_by"] = "gate" if played.outcome == "rolled_back" else None
            self._return(batch)
        self.releasing = []
        self._notify()

    # ------------------------------------------------------------ incidents

    def _incident(self, record: dict, batch: list[int], played):
        """An escaped defect serving all traffic: detected, then rolled back or fixed forward."""
        incidents = self.spec.incidents
        after, by = incidents.detected_after, "users"
        alarm = played.alarm_after
        if incidents.by_alarms and alarm is not None and alarm < after:
            after, by = alarm, "alarm"
        if played.after_slo_share is not None:
            record["incident_slo_share"] = min(1.0, played.after_slo_share)
        yield self.env.timeout(after)
        if np.isfinite(record["restored"]):
            return  # reverted meanwhile, with an earlier release rolled back
        record["detected"], record["detected_by"] = self.env.now, by
        if incidents.restore == "fix_forward":
            self._fix_forward(record, batch)
            return
        yield self.env.timeout(incidents.rollback)
        if not np.isfinite(record["restored"]):
            self._roll_back(record)
            self._notify()

    def _roll_back(self, record: dict) -> None:
        """Back to the version before `record`'s release: it and every release since revert."""
        k, now = record["release"], self.env.now
        for other, batch in [(r, b) for r, b in self.live if r["release"] >= k]:
            serving = [c for c in batch if self.release_of[c] == other["release"]
                       and np.isfinite(self.deployed_at[c])]  # fmt: skip
            self.deployed_at[serving] = np.nan
            if other is record:
                self._return(serving)
            else:  # nobody knows of its defects, if any: every change is ready again
                if other["incident"] and not np.isfinite(other["restored"]):
                    other["restored"], other["restored_by"] = now, "rollback"
                other["reverted_by"] = k
                self.ready.extend(serving)
        record["restored"], record["restored_by"] = now, "rollback"
        self.live = [(r, b) for r, b in self.live if r["release"] < k]

    def _fix_forward(self, record: dict, batch: list[int]) -> None:
        """The defective changes go back to their authors; the incident ends with their fixes."""
        defective = [c for c in batch if self.pipeline.escaped[c]
                     and self.release_of[c] == record["release"]]  # fmt: skip
        self.awaiting[record["release"]] = (record, set(defective))
        for c in defective:
            self.deployed_at[c] = np.nan
            self.env.process(self.pipeline.change(c, True, fix_first=True))

    def _fixes_landed(self, batch: list[int]) -> None:
        """A promoted release carried fixes: incidents whose every fix is now out end."""
        for k, (record, waiting) in list(self.awaiting.items()):
            waiting.difference_update(batch)
            if not waiting:
                record["restored"], record["restored_by"] = self.env.now, "fix_forward"
                del self.awaiting[k]

    def _return(self, batch: list[int]) -> None:
        """A rolled-back release's changes: defective ones to be fixed, the rest ready."""
        for c in batch:
            if self.pipeline.escaped[c]:
                self.env.process(self.pipeline.change(c, True, fix_first=True))
            else:
                self.ready.append(c)
