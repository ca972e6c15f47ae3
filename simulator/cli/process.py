"""`deploysim process`: weeks of a team's releases, and DORA's four keys for them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import Seed, app, fmt, jsonable, out

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
    ("requests failed in incidents", "incident_failed_requests", 1.0),
)


@app.command()
def process(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file with a process: section")],
    seed: Seed = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Play the scenario's release process (changes, CI, delivery, releases) over weeks."""
    from simulator.process.simulation import run_process
    from simulator.scenario import load_scenario

    sc = load_scenario(scenario)
    res = run_process(sc, seed)
    if as_json:
        print(json.dumps(jsonable(res.summary)))
        return
    mode = sc.process.delivery.mode.replace("_", " ")
    table = Table(title=f"{sc.name}: {mode}, {sc.strategy.type} releases (seed {seed})")
    table.add_column("DORA key or count")
    table.add_column("value", justify="right")
    for label, key, unit in ROWS:
        value = res.summary[key]
        table.add_row(label, "-" if value is None else fmt(value / unit))
    out.print(table)
