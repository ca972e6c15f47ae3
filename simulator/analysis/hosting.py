"""One workload, four ways to host it: the question behind every nightly batch on an endpoint.

A scenario describes a window of work (its traffic: the nightly forecast's requests)
served by a real-time endpoint. `compare_hosting` plays the same work as:

- `realtime, always on`: the endpoint as the scenario has it, its `fleet.instances`
  billed for the whole day (autoscaling within the window is not counted);
- `realtime, on a schedule`: created before the window (CreateEndpoint's catalog time
  ahead of it) and deleted once the window ends, billed only while it exists;
- `async`: an asynchronous endpoint scaled to zero between windows, woken by its first
  request (HasBacklogWithoutCapacity), scaled on its backlog, and played on until it is
  back at zero;
- `batch_transform`: a transform job over as many records as the window's requests, in
  as many files as the fleet has instances, started when the window opens.

Cost is per day (`day`, 24 h); completion is the time from the window's start until the
last prediction is back. One seed: the options share it, so their arrivals are the same.
The asynchronous endpoint and the job play the scenario without its target tracking,
alarms and failures, which their players do not model.
"""

from __future__ import annotations

import pandas as pd

from simulator import catalog
from simulator.engine.fleet import build_variant
from simulator.errors import UserError
from simulator.run import simulate
from simulator.scenario import Scenario, load_scenario

DAY = 86400.0
"""The cost horizon, s: what an always-on endpoint is billed for each window."""

ASYNC_TAIL = 3600.0
"""How long the asynchronous endpoint is played past the window (`drain`): its scale-in
needs 15 quiet minutes after a 10-minute cooldown, so an hour brings it back to zero."""


def compare_hosting(source: Scenario | dict | str, seed: int = 0, *, day: float = DAY,
                    force: bool = False) -> pd.DataFrame:  # fmt: skip
    """A row per hosting option: cost per day, completion time, latency, instance-hours."""
    sc = load_scenario(source)
    if sc.platform.name != "sagemaker":
        raise UserError(f"the hosting comparison is SageMaker's (Batch Transform, asynchronous "
                        f"inference); platform.name is {sc.platform.name}")  # fmt: skip
    if sc.hosting.kind != "realtime" or sc.release is not None or sc.strategy.type != "none":
        raise UserError("the hosting comparison needs a real-time scenario without a release: "
                         "its traffic is the workload the four options serve")  # fmt: skip
    window = sc.duration
    if day < window:
        raise UserError(f"the cost horizon ({day / 3600:g} h) must be at least the scenario's "
                        f"duration ({window / 3600:g} h)")  # fmt: skip
    realtime = simulate(sc, seed, force=force).summary
    base = sc.to_dict()
    create = float(catalog.target_info(sc.fleet.target)["provisioning"]["create_endpoint_s"])
    price = build_variant(sc.fleet.version, sc.fleet, is_release=False).price_per_hour
    last = window  # a real-time endpoint answers as requests come: the last by the window's end
    rows = [
        _row("realtime, always on", "realtime", price * sc.fleet.instances * day / 3600.0,
             last, realtime, sc.fleet.instances * day / 3600.0),
        _row("realtime, on a schedule", "realtime",
             price * sc.fleet.instances * (create + window) / 3600.0, last, realtime,
             sc.fleet.instances * (create + window) / 3600.0),
    ]  # fmt: skip
    queued = simulate(_as_async(base, window), seed, force=force).summary
    rows.append(_row("async, scaled to zero", "async", queued["cost_usd"],
                     queued["last_completion_s"], queued, queued["instance_hours"]))  # fmt: skip
    job = simulate(_as_batch(base, realtime["requests"], sc.fleet.instances), seed,
                   force=force).summary  # fmt: skip
    rows.append(_row("batch transform", "batch_transform", job["cost_usd"],
                     job["completion_time_s"], job, job["instance_hours"]))  # fmt: skip
    return pd.DataFrame(rows).set_index("option")


def _row(option, kind, cost, completion, summary, hours) -> dict:
    # a transform job's records are answered together, when it ends: no request latency
    latency = {} if kind == "batch_transform" else summary["latency_ms"]
    return {"option": option, "hosting": kind, "cost_per_day_usd": cost,
            "completion_s": completion, "requests": summary["requests"],
            "failed": summary["errors"], "latency_p99_ms": latency.get("p99"),
            "instance_hours": hours}  # fmt: skip


def _offline(base: dict) -> dict:
    """The scenario without what a job or an asynchronous endpoint does not play.

    Target tracking (the endpoint scales on its backlog instead), alarms and failures.
    """
    data = {k: v for k, v in base.items() if k not in ("autoscaling", "failures")}
    data["monitoring"] = {**base.get("monitoring", {}), "alarms": []}
    return data


def _as_async(base: dict, window: float) -> Scenario:
    data = {**_offline(base), "warmup": 0,
            "hosting": {"kind": "async", "initial_instances": 0, "drain": ASYNC_TAIL,
                        "max_instances": max(1, base["fleet"].get("instances", 1))}}  # fmt: skip
    return load_scenario(data)


def _as_batch(base: dict, records: int, instances: int) -> Scenario:
    data = {**_offline(base), "hosting": {"kind": "batch_transform", "records": max(1, records),
                                "files": instances}}  # fmt: skip
    return load_scenario(data)
