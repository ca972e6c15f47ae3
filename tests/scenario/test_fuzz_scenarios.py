"""Fuzzed scenarios: whatever a user writes, only the project's own errors come back.

Every shipped scenario (`scenarios/*.yaml`, `scenarios/validation/*.yaml`) is mutated a
few times over: keys dropped, numbers made extreme or non-finite, values of the wrong
type, huge strings and lists, junk nested deep, keys added (mostly ones the schema knows
at that place). A second test mutates only numbers, to the edges of their fields' ranges,
so that most mutants load and run. The result is loaded (as a dict, or as YAML text) and,
if it loads, simulated briefly. The only exception allowed out is ScenarioError
(BudgetError is one).

Runs are kept short twice over: each preset starts from at most 15 simulated minutes,
and the run budget (`simulator/budget.py`) is lowered for the test, so a mutation that
asks for a bigger run is refused by the budget as it would be, only sooner.

The profile is derandomized (a fixed seed, no example database): CI runs the same
examples every time, in about 30 s on one core.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import simulator as ds
from simulator.engine import budget
from simulator.limits import MAX_SECONDS, TIME_RESOLUTION
from simulator.scenario.model import Scenario, ScenarioError, load_scenario
from tests.schema_models import models

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
PRESETS = sorted(SCENARIOS.glob("*.yaml")) + sorted((SCENARIOS / "validation").glob("*.yaml"))
SHORT = 900.0  # s of simulated time a preset starts from


def _shortened(path: Path) -> dict[str, Any]:
    """A preset as plain data (its trace path made absolute), at most SHORT seconds long."""
    data = load_scenario(path).to_dict()
    data["duration"] = min(data["duration"], SHORT)
    data["warmup"] = min(data.get("warmup", 0.0), 60.0)
    return data


BASES = [_shortened(path) for path in PRESETS]


def _edges(models: list[type[BaseModel]]) -> dict[str, list[float]]:
    """Every field name, with the edges of its range where it has one.

    The edges are the bounds and their float neighbours (a `gt=0` field gets 5e-324);
    every duration also gets the clock's edges, 1 us and 1e9 s.
    """
    fields: dict[str, set[float]] = {}
    for model in models:
        for name, field in model.model_fields.items():
            edges = fields.setdefault(name, set())
            for bound in field.metadata:
                for attr, step in (("ge", 0), ("gt", math.inf), ("le", 0), ("lt", -math.inf)):
                    value = getattr(bound, attr, None)
                    if isinstance(value, int | float):
                        edges |= {value, math.nextafter(value, step) if step else value}
            if "parse_duration" in repr(field.metadata):
                edges |= {TIME_RESOLUTION, MAX_SECONDS}
    return {name: sorted(edges) for name, edges in fields.items()}


MODELS = models(Scenario)
EDGES = _edges(MODELS)
FIELDS = sorted(EDGES)


def _absent(mapping: dict) -> list[str]:
    """Fields the mapping's own model has and the mapping leaves out, so that an added key
    is often one the schema knows there; any field name when no model fits."""
    keys = set(mapping)
    fits = [model for model in MODELS if keys <= set(model.model_fields)]
    return sorted({name for model in fits for name in model.model_fields} - keys) or FIELDS


EXTREMES = [0, -1, 0.5, 1e-300, 5e-324, 1e-7, 1e9, 1e12, 1e300, -1e300, 1.7976931348623157e308,
            math.inf, -math.inf, math.nan, 2**31, 2**63, 10**30, 10**400]  # fmt: skip
STRINGS = ["", "x", "10 parsecs", "1e999", "nan", "inf", "-5s", "0s", "1us", "25%", "0%",
           "1000%", "%", "v1", "none", "trace", "poisson", "exponential", "canary"]  # fmt: skip


def _nested(depth: int) -> Any:
    junk: Any = "junk"
    for level in range(depth):
        junk = [junk] if level % 2 else {"k": junk}
    return junk


JUNK = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(),
    st.integers(),
    st.none(),
    st.booleans(),
    st.sampled_from(STRINGS),
    st.text(max_size=20),
    st.just("x" * 100_000),  # huge strings
    st.sampled_from([10, 1000, 50_000]).map(lambda n: [1.0] * n),  # huge lists
    st.sampled_from(EXTREMES + STRINGS).map(lambda v: [v, v, v]),
    st.sampled_from([3, 40, 200]).map(_nested),  # nested junk
    st.builds(dict),
)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into the scenario's nested dicts and lists (the root included)."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list) and len(data) < 50:
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


def _parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def _near(value: float) -> st.SearchStrategy[Any]:
    """Numbers a slip or a stress test would put where `value` was: scaled by powers of ten
    (1e-12 to 1e12), negated, or the same value as an int or a string."""
    return st.one_of(
        st.integers(-12, 12).map(lambda k: value * 10.0**k),
        st.just(-value),
        st.just(int(value)),
        st.just(str(value)),
    )


def _mutation(key: Any, value: Any) -> st.SearchStrategy[Any]:
    """A new value for a leaf, most often at the edges of its field's range, so that many
    mutants still load and reach the simulation with values the schema only just accepts."""
    edges = st.sampled_from(EDGES.get(key) or EXTREMES)
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) < 1e300:
        return st.one_of(edges, JUNK) if key in EDGES else JUNK
    return st.one_of(edges, edges, _near(float(value)), st.sampled_from(EXTREMES), JUNK)


def _numbers(data: dict[str, Any]) -> list[tuple]:
    """Paths to the numbers of a scenario."""
    def number(path: tuple) -> bool:
        leaf = _parent(data, path)[path[-1]]
        return isinstance(leaf, int | float) and not isinstance(leaf, bool)

    return [path for path in _paths(data) if path and number(path)]


@st.composite
def mutated(draw, junk: bool) -> dict[str, Any]:
    """A preset with a few mutations: any kind (`junk`), or only numbers, set or added at
    the edges of their fields' ranges or scaled, so that most mutants load and run."""
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.sampled_from([1, 1, 2, 3] if junk else [1, 2, 3, 4, 5]))):
        paths = _paths(data)[1:] if junk else _numbers(data)  # [1:]: not the root
        actions = ["replace"] * 6 + ["drop", "add"] if junk else ["replace"] * 3 + ["add"]
        action = draw(st.sampled_from(actions))
        if action == "add" or not paths:
            target = _parent(data, (*draw(st.sampled_from(_paths(data))), None))
            if isinstance(target, dict):
                absent = _absent(target) if junk else [k for k in _absent(target) if EDGES[k]]
                if absent:
                    key = draw(st.sampled_from(absent))
                    target[key] = draw(_mutation(key, None) if junk else _edge(key, None))
            continue
        path = draw(st.sampled_from(paths))
        parent = _parent(data, path)
        if action == "drop":
            del parent[path[-1]]
        elif junk:
            parent[path[-1]] = draw(_mutation(path[-1], parent[path[-1]]))
        else:
            parent[path[-1]] = draw(_edge(path[-1], parent[path[-1]]))
    return data


