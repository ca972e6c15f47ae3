"""The scenario schema: durations, loading, error messages, release inheritance, round trips.

Errors are asserted through the text users see: every line of a ScenarioError is
"  <field path>: <what was expected>", and the path must be the one the user wrote
(no pydantic union tags such as 'poisson' or 'float' spliced into it).
"""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import catalog
from simulator.scenario.base import format_duration, parse_duration
from simulator.scenario.fleet import FleetSpec, ReleaseSpec
from simulator.scenario.model import UNIONS, Scenario, ScenarioError, load_scenario
from simulator.scenario.monitoring import Alarm
from simulator.scenario.strategies import STRATEGY_TYPES
from simulator.scenario.workload import DISTRIBUTIONS, TRAFFIC_PATTERNS
from tests.builders import DROP, scenario

# ---------------------------------------------------------------- helpers

SPURIOUS = {"float", "str", "int", "bool", "list", "dict", "none", "nullable"}


def problems(source: Any) -> dict[str, str]:
    """The ScenarioError raised for `source`, as {field path: message}."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(source)
    lines = str(info.value).splitlines()
    assert lines[0].endswith("is invalid:"), str(info.value)
    out: dict[str, str] = {}
    for line in lines[1:]:
        assert line.startswith("  "), line
        path, sep, message = line.strip().partition(": ")
        assert sep, line
        out[path] = message
    for path in out:
        parts = path.split(".")
        bad = [p for p in parts if p in SPURIOUS or p.startswith("function-")]
        bad += [p for field, p in zip(parts, parts[1:], strict=False) if p in UNIONS.get(field, ())]
        assert not bad, f"union tag {bad} in error path {path!r}: {info.value}"
    return out


def expect(source: Any, path: str, *phrases: str) -> str:
    """Assert the error names `path` and, in that line, every phrase; return the message."""
    found = problems(source)
    assert path in found, f"expected an error at {path!r}, got {found}"
    for phrase in phrases:
        assert phrase in found[path], f"{phrase!r} not in {path}: {found[path]!r}"
    return found[path]


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (30, 30.0),
        (2.5, 2.5),
        (0, 0.0),
        ("45", 45.0),
        ("250ms", 0.25),
        ("90s", 90.0),
        ("10m", 600.0),
        ("5min", 300.0),
        ("2h", 7200.0),
        ("1.5h", 5400.0),
        ("1d", 86400.0),
        (".5s", 0.5),
        ("1e3ms", 1.0),
        (" 10 m ", 600.0),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize(
    "bad", ["10 parsecs", -1, -0.5, True, False, "", "   ", "-5s", "inf", "nan", "2 h m",
            "10M", float("nan"), float("inf"), None, [10], "1h30m"],
)  # fmt: skip
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


@pytest.mark.parametrize(("seconds", "text"), [(7200, "2h"), (600, "10m"), (90, "90s"),
                                              (0.25, "250ms"), (5400, "90m")])  # fmt: skip
def test_format_duration_reads_back(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text) == pytest.approx(seconds)


def test_durations_in_a_scenario_are_seconds():
    sc = load_scenario(
        scenario(duration="2h", warmup="1.5h", fleet={"timeout": "250ms", "overhead": "5ms"},
                 monitoring={"period": "90s"}, failures={"instance": {"mtbf": "1d", "mttr": "10m"}})
    )  # fmt: skip
    assert sc.duration == 7200.0
    assert sc.warmup == 5400.0
    assert sc.fleet.timeout == 0.25
    assert sc.fleet.overhead == pytest.approx(0.005)
    assert sc.monitoring.period == 90.0
    assert sc.failures.instance.mtbf == 86400.0
    assert sc.failures.instance.mttr == 600.0
    assert sc.to_dict()["duration"] == 7200.0


@pytest.mark.parametrize("bad", ["10 parsecs", -1, True, ""])
def test_bad_duration_names_the_field(bad):
    message = expect(scenario(duration=bad), "duration", "duration")
    assert repr(bad) in message or "boolean" in message


@pytest.mark.parametrize("bad", ["10 parsecs", -1, True, ""])
def test_bad_nested_duration_names_the_field(bad):
    expect(scenario(fleet={"timeout": bad}), "fleet.timeout", "duration")


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"duration": 0}, "duration"),
        ({"fleet": {"timeout": 0}}, "fleet.timeout"),
        ({"monitoring": {"period": "0s"}}, "monitoring.period"),
        ({"failures": {"instance": {"mtbf": "soon"}}}, "failures.instance.mtbf"),
        ({"release": {"timeout": "x"}}, "release.timeout"),
        ({"strategy": {"type": "big_bang", "start": "later"}, "release": {}}, "strategy.start"),
        ({"slo": {"latency_p99": "fast"}}, "slo.latency_p99"),
        ({"traffic": {"pattern": "diurnal", "rate": 1, "period": "1 day"}}, "traffic.period"),
        ({"traffic": {"pattern": "bursty", "rate": 1,
                      "bursts": [{"at": "1h", "duration": "0s", "multiplier": 2}]}},
         "traffic.bursts.0.duration"),
        ({"fleet": {"service_time": {"distribution": "exponential", "mean": "-1s"}}},
         "fleet.service_time.mean"),
        ({"fleet": {"service_time": {"distribution": "empirical", "samples": ["10ms", "x"]}}},
         "fleet.service_time.samples.1"),
        ({"release": {}, "strategy": {"type": "canary", "gate": {"type": "flagger",
                                                                 "interval": "soon"}}},
         "strategy.gate.interval"),  # neither 'canary' nor 'flagger' spliced in
        ({"release": {"service_time": {"distribution": "gamma", "mean": "fast", "cv": 1}}},
         "release.service_time.mean"),
    ],
)  # fmt: skip
def test_duration_errors_have_clean_paths(fields, path):
    expect(scenario(**fields), path)


# ---------------------------------------------------------------- load_scenario sources

YAML_TEXT = """\
name: from-text
duration: 10m
traffic: {pattern: poisson, rate: 5}
fleet:
  service_time: {distribution: exponential, mean: 100ms}
