"""User impact and cost over the horizon (simulator/process/impact.py, steady.py and
releases.window_impact): each of the three kinds of time accounted against a hand
count or against the engine's own figures for the same periods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulator as ds
from simulator.process.impact import account, overlap
from simulator.process.releases import window_impact
from simulator.process.steady import Steady, steady_run, steady_scenario
from simulator.scenario.model import load_scenario
from tests import builders

DAY = 86400.0


def test_overlap_is_the_time_inside_disjoint_windows():
    starts, ends = np.array([10.0, 50.0]), np.array([20.0, 60.0])
    a, b = np.array([0.0, 15.0, 25.0, 55.0]), np.array([5.0, 55.0, 30.0, 100.0])
    np.testing.assert_allclose(overlap(a, b, starts, ends), [0.0, 10.0, 0.0, 5.0])


def releases_frame(**columns) -> pd.DataFrame:
    base = {"began": [1000.0, 5000.0], "ended": [1600.0, 5600.0], "incident": [True, False],
            "restored": [4000.0, np.nan], "error_rate": [0.1, 0.0],
            "incident_slo_share": [np.nan, np.nan], "cost_usd": [1.0, 2.0],
            "failed_requests": [7.0, 3.0], "slo_violation_minutes": [2.0, 0.0]}  # fmt: skip
    return pd.DataFrame(base | columns)


def test_the_horizon_is_release_windows_incidents_and_quiet_time():
    """10 requests/s, an SLO of 99.9%: release windows 600 s each (7 and 3 failures, 2
    SLO minutes by the engine), one incident of 2,400 s at 10% errors (2,400 expected
    failures; 10% > 0.1% allowed, so all its 40 minutes break the SLO), and 10,000 -
    1,200 - 2,400 = 6,400 s of quiet time at the steady rates."""
    sc = load_scenario(builders.release("big_bang", rate=10))
    steady = Steady(cost_per_s=0.001, failed_per_s=0.01, slo_share=0.5, seconds=3600.0)
    rel = releases_frame()
    got = account(sc, 10_000.0, rel, steady)
    np.testing.assert_allclose(rel["incident_failed_requests"], [2400.0, 0.0])
    np.testing.assert_allclose(rel["incident_slo_minutes"], [40.0, 0.0])
    assert got["incident_failed_requests"] == pytest.approx(2400.0)
    assert got["failed_requests"] == pytest.approx(0.01 * 6400 + 10 + 2400)
    assert got["slo_violation_minutes"] == pytest.approx(0.5 * 6400 / 60 + 2 + 40)
    assert got["error_budget_burned"] == pytest.approx((64 + 10 + 2400) / (0.001 * 10 * 10_000))
    assert got["serving_cost_usd"] == pytest.approx(10.0)
    assert got["release_overhead_usd"] == pytest.approx(3.0 - 0.001 * 1200)


def test_an_incident_inside_a_release_window_is_not_counted_twice_and_the_engine_share_wins():
    """The incident runs into the second release's window (5,000-5,600 s): its minutes
    there are the window's; the engine saw the promoted version break the SLO a quarter
    of the time, so a quarter of its other minutes count."""
    sc = load_scenario(builders.release("big_bang", rate=10))
    steady = Steady(0.0, 0.0, 0.0, 3600.0)
    rel = releases_frame(restored=[5300.0, np.nan], incident_slo_share=[0.25, np.nan])
    account(sc, 10_000.0, rel, steady)
    outside = (5300.0 - 1600.0) - 300.0
    np.testing.assert_allclose(rel["incident_slo_minutes"], [0.25 * outside / 60, 0.0])


def test_window_impact_over_a_whole_run_is_the_engines_own_slo_count():
    """A defective big bang (5% errors > the 0.1% the SLO allows) from 300 s: the
    periods after the warm-up hold exactly the engine's failed requests and its
    slo_violation_minutes (seed 2)."""
    sc = load_scenario(builders.release({"type": "big_bang", "start": 300},
                                        {"error_rate": 0.05}, rate=10))  # fmt: skip
    result = ds.simulate(sc, seed=2)
    failed, minutes = window_impact(sc, result.metrics, sc.warmup, sc.duration)
    assert minutes == result.summary["slo_violation_minutes"] > 0
    after = result.metrics[result.metrics["time_s"] >= sc.warmup]
    assert failed == after["Invocation5XXErrors"].sum() > 0


def test_the_steady_run_bills_the_autoscaled_fleet_of_a_whole_day():
    """Diurnal traffic (10 to 90 requests/s) on a fleet scaling between 1 and 6
    instances: the steady run covers one day after the warm-up, its cost is what the
    engine billed then, and it lies strictly between the smallest and largest fleet's."""
    data = builders.release({"type": "big_bang"}, rate=50, duration=3600,
                            traffic={"pattern": "diurnal", "rate": 50, "amplitude": 0.8,
                                     "period": DAY, "peak_at": 14 * 3600},
                            autoscaling={"metric": "invocations_per_instance",
                                         "target": 600, "min": 1, "max": 6})  # fmt: skip
    sc = load_scenario(data)
    steady = steady_run(sc, 1)
    one_day = steady_scenario(sc)
    assert one_day.duration - one_day.warmup == DAY and one_day.release is None
    price = 0.204 / 3600  # ml.c5.xlarge per instance-second
    assert price * 1 < steady.cost_per_s < price * 6
    billed = ds.simulate(one_day, seed=1).metrics
    after = billed[billed["time_s"] >= one_day.warmup]["cost_usd"].sum()
    assert steady.cost_per_s == pytest.approx(after / DAY)


def test_the_releases_table_says_what_monitoring_still_holds():
    """One-minute metrics read at 1 minute for 15 days, at 5 minutes to 63 days, at an
    hour to 455; CloudTrail's event history keeps 90 days unless a trail goes to S3."""
    from simulator.process.simulation import evidence
    from simulator.scenario.process import ProcessSpec

    def spec(**review):
        return ProcessSpec.model_validate({
            "horizon": 30 * DAY, "changes": {"rate": 1}, "review": review,
            "pipeline": {"stages": [{"name": "b", "duration": {"distribution": "deterministic",
                                                               "value": 60}}]}})  # fmt: skip

    rel = pd.DataFrame({"began": [0.0, 20 * DAY, 29.99 * DAY]})
    evidence(rel, spec(), 60.0)
    np.testing.assert_array_equal(rel["metrics_at_horizon_s"], [300.0, 60.0, 60.0])
    np.testing.assert_array_equal(rel["metrics_at_review_s"], [300.0] * 3)
    assert rel["audit_at_review"].all()
    evidence(rel, spec(after=100 * DAY), 15.0)  # a 15 s metric is stored at 20 s
    np.testing.assert_array_equal(rel["metrics_at_review_s"], [3600.0] * 3)
    assert not rel["audit_at_review"].any()
    evidence(rel, spec(after=100 * DAY, trail_to_s3=True), 60.0)
    assert rel["audit_at_review"].all()
    evidence(rel, spec(after=0.5 * 3600), 15.0)
    np.testing.assert_array_equal(rel["metrics_at_review_s"], [20.0] * 3)
