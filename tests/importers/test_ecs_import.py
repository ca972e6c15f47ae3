"""ECS services and CodeDeploy deployment groups: each predefined configuration plays as written."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import simulator as ds
from simulator.importers import ConfigImportError, import_config

IMPORTS = Path(__file__).resolve().parents[2] / "scenarios" / "imports"
SERVICE = json.loads((IMPORTS / "ecs-service-rolling.json").read_text())
GROUP = json.loads((IMPORTS / "codedeploy-ecs-canary.json").read_text())
BASE = IMPORTS.parent / "platform-image-classifier-ecs-fargate.yaml"


def imported(doc: dict) -> ds.Scenario:
    return ds.load_scenario(import_config(copy.deepcopy(doc), base=BASE))


def test_an_ecs_service_rolls_within_its_own_healthy_percentages():
    sc = imported(SERVICE)
    config = SERVICE["deploymentConfiguration"]
    assert sc.platform.name == "ecs_fargate" and sc.fleet.instances == SERVICE["desiredCount"]
    assert sc.platform.rolling == {"minimum_healthy_percent": config["minimumHealthyPercent"],
                                   "maximum_percent": config["maximumPercent"]}  # fmt: skip
    assert sc.strategy.type == "rolling" and sc.strategy.gate.alarms == ["image-classifier-5xx"]
    assert "deploymentCircuitBreaker not modelled" in sc.description
    assert sc.platform.bounds(4) == (4, 6)  # ECS: 100% rounds up, 150% down


@pytest.mark.parametrize("config, weights, bake", [
    ("CodeDeployDefault.ECSCanary10Percent5Minutes", [10], 300),
    ("CodeDeployDefault.ECSCanary10Percent15Minutes", [10], 900),
    ("CodeDeployDefault.ECSLinear10PercentEvery1Minutes", list(range(10, 100, 10)), 60),
    ("CodeDeployDefault.ECSLinear10PercentEvery3Minutes", list(range(10, 100, 10)), 180),
    ("CodeDeployDefault.ECSAllAtOnce", [], None),
])  # fmt: skip
def test_each_predefined_ecs_configuration_becomes_its_traffic_steps(config, weights, bake):
    sc = imported(GROUP | {"deploymentConfigName": config})
    assert sc.strategy.type == "canary" and sc.strategy.scale == "full"
    assert [s.weight for s in sc.strategy.steps] == weights
    assert all(s.bake == bake for s in sc.strategy.steps)
    assert sc.strategy.gate.type == "alarms"  # DEPLOYMENT_STOP_ON_ALARM rolls back


def test_the_canary_configuration_shifts_ten_percent_then_the_rest_after_five_minutes():
    res = ds.simulate(imported(GROUP), seed=1)
    shifts = res.events[res.events["kind"] == "UpdateEndpointWeightsAndCapacities"]
    weights = [json.loads(w) for w in shifts["weights"]]
    assert [round(w["v2"] / sum(w.values()), 3) for w in weights][:2] == [0.1, 1.0]
    assert shifts["time"].iloc[1] - shifts["time"].iloc[0] == pytest.approx(300)
    assert res.summary["outcome"] == "promoted"


@pytest.mark.parametrize("strategy, extra, weights", [
    ("CANARY", {"canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 2}},
     [20.0]),
    ("LINEAR", {"linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 1}},
     [25.0, 50.0, 75.0]),
    ("BLUE_GREEN", {"bakeTimeInMinutes": 5}, []),
])  # fmt: skip
def test_ecs_native_strategies_become_canary_steps(strategy, extra, weights):
    doc = copy.deepcopy(SERVICE)
    doc["deploymentConfiguration"] = {"strategy": strategy, **extra}
    sc = imported(doc)
    assert [s.weight for s in sc.strategy.steps] == weights and sc.strategy.scale == "full"


def test_codedeploy_in_place_on_premises_takes_half_the_hosts_at_a_time():
    tag = {"Key": "fleet", "Value": "gpu", "Type": "KEY_AND_VALUE"}
    doc = {"applicationName": "a", "deploymentGroupName": "g",
           "serviceRoleArn": "arn:aws:iam::1:role/r",
           "deploymentConfigName": "CodeDeployDefault.HalfAtATime",
           "onPremisesInstanceTagFilters": [tag]}  # fmt: skip
    sc = imported(doc)
    assert sc.platform.name == "on_prem" and sc.strategy.type == "rolling"
    assert sc.platform.bounds(4) == (2, 4)


@pytest.mark.parametrize("change, field", [
    (lambda d: d.update(capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT"}]),
     "capacityProviderStrategy"),
    (lambda d: d.update(deploymentController={"type": "CODE_DEPLOY"}), "deploymentController.type"),
    (lambda d: d.update(launchType="EXTERNAL"), "launchType"),
    (lambda d: d.update(desiredCount="four"), "CreateService"),
])  # fmt: skip
def test_what_an_ecs_service_cannot_be_is_refused_naming_the_field(change, field):
    doc = copy.deepcopy(SERVICE)
    change(doc)
    with pytest.raises(ConfigImportError, match=field):
        import_config(doc, base=BASE)


@pytest.mark.parametrize("name, words", [
    ("MyTeam.Canary20Percent", "a custom configuration's steps are not in the request"),
    ("CodeDeployDefault.OneAtATime", "in place on EC2 instances is not modelled"),
])  # fmt: skip
def test_codedeploy_configurations_deploysim_cannot_play_are_refused(name, words):
    with pytest.raises(ConfigImportError, match=words):
        import_config(GROUP | {"deploymentConfigName": name}, base=BASE)
