"""DORA's four keys of software delivery, from a process run's changes and releases.

- deployment frequency: releases promoted (and not rolled back later) per day;
- lead time for changes: from a change's merge until the release serving it to all
  traffic completes (the one that stayed), median and 90th percentile;
- change failure rate: the share of finished releases that failed, rolled back by their
  gate or causing an incident;
- failed deployment recovery time: for each failed release, from its start (a gate's
  rollback) or from its promotion (an incident) until the previous version serves again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = 86400.0


def four_keys(changes: pd.DataFrame, releases: pd.DataFrame, horizon: float) -> dict:
    """The four keys, None where nothing was there to measure."""
    finished = releases[releases["ended"].notna()]
    failed = finished[(finished["outcome"] != "promoted") | finished["incident"]]
    stayed = finished[(finished["outcome"] == "promoted") & ~finished["incident"]]
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
