"""The test scenario factory (tests/builders.py): its merge rule and that its shapes load."""

import simulator as ds
from tests import builders
from tests.builders import DROP, merge


def test_a_dict_merges_field_by_field_and_anything_else_replaces():
    base = {"fleet": {"instances": 4, "workers_per_instance": 2}, "tags": [1, 2], "rate": 5}
    out = merge(base, {"fleet": {"instances": 2}, "tags": [3], "rate": None})
    assert out == {"fleet": {"instances": 2, "workers_per_instance": 2}, "tags": [3], "rate": None}


def test_a_tagged_union_with_its_tag_replaces_the_default_whole():
    base = {
        "traffic": {"pattern": "poisson", "rate": 10},
        "fleet": {"service_time": {"distribution": "exponential", "mean": 0.1}},
        "strategy": {"type": "canary", "steps": [], "gate": {"type": "argo", "count": 3}},
    }
    out = merge(
        base,
        {"traffic": {"pattern": "trace", "path": "a.csv"},
         "fleet": {"service_time": {"distribution": "deterministic", "value": 1}},
         "strategy": {"gate": {"type": "flagger"}}},
    )  # fmt: skip
    assert out["traffic"] == {"pattern": "trace", "path": "a.csv"}
    assert out["fleet"]["service_time"] == {"distribution": "deterministic", "value": 1}
    # a strategy without its tag merges; the gate inside it, tagged, is replaced
    assert out["strategy"] == {"type": "canary", "steps": [], "gate": {"type": "flagger"}}
    # untagged, a union's fields merge into the default
    assert merge(base, {"traffic": {"users": 7}})["traffic"] == {
        "pattern": "poisson", "rate": 10, "users": 7
    }  # fmt: skip


def test_drop_removes_a_field_also_a_tag_and_never_lands_in_the_result():
    base = {"duration": "1h", "traffic": {"pattern": "poisson", "rate": 10}}
    assert merge(base, {"duration": DROP}) == {"traffic": {"pattern": "poisson", "rate": 10}}
    assert merge(base, {"traffic": {"pattern": DROP, "rate": 1}})["traffic"] == {"rate": 1}
    assert merge(base, {"missing": DROP}) == base
    assert merge(base, {"traffic": {"pattern": "trace", "kind": DROP}})["traffic"] == {
        "pattern": "trace"
    }


def test_every_result_is_fresh():
    a = builders.release("canary")
    a["monitoring"]["alarms"] = ["x"]
    a["slo"]["availability"] = 0.5
    a["fleet"]["service_time"]["mean"] = 9
    b = builders.release("canary")
    assert "alarms" not in b["monitoring"] and b["slo"] == builders.SLO
    assert b["fleet"]["service_time"]["mean"] == 0.05 and builders.SLO["availability"] == 0.999


def test_each_shape_loads_with_the_settings_its_docstring_gives():
    assert ds.load_scenario(builders.scenario()).duration == 3600
    q = ds.load_scenario(builders.plain_queue(30, 3, 2, service=0.02))
    assert (q.traffic.rate, q.fleet.workers_per_instance, q.fleet.instances) == (30, 3, 2)
    assert q.fleet.service_time.mean == 0.02 and q.release is None and q.warmup == 0
    r = ds.load_scenario(builders.release("rolling", {"error_rate": 0.1}))
    assert r.strategy.type == "rolling" and r.release.defect.error_rate == 0.1
    assert (r.warmup, r.fleet.provisioning, r.monitoring.period) == (
        builders.WARMUP, builders.PROVISIONING, builders.PERIOD
    )  # fmt: skip
    assert (r.fleet.instances, r.fleet.workers_per_instance, r.fleet.target) == (
        4, 2, "ml.c5.xlarge"
    )  # fmt: skip
    assert ds.load_scenario(builders.release()).strategy.type == "none"
