"""Stopping rules for the ``ab_test`` strategy: when an A/B comparison may end.

The strategy splits users between a control version (A) and a treatment version (B); each
served request converts with a version-specific probability. Every ``interval`` it hands
the cumulative :class:`Counts` to a test's ``look`` and receives a :class:`Decision`. Two
decision rules are provided, and the difference between them is the point of this module:

``two_proportion`` (:class:`TwoProportionTest`)
    The classic pooled two-proportion z-test, two-sided at level ``alpha``. It is valid only
    when evaluated *once*, at a sample size fixed in advance (:func:`required_sample_size`).
    Evaluated at every look ("peeking", ``peeking=True``) its type-I error grows with the
    number of looks -- the option exists to demonstrate exactly that.

``sequential`` (:class:`SequentialTest`)
    The mixture sequential probability ratio test (mSPRT) of Johari, Koomen, Pekelis and
    Walsh with a normal mixing distribution, whose always-valid p-value may be monitored
    after every look without inflating the type-I error (Johari, Koomen, Pekelis & Walsh,
    "Peeking at A/B tests: why it matters, and what to do about it", KDD 2017; Johari,
    Pekelis & Walsh, "Always valid inference: continuous monitoring of A/B tests",
    Operations Research 70(3), 2022). This is the test behind Optimizely's Stats Engine.

Only the standard library is used (``math``, ``statistics.NormalDist``), so that the tests
can check these numbers against scipy as an independent implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

__all__ = [
    "DEFAULT_TAU2",
    "Counts",
    "Decision",
    "SequentialTest",
    "TwoProportionTest",
    "make_test",
    "mixture_likelihood_ratio",
    "required_sample_size",
    "two_proportion_p_value",
]

DEFAULT_TAU2 = 1e-4
"""Default mixing variance of the mSPRT: a prior standard deviation of the absolute
difference in conversion rate of 0.01 (one percentage point), the size of effect typically
tested on rates of a few to a few tens of percent. Johari et al. show the mSPRT is
near-optimal when tau^2 matches the spread of effects actually tested; a tau^2 much smaller
than the squared effect delays detection, one much larger costs power at the horizon."""

_STD_NORMAL = NormalDist()


@dataclass(frozen=True)
class Counts:
    """Cumulative conversions and trials (served requests) of arms A and B at one look."""

    conversions_a: int
    trials_a: int
    conversions_b: int
    trials_b: int

    def __post_init__(self) -> None:
        for arm in "ab":
            conversions = getattr(self, f"conversions_{arm}")
            trials = getattr(self, f"trials_{arm}")
            if trials < 0 or conversions < 0 or conversions > trials:
                raise ValueError(
                    f"arm {arm.upper()}: need 0 <= conversions <= trials, "
                    f"got {conversions} conversions in {trials} trials"
                )

    @property
    def rate_a(self) -> float:
        """Observed conversion rate of A (nan before any trial)."""
        return self.conversions_a / self.trials_a if self.trials_a else math.nan

    @property
    def rate_b(self) -> float:
        """Observed conversion rate of B (nan before any trial)."""
        return self.conversions_b / self.trials_b if self.trials_b else math.nan


@dataclass(frozen=True)
class Decision:
    """What one look concludes: stop or go on, and what to report if stopping."""

    stop: bool
    winner: str | None  # "A" | "B" | None (no significant difference)
    p_value: float
    lift: float  # (p_b - p_a) / p_a, nan when p_a == 0 or undefined
    reason: str


def _lift(c: Counts) -> float:
    p_a, p_b = c.rate_a, c.rate_b
    if math.isnan(p_a) or math.isnan(p_b) or p_a == 0.0:
        return math.nan
    return (p_b - p_a) / p_a


def _higher_arm(c: Counts) -> str:
    return "B" if c.rate_b > c.rate_a else "A"


def two_proportion_p_value(c: Counts) -> float:
    """Two-sided p-value of the pooled two-proportion z-test, the fixed-horizon decision rule.

    z = (p_b - p_a) / sqrt(p (1 - p) (1/n_a + 1/n_b)) with the pooled rate
    p = (x_a + x_b) / (n_a + n_b), and p-value = 2 (1 - Phi(|z|)) = erfc(|z| / sqrt 2).
    z^2 equals Pearson's chi-square statistic of the 2x2 table (no continuity correction).
    Returns 1.0 (no evidence) when an arm has no trials or the pooled rate is 0 or 1.
    """
    n_a, n_b = c.trials_a, c.trials_b
    if n_a == 0 or n_b == 0:
        return 1.0
    pooled = (c.conversions_a + c.conversions_b) / (n_a + n_b)
    variance = pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b)
    if variance <= 0.0:
        return 1.0
    z = (c.rate_b - c.rate_a) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2.0))


def required_sample_size(
    p_a: float, mde_relative: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Trials per arm for the fixed-horizon z-test to detect a relative lift, so it looks once.

    Standard formula for comparing two proportions with equal allocation, two-sided level
    ``alpha``, without continuity correction (Fleiss, Levin & Paik, "Statistical Methods for
    Rates and Proportions", 3rd ed., 2003, ch. 4)::

        p_b = p_a (1 + mde_relative),  p_bar = (p_a + p_b) / 2
        n = (z_{1-alpha/2} sqrt(2 p_bar (1 - p_bar))
             + z_{power} sqrt(p_a (1 - p_a) + p_b (1 - p_b)))^2 / (p_b - p_a)^2

    rounded up. The first term is the null (pooled) standard error the test uses, the
    second the standard error under the alternative.
    """
    if not 0.0 < p_a < 1.0:
        raise ValueError(f"p_a must lie in (0, 1), got {p_a}")
    if not 0.0 < alpha < 1.0 or not 0.0 < power < 1.0:
        raise ValueError(f"alpha and power must lie in (0, 1), got {alpha}, {power}")
    p_b = p_a * (1.0 + mde_relative)
    if mde_relative == 0.0 or not 0.0 < p_b < 1.0:
        raise ValueError(f"mde_relative must be non-zero with p_a (1 + mde) in (0, 1), got {p_b}")
    p_bar = (p_a + p_b) / 2.0
    z_alpha = _STD_NORMAL.inv_cdf(1.0 - alpha / 2.0)
    z_power = _STD_NORMAL.inv_cdf(power)
    root = z_alpha * math.sqrt(2.0 * p_bar * (1.0 - p_bar)) + z_power * math.sqrt(
        p_a * (1.0 - p_a) + p_b * (1.0 - p_b)
    )
    return math.ceil(root**2 / (p_b - p_a) ** 2)


