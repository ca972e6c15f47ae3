"""SageMaker UpdateEndpoint and CreateEndpointConfig requests -> blue_green, rolling or shadow.

Every request is first validated against botocore's own SageMaker service model (no
network), so a field SageMaker would reject is reported with botocore's message. botocore
checks types, required members and minima but leaves enum values and maxima to the
service, so those are then checked against the same model (the shape's `enum` list and
`max`), walking the request with the operation's input shape: `Type: BOGUS` is refused
naming the field and the allowed values. Then each mapped field is read with its range:
a CAPACITY_PERCENT is 1-100, an INSTANCE_COUNT at least 1, and both whole numbers.

UpdateEndpoint `DeploymentConfig`:
- `BlueGreenUpdatePolicy` -> blue_green: TrafficRoutingConfiguration.Type -> traffic,
  WaitIntervalInSeconds -> wait_interval, CanarySize / LinearStepSize -> canary_size /
  linear_step (INSTANCE_COUNT -> an instance count, CAPACITY_PERCENT -> "N%"),
  TerminationWaitInSeconds -> termination_wait, MaximumExecutionTimeoutInSeconds ->
  max_execution_timeout.
- `RollingUpdatePolicy` -> rolling with max_unavailable 0: MaximumBatchSize -> max_surge,
  WaitIntervalInSeconds -> bake, RollbackMaximumBatchSize -> rollback_batch,
  MaximumExecutionTimeoutInSeconds -> max_execution_timeout (an update still rolling
  then rolls back).
- `AutoRollbackConfiguration.Alarms` -> gate {type: alarms, alarms: [names]} and, for
  each name the base scenario does not define, a placeholder monitoring alarm with that
  name on all requests: metric latency_p99 (threshold slo.latency_p99, else 500 ms) when
  the name says p99/latency, else error_rate (threshold 1 - slo.availability, else 1%),
  which also covers names saying 5xx/error (SageMaker's usual rollback alarm is on
  Invocation5XXErrors). Define the alarms in `base` to model them exactly. Without
  alarms nothing rolls back during bakes: gate {type: none}.
- ignored: EndpointName, EndpointConfigName. Refused: RetainDeploymentConfig /
  RetainAllVariantProperties / ExcludeRetainedVariantProperties (they refer to state not
  in the file), a request with no DeploymentConfig or with both update policies (the
  model's documentation: only one should be used), and any field not listed.

CreateEndpointConfig with one production variant and one shadow variant:
- production -> fleet (InstanceType -> target, InitialInstanceCount -> instances,
  AcceleratorType -> accelerator, RoutingConfig.RoutingStrategy RANDOM or
  LEAST_OUTSTANDING_REQUESTS -> routing; PREFIX_AWARE and KV_AWARE are refused);
  shadow -> release (same fields) and strategy {type: shadow, sampling: 100,
  promote: false}: the shadow gets a copy of every request (the reference defines a
  sampled share only for CreateInferenceExperiment's SamplingPercentage, not for a shadow
  variant's weight) and is compared with production (`details.comparison`) after the
  shadow strategy's default test duration (the file sets none; set strategy.duration to
  change it), but never promoted, since an endpoint config promotes nothing. The
  shadow's InitialVariantWeight is therefore not used (noted in the description).
- ignored: EndpointConfigName, VariantName, ModelName (the latency profile comes from
  the base fleet), Tags, KmsKeyId, the production variant's InitialVariantWeight (one
  production variant takes all traffic). Refused: more than one production variant, no
  shadow variant, and any other field (serverless, data capture, async, ...).
"""

from __future__ import annotations

import re
from typing import Any

from simulator.importers import service_models

VARIANT_FIELDS = {"VariantName", "ModelName", "InitialInstanceCount", "InstanceType",
                  "InitialVariantWeight", "AcceleratorType", "RoutingConfig"}  # fmt: skip
ROUTING = {"RANDOM": "random", "LEAST_OUTSTANDING_REQUESTS": "least_outstanding"}
TRAFFIC = ("ALL_AT_ONCE", "CANARY", "LINEAR")
SIZE_TYPES = ("INSTANCE_COUNT", "CAPACITY_PERCENT")


def validate(operation: str, params: dict, ctx) -> None:
    """Check a request against botocore's SageMaker model, as the SDK would before sending."""
    service_models.check("sagemaker", operation, params, ctx)


def _size(size: Any, field: str, ctx, low: int = 1, high: int = 100,
          why: str = "CAPACITY_PERCENT is a percentage of the fleet") -> int | str:
    """CanarySize-style {Type, Value} as an instance count or a capacity percentage."""
    size = ctx.mapping(size, field)
    kind = ctx.choice(size.get("Type"), f"{field}.Type", SIZE_TYPES)
    if kind == "INSTANCE_COUNT":
        return ctx.integer(size.get("Value"), f"{field}.Value", low=1, why="a count of instances")
    percent = ctx.integer(size.get("Value"), f"{field}.Value", low=low, high=high, why=why)
    return f"{percent}%"


