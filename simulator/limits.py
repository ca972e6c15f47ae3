"""The ranges every number a user gives must fall in, and why.

The schema refuses what lies outside them, the run budget relies on them, and the traffic
processes check what a trace file holds against them; they sit at the bottom of the house
because all three need them.
"""

TIME_RESOLUTION = 1e-6
"""Shortest positive duration, s: the latency histogram's first bin ends at 1 us, and late
in the longest run (MAX_SECONDS) float64 clock readings are 0.12 us apart, so a span much
shorter would be rounded away when added to the clock (its event would never move time)."""

MAX_SECONDS = 1e9
"""Longest duration, s (31.7 years): at 1e9 s neighbouring float64 seconds are 0.12 us
apart, still finer than the 1 us the latency histogram starts at; ten times later they are
1.9 us apart, and a latency computed from two clock readings is off by a whole bin."""

MAX_RATE = 1 / TIME_RESOLUTION
"""Most requests per second, in any traffic shape: one a microsecond on average. Denser
arrivals fall within one tick of the clock, and no single endpoint takes a million a second."""

MAX_INSTANCES = 10_000
"""Most instances in a fleet or a share of one; SageMaker's own quotas are far lower."""

MAX_INTEGER = 2**63 - 1
"""Largest seed or record id: SQLite's largest integer, so any seed can be stored."""
