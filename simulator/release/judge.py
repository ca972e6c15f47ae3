"""Kayenta's canary judge (Spinnaker NetflixACAJudge-v1.0), for judging simulated canaries.

Sources, all in github.com/spinnaker/kayenta unless noted:

- per metric, `kayenta-judge/.../classifiers/metric/MannWhitneyClassifier.scala`: NaN values
  removed (nanStrategy "remove"), an empty side is NoData, identical (sorted) data or a single
  value across both sides is Pass, two constant-but-different sides get Gaussian noise of
  sd 1e-5 x value, then a two-sided Mann-Whitney confidence interval (level 0.98 and tolerance
  0.25 set in `NetflixACAJudge.scala`) plus the mean-ratio effect size decide High/Low/Pass;
- the interval, `kayenta-mannwhitney/.../MannWhitney.scala`: R's `wilcox.test(x, y,
  conf.int=TRUE)` *asymptotic* branch (normal approximation, continuity and tie corrections),
  used by Kayenta at every sample size, never R's exact branch;
- the score, `kayenta-judge/.../scorers/WeightedSumScorer.scala`; the run-by-run thresholds,
  spinnaker/orca's kayenta stage (`MonitorKayentaCanaryTask`, `AggregateCanaryResultsTask`).

Not modelled: outlier removal, nanStrategy "replace", mustHaveData, muted metrics, the CLES
effect size and separate critical effect-size thresholds (Kayenta defaults make them inert).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from scipy.special import ndtri

PASS, HIGH, LOW, NODATA = "Pass", "High", "Low", "NoData"
DIRECTIONS = ("increase", "decrease", "either")
MAX_SAMPLES = 2000  # per side; see _clean
NODATA_THRESHOLD = 50.0  # percent of metrics, WeightedSumScorer.NODATA_THRESHOLD


@dataclass(frozen=True)
class MetricConfig:
    """How one metric is judged; `allowed_*` bound the ratio of means canary/baseline."""

    name: str
    direction: str = "increase"  # Kayenta's own default is "either"
    critical: bool = False
    group: str = "default"
    allowed_increase: float = 1.0  # High needs mean ratio >= this (effectSize.allowedIncrease)
    allowed_decrease: float = 1.0  # Low needs mean ratio <= this (effectSize.allowedDecrease)

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{self.name}: direction must be one of {DIRECTIONS}")


@dataclass(frozen=True)
class MetricVerdict:
    """One metric's classification and the statistics it rests on (canary minus baseline)."""

    name: str
    classification: str  # "Pass" | "High" | "Low" | "NoData"
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    effect_size: float


@dataclass(frozen=True)
class Judgement:
    """A judge run: score 0-100, the verdicts, and why a score was forced to 0 ("" otherwise)."""

    score: float
    verdicts: tuple[MetricVerdict, ...]
    reason: str


@dataclass(frozen=True)
class ScoreThresholds:
    """Canary score thresholds; 95/75 are the values in Kayenta's documented example configs."""

    pass_: float = 95.0
    marginal: float = 75.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.marginal <= self.pass_ <= 100.0:
            raise ValueError("need 0 <= marginal <= pass <= 100")


def hodges_lehmann(x, y, confidence: float) -> tuple[float, float, float]:
    """Shift estimate and interval for x - y, as Kayenta's MannWhitney.scala computes them.

    The estimate is the median of all pairwise differences x_i - y_j. Kayenta finds each end
    of the interval as the root of R's continuity-corrected, tie-corrected normal statistic;
    that statistic only steps at pairwise differences, so the roots are the order statistics
    D(k_lo), D(k_hi) with k_lo = ceil(N/2 - 1/2 - z*sigma), k_hi = ceil(N/2 + 1/2 + z*sigma),
    clipped to [1, N] (R returns the extreme difference when no root is inside).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    m, n = x.size, y.size
    if m == 0 or n == 0:
        raise ValueError("both samples need data")
    diffs = (x[:, None] - y[None, :]).ravel()
    total = diffs.size
    counts = [np.unique(v, return_counts=True)[1].astype(float) for v in (x, y)]
    ties = sum(float((t**3 - t).sum()) for t in counts)  # tie groups within each sample
    sigma = math.sqrt(m * n / 12.0 * ((m + n + 1) - ties / ((m + n) * (m + n - 1))))
    z = ndtri(1.0 - (1.0 - confidence) / 2.0)
    k_lo = min(max(math.ceil(total / 2 - 0.5 - z * sigma), 1), total)
    k_hi = min(max(math.ceil(total / 2 + 0.5 + z * sigma), 1), total)
    mid = [(total - 1) // 2, total // 2]
    part = np.partition(diffs, sorted({k_lo - 1, k_hi - 1, *mid}))
    return float(part[mid].mean()), float(part[k_lo - 1]), float(part[k_hi - 1])


def _clean(values, rng: np.random.Generator) -> np.ndarray:
    """Drop NaNs; subsample (without replacement) to MAX_SAMPLES.

    The pairwise differences take m*n doubles (2000 x 2000 = 32 MB); a uniform subsample keeps
    the estimate consistent and only widens the interval. Kayenta itself does not subsample.
    """
    v = np.asarray(values, dtype=float).ravel()
    v = v[~np.isnan(v)]
    return rng.choice(v, MAX_SAMPLES, replace=False) if v.size > MAX_SAMPLES else v


def _mean_ratio(canary: np.ndarray, baseline: np.ndarray) -> float:
    """Kayenta's effect size: 1 if the baseline mean is 0, NaN if the canary mean is 0."""
    base, can = float(baseline.mean()), float(canary.mean())
    if base == 0.0:
        return 1.0
    return math.nan if can == 0.0 else can / base