"""


def test_load_from_yaml_text_dict_and_scenario():
    from_text = load_scenario(YAML_TEXT)
    assert from_text.name == "from-text"
    assert from_text.duration == 600.0
    assert from_text.fleet.service_time.mean == pytest.approx(0.1)
    from_dict = load_scenario(yaml.safe_load(YAML_TEXT))
    assert from_dict == from_text
    assert load_scenario(from_text) is from_text
    one_line = load_scenario("{duration: 60, traffic: {pattern: poisson, rate: 1}}")
    assert one_line.duration == 60.0


def test_load_does_not_modify_the_dict():
    data = scenario(fleet={"service_time": {"distribution": "exponential", "mean": "1s"}})
    before = copy.deepcopy(data)
    load_scenario(data)
    assert data == before


def test_load_from_str_and_path(tmp_path):
    file = tmp_path / "sc.yaml"
    file.write_text(YAML_TEXT)
    assert load_scenario(file) == load_scenario(str(file)) == load_scenario(YAML_TEXT)
    other = tmp_path / "sc.yml"
    other.write_text(YAML_TEXT)
    assert load_scenario(str(other)).name == "from-text"


def test_trace_path_is_relative_to_the_scenario_file(tmp_path, monkeypatch):
    folder = tmp_path / "scenarios" / "traces"
    folder.mkdir(parents=True)
    (folder / "arrivals.csv").write_text("t\n0.5\n1.0\n2.5\n")
    file = tmp_path / "scenarios" / "replay.yaml"
    file.write_text("duration: 10\ntraffic: {pattern: trace, path: traces/arrivals.csv}\n")
    expected = str((folder / "arrivals.csv").resolve())
    monkeypatch.chdir(tmp_path)  # the working directory is NOT the scenario's folder
    for source in ("scenarios/replay.yaml", Path("scenarios/replay.yaml"), file, str(file)):
        sc = load_scenario(source)
        assert sc.traffic.path == expected
        assert load_scenario(sc.to_dict()) == sc  # absolute now, so it reloads anywhere
    # As text or a dict there is no file to be relative to: the working directory is used.
    with pytest.raises(ScenarioError, match="trace file not found"):
        load_scenario(file.read_text())


def test_missing_trace_file_is_an_error(tmp_path):
    file = tmp_path / "replay.yaml"
    file.write_text("duration: 10\ntraffic: {pattern: trace, path: nowhere.csv}\n")
    message = expect(file, "traffic.path", "trace file not found", "nowhere.csv")
    assert "trace" in message


@pytest.mark.parametrize("as_path", [False, True])
def test_missing_file_is_an_error_naming_it(tmp_path, as_path):
    missing = tmp_path / "no-such-scenario.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(missing if as_path else str(missing))
    assert "no-such-scenario.yaml" in str(info.value)
    assert "cannot read" in str(info.value)


def test_scenario_error_is_a_value_error():
    assert issubclass(ScenarioError, ValueError)


def test_bad_yaml_names_the_line(tmp_path):
    text = "duration: 10\ntraffic: {pattern: poisson, rate: 1\nfleet: {instances: 2}\n"
    with pytest.raises(ScenarioError, match=r"not valid YAML at line 3"):
        load_scenario(text)
    file = tmp_path / "broken.yaml"
    file.write_text("duration: 10\ntraffic:\n  pattern: poisson\n rate: 1\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    assert "broken.yaml" in str(info.value)
    assert "line 4" in str(info.value)


@pytest.mark.parametrize("text", ["- 1\n- 2\n", "just a string", "42", ""])
def test_top_level_must_be_a_mapping(text, tmp_path):
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(text)
    file = tmp_path / "scalar.yaml"
    file.write_text(text)
    with pytest.raises(ScenarioError, match="mapping") as info:
        load_scenario(file)
    assert "scalar.yaml" in str(info.value)


def test_non_mapping_python_object_is_an_error():
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario([scenario()])  # type: ignore[arg-type]


def test_file_errors_name_the_file(tmp_path):
    file = tmp_path / "typo.yaml"
    file.write_text("duraton: 1h\ntraffic: {pattern: poisson, rate: 1}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    assert str(info.value).startswith(str(file))


# ---------------------------------------------------------------- error messages


def test_negative_rate():
    expect(scenario(traffic={"pattern": "poisson", "rate": -1}), "traffic.rate",
           "greater than or equal to")  # fmt: skip


@pytest.mark.parametrize("pattern", ["poisson", "diurnal", "bursty"])
def test_rate_path_has_no_pattern_tag(pattern):
    traffic = {"pattern": pattern, "rate": 0}
    if pattern == "bursty":
        traffic["cv"] = 2
    expect(scenario(traffic=traffic), "traffic.rate", "greater than or equal to")


def test_rate_must_be_a_number():
    expect(scenario(traffic={"pattern": "poisson", "rate": "fast"}), "traffic.rate", "number")


def test_unknown_target_suggests_the_close_one():
    message = expect(
        scenario(fleet={"target": "ml.g4dn.xlarg"}),
        "fleet.target",
        "unknown target 'ml.g4dn.xlarg'",
        "did you mean 'ml.g4dn.xlarge'",
    )
    assert message.index("ml.g4dn.xlarge") < message.index("ml.g5.xlarge")  # closest first


def test_unknown_target_without_a_close_one_lists_them():
    message = expect(scenario(fleet={"target": "tpu"}), "fleet.target", "unknown target")
    assert all(t in message for t in catalog.targets())


def test_unknown_model():
    expect(scenario(fleet={"model": "resnet5"}), "fleet.model", "unknown model 'resnet5'",
           "did you mean 'resnet50'")  # fmt: skip


def test_unknown_model_in_release_and_pipeline():
    expect(scenario(release={"model": "bert"}), "release.model", "did you mean 'bert-base'")
    expect(scenario(release={"target": "ml.g4dn.xlarg"}), "release.target",
           "did you mean 'ml.g4dn.xlarge'")  # fmt: skip
    pipeline = [{"model": "resnet50"}, {"model": "bertt"}]
    expect(scenario(fleet={"pipeline": pipeline}), "fleet.pipeline.1.model", "unknown model")


def test_unknown_accelerator():
    expect(scenario(fleet={"accelerator": "ml.eia2.mediumm"}), "fleet.accelerator",
           "did you mean 'ml.eia2.medium'")  # fmt: skip


def test_impossible_catalog_combination_is_reported_on_the_fleet():
    expect(scenario(fleet={"target": "ml.t2.medium", "neo": True}), "fleet", "Neo")
    expect(scenario(release={"target": "ml.t2.medium", "neo": True}), "release", "Neo")
    # xgboost has no Elastic Inference profile; the combination comes from inheritance
    expect(scenario(fleet={"accelerator": "ml.eia2.medium"}, release={"model": "xgboost"}),
           "release", "xgboost", "Elastic Inference")  # fmt: skip


def test_fleet_needs_some_latency_source():
    expect(scenario(fleet={"model": None}), "fleet", "'model', 'service_time' or 'pipeline'")


@pytest.mark.parametrize(
    ("fields", "path", "phrase"),
    [
        ({"release": {"defect": {"error_rate": 1.5}}}, "release.defect.error_rate",
         "less than or equal to 1"),
        ({"release": {"defect": {"error_rate": -0.1}}}, "release.defect.error_rate",
         "greater than or equal to 0"),
        ({"release": {"defect": {"latency_factor": 0}}}, "release.defect.latency_factor",
         "greater than 0"),
        ({"release": {"error_rate": 2}}, "release.error_rate", "less than or equal to 1"),
        ({"fleet": {"weight": -0.5}}, "fleet.weight", "greater than or equal to 0"),
        ({"fleet": {"error_rate": 1.01}}, "fleet.error_rate", "less than or equal to 1"),
        ({"fleet": {"instances": 0}}, "fleet.instances", "greater than or equal to 1"),
        ({"fleet": {"workers_per_instance": 0}}, "fleet.workers_per_instance",
         "greater than or equal to 1"),
        ({"fleet": {"queue_capacity": -1}}, "fleet.queue_capacity", "greater than or equal to 0"),
        ({"traffic": {"pattern": "diurnal", "rate": 5, "amplitude": 1.5}}, "traffic.amplitude",
         "less than or equal to 1"),
        ({"failures": {"zone_outages": [{"at": 10, "duration": 5, "fraction": 1.5}]}},
         "failures.zone_outages.0.fraction", "less than or equal to 1"),
        ({"monitoring": {"request_log": 2}}, "monitoring.request_log", "less than or equal to 1"),
        ({"slo": {"availability": 0}}, "slo.availability", "greater than 0"),
        ({"fleet": {"routing": "round_robin"}}, "fleet.routing", "least_outstanding"),
    ],
)  # fmt: skip
def test_out_of_range(fields, path, phrase):
    message = expect(scenario(**fields), path, phrase)
    assert "got" in message  # the offending value is echoed


@pytest.mark.parametrize(
    ("fields", "path", "typo", "meant"),
    [
        ({"duraton": 60}, "(top level)", "duraton", "duration"),
        ({"fleet": {"instnaces": 3}}, "fleet", "instnaces", "instances"),
        ({"traffic": {"pattern": "poisson", "rat": 3}}, "traffic", "rat", "rate"),
        ({"release": {"verison": "v3"}}, "release", "verison", "version"),
        ({"release": {"defect": {"error_rte": 0.1}}}, "release.defect", "error_rte", "error_rate"),
        ({"fleet": {"service_time": {"distribution": "exponential", "maen": 1}}},
         "fleet.service_time", "maen", "mean"),
        ({"monitoring": {"alarms": [{"name": "a", "metric": "error_rate", "treshold": 0.1}]}},
         "monitoring.alarms.0", "treshold", "threshold"),
        ({"autoscaling": {"target": 100, "max": 4, "mni": 1}}, "autoscaling", "mni", "min"),
        ({"failures": {"instance": {"mtbf": "1d", "mtr": "1m"}}}, "failures.instance", "mtr",
         "mttr"),
        ({"release": {}, "strategy": {"type": "big_bang", "overlpa": True}}, "strategy",
         "overlpa", "overlap"),
        ({"slo": {"latency": "1s"}}, "slo", "latency", "latency_p99"),
    ],
)  # fmt: skip
def test_key_typo_anywhere(fields, path, typo, meant):
    data = scenario(**fields)
    if "duraton" in data:
        del data["duration"]
    message = expect(data, path, f"unknown key '{typo}'", f"did you mean '{meant}'")
    assert "known keys:" in message


def test_unknown_key_with_no_close_match_lists_the_keys():
    message = expect(scenario(fleet={"colour": "blue"}), "fleet", "unknown key 'colour'")
    assert "did you mean" not in message
    assert "instances" in message and "target" in message


@pytest.mark.parametrize(
    ("fields", "path", "valid", "meant"),
    [
        ({"traffic": {"pattern": "poison", "rate": 1}}, "traffic.pattern", TRAFFIC_PATTERNS,
         "poisson"),
        ({"fleet": {"service_time": {"distribution": "normal", "mean": 1}}},
         "fleet.service_time.distribution", DISTRIBUTIONS, "lognormal"),
        ({"release": {"service_time": {"distribution": "gama", "mean": 1}}},
         "release.service_time.distribution", DISTRIBUTIONS, "gamma"),
        ({"strategy": {"type": "canery"}, "release": {}}, "strategy.type", set(STRATEGY_TYPES),
         "canary"),
        ({"strategy": {"type": "yolo"}, "release": {}}, "strategy.type", set(STRATEGY_TYPES),
         None),
    ],
)  # fmt: skip
def test_unknown_union_tag_lists_the_valid_ones_with_did_you_mean(fields, path, valid, meant):
    message = expect(scenario(**fields), path)
    for name in valid:
        assert re.search(rf"\b{name}\b", message), (name, message)
    assert ("did you mean" in message) == (meant is not None), message
    if meant:
        assert f"did you mean '{meant}'?" in message
    assert "discriminator" not in message and "{" not in message  # no pydantic, no dump


def test_missing_tag_and_missing_required_fields():
    message = expect(scenario(traffic={"pattern": DROP, "rate": 1}), "traffic.pattern", "missing")
    assert "discriminator" not in message and "poisson" in message
    data = scenario()
    del data["traffic"]
    expect(data, "traffic", "Field required")
    expect(scenario(duration=DROP), "duration", "Field required")
    expect(scenario(traffic={"pattern": "poisson"}), "traffic.rate", "Field required")


def test_several_errors_are_reported_together():
    found = problems(scenario(traffic={"pattern": "poisson", "rate": -1},
                              fleet={"instances": 0, "timeout": "soon"}))  # fmt: skip
    assert {"traffic.rate", "fleet.instances", "fleet.timeout"} <= set(found)


@pytest.mark.parametrize(("warmup", "duration"), [("1h", "1h"), ("2h", "1h"), (61, 60)])
def test_warmup_must_be_shorter_than_duration(warmup, duration):
    expect(scenario(warmup=warmup, duration=duration), "(top level)", "warmup",
           "shorter than duration")  # fmt: skip


def test_warmup_just_below_duration_is_fine():
    assert load_scenario(scenario(warmup=59.9, duration=60)).warmup == 59.9


def test_strategy_other_than_none_needs_a_release():
    expect(scenario(strategy={"type": "big_bang"}), "(top level)", "big_bang",
           "needs a 'release'")  # fmt: skip
    sc = load_scenario(scenario(strategy={"type": "none"}))
    assert sc.strategy.type == "none"
    assert load_scenario(scenario()).strategy.type == "none"  # the default


def test_release_version_must_differ():
    expect(scenario(release={"version": "v1"}), "release", "release.version",
           "must differ from fleet.version")  # fmt: skip
    # the default release version (v2) against a fleet labelled v2
    expect(scenario(fleet={"version": "v2"}, release={}), "release", "must differ")


def test_alarm_m_of_n():
    alarm = {"name": "p99", "metric": "latency_p99", "threshold": "200ms",
             "evaluation_periods": 2, "datapoints_to_alarm": 3}  # fmt: skip
    expect(scenario(monitoring={"alarms": [alarm]}), "monitoring.alarms.0",
           "datapoints_to_alarm must not exceed evaluation_periods")  # fmt: skip
    ok = load_scenario(scenario(monitoring={"alarms": [alarm | {"datapoints_to_alarm": 2}]}))
    assert ok.monitoring.alarms[0].m == 2


def test_alarm_m_defaults_to_n():
    alarm = Alarm(name="e", metric="error_rate", threshold=0.1, evaluation_periods=3)
    assert alarm.m == 3


def test_autoscaling_min_above_max():
    expect(scenario(autoscaling={"target": 600, "min": 5, "max": 2}), "autoscaling",
           "min (5) must not exceed max (2)")  # fmt: skip
    sc = load_scenario(scenario(autoscaling={"target": 600, "min": 3, "max": 3}))
    assert sc.autoscaling.min == sc.autoscaling.max == 3


@pytest.mark.parametrize(
    "params",
    [{"mean": 1}, {"p99": 1}, {"sigma": 0.5}, {},
     {"mean": 1, "p50": 0.8, "p99": 3}, {"p50": 1, "p99": 2, "sigma": 0.3},
     {"mean": 1, "p99": 2, "sigma": 0.3}, {"mean": 1, "p50": 0.9, "sigma": 0.3},
     {"mean": 1, "p50": 0.8, "p99": 3, "sigma": 0.3}, {"mean": 1, "p50": 0.8}],
)  # fmt: skip
def test_lognormal_needs_exactly_two_parameters(params):
    st_ = {"distribution": "lognormal", **params}
    expect(scenario(fleet={"service_time": st_}), "fleet.service_time", "give exactly two of")


def test_lognormal_impossible_fit_is_an_error():
    # p99 below p50 cannot be a lognormal
    expect(scenario(fleet={"service_time": {"distribution": "lognormal", "p50": 1, "p99": 0.5}}),
           "fleet.service_time")  # fmt: skip


@pytest.mark.parametrize(
    "extra",
    [{}, {"cv": 2, "mmpp": {"high_rate": 50, "mean_low": 60, "mean_high": 10}},
     {"cv": 2, "bursts": [{"at": 60, "duration": 10, "multiplier": 5}]},
     {"bursts": []}],
)  # fmt: skip
def test_bursty_needs_exactly_one_kind(extra):
    expect(scenario(traffic={"pattern": "bursty", "rate": 5, **extra}), "traffic",
           "exactly one of 'bursts', 'cv' or 'mmpp'")  # fmt: skip


@pytest.mark.parametrize(("n", "phrase"), [(0, "at least 2"), (1, "at least 2"),
                                           (6, "at most 5")])  # fmt: skip
def test_pipeline_length(n, phrase):
    pipeline = [{"model": "resnet50"}] * n
    expect(scenario(fleet={"pipeline": pipeline}), "fleet.pipeline", phrase)
    expect(scenario(release={"pipeline": pipeline}), "release.pipeline", phrase)


@pytest.mark.parametrize("n", [2, 5])
def test_pipeline_length_bounds_are_inclusive(n):
    sc = load_scenario(scenario(fleet={"pipeline": [{"model": "xgboost"}] * n}))
    assert len(sc.fleet.pipeline) == n


def test_pipeline_container_needs_one_latency_source():
    both = {"model": "xgboost", "service_time": {"distribution": "deterministic", "value": 1}}
    expect(scenario(fleet={"pipeline": [{"model": "resnet50"}, both]}), "fleet.pipeline.1",
           "exactly one of 'model' or 'service_time'")  # fmt: skip
    expect(scenario(fleet={"pipeline": [{"model": "resnet50"}, {"name": "empty"}]}),
           "fleet.pipeline.1", "exactly one of")  # fmt: skip


def test_service_time_and_pipeline_are_exclusive():
    fleet = {"service_time": {"distribution": "exponential", "mean": 1},
             "pipeline": [{"model": "resnet50"}, {"model": "xgboost"}]}  # fmt: skip
    expect(scenario(fleet=fleet), "fleet", "not both")


def test_empirical_samples_must_be_positive():
    st_ = {"distribution": "empirical", "samples": [0.1, 0]}
    expect(scenario(fleet={"service_time": st_}), "fleet.service_time.samples", "greater than 0")
    st_ = {"distribution": "empirical", "samples": []}
    expect(scenario(fleet={"service_time": st_}), "fleet.service_time.samples", "at least 1")


def test_bad_alarm_metric_is_one_error_not_two():
    alarm = {"name": "a", "metric": "latency_p90", "threshold": "200ms"}
    found = problems(scenario(monitoring={"alarms": [alarm]}))
    assert list(found) == ["monitoring.alarms.0.metric"]
    assert "'latency_p99'" in found["monitoring.alarms.0.metric"]


@pytest.mark.parametrize(
    ("metric", "threshold", "phrase"),
    [("error_rate", [0.1], "percentage"), ("error_rate", "lots", "percentage"),
     ("error_rate", True, "percentage"), ("latency_p99", "5%", "duration"),
     ("latency_p99", "fast", "duration"), ("latency_p99", -1, "duration")],
)  # fmt: skip
def test_bad_alarm_threshold(metric, threshold, phrase):
    alarm = {"name": "a", "metric": metric, "threshold": threshold}
    expect(scenario(monitoring={"alarms": [alarm]}), "monitoring.alarms.0.threshold", phrase)


# ---------------------------------------------------------------- alarm thresholds


@pytest.mark.parametrize(
    ("metric", "threshold", "value"),
    [("latency_p99", "200ms", 0.2), ("latency_p99", 0.2, 0.2), ("latency_p95", "1s", 1.0),
     ("latency_p50", "1.5", 1.5), ("latency_mean", 2, 2.0), ("ModelLatency", "250ms", 0.25),
     ("error_rate", "5%", 0.05), ("error_rate", 0.05, 0.05), ("error_rate", "0.05", 0.05),
     ("error_rate", " 2.5 % ", 0.025), ("Invocation5XXErrors", "1%", 0.01),
     ("Invocations", 1000, 1000.0), ("InvocationsPerInstance", "600", 600.0),
     ("utilization", "80%", 0.8)],
)  # fmt: skip
def test_alarm_threshold_units(metric, threshold, value):
    sc = load_scenario(scenario(monitoring={"alarms": [
        {"name": "a", "metric": metric, "threshold": threshold}]}))  # fmt: skip
    got = sc.monitoring.alarms[0].threshold
    assert isinstance(got, float)
    assert got == pytest.approx(value, rel=1e-12)
    assert load_scenario(sc.to_dict()) == sc


# ---------------------------------------------------------------- release inheritance

FLEET = {
    "version": "v1", "target": "ml.g4dn.xlarge", "model": "bert-base", "instances": 3,
    "workers_per_instance": 2, "queue_capacity": 10, "timeout": "30s",
    "routing": "least_outstanding", "weight": 0.5, "error_rate": 0.01, "overhead": "5ms",
    "price_per_hour": 1.25, "provisioning": "2m",
}  # fmt: skip


def test_release_inherits_every_unspecified_field():
    sc = load_scenario(scenario(fleet=FLEET, release={"version": "v2", "defect": {
        "error_rate": 0.05, "latency_factor": 1.5}}))  # fmt: skip
    rf = sc.release_fleet
    assert isinstance(rf, FleetSpec)
    assert rf.version == "v2"
    same = set(FleetSpec.model_fields) - {"version"}
    assert {k: getattr(rf, k) for k in same} == {k: getattr(sc.fleet, k) for k in same}
    assert sc.release.defect.error_rate == 0.05
    assert sc.release.defect.latency_factor == 1.5
    assert "defect" not in FleetSpec.model_fields


def test_release_overrides_only_what_it_names():
    sc = load_scenario(scenario(fleet=FLEET, release={"instances": 6, "target": "ml.g5.xlarge",
                                                      "timeout": "10s"}))  # fmt: skip
    rf = sc.release_fleet
    assert (rf.instances, rf.target, rf.timeout) == (6, "ml.g5.xlarge", 10.0)
    assert rf.model == "bert-base"  # inherited, and valid on the new target
    assert rf.queue_capacity == 10 and rf.routing == "least_outstanding"
    assert sc.fleet.instances == 3  # the fleet itself is untouched


def test_release_service_time_replaces_the_fleet_model():
    st_ = {"distribution": "gamma", "mean": "80ms", "cv": 0.5}
    sc = load_scenario(scenario(fleet=FLEET, release={"service_time": st_}))
    rf = sc.release_fleet
    assert rf.model is None
    assert rf.service_time.distribution == "gamma"
    assert rf.service_time.mean == pytest.approx(0.08)
    assert rf.target == "ml.g4dn.xlarge"


def test_release_service_time_replaces_the_fleet_pipeline():
    fleet = {"pipeline": [{"model": "xgboost"}, {"model": "resnet50"}]}
    st_ = {"distribution": "exponential", "mean": 1}
    rf = load_scenario(scenario(fleet=fleet, release={"service_time": st_})).release_fleet
    assert rf.pipeline is None and rf.model is None
    assert rf.service_time.mean == 1.0


def test_release_model_replaces_the_fleet_service_time():
    fleet = {"service_time": {"distribution": "exponential", "mean": 1}}
    rf = load_scenario(scenario(fleet=fleet, release={"model": "xgboost"})).release_fleet
    assert rf.service_time is None and rf.pipeline is None
    assert rf.model == "xgboost"


def test_release_pipeline_replaces_the_fleet_model():
    pipeline = [{"model": "xgboost"}, {"service_time": {"distribution": "deterministic",
                                                        "value": "3ms"}}]  # fmt: skip
    rf = load_scenario(scenario(release={"pipeline": pipeline})).release_fleet
    assert rf.model is None and rf.service_time is None
    assert [c.model for c in rf.pipeline] == ["xgboost", None]


def test_release_without_latency_fields_keeps_the_fleet_service_time():
    fleet = {"service_time": {"distribution": "deterministic", "value": "20ms"}}
    rf = load_scenario(scenario(fleet=fleet, release={"instances": 2})).release_fleet
    assert rf.service_time == load_scenario(scenario(fleet=fleet)).fleet.service_time


def test_release_fleet_method_gives_a_valid_fleet_spec():
    current = FleetSpec(target="ml.c5.xlarge", model="resnet50", instances=4)
    release = ReleaseSpec(version="v9", target="ml.inf2.xlarge", neo=True)
    fleet = release.fleet(current)
    assert isinstance(fleet, FleetSpec)
    assert (fleet.version, fleet.target, fleet.neo, fleet.instances) == (
        "v9", "ml.inf2.xlarge", True, 4)  # fmt: skip
    assert FleetSpec.model_validate(fleet.model_dump()) == fleet
    # and a dump without the None fields (what to_dict writes) reads back equal too
    assert FleetSpec.model_validate(fleet.model_dump(mode="json", exclude_none=True)) == fleet


def test_release_fleet_with_service_time_survives_exclude_none():
    release = ReleaseSpec(service_time={"distribution": "exponential", "mean": 0.5})
    fleet = release.fleet(FleetSpec())
    assert fleet.model is None
    assert FleetSpec.model_validate(fleet.model_dump(mode="json", exclude_none=True)) == fleet


def test_no_release_no_release_fleet():
    assert load_scenario(scenario()).release_fleet is None


def test_scenario_is_frozen():
    sc = load_scenario(scenario())
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance ValidationError
        sc.duration = 5  # type: ignore[misc]


# ---------------------------------------------------------------- round trips (hypothesis)

CATALOG_ROWS = [
    (r.target, r.model, bool(r.neo), r.accelerator or None)
    for r in catalog.catalog_table().itertuples()
]


def seconds(lo: float, hi: float) -> st.SearchStrategy[Any]:
    """Durations as users write them: plain numbers or strings with a unit.

    A positive duration is at least 1 us (the schema's time resolution), so 0 is drawn
    on its own.
    """
    return st.one_of(
        st.just(0.0) if lo == 0 else st.nothing(),
        st.floats(max(lo, 1e-6), hi, allow_nan=False, allow_infinity=False),
        st.integers(math.ceil(lo), math.floor(hi)).map(lambda s: f"{s}s"),
        st.integers(math.ceil(lo * 1000), math.floor(hi * 1000)).map(lambda ms: f"{ms}ms"),
        st.integers(max(1, math.ceil(lo / 60)), max(1, math.floor(hi / 60))).map(lambda m: f"{m}m"),
    )


positive = st.floats(1e-3, 1e4, allow_nan=False, allow_infinity=False)
share = st.floats(0, 1, allow_nan=False)


@st.composite
def service_times(draw) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(DISTRIBUTIONS)))
    if kind == "exponential":
        return {"distribution": kind, "mean": draw(seconds(0.001, 10))}
    if kind == "deterministic":
        return {"distribution": kind, "value": draw(seconds(0.001, 10))}
    if kind == "gamma":
        return {"distribution": kind, "mean": draw(seconds(0.001, 10)),
                "cv": draw(st.floats(0.05, 5))}  # fmt: skip
    if kind == "empirical":
        return {"distribution": kind,
                "samples": draw(st.lists(seconds(0.001, 10), min_size=1, max_size=5))}  # fmt: skip
    base = draw(st.floats(0.001, 5))
    pair = draw(st.sampled_from(["p50_p99", "mean_p99", "mean_sigma", "p50_sigma"]))
    if pair == "p50_p99":
        return {"distribution": kind, "p50": base, "p99": base * draw(st.floats(1.01, 50))}
    if pair == "mean_p99":  # solvable while p99 / mean < exp(z99^2 / 2) ~ 15
        return {"distribution": kind, "mean": base, "p99": base * draw(st.floats(1.01, 10))}
    first = "mean" if pair == "mean_sigma" else "p50"
    return {"distribution": kind, first: base, "sigma": draw(st.floats(0.01, 2))}


@st.composite
def latency_source(draw, rows: list[tuple]) -> dict[str, Any]:
    """A catalog model (with a valid target/neo/accelerator), a service_time or a pipeline."""
    kind = draw(st.sampled_from(["catalog", "service_time", "service_time_no_model",
                                 "pipeline"]))  # fmt: skip
    target, model, neo, accelerator = draw(st.sampled_from(rows))
    out: dict[str, Any] = {"target": target}
    if kind == "catalog":
        out |= {"model": model, "neo": neo}
        if accelerator:
            out["accelerator"] = accelerator
    elif kind == "service_time":
        out["service_time"] = draw(service_times())
    elif kind == "service_time_no_model":
        out |= {"model": None, "service_time": draw(service_times())}
    else:
        out["neo"] = neo
        if accelerator:
            out["accelerator"] = accelerator
        containers = st.one_of(
            st.just({"model": model}),
            service_times().map(lambda s: {"name": "pre", "service_time": s}),
        )
        out["pipeline"] = draw(st.lists(containers, min_size=2, max_size=5))
    return out


def capacity() -> dict[str, Any]:
    return {
        "instances": st.integers(1, 50),
        "workers_per_instance": st.one_of(st.none(), st.integers(1, 64)),
        "queue_capacity": st.one_of(st.none(), st.just(0), st.integers(0, 1000)),
        "timeout": seconds(0.01, 600),
        "routing": st.sampled_from(["random", "least_outstanding"]),
        "error_rate": share,
        "overhead": seconds(0, 1),
        "price_per_hour": st.one_of(st.none(), st.floats(0, 50)),
        "provisioning": st.one_of(st.none(), seconds(0, 900)),
    }


@st.composite
def fleets(draw) -> dict[str, Any]:
    fleet = draw(latency_source(CATALOG_ROWS))
    fleet["version"] = "v1"
    fleet["weight"] = draw(st.floats(0, 10))
    fleet |= draw(st.fixed_dictionaries({}, optional=capacity()))
    return fleet


@st.composite
def releases(draw, fleet: dict[str, Any]) -> dict[str, Any]:
    release: dict[str, Any] = {"version": draw(st.sampled_from(["v2", "canary-2", "1.1.0"]))}
    if draw(st.booleans()):
        release["defect"] = draw(st.fixed_dictionaries(
            {}, optional={"error_rate": share, "latency_factor": st.floats(0.1, 10)}))  # fmt: skip
    # A new latency source must stay valid with the accelerator/neo it would inherit.
    inherited_acc = fleet.get("accelerator")
    rows = [r for r in CATALOG_ROWS if r[3] == inherited_acc]
    if draw(st.booleans()):
        source = draw(latency_source(rows))
        source.pop("accelerator", None)
        if "model" in source and source["model"] is None:
            del source["model"]  # a release's None means "inherit", not "no model"
        if "neo" not in source and fleet.get("neo"):
            source["neo"] = False
        release |= source
    release |= draw(st.fixed_dictionaries({}, optional=capacity()))
    return {k: v for k, v in release.items() if v is not None}


def traffics() -> st.SearchStrategy[dict[str, Any]]:
    common = {"users": st.integers(1, 10**6)}
    rate = st.floats(0.001, 1e5)
    poisson = st.fixed_dictionaries({"pattern": st.just("poisson"), "rate": rate},
                                    optional=common)  # fmt: skip
    diurnal = st.fixed_dictionaries(
        {"pattern": st.just("diurnal"), "rate": rate},
        optional=common | {"amplitude": share, "period": seconds(1, 86400),
                           "peak_at": seconds(0, 86400)},
    )  # fmt: skip
    # up to 3 overlapping bursts of x10 on 1,000/s: the schema's highest rate, 1e6/s
    burst = st.fixed_dictionaries({"at": seconds(0, 7200), "duration": seconds(0.01, 600),
                                   "multiplier": st.floats(0.01, 10)})  # fmt: skip
    mmpp = st.fixed_dictionaries({"high_rate": rate, "mean_low": seconds(0.01, 3600),
                                  "mean_high": seconds(0.01, 3600)})  # fmt: skip
    bursty = st.one_of(
        st.fixed_dictionaries({"pattern": st.just("bursty"), "rate": st.floats(0.001, 1e3),
                               "bursts": st.lists(burst, min_size=1, max_size=3)},
                              optional=common | {"every": seconds(1, 86400)}),
        st.fixed_dictionaries({"pattern": st.just("bursty"), "rate": rate,
                               "cv": st.floats(0.01, 20)}, optional=common),
        st.fixed_dictionaries({"pattern": st.just("bursty"), "rate": rate, "mmpp": mmpp},
                              optional=common),
    )  # fmt: skip
    return st.one_of(poisson, diurnal, bursty)


@st.composite
def alarms(draw) -> dict[str, Any]:
    latency = draw(st.booleans())
    if latency:
        metric = draw(st.sampled_from(["latency_p99", "latency_p95", "latency_p50",
                                       "latency_mean", "ModelLatency"]))  # fmt: skip
        threshold = draw(seconds(0.001, 60))
    else:
        metric = draw(st.sampled_from(["error_rate", "Invocation5XXErrors", "utilization"]))
        threshold = draw(st.one_of(share, st.integers(0, 100).map(lambda p: f"{p}%")))
    n = draw(st.integers(1, 10))
    alarm = {"name": f"alarm-{metric}", "metric": metric, "threshold": threshold,
             "evaluation_periods": n}  # fmt: skip
    alarm |= draw(st.fixed_dictionaries({}, optional={
        "datapoints_to_alarm": st.integers(1, n),
        "comparison": st.sampled_from([">", ">=", "<", "<="]),
        "version": st.sampled_from(["v1", "v2"]),
        "treat_missing_data": st.sampled_from(["missing", "notBreaching", "breaching", "ignore"]),
    }))  # fmt: skip
    return alarm


@st.composite
def autoscalings(draw) -> dict[str, Any]:
    lo = draw(st.integers(1, 20))
    return {"target": draw(st.floats(1, 1e4)), "min": lo, "max": draw(st.integers(lo, 40))} | draw(
        st.fixed_dictionaries({}, optional={
            "scale_out_cooldown": seconds(0, 900), "scale_in_cooldown": seconds(0, 900),
            "scale_out_datapoints": st.integers(1, 10), "scale_in_datapoints": st.integers(1, 30),
            "scale_in_ratio": st.floats(0.01, 1), "disable_scale_in": st.booleans()}))  # fmt: skip


@st.composite
def failures(draw) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["instance"] = draw(st.fixed_dictionaries(
            {"mtbf": seconds(1, 10**6)},
            optional={"mttr": seconds(0, 3600),
                      "distribution": st.sampled_from(["exponential", "fixed"])}))  # fmt: skip
    outage = st.fixed_dictionaries({"at": seconds(0, 7200), "duration": seconds(0.01, 3600),
                                    "fraction": st.floats(0.01, 1)})  # fmt: skip
    out["zone_outages"] = draw(st.lists(outage, max_size=2))
    return out


@st.composite
def scenarios(draw) -> dict[str, Any]:
    duration = draw(st.integers(10, 86400))
    data: dict[str, Any] = {
        "name": draw(st.text(min_size=1, max_size=20)),
        "duration": draw(st.sampled_from([duration, f"{duration}s", float(duration)])),
        "warmup": duration * draw(st.one_of(st.just(0.0), st.floats(1e-3, 0.99))),
        "traffic": draw(traffics()),
        "fleet": draw(fleets()),
    }
    if draw(st.booleans()):
        data["description"] = draw(st.text(max_size=40))
    if draw(st.booleans()):
        data["release"] = draw(releases(data["fleet"]))
        data["strategy"] = draw(st.one_of(
            st.just({"type": "none"}),
            st.fixed_dictionaries({"type": st.just("big_bang")}, optional={
                "overlap": st.booleans(), "start": seconds(0, 3600)})))  # fmt: skip
    if draw(st.booleans()):
        data["failures"] = draw(failures())
    if draw(st.booleans()):
        data["autoscaling"] = draw(autoscalings())
    if draw(st.booleans()):
        data["monitoring"] = draw(st.fixed_dictionaries({}, optional={
            "period": seconds(1, 3600), "alarms": st.lists(alarms(), max_size=3),
            "request_log": share}))  # fmt: skip
    if draw(st.booleans()):
        data["slo"] = draw(st.fixed_dictionaries({}, optional={
            "latency_p99": seconds(0.001, 10), "availability": st.floats(0.5, 1)}))  # fmt: skip
    return data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_round_trip(data):
    sc = load_scenario(data)  # every generated scenario is valid
    plain = sc.to_dict()
    json.dumps(plain)  # plain data: JSON-serialisable
    assert load_scenario(plain) == sc
    assert load_scenario(sc.to_yaml()) == sc
    assert load_scenario(copy.deepcopy(plain)).to_dict() == plain
    if sc.release is not None:
        rf = sc.release_fleet
        assert FleetSpec.model_validate(rf.model_dump(mode="json", exclude_none=True)) == rf


def test_round_trip_examples():
    for data in [
        scenario(),
        scenario(fleet={"model": None, "service_time": {"distribution": "exponential",
                                                        "mean": 1}}),  # fmt: skip
        scenario(fleet={"queue_capacity": 0, "workers_per_instance": 4}),
        scenario(release={"service_time": {"distribution": "lognormal", "p50": "50ms",
                                           "p99": "400ms"}, "defect": {"error_rate": 0.05}},
                 strategy={"type": "big_bang", "overlap": True}),
    ]:  # fmt: skip
        sc = load_scenario(data)
        assert load_scenario(sc.to_dict()) == sc
        assert load_scenario(sc.to_yaml()) == sc
        assert isinstance(Scenario.model_validate(sc.to_dict()), Scenario)
