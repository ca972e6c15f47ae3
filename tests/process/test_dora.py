"""DORA's performance bands (simulator/process/dora.band) at and around each edge of
the 2023 report's clusters (docs/reference/dora.md#performance-bands)."""

from __future__ import annotations

import math

import pytest

from simulator.process.dora import BANDS, band

DAY, WEEK, MONTH = 86400.0, 7 * 86400.0, 30 * 86400.0


@pytest.mark.parametrize(("key", "value", "want"), [
    ("deployment_frequency_per_day", 5.0, "elite"),
    ("deployment_frequency_per_day", 1.0, "elite"),
    ("deployment_frequency_per_day", 0.99, "high"),
    ("deployment_frequency_per_day", 1 / 7, "high"),
    ("deployment_frequency_per_day", 0.14, "medium"),
    ("deployment_frequency_per_day", 1 / 30, "medium"),
    ("deployment_frequency_per_day", 0.03, "low"),
    ("lead_time_median_s", 3600.0, "elite"),
    ("lead_time_median_s", DAY, "elite"),
    ("lead_time_median_s", DAY + 1, "high"),
    ("lead_time_median_s", WEEK + 1, "medium"),
    ("lead_time_median_s", MONTH + 1, "low"),
    ("change_failure_rate", 0.0, "elite"),
    ("change_failure_rate", 0.05, "elite"),
    ("change_failure_rate", 0.051, "high"),
    ("change_failure_rate", 0.15, "medium"),
    ("change_failure_rate", 0.16, "low"),
    ("recovery_median_s", 3599.0, "elite"),
    ("recovery_median_s", 3601.0, "high"),
    ("recovery_median_s", DAY + 1, "medium"),
    ("recovery_median_s", 2 * WEEK, "low"),
])  # fmt: skip
def test_each_key_is_banded_at_its_edges(key, value, want):
    assert band(key, value) == want


def test_no_figure_or_no_such_key_has_no_band():
    assert band("lead_time_median_s", None) is None
    assert band("lead_time_median_s", math.nan) is None
    assert band("lead_time_p90_s", 60.0) is None  # DORA bands the typical lead time only
    assert BANDS == ("elite", "high", "medium", "low")
