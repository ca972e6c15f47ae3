"""The README's scenario reference is the schema's own, and names every strategy."""

from pathlib import Path

from simulator.scenario.schema_doc import reference
from simulator.scenario.strategies import STRATEGIES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_carries_the_current_scenario_reference():
    start, end = "<!-- schema:start -->\n", "\n<!-- schema:end -->"
    assert README[README.index(start) + len(start) : README.index(end)] == reference()


def test_readme_documents_every_strategy():
    for name in STRATEGIES:
        assert f"| `{name}` |" in README


def test_readme_documents_every_gate():
    from simulator.scenario.gates import GATES

    for name in GATES:
        assert f"| `{name}` |" in README
