"""The process budget: how many changes and how much engine work a process run will take.

Estimated from the scenario before anything runs, as `engine/budget.py` does for one
run: the changes the team merges over the horizon (each is a few SimPy processes), the
releases (at most one per change, or one per train), and those releases times the
engine work of one, plus the run of the fleet alone that stands for the time between
releases. A process over any of the three limits is refused with what is too
big and which fields to change; `--force` (force=True) runs it anyway.
"""

from __future__ import annotations

import math

from simulator.engine import budget
from simulator.process.calendar import WorkingCalendar
from simulator.process.releases import release_data
from simulator.process.steady import steady_scenario
from simulator.run import check_budget
from simulator.scenario.model import Scenario, load_scenario
from simulator.scenario.process import ProcessSpec, Train
from simulator.userfiles import brief

MAX_CHANGES = 100_000
"""Changes one process run may merge: about 5 s of CI simulation per 10,000; more is far
more often a rate per year typed as per day than a plan."""

MAX_RELEASES = 5_000
"""Releases one process run may play: each is a run of the engine with its control plane
and result, about 35 ms for the presets' hour of 50 requests/s (a 10-year continuous
deployment, 15,600 releases, took 9 minutes), so this is about 3 minutes."""

MAX_WORK = 2e9
"""Requests all the releases of a process run may serve together: 2-5 minutes at the
engine's 7-23M requests/s (`engine/budget.py`). The presets take 1-25 million."""


def check_process(base: Scenario, spec: ProcessSpec) -> None:
    """Raise BudgetError if the process would merge or release more than a run may."""
    calendar = WorkingCalendar(spec.calendar, spec.horizon)
    changes = spec.changes.rate * calendar.total / (calendar.hours_per_day * 3600.0)
    releases = changes
    if isinstance(spec.delivery, Train):
        releases = min(changes, math.ceil(spec.horizon / spec.delivery.every))
    per_release = check_budget(load_scenario(release_data(base))).total_work  # one fits, too
    steady = budget.estimate(steady_scenario(base)).total_work  # counted in MAX_WORK
    problems = []
    if releases > MAX_RELEASES:
        problems.append(
            f"up to {releases:,.0f} releases (one per change as it passes), over the budget "
            f"of {MAX_RELEASES:,}: lower process.horizon or process.changes.rate, or "
            f"release in trains"
        )
    if changes > MAX_CHANGES:
        problems.append(
            f"about {changes:,.0f} changes merged, over the budget of {MAX_CHANGES:,}: "
            f"lower process.changes.rate or process.horizon"
        )
    if releases * per_release + steady > MAX_WORK:
        problems.append(
            f"up to {releases:,.0f} releases of {per_release:.3g} requests each and "
            f"{steady:.3g} between releases, {releases * per_release + steady:.3g} in all, "
            f"over the budget of {MAX_WORK:.3g}: lower "
            f"process.horizon, the rate of changes, or the scenario's duration or traffic"
        )
    budget.refuse(f"the process of {brief(base.name)}", problems)
