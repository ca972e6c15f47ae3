"""The change stream: when changes are merged, how big they are, which carry a defect.

Merges are a Poisson stream in working time (`rate` per working day), so none lands at
night or at a weekend; a change of s lines carries a defect with probability
1 - (1 - q)^(s / 100), q being the chance for 100 lines: each line independently risky,
so bigger changes are riskier and a batch of changes fails as its parts would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.process.calendar import WorkingCalendar
from simulator.scenario.process import ChangesSpec


@dataclass(frozen=True)
class Changes:
    """One array per field, a row per change, in order of merging."""

    merged_at: np.ndarray  # s
    size: np.ndarray  # lines
    defective: np.ndarray  # bool
    error_rate: np.ndarray  # share of requests its defect fails (0 without one)
    latency_factor: np.ndarray  # how much slower its defect serves (1 without one)

    def __len__(self) -> int:
        return len(self.merged_at)


def defect_probability(size, per_100_lines: float) -> np.ndarray:
    """Chance that a change of `size` lines carries a defect."""
    return 1.0 - (1.0 - per_100_lines) ** (np.asarray(size, dtype=float) / 100.0)


def draw_changes(
    spec: ChangesSpec, calendar: WorkingCalendar, rng: dict[str, np.random.Generator]
) -> Changes:
    """The changes merged in the calendar's horizon.

    Streams: merges, sizes, defects, severity (each defect's error rate, then each
    defect's latency factor, so a fixed factor leaves the error rates as they were).
    """
    per_second = spec.rate / (calendar.hours_per_day * 3600.0)
    n = int(rng["merges"].poisson(per_second * calendar.total))
    working = np.sort(rng["merges"].random(n)) * calendar.total
    size = spec.size.build().sample(rng["sizes"], n)
    p = defect_probability(size, spec.defect_per_100_lines)
    defective = rng["defects"].random(n) < p
    defects = int(defective.sum())
    error_rate, latency_factor = np.zeros(n), np.ones(n)
    error_rate[defective] = spec.severity.error_rates(rng["severity"], defects)
    latency_factor[defective] = spec.severity.latency_factors(rng["severity"], defects)
    return Changes(calendar.at_working(working), size, defective, error_rate, latency_factor)
