"""Working time: the team's days and hours mapped onto the simulation's clock.

Time 0 is local midnight of the calendar's start date; each working day contributes
the interval between its local start and end hours, converted through the time zone,
so a day on which daylight saving changes still holds the same local hours. Working
time is then a piecewise-linear clock that runs only inside those intervals:
`working_before(t)` reads it, `at_working(w)` inverts it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np

from simulator.scenario.process import DAYS, CalendarSpec, clock_minutes


class WorkingCalendar:
    """The working intervals of [0, horizon) and the working-time clock over them."""

    def __init__(self, spec: CalendarSpec, horizon: float) -> None:
        zone = zoneinfo.ZoneInfo(spec.timezone)
        origin = _local(spec.start, 0, zone)
        first, last = (clock_minutes(h) for h in spec.hours)
        working = {DAYS.index(d) for d in spec.days}
        starts, ends = [], []
        day = spec.start
        while (_local(day, 0, zone) - origin).total_seconds() < horizon:
            if day.weekday() in working:
                a = (_local(day, first, zone) - origin).total_seconds()
                b = (_local(day, last, zone) - origin).total_seconds()
                if a < horizon:
                    starts.append(a)
                    ends.append(min(b, horizon))
            day += dt.timedelta(days=1)
        self.starts, self.ends = np.array(starts), np.array(ends)
        self.horizon = horizon
        self.hours_per_day = (last - first) / 60.0
        self._before = np.concatenate([[0.0], np.cumsum(self.ends - self.starts)])

    @property
    def total(self) -> float:
        """Working seconds in the horizon."""
        return float(self._before[-1])

    def working_before(self, t):
        """Working seconds in [0, t)."""
        t = np.asarray(t, dtype=float)
        k = np.searchsorted(self.starts, t, side="right")  # intervals started by t
        inside = np.clip(t - self.starts[np.maximum(k - 1, 0)], 0.0, None)
        length = (self.ends - self.starts)[np.maximum(k - 1, 0)]
        partial = np.where(k > 0, np.minimum(inside, length), 0.0)
        return self._before[np.maximum(k - 1, 0)] * (k > 0) + partial

    def at_working(self, w):
        """The first time by which `w` working seconds have passed (NaN beyond the horizon)."""
        w = np.asarray(w, dtype=float)
        k = np.searchsorted(self._before, w, side="left")  # interval holding the w-th second
        k = np.clip(k - 1, 0, len(self.starts) - 1)
        t = self.starts[k] + (w - self._before[k]) if len(self.starts) else np.full_like(w, np.nan)
        return np.where(w <= self.total, t, np.nan)

    def is_working(self, t) -> np.ndarray:
        """Whether each time falls in a working interval."""
        t = np.asarray(t, dtype=float)
        k = np.searchsorted(self.starts, t, side="right") - 1
        return (k >= 0) & (t < self.ends[np.maximum(k, 0)])


def _local(day: dt.date, minutes: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant, in UTC, of a local wall-clock time (24:00 is the next midnight).

    In UTC because Python subtracts two times of one zone by their wall clocks, which
    would lose the hour daylight saving adds or takes away.
    """
    if minutes == 24 * 60:
        day, minutes = day + dt.timedelta(days=1), 0
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), zone)
    return local.astimezone(dt.UTC)
