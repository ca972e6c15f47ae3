"""Control: the one door through which strategies, gates and the engine's own actors act.

Every action first serves the requests that arrived up to now, under the configuration
in force when they arrived, then changes the configuration: launch and terminate
instances, set variant weights, route by user or by instance, mirror traffic, write the
audit trail. Strategies and gates read the run only through it too: closed metric
periods, a series' metrics, the strategy's random stream. What it writes goes to the
run's `Records`, never to the simulation that owns it. Longer than 350 lines because it
is the whole of that door, one short method per action.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.engine.events import EventKind, weights_text
from simulator.engine.fleet import (
    IN_SERVICE,
    PROVISIONING,
    TERMINATED,
    Instance,
    Variant,
    build_variant,
)
from simulator.engine.recording.metrics import period_metrics
from simulator.scenario import security
from simulator.scenario.hosting.realtime import ProductionVariant

if TYPE_CHECKING:
    from simulator.engine.dataplane import DataPlane
    from simulator.engine.records import Records
    from simulator.scenario.monitoring import Alarm

EPS = 1e-9
INACTIVE = "out of rotation"
"""The down reason of an instance taken out of rotation, not out of service."""



Controller = Callable[["Control"], Generator[Any, Any, None]]
"""A release's controller: a SimPy process that acts on a run only through `Control`."""

