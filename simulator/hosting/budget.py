"""The run budget of a transform job or an asynchronous endpoint, before anything is drawn.

Their players keep every request's (or record's) times in arrays and schedule them in a
Python loop, so they take on fewer requests than the engine, which serves spans through
a compiled kernel and keeps only histograms: at most HOSTED_REQUESTS, and the memory
they hold counted at HOSTED_BYTES each, next to the engine's own estimate.
"""

from __future__ import annotations

from simulator.engine import budget
from simulator.engine.budget import Cost, Estimate
from simulator.scenario import Scenario
from simulator.userfiles import brief

HOSTED_REQUESTS = 2e7
"""Requests (or records) one hosting run may take on: the players schedule about a
million a second, so this is 20-40 s, and under 1 GiB of arrays."""

HOSTED_BYTES = 48
"""Bytes per request or record: arrival or size, work, start and end times, flags."""


def estimate(sc: Scenario) -> Estimate:
    """The engine's estimate of the scenario, with the records and per-request arrays."""
    est = budget.estimate(sc)
    records = getattr(sc.hosting, "records", None)
    if records is not None:
        est.work = {"arrivals": Cost(records, f"records: hosting.records {records:,}",
                                     "lower hosting.records")}  # fmt: skip
    est.memory["requests"] = Cost(est.requests * HOSTED_BYTES, "every request's times",
                                  est.work["arrivals"].change)  # fmt: skip
    return est


def check(sc: Scenario) -> Estimate:
    """The estimate, or BudgetError past HOSTED_REQUESTS or the engine's memory budget."""
    est = estimate(sc)
    problems = []
    if est.requests > HOSTED_REQUESTS:
        arrivals = est.work["arrivals"]
        problems.append(f"about {est.requests:.3g} {arrivals.what}, over the budget of "
                        f"{HOSTED_REQUESTS:.3g} for hosting kind {sc.hosting.kind}: "
                        f"{arrivals.change}")  # fmt: skip
    if est.total_memory > budget.MAX_MEMORY:
        problems.append(f"about {est.total_memory / 2**30:.3g} GiB of memory, over the budget "
                        f"of {budget.MAX_MEMORY / 2**30:g} GiB a run: "
                        f"{est.work['arrivals'].change}")  # fmt: skip
    budget.refuse(f"scenario {brief(sc.name)}", problems)
    return est
