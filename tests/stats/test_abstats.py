"""Tests for the A/B stopping rules (simulator/abstats.py).

Closed-form pieces are checked against independent implementations in scipy (chi-square
test of the 2x2 table, normal quantiles, numerical integration of the mixture). Statistical
checks simulate Bernoulli streams with seeded numpy generators: at a look every ``STEP``
trials per arm the cumulative conversions are cumulative sums of Binomial(STEP, p) draws,
which is exactly the distribution of the counts at the looks. An estimated rate r over R
replications has binomial standard error sqrt(r (1 - r) / R); checks allow 4 such standard
errors unless stated, so a correct implementation would fail one with probability ~6e-5
(two-sided) for an arbitrary seed. Seeds are fixed, so the suite is reproducible.
"""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from simulator.stats.abstats import (
    DEFAULT_TAU2,
    Counts,
    Decision,
    SequentialTest,
    TwoProportionTest,
    make_test,
    mixture_likelihood_ratio,
    required_sample_size,
    two_proportion_p_value,
)

ALPHA = 0.05
STEP = 500  # trials per arm between looks
N_MAX = 20_000  # trials per arm at the maximum duration: 40 looks


def binomial_se(rate: float, reps: int) -> float:
    return math.sqrt(rate * (1.0 - rate) / reps)


def simulate_looks(p_a, p_b, reps, seed, step=STEP, n_max=N_MAX, share_b=0.5):
    """Cumulative Counts at each look for `reps` independent experiments.

    share_b != 0.5 sends that share of each block of 2 * step users to B (unequal arms).
    """
    rng = np.random.default_rng(seed)
    looks = n_max // step
    n_b_step = round(2 * step * share_b)
    n_a_step = 2 * step - n_b_step
    conv_a = rng.binomial(n_a_step, p_a, (reps, looks)).cumsum(axis=1)
    conv_b = rng.binomial(n_b_step, p_b, (reps, looks)).cumsum(axis=1)
    return [
        [
            Counts(int(conv_a[r, k]), (k + 1) * n_a_step, int(conv_b[r, k]), (k + 1) * n_b_step)
            for k in range(looks)
        ]
        for r in range(reps)
    ]


def run(test_factory, experiments):
    """Run one fresh test per experiment until it stops; return the stopping Decisions."""
    decisions, stop_looks = [], []
    for looks in experiments:
        test = test_factory()
        for k, counts in enumerate(looks):
            decision = test.look(counts, final=k == len(looks) - 1)
            if decision.stop:
                break
        assert decision.stop, "final=True must stop"
        decisions.append(decision)
        stop_looks.append(k)
    return decisions, stop_looks


def rejection_rate(decisions):
    return sum(d.winner is not None for d in decisions) / len(decisions)


# ---------------------------------------------------------------- fixed-horizon z-test


TABLES = [
    (100, 1000, 130, 1000),
    (50, 400, 61, 900),
    (1, 30, 9, 25),
    (480, 5000, 480, 5000),
    (2000, 20000, 2110, 20000),
    (7, 7000, 25, 3000),
]


@pytest.mark.parametrize("table", TABLES)
def test_p_value_matches_chi_square_without_yates(table):
    # Pearson's chi-square of the 2x2 table equals z^2 of the pooled z-test, so its
    # p-value (1 degree of freedom) is the two-sided z p-value.
    x_a, n_a, x_b, n_b = table
    observed = np.array([[x_a, n_a - x_a], [x_b, n_b - x_b]])
    expected = stats.chi2_contingency(observed, correction=False).pvalue
    assert two_proportion_p_value(Counts(*table)) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_p_value_is_one_without_evidence():
    assert two_proportion_p_value(Counts(0, 0, 5, 10)) == 1.0
    assert two_proportion_p_value(Counts(0, 100, 0, 100)) == 1.0
    assert two_proportion_p_value(Counts(50, 50, 80, 80)) == 1.0


def test_counts_reject_impossible_values():
    with pytest.raises(ValueError):
        Counts(11, 10, 0, 10)
    with pytest.raises(ValueError):
        Counts(0, 10, -1, 10)


