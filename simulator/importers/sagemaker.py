"""SageMaker UpdateEndpoint and CreateEndpointConfig requests -> blue_green, rolling or shadow.

Every request is first validated against botocore's own SageMaker service model (no
network), so a field SageMaker would reject is reported with botocore's message.

UpdateEndpoint `DeploymentConfig`:
- `BlueGreenUpdatePolicy` -> blue_green: TrafficRoutingConfiguration.Type -> traffic,
  WaitIntervalInSeconds -> wait_interval, CanarySize / LinearStepSize -> canary_size /
  linear_step (INSTANCE_COUNT -> an instance count, CAPACITY_PERCENT -> "N%"),
  TerminationWaitInSeconds -> termination_wait, MaximumExecutionTimeoutInSeconds ->
  max_execution_timeout.
- `RollingUpdatePolicy` -> rolling with max_unavailable 0: MaximumBatchSize -> max_surge,
  WaitIntervalInSeconds -> bake, RollbackMaximumBatchSize -> rollback_batch.
  MaximumExecutionTimeoutInSeconds is refused (the rolling strategy has no timeout).
- `AutoRollbackConfiguration.Alarms` -> gate {type: alarms, alarms: [names]} and, for
  each name the base scenario does not define, a placeholder monitoring alarm with that
  name on all requests: metric latency_p99 (threshold slo.latency_p99, else 500 ms) when
  the name says p99/latency, else error_rate (threshold 1 - slo.availability, else 1%),
  which also covers names saying 5xx/error (SageMaker's usual rollback alarm is on
  Invocation5XXErrors). Define the alarms in `base` to model them exactly. Without
  alarms nothing rolls back during bakes: gate {type: none}.
- ignored: EndpointName, EndpointConfigName. Refused: RetainDeploymentConfig /
  RetainAllVariantProperties / ExcludeRetainedVariantProperties (they refer to state not
  in the file), a request with no DeploymentConfig, and any field not listed.

CreateEndpointConfig with one production variant and one shadow variant:
- production -> fleet (InstanceType -> target, InitialInstanceCount -> instances,
  AcceleratorType -> accelerator, RoutingConfig.RoutingStrategy -> routing);
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

import botocore.session
import botocore.validate

_MODEL = None
VARIANT_FIELDS = {"VariantName", "ModelName", "InitialInstanceCount", "InstanceType",
                  "InitialVariantWeight", "AcceleratorType", "RoutingConfig"}  # fmt: skip
ROUTING = {"RANDOM": "random", "LEAST_OUTSTANDING_REQUESTS": "least_outstanding"}


def validate(operation: str, params: dict, ctx) -> None:
    """Check a request against botocore's SageMaker model, as the SDK would before sending."""
    global _MODEL
    if _MODEL is None:
        _MODEL = botocore.session.get_session().get_service_model("sagemaker")
    shape = _MODEL.operation_model(operation).input_shape
    report = botocore.validate.ParamValidator().validate(params, shape)
    if report.has_errors():
        ctx.fail(operation, "botocore rejects the request: " + report.generate_report())


def _unknown(mapping: dict, known: set[str], field: str, ctx) -> None:
    """Refuse fields this importer does not map."""
    for key in mapping:
        if key not in known:
            ctx.fail(f"{field}.{key}" if field else key, "not supported by the importer")


def _share(size: dict) -> int | str:
    """CanarySize-style {Type, Value} as an instance count or a capacity percentage."""
    value = size["Value"]
    return int(value) if size["Type"] == "INSTANCE_COUNT" else f"{value:g}%"


def convert_update_endpoint(doc: dict, ctx) -> dict:
    """Scenario patch for an UpdateEndpoint request with a DeploymentConfig."""
    validate("UpdateEndpoint", doc, ctx)
    _unknown(doc, {"EndpointName", "EndpointConfigName", "DeploymentConfig"}, "", ctx)
    config = doc.get("DeploymentConfig")
    if not config:
        ctx.fail("DeploymentConfig", "missing: without it there is no guarded update to model")
    _unknown(config, {"BlueGreenUpdatePolicy", "RollingUpdatePolicy",
                      "AutoRollbackConfiguration"}, "DeploymentConfig", ctx)  # fmt: skip
    if "BlueGreenUpdatePolicy" in config:
        strategy = _blue_green(config["BlueGreenUpdatePolicy"], ctx)
    elif "RollingUpdatePolicy" in config:
        strategy = _rolling(config["RollingUpdatePolicy"], ctx)
    else:
        ctx.fail("DeploymentConfig", "needs BlueGreenUpdatePolicy or RollingUpdatePolicy")
    names = [a["AlarmName"] for a in
             (config.get("AutoRollbackConfiguration") or {}).get("Alarms") or []]  # fmt: skip
    if names:
        strategy["gate"] = {"type": "alarms", "alarms": names}
    else:
        strategy["gate"] = {"type": "none"}
        ctx.note("no AutoRollbackConfiguration alarms: nothing rolls the update back")
    return {"strategy": strategy, "alarms": [_alarm(n, ctx) for n in names]}