def classify(
    canary, baseline, config: MetricConfig, rng, *, tolerance=0.25, confidence=0.98
) -> MetricVerdict:
    """Classify one metric as Kayenta's MannWhitneyClassifier does, so verdicts match Kayenta's.

    High needs CI low > tolerance x |estimate| and mean ratio >= allowed_increase; Low needs
    CI high < -tolerance x |estimate| and ratio <= allowed_decrease; a direction that does not
    fail on a side never reports it (a drop under "increase" is Pass). A NaN ratio (canary
    mean exactly 0) is neither, as in Kayenta. Identical data skip the test (CI reported NaN).
    `rng` (numpy Generator) drives the subsampling and the tie-breaking noise, for repeatability.
    """
    x, y = (np.asarray(v, dtype=float).ravel() for v in (canary, baseline))
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    nan = math.nan
    if x.size == 0 or y.size == 0:
        return MetricVerdict(config.name, NODATA, nan, nan, nan, nan, nan)
    if np.array_equal(np.sort(x), np.sort(y)) or np.unique(np.concatenate([x, y])).size == 1:
        return MetricVerdict(config.name, PASS, 0.0, nan, nan, 1.0, 1.0)  # Kayenta skips the test
    x, y = _clean(x, rng), _clean(y, rng)
    if np.ptp(x) == 0 and np.ptp(y) == 0:  # degenerate: every rank tied within each side
        x, y = (v + rng.normal(0.0, abs(v[0]) * 1e-5, v.size) for v in (x, y))
    estimate, lo, hi = hodges_lehmann(x, y, confidence)
    from scipy import stats  # only here: importing scipy.stats costs every run ~1 s and 45 MB

    p_value = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
    ratio = _mean_ratio(x, y)
    bound = tolerance * abs(estimate)
    label = PASS
    if config.direction != "decrease" and lo > bound and ratio >= config.allowed_increase:
        label = HIGH
    elif config.direction != "increase" and hi < -bound and ratio <= config.allowed_decrease:
        label = LOW
    return MetricVerdict(config.name, label, estimate, lo, hi, p_value, ratio)


def _round_half_up(value: float) -> float:
    """Two decimals, half up, as commons-math MathUtils.round(x, 2)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _summary_score(configs: Sequence[MetricConfig], verdicts, weights: dict[str, float]) -> float:
    """WeightedSumScorer: groups score 100 x pass/(pass+high+low), weights are percentages.

    Groups without a weight share what is left of 100 equally; a group whose metrics all have
    no data counts as 100.
    """
    if any(w < 0 for w in weights.values()) or sum(weights.values()) > 100.0 + 1e-9:
        raise ValueError("group weights are percentages: non-negative, summing to at most 100")
    groups: dict[str, list[str]] = {}
    for config, verdict in zip(configs, verdicts, strict=True):
        groups.setdefault(config.group, []).append(verdict.classification)
    unweighted = [g for g in groups if g not in weights]
    share = (100.0 - sum(weights.values())) / len(unweighted) if unweighted else 0.0
    total = 0.0
    for group, labels in groups.items():
        counted = [label for label in labels if label != NODATA]
        score = 100.0 * counted.count(PASS) / len(counted) if counted else 100.0
        total += score * weights.get(group, share) / 100.0
    return _round_half_up(total)


def judge(
    data: dict[str, tuple[np.ndarray, np.ndarray]],
    configs: list[MetricConfig],
    rng,
    *,
    group_weights: dict[str, float] | None = None,
    tolerance=0.25,
    confidence=0.98,
) -> Judgement:
    """Score one canary analysis run as NetflixACAJudge-v1.0 would.

    `data` maps a metric name to (canary values, baseline values); a configured metric missing
    from it has no data. A critical metric that is not Pass, or NoData on >= 50% of the
    metrics, forces score 0 (checked in that order, as Kayenta does); otherwise the weighted
    group score, rounded to 2 decimals.
    """
    names = [c.name for c in configs]
    if not configs or len(set(names)) != len(names):
        raise ValueError("need at least one metric config, with unique names")
    if unknown := sorted(set(data) - set(names)):
        raise ValueError(f"no metric config for {unknown}")
    empty, kw = np.empty(0), {"tolerance": tolerance, "confidence": confidence}
    verdicts = tuple(classify(*data.get(c.name, (empty, empty)), c, rng, **kw) for c in configs)
    for config, verdict in zip(configs, verdicts, strict=True):
        if config.critical and (label := verdict.classification) != PASS:
            return Judgement(0.0, verdicts, f"critical metric {config.name} {label}")
    nodata = sum(v.classification == NODATA for v in verdicts)
    if 100.0 * nodata / len(verdicts) >= NODATA_THRESHOLD:
        return Judgement(0.0, verdicts, f"{nodata} of {len(verdicts)} metrics NoData (>= 50%)")
    return Judgement(_summary_score(configs, verdicts, group_weights or {}), verdicts, "")


def sequence_verdict(scores: list[float], final: bool, pass_=95, marginal=75) -> str:
    """Decide a canary from its run-by-run scores the way Spinnaker's kayenta stage does.

    Any score <= marginal ends the canary as "fail" at once (Orca's MonitorKayentaCanaryTask
    uses <=, so exactly `marginal` fails); after the final run the last score must be
    >= pass for "pass"; otherwise "continue".
    """
    limits = ScoreThresholds(float(pass_), float(marginal))
    if any(score <= limits.marginal for score in scores):
        return "fail"
    if not final:
        return "continue"
    if not scores:
        raise ValueError("a finished canary needs at least one score")
    return "pass" if scores[-1] >= limits.pass_ else "fail"
