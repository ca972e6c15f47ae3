import copy
import json
import math
import re
from pathlib import Path

import botocore.session
import botocore.validate
import pytest
import yaml

import simulator as ds
from simulator.importers import DEFAULT_BASE, ConfigImportError, import_config
from simulator.scenario.gates import Check

EXAMPLES = Path(__file__).resolve().parents[2] / "scenarios" / "imports"
ARGO = EXAMPLES / "argo-rollout-canary.yaml"
FLAGGER = EXAMPLES / "flagger-canary.yaml"
UPDATE = EXAMPLES / "sagemaker-update-endpoint-canary.json"
SHADOW = EXAMPLES / "sagemaker-endpoint-config.json"

# a short, light base scenario so every imported run takes well under a second
BASE = {
    "name": "base",
    "duration": 3600,
    "warmup": 300,
    "traffic": {"pattern": "poisson", "rate": 20},
    "fleet": {
        "version": "v1",
        "instances": 4,
        "workers_per_instance": 2,
        "service_time": {"distribution": "exponential", "mean": 0.05},
        "provisioning": 120,
    },
    "release": {"version": "v2"},
    "slo": {"latency_p99": "1s", "availability": 0.995},
    "monitoring": {"period": 60},
}


def argo_docs():
    return list(yaml.safe_load_all(ARGO.read_text()))


def argo_text(docs):
    return yaml.safe_dump_all(docs)


def update_request():
    return json.loads(UPDATE.read_text())


def events(res, kind):
    return res.events[res.events.kind == kind]


# ---------------------------------------------------------------- Argo Rollout


def test_argo_example_maps_steps_analysis_and_replicas():
    docs = argo_docs()
    rollout, template = docs
    metric = template["spec"]["metrics"][0]
    data = import_config(ARGO, base=BASE)
    sc = ds.load_scenario(copy.deepcopy(data))
    st = data["strategy"]
    assert st["type"] == "canary"
    assert data["fleet"]["instances"] == rollout["spec"]["replicas"] == 10
    # setWeight 5, pause 10m, inline analysis (blocks count-1 intervals), 25 / 10m, 50 / manual
    interval = 60.0
    inline = (metric["count"] - 1) * interval
    assert [(s["weight"], s["bake"]) for s in st["steps"]] == [
        (5, 600),
        (5, inline),
        (25, 600),
        (50, float(BASE["duration"])),
    ]
    gate = st["gate"]
    assert gate["type"] == "argo"
    assert gate["interval"] == interval
    assert gate["count"] == metric["count"] == 10
    assert gate["failure_limit"] == metric["failureLimit"] == 2
    (check,) = sc.strategy.gate.checks
    assert check.metric == "error_rate"
    assert (check.max, check.strict) == (0.01, True)
    # base fields are kept
    assert data["traffic"] == BASE["traffic"]
    assert data["slo"] == BASE["slo"]
    assert "progressDeadlineSeconds 600" in data["description"]


def test_argo_success_condition_is_strict_like_argo():
    # successCondition result[0] < 0.01: exactly 0.01 is a failed measurement in Argo
    data = import_config(ARGO, base=BASE)
    check = Check(**data["strategy"]["gate"]["checks"][0])
    assert check.violated(0.01)
    assert not check.violated(math.nextafter(0.01, 0))


def test_argo_imported_scenario_runs_and_waits_for_manual_promotion():
    data = import_config(ARGO, base=BASE)
    res = ds.simulate(data, seed=1)
    first = json.loads(events(res, "UpdateEndpointWeightsAndCapacities").weights.iloc[0])
    assert first["v2"] == 0.05
    # the last pause has no duration: nobody promotes, the run ends mid-rollout
    assert res.summary["outcome"] == "incomplete"
    assert events(res, "UpdateComplete").empty


def test_argo_trailing_setweight_bakes_zero_and_without_analysis_gate_none():
    docs = argo_docs()
    canary = docs[0]["spec"]["strategy"]["canary"]
    canary["steps"] = [{"setWeight": 20}, {"setWeight": 40}, {"pause": {"duration": "90s"}}]
    del canary["analysis"]
    data = import_config(argo_text(docs[:1]), base=BASE)
    st = data["strategy"]
    assert [(s["weight"], s["bake"]) for s in st["steps"]] == [(20, 0), (40, 90)]
    assert st["gate"] == {"type": "none"}


