"""`deploysim runs`: list, show, export and delete what the run store keeps.

`run`, `compare` and `sweep` save their results there unless told `--no-save`
(`$DEPLOYSIM_STORE` picks the database; default ~/.deploysim/runs.sqlite). Store
problems (an unknown id, a record of the other kind) are worded by `common.Commands`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import Overwrite, app, fmt_cell, new_file, out
from simulator.limits import MAX_INTEGER
from simulator.store.files import RunStoreError
from simulator.store.runstore import RecordType, RunStore

runs_app = typer.Typer(help="What the run store keeps: list, show, export, delete.")
app.add_typer(runs_app, name="runs")

Kind = Annotated[RecordType, typer.Option(help="run or experiment")]
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
    """The newest records (without a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    table = _store().list(kind=kind, limit=limit)
    if as_json:
        print(table.to_json(orient="records"))
        return
    view = Table(title=f"run store {_store().path} (newest first)")
    columns = ["id", "kind", "created", "scenario", "strategy", "seed", "replications",
               "outcome", "label"]  # fmt: skip
    for column in columns:
        view.add_column("n" if column == "replications" else column)
    for record in table.to_dict(orient="records"):
        record["created"] = str(record["created"])[:16].replace("T", " ")
        view.add_row(*(fmt_cell(record.get(c)) for c in columns))
    out.print(view)


@runs_app.command()
def show(
    record_id: RecordId,
    kind: Kind = "run",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A stored run's summary, or a stored experiment's table."""
    from simulator.analysis.replication import flatten

    if kind == "run":
        result, _, seed = _store().load_run(record_id)
        data = result.summary
    else:
        table, meta = _store().load_experiment(record_id)
        data = {"meta": {k: v for k, v in meta.items() if k != "scenario_yaml"},
                "table": json.loads(table.to_json(orient="index"))}  # fmt: skip
    if as_json:
        print(json.dumps(data, default=str))
        return
    view = Table(title=f"{kind} {record_id}")
    view.add_column("field")
    view.add_column("value", justify="right")
    for key, value in flatten(data).items():
        view.add_row(key, fmt_cell(value))
    out.print(view)


@runs_app.command()
def export(
    record_id: RecordId,
    path: Annotated[Path, typer.Argument(callback=new_file, help="a .csv or .parquet file")],
    kind: Kind = "experiment",
    force: Overwrite = False,
) -> None:
    """Write a stored experiment's table (or a run's metrics) to CSV or Parquet."""
    written = _store().export(record_id, path, kind=kind, force=force)
    out.print(f"wrote {written}")


@runs_app.command()
def delete(
    record_id: RecordId,
    kind: Annotated[RecordType, typer.Option(help="run or experiment (required, to be sure)")],
) -> None:
    """Remove one record."""
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
