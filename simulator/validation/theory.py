"""Closed-form queueing results the simulator is validated against.

Notation follows Kleinrock (Queueing Systems, vol. 1) and Gross & Harris (Fundamentals of
Queueing Theory): arrivals at rate ``lam`` (requests per second), exponential service at
rate ``mu`` per server (so mean service time ``1 / mu`` seconds), ``c`` identical servers,
offered load ``a = lam / mu`` (Erlangs) and utilisation ``rho = a / c``. Every wait is the
time spent queueing before service starts (``Wq``), in seconds.

Everything here is computed in a numerically stable way: Erlang B by its recursion (all
intermediate values lie in [0, 1], so it neither overflows nor loses precision for
thousands of servers) and the finite-buffer M/M/c/K distribution in log space.
"""

from __future__ import annotations

import math
import operator

import numpy as np
from scipy.special import gammaln, logsumexp

__all__ = [
    "erlang_b",
    "erlang_c",
    "littles_law_gap",
    "md1_mean_wait",
    "mg1_mean_wait",
    "min_servers_for_wait",
    "mmc_mean_wait",
    "mmc_wait_quantile",
    "mmc_wait_tail",
    "mmck_blocking",
    "mmck_mean_wait",
]


# ----------------------------------------------------------------------------- checks


def _count(name: str, value: int, minimum: int) -> int:
    """Return ``value`` as an int, or raise ValueError naming ``name``."""
    try:
        n = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {n}")
    return n


def _nonnegative(name: str, value: float) -> float:
    """Return ``value`` as a finite float >= 0, or raise ValueError naming ``name``."""
    x = float(value)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return x


def _positive(name: str, value: float) -> float:
    """Return ``value`` as a finite float > 0, or raise ValueError naming ``name``."""
    x = float(value)
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return x


def _mmc_args(lam: float, mu: float, c: int) -> tuple[float, float, int]:
    """Validate M/M/c parameters and require stability (``lam < c * mu``)."""
    lam = _nonnegative("lam", lam)
    mu = _positive("mu", mu)
    c = _count("c", c, 1)
    if lam >= c * mu:
        raise ValueError(
            f"lam={lam} makes the M/M/c queue unstable: rho = lam / (c * mu) = "
            f"{lam / (c * mu):.6g} must be < 1 (mu={mu}, c={c})"
        )
    return lam, mu, c


# ----------------------------------------------------------------------------- Erlang


def _erlang_b_step(k: int, a: float, b_prev: float) -> float:
    """One step of the Erlang B recursion: B(k, a) from B(k - 1, a)."""
    return a * b_prev / (k + a * b_prev)


def _erlang_c_from_b(c: int, a: float, b: float) -> float:
    """Erlang C from Erlang B with the same ``c`` and ``a`` (requires ``a < c``)."""
    return c * b / (c - a * (1.0 - b))


def erlang_b(c: int, a: float) -> float:
    """Erlang B: probability that an arrival is blocked in the M/M/c/c loss system.

    ``a = lam / mu`` is the offered load in Erlangs. The result is insensitive to the
    service-time distribution (it holds for M/G/c/c). Computed with the recursion
    ``B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))``, which is stable for any ``c``.
    """
    c = _count("c", c, 0)
    a = _nonnegative("a", a)
    b = 1.0
    for k in range(1, c + 1):
        b = _erlang_b_step(k, a, b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability that an arrival has to wait in the M/M/c queue.

    ``a = lam / mu`` is the offered load in Erlangs; the queue is stable only if
    ``a < c``. Uses ``C = c B / (c - a (1 - B))`` with ``B`` the Erlang B probability.
    """
    c = _count("c", c, 1)
    a = _nonnegative("a", a)
    if a >= c:
        raise ValueError(f"a={a} must be < c={c} for a stable M/M/c queue (Erlang C)")
    return _erlang_c_from_b(c, a, erlang_b(c, a))


# ----------------------------------------------------------------------------- M/M/c


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue ``Wq = C(c, a) / (c mu - lam)`` of the M/M/c queue, seconds."""
    lam, mu, c = _mmc_args(lam, mu, c)
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_wait_tail(lam: float, mu: float, c: int, t: float) -> float:
    """``P(Wq > t) = C(c, a) exp(-(c mu - lam) t)`` for the FCFS M/M/c queue, ``t >= 0``.

    For ``t < 0`` the probability is 1 (every wait is >= 0).
    """
    lam, mu, c = _mmc_args(lam, mu, c)
    t = float(t)
    if math.isnan(t):
        raise ValueError("t must be a number, got nan")
    if t < 0:
        return 1.0
    return erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t)


