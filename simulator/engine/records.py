"""What one run accumulates while it runs, and what it was run with.

`Control` and the monitor write here (the audit trail, the rollout clock, the exposure,
costs, metrics); `build_result` reads it at the end. Neither needs the simulation, which
owns the environment and the processes, so nothing below the simulation refers back to it.
"""

from __future__ import annotations

import math
from typing import Any

from simulator.engine.recording.metrics import Gauges
from simulator.engine.recording.recorder import Recorder, TimeWeighted
from simulator.scenario import Scenario


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


class Records:
    """A run's scenario and seed, and everything it has recorded so far."""

    def __init__(self, sc: Scenario, seed: int) -> None:
        self.sc, self.seed = sc, seed
        period = sc.monitoring.period
        self.periods = max(1, math.ceil(sc.duration / period - 1e-9))
        self.recorder = Recorder(self.periods, period, sc.warmup, sc.slo.latency_p99)
        self.gauges = Gauges(self.periods, period)
        self.downtime = TimeWeighted(1, math.inf)
        self.spend = TimeWeighted(1, math.inf)  # USD per second of every billed instance
        self.events: list[tuple[float, str, str, dict[str, Any]]] = []
        self.in_system_samples: list[int] = []
        self.outcome = "incomplete"
        self.rollout: tuple[float | None, float | None] = (None, None)
        self.risk = Exposure()
        self.rollout_spend: list[float | None] = [None, None]  # USD spent by begin, by end
        self.details: dict[str, Any] = {}  # what a strategy reports beyond the common keys
