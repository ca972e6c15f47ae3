"""What monitoring still holds of an incident days later: CloudWatch metrics, CloudTrail events.

A process run lasts weeks, so the evidence an incident left ages while the run goes on.
CloudWatch keeps a data point 455 days but coarsens it as it ages; CloudTrail's event
history drops management events after 90 days unless a trail copies them to S3. AWS's
figures: docs/reference/monitoring-retention.md#cloudwatch-metric-retention and
docs/reference/monitoring-retention.md#cloudtrail-event-history-and-trails.
"""

from __future__ import annotations

import math

import numpy as np

HOUR, DAY = 3600.0, 86400.0

HIGH_RESOLUTION_KEPT_S = 3 * HOUR
"""Data points of a period under 60 s (high-resolution custom metrics) are kept 3 hours."""
MINUTE_KEPT_S = 15 * DAY
"""Then 1-minute data points, for 15 days."""
FIVE_MINUTES_KEPT_S = 63 * DAY
"""Then 5-minute data points, for 63 days."""
HOUR_KEPT_S = 455 * DAY
"""Then 1-hour data points, for 455 days (15 months); after that the data point is gone."""

TIERS: tuple[tuple[float, float], ...] = (
    (1.0, HIGH_RESOLUTION_KEPT_S),
    (60.0, MINUTE_KEPT_S),
    (300.0, FIVE_MINUTES_KEPT_S),
    (3600.0, HOUR_KEPT_S),
)
"""CloudWatch's tiers, finest first: (resolution s, age s up to which it can be retrieved)."""

HIGH_RESOLUTION_PERIODS_S = (1.0, 5.0, 10.0, 20.0, 30.0)
"""Sub-minute periods CloudWatch accepts (20 s is in the current API reference only)."""

EVENT_HISTORY_S = 90 * DAY
"""CloudTrail's event history keeps management events 90 days, per Region."""

_RESOLUTIONS = np.array([r for r, _ in TIERS] + [np.nan])
_KEPT = np.array([k for _, k in TIERS])


def _ages(age_s) -> np.ndarray:
    ages = np.asarray(age_s, dtype=float)
    if np.any(ages < 0):
        raise ValueError("an age is negative: a data point cannot be read before it is recorded")
    return ages


def finest_resolutions(age_s, period_s: float = 60.0) -> np.ndarray:
    """Finest resolution (s) at which each data point `age_s` old can be read; NaN once gone.

    `period_s` is the metric's publishing period: 1, 5, 10, 20 or 30 s (high-resolution)
    or a multiple of 60 s. A metric is never read finer than it was published. An age on a
    tier's edge (exactly 3 h, 15, 63 or 455 days) still reads at that tier; NaN stays NaN.
    """
    period = float(period_s)
    if period not in HIGH_RESOLUTION_PERIODS_S and not (period >= 60 and period % 60 == 0):
        raise ValueError(
            f"period {period:g} s is not a CloudWatch period: 1, 5, 10, 20, 30 or a multiple of 60"
        )
    ages = _ages(age_s)
    tier = np.searchsorted(_KEPT, ages, side="left")  # _KEPT[tier - 1] < age <= _KEPT[tier]
    return np.maximum(_RESOLUTIONS[tier], period)  # NaN (gone) stays NaN


def finest_resolution(age_s: float, period_s: float = 60.0) -> float | None:
    """Finest resolution (s) at which a data point `age_s` old can be read; None once gone."""
    resolution = float(finest_resolutions(float(age_s), period_s))
    return None if math.isnan(resolution) else resolution


def cloudtrail_keeps(age_s, trail_to_s3) -> bool | np.ndarray:
    """Whether a management event `age_s` old can still be read from CloudTrail.

    Without a trail only the event history has it, for 90 days (an age of exactly 90 days
    is kept). A trail delivering to an S3 bucket keeps it as long as the bucket keeps its
    objects, here forever. Data events never reach the event history; only a trail that
    logs them has them. Scalars give a bool, arrays (either argument) a bool array.
    """
    kept = np.logical_or(trail_to_s3, _ages(age_s) <= EVENT_HISTORY_S)
    return bool(kept) if kept.ndim == 0 else kept


def cloudwatch_period(period_s: float) -> float:
    """The CloudWatch period a metric published every `period_s` is stored at.

    A period CloudWatch accepts is kept; any other is stored at the next one it accepts
    (a 15 s metric at 20 s, a 90 s metric at 120 s), never finer than published.
    """
    for accepted in HIGH_RESOLUTION_PERIODS_S:
        if period_s <= accepted:
            return accepted
    return 60.0 * math.ceil(period_s / 60.0 - 1e-9)
