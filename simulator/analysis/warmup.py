"""Warm-up (initial-transient) detection for simulation output.

A simulation started empty -- no requests queued, every worker idle -- is biased early on:
the first periods see shorter waits than the steady state does. Statistics meant to
describe the steady state should drop that warm-up, and this module says how much to drop.

MSER and MSER-5
    The marginal standard error rule of White (K. P. White Jr., "An effective truncation
    heuristic for bias reduction in simulation output", Simulation 69(6), 1997), compared
    with other rules by White, Cobb & Spratt ("A comparison of five steady-state truncation
    heuristics for simulation", Proceedings of the 2000 Winter Simulation Conference). For a
    series Y_1..Y_n it picks the truncation d* minimising

        MSER(d) = 1 / (n - d)^2 * sum_{i=d+1}^{n} (Y_i - Ybar(d))^2,
        Ybar(d) = mean(Y_{d+1}, ..., Y_n),

    i.e. the squared width of the marginal confidence interval of the truncated mean (up to
    a constant): dropping biased early data narrows it, dropping good data widens it.
    MSER-5 (Spratt's 1998 thesis, the variant tested by White, Cobb & Spratt) applies the rule
    to the means of non-overlapping batches of 5 observations rather than to the raw series,
    which smooths out single noisy observations. Hoad, Robinson & Davies ("Automating warm-up
    length estimation", J. Operational Research Society 61(9), 2010) found MSER-5 the most
    robust of the many warm-up rules they tested. Near the end of a series MSER(d) is computed
    from a handful of points and can be spuriously small (it is 0 for a single point), so a
    minimum in the second half is not trusted: following the literature only d < n/2 is
    considered here, and a series whose transient really lasts more than half of it is
    simply too short -- run longer.

Welch's method
    The graphical procedure of P. D. Welch (1983), as given in Law's "Simulation Modeling
    and Analysis": average each period across independent replications, smooth that series
    with a centred moving average, and look for where the curve flattens out. :func:`welch`
    returns the smoothed curve, for a person (or a plot) to judge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Truncation", "mser", "mser5", "warmup_time", "welch"]


@dataclass(frozen=True)
class Truncation:
    """Where MSER says the warm-up ends, and the statistic it minimised to say so.

    ``index`` counts observations of the *input* series (not batches), NaN entries included,
    so that ``series[index:]`` is the part to keep. ``statistic[d]`` is MSER(d) for dropping
    the first ``d`` batch means (of the series with NaNs removed), for every ``d`` considered
    (``0 <= d < n/2`` for ``n`` batches); it is empty when the series has fewer than two
    batches.
    """

    index: int
    batch_size: int
    statistic: np.ndarray


def _batch_means(values: np.ndarray, batch_size: int) -> np.ndarray:
    """Means of consecutive non-overlapping batches; an incomplete last batch is dropped."""
    k = len(values) // batch_size
    return values[: k * batch_size].reshape(k, batch_size).mean(axis=1)


def _mser_statistic(y: np.ndarray) -> np.ndarray:
    """MSER(d) for d = 0 .. ceil(n/2) - 1, by reverse cumulative sums (O(n))."""
    n = len(y)
    z = y - y.mean()  # centring keeps the sum-of-squares subtraction from cancelling
    s1 = np.cumsum(z[::-1])[::-1]  # s1[d] = sum of z[d:]
    s2 = np.cumsum((z * z)[::-1])[::-1]
    m = np.arange(n, 0, -1, dtype=float)  # n - d
    ss = np.maximum(s2 - s1 * s1 / m, 0.0)
    considered = (n + 1) // 2  # d < n/2
    return ss[:considered] / m[:considered] ** 2


def mser(series, batch_size: int = 5) -> Truncation:
    """Find where a run's warm-up ends by White's MSER rule on batch means of `batch_size`.

    NaN entries are dropped before batching: a NaN is a period with nothing to measure
    (in the per-period metrics, one where no request finished), not a value. The returned
    index is mapped back to positions of the input, so it is the position of the first
    observation kept (0 when nothing is truncated). A series with fewer than two complete
    batches (after dropping NaNs) has no truncation worth computing: the index is 0 and the
    statistic empty. Ties between truncations go to the smallest. Infinite values raise
    ValueError, as does anything but a one-dimensional series.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise TypeError(f"batch_size must be an int, not {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    values = np.asarray(series, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"series must be one-dimensional, not of shape {values.shape}")
    if np.isinf(values).any():
        raise ValueError("series has infinite values")
    present = np.flatnonzero(~np.isnan(values))
    y = _batch_means(values[present], batch_size)
    if len(y) < 2:
        return Truncation(0, int(batch_size), np.empty(0))
    statistic = _mser_statistic(y)
    d = int(np.argmin(statistic))  # first minimum: the smallest truncation on ties
    index = 0 if d == 0 else int(present[d * batch_size])
    return Truncation(index, int(batch_size), statistic)


def mser5(series) -> Truncation:
    """Find where a run's warm-up ends by MSER-5, the batch-of-5 variant recommended in use."""
    return mser(series, batch_size=5)


def _infer_period(times: np.ndarray) -> float:
    """The monitoring period from the start times of consecutive periods."""
    if len(times) < 2:
        raise ValueError("cannot infer the period from fewer than two periods; pass period=")
    steps = np.diff(times)
    if not np.allclose(steps, steps[0], rtol=1e-9, atol=1e-9) or steps[0] <= 0:
        raise ValueError("time_s is not evenly spaced; pass period=")
    return float(steps[0])


def warmup_time(
    metrics: pd.DataFrame, column: str = "latency_mean_ms", period: float | None = None
) -> float:
    """Seconds of a run's start to discard as warm-up, by MSER-5 on one per-period metric.

    `metrics` is a simulation result's ``metrics`` frame (one row per period and version).
    Versions are combined per period by the Invocations-weighted mean of `column`, skipping
    rows whose value is NaN or whose weight is 0; a period with no weight left is NaN and
    MSER-5 skips it (see :func:`mser`). The answer is the number of periods truncated
    times the period length, which is inferred from the spacing of ``time_s`` when not given.
    Invocations count every outcome (errors and rejections too), so for latency columns,
    which average completed requests only, the weights are exact only for an error-free run.
    """
    missing = {"period", "time_s", "Invocations", column} - set(metrics.columns)
    if missing:
        raise KeyError(f"metrics lacks columns {sorted(missing)}")
    if period is not None and not period > 0:
        raise ValueError(f"period must be positive, not {period}")
    value = metrics[column].to_numpy(dtype=float)
    weight = metrics["Invocations"].to_numpy(dtype=float)
    usable = ~np.isnan(value) & (weight > 0)
    frame = pd.DataFrame(
        {
            "period": metrics["period"].to_numpy(),
            "time_s": metrics["time_s"].to_numpy(dtype=float),
            "wx": np.where(usable, weight * np.where(usable, value, 0.0), 0.0),
            "w": np.where(usable, weight, 0.0),
        }
    )
    per = frame.groupby("period", sort=True).agg(
        time_s=("time_s", "first"), wx=("wx", "sum"), w=("w", "sum")
    )
    w = per["w"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        series = np.where(w > 0, per["wx"].to_numpy() / w, np.nan)
    length = _infer_period(per["time_s"].to_numpy()) if period is None else float(period)
    return mser5(series).index * length


def welch(series_by_replication: np.ndarray, window: int) -> np.ndarray:
    """Smooth the across-replication mean series so a person can see where it levels off.

    `series_by_replication` is (replications, periods); a 1-D array is one replication.
    With Ybar the mean over replications of each of the m periods and w = `window`, the
    result has m - w points (Law's formulation of Welch's procedure), 1-based i:

        i = 1..w:      mean of the 2i - 1 values Ybar_1 .. Ybar_{2i-1} (centred on i)
        i = w+1..m-w:  mean of the 2w + 1 values Ybar_{i-w} .. Ybar_{i+w}

    so near the start the window shrinks to stay centred, and the last w periods, for which
    no full centred window exists, are left out. ``window=0`` returns Ybar itself. A NaN
    spoils only the points whose window holds it. Law suggests w <= m/4; any 0 <= w < m is accepted.
    """
    data = np.asarray(series_by_replication, dtype=float)
    if data.ndim == 1:
        data = data[np.newaxis, :]
    if data.ndim != 2 or data.shape[0] == 0:
        raise ValueError(f"expected (replications, periods), got shape {data.shape}")
    m = data.shape[1]
    if isinstance(window, bool) or not isinstance(window, int | np.integer):
        raise TypeError(f"window must be an int, not {type(window).__name__}")
    if not 0 <= window < m:
        raise ValueError(f"window must be in [0, {m}) for {m} periods, not {window}")
    ybar = data.mean(axis=0)
    head = [ybar[: 2 * i - 1].mean() for i in range(1, min(window, m - window) + 1)]
    width = 2 * window + 1
    body = (
        np.lib.stride_tricks.sliding_window_view(ybar, width).mean(axis=1)
        if width <= m
        else np.empty(0)
    )
    return np.concatenate((np.asarray(head, dtype=float), body))
