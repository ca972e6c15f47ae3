"""The Kayenta judge against independent oracles, Kayenta's own test vectors and hand-worked scores.

Oracles for the interval: a literal port of Kayenta's root finding (MannWhitney.scala: rank,
continuity-corrected z, Brent root), R's exact `wilcox.test` interval from a brute-force
enumeration of the Mann-Whitney null distribution, and Kayenta's published unit-test values.
"""

import itertools
import math

import numpy as np
import pytest
from scipy import optimize, stats

from simulator.release.judge import (
    MetricConfig,
    MetricVerdict,
    ScoreThresholds,
    classify,
    hodges_lehmann,
    judge,
    sequence_verdict,
)

# ----------------------------------------------------------------------------- oracles


def kayenta_wdiff(mu, zq, x, y):
    """Kayenta's MannWhitney.wilcoxonDiff, transcribed: rank x - mu with y, standardise."""
    m, n = len(x), len(y)
    ranks = stats.rankdata(np.concatenate([x - mu, y]))
    ties = np.unique(ranks, return_counts=True)[1]
    dz = ranks[:m].sum() - m * (m + 1) / 2 - m * n / 2
    sigma = math.sqrt(m * n / 12 * ((m + n + 1) - (ties**3 - ties).sum() / ((m + n) * (m + n - 1))))
    return (dz - np.sign(dz) * 0.5) / sigma - zq