def mixture_likelihood_ratio(c: Counts, tau2: float = DEFAULT_TAU2) -> float:
    """Mixture (mSPRT) statistic Lambda for H0: p_a == p_b, the sequential test's evidence.

    Johari et al. (KDD 2017, sec. 4; Operations Research 2022) give, for Bernoulli data with
    n observations per arm and a N(0, tau^2) mixture over the difference theta = p_b - p_a,
    the normal-approximation form::

        Lambda_n = sqrt(V / (V + n tau^2)) exp(n^2 tau^2 d^2 / (2 V (V + n tau^2)))
        d = p_b_hat - p_a_hat,  V = p_a_hat (1 - p_a_hat) + p_b_hat (1 - p_b_hat)

    This is the Gaussian Bayes factor of d ~ N(theta, s^2) with s^2 = V / n. Unequal arms are
    handled by using the variance of the difference of the two means,
    s^2 = p_a_hat (1 - p_a_hat) / n_a + p_b_hat (1 - p_b_hat) / n_b::

        Lambda = sqrt(s^2 / (s^2 + tau^2)) exp(tau^2 d^2 / (2 s^2 (s^2 + tau^2)))

    which reduces exactly to the paper's form when n_a == n_b == n. Returns 1.0 (no
    evidence) when an arm has no trials or s^2 == 0 (every trial in both arms identical).
    """
    if tau2 <= 0.0:
        raise ValueError(f"tau2 must be positive, got {tau2}")
    if c.trials_a == 0 or c.trials_b == 0:
        return 1.0
    p_a, p_b = c.rate_a, c.rate_b
    s2 = p_a * (1.0 - p_a) / c.trials_a + p_b * (1.0 - p_b) / c.trials_b
    if s2 <= 0.0:
        return 1.0
    d = p_b - p_a
    log_lambda = 0.5 * math.log(s2 / (s2 + tau2)) + tau2 * d * d / (2.0 * s2 * (s2 + tau2))
    return math.exp(min(log_lambda, 700.0))  # cap: exp(700) ~ 1e304 is already decisive


