"""Many runs: replications with confidence intervals, common random numbers, comparisons,
sweeps, warm-up detection, where replications run (a process pool, Dask), and the
questions users ask (capacity, detection power, Pareto fronts). May import: `simulator.run`
and everything below it; never a front end.
"""
