"""An ECS service's deployment configuration and a CodeDeploy deployment group -> a scenario.

- ECS CreateService / UpdateService: `launchType` FARGATE -> platform ecs_fargate, EC2 or
  none (ECS's default) -> ecs_ec2; `desiredCount` -> fleet.instances.
  `deploymentConfiguration.strategy` (botocore 1.44's ECS model): ROLLING (the default) ->
  a rolling release bounded by `minimumHealthyPercent` / `maximumPercent` (platform.rolling,
  defaults 100 / 200); CANARY -> canary steps [canaryPercent for canaryBakeTimeInMinutes];
  LINEAR -> steps of stepPercent, each held stepBakeTimeInMinutes; BLUE_GREEN -> all traffic
  at once. The new revision runs at full size beside the old (canary `scale: full`), as ECS
  starts the green revision whole. `deploymentConfiguration.alarms` with `enable` and
  `rollback` -> gate alarms (placeholders, as for SageMaker). Refused: EXTERNAL and
  MANAGED_INSTANCES launch types, capacity provider strategies, the DAEMON scheduling
  strategy, a CODE_DEPLOY or EXTERNAL deployment controller (import the CodeDeploy
  deployment group instead). Noted, not modelled: the deployment circuit breaker (it stops
  a deployment whose tasks fail to start; deploysim's tasks always start), bakeTimeInMinutes
  after the full shift, lifecycle hooks.
- CodeDeploy CreateDeploymentGroup: `deploymentConfigName` CodeDeployDefault.ECS* -> the
  canary steps its catalog entry gives (docs/reference/platforms.md#codedeploy-ecs-configurations:
  10% then the rest after 5 or 15 minutes; 10% more every 1 or 3 minutes; all at once), on
  the base scenario's ECS platform (ecs_fargate if it has none); CodeDeployDefault.AllAtOnce,
  HalfAtATime or OneAtATime with on-premises tag filters -> platform on_prem, a rolling
  release in place with that configuration. alarmConfiguration alarms with an
  autoRollbackConfiguration event DEPLOYMENT_STOP_ON_ALARM -> gate alarms. Refused: custom
  configuration names (their steps are not in the request) and in-place deployments on EC2
  instances (deploysim's EC2 rolling update is an Auto Scaling group's instance refresh).
  Noted: the blue task set's termination wait.

Requests are validated against botocore's ECS and CodeDeploy service models first.
"""

from __future__ import annotations

from typing import Any

from simulator.catalog import platforms
from simulator.importers import sagemaker, service_models

IN_PLACE = ("CodeDeployDefault.AllAtOnce", "CodeDeployDefault.HalfAtATime",
            "CodeDeployDefault.OneAtATime")  # fmt: skip


def convert_service(doc: dict, ctx) -> dict:
    """Scenario patch for an ECS CreateService or UpdateService request."""
    operation = "CreateService" if "serviceName" in doc else "UpdateService"
    service_models.check("ecs", operation, doc, ctx)
    if "capacityProviderStrategy" in doc:
        ctx.fail("capacityProviderStrategy", "capacity providers are not modelled: set launchType")
    kind = ctx.mapping(doc.get("deploymentController"), "deploymentController").get("type", "ECS")
    if kind != "ECS":
        ctx.fail("deploymentController.type", f"{kind}: the deployment is not ECS's own; import "
                 "the CodeDeploy deployment group (deploymentConfigName) instead")  # fmt: skip
    if doc.get("schedulingStrategy") == "DAEMON":
        ctx.fail("schedulingStrategy", "DAEMON runs one task per container instance, not a "
                 "fleet of a chosen size")  # fmt: skip
    launch = doc.get("launchType", "EC2")
    if launch not in ("EC2", "FARGATE"):
        ctx.fail("launchType", f"{launch}: only FARGATE and EC2 are modelled")
    platform: dict[str, Any] = {"name": "ecs_fargate" if launch == "FARGATE" else "ecs_ec2"}
    patch: dict[str, Any] = {"platform": platform, "fleet": {}}
    if "desiredCount" in doc:
        patch["fleet"]["instances"] = ctx.integer(doc["desiredCount"], "desiredCount", low=1)
    config = ctx.mapping(doc.get("deploymentConfiguration"), "deploymentConfiguration")
    where = "deploymentConfiguration"
    strategy = config.get("strategy", "ROLLING")
    if strategy == "ROLLING":
        platform["rolling"] = {"minimum_healthy_percent": config.get("minimumHealthyPercent", 100),
                               "maximum_percent": config.get("maximumPercent", 200)}  # fmt: skip
        patch["strategy"] = {"type": "rolling", "bake": 0.0}
    else:
        patch["strategy"] = _shift(strategy, config, where, ctx)
    for key, what in (("deploymentCircuitBreaker", "the deployment circuit breaker (it stops "
                       "a deployment whose tasks fail to start; these always start)"),
                      ("bakeTimeInMinutes", "bakeTimeInMinutes after the full shift"),
                      ("lifecycleHooks", "lifecycle hooks")):  # fmt: skip
        if key in config:
            ctx.note(f"{where}.{key} not modelled: {what}")
    alarms = ctx.mapping(config.get("alarms"), f"{where}.alarms")
    listed = ctx.items(alarms.get("alarmNames"), f"{where}.alarms.alarmNames")
    names = [ctx.text(n, f"{where}.alarms.alarmNames[{i}]") for i, n in enumerate(listed)]
    _gate(patch, names, bool(alarms.get("enable")) and bool(alarms.get("rollback")), ctx)
    return patch


