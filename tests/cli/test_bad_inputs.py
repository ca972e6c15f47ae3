"""What a user types that deploysim must refuse, typed as a user would: `deploysim ARGS`.

Each case of tests/bad_inputs/cases.yaml runs the CLI in a fresh process, so what is
measured is what the user sees: the exit status, the message (every expected word in
it, on one screen, never a traceback, never a secret from a file it was pointed at) and
the process's own peak memory (`os.wait4`), which must stay under 1 GB, where these
inputs used to ask for tens of GiB. The malformed importer configs of
tests/bad_inputs/importers go through `deploysim import` in this process: they are small
files whose reading is bounded by `userfiles`, and one subprocess each would cost
minutes; test_importers.py checks the same files through the API.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from simulator.cli import app

HERE = Path(__file__).resolve().parents[1] / "bad_inputs"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text())
IMPORTS = yaml.safe_load((HERE / "importers" / "expected.yaml").read_text())
VALID_CONFIG = HERE / "importers" / "valid" / "flagger-canary.yaml"

PEAK_MB = 1024
"""The issue's bound: every refusal within 1 GB (a loaded CLI process is about 250 MB)."""

SCREEN_LINES = 30
"""A message that fits one terminal screen."""

DEADLINE_S = 120
"""A hung case is a failure, not a stuck CI job (the slowest case waits 10 s for a scheduler)."""


def deploysim(args: list[str], tmp: Path) -> tuple[int, str, float]:
    """Run the CLI in a fresh process: exit status, what it printed, peak RSS in MB."""
    env = {**os.environ, "DEPLOYSIM_STORE": str(tmp / "runs.sqlite"), "COLUMNS": "120"}
    with open(tmp / "output.txt", "w+") as output:
        proc = subprocess.Popen([sys.executable, "-m", "simulator", *args], cwd=tmp, env=env,
                                stdin=subprocess.DEVNULL, stdout=output, stderr=output)  # fmt: skip
        watchdog = threading.Timer(DEADLINE_S, proc.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # the child's own rusage, unlike wait()
        finally:
            watchdog.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        return proc.returncode, output.read(), usage.ru_maxrss / 1024


def _expand(args: list[str], tmp: Path) -> list[str]:
    return [a.replace("{here}", str(HERE)).replace("{tmp}", str(tmp)) for a in args]


@pytest.mark.parametrize("name", list(CASES))
def test_the_cli_refuses_bad_input_with_a_message(name, tmp_path):
    case = CASES[name]
    for file in case.get("copy", []):
        shutil.copy(HERE / "files" / file, tmp_path / file)
    before = {f: (tmp_path / f).read_bytes() for f in case.get("copy", [])}
    if "before" in case:
        status, text, _ = deploysim(_expand(case["before"], tmp_path), tmp_path)
        assert status == 0, text
    status, text, peak_mb = deploysim(_expand(case["args"], tmp_path), tmp_path)
    assert status == case.get("exit", 2), text
    assert "Traceback" not in text
    for word in case["names"]:
        assert word in text, f"{word!r} not in:\n{text}"
    if "secret" in case:
        assert case["secret"] not in text
    assert len(text.strip().splitlines()) <= SCREEN_LINES, text
    assert peak_mb < PEAK_MB
    for file, content in before.items():  # nothing overwritten
        assert (tmp_path / file).read_bytes() == content


@pytest.mark.parametrize("name", list(IMPORTS))
def test_deploysim_import_refuses_every_malformed_config(name, tmp_path):
    case = IMPORTS[name]
    path = HERE / "importers" / name
    if case.get("base"):
        args = ["import", str(VALID_CONFIG), "--base", str(path)]
    else:
        args = ["import", str(path)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    text = result.output
    assert result.exit_code == 2, text
    assert result.exception is None or isinstance(result.exception, SystemExit), text
    assert "Traceback" not in text
    if case.get("missing"):
        assert "--base" in text  # the option is checked before the importer runs
    else:
        assert name in text and case.get("field", "") in text, text
        assert " ".join(case["reason"].split()) in " ".join(text.split()), text


def test_an_error_naming_a_long_path_stays_on_one_line(tmp_path):
    """A message is soft-wrapped: a narrow terminal folds it, but the path is never split."""
    deep = tmp_path / ("folder-with-a-long-name-" * 4) / "scenario.yaml"
    deep.parent.mkdir()
    deep.write_text("name: a\nname: b\n")
    result = CliRunner().invoke(app, ["run", str(deep)], env={"COLUMNS": "60"})
    assert result.exit_code == 2, result.output
    (line,) = result.output.strip().splitlines()
    assert str(deep) in line and "duplicate key 'name'" in line
