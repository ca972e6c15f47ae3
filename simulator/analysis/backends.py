"""Where replications run: in this process, on a local process pool, or on a Dask cluster.

Every backend maps one module-level function over a list of tasks and returns the
results in task order, so a table never depends on where it was computed. The pool
forks its workers from a server that has already imported the simulator (numba's
compiled kernel included), which is quick and safe next to threads (Streamlit,
Jupyter); a process with no other thread (the CLI, a script) simply forks, which also
spares scripts the `if __name__ == "__main__"` guard that a fork server needs.

Pool workers never outlive the process that asked for them: they die with it however it
ends (even `kill -9`), leave Ctrl-C to it, and are killed at once, mid-task, when it is
interrupted or a task fails.
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import multiprocessing.forkserver
import os
import reprlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from typing import Any, Protocol

from simulator.errors import UserError

Progress = Callable[[int, int], None] | None

CONNECT_TIMEOUT_S = 10.0
"""How long to wait for a Dask scheduler to answer (distributed's own default is 30 s)."""

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class BackendError(UserError):
    """A place to run replications that cannot be used; `setting` names the argument at fault."""

    def __init__(self, message: str, setting: str) -> None:
        super().__init__(message)
        self.setting = setting


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
            context, parent = multiprocessing.get_context("fork"), os.getpid()
            forking = _stop_signals_held()  # the first submit forks every worker from here
        else:
            context, parent = multiprocessing.get_context("forkserver"), None
            context.set_forkserver_preload(["simulator.engine.simulation"])
            forking = nullcontext()  # the fork server forks, not this process
        out: list[Any] = [None] * len(tasks)
        pool = ProcessPoolExecutor(min(self.workers, len(tasks)), mp_context=context,
                                   initializer=_bind_worker, initargs=(parent,))  # fmt: skip
        try:
            with forking:
                futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
            for done, future in enumerate(as_completed(futures), start=1):
                out[futures[future]] = future.result()
                if progress is not None:
                    progress(done, len(tasks))
        except BaseException:  # cancelled (Ctrl-C, SIGTERM, a stopped Streamlit run) or failed
            _stop(pool)
            raise
        pool.shutdown()
        return out


@contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while workers are forked; they are delivered right after.

    A signal landing during a fork would be lost (Python drops an exception raised in its
    at-fork hooks), and a worker must not act on one before its initializer says how.
    """
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _bind_worker(parent: int | None) -> None:
    """Pool initializer: leave Ctrl-C to the parent, and die with the parent however it ends.

    `parent` is the pid that forked this worker, or None when the fork server did. Without
    this, a parent killed with SIGKILL leaves its workers running (and their memory held).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker inherits the CLI's handler
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # held while it was forked
    if sys.platform != "linux":
        return
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is None:
        # The fork server stays up while any process it forked holds the write end of its
        # "alive" pipe, which each worker inherits: let go of it, so the server exits with
        # the parent and the death signal, sent when the server exits, reaches this worker.
        # (Holding the pipe until now, this worker kept the server from exiting before.)
        server = multiprocessing.forkserver._forkserver
        os.close(server._forkserver_alive_fd)
        server._forkserver_alive_fd = None
    elif os.getppid() != parent:
        os._exit(1)  # the parent died before the death signal was set


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill the running workers now, not after their task, and cancel the queued tasks.

    Waiting for the pool to notice (it then closes its pipes) keeps its exit hook from
    writing to a closed pipe when the interpreter exits right after (Python 3.11).
    """
    for worker in list((pool._processes or {}).values()):  # no public handle before 3.14
        worker.kill()
    pool.shutdown(cancel_futures=True)


class Dask:
    """A Dask distributed cluster: a `Client`, or a scheduler address such as tcp://host:8786."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler

    def map(self, fn: Callable, tasks: Sequence[Any], progress: Progress = None) -> list:
        """Submit every task to the cluster; results in task order."""
        from dask.distributed import Client, as_completed

        own = not isinstance(self.scheduler, Client)
        client = _connect(self.scheduler) if own else self.scheduler
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


def _connect(address: str) -> Any:
    """A client of the scheduler at `address`, or a BackendError within CONNECT_TIMEOUT_S."""
    from dask.distributed import Client

    where = reprlib.repr(address)
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S)
    except ValueError as exc:  # a malformed address, refused before connecting
        raise BackendError(f"{where} is not a scheduler address ({exc}); expected "
                           "tcp://host:8786", "scheduler") from None  # fmt: skip
    except OSError:
        raise BackendError(f"no Dask scheduler answered at {where} within "
                           f"{CONNECT_TIMEOUT_S:g} s: is it running, and is the address "
                           "right?", "scheduler") from None  # fmt: skip


@functools.cache
def _load_kernel() -> None:
    """Run a tiny simulation once, so numba's compiled kernel is loaded in this process."""
    from simulator.run import simulate

    simulate({"duration": 1, "traffic": {"pattern": "poisson", "rate": 10}}, seed=0)


def backend_for(scheduler: Any = None, workers: int | None = None) -> Backend:
    """Dask when given a scheduler, else a process pool (or this process for one worker)."""
    if scheduler is not None:
        return Dask(scheduler)
    workers = workers or os.cpu_count() or 1
    return Serial() if workers == 1 else ProcessPool(workers)
