"""Replications of a release process (simulator/analysis/processes.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import simulator as ds
from simulator.analysis.processes import process_intervals, replicate_process
from simulator.analysis.replication import replication_seeds
from simulator.process.simulation import run_process

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def preset(name: str, **process) -> dict:
    """A process preset over three weeks (CI's time budget), with process fields changed."""
    data = ds.load_scenario(SCENARIOS / f"{name}.yaml").to_dict()
    data["process"] |= {"horizon": 21 * 86400.0} | process
    return data


def test_replication_k_is_the_run_of_the_k_th_seed():
    data = preset("process-monthly-train-big-bang",
                  delivery={"mode": "train", "every": 7 * 86400.0, "first": 58 * 3600.0})
    frame = replicate_process(data, 3, seed=4, workers=1)
    for k, seed in enumerate(replication_seeds(4, 3)):
        want = run_process(ds.load_scenario(data), seed).summary
        got = frame.iloc[k].drop("replication").to_dict()
        assert got == pytest.approx({key: math.nan if v is None else v for key, v in want.items()},
                                    nan_ok=True)  # fmt: skip


def test_continuous_deployment_beats_monthly_trains_with_intervals_apart():
    """DORA's finding on the presets, with 95% intervals that do not overlap (seed 0):
    continuous deployment's lead time and change failure rate are both below the monthly
    train's. A train run costs little but holds only two releases, so its change failure
    rate is 0, 1/2 or 1 and needs 16 replications for a tight interval; continuous
    deployment's ~250 releases a run need 4."""
    fast = process_intervals(replicate_process(
        SCENARIOS / "process-continuous-deployment-canary.yaml", 4, seed=0))  # fmt: skip
    slow = process_intervals(replicate_process(
        SCENARIOS / "process-monthly-train-big-bang.yaml", 16, seed=0))  # fmt: skip
    for key in ("lead_time_median_s", "change_failure_rate"):
        assert fast[f"{key}_ci_high"] < slow[f"{key}_ci_low"], key
