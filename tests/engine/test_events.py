"""Events are data: each kind fills the fields it documents, and they say what the detail says.

`simulator/engine/events.py` lists, for every `EventKind`, the fields its events fill. Every
strategy preset (seed 1), and a few small runs for the kinds no preset produces, are checked
event by event. The regexes below are the one place a test reads `detail`: an oracle that the
structured fields agree with the human-readable text, never a way to learn what happened.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

import simulator as ds
from simulator.engine import events as events_module
from simulator.engine.control import Control
from simulator.engine.events import FIELDS, EventKind
from simulator.scenario.base import format_duration

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
PRESETS = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
GATES = {"alarms", "argo", "flagger", "kayenta"}


def small(strategy, defect=None, duration=1800, rate=50, **extra):
    """A short run on 4 instances; the release starts at 300 s."""
    return {
        "name": "events", "duration": duration, "warmup": 300,
        "traffic": {"pattern": "poisson", "rate": rate},
        "fleet": {"version": "v1", "instances": 4, "workers_per_instance": 2,
                  "service_time": {"distribution": "exponential", "mean": 0.05},
                  "provisioning": 120},
        "release": {"version": "v2", "defect": defect or {}},
        "slo": {"latency_p99": "1s", "availability": 0.999},
        "monitoring": {"period": 60},
        "strategy": strategy,
    } | extra  # fmt: skip


# Runs for what no preset does at seed 1: a Kayenta judgement, a successful Argo run, a
# paused analysis, an ml.inf1 endpoint, a deadline, a scale-in, a crash, a parallel run
# rejected, an A/B test without a winner.
EXTRA = {
    "kayenta": small({"type": "canary", "gate": {"type": "kayenta"}}, duration=2400),
    "argo-successful": small({"type": "canary", "steps": [{"weight": 10, "bake": 600}],
                              "gate": {"type": "argo", "interval": 60, "count": 3}}),
    "flagger-paused": small({"type": "canary", "step_weight": 10, "max_weight": 50,
                             "gate": {"type": "flagger", "min_requests": 10**6}}, duration=900),
    "inf1": small({"type": "blue_green"}) | {
        "release": {"version": "v2", "target": "ml.inf1.xlarge"}},
    "deadline": small({"type": "blue_green", "traffic": "LINEAR", "linear_step": "25%",
                       "wait_interval": 300, "max_execution_timeout": 600}),
    "scale-in": small({"type": "none"}, duration=3000, rate=5,
                      traffic={"pattern": "bursty", "rate": 5, "bursts": [
                          {"at": 600, "duration": 900, "multiplier": 4}]},
                      autoscaling={"target": 600, "min": 1, "max": 4}),
    "crash": small({"type": "none"}, duration=900,
                   failures={"instance": {"mtbf": 300, "mttr": 60, "distribution": "fixed"}}),
    "parallel-rejected": small({"type": "parallel", "duration": 600}, {"error_rate": 0.2}),
    "create-endpoint": small({"type": "none"}, duration=1200,
                             hosting={"kind": "realtime", "create_endpoint": True}),
    "ab-no-winner": small({"type": "ab_test", "split": 50, "interval": 600, "max_duration": 1200,
                           "conversion": {"control": 0.1, "treatment": 0.1}}, duration=2400),
}  # fmt: skip


@functools.cache
def run(name: str) -> ds.Result:
    sc = ds.load_scenario(SCENARIOS / f"{name}.yaml") if name in PRESETS else EXTRA[name]
    return ds.simulate(sc, seed=1)


# ---------------------------------------------------------------- the oracle


def said(kind: str, detail: str, ev: dict) -> dict:
    """What the detail says about the fields it names: {field: value} (an oracle, by regex).

    Values that the text shows rounded come back as the field's value formatted the same
    way, so comparing them with the field formatted alike checks what the reader was shown.
    """
    K = EventKind
    if kind == K.UPDATE_ENDPOINT:
        m = re.fullmatch(r"shadow test (\S+) \(.*\)", detail) or re.fullmatch(
            r".+ \S+ (?:->|vs|\+) (\S+)", detail
        )
        return {"variant": m[1]}
    if kind == K.UPDATE_ENDPOINT_WEIGHTS_AND_CAPACITIES:
        shown = [part.split("=") for part in detail.split(", ")]
        weights = json.loads(ev["weights"])
        assert list(weights) == [name for name, _ in shown]  # the same order
        assert [f"{w:g}" for w in weights.values()] == [w for _, w in shown]
        return {}
    if kind == K.UPDATE_COMPLETE:
        return {"state": detail}
    if kind == K.GUARDRAILS_UNSUPPORTED:
        assert detail.startswith("ml.inf1 endpoint")
        return {}
    if kind == K.ROLLBACK_TRIGGERED:
        cause = ev["cause"]
        if cause == "timeout":
            assert re.fullmatch(r"\w+: MaximumExecutionTimeoutInSeconds exceeded", detail)
        elif cause == "shadow":
            assert detail == "report only" or detail.startswith("shadow failed: ")
        elif cause == "parallel":
            assert detail.startswith("parallel run failed: ")
        else:
            assert cause in GATES and detail.startswith(f"{cause}: ")
        return {}
    if kind == K.ROLLBACK_COMPLETE:
        return {"variant": re.fullmatch(r"all traffic on (\S+)", detail)[1]}
    if kind == K.LAUNCH_INSTANCES:
        m = re.fullmatch(r"(\d+) x \S+ for (\S+)", detail)
        return {"count": int(m[1]), "variant": m[2]}
    if kind == K.TERMINATE_INSTANCES:
        m = re.fullmatch(r"(\d+) of (\S+)", detail)
        return {"count": int(m[1]), "variant": m[2]}
    if kind == K.INSTANCE_FAILURE:
        m = re.fullmatch(r"(\S+)#(\d+) \((\w+)\), (\d+) requests failed", detail)
        return {"variant": m[1], "instance": int(m[2]), "cause": m[3], "count": int(m[4])}
    if kind == K.INSTANCE_IN_SERVICE:
        m = re.fullmatch(r"(\S+)#(\d+) after (\w+)", detail)
        return {"variant": m[1], "instance": int(m[2]), "cause": m[3]}
    if kind == K.ZONE_OUTAGE:
        m = re.fullmatch(r"(\d+) instances down for (\S+)", detail)
        assert format_duration(ev["value"]) == m[2]
        return {"count": int(m[1])}
    if kind == K.ZONE_RECOVERED:
        return {"count": int(re.fullmatch(r"(\d+) instances back", detail)[1])}
    if kind in (K.SCALE_OUT, K.SCALE_IN):
        m = re.fullmatch(r"(\S+): (\d+) -> (\d+) \((?:(\d+)/min per instance|backlog (\S+) per "
                         r"instance|(HasBacklogWithoutCapacity))\)", detail)  # fmt: skip
        before, after = int(m[2]), int(m[3])
        assert (after > before) == (kind == K.SCALE_OUT)
        if m[4] is not None:
            assert f"{ev['value']:.0f}" == m[4]
        elif m[5] is not None:  # an asynchronous endpoint's backlog per instance
            assert f"{ev['value']:.1f}" == m[5]
        else:  # woken from zero: the value is the whole backlog
            assert before == 0 and after == 1 and ev["value"] >= 1
        return {"variant": m[1], "count": after}
    if kind == K.CREATE_ENDPOINT:
        m = re.fullmatch(r"(\S+?)(?:, \S+)* InService after (\S+) s", detail)
        assert f"{ev['value']:g}" == m[2]
        return {"variant": m[1]}
    if kind == K.CREATE_TRANSFORM_JOB:
        m = re.fullmatch(r"(\d+) x \S+, first mini-batch after (\S+) s", detail)
        assert f"{ev['value']:g}" == m[2]
        return {"count": int(m[1])}
    if kind == K.TRANSFORM_JOB_COMPLETE:
        m = re.fullmatch(r"(Completed|Failed): (\d+) records failed", detail)
        return {"state": m[1], "count": int(m[2])}
    if kind == K.SHADOW_TRAFFIC:
        if detail == "off":
            return {"value": 0.0}
        m = re.fullmatch(r"(\d+%) of requests to (\S+)", detail)
        assert f"{ev['value']:.0%}" == m[1]
        return {"variant": m[2]}
    if kind == K.ACTIVE_INSTANCES:
        m = re.fullmatch(r"(\d+) of (\d+) of (\S+)", detail)
        assert int(m[1]) <= int(m[2])
        return {"count": int(m[1]), "variant": m[3]}
    if kind == K.ADOPT_SHADOW:
        m = re.fullmatch(r"(\d+) instances of (\S+)", detail)
        return {"count": int(m[1]), "variant": m[2]}
    if kind == K.ALARM_STATE_CHANGE:
        m = re.fullmatch(r"(\S+) -> (\w+) \(\w+=(\S+)\)", detail)
        value = math.nan if ev["value"] is None else ev["value"]
        assert f"{value:.4g}" == m[3]  # "nan" where the period had no datapoint
        return {"alarm": m[1], "state": m[2]}
    if kind == K.ANALYSIS_FAILED:
        m = re.fullmatch(r"(\S+): .*; (?:failed (\d+) \(failureLimit \d+\)|failedChecks (\d+)/\d+)",
                         detail)  # fmt: skip
        return {"variant": m[1], "count": int(m[2] or m[3])}
    if kind == K.ANALYSIS_ERROR:
        m = re.fullmatch(r"(\S+): no data \(empty result\); consecutiveErrors (\d+) "
                         r"\(consecutiveErrorLimit \d+\)", detail)  # fmt: skip
        return {"variant": m[1], "count": int(m[2])}
    if kind == K.ANALYSIS_PAUSED:
        m = re.fullmatch(r"(\d+) requests to (\S+) < min_requests \d+", detail)
        return {"count": int(m[1]), "variant": m[2]}
    if kind == K.ANALYSIS_RUN_SUCCESSFUL:
        return {"count": int(re.fullmatch(r"(\d+) measurements", detail)[1])}
    if kind == K.CANARY_JUDGEMENT:
        m = re.fullmatch(r"score (\d+) over (\d+) periods(?: \(.+\))?", detail)
        assert f"{ev['value']:.0f}" == m[1] and 0 <= ev["value"] <= 100
        return {"count": int(m[2])}
    if kind == K.EXPERIMENT_DECISION:
        assert 0 <= ev["value"] <= 1  # a p-value
        assert (ev["variant"] is None) == ("no significant difference" in detail)
        return {}
    raise AssertionError(f"no oracle for {kind}")


def records(res: ds.Result) -> list[dict]:
    """Each event as a dict, empty fields as None."""
    ev = res.events.astype(object).where(res.events.notna(), None)
    return ev.to_dict("records")


def check(res: ds.Result) -> set[str]:
    """Check every event of a run; return the kinds seen."""
    assert list(res.events.columns) == ["time", "kind", "detail", *FIELDS]
    if len(res.events):
        assert {c: str(t) for c, t in res.events[list(FIELDS)].dtypes.items()} == {
            c: "str" if t == "str" else t for c, t in FIELDS.items()
        }
    for ev in records(res):
        kind = EventKind(ev["kind"])
        filled = {f for f in FIELDS if ev[f] is not None}
        required = set(kind.fields) - set(kind.optional)
        assert required <= filled <= set(kind.fields), (kind, ev)
        for field, value in said(kind, ev["detail"], ev).items():
            assert ev[field] == value, (kind, field, ev)
    return set(res.events["kind"])


@pytest.mark.parametrize("name", PRESETS)
def test_every_presets_events_fill_their_documented_fields_and_agree_with_the_detail(name):
    check(run(name))


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_the_kinds_no_preset_shows_agree_with_their_detail_too(name):
    check(run(name))


def test_the_runs_checked_show_every_kind_and_every_cause():
    seen = set().union(*(check(run(n)) for n in [*PRESETS, *EXTRA]))
    assert seen == {k.value for k in EventKind}
    both = pd.concat([run(n).events for n in [*PRESETS, *EXTRA]])
    causes = set(both.loc[both["kind"] == "RollbackTriggered", "cause"])
    assert {"timeout", "shadow", "parallel"} <= causes and causes & GATES
    assert {"crash", "zone"} <= set(both.loc[both["kind"] == "InstanceFailure", "cause"])
    decided = both.loc[both["kind"] == "ExperimentDecision", "variant"]
    assert decided.isna().any() and decided.notna().any()  # with and without a winner


# ---------------------------------------------------------------- the documentation


def test_every_kind_documents_each_field_it_fills():
    """Each member's docstring names every field it fills, in backquotes."""
    tree = ast.parse(inspect.getsource(events_module))
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "EventKind"]
    docs = {}
    for stmt, after in zip(cls.body, cls.body[1:], strict=False):
        if isinstance(stmt, ast.Assign) and isinstance(after, ast.Expr):
            docs[stmt.targets[0].id] = after.value.value
    assert set(docs) == {k.name for k in EventKind}
    for kind in EventKind:
        named = set(re.findall(r"`(\w+)`", docs[kind.name])) & set(FIELDS)
        assert named == set(kind.fields), kind
        assert set(kind.optional) <= set(kind.fields)


def test_audit_takes_exactly_the_kinds_fields():
    with pytest.raises(TypeError, match="LaunchInstances fills"):
        Control.audit(None, EventKind.LAUNCH_INSTANCES, "4 x ml.c5.xlarge for v2", variant="v2")
    with pytest.raises(TypeError, match="GuardrailsUnsupported fills"):
        Control.audit(None, EventKind.GUARDRAILS_UNSUPPORTED, "ml.inf1 endpoint", state="x")


def test_weights_keep_their_order_and_exact_values():
    res = run("canary-fraud-argo")
    rows = res.events[res.events["kind"] == "UpdateEndpointWeightsAndCapacities"]
    first = json.loads(rows["weights"].iloc[0])
    assert list(first) == ["v2", "v1"] and math.isclose(sum(first.values()), 1.0)
