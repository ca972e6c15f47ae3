"""Processes: pool workers never outlive the command that started them, however it stops.

Each test starts a real `deploysim compare` (or a pool in a small script) as a
subprocess, waits for its workers to appear (with a deadline, not a fixed sleep: the
machine may be loaded), stops it and checks that every worker is gone. A worker that
is dead but not yet reaped (a zombie, when the container's init does not reap orphans)
counts as gone: it holds no memory and runs nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.store.runstore import RunStore

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "canary-fraud-flagger.yaml"
# Far more work (about 0.15 s a replication) than the seconds before each test stops it,
# so the compare is always mid-run when stopped.
COMPARE = [sys.executable, "-m", "simulator", "compare", str(SCENARIO), "--strategies",
           "canary,blue_green", "--replications", "200", "--workers", "2"]  # fmt: skip
START_DEADLINE_S = 120.0  # a cold start imports numpy, pandas and numba on a busy machine
STOP_DEADLINE_S = 15.0


def children(pid: int) -> set[int]:
    """The live children of `pid`, from the kernel's per-thread lists."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:  # the thread (or the process) ended meanwhile
            continue
    return {c for c in found if alive(c)}


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    """Whether `pid` still runs (exists and is not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_for(condition, deadline_s: float, what: str):
    """Poll until `condition()` is truthy (and return it), or fail after `deadline_s`."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {deadline_s:g} s")


def pool_workers(proc: subprocess.Popen, count: int = 2) -> set[int]:
    """The compare's pool workers: children running its own command line (forked from it)."""

    def found():
        if proc.poll() is not None:
            raise AssertionError(f"the command ended early: {proc.communicate()}")
        workers = {c for c in children(proc.pid) if cmdline(c) == cmdline(proc.pid)}
        return workers if len(workers) >= count else None

    return wait_for(found, START_DEADLINE_S, "the pool workers did not start")


@pytest.fixture
def start(tmp_path):
    """Start a command in its own process group, with its own run store; whatever the
    test's outcome, the group is killed at the end so nothing is left running."""
    started: list[subprocess.Popen] = []

    def run(command: list[str]) -> subprocess.Popen:
        env = os.environ | {"DEPLOYSIM_STORE": str(tmp_path / "runs.sqlite")}
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)  # fmt: skip
        started.append(proc)
        return proc

    yield run
    for proc in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


def test_kill_9_of_a_compare_leaves_no_worker(start):
    proc = start(COMPARE)
    workers = pool_workers(proc)
    proc.kill()
    proc.wait()
    wait_for(lambda: not any(alive(w) for w in workers), STOP_DEADLINE_S, "workers outlived it")


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_compare_kills_its_workers_and_saves_nothing(start, tmp_path, sig, status):
    proc = start(COMPARE)
    workers = pool_workers(proc)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == status, stderr
    assert "interrupted: nothing was saved" in stderr
    assert "Traceback" not in stderr and stdout == ""
    assert RunStore(tmp_path / "runs.sqlite").list().empty
    # The parent killed its workers before exiting (it did not leave them their task).
    assert not any(alive(w) for w in workers)


def test_kill_9_reaches_workers_forked_by_the_fork_server(start):
    """With other threads running, workers come from a fork server, not from the process:
    they must still die with it (and the server must not keep them alive)."""
    script = (
        "import threading, time\n"
        "from simulator.analysis.backends import ProcessPool\n"
        "threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
        "ProcessPool(2).map(time.sleep, [600, 600])\n"
    )
    proc = start([sys.executable, "-c", script])

    def server_and_workers():
        if proc.poll() is not None:
            raise AssertionError(f"the script ended early: {proc.communicate()}")
        servers = [c for c in children(proc.pid) if b"forkserver" in cmdline(c)]
        workers = children(servers[0]) if servers else set()
        return (servers[0], workers) if len(workers) == 2 else None

    server, workers = wait_for(server_and_workers, START_DEADLINE_S, "no fork server workers")
    proc.kill()
    proc.wait()
    everything = {server, *workers}
    wait_for(lambda: not any(alive(p) for p in everything), STOP_DEADLINE_S, "workers outlived it")
