"""The user questions: capacity against queueing theory, canary power against a binomial
model, Pareto fronts against a brute-force oracle, cheapest target against direct runs."""

import math
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulator import catalog
from simulator.analysis.questions import (
    capacity_search,
    cheapest_target,
    detection_power,
    false_rollback_rate,
    pareto_front,
    pareto_mask,
    risk_cost_front,
    wilson,
)
from simulator.analysis.replication import replicate
from simulator.analysis.sweep import set_path
from simulator.validation import theory
from tests import builders


def queue(rate, duration=2000, **overrides):
    """M/M/1 (tests/builders.py) with 100 ms service (mu = 10 per second), `duration`
    seconds after 200 s of warm-up: the capacity searches add instances or workers."""
    return builders.plain_queue(rate, name="queue", duration=duration, warmup=200, **overrides)


def upper_bound(values, confidence=0.95):
    """One-sided Student-t upper bound of the mean, computed here independently."""
    x = np.asarray(values, float)
    return x.mean() + stats.t.ppf(confidence, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))


# ---------------------------------------------------------------- capacity vs theory


def test_capacity_search_finds_erlang_c_servers_for_a_p99_wait():
    """One instance, c workers: M/M/c with lam 25, mu 10 (a = 2.5 Erlangs). The limit on
    the p99 wait, 160 ms, is far from both neighbours of the theoretical answer (c = 4:
    231 ms, c = 5: 103 ms), so 5 replications of ~45k requests decide it (seed 0)."""
    lam, mu, limit_s = 25.0, 10.0, 0.160
    expected = theory.min_servers_for_wait(lam, mu, limit_s, quantile=0.99)
    # not a knife edge: the answer passes and the one below fails by > 35 %
    assert theory.mmc_wait_quantile(lam, mu, expected, 0.99) < 0.65 * limit_s
    assert theory.mmc_wait_quantile(lam, mu, expected - 1, 0.99) > 1.35 * limit_s
    result = capacity_search(queue(lam), replications=5, seed=0, metric="wait_ms.p99",
                             limit=limit_s * 1e3, field="fleet.workers_per_instance",
                             workers=1)  # fmt: skip
    assert result.value == expected
    table = result.table.set_index("workers_per_instance")
    # the search starts at the stability bound floor(a) + 1, below which c <= a
    assert table.index[0] == math.floor(lam / mu) + 1
    assert table.loc[expected, "meets"] and not table.loc[expected - 1, "meets"]
    assert table["meets"].is_monotonic_increasing  # requirement monotone in c, as assumed


def test_capacity_search_over_instances_matches_independent_mm1_queues():
    """Random routing splits Poisson traffic: n instances of 1 worker are n M/M/1 queues at
    lam / n. Mean wait rho / (mu - lam / n) with lam 20, mu 10: n = 4 waits 100 ms, n = 5
    67 ms; the 80 ms limit separates them by > 15 % (5 replications, seed 0)."""
    lam, mu, limit_s = 20.0, 10.0, 0.080

    def mm1_wait(n):
        return theory.mmc_mean_wait(lam / n, mu, 1)

    expected = next(n for n in range(3, 20) if mm1_wait(n) <= limit_s)
    assert mm1_wait(expected) < 0.85 * limit_s and mm1_wait(expected - 1) > 1.2 * limit_s
    result = capacity_search(queue(lam), replications=5, seed=0, metric="wait_ms.mean",
                             limit=limit_s * 1e3, workers=1)  # fmt: skip
    assert result.instances == expected
    assert result.table["instances"].iloc[0] == math.floor(lam / mu) + 1  # lam E[S] / 1 worker


def test_capacity_search_on_availability_matches_erlang_b():
    """A loss system (queue_capacity 0): availability is 1 - Erlang B(c, 2.5). A 0.95 target
    needs B <= 0.05: c = 5 blocks 7.0 %, c = 6 2.8 %; with ~22k requests a replication
    the blocking's standard error is ~0.1 %, so 5 replications decide (seed 0). No
    stability bound applies to a loss system, so the search starts at `minimum`."""
    lam, mu, target = 25.0, 10.0, 0.95
    expected = next(c for c in range(1, 30) if 1 - theory.erlang_b(c, lam / mu) >= target)
    assert theory.erlang_b(expected, lam / mu) < 0.6 * (1 - target)
    assert theory.erlang_b(expected - 1, lam / mu) > 1.3 * (1 - target)
    sc = queue(lam, duration=1000, fleet={"queue_capacity": 0})
    result = capacity_search(sc, replications=5, seed=0, limit=1e6, availability=target,
                             field="fleet.workers_per_instance", workers=1)  # fmt: skip
    assert result.value == expected
    assert result.table["workers_per_instance"].iloc[0] == 1
    table = result.table.set_index("workers_per_instance")
    assert table.loc[expected - 1, "availability_lower"] < target
    assert table.loc[expected, "availability_lower"] >= target


