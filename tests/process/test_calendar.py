"""The working calendar (simulator/process/calendar.py) against dates counted by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.process.calendar import WorkingCalendar
from simulator.scenario.process import CalendarSpec, ProcessSpec

H, DAY = 3600.0, 86400.0


def test_a_working_week_is_five_days_of_eight_hours():
    """From Monday 5 January 2026: two weeks hold 10 days of 09:00-17:00, the first from
    9 h to 17 h after time 0, none on the weekend."""
    cal = WorkingCalendar(CalendarSpec(), 14 * DAY)
    assert cal.total == 80 * H
    assert (cal.starts[0], cal.ends[0]) == (9 * H, 17 * H)
    weekdays = (cal.starts // DAY).astype(int) % 7
    assert sorted(set(weekdays.tolist())) == [0, 1, 2, 3, 4]


def test_daylight_saving_keeps_local_hours():
    """Paris moves to summer time on Sunday 29 March 2026: the Monday after starts at
    09:00 local, which is one hour earlier on the clock (08:00 UTC became 07:00 UTC);
    every day still holds 8 hours."""
    cal = WorkingCalendar(CalendarSpec(timezone="Europe/Paris", start="2026-03-23"), 14 * DAY)
    np.testing.assert_array_equal(cal.ends - cal.starts, np.full(10, 8 * H))
    assert cal.starts[0] == 9 * H  # Monday 23 March, 09:00 CET: time 0 is local midnight
    assert cal.starts[5] == 7 * DAY + 8 * H  # Monday 30 March, 09:00 CEST


@given(st.floats(0, 80 * H))
def test_working_time_and_its_inverse_agree(w):
    cal = WorkingCalendar(CalendarSpec(), 14 * DAY)
    t = float(cal.at_working(w))
    assert cal.working_before(t) == pytest.approx(w, abs=1e-6)
    assert cal.is_working(t) or w == 0 or t in cal.ends  # lands inside the hours, or at an end


def test_working_before_counts_only_working_hours():
    cal = WorkingCalendar(CalendarSpec(), 14 * DAY)
    t = np.array([0.0, 9 * H, 10 * H, 17 * H, DAY, DAY + 12 * H, 5 * DAY + 12 * H, 14 * DAY])
    want = np.array([0, 0, 1, 8, 8, 11, 40, 80]) * H
    np.testing.assert_array_equal(cal.working_before(t), want)
    assert np.isnan(cal.at_working(80 * H + 1))  # past the horizon's working time


def test_bad_calendars_are_refused_with_the_field_named():
    for bad, words in (({"timezone": "Mars/Olympus"}, "unknown time zone"),
                       ({"hours": ["17:00", "09:00"]}, "end after they start"),
                       ({"hours": ["9am", "17:00"]}, "time of day"),
                       ({"days": ["mon", "funday"]}, "days"),
                       ({"days": ["mon", "mon"]}, "listed once")):  # fmt: skip
        with pytest.raises(ValueError, match=words):
            ProcessSpec.model_validate({"horizon": "7d", "calendar": bad,
                                        "changes": {"rate": 1},
                                        "pipeline": {"stages": [{"name": "b", "duration": {
                                            "distribution": "deterministic", "value": 60}}]}})