def _quantile_from_c(lam: float, mu: float, c: int, erlang_c_value: float, q: float) -> float:
    """Wait quantile of the M/M/c queue given its Erlang C probability."""
    if q <= 1.0 - erlang_c_value:
        return 0.0
    if q >= 1.0:
        return math.inf
    return math.log(erlang_c_value / (1.0 - q)) / (c * mu - lam)


def mmc_wait_quantile(lam: float, mu: float, c: int, q: float) -> float:
    """Return the ``q``-quantile of the FCFS M/M/c wait in queue, seconds.

    Inverts ``P(Wq > t) = C exp(-(c mu - lam) t)``: the answer is 0 when
    ``q <= 1 - C`` (the atom at zero covers it), and ``inf`` for ``q = 1``.
    """
    lam, mu, c = _mmc_args(lam, mu, c)
    q = float(q)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q!r}")
    return _quantile_from_c(lam, mu, c, erlang_c(c, lam / mu), q)


# ----------------------------------------------------------------------------- M/G/1


def mg1_mean_wait(lam: float, mean: float, second_moment: float) -> float:
    """Pollaczek-Khinchine mean wait in queue of the M/G/1 queue, seconds.

    ``Wq = lam E[S^2] / (2 (1 - rho))`` with ``rho = lam E[S]``; ``mean`` is ``E[S]``
    and ``second_moment`` is ``E[S^2]`` (seconds squared), which must be >= ``mean**2``.
    """
    lam = _nonnegative("lam", lam)
    mean = _positive("mean", mean)
    second_moment = _nonnegative("second_moment", second_moment)
    if second_moment < mean * mean * (1.0 - 1e-12):
        raise ValueError(
            f"second_moment={second_moment} must be >= mean**2 = {mean * mean} "
            "(a variance cannot be negative)"
        )
    rho = lam * mean
    if rho >= 1.0:
        raise ValueError(
            f"lam={lam} makes the M/G/1 queue unstable: rho = lam * mean = {rho:.6g} must be < 1"
        )
    return lam * second_moment / (2.0 * (1.0 - rho))


def md1_mean_wait(lam: float, d: float) -> float:
    """Mean wait in queue of the M/D/1 queue with constant service time ``d`` seconds.

    Half the M/M/1 value at the same load: ``rho d / (2 (1 - rho))``.
    """
    d = _positive("d", d)
    return mg1_mean_wait(lam, d, d * d)


# ----------------------------------------------------------------------------- M/M/c/K


def _mmck_log_weights(a: float, c: int, k_wait: int) -> np.ndarray:
    """Unnormalised log-probabilities of n = 0 .. c + k_wait requests in M/M/c/(c+k).

    ``p_n ~ a^n / n!`` for ``n <= c`` and ``p_n ~ a^c / c! (a / c)^(n - c)`` above.
    """
    n = np.arange(c + k_wait + 1, dtype=float)
    log_a = math.log(a)
    below = n[: c + 1] * log_a - gammaln(n[: c + 1] + 1.0)
    above = below[-1] + (n[c + 1 :] - c) * (log_a - math.log(c))
    return np.concatenate([below, above])


def _mmck_args(lam: float, mu: float, c: int, k_wait: int) -> tuple[float, float, int, int]:
    """Validate M/M/c/K parameters (no stability requirement: the buffer is finite)."""
    return (
        _nonnegative("lam", lam),
        _positive("mu", mu),
        _count("c", c, 1),
        _count("k_wait", k_wait, 0),
    )