def test_capacity_search_reports_none_when_the_maximum_is_not_enough():
    result = capacity_search(queue(25.0, duration=600), replications=2, seed=0, maximum=4,
                             metric="wait_ms.mean", limit=1.0, workers=1)  # fmt: skip
    assert result.value is None and not result.found
    assert result.table["instances"].max() == 4 and not result.table["meets"].any()


# ---------------------------------------------------------------- cheapest target

SLO_MS = 250.0


def catalog_scenario():
    """One instance of the catalog's resnet50 at 40 req/s, with a p99 SLO."""
    return builders.scenario(name="targets", duration=900, warmup=120, traffic={"rate": 40},
                             fleet={"instances": 1, "model": "resnet50"},
                             slo={"latency_p99": f"{SLO_MS:g}ms"})  # fmt: skip


def test_cheapest_target_is_the_cheapest_answer_and_each_answer_matches_direct_runs():
    """Each target's answer n is checked with replicate() on the same seeds: n meets the
    SLO (one-sided 95 % upper bound of the mean p99 <= 250 ms), n - 1 does not; the
    choice is the smallest n x catalog price."""
    targets = ["ml.c5.xlarge", "ml.c7g.xlarge", "ml.g4dn.xlarge"]
    reps, seed = 4, 0
    choice = cheapest_target(catalog_scenario(), targets, replications=reps, seed=seed,
                             workers=1)  # fmt: skip
    base = catalog_scenario()
    costs = {}
    for target in targets:
        n = int(choice.table.set_index("target").loc[target, "instances"])
        for count, should_meet in ((n, True), (n - 1, False)):
            if count < 1:
                continue
            sc = set_path(set_path(base, "fleet.target", target), "fleet.instances", count)
            p99 = replicate(sc, reps, seed, workers=1)["latency_ms.p99"]
            assert (upper_bound(p99) <= SLO_MS) == should_meet, (target, count)
            tried = choice.searches[target].table.set_index("instances").loc[count]
            assert tried["metric_upper"] == pytest.approx(upper_bound(p99))
            assert tried["metric_mean"] == pytest.approx(p99.mean())
        costs[target] = n * catalog.target_info(target)["price_per_hour"]
    cheapest = min(costs, key=costs.get)
    assert choice.target == cheapest
    assert choice.cost_per_hour == pytest.approx(costs[cheapest])
    assert len(set(np.round(list(costs.values()), 9))) == len(costs)  # no tie decided it


# ---------------------------------------------------------------- canary detection

RATE, BASE_ERRORS, DEFECT = 30, 0.001, 0.02  # req/s, fleet 5XX share, release's extra
LIMIT, FAILURE_LIMIT, INTERVAL, PROVISIONING, START = 0.015, 1, 60, 90, 330
WEIGHTS, BAKES = [5, 10, 40], [60, 180]


def canary_scenario(gate=None, defect=DEFECT):
    """The usual release (tests/builders.py) at RATE for 15 min, the fleet failing
    BASE_ERRORS of requests; the canary serves from START + PROVISIONING = 420 s, a
    period boundary."""
    gate = gate or {"type": "argo", "interval": INTERVAL, "failure_limit": FAILURE_LIMIT,
                    "checks": [{"metric": "error_rate", "max": LIMIT},
                               {"metric": "latency_p99", "max": "1s"}]}  # fmt: skip
    return builders.release({"type": "canary", "start": START, "gate": gate},
                            {"error_rate": defect}, name="power", rate=RATE, duration=900,
                            fleet={"error_rate": BASE_ERRORS, "provisioning": PROVISIONING},
                            monitoring=builders.DROP)  # fmt: skip


