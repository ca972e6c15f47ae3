"""The lessons in notebooks/ are stored as lessons: no outputs, a title, a "try this" cell.

Whether they run is `pytest --nbmake notebooks` (`make test`); this checks what a reviewer
would otherwise check by eye: that nobody committed a notebook with its outputs (they
bloat the diff and go stale), that each opens with a title and ends with something for
the student to try, that nbmake can find its kernel on a fresh machine, that it imports
nothing private from the simulator, and that the README links it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PRIVATE_IMPORT = re.compile(r"^\s*(?:from|import)\s+simulator\S*\._|"
                            r"^\s*from\s+simulator\S*\s+import\s+.*\b_\w", re.M)  # fmt: skip


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def text(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def test_there_are_lessons():
    assert len(NOTEBOOKS) >= 6, NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    for i, cell in enumerate(cells(path)):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}, cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{path.name}, cell {i} was run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_with_a_title(path):
    first = cells(path)[0]
    assert first["cell_type"] == "markdown"
    assert re.match(r"# \S", text(first)), f"{path.name} does not open with a '# ' title"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_has_a_try_this_cell(path):
    prompts = [c for c in cells(path) if c["cell_type"] == "markdown"
               and re.search(r"^#+\s*try this", text(c), re.I | re.M)]  # fmt: skip
    assert prompts, f"{path.name} has no 'Try this' heading"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernel_found_on_a_fresh_machine(path):
    # nbmake starts the kernel the notebook names; ipykernel installs "python3" in the venv
    metadata = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    assert metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_imports_nothing_private(path):
    for cell in cells(path):
        if cell["cell_type"] == "code":
            assert not PRIVATE_IMPORT.search(text(cell)), f"{path.name}: {text(cell)[:80]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_linked_from_the_readme(path):
    assert f"notebooks/{path.name}" in (ROOT / "README.md").read_text(encoding="utf-8")