def convert_update_endpoint(doc: dict, ctx) -> dict:
    """Scenario patch for an UpdateEndpoint request with a DeploymentConfig."""
    validate("UpdateEndpoint", doc, ctx)
    ctx.unknown(doc, {"EndpointName", "EndpointConfigName", "DeploymentConfig"}, "")
    config = ctx.mapping(doc.get("DeploymentConfig"), "DeploymentConfig")
    if not config:
        ctx.fail("DeploymentConfig", "missing: without it there is no guarded update to model")
    ctx.unknown(config, {"BlueGreenUpdatePolicy", "RollingUpdatePolicy",
                         "AutoRollbackConfiguration"}, "DeploymentConfig")  # fmt: skip
    if "BlueGreenUpdatePolicy" in config and "RollingUpdatePolicy" in config:
        ctx.fail("DeploymentConfig", "give BlueGreenUpdatePolicy or RollingUpdatePolicy, not "
                 "both: only one update policy should be used")  # fmt: skip
    if "BlueGreenUpdatePolicy" in config:
        strategy = _blue_green(config["BlueGreenUpdatePolicy"], ctx)
    elif "RollingUpdatePolicy" in config:
        strategy = _rolling(config["RollingUpdatePolicy"], ctx)
    else:
        ctx.fail("DeploymentConfig", "needs BlueGreenUpdatePolicy or RollingUpdatePolicy")
    names = _alarm_names(config.get("AutoRollbackConfiguration"), ctx)
    if names:
        strategy["gate"] = {"type": "alarms", "alarms": names}
    else:
        strategy["gate"] = {"type": "none"}
        ctx.note("no AutoRollbackConfiguration alarms: nothing rolls the update back")
    return {"strategy": strategy, "alarms": [placeholder_alarm(n, ctx) for n in names]}


def _alarm_names(rollback: Any, ctx) -> list[str]:
    """The CloudWatch alarm names of an AutoRollbackConfiguration."""
    where = "DeploymentConfig.AutoRollbackConfiguration"
    rollback = ctx.mapping(rollback, where)
    ctx.unknown(rollback, {"Alarms"}, where)
    names = []
    for i, alarm in enumerate(ctx.items(rollback.get("Alarms"), f"{where}.Alarms")):
        alarm = ctx.mapping(alarm, f"{where}.Alarms[{i}]")
        names.append(ctx.text(alarm.get("AlarmName"), f"{where}.Alarms[{i}].AlarmName"))
    return names


def _blue_green(policy: Any, ctx) -> dict:
    """BlueGreenUpdatePolicy -> blue_green."""
    where = "DeploymentConfig.BlueGreenUpdatePolicy"
    policy = ctx.mapping(policy, where)
    ctx.unknown(policy, {"TrafficRoutingConfiguration", "TerminationWaitInSeconds",
                         "MaximumExecutionTimeoutInSeconds"}, where)  # fmt: skip
    field = f"{where}.TrafficRoutingConfiguration"
    routing = ctx.mapping(policy.get("TrafficRoutingConfiguration"), field)
    ctx.unknown(routing, {"Type", "WaitIntervalInSeconds", "CanarySize", "LinearStepSize"}, field)
    kind = ctx.choice(routing.get("Type"), f"{field}.Type", TRAFFIC)
    wait = ctx.integer(routing.get("WaitIntervalInSeconds"), f"{field}.WaitIntervalInSeconds",
                       low=0)  # fmt: skip
    out: dict[str, Any] = {"type": "blue_green", "traffic": kind, "wait_interval": float(wait)}
    # the developer guide's ranges: a canary at most 50% of the fleet, linear steps 10-50%
    for key, name, applies, low, why in (
        ("CanarySize", "canary_size", "CANARY", 1, "a canary is at most 50% of the fleet"),
        ("LinearStepSize", "linear_step", "LINEAR", 10, "a linear step is 10-50% of the fleet"),
    ):
        if key in routing:
            if kind != applies:
                ctx.fail(f"{field}.{key}", f"only applies to Type {applies}, not {kind}")
            out[name] = _size(routing[key], f"{field}.{key}", ctx, low=low, high=50, why=why)
        elif kind == applies:
            ctx.fail(f"{field}.{key}", f"required for Type {kind}")
    for key, name in (("TerminationWaitInSeconds", "termination_wait"),
                      ("MaximumExecutionTimeoutInSeconds", "max_execution_timeout")):  # fmt: skip
        if key in policy:
            out[name] = float(ctx.integer(policy[key], f"{where}.{key}", low=0))
    return out


