"""What every folder of documented configurations (tests/importers/realworld/<tool>/) checks.

Each folder holds files written from a project's own documentation and an expected.yaml
saying, per file, the scenario fields it must give (`fields`, by dotted path), the fields
it must not have (`absent`), words its description's import notes hold (`notes`); or, for
a file refused, the field the message names (`field`) and words of its reason (`refused`).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import simulator as ds
from simulator.importers import ConfigImportError, import_config

REALWORLD = Path(__file__).resolve().parent / "realworld"


def folder(tool: str) -> tuple[Path, dict]:
    """A tool's folder and its expectations."""
    here = REALWORLD / tool
    return here, yaml.safe_load((here / "expected.yaml").read_text())


def docs(path: Path) -> list[dict]:
    return list(yaml.safe_load_all(path.read_text()))


def text(documents: list[dict]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False)


def lookup(data: dict, path: str):
    for part in path.split("."):
        data = data[part]
    return data


def has(data: dict, path: str) -> bool:
    *parents, last = path.split(".")
    for part in parents:
        data = data.get(part, {})
    return last in data


def imports_as_expected(path: Path, case: dict) -> tuple[dict, ds.Scenario] | None:
    """Import `path` and check it against its case; the data and scenario, None if refused."""
    if "refused" in case:
        with pytest.raises(ConfigImportError) as err:
            import_config(path)
        message = str(err.value)
        assert message.startswith(f"{path}: {case['field']}: "), message
        assert case["refused"] in message, message
        assert len(message) < 600
        return None
    data = import_config(path)
    sc = ds.load_scenario(copy.deepcopy(data))
    for key, value in case.get("fields", {}).items():
        assert lookup(data, key) == value, key
    for key in case.get("absent", []):
        assert not has(data, key), key
    for words in case.get("notes", []):
        assert words in sc.description, words
    return data, sc


def every_file_has_its_case(here: Path, cases: dict) -> None:
    files = {p.name for p in here.iterdir() if p.is_file()} - {"expected.yaml"}
    assert files == set(cases)
