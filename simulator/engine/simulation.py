"""One run: a SimPy control plane driving the vectorised data plane.

SimPy processes own every decision (the release's controller, instance lifecycles and
failures, zone outages, autoscaling, the monitor that closes each period and evaluates
alarms). Each of them acts through `Control`, which first brings the data plane up to
the current time, so requests always see the configuration in force when they arrived.
The controller is handed in: the engine knows no strategy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator

import numpy as np
import simpy

from simulator import catalog
from simulator.engine import failures
from simulator.engine.autoscaling import TargetTracking
from simulator.engine.control import Control, Controller
from simulator.engine.dataplane import DataPlane
from simulator.engine.events import EventKind
from simulator.engine.recording.alarms import AlarmState
from simulator.engine.records import Records
from simulator.engine.result import Result, build_result
from simulator.scenario import Scenario

STREAMS = ("traffic", "users", "route", "service", "errors", "failures", "log", "strategy")
"""The run's named random streams, each spawned from the seed: common random numbers."""



class Environment(simpy.Environment):
    """A SimPy environment that can close every process it ran, once the run is over.

    A process suspended at the end of a run keeps its generator's frame, and with it
    whatever the frame refers to (the simulation, its recorder), in reference cycles
    through the environment's events that only a full garbage collection would free.
    """

    def __init__(self) -> None:
        super().__init__()
        self._generators: list[Generator] = []

    def process(self, generator):
        """Start a process, as SimPy does, remembering its generator."""
        self._generators.append(generator)
        return super().process(generator)

    def close(self) -> None:
        """Close every process's generator: their frames let go of what they held."""
        for generator in self._generators:
            generator.close()
        self._generators = []


class Simulation:
    """One run: owns the environment, the random streams, the data plane and the records."""

    def __init__(self, sc: Scenario, seed: int, controller: Controller, progress=None) -> None:
        self.sc, self.seed, self.progress = sc, seed, progress
        self.controller = controller
        children = np.random.SeedSequence(seed).spawn(len(STREAMS))
        self.rng = {
            name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)
        }
        self.env = Environment()
        self.records = run = Records(sc, seed)
        arrivals = sc.traffic.build(self.rng["traffic"])
        self.plane = DataPlane(arrivals, sc.traffic.users, self.rng, run.recorder,
                               sc.monitoring.request_log)  # fmt: skip
        self.alarms = [AlarmState(a) for a in sc.monitoring.alarms]
        self.control = Control(self.env, self.plane, run, self.rng)
        if sc.failures.instance is not None:
            self.control.lifecycle = failures.instance_lifecycle
        scaling = sc.autoscaling
        self.autoscaler = None if scaling is None else TargetTracking(self.control, scaling)

    def run(self) -> Result:
        """Play the scenario out and assemble the result.

        The processes are closed at the end (however the run ends), so nothing is left
        referring to this simulation: its memory returns as soon as the caller drops it.
        """
        wall = time.perf_counter()
        ctl, sc = self.control, self.sc
        try:
            current = ctl.new_variant(is_release=False)
            current.weight = sc.fleet.weight or 1.0
            self._create_endpoint(current)
            ctl.current = current
            self.env.process(self.controller(ctl))
            self.env.process(self.monitor())
            for outage in sc.failures.zone_outages:
                self.env.process(failures.zone_outage(ctl, outage))
            self.env.run(until=sc.duration)
            self.plane.advance_to(sc.duration)
            self.records.gauges.close(sc.duration)
            self.records.downtime.close(sc.duration)
            self.records.spend.close(sc.duration)
            return build_result(self.records, self.plane, time.perf_counter() - wall)
        finally:
            self.env.close()

    def _create_endpoint(self, current) -> None:
        """The endpoint's production variants, in service from the start or once created.

        The fleet is the first variant; hosting.variants adds the others, each its own
        fleet and weight. With create_endpoint none serves before CreateEndpoint ends.
        """
        ctl, hosting = self.control, self.sc.hosting
        variants = [current]
        for spec in hosting.variants:
            variant = ctl.new_variant(is_release=False, label=spec.version, production=spec)
            variant.weight = spec.weight
            variants.append(variant)
        after = None
        if hosting.create_endpoint:
            after = hosting.create_time
            if after is None:
                after = float(catalog.target_info(self.sc.fleet.target)["provisioning"]
                              ["create_endpoint_s"])  # fmt: skip
            names = ", ".join(v.name for v in variants)
            ctl.audit(EventKind.CREATE_ENDPOINT, f"{names} InService after {after:g} s",
                      variant=current.name, value=after)  # fmt: skip
        for variant in variants:
            ctl.launch(variant, ready=after is None, after=after)
        if hosting.updates:
            self.env.process(weights_and_capacities(ctl, hosting.updates, variants))

    # ------------------------------------------------------------ processes

    def monitor(self):
        """Close each period: bring requests up to date, evaluate alarms, autoscale."""
        period = self.sc.monitoring.period
        for p in range(self.records.periods):
            yield self.env.timeout(min((p + 1) * period, self.sc.duration) - self.env.now)
            self.plane.advance_to(self.env.now)
            self.records.gauges.close(self.env.now)
            self.records.in_system_samples.append(self.plane.in_system)
            self._evaluate_alarms(p)
            if self.autoscaler is not None:
                self.autoscaler.evaluate(p)
            if self.progress is not None:
                self.progress(min(1.0, self.env.now / self.sc.duration))

    def _evaluate_alarms(self, p: int) -> None:
        for alarm in self.alarms:
            spec = alarm.spec
            value = self.control.alarm_value(spec, p)
            changed = alarm.observe(None if math.isnan(value) else value)
            if changed is not None:
                detail = f"{spec.name} -> {changed} ({spec.metric}={value:.4g})"
                self.control.audit(EventKind.ALARM_STATE_CHANGE, detail,
                                   alarm=spec.name, state=changed, value=value)  # fmt: skip


def weights_and_capacities(ctl: Control, updates, variants):
    """UpdateEndpointWeightsAndCapacities calls: each at its time, weights then instances.

    A variant given more instances launches them (they serve after start-up); one given
    fewer terminates its newest, draining them, as SageMaker does.
    """
    by_name = {v.name: v for v in variants}
    for update in sorted(updates, key=lambda u: u.at):
        yield ctl.env.timeout(update.at - ctl.env.now)
        weights = {by_name[d.variant]: d.weight for d in update.variants if d.weight is not None}
        if weights:
            ctl.set_weights(weights)
        for desired in update.variants:
            variant, count = by_name[desired.variant], desired.instances
            if count is None:
                continue
            live = len(variant.live)
            if count > live:
                ctl.launch(variant, count - live)
            elif count < live:
                ctl.terminate(variant, live - count)
