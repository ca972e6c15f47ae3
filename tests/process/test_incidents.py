"""Incidents over weeks (simulator/process/delivery.py): detected by an alarm or by
users, restored by a rollback that reverts every release since, or fixed forward
through CI. Each test checks the times the mode implies, exactly, on every incident of
one seeded run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.process.simulation import run_process
from simulator.scenario.model import load_scenario
from tests import builders
from tests.process.test_delivery import DAY, spec

DETECTED_AFTER = 3600.0
PERIOD = builders.PERIOD


def canary(alarms=()):
    """Each release: a canary at 10% for 10 minutes then all traffic, no gate, in a
    30-minute run at 10 requests/s; `alarms` watch all traffic."""
    strategy = {"type": "canary", "start": 300, "steps": [{"weight": 10, "bake": 600}],
                "gate": {"type": "none"}}  # fmt: skip
    monitoring = {"period": PERIOD, "alarms": list(alarms)}
    return load_scenario(builders.release(strategy, rate=10, duration=1800, warmup=300,
                                          monitoring=monitoring))  # fmt: skip


def incidents_spec(restore="rollback", by_alarms=True, rate=6, horizon=21 * DAY):
    s = spec({"mode": "continuous_deployment"}, q=0.05, error_rate=0.3, rate=rate,
             horizon=horizon)  # fmt: skip
    return s.model_copy(update={"incidents": s.incidents.model_copy(update={
        "restore": restore, "by_alarms": by_alarms})})  # fmt: skip


ALL_TRAFFIC_20 = {"name": "all-5xx", "metric": "error_rate", "threshold": 0.2,
                  "evaluation_periods": 2, "datapoints_to_alarm": 2}  # fmt: skip
"""Blind to a 30% defect at 10% canary (3% of all traffic), sure of it at 100% (30%)."""


def test_an_alarm_that_fires_after_promotion_detects_the_incident():
    """A defect failing 30% of requests: at 10% canary all traffic fails 3% (under the
    alarm's 20%), so the alarm stays OK until the canary serves everything; then 2 of 2
    one-minute datapoints over 20% put it in ALARM within three periods of promotion
    (the first may be only partly after it). Without alarms, users report it after 1 h."""
    res = run_process(canary([ALL_TRAFFIC_20]), 3, incidents_spec())
    rel = res.releases
    hit = rel[rel["incident"] & rel["detected"].notna()]
    assert len(hit) >= 3 and (hit["detected_by"] == "alarm").all()
    waited = hit["detected"] - hit["ended"]
    assert (waited > 0).all() and (waited <= 3 * PERIOD).all()

    quiet = run_process(canary(), 3, incidents_spec()).releases
    hit = quiet[quiet["incident"] & quiet["detected"].notna()]
    assert len(hit) >= 3 and (hit["detected_by"] == "users").all()
    np.testing.assert_allclose(hit["detected"] - hit["ended"], DETECTED_AFTER)


def test_alarms_can_be_left_out_of_detection():
    res = run_process(canary([ALL_TRAFFIC_20]), 3, incidents_spec(by_alarms=False))
    hit = res.releases[res.releases["incident"] & res.releases["detected"].notna()]
    assert len(hit) >= 3 and (hit["detected_by"] == "users").all()


def test_a_rollback_reverts_every_release_promoted_since():
    """Rolling back release k (70 minutes after its promotion) reverts each release
    promoted after it and still serving; replayed here from the table's times alone:
    walk the rollbacks in time order, keeping the set of promoted releases serving.
    Every change then in production rode a release that stayed."""
    res = run_process(canary(), 4, incidents_spec(rate=40, horizon=10 * DAY))
    rel, ch = res.releases, res.changes
    own = rel[(rel["restored_by"] == "rollback") & (rel["reverted_by"] < 0)].sort_values("restored")
    promoted = rel[rel["outcome"] == "promoted"]
    want = pd.Series(-1, index=rel.index)
    gone: set[int] = set()
    for k, at in zip(own["release"], own["restored"], strict=True):
        serving = promoted[(promoted["ended"] <= at) & ~promoted["release"].isin(gone)]
        later = serving[serving["release"] > k]["release"]
        want[later.index] = k
        gone |= set(later) | {k}
    assert (want >= 0).sum() >= 3  # the seed makes some releases revert
    np.testing.assert_array_equal(rel["reverted_by"], want)
    deployed = ch[ch["deployed_at"].notna()]
    rode = rel.set_index("release").loc[deployed["release"]]
    assert (rode["reverted_by"].to_numpy() < 0).all()
    assert (rode["restored_by"].to_numpy() != "rollback").all()
    np.testing.assert_array_equal(deployed["deployed_at"], rode["ended"])
    assert "lost" not in set(ch["state"])
    stayed = (rel["outcome"] == "promoted") & ~rel["incident"] & (want < 0)
    assert res.summary["deployment_frequency_per_day"] == pytest.approx(stayed.sum() / 10)


def test_fixing_forward_keeps_the_release_and_ends_with_the_fix():
    """Fix forward: the incident's release stays (its healthy changes keep serving); its
    defective changes go to their authors (4 working hours, here any hour) and through
    CI again (600 s), so the incident ends when a later release is promoted, no sooner
    than 4 h 10 min after detection; nothing is reverted."""
    res = run_process(canary(), 5, incidents_spec(restore="fix_forward", rate=40,
                                                  horizon=10 * DAY))  # fmt: skip
    rel, ch = res.releases, res.changes
    hit = rel[rel["incident"] & rel["restored"].notna()]
    assert len(hit) >= 3 and (hit["restored_by"] == "fix_forward").all()
    np.testing.assert_allclose(hit["detected"] - hit["ended"], DETECTED_AFTER)
    assert (hit["restored"] - hit["detected"] >= 4 * 3600 + 600).all()
    ends = rel[rel["outcome"] == "promoted"].set_index("ended")["release"]
    assert all(ends[t] > k for k, t in zip(hit["release"], hit["restored"], strict=True))
    assert (rel["reverted_by"] < 0).all()
    healthy = hit["changes"] - hit["defects"]
    assert (healthy > 0).any()
    stayed = ch[ch["deployed_at"].notna()].groupby("release").size()
    np.testing.assert_array_equal(stayed.reindex(hit["release"], fill_value=0), healthy)
    recovery = (hit["restored"] - hit["ended"]).median()
    assert res.summary["recovery_median_s"] == pytest.approx(recovery)
