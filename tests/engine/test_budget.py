"""The run budget: estimates against the requests actually served, and the runs it refuses.

Statistical checks allow K = 5 standard errors (a false failure about once in 1.7
million for an arbitrary seed); each states its seed and where its SE comes from.
Refused scenarios must be refused before anything is allocated: fast, and with a few MB.
"""

import math
import time
import tracemalloc

import numpy as np
import pytest

import simulator as ds
from simulator.engine import budget
from simulator.engine.budget import BudgetError
from tests import builders

K = 5.0
SERVICE = {"instances": 4, "service_time": {"distribution": "exponential", "mean": 0.01}}


def under(traffic, duration=600.0, **extra):
    """SERVICE under `traffic` for `duration` (tests/builders.py; a traffic dict replaces the
    default whole)."""
    return builders.scenario(name="budget", duration=duration, traffic=traffic, fleet=SERVICE,
                             **extra)  # fmt: skip


def estimated(data):
    return budget.estimate(ds.load_scenario(data))


# ---------------------------------------------------------------- estimates against runs


def mmpp_count_variance(rate_low, rate_high, mean_low, mean_high, t):
    """Exact Var N(t) of a stationary two-state MMPP (Fischer & Meier-Hellstern 1993)."""
    a, b = 1 / mean_low, 1 / mean_high
    r = a + b
    mean_rate = (rate_low * mean_low + rate_high * mean_high) / (mean_low + mean_high)
    spread = 2 * (rate_high - rate_low) ** 2 * a * b / r**3
    return mean_rate * t + spread * (t - (1 - math.exp(-r * t)) / r)


@pytest.mark.parametrize(
    ("traffic", "variance"),
    [
        # Poisson and the thinned/piecewise Poisson patterns: Var N = E N.
        ({"pattern": "poisson", "rate": 150}, None),
        ({"pattern": "diurnal", "rate": 150, "amplitude": 0.9, "period": 400, "peak_at": 50},
         None),
        ({"pattern": "bursty", "rate": 60, "every": 250,
          "bursts": [{"at": 40, "duration": 30, "multiplier": 6},
                     {"at": 160, "duration": 50, "multiplier": 0.2}]}, None),
        # Gamma renewal: Var N(t) ~ cv^2 rate t (+ a constant, negligible here).
        ({"pattern": "bursty", "rate": 150, "cv": 2.0}, lambda t: 4.0 * 150 * t),
        # MMPP: the exact stationary count variance.
        ({"pattern": "bursty", "rate": 100, "mmpp": {"high_rate": 200, "mean_low": 2,
                                                     "mean_high": 1}},
         lambda t: mmpp_count_variance(100, 200, 2, 1, t)),
    ],
)  # fmt: skip
def test_estimated_arrivals_match_the_requests_served(traffic, variance):
    # One 1200 s run each, seed 7: the count's SE is sqrt(Var N) (0.2-1.2% here), so a
    # formula 10% off fails: a burst left out, or the MMPP's rates averaged without
    # weighting by the time in each state (12.5% off here).
    data = under(traffic, duration=1200.0)
    expected = estimated(data).work["arrivals"].amount
    served = ds.simulate(data, seed=7).summary["requests"]
    se = math.sqrt(variance(1200.0) if variance else expected)
    assert abs(served - expected) <= K * se
    assert K * se < 0.1 * expected


def test_estimated_copies_match_the_shadow_invocations():
    # A shadow mirroring 30% for 300 s of a 900 s run, from t = 0 (no warm-up, a
    # provisioning time of 0): the copies are a Poisson thinning, Poisson with mean
    # 0.3 x 150 x 300 = 13,500, SE 116 (0.9%); seed 3.
    data = under({"pattern": "poisson", "rate": 150}, duration=900.0,
                 release={"provisioning": 0},
                 strategy={"type": "shadow", "sampling": 30, "duration": 300,
                           "promote": False, "start": 0})  # fmt: skip
    expected = estimated(data).work["copies"].amount
    assert expected == pytest.approx(0.3 * 150 * 300)
    m = ds.simulate(data, seed=3).metrics
    copies = m.loc[m["version"] == "v2-shadow", "Invocations"].sum()
    assert abs(copies - expected) <= K * math.sqrt(expected)


