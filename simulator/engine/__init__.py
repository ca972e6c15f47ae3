"""The engine: a SimPy control plane driving a vectorised data plane, and what it records.

`simulation` owns one run (random streams, processes, the monitor); `control` is the only
door strategies and gates use; `fleet`, `dataplane` and the numba `kernel` serve requests
a span at a time; `recording/` aggregates what CloudWatch would see; `result` assembles
the answer; `budget` refuses a run too big before anything is allocated. The engine runs
whatever controller it is handed and imports no strategy and no gate. May import:
`simulator.scenario`, `simulator.sampling`, `simulator.catalog` and below.
"""
