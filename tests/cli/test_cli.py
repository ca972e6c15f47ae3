"""The command line: results as JSON, user mistakes as one clear line with exit 2.

And no file is overwritten without --force, nor left half-written.
"""

import errno
import json
import re
import socket
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import simulator as ds
from simulator.analysis import backends
from simulator.analysis import sweep as sweeps
from simulator.cli import app
from simulator.cli import run as cli_run
from simulator.cli import runs as cli_runs
from simulator.cli.launcher import LaunchError
from simulator.engine import budget
from simulator.scenario.strategies import STRATEGY_TYPES

PRESET = Path(__file__).resolve().parents[2] / "scenarios" / "canary-fraud-argo.yaml"
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
    args = ["run", str(PRESET), "--strategy", "blue_green", "--seed", "1"]
    summary = json.loads(runner.invoke(app, [*args, "--json", "--no-save"]).stdout)
    result = runner.invoke(app, [*args, "--events"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "blue_green" in result.stdout and "RollbackTriggered" in result.stdout
    row = re.search(r"│ reached full traffic +│ +(\w+) │", result.stdout)
    assert row and row.group(1) == ("yes" if summary["reached_full_traffic"] else "no")


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
        assert "error" in result.output.lower() and "Traceback" not in result.output


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


# ---------------------------------------------------------------- bad options, files, errors


def squash(text: str) -> str:
    """Text without spaces, line breaks or box lines: messages wrap (paths too) and Typer
    frames its errors, so expected words are compared squashed, on both sides."""
    return re.sub(r"[\s│╭╮╰╯─]", "", text)


def says(output: str, *fragments: str) -> bool:
    return all(squash(f) in squash(output) for f in fragments)


def closed_port() -> int:
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def usage_error(args: list[str], option: str) -> str:
    """Run a command that must be refused: exit 2, the option named, no traceback."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (args, result.output)
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert says(result.output, option) and "Traceback" not in result.output, result.output
    return result.output


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["run", str(PRESET), "--seed", "-1"], "--seed"),
        (["run", str(PRESET), "--seed", str(2**63)], "--seed"),
        (["compare", str(FLAGGER), "--strategies", "canary", "--seed", "-5"], "--seed"),
        (["compare", str(FLAGGER), "--strategies", "canary", "--workers", "-3"], "--workers"),
        (["sweep", str(FLAGGER), "--set", "fleet.instances=2", "--workers", "0"], "--workers"),
        (["compare", str(FLAGGER), "--strategies", "canary", "--warmup", "mser"], "--warmup"),
        (["runs", "show", "99999999999999999999999"], "record_id"),
        (["runs", "show", "0"], "record_id"),
        (["runs", "delete", "1", "--kind", "bogus"], "--kind"),
        (["runs", "show", "1", "--kind", "sweep"], "--kind"),
        (["import", str(FLAGGER), "--base", "missing.yaml"], "--base"),
        (["app", "--port", "70000"], "--port"),
    ],
)
def test_bad_options_are_usage_errors_naming_the_option(args, option):
    usage_error(args, option)


@pytest.mark.parametrize(
    ("given", "problem"),
    [("", "give at least one strategy"), (" , ", "give at least one strategy"),
     ("canary,canry", "unknown 'canry'"), ("canary,rolling,canary", "canary given more than once")],
)  # fmt: skip
def test_a_bad_strategy_list_names_the_option_and_the_known_strategies(given, problem):
    text = usage_error(["compare", str(FLAGGER), "--strategies", given], "--strategies")
    assert says(text, problem)
    if "more than once" not in problem:
        assert says(text, "known: " + ", ".join(STRATEGY_TYPES))


def test_import_out_must_be_a_new_file_in_an_existing_folder(tmp_path):
    source = PRESET.parent / "imports" / "flagger-canary.yaml"
    text = usage_error(["import", str(source), "--out", str(tmp_path)], "--out")
    assert says(text, "is a folder: give a file name")
    text = usage_error(["import", str(source), "--out", str(tmp_path / "no" / "s.yaml")], "--out")
    assert says(text, f"the folder '{tmp_path / 'no'}' does not exist")
    assert not (tmp_path / "no").exists()


def test_an_unreachable_scheduler_fails_fast_naming_the_option(monkeypatch):
    monkeypatch.setattr(backends, "CONNECT_TIMEOUT_S", 1.0)
    args = ["compare", str(FLAGGER), "--strategies", "canary", "--replications", "1",
            "--no-save", "--scheduler", f"tcp://127.0.0.1:{closed_port()}"]  # fmt: skip
    started = time.monotonic()
    text = usage_error(args, "--scheduler")
    assert time.monotonic() - started < 20  # distributed alone would retry for 30 s
    assert says(text, "error: --scheduler: no Dask scheduler answered", "within 1 s")
    text = usage_error([*args[:-1], "tcp://127.0.0.1"], "--scheduler")  # no port
    assert says(text, "error: --scheduler: 'tcp://127.0.0.1' is not a scheduler address")


def test_a_bug_keeps_its_traceback(monkeypatch):
    """Only the project's own errors become messages; anything else is a bug to report."""

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli_runs, "_store", broken)
    result = runner.invoke(app, ["runs", "show", "1"])
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)