def reference_sample_size(p_a, mde_relative, alpha, power):
    """Fleiss' formula written independently, with scipy's normal quantiles."""
    p_b = p_a * (1 + mde_relative)
    p_bar = (p_a + p_b) / 2
    root = stats.norm.ppf(1 - alpha / 2) * math.sqrt(2 * p_bar * (1 - p_bar)) + stats.norm.ppf(
        power
    ) * math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b))
    return math.ceil(root**2 / (p_b - p_a) ** 2)


@pytest.mark.parametrize(
    "p_a, mde, alpha, power",
    [(0.10, 0.20, 0.05, 0.8), (0.02, 0.10, 0.05, 0.9), (0.30, -0.15, 0.01, 0.8)],
)
def test_required_sample_size_matches_formula(p_a, mde, alpha, power):
    assert required_sample_size(p_a, mde, alpha, power) == reference_sample_size(
        p_a, mde, alpha, power
    )


def test_required_sample_size_textbook_value():
    # 10% baseline, 20% relative MDE (10% -> 12%), alpha 0.05 two-sided, power 0.8: the
    # usual calculators quote roughly 3,800-3,900 users per arm (3,841 by this formula).
    n = required_sample_size(0.10, 0.20)
    assert 3800 <= n <= 3900
    assert required_sample_size(0.10, 0.10) > 3.5 * n  # n scales ~ 1 / MDE^2


def test_required_sample_size_rejects_bad_input():
    for args in [(0.0, 0.2), (0.1, 0.0), (0.9, 0.2), (0.1, 0.2, 1.0)]:
        with pytest.raises(ValueError):
            required_sample_size(*args)


def test_planned_sample_size_gives_the_planned_power():
    # Seed 11, R = 4000 experiments of n = 3,841 per arm at 10% vs 12%. The empirical power
    # has binomial SE sqrt(0.8 * 0.2 / 4000) = 0.0063; 4 SE = 0.025, plus 0.005 for the
    # normal approximation behind the formula -> tolerance 0.03.
    n = required_sample_size(0.10, 0.20)
    reps = 4000
    rng = np.random.default_rng(11)
    conv_a = rng.binomial(n, 0.10, reps)
    conv_b = rng.binomial(n, 0.12, reps)
    test = TwoProportionTest(ALPHA, planned_n=n)
    decisions = [
        test.look(Counts(int(a), n, int(b), n), final=False)
        for a, b in zip(conv_a, conv_b, strict=True)
    ]
    assert all(d.stop for d in decisions)
    power = sum(d.winner == "B" for d in decisions) / reps
    assert abs(power - 0.8) <= 4 * binomial_se(0.8, reps) + 0.005, power


# ---------------------------------------------------------------- type-I error under peeking

REPS_NULL = 2000
NULL_SE = binomial_se(ALPHA, REPS_NULL)  # 0.0049


@pytest.fixture(scope="module")
def null_experiments():
    # p_a = p_b = 0.10; 2,000 experiments; looks every 500 trials per arm up to 20,000.
    return simulate_looks(0.10, 0.10, REPS_NULL, seed=20240601)


def test_naive_peeking_inflates_type_one_error(null_experiments):
    # 40 looks at a nominal 5% test: the chance of ever crossing is ~25-30%, so > 2 alpha
    # is a margin of more than 10 standard errors.
    decisions, _ = run(lambda: TwoProportionTest(ALPHA, peeking=True), null_experiments)
    rate = rejection_rate(decisions)
    assert rate > 2 * ALPHA, rate


