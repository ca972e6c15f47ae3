"""The simulation: a SimPy control plane driving the vectorised data plane.

SimPy processes own every decision (the strategy, instance lifecycles and failures,
zone outages, autoscaling, the monitor that closes each period and evaluates
alarms). Each of them calls `Control` to act, and `Control` first brings the data
plane up to the current time, so requests always see the configuration in force
when they arrived.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from simulator.engine import budget
from simulator.engine.dataplane import DataPlane
from simulator.engine.fleet import (
    DOWN,
    IN_SERVICE,
    PROVISIONING,
    TERMINATED,
    Instance,
    Variant,
    build_variant,
)
from simulator.engine.recording.alarms import ALARM, AlarmState
from simulator.engine.recording.metrics import Gauges, period_metrics
from simulator.engine.recording.recorder import Recorder, TimeWeighted
from simulator.engine.result import Result, build_result
from simulator.scenario.base import format_duration
from simulator.scenario.model import Scenario, load_scenario

STREAMS = ("traffic", "users", "route", "service", "errors", "failures", "log", "strategy")


def simulate(
    scenario: Scenario | dict | str,
    seed: int = 0,
    *,
    strategy: str | None = None,
    progress: Callable[[float], None] | None = None,
    force: bool = False,
) -> Result:
    """Run one scenario with one seed; the same seed always gives the same result.

    A scenario over the budget (`budget.py`) raises BudgetError before anything is
    allocated, unless `force`.
    """
    sc = with_strategy(load_scenario(scenario), strategy)
    if not force:
        budget.check(sc)
    return Simulation(sc, seed, progress).run()


def with_strategy(sc: Scenario, strategy: str | None) -> Scenario:
    """The scenario with another strategy type (its defaults), or as it is for None."""
    if strategy is None or strategy == sc.strategy.type:
        return sc
    data = sc.to_dict()
    data["strategy"] = {"type": strategy}
    return load_scenario(data)


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

    def __init__(self, sc: Scenario, seed: int, progress=None) -> None:
        self.sc, self.seed, self.progress = sc, seed, progress
        children = np.random.SeedSequence(seed).spawn(len(STREAMS))
        self.rng = {
            name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)
        }
        self.env = Environment()
        period = sc.monitoring.period
        self.periods = max(1, math.ceil(sc.duration / period - 1e-9))
        self.recorder = Recorder(self.periods, period, sc.warmup, sc.slo.latency_p99)
        self.gauges = Gauges(self.periods, period)
        self.downtime = TimeWeighted(1, math.inf)
        self.spend = TimeWeighted(1, math.inf)  # USD per second of every billed instance
        arrivals = sc.traffic.build(self.rng["traffic"])
        self.plane = DataPlane(arrivals, sc.traffic.users, self.rng, self.recorder,
                               sc.monitoring.request_log)  # fmt: skip
        self.events: list[tuple[float, str, str, str]] = []
        self.alarms = [AlarmState(a) for a in sc.monitoring.alarms]
        self.control = Control(self)
        self.in_system_samples: list[int] = []
        self.outcome = "incomplete"
        self.rollout: tuple[float | None, float | None] = (None, None)
        self.risk = Exposure()
        self.rollout_spend: list[float | None] = [None, None]  # USD spent by begin, by end
        self.details: dict[str, Any] = {}  # what a strategy reports beyond the common keys

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
            ctl.launch(current, ready=True)
            ctl.current = current
            self.env.process(sc.strategy.controller(ctl))
            self.env.process(self.monitor())
            for outage in sc.failures.zone_outages:
                self.env.process(self.zone_outage(outage))
            self.env.run(until=sc.duration)
            self.plane.advance_to(sc.duration)
            self.plane.flush()
            self.gauges.close(sc.duration)
            self.downtime.close(sc.duration)
            self.spend.close(sc.duration)
            return build_result(self, time.perf_counter() - wall)
        finally:
            self.env.close()

    # ------------------------------------------------------------ processes

    def monitor(self):
        """Close each period: bring requests up to date, evaluate alarms, autoscale."""
        period = self.sc.monitoring.period
        for p in range(self.periods):
            yield self.env.timeout(min((p + 1) * period, self.sc.duration) - self.env.now)
            self.plane.advance_to(self.env.now)
            self.gauges.close(self.env.now)
            self.in_system_samples.append(self.plane.in_system)
            if self.alarms or self.sc.autoscaling is not None:
                self.plane.flush()
            self._evaluate_alarms(p)
            if self.sc.autoscaling is not None:
                self.control.autoscale(p)
            if self.progress is not None:
                self.progress(min(1.0, self.env.now / self.sc.duration))

    def _evaluate_alarms(self, p: int) -> None:
        rows = slice(p, p + 1)
        for alarm in self.alarms:
            spec = alarm.spec
            versions = self.control.version_indices(spec.version)
            value = period_metrics(self.recorder, self.gauges, versions, rows)[spec.metric][0]
            changed = alarm.observe(None if math.isnan(value) else float(value))
            if changed is not None:
                self.control.audit(
                    "AlarmStateChange", f"{spec.name} -> {changed} ({spec.metric}={value:.4g})"
                )

    def instance_lifecycle(self, inst: Instance):
        """Crash and come back, for as long as the instance lives."""
        spec, rng = self.sc.failures.instance, self.rng["failures"]
        while True:
            gap = spec.mtbf if spec.distribution == "fixed" else rng.exponential(spec.mtbf)
            yield self.env.timeout(gap)
            if inst.state == TERMINATED:
                return
            if inst.state != IN_SERVICE or "crash" in inst.down_reasons:
                continue
            self.control.take_down(inst, "crash")
            yield self.env.timeout(
                spec.mttr if spec.mttr is not None else inst.variant.provisioning_s
            )
            if inst.state == TERMINATED:
                return
            self.control.bring_up(inst, "crash")

    def zone_outage(self, outage):
        """Take a fraction of every variant's instances out for the outage's span."""
        yield self.env.timeout(outage.at)
        hit = []
        for variant in self.plane.variants:
            live = [i for i in variant.live if i.state in (IN_SERVICE, PROVISIONING)]
            count = math.ceil(outage.fraction * len(live) - 1e-9)
            chosen = self.rng["failures"].choice(len(live), size=count, replace=False)
            hit += [live[j] for j in sorted(chosen)]
        self.control.audit(
            "ZoneOutage", f"{len(hit)} instances down for {format_duration(outage.duration)}"
        )
        for inst in hit:
            self.control.take_down(inst, "zone")
        yield self.env.timeout(outage.duration)
        for inst in hit:
            self.control.bring_up(inst, "zone")
        self.control.audit("ZoneRecovered", f"{len(hit)} instances back")


class Exposure:
    """When the release first took traffic, whether it took all of it, and the rollback clock."""

    def __init__(self) -> None:
        self.exposed_at: float | None = None
        self.full_at: float | None = None
        self.detected_at: float | None = None
        self.restored_at: float | None = None

    def exposed(self, t: float, share: float) -> None:
        """The release's share of traffic changed to `share` at time t."""
        if share > 0 and self.exposed_at is None:
            self.exposed_at = t
        if share >= 1 - 1e-9 and self.full_at is None:
            self.full_at = t


