"""How figures are written for people (simulator/display.py), against hand-written cases.

Each case is what a person would write for the number, worked out by hand: thousands
separated, no e-notation, percentages with the digits that matter, times with units.
"""

import pytest

from simulator import display


@pytest.mark.parametrize(
    "x, want",
    [(17036.4, "17,036"), (2.0413, "2.04"), (0.000202266, "0.000202"), (600100.0, "600,100"),
     (151.93, "152"), (0.0, "0"), (-3.14159, "-3.14"), (1234567.0, "1,234,567")],
)  # fmt: skip
def test_decimals_as_a_person_writes_them(x, want):
    assert display.decimal(x) == want


@pytest.mark.parametrize(
    "share, want",
    [(0.9999468, "99.9947%"), (0.999, "99.90%"), (0.05, "5.00%"), (1.0, "100%"), (0.0, "0%"),
     (0.4301, "43.0%"), (0.00058, "0.0580%")],
)  # fmt: skip
def test_shares_as_percentages_with_the_digits_that_matter(share, want):
    assert display.percent(share) == want


@pytest.mark.parametrize(
    "s, want",
    [(457.0103, "7:37"), (45.23, "45.2 s"), (3725.0, "1:02:05"), (0.0, "0 s"), (60.0, "1:00")],
)
def test_durations_in_seconds_or_minutes_and_seconds(s, want):
    assert display.seconds(s) == want


@pytest.mark.parametrize(
    "mean, half, kind, want",
    [(17036.0, 110.0, "number", "17,036 ± 110"),
     (0.99994, 1.1e-5, "percent", "99.9940% ± 0.0011%"),
     (2.0413, 0.0123, "ms", "2.041 ± 0.012"),
     (300.0, 0.0, "seconds", "5:00"),
     (None, None, "number", "n/a")],
)  # fmt: skip
def test_an_interval_is_rounded_to_what_its_half_width_tells(mean, half, kind, want):
    assert display.interval(mean, half, kind) == want


def test_a_figure_that_does_not_apply_reads_n_a():
    promoted = {"outcome": "promoted", "time_to_detect_s": None, "time_to_rollback_s": 0.0}
    assert display.written("time_to_rollback_s", promoted) == "n/a"
    assert display.written("time_to_detect_s", promoted) == "n/a"
    rolled = {"outcome": "rolled_back", "time_to_detect_s": 180.0, "time_to_rollback_s": 0.0}
    assert display.written("time_to_detect_s", rolled) == "3:00"
    assert display.written("time_to_rollback_s", rolled) == "0 s"


def test_user_figures_come_apart_from_the_diagnostics():
    summary = {"outcome": "promoted", "requests": 10, "availability": 1.0,
               "latency_ms": {"p99": 2.5}, "littles_law_gap": 0.01,
               "requests_per_s": 6.0e5}  # fmt: skip
    users = dict(display.rows(summary))
    diagnostics = dict(display.rows(summary, diagnostics=True))
    assert users["latency p99 (ms)"] == "2.50" and users["availability (%)"] == "100%"
    assert "Little's law gap (%)" not in users and diagnostics["Little's law gap (%)"] == "1.00%"
    assert diagnostics["simulated requests per wall-clock second"] == "600,000"
