"""Argo Rollouts' blueGreen: imported field for field, refused by name, played in time.

The files in realworld/argo/ follow Argo's documentation (features/bluegreen.md and
features/analysis.md); each has its expectation in expected.yaml beside it. An imported
rollout is then simulated on test_importers' light base (instances serve 120 s after
launch, 60 s periods, from 300 s), and its switch read from the audit trail.
"""

from __future__ import annotations

import copy
import json

import pytest

import simulator as ds
from simulator.importers import ConfigImportError, import_config
from tests.importers.documented import (
    docs,
    every_file_has_its_case,
    folder,
    imports_as_expected,
    text,
)
from tests.importers.test_importers import BASE

HERE, CASES = folder("argo")
ANALYSIS = HERE / "bluegreen-pre-post-analysis.yaml"
SECONDS = HERE / "bluegreen-auto-promotion-seconds.yaml"
READY = BASE["warmup"] + BASE["fleet"]["provisioning"]  # the preview serves


def blue_green(documents: list[dict]) -> dict:
    return documents[0]["spec"]["strategy"]["blueGreen"]


def events(res, kind):
    return res.events[res.events.kind == kind]


def switch_time(res):
    rows = events(res, "UpdateEndpointWeightsAndCapacities")
    return [t for t, w in zip(rows.time, rows.weights, strict=True)
            if json.loads(w).get("v2") == 1.0]  # fmt: skip


# ---------------------------------------------------------------- the documented examples


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_documented_config_imports_as_expected(name):
    imports_as_expected(HERE / name, CASES[name])


def test_every_file_in_the_folder_has_its_expectation():
    every_file_has_its_case(HERE, CASES)


# ---------------------------------------------------------------- played as Argo plays it


def test_the_imported_analyses_promote_a_healthy_release_in_argos_time():
    """Pre-promotion: 3 measurements from READY + 60 s; the switch when the third passes;
    post-promotion likewise from the switch; the old fleet 600 s (scaleDownDelaySeconds)
    after that run, when the new ReplicaSet became stable."""
    res = ds.simulate(import_config(ANALYSIS, base=BASE), seed=1)
    switch = READY + 60 + 2 * 60
    stable = switch + 60 + 2 * 60
    assert switch_time(res) == [switch]
    assert events(res, "AnalysisRunSuccessful").time.tolist() == [switch, stable]
    gone = events(res, "TerminateInstances")
    assert gone[["time", "variant"]].values.tolist() == [[stable + 600, "v1"]]
    assert res.summary["outcome"] == "promoted"


def test_the_imported_pre_promotion_analysis_aborts_a_defective_release_before_users():
    base = copy.deepcopy(BASE) | {"release": {"version": "v2", "defect": {"error_rate": 0.2}}}
    res = ds.simulate(import_config(ANALYSIS, base=base), seed=2)
    # failureLimit 1: the second failed measurement (failed > 1) aborts
    assert events(res, "RollbackTriggered").time.tolist() == [READY + 60 + 60]
    assert switch_time(res) == []
    assert res.summary["outcome"] == "rolled_back" and res.summary["blast_radius"] == 0


def test_auto_promotion_seconds_count_from_the_preview_serving_without_analysis():
    res = ds.simulate(import_config(SECONDS, base=BASE), seed=3)
    assert switch_time(res) == [READY + 120]
    gone = events(res, "TerminateInstances")
    assert gone[["time", "variant"]].values.tolist() == [[READY + 120 + 60, "v1"]]


# ---------------------------------------------------------------- fields, one by one


def test_consecutive_error_limit_is_mapped_for_canary_analysis_too():
    documents = docs(HERE / "success-rate-canary.yaml")
    documents[1]["spec"]["metrics"][0]["consecutiveErrorLimit"] = 0
    data = import_config(text(documents))
    assert data["strategy"]["gate"]["consecutive_error_limit"] == 0
    assert ds.load_scenario(data).strategy.gate.consecutive_error_limit == 0


def test_metrics_with_different_error_limits_are_refused_as_two_runs():
    documents = docs(ANALYSIS)
    metrics = documents[1]["spec"]["metrics"]
    metrics.append(copy.deepcopy(metrics[0]) | {"name": "other", "consecutiveErrorLimit": 4})
    with pytest.raises(ConfigImportError, match=r"metrics\[1\]: .*consecutiveErrorLimit"):
        import_config(text(documents))


def test_a_revision_limit_of_0_scales_the_old_fleet_down_at_once():
    documents = docs(SECONDS)
    blue_green(documents)["scaleDownDelayRevisionLimit"] = 0
    data = import_config(text(documents))
    assert data["strategy"]["scale_down_delay"] == 0
    assert "scaleDownDelayRevisionLimit 0" in data["description"]


@pytest.mark.parametrize(
    "change, field, words",
    [
        (lambda bg: bg.update(previewReplicaCount=5), "previewReplicaCount", "1 to spec.replicas"),
        (lambda bg: bg.update(previewReplicaCount=0), "previewReplicaCount", "out of range"),
        (lambda bg: bg.update(abortScaleDownDelaySeconds=0), "abortScaleDownDelaySeconds",
         "indefinitely"),
        (lambda bg: bg.update(autoPromotionSeconds=-1), "autoPromotionSeconds", "never negative"),
        (lambda bg: bg.update(autoPromotionEnabled="false"), "autoPromotionEnabled",
         "true or false"),
        (lambda bg: bg.update(scaleDownDelaySeconds=1.5), "scaleDownDelaySeconds", "whole"),
        (lambda bg: bg.update(dryRun=True), "dryRun", "not supported"),
        (lambda bg: bg.pop("activeService"), "activeService", "expected text"),
        (lambda bg: bg.update(prePromotionAnalysis={"templates": [{"templateName": "x"}]}),
         "prePromotionAnalysis.templates", "'x' is not in the file"),
        (lambda bg: bg.update(postPromotionAnalysis={"templates": [], "dryRun": []}),
         "postPromotionAnalysis.dryRun", "not supported"),
    ],
)
def test_a_field_the_simulation_cannot_honour_is_refused_by_name(change, field, words):
    documents = docs(SECONDS)
    change(blue_green(documents))
    with pytest.raises(ConfigImportError) as err:
        import_config(text(documents))
    message = str(err.value)
    assert message.startswith(f"<text>: spec.strategy.blueGreen.{field}: "), message
    assert words in message, message


def test_a_rollout_with_both_strategies_or_neither_is_refused():
    documents = docs(SECONDS)
    documents[0]["spec"]["strategy"]["canary"] = {"steps": []}
    with pytest.raises(ConfigImportError, match="Multiple Strategies can not be listed"):
        import_config(text(documents))
    documents[0]["spec"]["strategy"] = {}
    with pytest.raises(ConfigImportError, match="spec.strategy: expected one of canary or"):
        import_config(text(documents))