def test_argo_blue_green_preview_copies_are_bounded_by_the_longest_analysis():
    # 20% copies to the preview while its pre-promotion run lasts: 60 s delay + 3 x 60 s
    # measurements, each of which could follow 4 tolerated errors: at most 60 + 3 x 5 x 60
    # = 960 s. A healthy run measures at 60, 120 and 180 s, so the copies it makes (a
    # Poisson thinning of mean 0.2 x 150 x 180 = 5,400, SE 73; seed 3) are well under it.
    data = under({"pattern": "poisson", "rate": 150}, duration=1800.0,
                 release={"provisioning": 0},
                 strategy={"type": "argo_blue_green", "preview_traffic": 20,
                           "start": 0})  # fmt: skip
    expected = estimated(data).work["copies"].amount
    assert expected == pytest.approx(0.2 * 150 * 960)
    m = ds.simulate(data, seed=3).metrics
    copies = m.loc[m["version"] == "v2-preview", "Invocations"].sum()
    assert abs(copies - 0.2 * 150 * 180) <= K * math.sqrt(0.2 * 150 * 180)
    assert copies < expected


def test_a_counts_trace_is_estimated_exactly_and_a_timestamps_trace_by_its_rows(tmp_path):
    counts = tmp_path / "counts.csv"
    counts.write_text("invocations\n" + "\n".join(str(c) for c in [120, 0, 3000, 45, 9]) + "\n")
    data = under({"pattern": "trace", "path": str(counts), "kind": "counts"}, duration=180.0)
    assert estimated(data).work["arrivals"].amount == 120 + 0 + 3000  # the 3 minutes run
    assert ds.simulate(data, seed=1).summary["requests"] == 3120
    stamps = tmp_path / "stamps.csv"
    times = np.sort(np.random.default_rng(5).uniform(0, 50, 777))
    stamps.write_text("t\n" + "\n".join(f"{t:.6f}" for t in times))  # no final newline
    data = under({"pattern": "trace", "path": str(stamps)}, duration=60.0)
    assert estimated(data).work["arrivals"].amount == 777
    assert ds.simulate(data, seed=1).summary["requests"] == 777


def test_memory_grows_with_periods_versions_and_the_request_log():
    base = under({"pattern": "poisson", "rate": 100}, duration=36_000.0)
    one = estimated(base).memory["histograms"].amount
    finer = estimated(base | {"monitoring": {"period": 6}}).memory["histograms"].amount
    assert finer == pytest.approx(10 * one)
    released = base | {"release": {}, "strategy": {"type": "big_bang"}}
    assert estimated(released).memory["histograms"].amount == pytest.approx(2 * one)  # per version
    logged = estimated(base | {"monitoring": {"request_log": 0.5}}).memory["request log"]
    assert logged.amount == pytest.approx(0.5 * 100 * 36_000 * budget.LOGGED_BYTES)


# ---------------------------------------------------------------- refusals