def measurements(bake):
    """Argo measures every INTERVAL from the first canary traffic until promotion ends
    (bake + provisioning of the rest of the fleet); 150 and 270 s are no multiple of 60."""
    assert (bake + PROVISIONING) % INTERVAL
    return (bake + PROVISIONING) // INTERVAL


def check_fails(weight, p, limit):
    """P(one measurement fails): n ~ Poisson(rate x weight x interval) canary requests,
    errors ~ Binomial(n, p), the check fails when errors / n > limit."""
    mu = RATE * weight / 100 * INTERVAL
    n = np.arange(int(mu + 12 * math.sqrt(mu)) + 1)
    return float(np.sum(stats.poisson.pmf(n, mu) * stats.binom.sf(np.floor(limit * n), n, p)))


def model_power(weight, bake, p, limit=LIMIT, failure_limit=FAILURE_LIMIT):
    """The gate aborts when more than failure_limit of the measurements fail."""
    return float(stats.binom.sf(failure_limit, measurements(bake), check_fails(weight, p, limit)))


def within_binomial(k, n, p, mass=0.999):
    low, high = stats.binom.interval(mass, n, p)
    return low <= k <= high


@pytest.fixture(scope="module")
def power():
    return detection_power(canary_scenario(), weights=WEIGHTS, bakes=BAKES, replications=30,
                           seed=1, workers=2).set_index(["weight", "bake"])  # fmt: skip


def test_detection_power_rises_with_weight_and_bake(power):
    """30 replications a cell (seed 1). Adjacent cells may not fall by more than 2.33
    standard errors of an independent difference (one-sided 1 %; common random numbers
    correlate the cells positively, so the true spread is smaller); the weakest and
    strongest canaries must differ outright (disjoint Wilson intervals)."""
    n = 30
    assert (power["replications"] == n).all() and (power["incomplete"] == 0).all()

    def no_drop(lo, hi):
        p1, p2 = power.loc[lo, "power"], power.loc[hi, "power"]
        se = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n)
        assert p2 >= p1 - 2.33 * se, (lo, hi, p1, p2)

    for bake in BAKES:
        for w1, w2 in zip(WEIGHTS, WEIGHTS[1:], strict=False):
            no_drop((w1, bake), (w2, bake))
    for weight in WEIGHTS:
        no_drop((weight, BAKES[0]), (weight, BAKES[1]))
    weakest, strongest = power.loc[(WEIGHTS[0], BAKES[0])], power.loc[(WEIGHTS[-1], BAKES[-1])]
    assert 0 < weakest["detections"] < n  # not saturated: the question has an answer
    assert weakest["power_ci_high"] < strongest["power_ci_low"]


def test_detection_power_matches_the_binomial_model(power):
    """Each cell's detections lie in the central 99.9 % of Binomial(30, model power), the
    model built from the gate's rule alone (see check_fails / model_power)."""
    p = 1 - (1 - BASE_ERRORS) * (1 - DEFECT)
    for (weight, bake), row in power.iterrows():
        expected = model_power(weight, bake, p)
        assert within_binomial(row["detections"], row["replications"], expected), (
            weight, bake, row["power"], expected)  # fmt: skip
        _, low, high = wilson(int(row["detections"]), int(row["replications"]))
        assert (row["power_ci_low"], row["power_ci_high"]) == pytest.approx((low, high))


def test_time_to_detect_counts_the_measurements_needed(power):
    """Detection is at the (failure_limit + 1)-th failing measurement: with two
    measurements in all (bake 60) that is exactly the second, 120 s after first traffic;
    otherwise somewhere between the second and the last."""
    for (weight, bake), row in power.iterrows():
        first, last = (FAILURE_LIMIT + 1) * INTERVAL, measurements(bake) * INTERVAL
        if measurements(bake) == FAILURE_LIMIT + 1:
            assert row["time_to_detect_s_mean"] == first
        assert first <= row["time_to_detect_s_mean"] <= last, (weight, bake)


def test_a_sane_gate_rarely_rolls_back_a_healthy_release():
    """Healthy release (only the fleet's 0.1 % errors): the model gives < 0.5 % false
    rollbacks per run even at the longest bake, so 3 or more of 30 would have
    probability < 0.1 % (seed 2)."""
    for weight in WEIGHTS:
        assert model_power(weight, BAKES[-1], BASE_ERRORS) < 0.005
    table = false_rollback_rate(canary_scenario(), weights=[WEIGHTS[0], WEIGHTS[-1]],
                                bakes=[BAKES[-1]], replications=30, seed=2, workers=2)  # fmt: skip
    assert stats.binom.sf(2, 30, 0.005) < 0.001
    assert (table["rollbacks"] <= 2).all(), table
    assert (table["incomplete"] == 0).all()


