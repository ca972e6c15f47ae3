"""Recorded traffic: replaying arrival times, or per-bin counts, read from CSV files.

Both are arrival processes like those of `traffic.py` (spans move forward, and the
realisation does not depend on where spans end); `load_trace` reads and checks the file.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .traffic import _BLOCK, ArrivalProcess, _Buffered, _generator, _number


class TraceTimestamps(ArrivalProcess):
    """Replays recorded arrival times (seconds from 0, sorted), `speedup` times faster."""

    def __init__(self, times, speedup: float = 1.0):
        t = np.array(times, dtype=np.float64).ravel()
        bad = np.flatnonzero(~np.isfinite(t) | (t < 0))
        if bad.size:
            i = bad[0]
            raise ValueError(f"TraceTimestamps: times must be finite and >= 0; times[{i}] = {t[i]}")
        down = np.flatnonzero(np.diff(t) < 0)
        if down.size:
            i = down[0] + 1
            raise ValueError(f"TraceTimestamps: times must be sorted; times[{i}] < times[{i - 1}]")
        self.speedup = _number("TraceTimestamps", "speedup", speedup)
        self.times = t / self.speedup
        end = self.times[-1] if t.size else 0.0
        # over the trace's extent; a trace all at time 0 counts as lasting 1 s (finite)
        self.mean_rate = t.size / end if end > 0 else float(t.size)

    def rate_at(self, t, window: float = 60.0):
        """Return arrivals per second in a `window`-second window centred on t (for plots)."""
        t = np.asarray(t, dtype=np.float64)
        return (self._before(t + window / 2) - self._before(t - window / 2)) / window

    def expected_count(self, t0, t1):
        """Return the number of trace arrivals in [t0, t1)."""
        return float(self._before(t1) - self._before(t0))

    def _before(self, t):
        return np.searchsorted(self.times, t).astype(np.float64)

    def _arrivals(self, t0, t1):
        i0, i1 = np.searchsorted(self.times, [t0, t1])
        return self.times[i0:i1].copy()


class TraceCounts(_Buffered):
    """Replays requests per bin (per minute, Azure Functions style), uniform within a bin.

    Bin j covers [j*bin_s, (j+1)*bin_s); after the last bin the traffic stops.
    """

    def __init__(self, counts, bin_s: float = 60.0, rng: np.random.Generator | None = None):
        c = np.array(counts, dtype=np.float64).ravel()
        bad = np.flatnonzero(~np.isfinite(c) | (c < 0) | (c != np.round(c)))
        if bad.size:
            i = bad[0]
            raise ValueError(
                f"TraceCounts: counts must be whole numbers >= 0; counts[{i}] = {c[i]}"
            )
        if c.size == 0:
            raise ValueError("TraceCounts: counts must hold at least one bin, got none")
        self.counts = c.astype(np.int64)
        self.bin_s = _number("TraceCounts", "bin_s", bin_s)
        self._rng = _generator("TraceCounts", rng)
        self.mean_rate = float(self.counts.sum()) / (self.counts.size * self.bin_s)
        self._bins = int(max(1, _BLOCK // max(1.0, math.ceil(self.counts.mean()))))
        self._cum = np.concatenate(([0], np.cumsum(self.counts)))

    def rate_at(self, t):
        """Return the bin's count over the bin width (0 outside the trace)."""
        j = np.floor(np.asarray(t, dtype=np.float64) / self.bin_s)
        inside = (j >= 0) & (j < self.counts.size)
        return (
            np.where(inside, self.counts[np.where(inside, j, 0).astype(np.int64)], 0) / self.bin_s
        )

    def expected_count(self, t0, t1):
        """Return the integral of the binned rate over [t0, t1)."""
        return float(self._before(t1) - self._before(t0))

    def _before(self, t):
        x = np.clip(np.asarray(t, dtype=np.float64) / self.bin_s, 0, self.counts.size)
        j = np.minimum(np.floor(x).astype(np.int64), self.counts.size - 1)
        return self._cum[j] + (x - j) * self.counts[j]

    def _start(self, t0):
        self._j = max(0, math.floor(t0 / self.bin_s))

    def _extend(self):
        j0, j1 = self._j, min(self._j + self._bins, self.counts.size)
        if j0 >= self.counts.size:
            return np.empty(0), math.inf
        self._j = j1
        idx = np.arange(j0, j1)
        c = self.counts[idx]
        t = np.repeat(idx * self.bin_s, c) + self.bin_s * self._rng.random(int(c.sum()))
        t = np.minimum(t, np.nextafter(np.repeat((idx + 1) * self.bin_s, c), -np.inf))
        t.sort()
        return t, j1 * self.bin_s


def load_trace(path, kind: str, column: str | None = None) -> np.ndarray:
    """Read a trace CSV (with a header): arrival timestamps or per-bin counts.

    Timestamps are numbers (seconds) or ISO 8601 datetimes, returned as seconds from the
    earliest, sorted. Counts are whole numbers >= 0, returned as int64. `column`
    defaults to the first column. Bad data raises ValueError naming file, column, row.
    """
    if kind not in ("timestamps", "counts"):
        raise ValueError(f"load_trace: kind must be 'timestamps' or 'counts', got {kind!r}")
    try:
        df = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as e:
        raise ValueError(f"trace {path}: not a readable CSV ({e})") from None
    if df.shape[1] == 0 or len(df) == 0:
        raise ValueError(f"trace {path}: no data rows")
    col = df.columns[0] if column is None else column
    if col not in df.columns:
        raise ValueError(f"trace {path}: no column {col!r}; columns are {list(df.columns)}")
    raw = df[col]

    def check(bad: np.ndarray, expected: str) -> None:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"trace {path}, column {col!r}, data row {i + 1}: "
                f"expected {expected}, got {raw.iloc[i]!r}"
            )

    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    if kind == "counts":
        check(~np.isfinite(num) | (num < 0) | (num != np.round(num)), "a whole number >= 0")
        return num.astype(np.int64)
    if np.isfinite(num[0]):
        check(~np.isfinite(num) | (num < 0), "a number of seconds >= 0")
        return np.sort(num)
    dt = pd.to_datetime(raw, errors="coerce", utc=True, format="ISO8601")
    check(dt.isna().to_numpy(), "an ISO 8601 datetime such as 2024-05-01T12:00:00Z")
    return np.sort((dt - dt.min()).dt.total_seconds().to_numpy(dtype=np.float64))
