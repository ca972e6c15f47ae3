"""SageMaker requests that choose how a model is hosted -> a scenario's `hosting` section.

- CreateTransformJob -> hosting batch_transform: TransformResources.InstanceType /
  InstanceCount -> fleet.target / fleet.instances, MaxConcurrentTransforms (0 or unset:
  the container decides, so left to the fleet's workers), MaxPayloadInMB, BatchStrategy,
  ModelClientConfig.InvocationsTimeoutInSeconds / InvocationsMaxRetries. The request
  does not say how many records the input holds: the job scores as many as the base
  scenario's traffic sends over its duration (a note says so; set hosting.records).
  TransformInput.SplitType None with MultiRecord is refused: SageMaker then sends whole
  files, which deploysim does not model. Ignored: names, S3 locations, content types,
  Environment, Tags, DataProcessing, ExperimentConfig, DataCaptureConfig.
- CreateEndpointConfig with AsyncInferenceConfig -> hosting async: one production
  variant -> fleet; ClientConfig.MaxConcurrentInvocationsPerInstance. OutputConfig's S3
  paths and notifications are ignored.
- CreateEndpointConfig with several production variants (no shadow) -> the first is the
  fleet (its VariantName the fleet's version, its InitialVariantWeight the fleet's
  weight), the others hosting.variants, each with its weight, instance type and count.

KmsKeyId, VpcConfig and the like go to the scenario's `security` section through
`security.security_from_sagemaker`. Every request is validated against botocore's
service model first (`sagemaker.validate`). May import what `sagemaker.py` may.
"""

from __future__ import annotations

from typing import Any

from simulator.importers import sagemaker
from simulator.importers.security import security_from_sagemaker

TRANSFORM_FIELDS = {"TransformJobName", "ModelName", "MaxConcurrentTransforms",
                    "ModelClientConfig", "MaxPayloadInMB", "BatchStrategy", "Environment",
                    "TransformInput", "TransformOutput", "DataCaptureConfig",
                    "TransformResources", "DataProcessing", "Tags", "ExperimentConfig"}  # fmt: skip
ENDPOINT_FIELDS = {"EndpointConfigName", "ProductionVariants", "AsyncInferenceConfig", "Tags",
                   "KmsKeyId", "DataCaptureConfig"}  # fmt: skip


def convert_transform_job(doc: dict, ctx) -> dict:
    """Scenario patch for a CreateTransformJob request."""
    sagemaker.validate("CreateTransformJob", doc, ctx)
    ctx.unknown(doc, TRANSFORM_FIELDS, "")
    resources = ctx.mapping(doc.get("TransformResources"), "TransformResources")
    ctx.unknown(resources, {"InstanceType", "InstanceCount", "VolumeKmsKeyId",
                            "TransformAmiVersion"}, "TransformResources")  # fmt: skip
    fleet = {"target": ctx.text(resources.get("InstanceType"), "TransformResources.InstanceType"),
             "instances": ctx.integer(resources.get("InstanceCount"),
                                      "TransformResources.InstanceCount", low=1, high=100,
                                      why="InstanceCount is at most 100")}  # fmt: skip
    hosting: dict[str, Any] = {"kind": "batch_transform"}
    concurrent = doc.get("MaxConcurrentTransforms")
    if concurrent:
        hosting["max_concurrent_transforms"] = ctx.integer(concurrent, "MaxConcurrentTransforms",
                                                           low=1, high=1000)  # fmt: skip
    if "MaxPayloadInMB" in doc:
        payload = ctx.integer(doc["MaxPayloadInMB"], "MaxPayloadInMB", low=0, high=100)
        if payload == 0:
            ctx.fail("MaxPayloadInMB", "0 (HTTP chunked encoding) is not modelled")
        hosting["max_payload_mb"] = float(payload)
    strategy = doc.get("BatchStrategy", "MultiRecord")
    split = ctx.mapping(doc.get("TransformInput"), "TransformInput").get("SplitType", "None")
    if strategy == "MultiRecord" and split == "None":
        ctx.fail("TransformInput.SplitType", "None sends each file whole: set Line, RecordIO "
                 "or TFRecord so MultiRecord mini-batches are cut from records")  # fmt: skip
    hosting["batch_strategy"] = strategy
    client = ctx.mapping(doc.get("ModelClientConfig"), "ModelClientConfig")
    for key, name in (("InvocationsTimeoutInSeconds", "invocations_timeout"),
                      ("InvocationsMaxRetries", "invocations_max_retries")):  # fmt: skip
        if key in client:
            hosting[name] = client[key]
    ctx.note("the request does not say how many records its input holds: the job scores as "
             "many as the traffic sends over the duration (set hosting.records)")  # fmt: skip
    return _patch(doc, ctx, fleet, hosting)


def convert_endpoint_config(doc: dict, ctx) -> dict:
    """Scenario patch for a multi-variant or asynchronous CreateEndpointConfig request."""
    sagemaker.validate("CreateEndpointConfig", doc, ctx)
    ctx.unknown(doc, ENDPOINT_FIELDS, "")
    production = ctx.items(doc.get("ProductionVariants"), "ProductionVariants")
    fleet = _variant(production[0], "ProductionVariants[0]", ctx)
    if "AsyncInferenceConfig" in doc:
        if len(production) != 1:
            ctx.fail("ProductionVariants", "an asynchronous endpoint is imported with one "
                     "production variant")  # fmt: skip
        config = ctx.mapping(doc["AsyncInferenceConfig"], "AsyncInferenceConfig")
        ctx.unknown(config, {"ClientConfig", "OutputConfig"}, "AsyncInferenceConfig")
        client = ctx.mapping(config.get("ClientConfig"), "AsyncInferenceConfig.ClientConfig")
        hosting: dict[str, Any] = {"kind": "async"}
        if "MaxConcurrentInvocationsPerInstance" in client:
            hosting["max_concurrent_invocations_per_instance"] = client[
                "MaxConcurrentInvocationsPerInstance"]  # fmt: skip
        return _patch(doc, ctx, fleet, hosting)
    variants = [_variant(v, f"ProductionVariants[{i}]", ctx)
                for i, v in enumerate(production[1:], start=1)]  # fmt: skip
    return _patch(doc, ctx, fleet, {"kind": "realtime", "variants": variants})


def _variant(variant: Any, field: str, ctx) -> dict:
    """A production variant's name, weight, hardware and routing."""
    out = sagemaker._variant(variant, field, ctx)
    out["version"] = ctx.text(variant.get("VariantName"), f"{field}.VariantName")
    if "InitialVariantWeight" in variant:
        out["weight"] = ctx.number(variant["InitialVariantWeight"],
                                   f"{field}.InitialVariantWeight", low=0)  # fmt: skip
    return out


def _patch(doc: dict, ctx, fleet: dict, hosting: dict) -> dict:
    security = security_from_sagemaker(doc, ctx.where, ctx.notes)
    return {"strategy": {"type": "none"}, "fleet": fleet, "hosting": hosting,
            "security": security.model_dump(mode="json"), "release": None}  # fmt: skip