def _shift(strategy: str, config: dict, where: str, ctx) -> dict:
    """ECS's own CANARY, LINEAR or BLUE_GREEN as canary steps on a full-size revision."""
    if strategy == "CANARY":
        canary = ctx.mapping(config.get("canaryConfiguration"), f"{where}.canaryConfiguration")
        steps = [{"weight": canary.get("canaryPercent", 5.0),
                  "bake": 60.0 * canary.get("canaryBakeTimeInMinutes", 10)}]  # fmt: skip
    elif strategy == "LINEAR":
        linear = ctx.mapping(config.get("linearConfiguration"), f"{where}.linearConfiguration")
        step = ctx.number(linear.get("stepPercent", 10.0), f"{where}.linearConfiguration"
                          ".stepPercent", low=3, high=100)  # fmt: skip
        bake = 60.0 * linear.get("stepBakeTimeInMinutes", 6)
        steps = [{"weight": step * k, "bake": bake} for k in range(1, int(100 / step - 1e-9) + 1)]
    else:  # BLUE_GREEN
        steps = []
    return {"type": "canary", "steps": steps, "scale": "full"}


def convert_deployment_group(doc: dict, ctx) -> dict:
    """Scenario patch for a CodeDeploy CreateDeploymentGroup request."""
    service_models.check("codedeploy", "CreateDeploymentGroup", doc, ctx)
    name = doc.get("deploymentConfigName", "CodeDeployDefault.OneAtATime")
    patch: dict[str, Any] = {"fleet": {}}
    if name.startswith("CodeDeployDefault.ECS"):
        base = ctx.base.platform.name
        platform = base if base.startswith("ecs_") else "ecs_fargate"
        if platform != base:
            ctx.note(f"the deployment group names no launch type: {platform} assumed")
        patch["platform"] = {"name": platform}
        patch["strategy"] = _predefined(name, ctx)
        wait = _get(doc, "blueGreenDeploymentConfiguration.terminateBlueInstancesOnDeployment"
                    "Success.terminationWaitTimeInMinutes")  # fmt: skip
        if wait is not None:
            ctx.note(f"the blue task set's termination wait ({wait} min) not modelled")
    elif name in IN_PLACE:
        if not (doc.get("onPremisesInstanceTagFilters") or doc.get("onPremisesTagSet")):
            ctx.fail("deploymentConfigName", f"{name} in place on EC2 instances is not "
                     "modelled: deploysim's EC2 rolling update is an Auto Scaling group's "
                     "instance refresh (platform ec2, platform.rolling)")  # fmt: skip
        patch["platform"] = {"name": "on_prem", "rolling": {"config": name}}
        patch["strategy"] = {"type": "rolling", "bake": 0.0}
    else:
        ctx.fail("deploymentConfigName", f"{ctx.key(name)}: a custom configuration's steps are "
                 "not in the request; use a CodeDeployDefault configuration")  # fmt: skip
    alarms = ctx.mapping(doc.get("alarmConfiguration"), "alarmConfiguration")
    where = "alarmConfiguration.alarms"
    names = [ctx.text(ctx.mapping(a, f"{where}[{i}]").get("name"), f"{where}[{i}].name")
             for i, a in enumerate(ctx.items(alarms.get("alarms"), where))]  # fmt: skip
    rollback = ctx.mapping(doc.get("autoRollbackConfiguration"), "autoRollbackConfiguration")
    on_alarm = bool(rollback.get("enabled")) and "DEPLOYMENT_STOP_ON_ALARM" in rollback.get(
        "events", [])  # fmt: skip
    _gate(patch, names if alarms.get("enabled", True) else [], on_alarm, ctx)
    return patch


def _predefined(name: str, ctx) -> dict:
    """A CodeDeployDefault.ECS* configuration as canary steps, from the platform catalog."""
    for strategy in ("canary", "linear", "blue_green"):
        params = platforms.mechanism("ecs_fargate", strategy).parameters.get(name)
        if params is None:
            continue
        if "step_percent" in params:
            step, bake = params["step_percent"], 60.0 * params["interval_minutes"]
            steps = [{"weight": step * k, "bake": bake} for k in range(1, 100 // step)]
        elif params.get("first_percent", 100) < 100:
            steps = [{"weight": params["first_percent"], "bake": 60.0 * params["interval_minutes"]}]
        else:
            steps = []
        return {"type": "canary", "steps": steps, "scale": "full"}
    ctx.fail("deploymentConfigName", f"{ctx.key(name)} is not a predefined ECS configuration")


def _gate(patch: dict, names: list[str], rollback: bool, ctx) -> None:
    """Alarms that roll back -> an alarms gate with placeholder alarms; else no gate."""
    strategy = patch.setdefault("strategy", {"type": "none"})
    if names and rollback:
        strategy["gate"] = {"type": "alarms", "alarms": names}
        patch["alarms"] = [sagemaker.placeholder_alarm(n, ctx) for n in names]
        return
    if strategy["type"] != "none":
        strategy["gate"] = {"type": "none"}
    if names:
        ctx.note("alarms that stop the deployment without rolling it back: no gate")


def _get(doc: dict, path: str) -> Any:
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc
