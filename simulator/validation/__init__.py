"""Evidence that the engine is right and fast.

Closed-form queueing theory, the textbook per-request SimPy model, the cases
`deploysim validate` checks and the benchmark.

May import: `simulator.analysis` and everything below it.
"""
