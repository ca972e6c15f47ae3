"""`deploysim hosting`: one window of work served four ways, side by side on cost and time."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import Budget, Seed, app, jsonable, out, progress_bar

COLUMNS = (
    ("cost per day (USD)", "cost_per_day_usd"),
    ("completion (s)", "completion_s"),
    ("requests", "requests"),
    ("failed", "failed"),
    ("p99 latency (ms)", "latency_p99_ms"),
    ("instance-hours", "instance_hours"),
)


@app.command()
def hosting(
    scenario: Annotated[Path, typer.Argument(help="real-time scenario whose traffic is the work")],
    seed: Seed = 0,
    day: Annotated[
        float, typer.Option(min=1, max=1e9, help="cost horizon in hours (always-on billing)")
    ] = 24.0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    force: Budget = False,
) -> None:
    """One workload served four ways: the cost and completion time of each.

    A real-time endpoint always on, or created for the window; an asynchronous endpoint
    scaled to zero between windows; a Batch Transform job over the same records.
    """
    from simulator.analysis.hosting import compare_hosting

    with progress_bar("four hosting options", quiet=as_json):
        table = compare_hosting(scenario, seed, day=day * 3600.0, force=force)
    if as_json:
        rows = table.reset_index().to_dict("records")
        print(json.dumps([{k: None if _missing(v) else v for k, v in jsonable(row).items()}
                          for row in rows]))  # fmt: skip
        return
    view = Table(title=f"{scenario.name}: the same work, four ways (seed {seed}, {day:g} h)")
    view.add_column("option")
    for label, _ in COLUMNS:
        view.add_column(label, justify="right")
    for option, row in table.iterrows():
        view.add_row(str(option), *(_cell(row[key]) for _, key in COLUMNS))
    out.print(view)
    out.print("A Batch Transform job answers every record at once, when it completes.")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _cell(value) -> str:
    """Large figures as whole numbers with separators, small ones to 3 significant digits."""
    if _missing(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
