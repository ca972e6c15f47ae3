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


@pytest.mark.parametrize(
    "x, want",
    [(99.97, "100"), (9.996, "10.0"), (0.0009999, "0.00100"), (999.6, "1,000"), (-0.0, "0"),
     (120.138, "120")],
)  # fmt: skip
def test_rounding_up_to_a_new_digit_keeps_three_significant_digits(x, want):
    # 99.97 to 3 significant digits is 100 (not "100.0", four); -0.0 is plain 0
    assert display.decimal(x) == want


@pytest.mark.parametrize(
    "s, want", [(59.96, "1:00"), (59.94, "59.9 s"), (-90.0, "-1:30"), (135.0, "2:15")]
)
def test_a_duration_near_a_minute_and_a_negative_difference(s, want):
    # 59.96 s to 3 significant digits would read "60.0 s": that is a minute, 1:00
    assert display.seconds(s) == want


def test_money_minutes_and_words():
    assert display.show(2.05955, "usd") == "2.06" and display.show(0.01955, "usd") == "0.0196"
    assert display.show(3.0, "minutes") == "3" and display.show(2.5, "minutes") == "2.50"
    assert display.show("rolled_back", "words") == "rolled back"
    assert display.SUMMARY["slo_violation_minutes"].header == "SLO violation (min)"
    # a duration names no unit in its header: each value carries its own ("45.2 s", "7:37")
    assert display.SUMMARY["time_to_detect_s"].header == "time to detect"


def test_a_yes_no_figure_over_replications_is_a_rate():
    assert display.figure("rolled_back", replicated=True).header == "rolled back (%)"
    assert display.figure("false_rollback", replicated=True).kind == "percent"
    assert display.figure("false_rollback").kind == "flag"  # one run: yes or no
    assert display.interval(0.4, 0.35, "percent") == "40% ± 35%"
    assert display.figure("cost_by_version.v2").header == "cost of v2 ($)"


def test_each_version_s_cost_in_dollars():
    summary = {"cost_by_version": {"v1": 2.04, "v2": 0.019549999999999998}}
    assert display.version_costs(summary) == [("cost of v1 ($)", "2.04"),
                                              ("cost of v2 ($)", "0.0195")]  # fmt: skip


def test_a_shadow_comparison_is_in_ms_and_percent():
    # the strategy reports latencies in ms, the error rate as a share
    details = {"comparison": {
        "candidate": {"Invocations": 87299.0, "error_rate": 0.03987, "latency_p50_ms": 12.68,
                      "latency_p99_ms": 33.62},
        "production": {"Invocations": 174257.0, "error_rate": 0.0, "latency_p50_ms": 1.992,
                       "latency_p99_ms": None}}}  # fmt: skip
    assert display.comparison(details) == [
        ("requests", "87,299", "174,257"),
        ("error rate (%)", "3.99%", "0%"),  # 3.987% to three digits
        ("latency p50 (ms)", "12.7", "1.99"),
        ("latency p99 (ms)", "33.6", "n/a"),
    ]
    assert display.comparison({}) == [] and display.comparison(None) == []


def test_an_a_b_test_and_a_parallel_run_in_words():
    details = {"ab_test": {"winner": "v2", "decision_time_s": 600.0, "p_value": 0.000432388,
                           "lift": 0.2219, "conversions": {"v1": 829}, "trials": {"v1": 16135}},
               "parallel": {"compared": 174257, "disagreements": 364,
                            "disagreement_rate": 0.002088868}}  # fmt: skip
    assert display.strategy_rows(details) == [
        ("A/B winner", "v2"), ("A/B decision time", "10:00"), ("A/B p-value", "0.000432"),
        ("A/B lift (%)", "22.2%"),
        ("A/B conversions of v1", "829 of 16,135 (5.14%)"),  # 829 / 16135 = 0.05138
        ("answers compared", "174,257"), ("answers that differ", "364"),
        ("answers that differ (%)", "0.209%"),
    ]  # fmt: skip


def test_a_replicated_cell_reads_mean_and_half_width_or_n_a():
    row = {"blast_radius_mean": 17036.0, "blast_radius_ci_low": 16926.0,
           "blast_radius_ci_high": 17146.0, "rolled_back_mean": 0.0,
           "time_to_rollback_s_mean": 12.0, "time_to_rollback_s_ci_low": 10.0,
           "time_to_rollback_s_ci_high": 14.0, "cost_usd_mean": 2.06,
           "cost_usd_ci_low": 2.06, "cost_usd_ci_high": 2.06 + 1e-15}  # fmt: skip
    assert display.replicated(row, "blast_radius") == "17,036 ± 110"
    assert display.replicated(row, "time_to_rollback_s") == "n/a"  # none rolled back
    assert display.replicated(row, "cost_usd") == "2.06"  # identical replications
    assert display.replicated(row, "users_affected") == "n/a"  # no replication had it
    assert display.replicated(row, "rolled_back") == "0%"
