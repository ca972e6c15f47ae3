"""Recorded traffic: replaying arrival times, or per-bin counts, read from CSV files.

Both are arrival processes like those of `traffic.py` (spans move forward, and the
realisation does not depend on where spans end); `locate` decides whether a path may be
read as a trace, and `load_trace` reads and checks the file without ever quoting it.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulator import userfiles
from simulator.limits import MAX_RATE, MAX_SECONDS
from simulator.sampling.arguments import generator, number
from simulator.sampling.traffic import _BLOCK, ArrivalProcess, _Buffered
from simulator.userfiles import brief

MAX_TRACE_BYTES = 64 * 2**20
"""Largest trace file read: about four million timestamps; recorded traffic is resampled
into counts per minute long before it is this big."""

MAX_COUNT = MAX_RATE * 60
"""Most requests in a one-minute bin: the schema's highest rate for a whole minute."""


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
        self.speedup = number("TraceTimestamps", "speedup", speedup)
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
        self.bin_s = number("TraceCounts", "bin_s", bin_s)
        self._rng = generator("TraceCounts", rng)
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


def locate(path: str, base: Path, allowed: Sequence[str | Path] | None = None) -> Path:
    """The absolute path of a trace, if it may be read: a .csv file inside `allowed` folders.

    `path` is relative to `base` (the scenario's folder). It is resolved (`..` and
    symbolic links followed) before it is compared with the allowed folders, so nothing
    leads out of them; a path outside them is refused without saying whether it exists.
    `allowed` None allows any folder (the CLI on the user's own machine).
    """
    full = (base / Path(path).expanduser()).resolve()
    if allowed is not None:
        folders = [Path(folder).expanduser().resolve() for folder in allowed]
        if not any(full.is_relative_to(folder) for folder in folders):
            shown = ", ".join(str(folder) for folder in folders) or "none"
            raise ValueError(f"trace {brief(path)} is outside the folders traces may be read "
                             f"from ({shown})")  # fmt: skip
    if full.suffix.lower() != ".csv":
        raise ValueError(f"a trace must be a .csv file; {brief(path)} is not")
    if not full.is_file():
        raise ValueError(f"trace file not found: {full}")
    return full


def load_trace(path, kind: str, column: str | None = None) -> np.ndarray:
    """Read a trace CSV (with a header): arrival timestamps or per-bin counts.

    Timestamps are numbers (seconds) or ISO 8601 datetimes, in order; datetimes are
    returned as seconds from the first. Counts are whole numbers >= 0 per minute,
    returned as int64. `column` defaults to the first column. Bad data raises
    ValueError naming the file, the column and the data row, never what the file holds:
    a trace path can point anywhere, and its content is not ours to show.
    """
    if kind not in ("timestamps", "counts"):
        raise ValueError(f"load_trace: kind must be 'timestamps' or 'counts', got {kind!r}")
    where = f"trace {path}"
    text = userfiles.read_text(path, "trace", limit=MAX_TRACE_BYTES)
    try:
        df = pd.read_csv(io.StringIO(text))
    except pd.errors.EmptyDataError:
        raise ValueError(f"{where}: not a readable CSV (empty)") from None
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        # pandas' words can quote the offending line: keep only its number
        line = re.search(r"line (\d+)", str(exc))
        at = f" at line {line.group(1)}" if line else ""
        raise ValueError(f"{where}: not a readable CSV{at}") from None
    if df.shape[1] == 0 or len(df) == 0:
        raise ValueError(f"{where}: no data rows")
    if column is None:
        col, label = df.columns[0], "1"
    elif column in df.columns:
        col, label = column, brief(column)
    else:
        count = f"{df.shape[1]} column{'s' * (df.shape[1] != 1)}"
        raise ValueError(f"{where}: column {brief(column)} not found (the file has {count})")
    raw = df[col]

    def check(bad: np.ndarray, expected: str) -> None:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{where}, column {label}, data row {i + 1}: expected {expected}")

    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    if kind == "counts":
        check(~np.isfinite(num) | (num < 0) | (num != np.round(num)), "a whole number >= 0")
        check(num > MAX_COUNT, f"at most {MAX_COUNT:,.0f} requests in a minute")
        return num.astype(np.int64)
    if np.isfinite(num[0]):
        check(~np.isfinite(num) | (num < 0), "a number of seconds >= 0")
        check(num > MAX_SECONDS, f"at most {MAX_SECONDS:g} seconds")
        seconds = num
    else:
        dt = pd.to_datetime(raw, errors="coerce", utc=True, format="ISO8601")
        check(dt.isna().to_numpy(), "an ISO 8601 datetime such as 2024-05-01T12:00:00Z")
        seconds = (dt - dt.iloc[0]).dt.total_seconds().to_numpy(dtype=np.float64)
        check(seconds > MAX_SECONDS, f"at most {MAX_SECONDS:g} seconds after the first row")
    check(np.diff(seconds, prepend=seconds[0]) < 0,
          "a time no earlier than the row before (timestamps must be sorted)")  # fmt: skip
    return seconds