def kayenta_interval(x, y, confidence):
    """Kayenta's calculateConfidenceInterval: endpoints if no root inside, else a Brent root."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    lo, hi = x.min() - y.max(), x.max() - y.min()
    zq = stats.norm.ppf((1 - confidence) / 2)

    def root(z):
        if kayenta_wdiff(lo, z, x, y) <= 0:
            return lo
        if kayenta_wdiff(hi, z, x, y) >= 0:
            return hi
        return optimize.brentq(kayenta_wdiff, lo, hi, args=(z, x, y), xtol=1e-13, rtol=1e-15)

    return root(-zq), root(zq)


def exact_r_interval(x, y, confidence):
    """R's exact two-sided wilcox.test(x, y, conf.int=TRUE) interval and its 1-based ranks.

    The null distribution of U is enumerated over every choice of x's ranks; qu is
    qwilcox(alpha/2) (smallest q with P(U <= q) >= alpha/2, at least 1) and the interval is
    (diffs[qu], diffs[m*n - qu + 1]) as in R's wilcox.test.default.
    """
    m, n = len(x), len(y)
    counts = np.zeros(m * n + 1)
    for ranks in itertools.combinations(range(1, m + n + 1), m):
        counts[sum(ranks) - m * (m + 1) // 2] += 1
    cdf = np.cumsum(counts) / counts.sum()
    qu = max(int(np.argmax(cdf >= (1 - confidence) / 2 - 1e-12)), 1)
    diffs = np.sort((np.asarray(x)[:, None] - np.asarray(y)[None, :]).ravel())
    return diffs[qu - 1], diffs[m * n - qu], qu, m * n - qu + 1


# ----------------------------------------------------------------------------- Hodges-Lehmann


def test_kayenta_published_interval():
    # kayenta-mannwhitney/.../MannWhitneySuite.scala "returns expected values" (level 0.95).
    assert hodges_lehmann([10.0, 20.0, 30.0, 40.0], [1.0, 2.0, 3.0, 4.0], 0.95) == (22.5, 6.0, 39.0)


@pytest.mark.parametrize("seed", range(6))
def test_estimate_is_median_of_pairwise_differences(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 30, size=2)
    x, y = np.round(rng.normal(3, 2, m), 1), np.round(rng.normal(0, 2, n), 1)  # ties included
    diffs = []
    for xi in x:
        for yj in y:
            diffs.append(xi - yj)
    diffs.sort()
    k = len(diffs)
    median = diffs[k // 2] if k % 2 else (diffs[k // 2 - 1] + diffs[k // 2]) / 2
    assert hodges_lehmann(x, y, 0.98)[0] == pytest.approx(median, abs=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_interval_matches_kayenta_root_finding(seed):
    # Brent stops within 1e-13 of the step where the statistic crosses its quantile; ties come
    # from rounding, sizes down to 1 hit the endpoint branch.
    rng = np.random.default_rng(1000 + seed)
    m, n = rng.integers(1, 40, size=2)
    x, y = np.round(rng.normal(0.7, 2, m)), np.round(rng.normal(0, 2, n))
    if seed % 4 == 1:  # continuous, skewed
        x, y = rng.lognormal(0, 1, m), rng.lognormal(0.2, 1, n)
    if seed % 4 == 3:  # mostly zeros, like Kayenta's error-count vectors: big tie groups
        x, y = (np.where(rng.random(k) < 0.6, 0.0, rng.exponential(2, k)) for k in (m, n))
    confidence = (0.9, 0.95, 0.98)[seed % 3]
    _, lo, hi = hodges_lehmann(x, y, confidence)
    want_lo, want_hi = kayenta_interval(x, y, confidence)
    assert lo == pytest.approx(want_lo, abs=1e-9)
    assert hi == pytest.approx(want_hi, abs=1e-9)


def test_interval_against_exact_r_wilcox():
    # Kayenta always uses R's normal approximation; R uses the exact distribution below 50
    # points. The ranks differ only through that approximation: over every size 2..8 the
    # approximate interval equals the exact one or is one order statistic wider at each end.
    rng = np.random.default_rng(7)
    widened = 0
    for m, n in itertools.product(range(2, 9), repeat=2):
        x, y = rng.normal(1, 1, m), rng.normal(0, 1, n)  # continuous: no ties
        _, lo, hi = hodges_lehmann(x, y, 0.98)
        _, _, k_lo, k_hi = exact_r_interval(x, y, 0.98)
        diffs = np.sort((x[:, None] - y[None, :]).ravel())
        ours = int(np.searchsorted(diffs, lo)) + 1, int(np.searchsorted(diffs, hi)) + 1
        assert ours in ((k_lo, k_hi), (max(k_lo - 1, 1), min(k_hi + 1, m * n))), (m, n)
        widened += ours != (k_lo, k_hi)
    assert 0 < widened < 49


@pytest.mark.parametrize("m,n", [(4, 4), (6, 7), (7, 9), (8, 8)])
def test_interval_equals_exact_r_where_ranks_agree(m, n):
    # At these sizes the continuity-corrected normal quantile lands on the exact quantile, so
    # both intervals are the same order statistics and must be equal exactly.
    rng = np.random.default_rng(m * 100 + n)
    x, y = rng.normal(2, 1, m), rng.normal(0, 1, n)
    want_lo, want_hi, _, _ = exact_r_interval(x, y, 0.98)
    assert hodges_lehmann(x, y, 0.98)[1:] == (want_lo, want_hi)


# ----------------------------------------------------------------------------- classification

# Kayenta's ClassifierSuite.scala vectors (kayenta-judge/src/test/scala/.../ClassifierSuite.scala)
EXPERIMENT = np.array(
    """9.7767343120109462 10.587071850477695 7.8375506388901766 9.3243326886113884
    8.3774505409784421 8.9359264399606282 8.2707663324728511 9.7484308126716925
    11.623746715547156 9.2753442679633942 8.1538047749171518 10.562020975754294
    13.498135575451835 11.054419256110332 6.9538903590055092 12.521008342195479
    9.0216358603546443 4.9234856699531662 11.251360203607172 11.598449508040337
    8.435232204668182 11.110228516867279 10.70063380164755 8.9212773652115249
    10.086167067942661 11.42107515483087 9.3792347813644952 7.7980320148552593
    10.62339807275746 11.909642062063739""".split(),
    dtype=float,
)
CONTROL = np.array(
    """11.1453586774086 9.9618059885597017 7.068574306369829 7.3012661810483657
    9.7944630265656727 9.6037918603687302 6.1867793350339388 12.345599159550174
    10.371891733859533 8.6094300785016724 9.913162673361084 10.361375299003466
    14.206800387518818 10.946153754753301 10.215876627044048 11.739760899484603
    10.907627468626439 12.823353694464775 8.1018609771732137 8.4981616408804932
    12.113441374697231 13.272210809932028 10.114579381663297 6.9463958767978067
    6.2105278541727778 10.160401684903775 8.3457712066455461 8.383822063895833
    7.0020205070083765 10.755757401808442""".split(),
    dtype=float,
)
EXPERIMENT_HIGH = np.array(
    """20.878412601720026 21.78550581191622 19.70828084717019 15.859946903461562
    19.510058772176841 19.392005525270303 22.926528314912101 17.156530276709894
    18.655117916226171 23.422607911610392 24.055817684156644 22.62689958516501
    21.979472967817678 21.659318607218694 20.067707574072426 22.119570836305414
    16.44037132663307 21.559622826341268 21.000181443489218 17.779369411412663
    17.806006358943584 18.537200618386109 20.555550300210797 19.552928184468378
    21.771118944087092 21.809622806176627 20.961762909905271 20.977571577503021
    19.106303205498794 16.976918966987078""".split(),
    dtype=float,
)
CONTROL_HIGH = np.array(
    """20.758113589510348 22.802059629464559 20.612340363492208 20.973274654749986
    23.469237330498622 21.53133988954805 21.767353687439805 18.308050730374301
    19.062145167827566 25.879498436001779 18.982629726336128 19.387920182269266
    18.995398251246982 24.228420230932805 20.050985172694688 18.2340451091756
    17.870515494460435 23.058103863806618 18.400259567501134 16.971352091177167
    19.467529066052151 17.90465423342031 17.553948617825831 16.104611843907193
    24.38171081433039 15.919294339922635 20.479409626304697 19.08307201492406
    17.455788050722866 18.853826823235142""".split(),
    dtype=float,
)
SMALL_HIGH = np.array([20.0, 22.0, 21.0, 25.0, 30.0])
SMALL_LOW = np.array([1.0, 2.2, 1.1, 2.5, 3.0])


@pytest.mark.parametrize(
    "canary,baseline,direction,effect,expected",
    [
        (EXPERIMENT, CONTROL, "either", (1.0, 1.0), "Pass"),
        (EXPERIMENT_HIGH, CONTROL, "either", (1.0, 1.0), "High"),
        (EXPERIMENT, CONTROL_HIGH, "either", (1.0, 1.0), "Low"),
        (EXPERIMENT, CONTROL_HIGH, "increase", (1.0, 1.0), "Pass"),
        (EXPERIMENT_HIGH, CONTROL, "decrease", (1.0, 1.0), "Pass"),
        (EXPERIMENT_HIGH, CONTROL, "increase", (1.0, 1.0), "High"),
        (EXPERIMENT, CONTROL_HIGH, "decrease", (1.0, 1.0), "Low"),
        (SMALL_HIGH, SMALL_LOW, "either", (0.8, 1.2), "High"),
        (EXPERIMENT, CONTROL_HIGH, "decrease", (0.8, 1.2), "Low"),
        (np.array([10.0, 12.2, 10.1, 12.5, 23.0]), SMALL_HIGH, "either", (0.5, 1.0), "Pass"),
    ],
)
def test_kayenta_classifier_suite(canary, baseline, direction, effect, expected):
    # Kayenta's suite runs these at tolerance 0.10 and confidence 0.95.
    config = MetricConfig("m", direction, allowed_decrease=effect[0], allowed_increase=effect[1])
    got = classify(
        canary, baseline, config, np.random.default_rng(0), tolerance=0.1, confidence=0.95
    )
    assert got.classification == expected


def test_effect_size_gates_high_and_low():
    # Seed 10, 50 points a side: +-10% shifts at sd 1 are certain by the interval, so only the
    # mean-ratio thresholds (allowedIncrease 1.2 / allowedDecrease 0.8) can keep them Pass.
    rng = np.random.default_rng(10)
    base, up, down = (rng.normal(mu, 1, 50) for mu in (100, 110, 90))
    plain = MetricConfig("m", "either")
    gated = MetricConfig("m", "either", allowed_increase=1.2, allowed_decrease=0.8)
    assert classify(up, base, plain, rng).classification == "High"
    assert classify(down, base, plain, rng).classification == "Low"
    assert classify(up, base, gated, rng).classification == "Pass"
    assert classify(down, base, gated, rng).classification == "Pass"
    assert classify(up, base, gated, rng).effect_size == pytest.approx(up.mean() / base.mean())


def test_shift_of_three_sigma_is_high():
    # Seed 11, 50 points a side, baseline N(100, 10), canary +30: the 98% interval of the shift
    # is about 30 +- 5, far above 0.25 x 30, and the mean ratio is ~1.3 >= 1.
    rng = np.random.default_rng(11)
    baseline, canary = rng.normal(100, 10, 50), rng.normal(130, 10, 50)
    got = classify(canary, baseline, MetricConfig("latency"), rng)
    assert got.classification == "High"
    assert got.ci_low < 30 < got.ci_high and got.p_value < 1e-10


def test_same_distribution_false_high_rate():
    # 200 seeded replications (seed 2024) of two N(100, 10) samples of 50. A 98% two-sided
    # interval puts its lower end above 0 with probability ~1%, and the tolerance only lowers
    # that (20,000 replications gave 0.09% High, 0.14% Low), so the count of High (or Low) is
    # at most Binomial(200, 0.01). The bound is that law's 99.9th percentile, 8: a correct
    # judge exceeds it with probability < 0.1%, a judge using a 50% interval (~17% false
    # High) stays under it with probability < 1e-7.
    rng = np.random.default_rng(2024)
    either = MetricConfig("m", "either")
    labels = [
        classify(rng.normal(100, 10, 50), rng.normal(100, 10, 50), either, rng).classification
        for _ in range(200)
    ]
    bound = int(stats.binom.ppf(0.999, 200, 0.01))
    assert bound == 8
    assert labels.count("High") <= bound and labels.count("Low") <= bound
    assert labels.count("Pass") >= 200 - 2 * bound


def test_identical_and_constant_data_pass():
    rng = np.random.default_rng(3)
    data = rng.normal(5, 1, 40)
    for canary, baseline in [(data, data[::-1].copy()), (np.full(20, 7.0), np.full(30, 7.0))]:
        got = classify(canary, baseline, MetricConfig("m", "either"), rng)
        assert got.classification == "Pass" and got.estimate == 0.0


def test_constant_but_different_data_get_noise_and_a_direction():
    # Both sides constant: Kayenta adds N(0, (1e-5 x value)^2) noise so ranks are not all
    # tied; the shift of 1 dwarfs that noise.
    rng = np.random.default_rng(4)
    high = classify(np.full(10, 4.0), np.full(10, 3.0), MetricConfig("m"), rng)
    low = classify(np.full(10, 2.0), np.full(10, 3.0), MetricConfig("m", "either"), rng)
    assert (high.classification, low.classification) == ("High", "Low")
    assert high.estimate == pytest.approx(1.0, abs=1e-3) and high.ci_low != high.ci_high


def test_no_data_and_nan_values():
    rng = np.random.default_rng(5)
    config = MetricConfig("m", "either")
    assert classify([], [1.0, 2.0], config, rng).classification == "NoData"
    assert classify([np.nan, np.nan], [1.0, 2.0], config, rng).classification == "NoData"
    clean = classify(EXPERIMENT_HIGH, CONTROL, config, rng)
    holey = classify(np.append(EXPERIMENT_HIGH, [np.nan] * 5), CONTROL, config, rng)
    assert holey == clean


def test_direction_increase_ignores_a_drop():
    rng = np.random.default_rng(6)
    baseline, canary = rng.normal(200, 20, 60), rng.normal(120, 20, 60)  # latency fell
    assert classify(canary, baseline, MetricConfig("lat", "increase"), rng).classification == "Pass"
    assert classify(canary, baseline, MetricConfig("lat", "decrease"), rng).classification == "Low"
    assert classify(canary, baseline, MetricConfig("lat", "either"), rng).classification == "Low"


def test_canary_mean_zero_is_never_low():
    # Kayenta's meanRatio is NaN when the canary mean is 0, and NaN <= allowed_decrease is
    # false, so a metric that collapses to exactly 0 passes. Pinned as Kayenta's behaviour.
    rng = np.random.default_rng(8)
    got = classify(np.zeros(30), rng.normal(50, 5, 30), MetricConfig("rps", "decrease"), rng)
    assert got.classification == "Pass" and math.isnan(got.effect_size) and got.ci_high < -40


def test_large_samples_are_subsampled():
    rng = np.random.default_rng(9)
    got = classify(rng.normal(10.5, 1, 5000), rng.normal(10, 1, 5000), MetricConfig("m"), rng)
    assert got.classification == "High" and got.estimate == pytest.approx(0.5, abs=0.15)


def test_bad_direction_rejected():
    with pytest.raises(ValueError):
        MetricConfig("m", "up")


# ----------------------------------------------------------------------------- scoring

RNG = np.random.default_rng(12)
SAME = RNG.normal(100, 10, 50)
SHIFTED = (SAME + 30.0, SAME)  # every pairwise shift +30: High under any tolerance
EQUAL = (SAME, SAME.copy())  # identical: Pass
NONE = (np.empty(0), np.empty(0))


def score(data, configs, **kw):
    return judge(data, configs, np.random.default_rng(0), **kw)


def test_one_high_of_three_scores_two_thirds():
    got = score(
        {"a": SHIFTED, "b": EQUAL, "c": EQUAL},
        [MetricConfig("a"), MetricConfig("b"), MetricConfig("c")],
    )
    assert (got.score, got.reason) == (66.67, "")  # 66.666... rounded half up to 2 places
    assert [v.classification for v in got.verdicts] == ["High", "Pass", "Pass"]


def test_critical_metric_failing_zeroes_the_score():
    configs = [MetricConfig("latency_p99", critical=True), MetricConfig("b"), MetricConfig("c")]
    got = score({"latency_p99": SHIFTED, "b": EQUAL, "c": EQUAL}, configs)
    assert (got.score, got.reason) == (0.0, "critical metric latency_p99 High")
    got = score({"b": EQUAL, "c": EQUAL}, configs)  # critical metric without data
    assert (got.score, got.reason) == (0.0, "critical metric latency_p99 NoData")


def test_half_or_more_nodata_zeroes_the_score():
    two = [MetricConfig("a"), MetricConfig("b")]
    assert score({"a": EQUAL, "b": NONE}, two).score == 0.0  # exactly 50%
    three = [MetricConfig("a"), MetricConfig("b"), MetricConfig("c")]
    got = score({"a": EQUAL, "b": EQUAL}, three)  # 1 of 3: excluded from the ratio
    assert (got.score, got.reason) == (100.0, "")


def test_group_weights():
    configs = [
        MetricConfig("p99", group="latency"),
        MetricConfig("p50", group="latency"),
        MetricConfig("5xx", group="errors"),
    ]
    data = {"p99": SHIFTED, "p50": EQUAL, "5xx": EQUAL}
    # latency 50 (1 of 2 pass), errors 100; weights are percentages and unweighted groups
    # share the rest: 0.6 x 50 + 0.4 x 100 = 70; with no weights 0.5 x 50 + 0.5 x 100 = 75.
    assert score(data, configs, group_weights={"latency": 60}).score == 70.0
    assert score(data, configs).score == 75.0
    assert score(data, configs, group_weights={"latency": 20, "errors": 80}).score == 90.0
    with pytest.raises(ValueError):
        score(data, configs, group_weights={"latency": 70, "errors": 40})


def test_group_without_data_counts_as_full():
    configs = [
        MetricConfig("a", group="g1"),
        MetricConfig("b", group="g1"),
        MetricConfig("c", group="g2"),
    ]
    got = score({"a": SHIFTED, "b": EQUAL}, configs)  # g2 has no data: 0.5 x 50 + 0.5 x 100
    assert got.score == 75.0


def test_judge_rejects_unknown_or_duplicate_metrics():
    with pytest.raises(ValueError):
        score({"a": EQUAL, "zzz": EQUAL}, [MetricConfig("a")])
    with pytest.raises(ValueError):
        score({"a": EQUAL}, [MetricConfig("a"), MetricConfig("a")])


def test_same_seed_same_judgement():
    # Sizes above the 2000 cap and constant pairs make the result depend on the generator.
    rng = np.random.default_rng(13)
    data = {
        "big": (rng.normal(1.0, 1, 3000), rng.normal(1.0, 1, 2500)),
        "flat": (np.full(8, 2.0), np.full(8, 1.0)),
    }
    configs = [MetricConfig("big", "either"), MetricConfig("flat")]
    first = judge(data, configs, np.random.default_rng(42))
    assert judge(data, configs, np.random.default_rng(42)) == first
    other = judge(data, configs, np.random.default_rng(43))
    assert other.verdicts[0].estimate != first.verdicts[0].estimate
    assert isinstance(first.verdicts[0], MetricVerdict)


# ----------------------------------------------------------------------------- score sequences


@pytest.mark.parametrize(
    "scores,final,expected",
    [
        ([80, 90, 96], True, "pass"),
        ([80, 90, 90], True, "fail"),
        ([70], False, "fail"),
        ([70], True, "fail"),
        ([80], False, "continue"),
        ([80, 70, 99], True, "fail"),
        ([75], False, "fail"),  # Orca fails a score <= marginal
        ([75.01, 95], True, "pass"),
    ],
)
def test_sequence_verdict(scores, final, expected):
    assert sequence_verdict(scores, final) == expected


def test_thresholds_validated():
    assert ScoreThresholds() == ScoreThresholds(95.0, 75.0)
    with pytest.raises(ValueError):
        sequence_verdict([80], True, pass_=70, marginal=75)
    with pytest.raises(ValueError):
        sequence_verdict([], True)