def _rolling(policy: Any, ctx) -> dict:
    """RollingUpdatePolicy -> rolling that never goes below the fleet size."""
    where = "DeploymentConfig.RollingUpdatePolicy"
    policy = ctx.mapping(policy, where)
    ctx.unknown(policy, {"MaximumBatchSize", "WaitIntervalInSeconds", "RollbackMaximumBatchSize",
                         "MaximumExecutionTimeoutInSeconds"}, where)  # fmt: skip
    wait = ctx.integer(policy.get("WaitIntervalInSeconds"), f"{where}.WaitIntervalInSeconds",
                       low=0)  # fmt: skip
    out: dict[str, Any] = {
        "type": "rolling",
        "max_surge": _size(policy.get("MaximumBatchSize"), f"{where}.MaximumBatchSize", ctx),
        "max_unavailable": 0,
        "bake": float(wait),
    }
    if "RollbackMaximumBatchSize" in policy:
        out["rollback_batch"] = _size(policy["RollbackMaximumBatchSize"],
                                      f"{where}.RollbackMaximumBatchSize", ctx)  # fmt: skip
    if "MaximumExecutionTimeoutInSeconds" in policy:
        key = f"{where}.MaximumExecutionTimeoutInSeconds"
        out["max_execution_timeout"] = float(ctx.integer(
            policy["MaximumExecutionTimeoutInSeconds"], key, low=600, high=28800,
            why="SageMaker's range for a rolling update"))  # fmt: skip
    return out


def placeholder_alarm(name: str, ctx) -> dict:
    """A placeholder CloudWatch alarm named as in the file; its metric guessed from the name."""
    slo = ctx.base.slo
    if re.search(r"p99|latency", name, re.IGNORECASE):
        threshold = slo.latency_p99 if slo.latency_p99 is not None else 0.5
        return {"name": name, "metric": "latency_p99", "threshold": threshold}
    threshold = round(1.0 - slo.availability, 12) if slo.availability is not None else 0.01
    return {"name": name, "metric": "error_rate", "threshold": threshold}


def convert_endpoint_config(doc: dict, ctx) -> dict:
    """Scenario patch for a CreateEndpointConfig with a shadow variant."""
    validate("CreateEndpointConfig", doc, ctx)
    ctx.unknown(doc, {"EndpointConfigName", "ProductionVariants", "ShadowProductionVariants",
                      "Tags", "KmsKeyId"}, "")  # fmt: skip
    production = ctx.items(doc.get("ProductionVariants"), "ProductionVariants")
    if len(production) != 1:
        ctx.fail("ProductionVariants", f"{len(production)} production variants: multi-variant "
                 "endpoints are not imported (one production variant plus one shadow)")  # fmt: skip
    shadows = ctx.items(doc.get("ShadowProductionVariants"), "ShadowProductionVariants")
    if len(shadows) != 1:
        ctx.fail("ShadowProductionVariants", "exactly one shadow variant is needed: it is "
                 "the release this config tests")  # fmt: skip
    fleet = _variant(production[0], "ProductionVariants[0]", ctx)
    release = _variant(shadows[0], "ShadowProductionVariants[0]", ctx)
    if "InitialVariantWeight" in shadows[0]:
        field = "ShadowProductionVariants[0].InitialVariantWeight"
        weight = ctx.number(shadows[0]["InitialVariantWeight"], field, low=0)
        ctx.note(f"{field} {weight:g} not used: the shadow gets a copy of every request "
                 "(sampling 100)")  # fmt: skip
    strategy = {"type": "shadow", "sampling": 100.0, "promote": False}
    return {"strategy": strategy, "fleet": fleet, "release": release}


def _variant(variant: Any, field: str, ctx) -> dict:
    """A variant's hardware and routing as fleet/release fields."""
    variant = ctx.mapping(variant, field)
    ctx.unknown(variant, VARIANT_FIELDS, field)
    if "InstanceType" not in variant or "InitialInstanceCount" not in variant:
        ctx.fail(field, "needs InstanceType and InitialInstanceCount (serverless variants "
                 "are not imported)")  # fmt: skip
    out: dict[str, Any] = {
        "target": ctx.text(variant["InstanceType"], f"{field}.InstanceType"),
        "instances": ctx.integer(variant["InitialInstanceCount"],
                                 f"{field}.InitialInstanceCount", low=1),  # fmt: skip
    }
    if "AcceleratorType" in variant:
        out["accelerator"] = ctx.text(variant["AcceleratorType"], f"{field}.AcceleratorType")
    if "RoutingConfig" in variant:
        where = f"{field}.RoutingConfig"
        routing = ctx.mapping(variant["RoutingConfig"], where)
        ctx.unknown(routing, {"RoutingStrategy"}, where)
        strategy = ctx.choice(routing.get("RoutingStrategy"), f"{where}.RoutingStrategy",
                              ROUTING, why="the routing the simulator models")  # fmt: skip
        out["routing"] = ROUTING[strategy]
    return out
