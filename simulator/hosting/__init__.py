"""Playing the offline and queued hosting kinds: Batch Transform jobs and asynchronous endpoints.

A real-time endpoint is the engine's (`simulator.engine`): requests meet per-instance
queues and strategies act on them. The two kinds here serve differently. A transform job
has no arrivals at all, only a dataset and a schedule of mini-batches; an asynchronous
endpoint holds one queue for the whole fleet, scales on its backlog and may have no
instance at all. Each is a small player of its own that returns the engine's `Result`.

May import: `simulator.engine` (fleets, events, the Result), `simulator.scenario`,
`simulator.sampling`, `simulator.catalog`; never a strategy.
"""

from __future__ import annotations

from simulator.hosting.play import play

__all__ = ["play"]
