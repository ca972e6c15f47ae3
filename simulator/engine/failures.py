"""What breaks during a run: instance crashes and repairs, availability-zone outages.

Both are SimPy processes that act through `Control` like any other actor, and draw from
the run's `failures` stream only, so a strategy never shifts when the next crash comes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simulator.engine.events import EventKind
from simulator.engine.fleet import IN_SERVICE, PROVISIONING, TERMINATED, Instance
from simulator.scenario.base import format_duration

if TYPE_CHECKING:
    from simulator.engine.control import Control
    from simulator.scenario.operations import ZoneOutage


def instance_lifecycle(ctl: Control, inst: Instance):
    """Crash and come back, for as long as the instance lives."""
    spec, rng, env = ctl.sc.failures.instance, ctl.failure_rng, ctl.env
    while True:
        gap = spec.mtbf if spec.distribution == "fixed" else rng.exponential(spec.mtbf)
        yield env.timeout(gap)
        if inst.state == TERMINATED:
            return
        if inst.state != IN_SERVICE or "crash" in inst.down_reasons:
            continue
        ctl.take_down(inst, "crash")
        yield env.timeout(spec.mttr if spec.mttr is not None else inst.variant.provisioning_s)
        if inst.state == TERMINATED:
            return
        ctl.bring_up(inst, "crash")


def zone_outage(ctl: Control, outage: ZoneOutage):
    """Take a fraction of every variant's instances out for the outage's span."""
    yield ctl.env.timeout(outage.at)
    hit = []
    for variant in ctl.plane.variants:
        live = [i for i in variant.live if i.state in (IN_SERVICE, PROVISIONING)]
        count = math.ceil(outage.fraction * len(live) - 1e-9)
        chosen = ctl.failure_rng.choice(len(live), size=count, replace=False)
        hit += [live[j] for j in sorted(chosen)]
    ctl.audit(EventKind.ZONE_OUTAGE,
              f"{len(hit)} instances down for {format_duration(outage.duration)}",
              count=len(hit), value=outage.duration)  # fmt: skip
    for inst in hit:
        ctl.take_down(inst, "zone")
    yield ctl.env.timeout(outage.duration)
    for inst in hit:
        ctl.bring_up(inst, "zone")
    ctl.audit(EventKind.ZONE_RECOVERED, f"{len(hit)} instances back", count=len(hit))
