"""The house keeps its shape: registries complete, packages that say what they may import,
small modules, and an engine that runs whatever controller it is handed.

The import rules themselves are import-linter contracts (`pyproject.toml`), run by
`make test`.
"""

import ast
import typing
from pathlib import Path

import pytest

import simulator as ds
from simulator.engine.events import EventKind
from simulator.engine.simulation import Simulation
from simulator.release import gates
from simulator.release.strategies import CONTROLLERS, controller_for
from simulator.scenario import gates as gate_specs
from simulator.scenario import strategies as strategy_specs

ROOT = Path(__file__).resolve().parents[1]
MOST_LINES = 350


def test_every_strategy_spec_has_one_controller_and_every_controller_a_spec():
    assert set(CONTROLLERS) == set(strategy_specs.SPECS)
    assert list(strategy_specs.STRATEGIES.values()) == list(strategy_specs.SPECS)


def test_strategy_type_names_come_from_the_specs_tags():
    for name, spec in strategy_specs.STRATEGIES.items():
        assert typing.get_args(spec.model_fields["type"].annotation) == (name,)
    union = typing.get_args(typing.get_args(strategy_specs.StrategySpec)[0])
    assert union == strategy_specs.SPECS


def test_every_gate_spec_has_one_gate_class():
    assert set(gates.GATES) == set(gate_specs.GATE_SPECS)
    assert list(gate_specs.GATES.values()) == list(gate_specs.GATE_SPECS)
    assert all(issubclass(cls, gates.Gate) for cls in gates.GATES.values())


def test_the_engine_runs_whatever_controller_it_is_handed():
    """A controller written here, known to no registry, drives a run through Control."""
    sc = ds.load_scenario({"duration": 600, "traffic": {"pattern": "poisson", "rate": 10},
                           "fleet": {"instances": 2}, "release": {}})  # fmt: skip

    def halve(ctx):
        yield ctx.env.timeout(120)
        ctx.audit(EventKind.UPDATE_ENDPOINT, "by hand", variant="v2")
        ctx.terminate(ctx.current, 1)
        ctx.finish("promoted")

    res = Simulation(sc, 1, halve).run()
    kinds = res.events[["time", "kind"]].values.tolist()
    assert kinds == [[120.0, "UpdateEndpoint"], [120.0, "TerminateInstances"],
                     [120.0, "UpdateComplete"]]  # fmt: skip
    assert res.summary["outcome"] == "promoted"
    # the same scenario through its own strategy's controller: steady, no events
    assert Simulation(sc, 1, controller_for(sc.strategy)).run().summary["outcome"] == "steady"


def _packages() -> list[Path]:
    return sorted(p for base in ("simulator", "app") for p in (ROOT / base).rglob("__init__.py"))


@pytest.mark.parametrize("init", _packages(), ids=lambda p: str(p.parent.relative_to(ROOT)))
def test_every_package_says_what_it_holds_and_what_it_may_import(init):
    doc = ast.get_docstring(ast.parse(init.read_text())) or ""
    if init.parent == ROOT / "simulator":  # the face: it points to the plan instead
        assert "docs/architecture.md" in doc
    else:
        assert "May import" in doc, doc


def _modules() -> list[Path]:
    return sorted(p for base in ("simulator", "app") for p in (ROOT / base).rglob("*.py"))


def test_no_module_is_over_350_lines_without_saying_why():
    long = []
    for path in _modules():
        lines = len(path.read_text().splitlines())
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if lines > MOST_LINES and "Longer than" not in doc:
            long.append(f"{path.relative_to(ROOT)}: {lines}")
    assert long == []
