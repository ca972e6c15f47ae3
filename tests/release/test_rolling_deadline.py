"""A rolling update with MaximumExecutionTimeoutInSeconds: still rolling then, rolled back."""

from __future__ import annotations

import pytest

import simulator as ds
from simulator.importers import ConfigImportError, import_config
from tests.builders import PROVISIONING, WARMUP, release


def slow(timeout: float | None) -> dict:
    # 8 instances one at a time, each batch 120 s start-up + 300 s bake: 3,360 s in all
    sc = release({"type": "rolling", "max_surge": 1, "max_unavailable": 0, "bake": 300,
                  "gate": {"type": "none"}}, instances=8, duration=5400)  # fmt: skip
    if timeout is not None:
        sc["strategy"]["max_execution_timeout"] = timeout
    return sc


def test_an_update_still_rolling_at_the_deadline_rolls_back_then():
    res = ds.simulate(slow(900), seed=1)
    trigger = res.events[res.events["kind"] == "RollbackTriggered"]
    assert trigger["time"].tolist() == [WARMUP + 900] and trigger["cause"].tolist() == ["timeout"]
    assert res.summary["outcome"] == "rolled_back"


def test_without_a_deadline_the_same_update_promotes():
    res = ds.simulate(slow(None), seed=1)
    assert res.summary["outcome"] == "promoted"
    assert res.summary["rollout_duration_s"] >= 8 * (PROVISIONING + 300)


def test_the_sagemaker_rolling_policy_brings_its_execution_timeout():
    request = {"EndpointName": "e", "EndpointConfigName": "c", "DeploymentConfig": {
        "RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                                "WaitIntervalInSeconds": 300,
                                "MaximumExecutionTimeoutInSeconds": 900}}}  # fmt: skip
    strategy = import_config(request)["strategy"]
    assert strategy["max_execution_timeout"] == 900
    request["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] = 300
    with pytest.raises(ConfigImportError, match="MaximumExecutionTimeoutInSeconds.*min value: 600"):
        import_config(request)
