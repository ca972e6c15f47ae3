"""CI (simulator/process/pipeline.py) against queueing theory and the laws of its draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.process.pipeline import run_ci
from simulator.scenario.process import ProcessSpec
from simulator.validation import theory

DAY = 86400.0
K = 5.0
ALWAYS = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": ["00:00", "24:00"]}


def fixed(seconds):
    return {"distribution": "deterministic", "value": seconds}


def process(stages, *, rate, horizon, runners=1, calendar=None, **changes):
    return ProcessSpec.model_validate({
        "horizon": horizon, "calendar": calendar or ALWAYS,
        "changes": {"rate": rate, "defect_per_100_lines": 0.0} | changes,
        "pipeline": {"runners": runners, "stages": stages, "fix_delay": 3600},
    })  # fmt: skip


def test_one_runner_and_one_fixed_stage_queue_as_m_d_1():
    """Merges around the clock are Poisson: one runner and a 30-minute stage make an
    M/D/1 queue at rho = 0.6 (28.8 merges a day). Seed 3, 3 years (~31,500 changes):
    the mean wait within 10% of Pollaczek-Khinchine's 22.5 min. The waits' correlation
    time at rho 0.6 is about 20 services, so the run holds ~1,500 independent stretches
    and the mean's standard error is ~3%: 10% is over three of them."""
    spec = process([{"name": "build", "duration": fixed(1800)}], rate=28.8, horizon=3 * 365 * DAY)
    changes, ci = run_ci(spec, 3)
    done = ~np.isnan(ci.passed_at)
    want = theory.md1_mean_wait(28.8 / DAY, 1800.0)
    assert want == pytest.approx(1350.0)
    assert ci.waited[done].mean() == pytest.approx(want, rel=0.10)
    np.testing.assert_allclose(ci.passed_at[done] - changes.merged_at[done],
                               ci.waited[done] + 1800.0, rtol=1e-9)  # fmt: skip


def test_flaky_runs_are_retried_geometrically():
    """Seed 4, ~2,900 changes, two stages flaky 20% and 50%: runs per change average
    1 / 0.8 + 1 / 0.5 = 3.25 (each stage a geometric number of tries), within K
    standard errors (variance of the sum: 0.2 / 0.8^2 + 0.5 / 0.5^2 = 2.31)."""
    spec = process([{"name": "unit", "duration": fixed(60), "flaky": 0.2},
                    {"name": "e2e", "duration": fixed(60), "flaky": 0.5}],
                   rate=8, horizon=365 * DAY, runners=4)  # fmt: skip
    _, ci = run_ci(spec, 4)
    done = ~np.isnan(ci.passed_at)
    n = done.sum()
    assert n > 2500
    assert abs(ci.runs[done].mean() - 3.25) <= K * math.sqrt(2.3125 / n)
    np.testing.assert_array_equal(ci.runs[done] - ci.retries[done], 2)


def test_a_defect_escapes_every_stage_with_the_product_of_their_misses():
    """Seed 6, every change defective (300 lines at q = 1), stages catching 50% and 40%:
    a change escapes with 0.5 x 0.6 = 0.3 (binomial, K standard errors over ~2,900);
    a caught change is fixed, clean, and passes the next time."""
    spec = process([{"name": "unit", "duration": fixed(60), "catches": 0.5},
                    {"name": "e2e", "duration": fixed(60), "catches": 0.4}],
                   rate=8, horizon=365 * DAY, runners=4,
                   size=fixed(300), defect_per_100_lines=1.0)  # fmt: skip
    changes, ci = run_ci(spec, 6)
    assert changes.defective.all()
    done = ~np.isnan(ci.passed_at)
    n = done.sum()
    share = ci.escaped[done].mean()
    assert abs(share - 0.3) <= K * math.sqrt(0.21 / n)
    np.testing.assert_array_equal(ci.escaped[done], ci.caught[done] == 0)


def test_a_caught_change_comes_back_after_the_fix_delay_in_working_time():
    """Working days 09:00-17:00, a 1-hour stage that always catches the defect, a 4-hour
    fix: a change merged at 16:00 on Monday is caught at 17:00, fixed after 4 working
    hours (Tuesday 13:00), tested again and passes at 14:00."""
    spec = ProcessSpec.model_validate({
        "horizon": "7d", "changes": {"rate": 1, "size": fixed(100), "defect_per_100_lines": 1.0},
        "pipeline": {"runners": 1, "fix_delay": "4h",
                     "stages": [{"name": "b", "duration": fixed(3600), "catches": 1.0}]},
    })  # fmt: skip
    from simulator.process import pipeline

    calendar = pipeline.WorkingCalendar(spec.calendar, spec.horizon)
    p = pipeline.Pipeline.__new__(pipeline.Pipeline)
    p.calendar, p.spec = calendar, spec.pipeline
    assert p._fixed_at(17 * 3600.0) == DAY + 13 * 3600.0


def test_every_change_is_accounted_for():
    """Conservation, at a horizon in the middle of a busy working day (one runner at 70%
    of its working hours): each merged change has passed (and only those have a pass
    time, after their merge), or is queued, on the runner (at most one) or being fixed."""
    from simulator.process.pipeline import FIXING, PASSED, RUNNING, WAITING

    spec = process([{"name": "build", "duration": {"distribution": "exponential", "mean": 900},
                     "catches": 0.5, "flaky": 0.1}],
                   rate=22, horizon=29.5 * DAY, runners=1,
                   calendar={"days": ["mon", "tue", "wed", "thu", "fri"]},
                   defect_per_100_lines=0.3)  # fmt: skip
    changes, ci = run_ci(spec, 7)
    counts = np.bincount(ci.status, minlength=4)
    assert counts.sum() == len(changes) > 300
    assert counts[RUNNING] <= 1 and counts[WAITING] + counts[FIXING] > 0
    np.testing.assert_array_equal(ci.status == PASSED, ~np.isnan(ci.passed_at))
    done = ci.status == PASSED
    assert (ci.passed_at[done] >= changes.merged_at[done]).all()


def test_the_same_seed_gives_the_same_history():
    spec = process([{"name": "b", "duration": {"distribution": "exponential", "mean": 600},
                     "flaky": 0.1}], rate=10, horizon=14 * DAY)  # fmt: skip
    a, b = run_ci(spec, 9)[1], run_ci(spec, 9)[1]
    np.testing.assert_array_equal(a.passed_at, b.passed_at)
    np.testing.assert_array_equal(a.runs, b.runs)
