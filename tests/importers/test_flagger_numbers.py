"""Flagger's success rate becomes an error rate written as a person writes it.

A `request-success-rate` min of 99.9 (percent) is an error rate of at most
(100 - 99.9) / 100 = 0.001; in binary floating point that sum is 0.0009999999999999432,
which a scenario file must not show. Each expected value below is worked by hand.
"""

import copy

import pytest
import yaml
from typer.testing import CliRunner

from simulator.cli import app
from simulator.importers import import_config
from tests.importers.test_importers import BASE, FLAGGER


def flagger_with_success_rate(least: float) -> dict:
    doc = yaml.safe_load(FLAGGER.read_text())
    doc["spec"]["analysis"]["metrics"][0]["thresholdRange"] = {"min": least}
    return doc


@pytest.mark.parametrize(
    "least, error_rate",
    [(99.9, 0.001), (99, 0.01), (99.5, 0.005), (95, 0.05), (99.99, 0.0001), (100, 0.0),
     (0, 1.0), (99.95, 0.0005)],
)  # fmt: skip
def test_the_error_rate_is_the_decimal_the_success_rate_says(least, error_rate):
    data = import_config(flagger_with_success_rate(least), base=copy.deepcopy(BASE))
    checks = {c["metric"]: c["max"] for c in data["strategy"]["gate"]["checks"]}
    assert checks["error_rate"] == error_rate  # exactly: no 0.0009999999999999432
    assert repr(checks["error_rate"]) == repr(error_rate)


def test_deploysim_import_writes_max_0_001_for_99_9_percent(tmp_path):
    source = tmp_path / "canary.yaml"
    source.write_text(yaml.safe_dump(flagger_with_success_rate(99.9)))
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump(BASE))
    result = CliRunner().invoke(app, ["import", str(source), "--base", str(base)])
    assert result.exit_code == 0, result.output
    checks = yaml.safe_load(result.stdout)["strategy"]["gate"]["checks"]
    assert {"metric": "error_rate", "max": 0.001, "strict": False} in checks
    assert "max: 0.001\n" in result.stdout and "0.000999" not in result.stdout