class Control:
    """What strategies and other actors may do; each call first serves requests up to now."""

    def __init__(self, sim: Simulation) -> None:
        # a proxy: the simulation owns its Control, and a cycle would outlive the run
        self.sim, self.env, self.sc = weakref.proxy(sim), sim.env, sim.sc
        self.plane = sim.plane
        self.current: Variant | None = None
        self._scaling: dict[int, dict[str, Any]] = {}

    # ------------------------------------------------------------ variants

    def new_variant(
        self, *, is_release: bool, label: str | None = None, shadow: bool = False
    ) -> Variant:
        """A variant of the release (or of the current fleet), with no instances yet.

        `label` names a separately measured series (a Kayenta baseline, a shadow
        fleet); variants without one share their version's metrics.
        """
        sc = self.sc
        spec = sc.release_fleet if is_release else sc.fleet
        defect = sc.release.defect if is_release else None
        names = {v.name for v in self.plane.variants}
        name = label or spec.version
        while name in names:
            name += "'"
        variant = build_variant(name, spec, is_release=is_release, defect=defect)
        variant.version, variant.shadow = label or spec.version, shadow
        self.plane.add_variant(variant)
        return variant

    def launch(self, variant: Variant, count: int | None = None, *, ready: bool = False):
        """Launch instances (default the spec's count); the event fires when all serve."""
        count = variant.spec.instances if count is None else count
        self._sync()
        events = []
        for _ in range(count):
            track = variant.spec.routing == "least_outstanding"
            slot = self.plane.servers.add(variant.workers, variant.spec.queue_capacity, track)
            inst = Instance(slot, variant)
            variant.instances.append(inst)
            if ready:
                self._in_service(inst)
            else:
                events.append(self.env.process(self._provision(inst)))
            if self.sc.failures.instance is not None:
                self.env.process(self.sim.instance_lifecycle(inst))
        self._refresh(variant)
        if not ready:
            self.audit("LaunchInstances", f"{count} x {variant.spec.target} for {variant.name}")
        return self.env.all_of(events)

    def _provision(self, inst: Instance):
        yield self.env.timeout(inst.variant.provisioning_s)
        if inst.state == PROVISIONING:
            self._sync()
            self._in_service(inst)
            self._refresh(inst.variant)

    def _in_service(self, inst: Instance) -> None:
        inst.state = IN_SERVICE
        self.plane.servers.reset(inst.slot, self.env.now)

    def terminate(self, variant: Variant, count: int | None = None, *, drain: bool = True) -> None:
        """Terminate a variant's instances (all by default; newest first).

        Draining (SageMaker, a Kubernetes rolling update) lets requests already on the
        instances finish; without it (Kubernetes Recreate) they fail.
        """
        self._sync()
        live = variant.live
        victims = live if count is None else live[len(live) - count :]
        for inst in victims:
            if inst.serving and not drain:
                self.plane.fail_slots([inst.slot], self.env.now)
            inst.state = TERMINATED
        if count is None:
            variant.weight = 0.0
        self._refresh(variant)
        self.audit("TerminateInstances", f"{len(victims)} of {variant.name}")

    def set_weights(self, weights: dict[Variant, float]) -> None:
        """UpdateEndpointWeightsAndCapacities: new variant weights from now on."""
        self._sync()
        for variant, weight in weights.items():
            variant.weight = weight
        self.plane.changed()
        self._downtime()
        shown = ", ".join(f"{v.name}={w:g}" for v, w in weights.items())
        self.audit("UpdateEndpointWeightsAndCapacities", shown)

    def take_down(self, inst: Instance, reason: str) -> None:
        """An instance stops serving (crash, zone outage): its in-flight requests fail."""
        self._sync()
        was_serving = inst.serving
        inst.down_reasons.add(reason)
        if was_serving:
            failed = self.plane.fail_slots([inst.slot], self.env.now)
            self.audit(
                "InstanceFailure",
                f"{inst.variant.name}#{inst.slot} ({reason}), {failed} requests failed",
            )
        self._refresh(inst.variant)

    def bring_up(self, inst: Instance, reason: str) -> None:
        """The cause of an outage is gone; the instance serves again with an empty queue."""
        self._sync()
        inst.down_reasons.discard(reason)
        if inst.serving:
            self.plane.servers.reset(inst.slot, self.env.now)
            self.audit("InstanceInService", f"{inst.variant.name}#{inst.slot} after {reason}")
        self._refresh(inst.variant)

    # ------------------------------------------------------------ autoscaling

    def autoscale(self, p: int) -> None:
        """Target tracking on invocations per instance per minute, for each weighted variant."""
        spec = self.sc.autoscaling
        for variant in self.plane.variants:
            live = variant.live
            if variant.weight <= 0 or not live:
                continue
            versions = [self.sim.recorder.versions.index(variant.version)]
            m = period_metrics(self.sim.recorder, self.sim.gauges, versions, slice(p, p + 1))
            per_minute = m["InvocationsPerInstance"][0] * 60.0 / self.sc.monitoring.period
            state = self._scaling.setdefault(
                id(variant), {"high": 0, "low": 0, "out": -math.inf, "in": -math.inf}
            )
            if math.isnan(per_minute):
                continue
            state["high"] = state["high"] + 1 if per_minute > spec.target else 0
            state["low"] = state["low"] + 1 if per_minute < spec.scale_in_ratio * spec.target else 0
            now, n = self.env.now, len(live)
            desired = math.ceil(n * per_minute / spec.target - 1e-9)
            if (
                state["high"] >= spec.scale_out_datapoints
                and now - state["out"] >= spec.scale_out_cooldown
            ):
                target = min(spec.max, max(desired, n + 1))
                if target > n:
                    state["out"], state["high"] = now, 0
                    self.audit(
                        "ScaleOut",
                        f"{variant.name}: {n} -> {target} ({per_minute:.0f}/min per instance)",
                    )
                    self.launch(variant, target - n)
            elif (not spec.disable_scale_in and state["low"] >= spec.scale_in_datapoints
                  and now - max(state["in"], state["out"]) >= spec.scale_in_cooldown):  # fmt: skip
                target = max(spec.min, desired)
                if target < n:
                    state["in"], state["low"] = now, 0
                    self.audit(
                        "ScaleIn",
                        f"{variant.name}: {n} -> {target} ({per_minute:.0f}/min per instance)",
                    )
                    self.terminate(variant, n - target)

    def adopt(self, shadow: Variant) -> Variant:
        """A warm shadow fleet starts serving users: its instances join a new variant."""
        self._sync()
        variant = self.new_variant(is_release=shadow.is_release)
        variant.instances, shadow.instances = shadow.instances, []
        for inst in variant.instances:
            inst.variant = variant
        self._refresh(shadow)
        self._refresh(variant)
        self.audit("AdoptShadow", f"{len(variant.instances)} instances of {shadow.name}")
        return variant

    # ------------------------------------------------------------ routing modes

    def route_sticky(self) -> None:
        """Route by user id: a user keeps seeing the same variant (A/B tests, phases)."""
        self._sync()
        self.plane.sticky = True
        self.plane.changed()

    def route_by_instances(self) -> None:
        """Traffic in proportion to serving instances, as a Kubernetes Service spreads it."""
        self._sync()
        self.plane.by_instance = True
        self.plane.changed()
        self._downtime()

    def mirror(self, variant: Variant | None, share: float = 0.0) -> None:
        """Copy a share of requests to a shadow variant (None stops mirroring)."""
        self._sync()
        self.plane.mirror = None if variant is None else (variant, share)
        detail = "off" if variant is None else f"{share:.0%} of requests to {variant.name}"
        self.audit("ShadowTraffic", detail)

    # ------------------------------------------------------------ risk

    def detected(self, reason: str) -> None:
        """A gate caught the release: the clock for time-to-detect stops here."""
        if self.sim.risk.detected_at is None:
            self.sim.risk.detected_at = self.env.now
        self.audit("RollbackTriggered", reason)

    def restored(self) -> None:
        """All traffic is back on the previous version, serving: the rollback is done."""
        self.sim.risk.restored_at = self.env.now
        self.audit("RollbackComplete", f"all traffic on {self.current.name}")

    def report(self, **details: Any) -> None:
        """Strategy-specific results (an A/B test's winner, a shadow's comparison)."""
        self.sim.details.update(details)

    # ------------------------------------------------------------ records

    def start_time(self, strategy) -> float:
        """When a strategy begins: its `start`, or the end of the warm-up."""
        return self.sc.warmup if strategy.start is None else strategy.start

    def finish(self, outcome: str) -> None:
        """The strategy is done: promoted, rolled back, or steady."""
        self.sim.outcome = outcome
        begun = self.sim.rollout[0]
        self.sim.rollout = (begun, self.env.now)
        self.sim.rollout_spend[1] = self.sim.spend.total_at(self.env.now)
        if outcome != "steady":
            self.audit("UpdateComplete", outcome)

    def audit(self, kind: str, detail: str) -> None:
        """Append to the audit trail (CloudTrail-like)."""
        if kind == "UpdateEndpoint" and self.sim.rollout[0] is None:
            self.sim.rollout = (self.env.now, None)
            self.sim.rollout_spend[0] = self.sim.spend.total_at(self.env.now)
        self.sim.events.append((self.env.now, kind, detail))

    def alarm_in_alarm(self, names=None) -> bool:
        """Whether any (or any of the named) alarms is in ALARM."""
        return any(
            a.state == ALARM for a in self.sim.alarms if names is None or a.spec.name in names
        )

    def version_indices(self, version: str | None) -> list[int]:
        """Recorder rows for one version, or all of them."""
        versions = self.sim.recorder.versions
        return (
            list(range(len(versions)))
            if version is None
            else [versions.index(version)]
            if version in versions
            else []
        )

    def _sync(self) -> None:
        self.plane.advance_to(self.env.now)

    def sync(self) -> None:
        """Serve and record every request up to now, before reading metrics mid-run."""
        self._sync()
        self.plane.flush()

    def _refresh(self, variant: Variant) -> None:
        """Routing, gauges and downtime after any change to a variant's instances."""
        self.plane.changed()
        now = self.env.now
        version = self.sim.recorder.versions.index(variant.version)
        same = [v for v in self.plane.variants if v.version == variant.version]
        serving = sum(len(v.serving) for v in same)
        billed = sum(sum(i.billed for i in v.instances) for v in same)
        workers = sum(len(v.serving) * v.workers for v in same)
        price = _hourly(same)
        self.sim.gauges.set(now, version, serving, billed, workers, price)
        rate = sum(
            sum(i.billed for i in v.instances) * v.price_per_hour for v in self.plane.variants
        )
        self.sim.spend.set(now, rate / 3600.0)
        self._downtime()

    def _downtime(self) -> None:
        """Downtime share, and how much traffic the release is getting (exposure)."""
        self.sim.downtime.set(self.env.now, self.plane.unavailable_share())
        weights = self.plane.weights()
        total = weights.sum()
        released = sum(w for v, w in zip(self.plane.variants, weights, strict=True)
                       if v.is_release and v.serving)  # fmt: skip
        self.sim.risk.exposed(self.env.now, released / total if total > 0 else 0.0)


def _hourly(variants: list[Variant]) -> float:
    """USD per hour of the billed instances of these variants."""
    return sum(sum(i.billed for i in v.instances) * v.price_per_hour for v in variants)


__all__ = ["simulate", "with_strategy", "Simulation", "Control", "DOWN"]
