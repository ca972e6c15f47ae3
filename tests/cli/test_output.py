"""What a person reads from the command line: figures first, units in the headers, no e-notation.

Each figure a table shows is checked against the same run's JSON (same seed), written by
hand here: thousands separated, percentages, m:ss, ms for every latency, n/a where a
figure does not apply; diagnostics only with --diagnostics.
"""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.cli import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
ARGO = SCENARIOS / "canary-fraud-argo.yaml"
FLAGGER = SCENARIOS / "canary-fraud-flagger.yaml"
SHADOW = SCENARIOS / "shadow-fraud-dnn.yaml"
runner = CliRunner()
WIDE = {"COLUMNS": "220"}  # no cell wraps


def invoke(args: list[str]) -> str:
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    return result.stdout


def tables(text: str) -> list[dict[str, list[str]]]:
    """Each table of the output as {first cell: the other cells}, in order."""
    found: list[dict[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("┏"):
            found.append({})
        elif line.startswith(("│", "┃")) and found:
            cells = [c.strip() for c in line.strip("│┃").split("│" if "│" in line else "┃")]
            found[-1][cells[0]] = cells[1:]
    return found


def mss(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def test_run_shows_the_user_figures_and_keeps_diagnostics_behind_a_flag():
    summary = json.loads(invoke(["run", str(ARGO), "--seed", "1", "--no-save", "--json"]))
    text = invoke(["run", str(ARGO), "--seed", "1", "--no-save"])
    (figures,) = tables(text)
    value = {k: v[0] for k, v in figures.items()}
    assert summary["outcome"] == "rolled_back" and value["outcome"] == "rolled back"
    assert value["requests"] == f"{summary['requests']:,}"  # 432,520
    assert value["requests hurt by the release"] == f"{summary['blast_radius']:,}"
    # 0.99994682 is 99.9947%: the nines and two digits of what is missing
    assert value["availability (%)"] == f"{100 * summary['availability']:.4f}%" == "99.9947%"
    assert value["latency p99 (ms)"] == f"{summary['latency_ms']['p99']:.2f}" == "3.21"
    assert value["time to detect"] == mss(summary["time_to_detect_s"]) == "3:00"
    assert value["time to roll back"] == "0 s" and summary["time_to_rollback_s"] == 0
    assert value["rollout duration"] == mss(summary["rollout_duration_s"]) == "5:45"
    assert value["error budget burned (%)"] == f"{100 * summary['error_budget_burned']:.2f}%"
    assert value["cost ($)"] == f"{summary['cost_usd']:.2f}" == "2.06"
    assert value["cost of v1 ($)"] == f"{summary['cost_by_version']['v1']:.2f}"
    assert value["release had a defect"] == "yes" and value["reached full traffic"] == "no"
    assert not re.search(r"\de[+-]\d", text) and "_" not in "".join(figures)
    for diagnostic in ("littles_law_gap", "Little's law", "lambda", "wall-clock", "queue wait"):
        assert diagnostic not in text
    first, diagnostics = tables(invoke(["run", str(ARGO), "--seed", "1", "--no-save",
                                        "--diagnostics"]))  # fmt: skip
    assert first == figures
    assert diagnostics["Little's law gap (%)"] == [f"{100 * summary['littles_law_gap']:.1f}%"]
    assert list(diagnostics)[0] == "figure" and "queue wait p99 (ms)" in diagnostics


def test_a_figure_that_does_not_apply_reads_n_a():
    summary = json.loads(invoke(["run", str(FLAGGER), "--no-save", "--json"]))
    assert summary["outcome"] == "promoted" and summary["time_to_rollback_s"] is None
    value = {k: v[0] for k, v in tables(invoke(["run", str(FLAGGER), "--no-save"]))[0].items()}
    assert value["time to roll back"] == "n/a" and value["time to detect"] == "n/a"
    assert value["outcome"] == "promoted" and value["reached full traffic"] == "yes"


def test_the_shadow_comparison_is_in_ms_like_every_latency():
    summary = json.loads(invoke(["run", str(SHADOW), "--no-save", "--json"]))
    figures, compared = tables(invoke(["run", str(SHADOW), "--no-save"]))
    sides = summary["details"]["comparison"]
    assert compared["figure"] == ["candidate", "production"]
    # the engine reports its gate's latencies in seconds (0.003212): shown as 3.21 ms
    assert compared["latency p99 (ms)"][1] == f"{sides['production']['latency_p99_ms']:.2f}"
    assert compared["latency p99 (ms)"][1] == figures["latency p99 (ms)"][0] == "3.21"
    assert compared["latency p50 (ms)"][0] == f"{sides['candidate']['latency_p50_ms']:.1f}"
    assert compared["requests"] == [f"{sides[s]['Invocations']:,.0f}"
                                    for s in ("candidate", "production")]  # fmt: skip
    assert compared["error rate (%)"] == [f"{100 * sides['candidate']['error_rate']:.2f}%", "0%"]


def half(row: dict, key: str) -> float:
    return (row[f"{key}_ci_high"] - row[f"{key}_ci_low"]) / 2


def test_compare_writes_intervals_and_rates_as_a_person_does():
    args = ["compare", str(ARGO), "--strategies", "big_bang,canary", "--replications", "3",
            "--seed", "2", "--workers", "1", "--no-save"]  # fmt: skip
    table = json.loads(invoke([*args, "--json"]))["table"]
    text = invoke(args)
    (shown,) = tables(text)
    assert shown["figure"] == ["big_bang", "canary"]
    assert not re.search(r"\de[+-]\d", text)
    bang, canary = table["big_bang"], table["canary"]
    # a rate, not "1 ± 0": every replication of both rolled back
    assert bang["rolled_back_mean"] == canary["rolled_back_mean"] == 1
    assert shown["rolled back (%)"] == ["100%", "100%"]
    assert bang["time_to_rollback_s_mean"] == 135 and canary["time_to_rollback_s_mean"] == 0
    assert shown["time to roll back"] == ["2:15", "0 s"]
    assert shown["time to detect"][1] == mss(canary["time_to_detect_s_mean"])
    # the mean to the half-width's second significant digit: 17,036 ± 110; a half-width
    # of tens or hundreds of requests leaves whole numbers
    h = half(bang, "blast_radius")
    assert 10 <= h < 1000, h
    want = f"{bang['blast_radius_mean']:,.0f} ± {h:,.0f}"
    assert shown["requests hurt by the release"][0] == want
    h = half(canary, "blast_radius")  # a few requests: one decimal, as "32.7 ± 7.6"
    assert 1 <= h < 10, h
    want = f"{canary['blast_radius_mean']:.1f} ± {h:.1f}"
    assert shown["requests hurt by the release"][1] == want
    a, ha = bang["availability_mean"], half(bang, "availability")
    digits = 1 - int(f"{100 * ha:e}".split("e")[1])  # the half-width's second digit
    assert shown["availability (%)"][0] == f"{100 * a:.{digits}f}% ± {100 * ha:.{digits}f}%"


def test_compare_reads_n_a_where_no_replication_rolled_back():
    args = ["compare", str(FLAGGER), "--strategies", "big_bang,canary", "--replications", "2",
            "--workers", "1", "--no-save"]  # fmt: skip
    table = json.loads(invoke([*args, "--json"]))["table"]
    assert all(table[s]["rolled_back_mean"] == 0 for s in ("big_bang", "canary"))
    assert all(table[s].get("time_to_rollback_s_mean") is None for s in ("big_bang", "canary"))
    shown = tables(invoke(args))[0]
    assert shown["rolled back (%)"] == ["0%", "0%"]
    assert shown["time to roll back"] == shown["time to detect"] == ["n/a", "n/a"]


def test_runs_list_a_comparison_under_every_strategy_and_show_any_id():
    args = ["compare", str(ARGO), "--strategies", "big_bang,canary,blue_green",
            "--replications", "2", "--workers", "1"]  # fmt: skip
    compared = tables(invoke(args))[0]
    run_id = json.loads(invoke(["run", str(ARGO), "--seed", "1", "--json"]))["run_id"]
    listed = json.loads(invoke(["runs", "--json"]))
    assert [(r["kind"], r["strategy"]) for r in listed] == [
        ("run", "canary"), ("compare", "big_bang, canary, blue_green")]
    listing = tables(invoke(["runs"]))[0]
    header = listing["id"]
    assert header[3] == "strategies" and "n" not in header and "replications" in header
    assert listing[str(listed[1]["id"])][3] == "big_bang, canary, blue_green"
    assert listing[str(run_id)][header.index("outcome")] == "rolled back"
    # an experiment's id, without --kind: the table compare printed, headers as labels
    shown = tables(invoke(["runs", "show", str(listed[1]["id"])]))[0]
    assert shown == compared and "requests hurt by the release" in shown
    run = tables(invoke(["runs", "show", str(run_id)]))[0]
    ran = tables(invoke(["run", str(ARGO), "--seed", "1", "--no-save"]))[0]
    assert run == ran


@pytest.mark.parametrize("args", [["--help"], ["runs", "--help"]])
def test_help_opens_with_what_deploysim_gives(args):
    text = " ".join(invoke(args).split())
    if args == ["--help"]:
        assert "Try a model release before you ship it" in text
        for command in ("run", "compare", "import", "runs", "app"):
            assert re.search(rf"│ {command} +[A-Z]", invoke(args)), command
    else:
        assert "Runs and comparisons saved earlier" in text
