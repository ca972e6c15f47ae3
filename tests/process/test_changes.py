"""The change stream (simulator/process/changes.py) against Poisson and binomial laws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.process.calendar import WorkingCalendar
from simulator.process.changes import defect_probability, draw_changes
from simulator.process.pipeline import STREAMS, streams
from simulator.scenario.process import CalendarSpec, ChangesSpec

DAY = 86400.0
K = 5.0  # standard errors allowed (two-sided false alarm ~6e-7)


def changes(seed, horizon=14 * DAY, **fields):
    spec = ChangesSpec.model_validate({"rate": 6} | fields)
    cal = WorkingCalendar(CalendarSpec(), horizon)
    return draw_changes(spec, cal, streams(seed, STREAMS)), cal


def test_merges_come_only_in_working_hours_in_order():
    got, cal = changes(1)
    assert len(got) > 0 and cal.is_working(got.merged_at).all()
    assert (np.diff(got.merged_at) >= 0).all()


def test_the_count_is_poisson_with_the_working_days_mean():
    """Seeds 0-399, 10 working days at 6 a day: mean 60 per run within K standard errors
    (SE = sqrt(60 / 400) = 0.39), and the variance equals the mean (dispersion within
    K standard errors of a Poisson sample variance: sqrt(2 * 60^2 / 399 + 60 / 400))."""
    counts = np.array([len(changes(seed)[0]) for seed in range(400)])
    assert abs(counts.mean() - 60) <= K * math.sqrt(60 / 400)
    assert abs(counts.var(ddof=1) - 60) <= K * math.sqrt(2 * 60**2 / 399 + 60 / 400)


def test_a_change_of_s_lines_is_defective_with_1_minus_1_minus_q_to_the_s_over_100():
    """Seed 5, every change 300 lines, q = 0.1 per 100 lines: defect share 1 - 0.9^3 =
    0.271 within K binomial standard errors, over ~2,000 changes (a year of merges)."""
    got, _ = changes(5, horizon=365 * DAY, rate=8,
                     size={"distribution": "deterministic", "value": 300},
                     defect_per_100_lines=0.1)  # fmt: skip
    p, n = 1 - 0.9**3, len(got)
    assert defect_probability(300, 0.1) == pytest.approx(p)
    assert n > 1500 and abs(got.defective.mean() - p) <= K * math.sqrt(p * (1 - p) / n)


def test_bigger_changes_are_riskier_and_a_batch_fails_as_its_parts():
    """The law's two properties: monotone in size, and a batch of n changes of s lines is
    as risky as one change of n x s lines: 1 - (1 - p(s))^n."""
    p = defect_probability([10, 50, 100, 400], 0.05)
    assert (np.diff(p) > 0).all()
    assert defect_probability(4 * 50, 0.05) == pytest.approx(1 - (1 - p[1]) ** 4)


def test_each_defect_draws_its_error_rate_from_the_beta_asked_for():
    """Seed 8, every change defective, error rates Beta with mean 0.05 and sd 0.03: over
    ~2,000 defects the mean within K standard errors (0.03 / sqrt(n)) and the sample sd
    within 10% (its standard error is ~2.6% at this n for this mildly skewed Beta); clean
    changes fail nothing."""
    got, _ = changes(8, horizon=365 * DAY, rate=8,
                     size={"distribution": "deterministic", "value": 100},
                     defect_per_100_lines=1.0,
                     severity={"error_rate": {"distribution": "beta", "mean": 0.05,
                                              "sd": 0.03}})  # fmt: skip
    rates = got.error_rate[got.defective]
    n = len(rates)
    assert n > 1500 and ((rates > 0) & (rates < 1)).all()
    assert abs(rates.mean() - 0.05) <= K * 0.03 / math.sqrt(n)
    assert rates.std(ddof=1) == pytest.approx(0.03, rel=0.10)
    clean, _ = changes(8, defect_per_100_lines=0.0)
    assert (clean.error_rate == 0).all()


def test_a_beta_that_cannot_exist_is_refused():
    with pytest.raises(ValueError, match="standard deviation below"):
        ChangesSpec.model_validate({"rate": 1, "severity": {
            "error_rate": {"distribution": "beta", "mean": 0.5, "sd": 0.6}}})  # fmt: skip
    with pytest.raises(ValueError, match="between 0 and 1"):
        ChangesSpec.model_validate({"rate": 1, "severity": {"error_rate": 1.5}})


def test_each_defect_draws_its_latency_factor_and_healthy_changes_have_none():
    """A lognormal factor of median 2 (sigma 0.5): healthy changes keep 1; defects'
    factors have median 2 (seed 4, ~1,000 defects: the sample median's SE is
    1.2533 x 0.5 x 2 / sqrt(n) ~ 0.04, K of them) and none is below 1 (draws under 1
    count as 1, about 8% here: P(Z < -ln 2 / 0.5))."""
    got, _ = changes(4, horizon=400 * DAY, rate=12, defect_per_100_lines=0.8,
                     severity={"latency_factor": {"distribution": "lognormal", "p50": 2,
                                                  "sigma": 0.5}})  # fmt: skip
    factors = got.latency_factor[got.defective]
    assert (got.latency_factor[~got.defective] == 1).all()
    n = len(factors)
    assert n > 800 and (factors >= 1).all()
    assert abs(np.median(factors) - 2) <= K * 1.2533 * 0.5 * 2 / math.sqrt(n)
    floor = np.mean(factors == 1)
    p = 0.5 * math.erfc(math.log(2) / 0.5 / math.sqrt(2))
    assert abs(floor - p) <= K * math.sqrt(p * (1 - p) / n)


def test_a_fixed_latency_factor_leaves_the_error_rates_as_they_were():
    """The severity stream draws error rates first, so adding a drawn factor after them
    does not move any error rate (seed 5)."""
    beta = {"distribution": "beta", "mean": 0.05, "sd": 0.02}
    fixed, _ = changes(5, defect_per_100_lines=0.2, severity={"error_rate": beta})
    drawn, _ = changes(5, defect_per_100_lines=0.2, severity={
        "error_rate": beta, "latency_factor": {"distribution": "exponential", "mean": 2}})
    np.testing.assert_array_equal(fixed.error_rate, drawn.error_rate)
    assert (drawn.latency_factor[drawn.defective] != 1.5).all()


def test_defects_in_one_release_compound():
    from simulator.process.releases import compound

    got = compound([0.1, 0.2], [1.5, 2.0])
    assert got == {"error_rate": pytest.approx(1 - 0.9 * 0.8), "latency_factor": 3.0}
    assert compound([], []) == {"error_rate": 0.0, "latency_factor": 1.0}