class TwoProportionTest:
    """Fixed-horizon pooled z-test: decides once both arms reach ``planned_n`` trials.

    ``planned_n`` should come from :func:`required_sample_size`; with ``planned_n=None`` the
    test decides only at ``final``. At the decision it stops whether or not the difference is
    significant (winner None if not): that single evaluation is what makes alpha its type-I
    error. ``peeking=True`` instead evaluates at every look and stops at the first p <= alpha
    -- the common, invalid practice whose type-I error exceeds alpha, kept to demonstrate it.
    """

    def __init__(self, alpha: float, planned_n: int | None = None, peeking: bool = False):
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
        if planned_n is not None and planned_n < 1:
            raise ValueError(f"planned_n must be >= 1, got {planned_n}")
        self.alpha, self.planned_n, self.peeking = alpha, planned_n, peeking

    def look(self, c: Counts, final: bool) -> Decision:
        """Decide at this look; final=True (maximum duration reached) always stops."""
        p = two_proportion_p_value(c)
        lift = _lift(c)
        significant = p <= self.alpha
        planned = self.planned_n is not None and min(c.trials_a, c.trials_b) >= self.planned_n
        if self.peeking and significant and not (planned or final):
            return Decision(True, _higher_arm(c), p, lift, "significant at a peek (invalid)")
        if planned or final:
            when = "planned sample size reached" if planned else "maximum duration reached"
            if significant:
                return Decision(True, _higher_arm(c), p, lift, f"{when}: significant")
            return Decision(True, None, p, lift, f"{when}: no significant difference")
        return Decision(False, None, p, lift, "waiting for the planned sample size")


class SequentialTest:
    """Always-valid mSPRT: may be looked at any number of times at level ``alpha``.

    Keeps the always-valid p-value p_n = min(p_{n-1}, 1 / Lambda_n), p_0 = 1, across looks
    (Johari et al. 2022, sec. 3) and stops at the first look with p_n <= alpha, i.e.
    Lambda_n >= 1 / alpha; by Ville's inequality on the mixture martingale Lambda the chance
    of ever stopping under H0 is at most alpha. The winner is the arm with the higher
    observed rate at the look that crossed the boundary and stays fixed afterwards. Use one
    instance per experiment; ``tau2`` is the mixing variance (default :data:`DEFAULT_TAU2`).

    Anytime validity rests on the normal approximation (reasonable once each arm has some
    tens of conversions; a small tau2 makes early looks conservative) and, for unequal arms,
    on a roughly stable allocation ratio.
    """

    def __init__(self, alpha: float, tau2: float | None = None):
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
        self.alpha = alpha
        self.tau2 = DEFAULT_TAU2 if tau2 is None else tau2
        if self.tau2 <= 0.0:
            raise ValueError(f"tau2 must be positive, got {self.tau2}")
        self.p_value = 1.0
        self.winner: str | None = None

    def look(self, c: Counts, final: bool) -> Decision:
        """Update the always-valid p-value with these counts and decide; final=True stops."""
        self.p_value = min(self.p_value, 1.0 / mixture_likelihood_ratio(c, self.tau2))
        lift = _lift(c)
        if self.p_value <= self.alpha:
            if self.winner is None:
                self.winner = _higher_arm(c)
            return Decision(True, self.winner, self.p_value, lift, "always-valid p <= alpha")
        if final:
            reason = "maximum duration reached: no significant difference"
            return Decision(True, None, self.p_value, lift, reason)
        return Decision(False, None, self.p_value, lift, "not yet significant")


def make_test(kind: str, alpha: float, **kw) -> TwoProportionTest | SequentialTest:
    """Build the stopping rule a scenario names, so the strategy needs no per-kind code.

    ``kind`` is ``"two_proportion"`` (keywords ``planned_n``, ``peeking``) or
    ``"sequential"`` (keyword ``tau2``).
    """
    if kind == "two_proportion":
        return TwoProportionTest(alpha, **kw)
    if kind == "sequential":
        return SequentialTest(alpha, **kw)
    raise ValueError(f"unknown test kind {kind!r}; expected 'two_proportion' or 'sequential'")
