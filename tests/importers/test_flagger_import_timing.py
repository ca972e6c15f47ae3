"""Flagger Canaries as its documentation writes them: imported, then played on its ticks.

The files in realworld/flagger/ follow Flagger's documentation; each has its expectation in
expected.yaml beside it. Played on the default base (20 req/s, 4 instances whose start-up
is drawn from the catalog), every weight change must land on the scheduler's ticks, counted
from the tick that saw the new revision (the release's start): fluxcd/flagger
pkg/controller/scheduler.go advances one weight per tick after a passing check, starts the
promotion on the tick that passes the last weight, routes all traffic on the next one and
scales the canary's pods down on the one after.
"""

from __future__ import annotations

import copy

import pytest

import simulator as ds
from simulator.importers import import_config
from tests.importers.documented import every_file_has_its_case, folder, imports_as_expected
from tests.release.strategies.audit import at, kind, shifts, terminations

HERE, CASES = folder("flagger")
PLAYED = sorted(name for name, case in CASES.items() if "weights" in case)


def played(name: str, defect: dict | None = None):
    data = import_config(HERE / name)
    if defect:
        data["release"]["defect"] = defect
    sc = ds.load_scenario(copy.deepcopy(data))
    return sc, ds.simulate(sc, seed=3)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_documented_canary_imports_as_expected(name):
    imported = imports_as_expected(HERE / name, CASES[name])
    if imported is not None:
        _, sc = imported
        assert sc.strategy.weights() == CASES[name]["weights"]
        assert sc.strategy.gate.min_requests == 0  # Flagger has no minimum of requests


def test_every_file_in_the_folder_has_its_expectation():
    every_file_has_its_case(HERE, CASES)


@pytest.mark.parametrize("name", PLAYED)
def test_a_healthy_canary_walks_its_weights_on_the_ticks_and_promotes(name):
    """Even the 1% step (about 12 requests a check at 20 req/s) is judged, never paused."""
    sc, res = played(name)
    start, interval = sc.warmup, sc.strategy.gate.interval
    moves = shifts(res)
    weights = [round(w["v2"] * 100) for _, w in moves]
    assert weights == [*CASES[name]["weights"], 100]
    ticks = [(t - start) / interval for t, _ in moves]
    assert all(k >= 1 and k == pytest.approx(round(k)) for k in ticks)
    # one weight a tick; the full shift two ticks after the last weight (Promoting)
    steps = [round(b - a) for a, b in zip(ticks, ticks[1:], strict=False)]
    assert steps == [1] * (len(weights) - 2) + [2]
    assert at(res, "AnalysisPaused") == [] and at(res, "AnalysisFailed") == []
    # the old fleet goes on the tick after the full shift (Finalising)
    assert terminations(res) == [(moves[-1][0] + interval, sc.fleet.instances, "v1")]
    assert res.summary["outcome"] == "promoted"


def test_a_defective_canary_holds_its_first_weight_and_rolls_back_after_threshold():
    """error_rate 0.2 at 20% of 20 req/s: ~240 requests a check, P(a check passes the
    1% bound) < 1e-20. Five failed checks on five ticks hold 20%; the sixth tick rolls
    back (FailedChecks >= threshold is tested before the analysis)."""
    sc, res = played("max-weight-not-a-multiple.yaml", {"error_rate": 0.2})
    interval = sc.strategy.gate.interval
    first = shifts(res)[0][0]
    failed = at(res, "AnalysisFailed")
    assert failed == [first + k * interval for k in range(1, 6)]
    assert at(res, "RollbackTriggered") == [first + 6 * interval]
    assert "failedChecks 5/5" in kind(res, "RollbackTriggered")["detail"].iloc[0]
    assert [round(w["v2"] * 100) for _, w in shifts(res)] == [20, 0]
    assert res.summary["outcome"] == "rolled_back"