def test_app_opens_a_browser_unless_told_not_to(monkeypatch):
    calls = []
    monkeypatch.setattr(
        cli_run, "serve", lambda port, open_browser: calls.append((port, open_browser))
    )
    assert runner.invoke(app, ["app"]).exit_code == 0
    assert runner.invoke(app, ["app", "--no-browser", "--port", "8600"]).exit_code == 0
    assert calls == [(8501, True), (8600, False)]

    def taken(port, open_browser):
        raise LaunchError(f"port {port} is in use: choose a free one with --port")

    monkeypatch.setattr(cli_run, "serve", taken)
    result = runner.invoke(app, ["app"])
    assert result.exit_code == 2 and says(result.output, "error: port 8501 is in use")


def test_files_are_never_overwritten_without_force(tmp_path):
    run_id = json.loads(runner.invoke(app, ["run", str(PRESET), "--json"]).stdout)["run_id"]
    folder = tmp_path / "out"  # apart from the run store, which is in tmp_path
    folder.mkdir()
    target = folder / "metrics.csv"
    target.write_text("mine\n")
    export = ["runs", "export", str(run_id), str(target), "--kind", "run"]
    text = usage_error(export, f"'{target}' already exists; add --force to overwrite it")
    assert target.read_text() == "mine\n"
    result = runner.invoke(app, [*export[:2], "--force", *export[2:]])  # --force first, too
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("time_s")

    source = PRESET.parent / "imports" / "flagger-canary.yaml"
    scenario = folder / "scenario.yaml"
    scenario.write_text("mine\n")
    text = usage_error(["import", str(source), "--out", str(scenario)], "--out")
    assert says(text, f"'{scenario}' already exists; add --force")
    assert scenario.read_text() == "mine\n"
    result = runner.invoke(app, ["import", str(source), "--out", str(scenario), "--force"])
    assert result.exit_code == 0, result.output
    assert ds.load_scenario(scenario).strategy.type == "canary"

    table = folder / "sweep.csv"
    table.write_text("mine\n")
    sweep = ["sweep", str(FLAGGER), "--set", "fleet.instances=3,5", "--replications", "2",
             "--workers", "1", "--no-save", "--json", "--csv", str(table)]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:  # refused before anything runs
        patch.setattr(sweeps, "sweep", lambda *a, **kw: pytest.fail("the sweep ran"))
        text = usage_error(sweep, "--csv")
    assert says(text, f"'{table}' already exists; add --force")
    assert table.read_text() == "mine\n"
    result = runner.invoke(app, [*sweep, "--force"])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(table)
    assert sorted(rows["fleet.instances"]) == [3, 3, 5, 5] and "cost_usd" in rows
    assert sorted(p.name for p in folder.iterdir()) == [
        "metrics.csv", "scenario.yaml", "sweep.csv"
    ]  # no temporary file left beside them


def test_a_failed_export_leaves_the_old_file_whole(tmp_path, monkeypatch):
    run_id = json.loads(runner.invoke(app, ["run", str(PRESET), "--json"]).stdout)["run_id"]
    folder = tmp_path / "out"  # apart from the run store, which is in tmp_path
    folder.mkdir()
    target = folder / "metrics.csv"
    target.write_text("mine\n")

    def disk_full(self, path, **kw):
        Path(path).write_text("time_s,half a ro")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    result = runner.invoke(app, ["runs", "export", str(run_id), str(target), "--kind", "run",
                                 "--force"])  # fmt: skip
    assert result.exit_code == 2 and says(result.output, "No space left on device")
    assert target.read_text() == "mine\n"
    assert [p.name for p in folder.iterdir()] == ["metrics.csv"]


OVER_BUDGET = [
    ["run", str(FLAGGER), "--no-save"],
    ["compare", str(FLAGGER), "--strategies", "canary", "--replications", "1", "--no-save"],
    ["sweep", str(FLAGGER), "--set", "fleet.instances=4", "--replications", "1", "--no-save"],
    ["capacity", str(FLAGGER), "--replications", "2", "--maximum", "8"],
    ["power", str(PRESET), "--weights", "25", "--bakes", "1m", "--replications", "1"],
    ["pareto", str(FLAGGER), "--set", "strategy.step_weight=20", "--replications", "1"],
]


@pytest.mark.parametrize("args", OVER_BUDGET, ids=lambda args: args[0])
def test_force_runs_beyond_the_budget(monkeypatch, args):
    """The preset serves about 432,000 requests a run: over a budget lowered to 1,000, every
    command refuses it (before anything runs) unless told --force."""
    monkeypatch.setattr(budget, "MAX_REQUESTS", 1000)
    args = [*args, "--workers", "1"] if args[0] != "run" else args
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2, refused.output
    assert says(refused.output, "over the budget of 1e+03", "--force")
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