def _blue_green(policy: dict, ctx) -> dict:
    """BlueGreenUpdatePolicy -> blue_green."""
    where = "DeploymentConfig.BlueGreenUpdatePolicy"
    _unknown(policy, {"TrafficRoutingConfiguration", "TerminationWaitInSeconds",
                      "MaximumExecutionTimeoutInSeconds"}, where, ctx)  # fmt: skip
    routing = policy["TrafficRoutingConfiguration"]
    _unknown(routing, {"Type", "WaitIntervalInSeconds", "CanarySize", "LinearStepSize"},
             f"{where}.TrafficRoutingConfiguration", ctx)  # fmt: skip
    kind = routing["Type"]
    out: dict[str, Any] = {"type": "blue_green", "traffic": kind,
                           "wait_interval": float(routing["WaitIntervalInSeconds"])}  # fmt: skip
    for key, field, applies in (("CanarySize", "canary_size", "CANARY"),
                                ("LinearStepSize", "linear_step", "LINEAR")):  # fmt: skip
        if key in routing:
            if kind != applies:
                ctx.fail(f"{where}.TrafficRoutingConfiguration.{key}",
                         f"only applies to Type {applies}, not {kind}")  # fmt: skip
            out[field] = _share(routing[key])
        elif kind == applies:
            ctx.fail(f"{where}.TrafficRoutingConfiguration.{key}", f"required for Type {kind}")
    if "TerminationWaitInSeconds" in policy:
        out["termination_wait"] = float(policy["TerminationWaitInSeconds"])
    if "MaximumExecutionTimeoutInSeconds" in policy:
        out["max_execution_timeout"] = float(policy["MaximumExecutionTimeoutInSeconds"])
    return out


def _rolling(policy: dict, ctx) -> dict:
    """RollingUpdatePolicy -> rolling that never goes below the fleet size."""
    where = "DeploymentConfig.RollingUpdatePolicy"
    if "MaximumExecutionTimeoutInSeconds" in policy:
        ctx.fail(f"{where}.MaximumExecutionTimeoutInSeconds",
                 "the rolling strategy has no execution timeout to model it")  # fmt: skip
    _unknown(policy, {"MaximumBatchSize", "WaitIntervalInSeconds", "RollbackMaximumBatchSize"},
             where, ctx)  # fmt: skip
    out: dict[str, Any] = {
        "type": "rolling",
        "max_surge": _share(policy["MaximumBatchSize"]),
        "max_unavailable": 0,
        "bake": float(policy["WaitIntervalInSeconds"]),
    }
    if "RollbackMaximumBatchSize" in policy:
        out["rollback_batch"] = _share(policy["RollbackMaximumBatchSize"])
    return out


def _alarm(name: str, ctx) -> dict:
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
    _unknown(doc, {"EndpointConfigName", "ProductionVariants", "ShadowProductionVariants",
                   "Tags", "KmsKeyId"}, "", ctx)  # fmt: skip
    production = doc["ProductionVariants"]
    if len(production) != 1:
        ctx.fail("ProductionVariants", f"{len(production)} production variants: multi-variant "
                 "endpoints are not imported (one production variant plus one shadow)")  # fmt: skip
    shadows = doc.get("ShadowProductionVariants") or []
    if len(shadows) != 1:
        ctx.fail("ShadowProductionVariants", "exactly one shadow variant is needed: it is "
                 "the release this config tests")  # fmt: skip
    fleet = _variant(production[0], "ProductionVariants[0]", ctx)
    release = _variant(shadows[0], "ShadowProductionVariants[0]", ctx)
    if "InitialVariantWeight" in shadows[0]:
        ctx.note(f"ShadowProductionVariants[0].InitialVariantWeight "
                 f"{shadows[0]['InitialVariantWeight']:g} not used: the shadow gets a copy "
                 "of every request (sampling 100)")  # fmt: skip
    strategy = {"type": "shadow", "sampling": 100.0, "promote": False}
    return {"strategy": strategy, "fleet": fleet, "release": release}


def _variant(variant: dict, field: str, ctx) -> dict:
    """A variant's hardware and routing as fleet/release fields."""
    _unknown(variant, VARIANT_FIELDS, field, ctx)
    if "InstanceType" not in variant or "InitialInstanceCount" not in variant:
        ctx.fail(field, "needs InstanceType and InitialInstanceCount (serverless variants "
                 "are not imported)")  # fmt: skip
    out: dict[str, Any] = {"target": variant["InstanceType"],
                           "instances": int(variant["InitialInstanceCount"])}  # fmt: skip
    if "AcceleratorType" in variant:
        out["accelerator"] = variant["AcceleratorType"]
    routing = (variant.get("RoutingConfig") or {}).get("RoutingStrategy")
    if routing:
        out["routing"] = ROUTING[routing]
    return out