def test_argo_failure_condition_on_latency_query():
    docs = argo_docs()
    metric = docs[1]["spec"]["metrics"][0]
    del metric["successCondition"]
    metric["failureCondition"] = "result[0] >= 0.3"
    metric["provider"]["prometheus"]["query"] = (
        "histogram_quantile(0.99, sum(rate(request_duration_seconds_bucket[1m])) by (le))"
    )
    check = import_config(argo_text(docs), base=BASE)["strategy"]["gate"]["checks"][0]
    assert check == {"metric": "latency_p99", "max": 0.3, "strict": True}
    assert Check(**check).violated(0.3) and not Check(**check).violated(math.nextafter(0.3, 0))


@pytest.mark.parametrize(
    "step, field",
    [
        ({"setHeaderRoute": {"name": "h"}}, "steps[1].setHeaderRoute"),
        ({"setMirrorRoute": {"name": "m", "percentage": 10}}, "steps[1].setMirrorRoute"),
        ({"experiment": {"templates": []}}, "steps[1].experiment"),
        ({"setCanaryScale": {"replicas": 3}}, "steps[1].setCanaryScale"),
    ],
)
def test_argo_unsupported_step_is_refused_by_name(step, field):
    docs = argo_docs()
    docs[0]["spec"]["strategy"]["canary"]["steps"].insert(1, step)
    with pytest.raises(ConfigImportError, match=re.escape(f"<text>: spec.strategy.canary.{field}")):
        import_config(argo_text(docs), base=BASE)


def test_argo_indefinite_pause_before_more_steps_is_refused():
    docs = argo_docs()
    docs[0]["spec"]["strategy"]["canary"]["steps"][1] = {"pause": {}}
    with pytest.raises(ConfigImportError, match=r"steps\[1\]\.pause: .*give it a duration"):
        import_config(argo_text(docs), base=BASE)


def test_argo_refuses_missing_template_and_unknown_fields():
    docs = argo_docs()
    with pytest.raises(ConfigImportError, match="'error-rate' is not in the file"):
        import_config(argo_text(docs[:1]), base=BASE)
    docs[0]["spec"]["strategy"]["canary"]["dynamicStableScale"] = True
    with pytest.raises(ConfigImportError, match=r"canary\.dynamicStableScale"):
        import_config(argo_text(docs), base=BASE)
    docs = argo_docs()
    docs[0]["spec"]["strategy"]["blueGreen"] = {"activeService": "a", "previewService": "b"}
    with pytest.raises(ConfigImportError, match=r"spec\.strategy: .*[Mm]ultiple"):
        import_config(argo_text(docs), base=BASE)


# ---------------------------------------------------------------- Flagger


def test_flagger_example_maps_analysis_and_checks():
    analysis = yaml.safe_load(FLAGGER.read_text())["spec"]["analysis"]
    data = import_config(FLAGGER, base=BASE)
    sc = ds.load_scenario(copy.deepcopy(data))
    st = sc.strategy
    assert (st.type, st.scale) == ("canary", "full")
    assert st.step_weight == analysis["stepWeight"] == 10
    assert st.max_weight == analysis["maxWeight"] == 50
    assert st.gate.type == "flagger"
    assert st.gate.threshold == analysis["threshold"] == 5
    assert st.gate.interval == 60
    checks = {c.metric: c.max for c in st.gate.checks}
    assert checks["error_rate"] == pytest.approx(1 - 99 / 100)
    assert checks["latency_p99"] == pytest.approx(500 / 1000)
    assert st.weights() == [10, 20, 30, 40, 50]


def test_flagger_imported_canary_promotes_no_sooner_than_documented():
    data = import_config(FLAGGER, base=BASE)
    res = ds.simulate(data, seed=1)
    assert res.summary["outcome"] == "promoted"
    # Flagger: promotion >= interval x (maxWeight / stepWeight)
    assert res.summary["rollout_duration_s"] >= 60 * 50 / 10


def test_flagger_step_weights_and_refused_fields():
    doc = yaml.safe_load(FLAGGER.read_text())
    a = doc["spec"]["analysis"]
    del a["stepWeight"], a["maxWeight"]
    a["stepWeights"] = [1, 5, 20]
    assert import_config(doc, base=BASE)["strategy"]["step_weights"] == [1, 5, 20]
    a["iterations"] = 10
    with pytest.raises(ConfigImportError, match=r"<dict>: spec\.analysis\.iterations"):
        import_config(doc, base=BASE)
    del a["iterations"]
    a["metrics"][0]["templateRef"] = {"name": "custom"}
    with pytest.raises(ConfigImportError, match=r"metrics\[0\]\.templateRef"):
        import_config(doc, base=BASE)


