"""`deploysim process`: weeks of a team's releases, and DORA's four keys for them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import Budget, Seed, app, fmt, jsonable, out, progress_bar
from simulator.cli.experiments import Scheduler, Workers, progress

HOUR = 3600.0
ROWS = (
    ("deployment frequency (per day)", "deployment_frequency_per_day", 1.0),
    ("lead time for changes, median (h)", "lead_time_median_s", HOUR),
    ("lead time for changes, p90 (h)", "lead_time_p90_s", HOUR),
    ("change failure rate", "change_failure_rate", 1.0),
    ("failed deployment recovery time, median (h)", "recovery_median_s", HOUR),
    ("changes merged", "changes", 1.0),
    ("changes serving at the end", "deployed", 1.0),
    ("releases", "releases", 1.0),
    ("requests failed", "failed_requests", 1.0),
    ("requests failed in incidents", "incident_failed_requests", 1.0),
    ("SLO violated (min)", "slo_violation_minutes", 1.0),
    ("error budget burned (share)", "error_budget_burned", 1.0),
    ("serving cost (USD)", "serving_cost_usd", 1.0),
    ("release overhead (USD)", "release_overhead_usd", 1.0),
    ("CI runners (USD)", "ci_cost_usd", 1.0),
)


@app.command()
def process(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file with a process: section")],
    seed: Seed = 0,
    replications: Annotated[
        int, typer.Option(min=1, help="replications; more than 1 prints 95% intervals")
    ] = 1,
    scheduler: Scheduler = None,
    workers: Workers = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    force: Budget = False,
) -> None:
    """Weeks of a team's releases: DORA's four keys, incidents and costs."""
    from simulator.process import dora
    from simulator.scenario import load_scenario

    sc = load_scenario(scenario)
    title = (f"{sc.name}: {sc.process.delivery.mode.replace('_', ' ')}, "
             f"{sc.strategy.type} releases") if sc.process else sc.name  # fmt: skip
    if replications == 1:
        from simulator.process.simulation import run_process

        summary = run_process(sc, seed, force=force).summary
        cells = {key: "-" if summary[key] is None else fmt(summary[key] / unit)
                 for _, key, unit in ROWS}  # fmt: skip
        means = summary
        title += f" (seed {seed})"
    else:
        from simulator.analysis.processes import process_intervals, replicate_process

        with progress_bar(f"{replications} replications", quiet=as_json) as update:
            frame = replicate_process(sc, replications, seed, scheduler=scheduler, workers=workers,
                                      progress=progress(update), force=force)  # fmt: skip
        summary = process_intervals(frame).to_dict()
        cells = {key: _interval(summary, key, unit) for _, key, unit in ROWS}
        means = {key: summary[f"{key}_mean"] for _, key, _ in ROWS}
        title += f" ({replications} replications, 95% intervals)"
    if as_json:
        print(json.dumps(jsonable(summary)))
        return
    table = Table(title=title)
    table.add_column("DORA key or count")
    table.add_column("value", justify="right")
    table.add_column("DORA band (2023)")
    for label, key, _ in ROWS:
        table.add_row(label, cells[key], dora.band(key, means[key]) or "")
    out.print(table)


def _interval(summary: dict, key: str, unit: float) -> str:
    mean, low, high = (summary[f"{key}_{part}"] for part in ("mean", "ci_low", "ci_high"))
    if mean != mean:  # NaN: never measured
        return "-"
    return f"{fmt(mean / unit)} ({fmt(low / unit)} to {fmt(high / unit)})"
