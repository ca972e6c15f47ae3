"""One scenario at a time: run it, import one from a real release config, open the app.

`run` prints what a person asks of a release (its outcome, risk, latency and cost, each
written by `simulator.display`), a shadow's or parallel run's comparison beside it, and
the simulation's own checks (Little's law, speed) only with --diagnostics.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import (
    Budget,
    Overwrite,
    Seed,
    app,
    err,
    jsonable,
    new_file,
    out,
    progress_bar,
)
from simulator.cli.launcher import serve


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    seed: Seed = 0,
    strategy: Annotated[str | None, typer.Option(help="override the scenario's strategy")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    events: Annotated[bool, typer.Option(help="also print the audit trail")] = False,
    save: Annotated[bool, typer.Option(help="keep the result in the run store")] = True,
    label: Annotated[str | None, typer.Option(help="a note kept with the saved run")] = None,
    diagnostics: Annotated[
        bool, typer.Option(help="also print the simulation's checks: Little's law, queue wait, "
                           "speed")  # fmt: skip
    ] = False,
    force: Budget = False,
) -> None:
    """Simulate one release: its outcome, risk, time to detect and roll back, latency and cost."""
    from simulator.cli.views import summary_tables
    from simulator.run import simulate
    from simulator.scenario import load_scenario

    sc = load_scenario(scenario)
    with progress_bar(f"simulating {sc.name}", quiet=as_json) as update:
        res = simulate(sc, seed=seed, strategy=strategy, progress=update, force=force)
    if save:
        from simulator.cli.runs import save_run

        res.summary["run_id"] = save_run(res, sc, seed, label)
    if as_json:
        print(json.dumps(jsonable(res.summary)))
        return
    run_id = res.summary.get("run_id")
    saved = f"saved as run {run_id}: deploysim runs show {run_id}" if run_id else None
    title = f"{sc.name}: {res.summary['strategy']}, seed {seed}"
    for table in summary_tables(res.summary, title, diagnostics=diagnostics, caption=saved):
        out.print(table)
    if sc.security is not None:
        from simulator.cli.security import findings_table
        from simulator.scenario.security import findings

        out.print(findings_table(findings(sc.security), "security posture"))
    if events and not res.events.empty:
        trail = Table(title="audit trail")
        for column in ("time (s)", "event", "detail"):
            trail.add_column(column)
        for row in res.events.itertuples():
            trail.add_row(f"{row.time:,.1f}", row.kind, row.detail)
        out.print(trail)


@app.command(name="import")
def import_command(
    config: Annotated[Path, typer.Argument(help="Argo Rollout, Flagger Canary or SageMaker JSON")],
    base: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, readable=True,
                     help="scenario whose traffic, fleet and SLO to keep"),  # fmt: skip
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", callback=new_file, help="write the scenario here")
    ] = None,
    force: Overwrite = False,
) -> None:
    """Turn an Argo, Flagger or SageMaker release config into a scenario to run.

    The scenario is YAML on stdout, or in --out FILE.
    """
    from simulator.importers import import_config
    from simulator.scenario import load_scenario
    from simulator.store.files import write_atomically

    text = load_scenario(import_config(config, base)).to_yaml()
    if out_file is None:
        print(text, end="")
    else:
        write_atomically(out_file, lambda part: part.write_text(text), force=force)
        err.print(f"wrote {out_file}")


@app.command(name="app")
def app_command(
    port: Annotated[int, typer.Option(min=1, max=65535, help="port on localhost")] = 8501,
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="open a browser tab once it answers")
    ] = True,
) -> None:
    """Open the front end in a browser: compare strategies, watch one run, learn."""
    serve(port, open_browser=browser)