# ---------------------------------------------------------------- SageMaker


def test_update_endpoint_example_maps_blue_green_and_alarms():
    data = import_config(UPDATE, base=BASE)
    sc = ds.load_scenario(copy.deepcopy(data))
    st = sc.strategy
    assert st.type == "blue_green"
    assert st.traffic == "CANARY"
    assert st.canary_size == pytest.approx(0.10)
    assert st.wait_interval == 600
    assert st.termination_wait == 300
    assert st.max_execution_timeout == 3600
    assert st.gate.type == "alarms"
    assert st.gate.alarms == ["fraud-ep-5xx", "fraud-ep-p99"]
    alarms = {a.name: a for a in sc.monitoring.alarms}
    assert alarms["fraud-ep-5xx"].metric == "error_rate"
    assert alarms["fraud-ep-5xx"].threshold == pytest.approx(1 - BASE["slo"]["availability"])
    assert alarms["fraud-ep-p99"].metric == "latency_p99"
    assert alarms["fraud-ep-p99"].threshold == pytest.approx(1.0)


def test_update_endpoint_keeps_alarms_the_base_defines():
    base = copy.deepcopy(BASE)
    mine = {"name": "fraud-ep-5xx", "metric": "Invocation5XXErrors", "threshold": 3}
    base["monitoring"] = {"period": 60, "alarms": [mine]}
    alarms = import_config(UPDATE, base=base)["monitoring"]["alarms"]
    assert [a["name"] for a in alarms] == ["fraud-ep-5xx", "fraud-ep-p99"]
    assert alarms[0] == mine


def test_update_endpoint_imported_scenario_promotes_with_documented_timing():
    res = ds.simulate(import_config(UPDATE, base=BASE), seed=1)
    assert res.summary["outcome"] == "promoted"
    # green provisioned (120 s) then two shifts each baked 600 s, then blue kept 300 s
    assert res.summary["rollout_duration_s"] >= 120 + 2 * 600


def test_rolling_update_policy_maps_to_rolling_without_unavailability():
    req = update_request()
    req["DeploymentConfig"] = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 120,
            "RollbackMaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
        }
    }
    st = import_config(req, base=BASE)["strategy"]
    assert st == {
        "type": "rolling",
        "max_surge": 1,
        "max_unavailable": 0,
        "bake": 120.0,
        "rollback_batch": "50%",
        "gate": {"type": "none"},
    }


def botocore_report(params):
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("UpdateEndpoint").input_shape
    return botocore.validate.ParamValidator().validate(params, shape).generate_report()


def test_botocore_rejects_a_string_wait_interval():
    req = update_request()
    routing = req["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    routing["WaitIntervalInSeconds"] = "600"
    report = botocore_report(req)
    assert "WaitIntervalInSeconds" in report
    with pytest.raises(ConfigImportError) as err:
        import_config(req, base=BASE)
    assert report in str(err.value)
    assert str(err.value).startswith("<dict>: UpdateEndpoint")


def test_botocore_rejects_an_unknown_key_and_the_message_names_the_file(tmp_path):
    req = update_request()
    req["DeploymentConfig"]["BlueGreenUpdatePolicy"]["Bake"] = 5
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(req))
    with pytest.raises(ConfigImportError) as err:
        import_config(path, base=BASE)
    assert str(path) in str(err.value)
    assert 'Unknown parameter in DeploymentConfig.BlueGreenUpdatePolicy: "Bake"' in str(err.value)


def test_endpoint_config_shadow_maps_fleet_release_and_shadow():
    cfg = json.loads(SHADOW.read_text())
    prod, shadow = cfg["ProductionVariants"][0], cfg["ShadowProductionVariants"][0]
    data = import_config(SHADOW, base=BASE)
    sc = ds.load_scenario(copy.deepcopy(data))
    assert (sc.fleet.target, sc.fleet.instances) == (
        prod["InstanceType"],
        prod["InitialInstanceCount"],
    )
    assert (sc.release.target, sc.release.instances) == (
        shadow["InstanceType"],
        shadow["InitialInstanceCount"],
    )
    assert sc.strategy.type == "shadow"
    assert sc.strategy.sampling == 100
    assert sc.strategy.promote is False
    assert "duration" not in data["strategy"]  # the file sets no test duration
    assert "InitialVariantWeight 0.5 not used" in data["description"]