class Control:
    """What strategies and other actors may do; each call first serves requests up to now."""

    def __init__(
        self, env: Any, plane: DataPlane, records: Records, streams: dict[str, np.random.Generator]
    ) -> None:
        self.env, self.plane, self.records = env, plane, records
        self.sc = records.sc
        self._strategy_rng = streams["strategy"]
        self.failure_rng = streams["failures"]
        # what every new instance lives through (crashes and repairs), set by the simulation;
        # a plain function of (control, instance), so the control holds no cycle to itself
        self.lifecycle: Callable[[Control, Instance], Generator] | None = None
        self.current: Variant | None = None

    # ------------------------------------------------------------ variants

    def new_variant(
        self, *, is_release: bool, label: str | None = None, shadow: bool = False,
        production: ProductionVariant | None = None,
    ) -> Variant:  # fmt: skip
        """A variant of the release (or of the current fleet), with no instances yet.

        `label` names a separately measured series (a Kayenta baseline, a shadow
        fleet); variants without one share their version's metrics. `production` is
        another of the endpoint's production variants instead (hosting.variants).
        """
        sc = self.sc
        spec, defect = (sc.release_fleet, sc.release.defect) if is_release else (sc.fleet, None)
        if production is not None:
            spec, defect = production.fleet(sc.fleet), production.defect
        names = {v.name for v in self.plane.variants}
        name = label or spec.version
        while name in names:
            name += "'"
        variant = build_variant(name, spec, is_release=is_release, defect=defect,
                                platform=sc.platform.name)  # fmt: skip
        variant.version, variant.shadow = label or spec.version, shadow
        variant.network_s = 0.0 if sc.security is None else security.extra_latency_s(sc.security)
        self.plane.add_variant(variant)
        return variant

    def launch(self, variant: Variant, count: int | None = None, *, ready=False, after=None):
        """Launch instances (default: the spec's count); the event fires when all serve."""
        count = variant.spec.instances if count is None else count
        self.sync()
        events = []
        for _ in range(count):
            track = variant.spec.routing == "least_outstanding"
            slot = self.plane.servers.add(variant.workers, variant.spec.queue_capacity, track)
            inst = Instance(slot, variant)
            variant.instances.append(inst)
            if ready:
                self._in_service(inst)
            else:
                events.append(self.env.process(self._provision(inst, after)))
            if self.lifecycle is not None:
                self.env.process(self.lifecycle(self, inst))
        self._refresh(variant)
        if not ready and after is None:
            self.audit(
                EventKind.LAUNCH_INSTANCES, f"{count} x {variant.spec.target} for {variant.name}",
                variant=variant.name, count=count,
            )  # fmt: skip
        return self.env.all_of(events)

    def _provision(self, inst: Instance, after: float | None = None):
        # the instance's start-up time, or `after` (CreateEndpoint's)
        yield self.env.timeout(inst.variant.provisioning_s if after is None else after)
        if inst.state == PROVISIONING:
            self.sync()
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
        self.sync()
        live = variant.live
        victims = live if count is None else live[len(live) - count :]
        for inst in victims:
            if inst.serving and not drain:
                self.plane.fail_slots([inst.slot], self.env.now)
            inst.state = TERMINATED
        if count is None:
            variant.weight = 0.0
        self._refresh(variant)
        self.audit(EventKind.TERMINATE_INSTANCES, f"{len(victims)} of {variant.name}",
                   variant=variant.name, count=len(victims))  # fmt: skip

    def set_weights(self, weights: dict[Variant, float]) -> None:
        """UpdateEndpointWeightsAndCapacities: new variant weights from now on."""
        self.sync()
        for variant, weight in weights.items():
            variant.weight = weight
        self.plane.changed()
        self._downtime()
        shown = ", ".join(f"{v.name}={w:g}" for v, w in weights.items())
        self.audit(EventKind.UPDATE_ENDPOINT_WEIGHTS_AND_CAPACITIES, shown,
                   weights=weights_text({v.name: w for v, w in weights.items()}))  # fmt: skip

    def take_down(self, inst: Instance, reason: str) -> None:
        """An instance stops serving (crash, zone outage): its in-flight requests fail."""
        self.sync()
        was_serving = inst.serving
        inst.down_reasons.add(reason)
        if was_serving:
            failed = self.plane.fail_slots([inst.slot], self.env.now)
            self.audit(
                EventKind.INSTANCE_FAILURE,
                f"{inst.variant.name}#{inst.slot} ({reason}), {failed} requests failed",
                variant=inst.variant.name,
                instance=inst.slot,
                cause=reason,
                count=failed,
            )
        self._refresh(inst.variant)

    def bring_up(self, inst: Instance, reason: str) -> None:
        """The cause of an outage is gone; the instance serves again with an empty queue."""
        self.sync()
        inst.down_reasons.discard(reason)
        if inst.serving:
            self.plane.servers.reset(inst.slot, self.env.now)
            self.audit(
                EventKind.INSTANCE_IN_SERVICE,
                f"{inst.variant.name}#{inst.slot} after {reason}",
                variant=inst.variant.name,
                instance=inst.slot,
                cause=reason,
            )
        self._refresh(inst.variant)

    def keep_active(self, variant: Variant, count: int) -> None:
        """Keep `count` of a variant's in-service instances in rotation, the others out.

        An instance out of rotation (SageMaker's linear shift "deactivates" a portion of
        each fleet) takes no new request, finishes what it holds, and is still billed; it
        returns to rotation at once.
        """
        self.sync()
        ready = [i for i in variant.instances if i.state == IN_SERVICE]
        for k, inst in enumerate(ready):
            if k < count:
                inst.down_reasons.discard(INACTIVE)  # its queue is as it left it
            else:
                inst.down_reasons.add(INACTIVE)
        self._refresh(variant)
        active = min(count, len(ready))
        self.audit(EventKind.ACTIVE_INSTANCES, f"{active} of {len(ready)} of {variant.name}",
                   variant=variant.name, count=active)  # fmt: skip

    def adopt(self, shadow: Variant) -> Variant:
        """A warm shadow fleet starts serving users: its instances join a new variant."""
        self.sync()
        variant = self.new_variant(is_release=shadow.is_release)
        variant.instances, shadow.instances = shadow.instances, []
        for inst in variant.instances:
            inst.variant = variant
        self._refresh(shadow)
        self._refresh(variant)
        self.audit(EventKind.ADOPT_SHADOW, f"{len(variant.instances)} instances of {shadow.name}",
                   variant=shadow.name, count=len(variant.instances))  # fmt: skip
        return variant

    # ------------------------------------------------------------ routing modes

    def route_sticky(self) -> None:
        """Route by user id: a user keeps seeing the same variant (A/B tests, phases)."""
        self.sync()
        self.plane.sticky = True
        self.plane.changed()

    def route_by_instances(self) -> None:
        """Traffic in proportion to serving instances, as a Kubernetes Service spreads it."""
        self.sync()
        self.plane.by_instance = True
        self.plane.changed()
        self._downtime()

    def mirror(self, variant: Variant | None, share: float = 0.0) -> None:
        """Copy a share of requests to a shadow variant (None stops mirroring)."""
        self.sync()
        before, self.plane.mirror = self.plane.mirror, None if variant is None else (variant, share)
        if variant is None:  # the event names the variant that stops receiving copies
            name = None if before is None else before[0].name
            self.audit(EventKind.SHADOW_TRAFFIC, "off", variant=name, value=0.0)
        else:
            self.audit(EventKind.SHADOW_TRAFFIC, f"{share:.0%} of requests to {variant.name}",
                       variant=variant.name, value=share)  # fmt: skip

    # ------------------------------------------------------------ risk

    def detected(self, reason: str, *, cause: str, subject: str) -> None:
        """A gate caught the release: the clock for time-to-detect stops here.

        `cause` says what caught it (a gate's type, ``timeout``, or the comparing
        strategy), `subject` the series it judged (see `EventKind.ROLLBACK_TRIGGERED`).
        """
        if self.records.risk.detected_at is None:
            self.records.risk.detected_at = self.env.now
        self.audit(EventKind.ROLLBACK_TRIGGERED, reason, variant=subject, cause=cause)

    def restored(self) -> None:
        """All traffic is back on the previous version, serving: the rollback is done."""
        self.records.risk.restored_at = self.env.now
        self.audit(EventKind.ROLLBACK_COMPLETE, f"all traffic on {self.current.name}",
                   variant=self.current.name)  # fmt: skip

    def report(self, **details: Any) -> None:
        """Strategy-specific results (an A/B test's winner, a shadow's comparison)."""
        self.records.details.update(details)

    # ------------------------------------------------------------ records

    def start_time(self, strategy) -> float:
        """When a strategy begins: its `start`, or the end of the warm-up."""
        return self.sc.warmup if strategy.start is None else strategy.start

    def finish(self, outcome: str) -> None:
        """The strategy is done: promoted, rolled back, or steady."""
        self.records.outcome = outcome
        begun = self.records.rollout[0]
        self.records.rollout = (begun, self.env.now)
        self.records.rollout_spend[1] = self.records.spend.total_at(self.env.now)
        if outcome != "steady":
            self.audit(EventKind.UPDATE_COMPLETE, outcome, state=outcome)

    def audit(self, kind: EventKind, detail: str, **fields: Any) -> None:
        """Append to the audit trail (CloudTrail-like): the detail for people, the fields as data.

        `fields` are exactly the kind's (`kind.fields`, see `simulator.engine.events`).
        """
        if set(fields) != set(kind.fields):
            raise TypeError(f"{kind.value} fills {sorted(kind.fields)}, not {sorted(fields)}")
        if kind == EventKind.UPDATE_ENDPOINT and self.records.rollout[0] is None:
            self.records.rollout = (self.env.now, None)
            self.records.rollout_spend[0] = self.records.spend.total_at(self.env.now)
        self.records.events.append((self.env.now, kind.value, detail, fields))

    # ------------------------------------------------------------ reading the run

    @property
    def period(self) -> float:
        """The metric period, s: every metric is per closed period."""
        return self.sc.monitoring.period

    @property
    def rng(self) -> np.random.Generator:
        """The strategy's own random stream (conversions, disagreements, judge noise)."""
        return self._strategy_rng

    def closed_periods(self) -> int:
        """Monitoring periods that have ended by now (their metrics are final)."""
        return min(self.records.periods, int(math.floor(self.env.now / self.period + EPS)))

    def next_period(self) -> int:
        """The first period that starts now or later (whose data all comes after now)."""
        return min(self.records.periods, int(math.ceil(self.env.now / self.period - EPS)))

    def metrics(self, label: str, rows: slice, *, merge: bool = True) -> dict[str, np.ndarray]:
        """One series' metrics (a version, a baseline, a shadow) over closed periods."""
        run = self.records
        versions = self.version_indices(label) if label in run.recorder.versions else []
        return period_metrics(run.recorder, run.gauges, versions, rows, merge=merge)

    def alarm_value(self, alarm: Alarm, p: int) -> float:
        """The value an alarm sees in period p (NaN where there is no datapoint)."""
        versions = self.version_indices(alarm.version)
        rows = slice(p, p + 1)
        return float(period_metrics(self.records.recorder, self.records.gauges, versions, rows)[
            alarm.metric][0])  # fmt: skip

    def version_indices(self, version: str | None) -> list[int]:
        """Recorder rows for one version, or all of them."""
        versions = self.records.recorder.versions
        return (
            list(range(len(versions)))
            if version is None
            else [versions.index(version)]
            if version in versions
            else []
        )

    def sync(self) -> None:
        """Serve and record every request up to now: before any change, or reading metrics."""
        self.plane.advance_to(self.env.now)

    def _refresh(self, variant: Variant) -> None:
        """Routing, gauges and downtime after any change to a variant's instances."""
        self.plane.changed()
        now = self.env.now
        version = self.records.recorder.versions.index(variant.version)
        same = [v for v in self.plane.variants if v.version == variant.version]
        serving = sum(len(v.serving) for v in same)
        billed = sum(sum(i.billed for i in v.instances) for v in same)
        workers = sum(len(v.serving) * v.workers for v in same)
        price = _hourly(same)
        self.records.gauges.set(now, version, serving, billed, workers, price)
        rate = sum(
            sum(i.billed for i in v.instances) * v.price_per_hour for v in self.plane.variants
        )
        self.records.spend.set(now, rate / 3600.0)
        self._downtime()

    def _downtime(self) -> None:
        """Downtime share, and how much traffic the release is getting (exposure)."""
        self.records.downtime.set(self.env.now, self.plane.unavailable_share())
        weights = self.plane.weights()
        total = weights.sum()
        released = sum(w for v, w in zip(self.plane.variants, weights, strict=True)
                       if v.is_release and v.serving)  # fmt: skip
        self.records.risk.exposed(self.env.now, released / total if total > 0 else 0.0)


def _hourly(variants: list[Variant]) -> float:
    """USD per hour of the billed instances of these variants."""
    return sum(sum(i.billed for i in v.instances) * v.price_per_hour for v in variants)
