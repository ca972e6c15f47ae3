"""The run budget: what a run will cost, estimated from its scenario before anything is built.

A valid scenario can still ask for more than a machine has: a million requests a second
for a day, a metric period of a millisecond over a week, thirty years of traffic.
`estimate` works out from the scenario's fields alone (no arrival is generated, a trace
file is only counted) the requests a run will serve and the memory it will hold; `check`
refuses a run over the budget with a `BudgetError` saying what is too big, by how much,
and which fields to change. `simulate(..., force=True)` (the CLI's --force) skips it.

Requests cost time, not memory: the data plane serves them a bounded span at a time.
Memory grows with simulated time (a latency histogram per metric period and version,
see `recording/histogram.py`), with the sampled request log and with a replayed trace. The ids
of the users a release hurts (8 bytes each, at most one per request hurt) are left
out: how many requests a release hurts is what the run is there to find out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.engine.recording.histogram import BINS
from simulator.sampling import bursts
from simulator.scenario.model import Scenario, ScenarioError
from simulator.userfiles import brief

MAX_REQUESTS = 2e8
"""Requests one run may serve (arrivals and mirrored copies, plus the arrival generator's
own steps counted as requests). The engine serves 7-23 million requests a second on one
core (benchmarks/README.md), so this is 10-30 s a run, and an experiment runs tens of
replications; a larger figure is far more often a slip (a rate per day typed as per
second, milliseconds typed as seconds) than a plan. It also keeps every histogram bin
below 2^31, as the recorder's int32 counts need."""

MAX_MEMORY = 2 * 2**30
"""Bytes one run may hold. A process pool runs one simulation per core, each also holding
about 300 MB of imported package and compiled kernel: at 2 GiB a run, an 8-core pool stays
within 20 GB and a 2-core one within 5 GB. A 30-day run with a release fits at 1-minute
metric periods (at most 1.7 GiB of histograms), a 60-day one at 2-minute periods."""

HISTOGRAM_BYTES = BINS * 4
"""One period's latency histogram for one version, at most (int32 counts over all 2,600
bins: 10 KiB). A run keeps only the bins its latencies reach, usually a quarter or less."""

PERIOD_BYTES = 512
"""Everything else per period and version: outcome counts and sums, four time-weighted
gauges, a row of the metrics table (about 25 float columns)."""

HISTOGRAM_COPIES = 2
"""The run's histograms held twice for a moment: a version is added, or the kept range of
bins widens, by copying them into larger arrays. Reading them never copies more than a
few hundred periods at a time (`metrics._percentiles`, a few MB)."""

LOGGED_BYTES = 250
"""Bytes per logged request (monitoring.request_log): six columns in the chunks, once more
concatenated, then the request DataFrame, its derived columns and its sorted copy."""

TRACE_ROW_BYTES = 64
"""Bytes per trace timestamp while it is read: pandas' parse, the numeric column, the
sorted copy and the replay's own array (plus the file's text, counted by its size)."""

GENERATED_BYTES = 40
"""Bytes per arrival of a generated block: times, counts, and their sorted copy."""

WORKING_BYTES = 100 * 2**20
"""The rest of a run: a span's request arrays (dataplane._SPAN_MOST requests at about
300 bytes), the kernel's queues, the result's frames."""

BLOCK_COST = 100
"""A generated block's fixed cost in requests' worth of engine time (about 40 us of numpy
calls). A flash crowd's blocks are sized by its peak rate, all run long."""

CRASH_COST = 300
"""An instance crash and its repair in requests' worth of engine time (measured about
110 us: two SimPy events, the data plane brought up to date, routing and gauges rebuilt)."""

LAUNCH_PAIR_COST = 2
"""Launching n instances that provision costs n^2 x this many requests' worth (measured
0.6-0.8 us a pair): each instance that comes into service rebuilds its fleet's routing."""

class BudgetError(ScenarioError):
    """A scenario that would take longer or hold more memory than one run may."""


@dataclass
class Cost:
    """One driver of a run's cost: how much, what it is, and which fields change it."""

    amount: float
    what: str
    change: str = ""


@dataclass
class Estimate:
    """What a run is expected to cost: work in requests, memory in bytes, by driver."""

    work: dict[str, Cost] = field(default_factory=dict)  # arrivals, copies, generator steps
    memory: dict[str, Cost] = field(default_factory=dict)  # histograms, log, trace, the rest

    @property
    def requests(self) -> float:
        """Requests served: arrivals and mirrored copies."""
        return sum(c.amount for k, c in self.work.items() if k in ("arrivals", "copies"))

    @property
    def total_work(self) -> float:
        """What the time budget counts: requests and the generator's steps."""
        return sum(c.amount for c in self.work.values())

    @property
    def total_memory(self) -> float:
        """Bytes, all drivers together."""
        return sum(c.amount for c in self.memory.values())