def test_endpoint_config_shadow_runs_and_never_serves_users_from_the_shadow():
    res = ds.simulate(import_config(SHADOW, base=BASE), seed=1)
    assert "comparison" in res.summary["details"]
    assert events(res, "AdoptShadow").empty
    assert res.summary["blast_radius"] == 0


def test_endpoint_config_needs_a_shadow_and_one_production_variant():
    cfg = json.loads(SHADOW.read_text())
    no_shadow = {k: v for k, v in cfg.items() if k != "ShadowProductionVariants"}
    with pytest.raises(ConfigImportError, match="exactly one shadow variant"):
        import_config(no_shadow, base=BASE)
    cfg["ProductionVariants"].append(dict(cfg["ProductionVariants"][0], VariantName="B"))
    with pytest.raises(ConfigImportError, match="2 production variants"):
        import_config(cfg, base=BASE)


# ---------------------------------------------------------------- detection and input


def test_unknown_kind_names_what_was_expected(tmp_path):
    path = tmp_path / "svc.yaml"
    path.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n")
    with pytest.raises(ConfigImportError) as err:
        import_config(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: kind: unknown kind (found v1 Service)")
    for expected in ("Argo Rollout", "Flagger Canary", "UpdateEndpoint", "CreateEndpointConfig"):
        assert expected in msg


def test_bad_yaml_and_bad_json_name_the_path(tmp_path):
    bad_yaml = tmp_path / "r.yaml"
    bad_yaml.write_text("spec: [unclosed\n")
    with pytest.raises(ConfigImportError, match=rf"{bad_yaml}: not valid YAML at line"):
        import_config(bad_yaml)
    bad_json = tmp_path / "u.json"
    bad_json.write_text('{"EndpointName": }')
    with pytest.raises(ConfigImportError, match=rf"{bad_json}: not valid JSON"):
        import_config(bad_json)


def test_default_base_is_used_without_one_and_is_valid():
    data = import_config(FLAGGER)
    assert data["traffic"] == DEFAULT_BASE["traffic"]
    assert data["fleet"]["instances"] == DEFAULT_BASE["fleet"]["instances"]
    ds.load_scenario(data)


def test_invalid_values_surface_as_import_errors():
    doc = yaml.safe_load(FLAGGER.read_text())
    doc["spec"]["analysis"]["interval"] = "5s"  # below Flagger's 10 s floor
    for metric in doc["spec"]["analysis"]["metrics"]:
        del metric["interval"]
    with pytest.raises(ConfigImportError, match="not a valid scenario") as err:
        import_config(doc, base=BASE)
    assert "strategy.gate.interval" in str(err.value)


# ---------------------------------------------------------------- malformed inputs

BAD = Path(__file__).resolve().parents[1] / "bad_inputs" / "importers"
BAD_CASES = yaml.safe_load((BAD / "expected.yaml").read_text())
VALID_CONFIG = BAD / "valid" / "flagger-canary.yaml"


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_malformed_input_is_refused_naming_the_file_and_field(name):
    case = BAD_CASES[name]
    path = BAD / name
    assert path.exists() is not case.get("missing", False)
    with pytest.raises(ConfigImportError) as err:
        if case.get("base"):
            import_config(VALID_CONFIG, base=path)
        else:
            import_config(path)
    message = str(err.value)
    prefix = f"base scenario: {path}: " if case.get("base") else f"{path}: "
    assert message.startswith(prefix), message
    if "field" in case:
        named = f"{case['field']}: " if case.get("base") else f"{prefix}{case['field']}: "
        assert named in message, message
    assert case["reason"] in message, message
    assert len(message) < 600  # values are cut short: a file's content is never echoed


def test_every_malformed_input_file_has_its_expectation():
    files = {p.name for p in BAD.iterdir() if p.is_file()} - {"expected.yaml"}
    assert files == {name for name, case in BAD_CASES.items() if not case.get("missing")}


def test_the_config_under_the_bad_bases_is_itself_valid():
    data = import_config(VALID_CONFIG)
    assert data["strategy"]["step_weight"] == 10
    assert data["traffic"] == DEFAULT_BASE["traffic"]


def test_long_values_are_cut_short_in_messages():
    doc = yaml.safe_load(FLAGGER.read_text())
    doc["spec"]["analysis"]["stepWeight"] = "ten " * 10_000
    with pytest.raises(ConfigImportError) as err:
        import_config(doc, base=BASE)
    message = str(err.value)
    assert message.startswith("<dict>: spec.analysis.stepWeight: expected a number, got 'ten ten")
    assert len(message) < 150


def test_a_base_given_as_text_is_read_as_safely_as_a_file():
    text = "name: base\nduration: 3600\nduration: 7200\n"
    with pytest.raises(ConfigImportError, match=r"^base scenario: <text>: .*duplicate key"):
        import_config(FLAGGER, base=text)


def test_flagger_max_weight_defaults_to_100_as_in_flaggers_scheduler():
    doc = yaml.safe_load(FLAGGER.read_text())
    del doc["spec"]["analysis"]["maxWeight"]
    assert import_config(doc, base=BASE)["strategy"]["max_weight"] == 100
    doc["spec"]["analysis"]["maxWeight"] = 0  # Flagger reads 0 as unset too
    st = ds.load_scenario(import_config(doc, base=BASE)).strategy
    assert st.weights() == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]


