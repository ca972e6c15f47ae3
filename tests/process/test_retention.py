"""Monitoring retention (simulator/process/retention.py) at AWS's edges.

The figures are CloudWatch's and CloudTrail's
(docs/reference/monitoring-retention.md#cloudwatch-metric-retention): each edge is tested
a second before and a second after, for sub-minute, 1-minute and 5-minute metrics.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.process.retention import (
    EVENT_HISTORY_S,
    HOUR_KEPT_S,
    TIERS,
    cloudtrail_keeps,
    finest_resolution,
    finest_resolutions,
)

H, DAY, EPS = 3600.0, 86400.0, 1.0


def test_the_tiers_are_aws_figures():
    assert TIERS == ((1.0, 3 * H), (60.0, 15 * DAY), (300.0, 63 * DAY), (3600.0, 455 * DAY))
    assert EVENT_HISTORY_S == 90 * DAY
    assert HOUR_KEPT_S == 455 * DAY


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # before/after 3 h, before/after 15 d, before/after 63 d, before/after 455 d
        (1.0, [1.0, 60.0, 60.0, 300.0, 300.0, 3600.0, 3600.0, None]),
        (10.0, [10.0, 60.0, 60.0, 300.0, 300.0, 3600.0, 3600.0, None]),
        (60.0, [60.0, 60.0, 60.0, 300.0, 300.0, 3600.0, 3600.0, None]),
        (300.0, [300.0, 300.0, 300.0, 300.0, 300.0, 3600.0, 3600.0, None]),
    ],
)
def test_each_edge_a_second_before_and_after(period, expected):
    ages = []
    for edge in (3 * H, 15 * DAY, 63 * DAY, 455 * DAY):
        ages += [edge - EPS, edge + EPS]
    assert [finest_resolution(a, period) for a in ages] == expected


def test_an_edge_itself_still_reads_at_its_tier():
    assert finest_resolution(3 * H, 1.0) == 1.0
    assert finest_resolution(15 * DAY) == 60.0
    assert finest_resolution(455 * DAY) == 3600.0


def test_a_fresh_point_reads_at_its_own_period():
    assert finest_resolution(0.0, 5.0) == 5.0
    assert finest_resolution(0.0, 30.0) == 30.0
    assert finest_resolution(0.0, 120.0) == 120.0


@pytest.mark.parametrize("age", [0.0, 2 * H, 10 * DAY, 40 * DAY])
def test_a_five_minute_metric_is_never_finer_than_five_minutes(age):
    assert finest_resolution(age, 300.0) == 300.0


def test_a_one_hour_metric_stays_one_hour_until_gone():
    assert finest_resolution(1.0, 3600.0) == 3600.0
    assert finest_resolution(400 * DAY, 3600.0) == 3600.0
    assert finest_resolution(456 * DAY, 3600.0) is None


@pytest.mark.parametrize("period", [1.0, 5.0, 10.0, 20.0, 30.0, 60.0, 300.0, 3600.0])
def test_vectorised_equals_scalar_on_a_grid(period):
    ages = np.concatenate([np.linspace(0, 500 * DAY, 2001), [3 * H, 15 * DAY, 63 * DAY]])
    got = finest_resolutions(ages, period)
    want = [finest_resolution(a, period) for a in ages]
    assert got.shape == ages.shape and got.dtype == float
    for g, w in zip(got, want, strict=True):
        assert (math.isnan(g) and w is None) or g == w


def test_vectorised_keeps_nan_and_marks_gone_with_nan():
    got = finest_resolutions(np.array([np.nan, 1 * DAY, 500 * DAY]))
    assert math.isnan(got[0]) and got[1] == 60.0 and math.isnan(got[2])


@pytest.mark.parametrize("period", [0.0, 2.0, 15.0, 45.0, 90.0, -60.0])
def test_a_period_cloudwatch_refuses_is_refused(period):
    with pytest.raises(ValueError, match="not a CloudWatch period"):
        finest_resolution(1.0, period)


def test_a_negative_age_is_refused():
    with pytest.raises(ValueError, match="negative"):
        finest_resolutions(np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="negative"):
        cloudtrail_keeps(-1.0, trail_to_s3=True)


def test_cloudtrail_event_history_keeps_ninety_days():
    assert cloudtrail_keeps(89.9 * DAY, trail_to_s3=False) is True
    assert cloudtrail_keeps(90 * DAY, trail_to_s3=False) is True
    assert cloudtrail_keeps(90.1 * DAY, trail_to_s3=False) is False


def test_a_trail_to_s3_keeps_everything():
    assert cloudtrail_keeps(89.9 * DAY, trail_to_s3=True) is True
    assert cloudtrail_keeps(90.1 * DAY, trail_to_s3=True) is True
    assert cloudtrail_keeps(10 * 365 * DAY, trail_to_s3=True) is True


def test_cloudtrail_vectorised():
    ages = np.array([89.9, 90.1, 400.0]) * DAY
    np.testing.assert_array_equal(cloudtrail_keeps(ages, False), [True, False, False])
    np.testing.assert_array_equal(cloudtrail_keeps(ages, trail_to_s3=True), [True, True, True])
    per_incident = np.array([False, True, False])
    np.testing.assert_array_equal(cloudtrail_keeps(ages, per_incident), [True, True, False])
