"""`deploysim hosting` and `deploysim posture`, and the posture table after `deploysim run`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator import catalog
from simulator.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
FORECAST = ROOT / "scenarios" / "seasonal-demand-forecast-batch.yaml"
SECURITY = ROOT / "tests" / "importers" / "security"


def test_hosting_prints_the_four_options_with_the_always_on_bill_for_the_whole_day():
    result = runner.invoke(app, ["hosting", str(FORECAST), "--seed", "1", "--day", "12",
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["option"]: row for row in json.loads(result.stdout)}
    assert list(rows) == ["realtime, always on", "realtime, on a schedule",
                          "async, scaled to zero", "batch transform"]  # fmt: skip
    price = catalog.target_info("ml.m5.large")["price_per_hour"]
    assert rows["realtime, always on"]["cost_per_day_usd"] == pytest.approx(12 * price)
    create = catalog.target_info("ml.m5.large")["provisioning"]["create_endpoint_s"]
    scheduled = rows["realtime, on a schedule"]["instance_hours"]
    assert scheduled == pytest.approx((create + 7200) / 3600)
    assert rows["batch transform"]["latency_p99_ms"] is None
    assert all(row["failed"] == 0 for row in rows.values())


def test_hosting_refuses_a_scenario_with_a_release_in_plain_words():
    result = runner.invoke(app, ["hosting", str(ROOT / "scenarios" / "big-bang-release.yaml")])
    assert result.exit_code == 2
    assert "needs a real-time scenario without a release" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name, open_findings", [("good.json", 0), ("bad.json", 10)])
def test_posture_checks_an_imported_request_practice_by_practice(name, open_findings):
    result = runner.invoke(app, ["posture", str(SECURITY / name), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["findings"]) == 10
    assert sum(f["status"] == "finding" for f in report["findings"]) == open_findings
    assert all(f["field"].startswith("security.") for f in report["findings"])


def test_run_shows_the_posture_table_for_a_scenario_with_a_security_section():
    preset = ROOT / "scenarios" / "security-open-endpoint.yaml"
    result = runner.invoke(app, ["run", str(preset), "--no-save"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "security posture" in result.output
    assert result.output.count("finding") >= 10
