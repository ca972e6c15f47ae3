"""The three process presets: one team and change stream, three ways of releasing.

DORA's finding, reproduced on one seed of each over their eight weeks: the smaller and
more frequent the releases, the shorter the lead time and the lower the change failure
rate (continuous deployment < continuous delivery with approvals < monthly trains).
Intervals over replications come with the experiment API (issue 12, still open).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import simulator as ds
from simulator.process.simulation import run_process

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
MODES = ("process-continuous-deployment-canary", "process-continuous-delivery-blue-green",
         "process-monthly-train-big-bang")  # fmt: skip


@functools.cache
def played(name: str):
    return run_process(ds.load_scenario(SCENARIOS / f"{name}.yaml"), seed=1)


def test_the_presets_share_the_team_and_differ_only_in_how_they_release():
    scenarios = [ds.load_scenario(SCENARIOS / f"{name}.yaml").to_dict() for name in MODES]
    for data in scenarios:
        for key in ("name", "description", "strategy"):
            data.pop(key)
        data["process"].pop("delivery")
    assert scenarios[0] == scenarios[1] == scenarios[2]


def test_smaller_releases_are_faster_and_safer():
    fast, middle, slow = (played(name).summary for name in MODES)
    assert fast["lead_time_median_s"] < middle["lead_time_median_s"] < slow["lead_time_median_s"]
    assert fast["change_failure_rate"] < slow["change_failure_rate"]
    assert middle["change_failure_rate"] < slow["change_failure_rate"]
    assert (fast["deployment_frequency_per_day"] > middle["deployment_frequency_per_day"]
            > slow["deployment_frequency_per_day"])  # fmt: skip
    assert fast["lead_time_median_s"] < 86400  # DORA's elite: under a day


def test_the_same_change_stream_reaches_every_mode():
    """Common random numbers: the merges, sizes and defects are drawn from streams of
    their own, so each mode sees the very same changes."""
    first = played(MODES[0]).changes[["merged_at", "size", "defective"]]
    for name in MODES[1:]:
        assert played(name).changes[["merged_at", "size", "defective"]].equals(first)


def test_the_cli_prints_the_four_keys_as_json():
    path = SCENARIOS / f"{MODES[2]}.yaml"
    done = subprocess.run([sys.executable, "-c", "from simulator.cli import app; app()",
                           "process", str(path), "--seed", "1", "--json"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    summary = json.loads(done.stdout)
    assert summary == pytest.approx(played(MODES[2]).summary)


def test_the_cli_table_bands_each_key_as_dora_2023_does():
    """The table's band column is dora.band of the figure shown, for each of the four keys."""
    from simulator.process.dora import band

    path = SCENARIOS / f"{MODES[2]}.yaml"
    done = subprocess.run([sys.executable, "-c", "from simulator.cli import app; app()",
                           "process", str(path), "--seed", "1"], capture_output=True,
                          text=True, check=True, env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    summary = played(MODES[2]).summary
    rows = {"deployment frequency": "deployment_frequency_per_day",
            "lead time for changes, median": "lead_time_median_s",
            "change failure rate": "change_failure_rate",
            "failed deployment recovery time": "recovery_median_s"}  # fmt: skip
    shown = 0
    for line in done.stdout.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        for label, key in rows.items():
            if cells[0].startswith(label):
                assert cells[-1] == (band(key, summary[key]) or ""), line
                shown += 1
    assert shown == 4
