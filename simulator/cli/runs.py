"""`deploysim runs`: list, show, export and delete what the run store keeps.

`run`, `compare` and `sweep` save their results there unless told `--no-save`
(`$DEPLOYSIM_STORE` picks the database; default ~/.deploysim/runs.sqlite). Store
problems (an unknown id, a record of the other kind) are worded by `common.Commands`.
`runs show` prints a run as `run` did and an experiment as `compare` or `sweep` did.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulator import display
from simulator.cli.common import Overwrite, app, fmt_cell, new_file, out
from simulator.limits import MAX_INTEGER
from simulator.store.files import RunStoreError
from simulator.store.runstore import RecordType, RunStore

runs_app = typer.Typer(help="Runs and comparisons saved earlier: list them, show one again, "
                       "export or delete it.")
app.add_typer(runs_app, name="runs")

Kind = Annotated[RecordType, typer.Option(help="run or experiment")]
EitherKind = Annotated[
    RecordType | None, typer.Option(help="run or experiment (default: whichever the id is)")
]
RecordId = Annotated[
    int, typer.Argument(min=1, max=MAX_INTEGER, help="id from `deploysim runs`")
]


def _store() -> RunStore:
    return RunStore()


@runs_app.callback(invoke_without_command=True)
def listing(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="run, experiment, compare, sweep, ...")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The newest saved runs and experiments (without a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    table = _store().list(kind=kind, limit=limit)
    if as_json:
        print(table.to_json(orient="records"))
        return
    view = Table(title=f"run store {_store().path} (newest first)")
    columns = {"id": "id", "kind": "kind", "created": "created (UTC)", "scenario": "scenario",
               "strategy": "strategies", "seed": "seed", "replications": "replications",
               "outcome": "outcome", "label": "label"}  # fmt: skip
    for header in columns.values():
        view.add_column(header, justify="right" if header in ("id", "seed", "replications")
                        else "left")  # fmt: skip
    for record in table.to_dict(orient="records"):
        record["created"] = str(record["created"])[:16].replace("T", " ")
        record["outcome"] = display.show(record["outcome"], "words")
        view.add_row(*(fmt_cell(record.get(c)) for c in columns))
    out.print(view)


@runs_app.command()
def show(
    record_id: RecordId,
    kind: EitherKind = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    diagnostics: Annotated[bool, typer.Option(help="a run's simulation checks too")] = False,
) -> None:
    """A saved run's figures as `run` printed them, or a saved comparison's or sweep's table."""
    from simulator.cli.views import experiment_table, summary_tables

    kind = kind or _store().type_of(record_id)
    if kind == "run":
        result, sc, seed = _store().load_run(record_id)
        if as_json:
            print(json.dumps(result.summary, default=str))
            return
        title = f"run {record_id}: {sc.name}, {result.summary.get('strategy')}, seed {seed}"
        for view in summary_tables(result.summary, title, diagnostics=diagnostics):
            out.print(view)
        if sc.security is not None:  # as `run` printed it
            from simulator.cli.security import findings_table
            from simulator.scenario.security import findings

            out.print(findings_table(findings(sc.security), "security posture"))
        return
    table, meta = _store().load_experiment(record_id)
    if as_json:
        data = {"meta": {k: v for k, v in meta.items() if k != "scenario_yaml"},
                "table": json.loads(table.to_json(orient="index"))}  # fmt: skip
        print(json.dumps(data, default=str))
        return
    grid = list(meta["params"].get("grid") or [])
    if grid and set(grid) <= set(table.columns):  # a sweep: its points across
        table = table.set_index(grid)
    table.index = [", ".join(map(str, key if isinstance(key, tuple) else (key,)))
                   for key in table.index]  # fmt: skip
    title = (f"{meta['kind']} {record_id}: {meta['scenario']}, {meta['replications']} "
             f"replications, seed {meta['seed']} (mean ± 95% interval)")  # fmt: skip
    out.print(experiment_table(table, title, first=", ".join(grid) or "figure"))


@runs_app.command()
def export(
    record_id: RecordId,
    path: Annotated[Path, typer.Argument(callback=new_file, help="a .csv or .parquet file")],
    kind: Kind = "experiment",
    force: Overwrite = False,
) -> None:
    """Write a saved experiment's table (or a run's metrics over time) to CSV or Parquet."""
    written = _store().export(record_id, path, kind=kind, force=force)
    out.print(f"wrote {written}")


@runs_app.command()
def delete(
    record_id: RecordId,
    kind: Annotated[RecordType, typer.Option(help="run or experiment (required, to be sure)")],
) -> None:
    """Remove one saved run or experiment."""
    _store().delete(record_id, kind)
    out.print(f"deleted {kind} {record_id}")


def save_run(result, scenario, seed: int, label: str | None) -> int | None:
    """Keep a run in the store; a store that cannot be written is a warning, not a failure."""
    try:
        return _store().save_run(result, scenario, seed, label=label)
    except RunStoreError as exc:
        typer.echo(f"warning: not saved: {exc}", err=True)
        return None


def save_experiment(table, **kw) -> int | None:
    """Keep an experiment's table in the store (a warning if it cannot be written)."""
    try:
        return _store().save_experiment(table, **kw)
    except RunStoreError as exc:
        typer.echo(f"warning: not saved: {exc}", err=True)
        return None
