"""DORA's four keys of software delivery, from a process run's changes and releases.

- deployment frequency: releases promoted that stayed (no incident, not reverted with
  an earlier release's rollback) per day;
- lead time for changes: from a change's merge until the release serving it to all
  traffic completes (the one that stayed), median and 90th percentile;
- change failure rate: the share of finished releases that failed, rolled back by their
  gate or causing an incident;
- failed deployment recovery time: for each failed release, from its start (a gate's
  rollback) or from its promotion (an incident) until the previous version serves again.

`band` places a figure in the performance clusters of DORA's 2023 report
(docs/reference/dora.md#performance-bands).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

DAY = 86400.0
HOUR, WEEK, MONTH = 3600.0, 7 * DAY, 30 * DAY

BANDS = ("elite", "high", "medium", "low")
"""DORA's performance clusters, best first."""

LIMITS: dict[str, tuple[float, float, float]] = {
    # the edges between elite|high, high|medium and medium|low
    "deployment_frequency_per_day": (1.0, 1 / 7, 1 / 30),  # daily, weekly, monthly
    "lead_time_median_s": (DAY, WEEK, MONTH),
    "change_failure_rate": (0.05, 0.10, 0.15),
    "recovery_median_s": (HOUR, DAY, WEEK),
}
"""Each key's band edges (docs/reference/dora.md#performance-bands). Deployment
frequency is better when higher; the others when lower. A change failure rate is
banded by the cluster figures 5%, 10% and 15% as upper edges."""

HIGHER_IS_BETTER = {"deployment_frequency_per_day"}


def band(key: str, value: float | None) -> str | None:
    """The DORA band of one key's figure (None when there is no figure or no such key)."""
    if key not in LIMITS or value is None or not math.isfinite(value):
        return None
    for name, edge in zip(BANDS, LIMITS[key], strict=False):
        if (value >= edge) if key in HIGHER_IS_BETTER else (value <= edge):
            return name
    return BANDS[-1]


def four_keys(changes: pd.DataFrame, releases: pd.DataFrame, horizon: float) -> dict:
    """The four keys, None where nothing was there to measure."""
    finished = releases[releases["ended"].notna()]
    failed = finished[(finished["outcome"] != "promoted") | finished["incident"]]
    stayed = finished[(finished["outcome"] == "promoted") & ~finished["incident"]
                      & (finished["reverted_by"] < 0)]  # fmt: skip
    lead = changes["lead_time_s"].dropna().to_numpy()
    recovered = failed[failed["restored"].notna()]
    since = np.where(recovered["incident"], recovered["ended"], recovered["began"])
    recovery = recovered["restored"].to_numpy() - since
    return {
        "deployment_frequency_per_day": len(stayed) / (horizon / DAY),
        "lead_time_median_s": float(np.median(lead)) if len(lead) else None,
        "lead_time_p90_s": float(np.quantile(lead, 0.9)) if len(lead) else None,
        "change_failure_rate": len(failed) / len(finished) if len(finished) else None,
        "recovery_median_s": float(np.median(recovery)) if len(recovery) else None,
    }