def test_fixed_horizon_looked_at_once_has_level_alpha(null_experiments):
    # Evaluated once at n = 20,000 per arm: rejection rate alpha within 4 SE (0.0195).
    decisions, stop_looks = run(lambda: TwoProportionTest(ALPHA, planned_n=N_MAX), null_experiments)
    assert set(stop_looks) == {N_MAX // STEP - 1}  # it never decided before the plan
    rate = rejection_rate(decisions)
    assert abs(rate - ALPHA) <= 4 * NULL_SE, rate


def test_sequential_test_controls_type_one_error_under_peeking(null_experiments):
    # Always valid: P(ever reject) <= alpha; one-sided check, alpha + 4 SE = 0.0695. (Looks at
    # discrete times make it conservative: the realised rate is well below alpha.)
    decisions, _ = run(lambda: SequentialTest(ALPHA), null_experiments)
    rate = rejection_rate(decisions)
    assert rate <= ALPHA + 4 * NULL_SE, rate


def test_sequential_test_controls_type_one_error_with_unequal_arms():
    # 25% of users to B (seed 7, 1000 experiments, 1,000 users per look, 40 looks, ending
    # at 30,000 trials in A and 10,000 in B): with the unequal-n variance the rejection rate
    # stays <= alpha + 4 SE = 0.078.
    reps = 1000
    experiments = simulate_looks(0.10, 0.10, reps, seed=7, share_b=0.25)
    decisions, _ = run(lambda: SequentialTest(ALPHA), experiments)
    rate = rejection_rate(decisions)
    assert rate <= ALPHA + 4 * binomial_se(ALPHA, reps), rate


# ---------------------------------------------------------------- sequential test: power


@pytest.fixture(scope="module")
def lift_runs():
    # 300 experiments each at 10% vs 12%, 13%, 15% (seeds 31, 32, 33), same looks as above.
    runs = {}
    for seed, p_b in zip((31, 32, 33), (0.12, 0.13, 0.15), strict=True):
        experiments = simulate_looks(0.10, p_b, 300, seed=seed)
        runs[p_b] = run(lambda: SequentialTest(ALPHA), experiments)
    return runs


def test_sequential_test_finds_a_real_lift(lift_runs):
    # 10% vs 12% (z ~ 6.4 at the horizon): the mSPRT boundary (z ~ 3 there) is crossed in
    # essentially every run; require winner B in >= 95% (a 20% relative lift missed or
    # attributed to A in 1 run in 20 would be a bug).
    decisions, _ = lift_runs[0.12]
    share_b = sum(d.winner == "B" for d in decisions) / len(decisions)
    assert share_b >= 0.95, share_b
    assert all(d.lift > 0 for d in decisions if d.winner == "B")


def test_sequential_test_stops_earlier_on_larger_lifts(lift_runs):
    # Median stopping look: the expected crossing time scales ~ 1 / effect^2 (12%: ~10
    # looks, 15%: ~3), far more than the sampling spread of a median over 300 runs.
    medians = [float(np.median(lift_runs[p_b][1])) for p_b in (0.12, 0.13, 0.15)]
    assert medians[0] > medians[1] > medians[2], medians


def test_sequential_stops_earlier_than_the_fixed_horizon_plan(lift_runs):
    # At 10% vs 12% the fixed-horizon plan is 3,841 per arm (~8 looks). The mSPRT pays for
    # anytime validity with a higher boundary (z ~ 3 instead of 1.96) yet needs no plan; its
    # median stop (~10 looks) must stay within the first half of the 40-look horizon. A
    # mis-scaled statistic (e.g. tau used where tau^2 belongs) pushes it far later.
    _, stop_looks = lift_runs[0.12]
    assert float(np.median(stop_looks)) < 20


# ---------------------------------------------------------------- sequential test: statistic


def test_mixture_ratio_equals_paper_form_for_equal_arms():
    # Johari et al. (2017): Lambda_n = sqrt(V / (V + n tau^2))
    #     * exp(n^2 tau^2 d^2 / (2 V (V + n tau^2))), V = pa(1-pa) + pb(1-pb).
    for x_a, x_b, n in [(100, 130, 1000), (1000, 1080, 10000), (52, 48, 500)]:
        p_a, p_b, tau2 = x_a / n, x_b / n, 2e-4
        v = p_a * (1 - p_a) + p_b * (1 - p_b)
        paper = math.sqrt(v / (v + n * tau2)) * math.exp(
            n**2 * tau2 * (p_b - p_a) ** 2 / (2 * v * (v + n * tau2))
        )
        assert mixture_likelihood_ratio(Counts(x_a, n, x_b, n), tau2) == pytest.approx(paper)


@pytest.mark.parametrize("counts", [Counts(100, 1000, 70, 400), Counts(300, 2500, 150, 1000)])
def test_mixture_ratio_is_the_normal_mixture_bayes_factor(counts):
    # Independent oracle for unequal arms: integrate N(d; theta, s^2) N(theta; 0, tau^2)
    # over theta numerically and divide by N(d; 0, s^2).
    p_a, p_b = counts.rate_a, counts.rate_b
    s = math.sqrt(p_a * (1 - p_a) / counts.trials_a + p_b * (1 - p_b) / counts.trials_b)
    d, tau = p_b - p_a, math.sqrt(DEFAULT_TAU2)
    numerator, _ = integrate.quad(
        lambda th: stats.norm.pdf(d, th, s) * stats.norm.pdf(th, 0, tau),
        -10 * tau,
        10 * tau,
        epsabs=0,
        epsrel=1e-10,
    )
    expected = numerator / stats.norm.pdf(d, 0, s)
    assert mixture_likelihood_ratio(counts) == pytest.approx(expected, rel=1e-7)


def test_always_valid_p_value_is_non_increasing():
    # p_n = min(p_{n-1}, 1/Lambda_n) over 40 looks of 20 null and 20 lifted experiments,
    # including looks where 1/Lambda_n itself goes up.
    rises = 0
    for p_b, seed in ((0.10, 5), (0.11, 6)):
        for looks in simulate_looks(0.10, p_b, 20, seed=seed):
            test = SequentialTest(ALPHA)
            previous_p, previous_inv = 1.0, 1.0
            for counts in looks:
                p = test.look(counts, final=False).p_value
                inv = 1.0 / mixture_likelihood_ratio(counts)
                assert p <= previous_p
                assert p == min(previous_p, inv)
                rises += inv > previous_inv
                previous_p, previous_inv = p, inv
    assert rises > 0  # the raw statistic does fluctuate, so the minimum is doing work


# ---------------------------------------------------------------- decision fields


def test_significant_decision_fields():
    c = Counts(100, 1000, 150, 1000)  # z ~ 3.4
    for test in (TwoProportionTest(ALPHA, planned_n=1000), TwoProportionTest(ALPHA, peeking=True)):
        d = test.look(c, final=False)
        assert d.stop and d.winner == "B" and d.p_value < ALPHA
        assert d.lift == pytest.approx(0.5)
    flipped = Counts(150, 1000, 100, 1000)
    d = TwoProportionTest(ALPHA, planned_n=1000).look(flipped, final=False)
    assert d.winner == "A" and d.lift == pytest.approx(-1 / 3)


def test_sequential_winner_and_lift():
    d = SequentialTest(ALPHA).look(Counts(1000, 10000, 1300, 10000), final=False)
    assert isinstance(d, Decision)
    assert d.stop and d.winner == "B" and d.p_value <= ALPHA
    assert d.lift == pytest.approx(0.3)
    d = SequentialTest(ALPHA).look(Counts(1300, 10000, 1000, 10000), final=False)
    assert d.stop and d.winner == "A"


@pytest.mark.parametrize("kind", ["two_proportion", "sequential"])
def test_final_without_significance_stops_with_no_winner(kind):
    test = make_test(kind, ALPHA)
    c = Counts(100, 1000, 104, 1000)
    assert not test.look(c, final=False).stop
    d = test.look(c, final=True)
    assert d.stop and d.winner is None and d.p_value > ALPHA
    assert d.lift == pytest.approx(0.04)


def test_fixed_horizon_waits_for_both_arms():
    test = TwoProportionTest(ALPHA, planned_n=1000)
    d = test.look(Counts(100, 1000, 200, 999), final=False)  # hugely significant, B short
    assert not d.stop and d.winner is None
    assert test.look(Counts(100, 1000, 200, 1000), final=False).stop


def test_lift_is_nan_without_control_conversions():
    d = make_test("two_proportion", ALPHA).look(Counts(0, 500, 30, 500), final=True)
    assert math.isnan(d.lift)
    assert d.winner == "B"
    d = make_test("sequential", ALPHA).look(Counts(0, 0, 0, 0), final=True)
    assert math.isnan(d.lift) and d.winner is None and d.p_value == 1.0


def test_make_test_builds_the_named_rule():
    assert isinstance(make_test("two_proportion", 0.01, planned_n=10), TwoProportionTest)
    seq = make_test("sequential", 0.01, tau2=4e-4)
    assert isinstance(seq, SequentialTest) and seq.tau2 == 4e-4 and seq.alpha == 0.01
    assert make_test("sequential", 0.05).tau2 == DEFAULT_TAU2
    with pytest.raises(ValueError):
        make_test("bayesian", 0.05)
    with pytest.raises(ValueError):
        SequentialTest(0.05, tau2=0.0)
