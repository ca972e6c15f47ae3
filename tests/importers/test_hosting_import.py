"""SageMaker requests that choose a hosting kind: transform jobs, async and A/B endpoint configs.

Each example in scenarios/imports/ is imported and the scenario it gives is compared with
the request field by field; what the request cannot say (the dataset's size) is a note,
and what deploysim cannot play is refused naming the field.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import simulator as ds
from simulator.importers import ConfigImportError, import_config

IMPORTS = Path(__file__).resolve().parents[2] / "scenarios" / "imports"


def request(name: str) -> dict:
    return json.loads((IMPORTS / name).read_text())


def test_a_transform_job_becomes_a_batch_transform_hosting_on_its_instances():
    doc = request("sagemaker-transform-job.json")
    sc = ds.load_scenario(import_config(IMPORTS / "sagemaker-transform-job.json"))
    resources = doc["TransformResources"]
    assert (sc.fleet.target, sc.fleet.instances) == (resources["InstanceType"],
                                                      resources["InstanceCount"])  # fmt: skip
    h = sc.hosting
    assert h.kind == "batch_transform" and h.batch_strategy == doc["BatchStrategy"]
    assert h.max_concurrent_transforms == doc["MaxConcurrentTransforms"]
    assert h.max_payload_mb == doc["MaxPayloadInMB"]
    assert h.invocations_timeout == doc["ModelClientConfig"]["InvocationsTimeoutInSeconds"]
    assert h.invocations_max_retries == doc["ModelClientConfig"]["InvocationsMaxRetries"]
    assert h.records is None and "set hosting.records" in sc.description
    assert sc.release is None and sc.strategy.type == "none"
    # no KmsKeyId anywhere: both keys are AWS's, and the posture says so
    assert sc.security.kms.volume_key is False and sc.security.kms.output_key is False
    result = ds.simulate(sc, seed=1)
    assert result.summary["hosting"] == "batch_transform"


def test_an_async_endpoint_config_becomes_an_async_hosting():
    doc = request("sagemaker-async-endpoint-config.json")
    sc = ds.load_scenario(import_config(IMPORTS / "sagemaker-async-endpoint-config.json"))
    client = doc["AsyncInferenceConfig"]["ClientConfig"]
    assert sc.hosting.kind == "async"
    assert sc.hosting.max_concurrent_invocations_per_instance == client[
        "MaxConcurrentInvocationsPerInstance"]  # fmt: skip
    assert sc.fleet.version == doc["ProductionVariants"][0]["VariantName"]


def test_a_two_variant_endpoint_config_keeps_every_variant_and_weight():
    doc = request("sagemaker-ab-endpoint-config.json")
    sc = ds.load_scenario(import_config(IMPORTS / "sagemaker-ab-endpoint-config.json"))
    first, second = doc["ProductionVariants"]
    assert (sc.fleet.version, sc.fleet.weight, sc.fleet.instances) == (
        first["VariantName"], first["InitialVariantWeight"], first["InitialInstanceCount"])
    (variant,) = sc.hosting.variants
    assert (variant.version, variant.weight, variant.instances, variant.target) == (
        second["VariantName"], second["InitialVariantWeight"],
        second["InitialInstanceCount"], second["InstanceType"])  # fmt: skip
    assert sc.security.kms.volume_key == doc["KmsKeyId"]  # no longer dropped


@pytest.mark.parametrize("change, field", [
    (lambda d: d.update(MaxPayloadInMB=0), "MaxPayloadInMB"),
    (lambda d: d["TransformInput"].update(SplitType="None"), "TransformInput.SplitType"),
    (lambda d: d.update(MaxConcurrentTransforms=40),
     "max_concurrent_transforms x max_payload_mb"),
    (lambda d: d["TransformResources"].update(InstanceType="ml.m5.huge"), "InstanceType"),
])  # fmt: skip
def test_what_a_transform_job_cannot_be_is_refused_naming_the_field(change, field):
    doc = copy.deepcopy(request("sagemaker-transform-job.json"))
    change(doc)
    with pytest.raises(ConfigImportError, match=field.replace(".", r"\.")):
        import_config(doc)


def test_an_async_config_with_two_variants_is_refused():
    doc = copy.deepcopy(request("sagemaker-async-endpoint-config.json"))
    doc["ProductionVariants"].append({**doc["ProductionVariants"][0], "VariantName": "B"})
    with pytest.raises(ConfigImportError, match="ProductionVariants: an asynchronous"):
        import_config(doc)


def test_a_document_of_requests_keyed_by_operation_sets_only_the_posture():
    good = Path(__file__).with_name("security") / "good.json"
    sc = ds.load_scenario(import_config(good))
    assert sc.security is not None and sc.hosting.kind == "realtime"
    assert sc.strategy.type == "none"


def test_the_ab_preset_is_its_example_endpoint_config_plus_a_weights_update():
    preset = IMPORTS.parent / "hosting-ab-two-variants.yaml"
    imported = ds.load_scenario(import_config(IMPORTS / "sagemaker-ab-endpoint-config.json",
                                              base=preset))  # fmt: skip
    expected = ds.load_scenario(preset)
    assert imported.fleet == expected.fleet

    def resolved(sc):  # what each variant runs once the fleet's fields fill it in
        return [(v.version, v.weight, v.fleet(sc.fleet)) for v in sc.hosting.variants]

    assert resolved(imported) == resolved(expected)
    assert imported.hosting.updates == [] and expected.hosting.updates  # the preset's own
