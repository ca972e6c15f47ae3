"""The textbook per-request SimPy model of the M/M/c queue: the benchmark's baseline.

This is the model every SimPy tutorial builds (compare SimPy's ``carwash.py`` example):
one ``simpy.Resource`` with ``c`` slots, a source process that sleeps an exponential gap
and starts one process per request, and each request process queues for a slot and holds
it for its service time. Random numbers come from a seeded ``random.Random`` of the
standard library, one ``expovariate`` per gap and one per service, as such a model draws
them (numpy's scalar draws are slower one at a time, and would flatter the engine).

``deploysim bench`` measures how many requests per second the vectorised engine serves
against this model, so it is written the plain, idiomatic way: not slowed down, not
tricked up.
"""

from __future__ import annotations

import random

import numpy as np
import simpy

__all__ = ["run_textbook_mmc"]


def run_textbook_mmc(lam: float, mu: float, c: int, n_requests: int, seed: int) -> np.ndarray:
    """Simulate ``n_requests`` requests through an M/M/c queue; return their waits.

    ``lam`` is the arrival rate and ``mu`` the service rate per server (per second), ``c``
    the number of servers. The first request arrives at time 0 to an empty system; the
    run ends when the last request has been served. Returns the wait in queue (seconds)
    of every request, in arrival order.
    """
    if lam <= 0 or mu <= 0:
        raise ValueError(f"lam and mu must be > 0, got lam={lam}, mu={mu}")
    if c < 1 or n_requests < 0:
        raise ValueError(f"c must be >= 1 and n_requests >= 0, got c={c}, n={n_requests}")
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    waits = np.empty(n_requests)

    def customer(env: simpy.Environment, i: int):
        """Queue for a server, hold it for an exponential service time, leave."""
        arrival = env.now
        with servers.request() as req:
            yield req
            waits[i] = env.now - arrival
            yield env.timeout(rng.expovariate(mu))

    def source(env: simpy.Environment):
        """Start one customer process, then sleep an exponential gap, ``n_requests`` times."""
        for i in range(n_requests):
            env.process(customer(env, i))
            yield env.timeout(rng.expovariate(lam))

    env.process(source(env))
    env.run()
    return waits