def test_a_twitchy_gate_rolls_back_healthy_releases_as_often_as_predicted():
    """Any error fails a twitchy check and one failure aborts: P(rollback) is
    1 - exp(-measurements x rate x weight x interval x 0.001) (Poisson thinning), 16 %
    at 5 % and 76 % at 40 %. Rollbacks in the central 99.9 % of Binomial(30, p) (seed 2)."""
    gate = {"type": "argo", "interval": INTERVAL, "failure_limit": 0,
            "checks": [{"metric": "error_rate", "max": 0}]}  # fmt: skip
    table = false_rollback_rate(canary_scenario(gate), weights=[WEIGHTS[0], WEIGHTS[-1]],
                                bakes=[BAKES[0]], replications=30, seed=2, workers=2)  # fmt: skip
    for _, row in table.iterrows():
        mean_errors = measurements(row["bake"]) * RATE * row["weight"] / 100 * INTERVAL
        expected = 1 - math.exp(-mean_errors * BASE_ERRORS)
        assert within_binomial(row["rollbacks"], 30, expected), (row.to_dict(), expected)
    assert table["false_rollback_rate"].iloc[0] < table["false_rollback_rate"].iloc[1]


def test_detection_power_needs_a_defect():
    with pytest.raises(ValueError, match="defective release"):
        detection_power(canary_scenario(defect=0.0), weights=[5], bakes=[60], replications=2)


def test_wilson_interval_known_values():
    """Wilson (1927): 0 of 10 at 95 % is [0, z^2 / (n + z^2)]; it always holds the share."""
    z = stats.norm.ppf(0.975)
    p, low, high = wilson(0, 10)
    assert p == 0 and low == 0 and high == pytest.approx(z * z / (10 + z * z))
    for k in range(0, 21):
        p, low, high = wilson(k, 20)
        assert 0 <= low <= p <= high <= 1


# ---------------------------------------------------------------- Pareto fronts


def oracle(table, objectives):
    """Brute force O(n^2): rows with every objective known that no such row dominates."""
    sign = {c: 1 if s == "min" else -1 for c, s in objectives.items()}
    rows = [
        (i, [sign[c] * float(table.loc[i, c]) for c in objectives])
        for i in table.index
        if not any(math.isnan(float(table.loc[i, c])) for c in objectives)
    ]
    return {
        i
        for i, a in rows
        if not any(
            all(x <= y for x, y in zip(b, a, strict=True)) and any(
                x < y for x, y in zip(b, a, strict=True))
            for _, b in rows
        )
    }  # fmt: skip


def test_pareto_front_on_a_hand_made_table():
    table = pd.DataFrame(
        {"risk": [1, 2, 3, 2, 5, 4, 1], "cost": [5, 3, 3, 3, 1, 4, 6]},
        index=list("ABCDEFG"),
    )
    front = pareto_front(table, {"risk": "min", "cost": "min"})
    # C is beaten by B (cost tie, more risk), F by B, G by A; B and D tie and both stay
    assert list(front.index) == ["A", "B", "D", "E"]
    # maximising cost instead: G (1, 6) has the least risk and the most cost, so beats all
    front = pareto_front(table, {"risk": "min", "cost": "max"})
    assert list(front.index) == ["G"]
    # maximising both: E has the most risk, G the most cost, F (4, 4) no row beats; F
    # beats B, C and D, and G beats A
    front = pareto_front(table, {"risk": "max", "cost": "max"})
    assert list(front.index) == ["E", "F", "G"]


def test_pareto_front_ignores_rows_with_missing_objectives_and_sorts():
    table = pd.DataFrame({"a": [3.0, math.nan, 1.0, 2.0], "b": [1.0, 0.0, 3.0, 2.0]})
    front = pareto_front(table, {"a": "min", "b": "min"})
    assert list(front.index) == [2, 3, 0]  # sorted by a ascending
    assert list(pareto_mask(table, {"a": "min", "b": "min"})) == [True, False, True, True]
    with pytest.raises(ValueError, match="'min' or 'max'"):
        pareto_front(table, {"a": "least"})
    with pytest.raises(ValueError, match="no column"):
        pareto_front(table, {"c": "min"})


