"""Starting up costs little: `import simulator` and `deploysim --help` load no pandas, scipy,
numba or pyarrow until a command needs them (the face and the CLI import lazily).

Checked by the modules a fresh interpreter holds afterwards, not by timing: the time is
the benchmark's to measure. (A subcommand's help may load pydantic: Typer itself imports
it to read option types; that is Typer's cost, a few tens of ms, not ours.)
"""

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "scipy", "numba", "pyarrow", "simpy", "dask", "streamlit")


def loaded_after(code: str, watch: tuple[str, ...] = HEAVY) -> list[str]:
    """The packages of `watch` a fresh interpreter has imported after running `code`."""
    report = f"import sys, json\nprint(json.dumps([m for m in {watch!r} if m in sys.modules]))"
    probe = f"{code}\n{report}"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_package_loads_nothing_heavy():
    assert loaded_after("import simulator", (*HEAVY, "pydantic", "numpy")) == []


def test_the_public_names_still_load_on_first_use():
    assert "numba" in loaded_after("import simulator\nsimulator.simulate")
    assert "scipy" in loaded_after("from simulator import load_scenario")


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["compare", "--help"],
                                  ["runs", "--help"]])  # fmt: skip
def test_help_loads_nothing_heavy(args):
    code = ("from typer.testing import CliRunner\nfrom simulator.cli import app\n"
            f"assert CliRunner().invoke(app, {args!r}).exit_code == 0")  # fmt: skip
    assert loaded_after(code) == []
