"""Many runs: replications, comparisons, sweeps and the questions users ask.

Replications with confidence intervals and common random numbers, comparisons, sweeps,
warm-up detection, where replications run (a process pool, Dask), and the questions
(capacity, detection power, Pareto fronts). May import: `simulator.run` and everything
below it; never a front end.
"""
