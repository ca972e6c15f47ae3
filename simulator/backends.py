"""Where replications run: in this process, on a local process pool, or on a Dask cluster.

Every backend maps one module-level function over a list of tasks and returns the
results in task order, so a table never depends on where it was computed. The pool
forks its workers from a server that has already imported the simulator (numba's
compiled kernel included), which is quick and safe next to threads (Streamlit,
Jupyter); a process with no other thread (the CLI, a script) simply forks, which also
spares scripts the `if __name__ == "__main__"` guard that a fork server needs.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol

Progress = Callable[[int, int], None] | None


class Backend(Protocol):
    """Runs `fn` over tasks; reports (done, total) as results arrive."""

    def map(self, fn: Callable, tasks: Sequence[Any], progress: Progress = None) -> list:
        """Results of fn(task) for every task, in order."""


class Serial:
    """In this process, one task after another (one worker, or a single task)."""

    def map(self, fn: Callable, tasks: Sequence[Any], progress: Progress = None) -> list:
        """Run every task here."""
        out = []
        for i, task in enumerate(tasks):
            out.append(fn(task))
            if progress is not None:
                progress(i + 1, len(tasks))
        return out


class ProcessPool:
    """A local pool of `workers` processes (default: every core)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def map(self, fn: Callable, tasks: Sequence[Any], progress: Progress = None) -> list:
        """Run the tasks on the pool; results in task order."""
        if threading.active_count() == 1:
            _load_kernel()  # the forked workers inherit it instead of each loading it
            context = multiprocessing.get_context("fork")
        else:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["simulator.engine"])
        out: list[Any] = [None] * len(tasks)
        pool = ProcessPoolExecutor(min(self.workers, len(tasks)), mp_context=context)
        try:
            futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
            for done, future in enumerate(as_completed(futures), start=1):
                out[futures[future]] = future.result()
                if progress is not None:
                    progress(done, len(tasks))
        except BaseException:  # cancelled (Ctrl-C, a stopped Streamlit run) or failed
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return out


class Dask:
    """A Dask distributed cluster: a `Client`, or a scheduler address such as tcp://host:8786."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler

    def map(self, fn: Callable, tasks: Sequence[Any], progress: Progress = None) -> list:
        """Submit every task to the cluster; results in task order."""
        from dask.distributed import Client, as_completed

        own = not isinstance(self.scheduler, Client)
        client = Client(self.scheduler) if own else self.scheduler
        try:
            futures = client.map(fn, list(tasks), pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            out: list[Any] = [None] * len(tasks)
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    out[index[future.key]] = future.result()
                    if progress is not None:
                        progress(done, len(tasks))
            except BaseException:  # cancelled or failed: free the cluster
                client.cancel(futures)
                raise
            return out
        finally:
            if own:
                client.close()


@functools.cache
def _load_kernel() -> None:
    """Run a tiny simulation once, so numba's compiled kernel is loaded in this process."""
    from .engine import simulate

    simulate({"duration": 1, "traffic": {"pattern": "poisson", "rate": 10}}, seed=0)


def backend_for(scheduler: Any = None, workers: int | None = None) -> Backend:
    """Dask when given a scheduler, else a process pool (or this process for one worker)."""
    if scheduler is not None:
        return Dask(scheduler)
    workers = workers or os.cpu_count() or 1
    return Serial() if workers == 1 else ProcessPool(workers)