def test_flagger_step_weights_ignore_max_weight_and_say_so():
    doc = yaml.safe_load(FLAGGER.read_text())
    analysis = doc["spec"]["analysis"]
    del analysis["stepWeight"]
    analysis["stepWeights"] = [5, 20, 60]
    data = import_config(doc, base=BASE)
    assert "max_weight" not in data["strategy"]
    assert ds.load_scenario(data).strategy.weights() == [5, 20, 60]
    assert "maxWeight not used" in data["description"]


def test_flagger_step_weight_promotion_0_is_its_unset_value():
    doc = yaml.safe_load(FLAGGER.read_text())
    doc["spec"]["analysis"]["stepWeightPromotion"] = 0
    assert import_config(doc, base=BASE)["strategy"]["step_weight"] == 10
    doc["spec"]["analysis"]["stepWeightPromotion"] = 50
    with pytest.raises(ConfigImportError, match="stepWeightPromotion: gradual promotion"):
        import_config(doc, base=BASE)


def test_argo_count_0_measures_until_the_rollout_ends_as_argo_does():
    docs = argo_docs()
    metric = docs[1]["spec"]["metrics"][0]
    metric["count"] = 0
    metric["failureLimit"] = 2
    docs[0]["spec"]["strategy"]["canary"]["steps"] = [
        {"setWeight": 20}, {"pause": {"duration": "5m"}}
    ]
    gate = import_config(argo_text(docs), base=BASE)["strategy"]["gate"]
    assert "count" not in gate
    assert gate["failure_limit"] == 2


def test_whole_numbers_written_as_floats_are_accepted():
    docs = argo_docs()
    docs[0]["spec"]["replicas"] = 6.0
    assert import_config(argo_text(docs), base=BASE)["fleet"]["instances"] == 6


@pytest.mark.parametrize(
    "value, seconds",
    [("90s", 90.0), ("1m30s", 90.0), ("1.5h", 5400.0), ("300ms", 0.3), (45, 45.0), ("45", 45.0)],
)
def test_go_durations_read_as_seconds(value, seconds):
    docs = argo_docs()
    docs[0]["spec"]["strategy"]["canary"]["steps"] = [
        {"setWeight": 20}, {"pause": {"duration": value}}
    ]
    steps = import_config(argo_text(docs), base=BASE)["strategy"]["steps"]
    assert steps == [{"weight": 20, "bake": pytest.approx(seconds)}]


@pytest.mark.parametrize("value", ["\u0663m", "1m 30s", "-1m", "1d", True, "9" * 40 + "s"])
def test_durations_that_are_not_go_durations_are_refused(value):
    doc = yaml.safe_load(FLAGGER.read_text())
    doc["spec"]["analysis"]["interval"] = value
    with pytest.raises(ConfigImportError, match=r"spec\.analysis\.interval: expected a duration"):
        import_config(doc, base=BASE)


def test_numbers_too_large_for_a_float_are_refused_not_raised():
    doc = yaml.safe_load(FLAGGER.read_text())
    doc["spec"]["analysis"]["metrics"][1]["thresholdRange"]["max"] = 10**400
    with pytest.raises(ConfigImportError, match=r"thresholdRange\.max: expected a finite number"):
        import_config(doc, base=BASE)
