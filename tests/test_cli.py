"""The command line: results as JSON, and user mistakes as one clear line with exit 2."""

import json
from pathlib import Path

from typer.testing import CliRunner

from simulator.cli import app

PRESET = Path(__file__).resolve().parents[1] / "scenarios" / "canary-fraud-argo.yaml"
runner = CliRunner()


def test_run_json_carries_the_risk_and_cost_keys():
    result = runner.invoke(app, ["run", str(PRESET), "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["outcome"] == "rolled_back" and summary["strategy"] == "canary"
    for key in (
        "time_to_detect_s",
        "time_to_rollback_s",
        "users_affected",
        "update_cost_usd",
        "slo_violation_minutes",
        "error_budget_burned",
        "reached_full_traffic",
    ):
        assert key in summary


def test_run_table_overrides_the_strategy_and_shows_the_audit_trail():
    result = runner.invoke(app, ["run", str(PRESET), "--strategy", "blue_green", "--events"])
    assert result.exit_code == 0, result.output
    assert "blue_green" in result.stdout and "RollbackTriggered" in result.stdout
    assert "reached_full_traffic" in result.stdout


def test_unknown_strategy_and_bad_gate_alarm_are_clear_errors(tmp_path):
    result = runner.invoke(app, ["run", str(PRESET), "--strategy", "canaree"])
    assert result.exit_code == 2 and "canaree" in result.output
    assert "Traceback" not in result.output
    bad = tmp_path / "bad.yaml"
    text = PRESET.read_text().replace("type: argo", "type: alarms\n    alarms: [missing-alarm]")
    text = text.replace("    interval: 1m\n    failure_limit: 2\n", "")
    bad.write_text(text)
    result = runner.invoke(app, ["run", str(bad)])
    assert result.exit_code == 2, result.output
    assert "strategy.gate.alarms" in result.output and "missing-alarm" in result.output


FLAGGER = PRESET.parent / "canary-fraud-flagger.yaml"


def test_compare_json_is_the_compare_table(tmp_path):
    import simulator as ds

    args = ["compare", str(FLAGGER), "--strategies", "canary,rolling", "--replications", "2",
            "--seed", "3", "--workers", "1", "--baseline", "rolling", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    table = ds.compare(FLAGGER, ["canary", "rolling"], replications=2, seed=3, workers=1)
    assert set(payload["table"]) == {"canary", "rolling"}
    for strategy in ("canary", "rolling"):
        got = payload["table"][strategy]
        assert got["blast_radius_mean"] == table.at[strategy, "blast_radius_mean"]
        assert got["cost_usd_ci_high"] == table.at[strategy, "cost_usd_ci_high"]
    assert set(payload["differences"]) == {"canary"}


def test_sweep_and_pareto_cover_every_point():
    args = ["sweep", str(FLAGGER), "--set", "fleet.instances=3,5", "--replications", "1",
            "--workers", "1", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)
    assert set(table) == {"3", "5"}
    assert table["5"]["cost_usd_mean"] > table["3"]["cost_usd_mean"]
    args = ["pareto", str(FLAGGER), "--set", "strategy.step_weight=10,25", "--replications", "1",
            "--workers", "1", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["strategy.step_weight"] for r in rows] == [10, 25]
    assert any(r["pareto"] for r in rows)


def test_experiment_commands_report_bad_input_cleanly():
    cases = [
        ["sweep", str(FLAGGER), "--set", "fleet.instancs=2"],
        ["sweep", str(FLAGGER), "--set", "fleet.instances"],
        ["compare", str(FLAGGER), "--strategies", "canary,canry"],
        ["compare", str(FLAGGER), "--strategies", "canary", "--baseline", "rolling"],
        ["power", str(FLAGGER), "--weights", "5,x"],
    ]
    for args in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "error" in result.output and "Traceback" not in result.output


def test_runs_are_saved_listed_shown_and_exported(tmp_path):
    result = runner.invoke(app, ["run", str(PRESET), "--seed", "2", "--json", "--label", "x"])
    run_id = json.loads(result.stdout)["run_id"]
    args = ["compare", str(FLAGGER), "--strategies", "canary", "--replications", "2",
            "--workers", "1", "--json"]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    listed = json.loads(runner.invoke(app, ["runs", "--json"]).stdout)
    assert [r["kind"] for r in listed] == ["compare", "run"]
    assert listed[1]["id"] == run_id and listed[1]["label"] == "x"
    assert listed[1]["outcome"] == "rolled_back"
    shown = json.loads(runner.invoke(app, ["runs", "show", str(run_id), "--json"]).stdout)
    assert shown["seed"] == 2 and shown["outcome"] == "rolled_back"
    exp = json.loads(
        runner.invoke(
            app, ["runs", "show", str(listed[0]["id"]), "--kind", "experiment", "--json"]
        ).stdout  # fmt: skip
    )
    assert exp["meta"]["kind"] == "compare" and "canary" in exp["table"]
    target = tmp_path / "metrics.csv"
    result = runner.invoke(app, ["runs", "export", str(run_id), str(target), "--kind", "run"])
    assert result.exit_code == 0 and target.read_text().startswith("time_s")
    missing = runner.invoke(app, ["runs", "show", "999"])
    assert missing.exit_code == 2 and "999" in missing.output
    assert runner.invoke(app, ["run", str(PRESET), "--no-save", "--json"]).exit_code == 0
    assert len(json.loads(runner.invoke(app, ["runs", "--json"]).stdout)) == 2


def test_import_turns_a_flagger_canary_into_a_runnable_scenario(tmp_path):
    import simulator as ds

    source = tmp_path / "flagger.yaml"
    source.write_text(
        "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: m}\n"
        "spec:\n  analysis:\n    interval: 1m\n    threshold: 3\n    maxWeight: 30\n"
        "    stepWeight: 10\n"
    )
    target = tmp_path / "scenario.yaml"
    result = runner.invoke(app, ["import", str(source), "--base", str(FLAGGER), "--out",
                                 str(target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    sc = ds.load_scenario(target)
    assert sc.strategy.type == "canary" and sc.strategy.step_weight == 10
    assert sc.strategy.max_weight == 30 and sc.strategy.gate.threshold == 3
    assert sc.fleet.model == ds.load_scenario(FLAGGER).fleet.model  # the base's fleet kept
    bad = runner.invoke(app, ["import", str(FLAGGER)])
    assert bad.exit_code == 2 and "unknown kind" in bad.output