values = st.one_of(st.integers(0, 4).map(float), st.just(math.nan))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3), st.integers(0, 25), st.data())
def test_pareto_front_matches_brute_force(d, n, data):
    columns = [f"o{j}" for j in range(d)]
    senses = data.draw(st.lists(st.sampled_from(["min", "max"]), min_size=d, max_size=d))
    cells = data.draw(st.lists(st.lists(values, min_size=d, max_size=d), min_size=n,
                               max_size=n))  # fmt: skip
    table = pd.DataFrame(cells, columns=columns, dtype=float)
    table.index = [f"r{i}" for i in range(n)]
    objectives = dict(zip(columns, senses, strict=True))
    front = pareto_front(table, objectives)
    assert set(front.index) == oracle(table, objectives)
    keyed = [tuple((1 if s == "min" else -1) * r[c] for c, s in objectives.items())
             for _, r in front.iterrows()]  # fmt: skip
    assert keyed == sorted(keyed)


def test_pareto_front_on_random_tables_with_many_ties():
    rng = random.Random(7)
    for _ in range(50):
        n, d = rng.randint(20, 120), rng.randint(2, 4)
        table = pd.DataFrame([[rng.randint(0, 3) for _ in range(d)] for _ in range(n)],
                             columns=[f"o{j}" for j in range(d)])  # fmt: skip
        objectives = {c: rng.choice(["min", "max"]) for c in table.columns}
        assert set(pareto_front(table, objectives).index) == oracle(table, objectives)


def test_risk_cost_front_marks_the_front_of_the_sweep_means():
    """Three canary weights on a defective release (3 replications, seed 4): the table has a
    row per point whose means are those of replicate() on that point's scenario, and the
    `pareto` column is the brute-force front of those means."""
    sc = canary_scenario()
    points = [{"strategy.steps": [{"weight": w, "bake": 60}]} for w in (5, 25, 50)]
    table = risk_cost_front(sc, points, replications=3, seed=4, workers=2)
    assert len(table) == 3
    for i, point in enumerate(points):
        assert table.iloc[i]["strategy.steps"] == point["strategy.steps"]
        runs = replicate(set_path(sc, "strategy.steps", point["strategy.steps"]), 3, 4, workers=1)
        assert table.iloc[i]["blast_radius_mean"] == pytest.approx(runs["blast_radius"].mean())
        assert table.iloc[i]["cost_usd_mean"] == pytest.approx(runs["cost_usd"].mean())
    objectives = {"blast_radius_mean": "min", "rollout_duration_s_mean": "min",
                  "cost_usd_mean": "min"}  # fmt: skip
    assert set(table.index[table["pareto"]]) == oracle(table, objectives)


# ---------------------------------------------------------------- run budget


def test_questions_refuse_a_run_over_the_budget_before_running_and_force_runs_it(monkeypatch):
    from simulator.engine import budget
    ran = []
    monkeypatch.setattr(budget, "MAX_REQUESTS", 1000)
    with pytest.raises(budget.BudgetError, match="traffic.rate"):
        detection_power(canary_scenario(), weights=[10], bakes=[60], replications=2,
                        workers=1, progress=lambda *c: ran.append(c))  # fmt: skip
    with pytest.raises(budget.BudgetError, match="target ml.c5.xlarge"):
        cheapest_target(queue(5), ["ml.c5.xlarge"], replications=2, workers=1, limit=500,
                        progress=lambda *c: ran.append(c))  # fmt: skip
    with pytest.raises(budget.BudgetError, match="sweep point"):
        risk_cost_front(canary_scenario(), [{"strategy.steps": [{"weight": 10, "bake": 60}]}],
                        replications=2, workers=1, progress=lambda *c: ran.append(c))  # fmt: skip
    assert ran == []
    table = false_rollback_rate(canary_scenario(), weights=[10], bakes=[60], replications=2,
                                workers=1, force=True)  # fmt: skip
    assert table["replications"].tolist() == [2]
    found = capacity_search(queue(5), replications=2, workers=1, limit=5000, force=True)
    assert found.value == 1  # rho 0.5 on one instance meets a 5 s p99
