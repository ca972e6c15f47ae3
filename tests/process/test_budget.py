"""The process budget (simulator/process/budget.py): a process too big is refused at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import simulator as ds
from simulator.engine.budget import BudgetError
from simulator.process import budget
from simulator.process.simulation import run_process

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
PRESET = SCENARIOS / "process-continuous-deployment-canary.yaml"


def preset(**process) -> ds.Scenario:
    data = ds.load_scenario(PRESET).to_dict()
    data["process"] |= process
    return ds.load_scenario(data)


def test_the_presets_fit():
    for path in PRESET.parent.glob("process-*.yaml"):
        sc = ds.load_scenario(path)
        budget.check_process(sc, sc.process)


@pytest.mark.parametrize(("process", "words"), [
    ({"changes": {"rate": 5000}, "horizon": 365 * 86400.0},
     ["changes merged", "over the budget of 100,000", "process.changes.rate"]),
    ({"horizon": 10 * 365 * 86400.0},
     ["releases (one per change", "over the budget of 5,000", "process.horizon", "--force"]),
])  # fmt: skip
def test_a_process_too_big_is_refused_before_it_starts(process, words):
    sc = preset(**process)
    started = time.perf_counter()
    with pytest.raises(BudgetError) as refused:
        run_process(sc, 1)
    assert time.perf_counter() - started < 5  # refused, not run
    for word in words:
        assert word in str(refused.value)


def test_releases_that_serve_too_many_requests_in_all_are_refused():
    """Daily trains for a year (365 releases) of an hour at 5,000 requests/s (about 10M
    requests each, within one run's budget): 3.6e9 requests in all."""
    data = preset(horizon=365 * 86400.0, delivery={"mode": "train", "every": 86400.0}).to_dict()
    data["traffic"]["rate"] = 5000
    with pytest.raises(BudgetError) as refused:
        run_process(ds.load_scenario(data), 1)
    assert "365 releases of" in str(refused.value) and "over the budget of 2e+09" in str(
        refused.value)


def test_one_release_over_the_run_budget_is_refused_too():
    data = ds.load_scenario(PRESET).to_dict()
    data["traffic"]["rate"] = 500_000  # 1.8e9 requests in the hour of one release
    with pytest.raises(BudgetError, match="over the run budget"):
        run_process(ds.load_scenario(data), 1)