def estimate(sc: Scenario) -> Estimate:
    """The run's expected requests and memory, from the scenario alone."""
    est = Estimate()
    _traffic(sc, est)
    _mirrored(sc, est)
    _instances(sc, est)
    periods = max(1, math.ceil(sc.duration / sc.monitoring.period - 1e-9))
    versions = _versions(sc)
    est.memory["histograms"] = Cost(
        periods * versions * (HISTOGRAM_COPIES * HISTOGRAM_BYTES + PERIOD_BYTES),
        f"metric histograms: {periods:,} periods (duration / monitoring.period) x {versions} "
        f"version{'s' * (versions > 1)} x {HISTOGRAM_BYTES // 1024} KiB",
        "raise monitoring.period or lower duration",
    )
    log = sc.monitoring.request_log
    if log > 0:
        est.memory["request log"] = Cost(
            log * est.requests * LOGGED_BYTES,
            f"the request log: monitoring.request_log {log:g} of {est.requests:.3g} requests",
            "lower monitoring.request_log, or the requests (traffic, duration)",
        )
    est.memory["working set"] = Cost(WORKING_BYTES, "the engine's working set",
                                     "nothing in the scenario: a larger MAX_MEMORY")  # fmt: skip
    return est


def check(sc: Scenario) -> Estimate:
    """The estimate, or BudgetError if the run would exceed MAX_REQUESTS or MAX_MEMORY."""
    est = estimate(sc)
    problems = []
    if est.total_work > MAX_REQUESTS:
        top = max(est.work.values(), key=lambda c: c.amount)
        drivers = "; ".join(f"{c.amount:.3g} {c.what}" for c in est.work.values()
                            if c.amount >= 0.01 * est.total_work)  # fmt: skip
        problems.append(
            f"about {est.total_work:.3g} requests ({drivers}), over the budget of "
            f"{MAX_REQUESTS:.3g} a run (10-30 s at the engine's 7-23M requests/s): {top.change}"
        )
    if est.total_memory > MAX_MEMORY:
        top = max(est.memory.values(), key=lambda c: c.amount)
        problems.append(
            f"about {_size(est.total_memory)} of memory, {_size(top.amount)} of it for "
            f"{top.what}, over the budget of {_size(MAX_MEMORY)} a run: {top.change}"
        )
    refuse(f"scenario {brief(sc.name)}", problems)
    return est


def refuse(subject: str, problems: list[str]) -> None:
    """Raise BudgetError listing every problem of `subject` (nothing if there is none)."""
    if problems:
        raise BudgetError(
            f"{subject} is over the run budget:\n"
            + "".join(f"  {p}\n" for p in problems)
            + "  or run it anyway: force=True (--force on the command line)"
        )


def _size(n: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n / 2**10:.3g} KiB"


# ---------------------------------------------------------------- traffic


def _traffic(sc: Scenario, est: Estimate) -> None:
    """Expected arrivals over the run, the generator's steps, and what drives them."""
    spec, duration = sc.traffic, sc.duration
    if spec.pattern == "trace":
        _trace(spec, duration, est)
        return
    process = spec.build(np.random.default_rng(0))  # never drawn from: only its arithmetic
    est.work["arrivals"] = Cost(
        process.expected_count(0.0, duration),
        f"arrivals: traffic.rate {spec.rate:g}/s x duration {duration:g} s",
        "lower traffic.rate or duration",
    )
    if isinstance(process, bursts.MMPP2):
        m = spec.mmpp
        est.work["arrivals"].what = (
            f"arrivals: mean rate {process.mean_rate:.3g}/s x duration {duration:g} s, "
            f"traffic.mmpp.high_rate {m.high_rate:g}/s for {process.p_high:.0%} of the time"
        )
        est.work["arrivals"].change = "lower traffic.mmpp.high_rate, traffic.rate or duration"
        est.work["steps"] = Cost(
            2 * duration / (m.mean_low + m.mean_high),
            "MMPP dwells: duration / (traffic.mmpp.mean_low + mean_high) x 2",
            "raise traffic.mmpp.mean_low and mean_high, or lower duration",
        )
    elif isinstance(process, bursts.Bursty) and spec.bursts:
        _bursts(spec, process, duration, est)


def _bursts(spec, process: bursts.Bursty, duration: float, est: Estimate) -> None:
    """Flash crowds: which burst adds the most arrivals, and the generator's blocks."""
    extra = [(b.multiplier - 1) * spec.rate * _on_time(b.at, b.duration, spec.every, duration)
             for b in spec.bursts]  # fmt: skip
    i = int(np.argmax(extra))
    arrivals = est.work["arrivals"]
    if extra[i] > 0.5 * arrivals.amount:
        arrivals.what = (f"arrivals: traffic.rate {spec.rate:g}/s x duration {duration:g} s, "
                         f"x{spec.bursts[i].multiplier:g} in traffic.bursts[{i}]")  # fmt: skip
        arrivals.change = (f"lower traffic.bursts[{i}].multiplier or .duration, "
                           "traffic.rate or duration")  # fmt: skip
    blocks = duration / process._width * BLOCK_COST
    repeats = 0.0
    if spec.every is not None:
        short = sum(b.duration < spec.every for b in spec.bursts)
        repeats = 2 * short * duration / spec.every
    peak = int(np.argmax([b.multiplier for b in spec.bursts]))
    est.work["steps"] = (
        Cost(repeats, "burst windows: duration / traffic.every, per burst",
             "raise traffic.every or lower duration")
        if repeats > blocks
        else Cost(blocks, f"requests' worth of generator blocks: sized by the peak rate "
                  f"(traffic.bursts[{peak}].multiplier x traffic.rate), all run long",
                  f"lower traffic.bursts[{peak}].multiplier or duration")
    )  # fmt: skip