def _edge(key: Any, value: float | None) -> st.SearchStrategy[float]:
    """A number at an edge of the field's range, or the old one scaled."""
    edges = EDGES.get(key) or []
    near = [] if value is None or not abs(value) < 1e300 else [_near(float(value))]
    return st.one_of(*near, st.sampled_from(edges or EXTREMES))


def _as_yaml(data: dict[str, Any]) -> str | None:
    """The scenario as YAML text, or None when PyYAML cannot write it (deep nesting)."""
    try:
        return yaml.safe_dump(data)
    except (yaml.YAMLError, RecursionError):
        return None


def _not_run(sc: Scenario) -> str | None:
    """Why a valid mutant is not simulated: costs the run budget does not count yet.

    Both are reported to the budget's owner: instance crashes and repairs (one SimPy
    event each; an mtbf and mttr of microseconds make billions), and fleets of thousands
    of instances (each launch refreshes its whole fleet: 2,000 take 5 s, 10,000 minutes).
    """
    crashes = sc.failures.instance
    if crashes is not None:
        cycle = crashes.mtbf + (crashes.mttr or 0.0)
        if sc.fleet.instances * sc.duration / cycle > 1e5:
            return "crash events"
    release = sc.release_fleet
    sizes = [sc.fleet.instances, release.instances if release else 0,
             sc.autoscaling.max if sc.autoscaling else 0, getattr(sc.strategy, "instances", 0)]
    if max(size or 0 for size in sizes) > 500:
        return "instances"
    return None


FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _only_scenario_errors(source: Any) -> None:
    """Load and briefly run `source`: it runs, or a ScenarioError says what is wrong."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(budget, "MAX_REQUESTS", 5e5)  # about a quarter of a second of serving
        patch.setattr(budget, "MAX_MEMORY", 400 * 2**20)
        try:
            sc = load_scenario(source)
            event("loaded")
            if reason := _not_run(sc):
                event(f"not run: {reason}")
                return
            result = ds.simulate(sc, seed=0)
        except ScenarioError as exc:
            event(type(exc).__name__)
            assert len(str(exc)) < 5000  # never the whole input
        else:
            event(f"simulated: {result.summary['outcome']}")


@settings(FUZZ, max_examples=800)
@given(data=mutated(junk=True), as_text=st.booleans())
def test_only_scenario_errors_escape(data, as_text):
    _only_scenario_errors((_as_yaml(data) if as_text else None) or data)


@settings(FUZZ, max_examples=600)
@given(data=mutated(junk=False))
def test_numbers_at_the_edges_run_or_are_refused(data):
    _only_scenario_errors(data)
