"""Many runs: replications, comparisons, sweeps and the questions users ask.

Replications with confidence intervals and common random numbers, comparisons, sweeps,
warm-up detection, where replications run (a process pool, Dask), the questions
(capacity, detection power, Pareto fronts), and replications of a release process.
May import: `simulator.process`, `simulator.run` and everything below them; never a
front end.
"""
