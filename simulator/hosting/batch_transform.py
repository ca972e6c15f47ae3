"""A Batch Transform job played out: start-up, mini-batches over instances, retries, the bill.

SageMaker gives each instance whole input files (one file is read by one instance, so a
single file keeps every other instance idle) and cuts each file into mini-batches of
`records_per_batch` records. An instance has MaxConcurrentTransforms requests in flight:
each mini-batch goes to the first of them to free, in file order, which is list
scheduling over identical workers all ready when the job's start-up ends. A mini-batch's
work is the sum of its records' service times plus the fleet's fixed overhead per
request; an attempt fails with the fleet's error rate, or at InvocationsTimeoutInSeconds
when the work takes longer (a retry of the same payload takes as long), and is retried
up to InvocationsMaxRetries times. The job is billed per instance from creation to its
end, start-up included (docs/reference/hosting.md#batch-transform).
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

from simulator.engine.events import EventKind
from simulator.engine.result import Result, posture_summary
from simulator.hosting.common import Trail, fleet_variant, latency_ms, streams
from simulator.scenario import Scenario
from simulator.scenario.hosting import BatchTransform


def file_sizes(records: int, files: int) -> np.ndarray:
    """Records per input file: as even as whole records allow, the larger files first."""
    base, extra = divmod(records, files)
    return np.full(files, base, dtype=np.int64) + (np.arange(files) < extra)


def batch_sizes(per_file: np.ndarray, per_batch: int) -> np.ndarray:
    """Records in each mini-batch, file after file; a file's last batch holds what is left."""
    full, rest = np.divmod(per_file, per_batch)
    counts = full + (rest > 0)
    sizes = np.full(int(counts.sum()), per_batch, dtype=np.int64)
    ends = np.cumsum(counts) - 1
    has_rest = rest > 0
    sizes[ends[has_rest]] = rest[has_rest]
    return sizes


def finish_times(ready: float, occupancy: np.ndarray, workers: int) -> np.ndarray:
    """When each mini-batch ends, handed in order to the first of `workers` slots to free."""
    if workers == 1:
        return ready + np.cumsum(occupancy)
    free = [ready] * workers
    ends = np.empty(occupancy.size)
    for j, d in enumerate(occupancy.tolist()):
        ends[j] = heapq.heapreplace(free, free[0] + d) + d
    return ends


def records(sc: Scenario) -> int:
    """The dataset's records: as given, or what the traffic would send over the duration."""
    if sc.hosting.records is not None:
        return sc.hosting.records
    process = sc.traffic.build(np.random.default_rng(0))  # only its arithmetic is used
    return max(1, round(process.expected_count(0.0, sc.duration)))


def run(sc: Scenario, seed: int) -> Result:
    """Play the scenario's transform job; the summary says when it ended and what it cost."""
    spec: BatchTransform = sc.hosting
    total = records(sc)
    rng = streams(seed)
    variant = fleet_variant(sc)
    instances = sc.fleet.instances
    workers = spec.max_concurrent_transforms or variant.workers
    start_up = variant.provisioning_s if spec.start_up is None else spec.start_up
    ready = spec.start + start_up

    per_file = file_sizes(total, spec.files)
    owner = np.arange(spec.files) % instances  # file f to instance f mod InstanceCount
    record_time = variant.service.sample(rng["service"], total)
    sizes = batch_sizes(per_file, spec.records_per_batch)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    work = np.add.reduceat(record_time, first) + sc.fleet.overhead
    batch_file = np.repeat(np.arange(spec.files), _batches_per_file(per_file, spec))

    attempts = spec.invocations_max_retries + 1
    timed_out = work > spec.invocations_timeout
    attempt_time = np.minimum(work, spec.invocations_timeout)
    failed = rng["errors"].random((sizes.size, attempts)) < variant.error_rate
    failed |= timed_out[:, None]
    succeeded = ~failed.all(axis=1)
    tries = np.where(succeeded, failed.argmin(axis=1) + 1, attempts)
    occupancy = attempt_time * tries

    ends = np.empty(sizes.size)
    busy_until = np.full(instances, ready)
    for i in range(instances):
        mine = np.flatnonzero(owner[batch_file] == i)
        if mine.size:
            ends[mine] = finish_times(ready, occupancy[mine], workers)
            busy_until[i] = ends[mine].max()
    end = float(busy_until.max())
    failed_records = int(sizes[~succeeded].sum())

    trail = Trail()
    trail.add(spec.start, EventKind.CREATE_TRANSFORM_JOB,
              f"{instances} x {sc.fleet.target}, first mini-batch after {start_up:g} s",
              count=instances, value=start_up)  # fmt: skip
    state = "Failed" if failed_records else "Completed"
    trail.add(end, EventKind.TRANSFORM_JOB_COMPLETE, f"{state}: {failed_records} records failed",
              state=state, count=failed_records)  # fmt: skip
    instance_hours = instances * (end - spec.start) / 3600.0
    processing = end - ready
    summary = {
        "scenario": sc.name, "strategy": "none", "seed": seed, "hosting": "batch_transform",
        "requests": total, "completed": total - failed_records,
        "errors": failed_records - int(sizes[timed_out].sum()), "rejected": 0,
        "timed_out": int(sizes[timed_out].sum()), "in_flight": 0,
        "invocations": int(tries.sum()), "retries": int((tries - 1).sum()),
        "mini_batches": int(sizes.size), "records_per_batch": spec.records_per_batch,
        "latency_ms": latency_ms(attempt_time),
        "availability": (total - failed_records) / total,
        "start_up_s": start_up, "processing_s": processing,
        "completion_time_s": end - spec.start, "job_end_s": end,
        "throughput_rps": total / processing if processing > 0 else None,
        "instance_hours": instance_hours,
        "cost_usd": instance_hours * variant.price_per_hour,
        "idle_instances": int((busy_until == ready).sum()),
        "outcome": "completed" if not failed_records else "failed",
        **posture_summary(sc.security, 0, end - spec.start),  # no runtime API calls
    }  # fmt: skip
    summary["cost_usd"] += summary["security_cost_usd"] or 0.0
    metrics = _metrics(sc, ends, sizes, succeeded, instances, spec.start, end)
    return Result(summary=summary, metrics=metrics, events=trail.frame())


def _batches_per_file(per_file: np.ndarray, spec: BatchTransform) -> np.ndarray:
    return -(-per_file // spec.records_per_batch)


def _metrics(sc, ends, sizes, succeeded, instances, start, end) -> pd.DataFrame:
    """Records done and failed per monitoring period, until the job ends."""
    period = sc.monitoring.period
    periods = max(1, int(np.ceil(end / period - 1e-9)))
    index = np.minimum((ends // period).astype(np.int64), periods - 1)
    done = np.bincount(index, weights=np.where(succeeded, sizes, 0), minlength=periods)
    lost = np.bincount(index, weights=np.where(succeeded, 0, sizes), minlength=periods)
    t = np.arange(periods) * period
    running = (t + period > start) & (t < end)
    return pd.DataFrame({
        "time_s": t, "period": np.arange(periods), "version": sc.fleet.version,
        "records_completed": done.astype(np.int64), "records_failed": lost.astype(np.int64),
        "instances": np.where(running, instances, 0),
    })  # fmt: skip
