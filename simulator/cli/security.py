"""`deploysim posture`: the security practices of the course notes, checked without a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import app, out


@app.command()
def posture(
    config: Annotated[
        Path, typer.Argument(help="scenario YAML with a security: section, or SageMaker JSON")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """The security findings of a scenario or SageMaker requests, practice by practice.

    Also what it costs an hour and how much its network path adds to a request.
    """
    from simulator.scenario import load_scenario, security

    if config.suffix == ".json":
        from simulator.importers import import_config

        spec = load_scenario(import_config(config)).security
    else:
        spec = load_scenario(config).security
        if spec is None:
            spec = security.SecuritySpec()
            out.print("no security: section: SageMaker's defaults are checked")
    found = security.findings(spec)
    cost, latency = security.posture_cost_per_hour(spec), security.extra_latency_s(spec)
    if as_json:
        rows = [f.__dict__ | {"field": f"security.{f.field}"} for f in found]
        print(json.dumps({"findings": rows, "cost_per_hour_usd": cost,
                          "extra_latency_ms": latency * 1e3}))  # fmt: skip
        return
    out.print(findings_table(found, f"{config.name}: security posture"))
    out.print(f"costs {cost:.4f} USD an hour (before per-GB charges); the network path adds "
              f"{latency * 1e3:.2g} ms a request")  # fmt: skip


def findings_table(found, title: str) -> Table:
    """Every practice: ok or a finding, its severity, the field to set and what to do."""
    table = Table(title=title)
    for column in ("practice", "status", "severity", "field", "what it means"):
        table.add_column(column)
    for f in found:
        status = "[green]ok[/]" if f.status == "ok" else "[red]finding[/]"
        table.add_row(f.practice, status, f.severity, f"security.{f.field}", f.message)
    return table
