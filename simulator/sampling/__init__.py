"""Random processes: when requests arrive (traffic, traces) and how long they take.

Everything here draws from a `numpy.random.Generator` it is handed and knows nothing of
scenarios, fleets or SimPy. May import: numpy, scipy, `simulator.errors`,
`simulator.userfiles`, `simulator.limits`.
"""