def mmck_blocking(lam: float, mu: float, c: int, k_wait: int) -> float:
    """Blocking probability of M/M/c with ``k_wait`` waiting places (capacity ``c + k_wait``).

    By PASTA it is the stationary probability that the system is full. ``k_wait = 0`` is
    the Erlang B loss system. Costs O(c + k_wait) time and memory.
    """
    lam, mu, c, k_wait = _mmck_args(lam, mu, c, k_wait)
    if lam == 0.0:
        return 0.0
    log_p = _mmck_log_weights(lam / mu, c, k_wait)
    return float(math.exp(log_p[-1] - logsumexp(log_p)))


def mmck_mean_wait(lam: float, mu: float, c: int, k_wait: int) -> float:
    """Mean wait in queue of the requests ADMITTED to M/M/c/(c + k_wait), seconds.

    Little's law on the queue with the admitted rate ``lam (1 - P_block)``:
    ``Wq = Lq / (lam (1 - P_block))``. Rejected requests do not count.
    """
    lam, mu, c, k_wait = _mmck_args(lam, mu, c, k_wait)
    if lam == 0.0 or k_wait == 0:
        return 0.0
    log_p = _mmck_log_weights(lam / mu, c, k_wait)
    queued = np.arange(1, k_wait + 1, dtype=float)  # requests waiting in states c+1 .. c+k
    log_lq_unnormalised = logsumexp(np.log(queued) + log_p[c + 1 :])
    # lam (1 - P_block) Wq = Lq; the normalising constant cancels between the two sides.
    log_admitted_unnormalised = logsumexp(log_p[:-1])
    return float(math.exp(log_lq_unnormalised - log_admitted_unnormalised) / lam)


# ----------------------------------------------------------------------------- checks on runs


def littles_law_gap(mean_in_system: float, lam_effective: float, mean_sojourn: float) -> float:
    """Relative gap ``|L - lam W| / L`` of Little's law for a measured system.

    ``mean_in_system`` is the time-average number present ``L``, ``lam_effective`` the
    rate of requests that actually entered (per second) and ``mean_sojourn`` their mean
    time in the system ``W`` (seconds). Returns 0 for an empty system (``L = lam W = 0``)
    and ``inf`` if ``L = 0`` but ``lam W > 0``.
    """
    big_l = _nonnegative("mean_in_system", mean_in_system)
    lam_w = _nonnegative("lam_effective", lam_effective) * _nonnegative(
        "mean_sojourn", mean_sojourn
    )
    if big_l == 0.0:
        return 0.0 if lam_w == 0.0 else math.inf
    return abs(big_l - lam_w) / big_l


# ----------------------------------------------------------------------------- planning


def min_servers_for_wait(
    lam: float, mu: float, target_wait: float, quantile: float | None = None
) -> int:
    """Smallest number of servers ``c`` whose M/M/c queue meets a wait target.

    With ``quantile=None`` the target is on the mean wait in queue (``Wq <= target_wait``
    seconds, so ``target_wait`` must be > 0); with ``quantile=q`` it is on the
    ``q``-quantile of the wait (``mmc_wait_quantile(lam, mu, c, q) <= target_wait``).
    Only stable configurations (``c > lam / mu``) qualify; at ``lam = 0`` one server is
    enough. Both measures decrease in ``c``, so the first ``c`` that meets the target
    is the answer; Erlang B is carried along the search so it costs O(c) in total.
    """
    lam = _nonnegative("lam", lam)
    mu = _positive("mu", mu)
    target_wait = _nonnegative("target_wait", target_wait)
    if quantile is None:
        if target_wait == 0.0 and lam > 0.0:
            raise ValueError("target_wait must be > 0 for a mean-wait target (Wq > 0 if lam > 0)")
    else:
        quantile = float(quantile)
        if not 0.0 < quantile < 1.0:
            raise ValueError(f"quantile must be in (0, 1), got {quantile!r}")
    if lam == 0.0:
        return 1
    a = lam / mu
    c, b = 0, 1.0
    while True:
        c += 1
        b = _erlang_b_step(c, a, b)
        if a >= c:
            continue
        erlang_c_value = _erlang_c_from_b(c, a, b)
        if quantile is None:
            wait = erlang_c_value / (c * mu - lam)
        else:
            wait = _quantile_from_c(lam, mu, c, erlang_c_value, quantile)
        if wait <= target_wait:
            return c