def refused(data) -> str:
    """The BudgetError simulate raises, checked to come at once and with a few MB."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(BudgetError) as err:
            ds.simulate(data, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2.0
    assert peak < 20 * 2**20
    message = str(err.value)
    assert "force=True" in message and "--force" in message
    return message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        # thirty years: too many requests and too many metric periods
        (under({"pattern": "poisson", "rate": 10}, duration=1e9),
         ["1e+10 requests", "2e+08", "lower traffic.rate or duration", "GiB",
          "raise monitoring.period"]),
        # a day of 1 ms metric periods
        (under({"pattern": "poisson", "rate": 1}, duration=86_400.0,
               monitoring={"period": "1ms"}),
         ["86,400,000 periods", "raise monitoring.period", "over the budget of 2 GiB"]),
        # the highest rate the schema takes, for an hour
        (under({"pattern": "poisson", "rate": 1e6}, duration=3600.0),
         ["3.6e+09 requests", "lower traffic.rate or duration"]),
        # an MMPP whose high state (30-day dwells) holds for a month
        (under({"pattern": "bursty", "rate": 10,
                "mmpp": {"high_rate": 100, "mean_low": "10m", "mean_high": "30d"}},
               duration="30d", monitoring={"period": "1h"}),
         ["traffic.mmpp.high_rate"]),
        # MMPP dwells of a millisecond, for three days
        (under({"pattern": "bursty", "rate": 1,
                "mmpp": {"high_rate": 2, "mean_low": "1ms", "mean_high": "1ms"}},
               duration="3d", monitoring={"period": "1h"}),
         ["MMPP dwells", "raise traffic.mmpp.mean_low and mean_high"]),
        # a x1e6 flash crowd for ten minutes
        (under({"pattern": "bursty", "rate": 1,
                "bursts": [{"at": 60, "duration": 600, "multiplier": 1e6}]}),
         ["traffic.bursts[0].multiplier", "x1e+06 in traffic.bursts[0]"]),
        # a x1e6 flash crowd of a millisecond: few requests, but a day of peak-rate blocks
        (under({"pattern": "bursty", "rate": 1,
                "bursts": [{"at": 60, "duration": 0.001, "multiplier": 1e6}]},
               duration="1d", monitoring={"period": "1h"}),
         ["generator blocks", "lower traffic.bursts[0].multiplier"]),
        # every request of a day at 1000/s logged
        (under({"pattern": "poisson", "rate": 1000}, duration="1d",
               monitoring={"period": "1h", "request_log": 1.0}),
         ["request log", "lower monitoring.request_log"]),
        # instances crashing every 10 microseconds for a day: billions of control events
        (under({"pattern": "poisson", "rate": 1}, duration="1d", monitoring={"period": "1h"},
               failures={"instance": {"mtbf": "10us", "mttr": "10us"}}),
         ["instance crashes", "raise failures.instance.mtbf"]),
        # a release of the schema's most instances: each one provisioned rebuilds routing
        (under({"pattern": "poisson", "rate": 1}, release={"instances": 10_000},
               strategy={"type": "big_bang"}),
         ["launching 10,000 instances (release.instances)", "lower release.instances"]),
    ],
)  # fmt: skip
def test_a_run_over_the_budget_is_refused_naming_what_to_change(data, words):
    message = refused(data)
    for word in words:
        assert word in message


def test_a_shadow_s_copies_count_against_the_budget(monkeypatch):
    data = under({"pattern": "poisson", "rate": 100}, duration=1000.0, release={},
                 strategy={"type": "shadow", "duration": 1000})  # fmt: skip
    est = estimated(data)
    monkeypatch.setattr(budget, "MAX_REQUESTS", 1.5 * est.work["arrivals"].amount)
    message = refused(data)
    assert "mirrored copies" in message and "strategy.duration" in message


def test_a_rate_beyond_reason_is_refused_naming_the_rate():
    # 1e12 requests a second: the schema's own limit or the budget, whichever comes first
    with pytest.raises(ds.ScenarioError, match=r"traffic\.rate"):
        ds.simulate(under({"pattern": "poisson", "rate": 1e12}))


def test_force_runs_past_the_budget(monkeypatch):
    data = under({"pattern": "poisson", "rate": 50}, duration=120.0)
    monkeypatch.setattr(budget, "MAX_REQUESTS", 1000)
    with pytest.raises(BudgetError, match="traffic.rate"):
        ds.simulate(data)
    served = ds.simulate(data, seed=2, force=True).summary["requests"]
    assert abs(served - 6000) <= K * math.sqrt(6000)  # it really ran, all of it
    monkeypatch.setattr(budget, "MAX_REQUESTS", 2e8)
    monkeypatch.setattr(budget, "MAX_MEMORY", 50 * 2**20)
    with pytest.raises(BudgetError, match="of memory"):
        ds.simulate(data)
    assert ds.simulate(data, seed=2, force=True).summary["requests"] == served


def test_the_message_cuts_a_long_scenario_name():
    data = under({"pattern": "poisson", "rate": 10}, duration=1e9) | {"name": "x" * 5000}
    message = refused(data)
    assert "x" * 61 not in message and len(message) < 2000


def test_every_preset_is_within_the_budget():
    from pathlib import Path

    presets = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
    assert presets
    for path in presets:
        est = budget.check(ds.load_scenario(path))
        assert est.total_work < budget.MAX_REQUESTS / 10, path.name
