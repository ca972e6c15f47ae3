"""The statistics every analysis shares, and its one kind of user error.

Summary metrics as numbers, Student-t intervals, Welch's test for differences, one-sided
bounds and Wilson's interval for proportions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student-t quantiles, without importing scipy.stats

from simulator.errors import UserError

CONFIDENCE = 0.95
"""The confidence of every interval unless told otherwise."""


class ExperimentError(UserError):
    """An experiment or question that cannot be set up as asked: the message says what to give.

    A field path that does not exist, no strategy to compare, no limit to hold a metric to.
    """



def numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """The summary metrics that can be averaged (booleans become 0/1, None becomes NaN).

    The outcome becomes two rates, `promoted` and `rolled_back`.
    """
    out = {}
    if "outcome" in frame:
        for outcome in ("promoted", "rolled_back"):
            out[outcome] = (frame["outcome"] == outcome).astype(float)
    for column in frame.columns:
        if column in ("arm", "point", "replication", "seed", "wall_s", "requests_per_s"):
            continue
        values = frame[column]
        if values.map(lambda v: v is None or isinstance(v, bool | int | float)).all():
            converted = pd.to_numeric(values.astype(object).where(values.notna()), "coerce")
            if converted.notna().any():
                out[column] = converted.astype(float)
    return pd.DataFrame(out, index=frame.index)


def interval(values: Iterable[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replications (NaN dropped)."""
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = stdtrit(len(x) - 1, 0.5 + confidence / 2) * x.std(ddof=1) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def summarize(frame: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.Series:
    """M_mean, M_ci_low, M_ci_high for every numeric summary metric M."""
    out: dict[str, float] = {}
    for column, values in numeric(frame).items():
        out[f"{column}_mean"], out[f"{column}_ci_low"], out[f"{column}_ci_high"] = interval(
            values, confidence
        )
    return pd.Series(out)


def welch(a: pd.Series, b: pd.Series, confidence: float) -> tuple[float, float]:
    """Welch's interval for mean(a) - mean(b) from independent samples."""
    if len(a) < 2 or len(b) < 2:
        return math.nan, math.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        d = float(a.mean() - b.mean())
        return d, d
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = stdtrit(dof, 0.5 + confidence / 2) * se
    d = float(a.mean() - b.mean())
    return d - half, d + half


def one_sided(values: Any, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and one-sided Student-t bounds: P(mean <= upper) = confidence (likewise lower).

    A one-sided bound at `confidence` is one end of the two-sided interval at
    2 confidence - 1, so it reuses `experiments.interval`.
    """
    if not 0.5 < confidence < 1:
        raise ExperimentError(f"confidence must be in (0.5, 1), got {confidence!r}")
    return interval(values, 2 * confidence - 1)


def wilson(
    successes: int, trials: int, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Share and Wilson score interval; unlike p +- z se it stays in [0, 1] at 0 or n of n."""
    if trials <= 0:
        return math.nan, math.nan, math.nan
    from scipy import stats  # heavy: loaded only when a proportion is asked for

    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return p, max(0.0, centre - half), min(1.0, centre + half)
