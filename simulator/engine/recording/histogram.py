"""Log-spaced latency histograms: 1% wide bins from 1 microsecond, stored over the range in use.

Bin 0 holds values up to 1 us (and zero); bin b >= 1 holds [1e-6 * 1.01^(b-1),
1e-6 * 1.01^b) seconds; the last bin also holds everything above (about 47 hours). A run
keeps its per-period histograms only over the bins its latencies have reached so far
(`first` and the width of the array), since a real workload touches a few hundred of
the 2,600: the recorder widens the range when a latency falls outside it.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.engine.jit import compiled

LO, RATIO, BINS = 1e-6, 1.01, 2600
INV_LOG = 1.0 / math.log(RATIO)


def to_bin(x: np.ndarray) -> np.ndarray:
    """Histogram bin of each latency (an array)."""
    with np.errstate(divide="ignore"):
        b = np.floor(np.log(np.maximum(x, LO) / LO) * INV_LOG).astype(np.int64) + 1
    b[x <= LO] = 0
    return np.minimum(b, BINS - 1)


@compiled(inline=True)
def bin_of(x):
    """Histogram bin of one latency, as `to_bin` computes it."""
    if x <= LO:
        return 0
    return min(int(math.floor(math.log(x / LO) * INV_LOG)) + 1, BINS - 1)


MIDDLES = np.array([0.0] + [LO * RATIO ** (b - 0.5) for b in range(1, BINS)])
ROWS = 256  # histogram rows cumulated at once: bounds the temporaries at a few MB


def quantile(hist: np.ndarray, q: float, first: int = 0) -> float:
    """The q-quantile of a histogram, at the geometric middle of its bin (within 0.5%)."""
    return float(quantiles(hist[None, :], (q,), first)[0, 0])


def quantiles(hist: np.ndarray, qs: tuple[float, ...], first: int = 0) -> np.ndarray:
    """The q-quantiles of every row of a [rows, bins] histogram: shape [len(qs), rows].

    The columns are bins first, first + 1, ...; a row with no request has NaN
    quantiles; bin 0 (up to 1 us) reads as 0.
    """
    out = np.empty((len(qs), len(hist)))
    middles = MIDDLES[first : first + hist.shape[1]]
    if hist.shape[1] == 0:
        out[:] = np.nan
        return out
    for r0 in range(0, len(hist), ROWS):
        cum = np.cumsum(hist[r0 : r0 + ROWS], axis=1, dtype=np.int64)
        total = cum[:, -1]
        for i, q in enumerate(qs):
            b = np.count_nonzero(cum < (q * total)[:, None], axis=1)  # searchsorted, per row
            b = np.minimum(b, len(middles) - 1)
            out[i, r0 : r0 + ROWS] = np.where(total > 0, middles[b], np.nan)
    return out