def _on_time(at: float, length: float, every: float | None, duration: float) -> float:
    """Seconds of [0, duration) a burst is on: once, or repeated every `every`."""
    if at >= duration:
        return 0.0
    if every is None:
        return min(length, duration - at)
    if length >= every:
        return duration - at
    whole, rest = divmod(duration - at, every)
    return whole * length + min(length, rest)


def _trace(spec, duration: float, est: Estimate) -> None:
    """A replay: arrivals counted from the file (timestamps: its lines; counts: the bins run)."""
    path = Path(spec.path)
    size = path.stat().st_size
    where = f"traffic.path {brief(path.name)}"
    if spec.kind == "timestamps":
        rows = max(0, _lines(path) - 1)  # less the header
        est.work["arrivals"] = Cost(rows, f"arrivals: at most the timestamps in {where}",
                                    "replay a shorter trace")  # fmt: skip
        est.memory["trace"] = Cost(size + rows * TRACE_ROW_BYTES,
                                   f"the trace's {rows:,} timestamps ({where})",
                                   "replay a shorter trace")  # fmt: skip
        return
    bins = pd.read_csv(path, usecols=[spec.column or 0], nrows=math.ceil(duration / 60.0))
    counts = bins.iloc[:, 0].to_numpy(dtype=np.float64)
    biggest = float(counts.max(initial=0.0))
    est.work["arrivals"] = Cost(float(counts.sum()),
                                f"arrivals: the counts of {len(counts):,} minutes in {where}",
                                "replay smaller counts or lower duration")  # fmt: skip
    est.memory["trace"] = Cost(
        size + biggest * GENERATED_BYTES,
        f"the trace ({where}): its biggest bin, {biggest:.3g} requests, is generated at once",
        "split the trace's biggest bins",
    )


def _lines(path: Path) -> int:
    """Lines in a file, counted a megabyte at a time (the file is never held whole)."""
    count, last = 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(2**20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


# ---------------------------------------------------------------- strategy


def _mirrored(sc: Scenario, est: Estimate) -> None:
    """Copies a shadow or parallel strategy sends to its twin, Argo blue/green to its preview."""
    strategy = sc.strategy
    if strategy.type == "argo_blue_green" and strategy.pre_promotion_analysis is not None:
        run = strategy.pre_promotion_analysis  # longest: each measurement after tolerated errors
        seconds = run.initial_delay + run.interval * run.count * (run.consecutive_error_limit + 1)
        share, what = strategy.preview_traffic / 100.0, f"up to {seconds:g} s of analysis"
        fix = "lower strategy.preview_traffic"
    elif strategy.type in ("shadow", "parallel"):
        share = strategy.sampling / 100.0 if strategy.type == "shadow" else 1.0
        seconds, what = strategy.duration, f"strategy.duration {strategy.duration:g} s"
        fix = "lower strategy.duration" + " or strategy.sampling" * (strategy.type == "shadow")
    else:
        return
    est.work["copies"] = Cost(share * min(1.0, seconds / sc.duration) * est.work["arrivals"].amount,
                              f"mirrored copies: {share:.0%} of requests for {what}", fix)


def _instances(sc: Scenario, est: Estimate) -> None:
    """Control-plane work that grows with the fleet: launches, crashes and repairs."""
    sizes = {"fleet.instances": sc.fleet.instances}
    if sc.release_fleet is not None:
        sizes["release.instances"] = sc.release_fleet.instances
    if sc.autoscaling is not None:
        sizes["autoscaling.max"] = sc.autoscaling.max
    field, largest = max(sizes.items(), key=lambda item: item[1])
    est.work["launches"] = Cost(LAUNCH_PAIR_COST * largest**2,
                                f"requests' worth of launching {largest:,} instances ({field})",
                                f"lower {field}")  # fmt: skip
    crashes = sc.failures.instance
    if crashes is not None:
        # at most: both fleets during an overlap, or a variant scaled out to its maximum
        both = sizes["fleet.instances"] + sizes.get("release.instances", 0)
        live = max(both, sizes.get("autoscaling.max", 0))
        expected = live * sc.duration / crashes.mtbf
        est.work["crashes"] = Cost(
            CRASH_COST * expected,
            f"requests' worth of {expected:.3g} instance crashes ({live:,} instances x "
            f"duration / failures.instance.mtbf {crashes.mtbf:g} s)",
            "raise failures.instance.mtbf or lower duration",
        )


def _versions(sc: Scenario) -> int:
    """Series recorded: the fleet, the release, and a labelled one if the strategy may add it.

    A canary with a Kayenta gate adds a baseline; shadow and parallel add a twin.
    """
    if sc.release is None:
        return 1
    return 3 if sc.strategy.type in ("canary", "shadow", "parallel") else 2
