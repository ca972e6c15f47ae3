"""`deploysim runs`: list, show, export and delete what the run store keeps.

`run`, `compare` and `sweep` save their results there unless told `--no-save`
(`$DEPLOYSIM_STORE` picks the database; default ~/.deploysim/runs.sqlite).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .cli import _fail, _fmt_cell, app, out
from .experiments import flatten

runs_app = typer.Typer(help="What the run store keeps: list, show, export, delete.")
app.add_typer(runs_app, name="runs")

Kind = Annotated[str, typer.Option(help="run or experiment")]


def _store():
    from .runstore import RunStore

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
    from .runstore import RunStoreError

    try:
        table = _store().list(kind=kind, limit=limit)
    except RunStoreError as exc:
        _fail(str(exc))
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
        view.add_row(*(_fmt_cell(record.get(c)) for c in columns))
    out.print(view)


@runs_app.command()
def show(
    record_id: Annotated[int, typer.Argument(help="id from `deploysim runs`")],
    kind: Kind = "run",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A stored run's summary, or a stored experiment's table."""
    from .runstore import RunStoreError

    try:
        if kind == "run":
            result, _, seed = _store().load_run(record_id)
            data = result.summary
        else:
            table, meta = _store().load_experiment(record_id)
            data = {"meta": {k: v for k, v in meta.items() if k != "scenario_yaml"},
                    "table": json.loads(table.to_json(orient="index"))}  # fmt: skip
    except RunStoreError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(data, default=str))
        return
    view = Table(title=f"{kind} {record_id}")
    view.add_column("field")
    view.add_column("value", justify="right")
    for key, value in flatten(data).items():
        view.add_row(key, _fmt_cell(value))
    out.print(view)


@runs_app.command()
def export(
    record_id: Annotated[int, typer.Argument(help="id from `deploysim runs`")],
    path: Annotated[Path, typer.Argument(help="a .csv or .parquet file")],
    kind: Kind = "experiment",
) -> None:
    """Write a stored experiment's table (or a run's metrics) to CSV or Parquet."""
    from .runstore import RunStoreError

    try:
        written = _store().export(record_id, path, kind=kind)
    except RunStoreError as exc:
        _fail(str(exc))
    out.print(f"wrote {written}")


@runs_app.command()
def delete(
    record_id: Annotated[int, typer.Argument(help="id from `deploysim runs`")],
    kind: Annotated[str, typer.Option(help="run or experiment (required, to be sure)")],
) -> None:
    """Remove one record."""
    from .runstore import RunStoreError

    try:
        _store().delete(record_id, kind)
    except RunStoreError as exc:
        _fail(str(exc))
    out.print(f"deleted {kind} {record_id}")


def save_run(result, scenario, seed: int, label: str | None) -> int | None:
    """Keep a run in the store; a store that cannot be written is a warning, not a failure."""
    from .runstore import RunStoreError

    try:
        return _store().save_run(result, scenario, seed, label=label)
    except RunStoreError as exc:
        typer.echo(f"warning: not saved: {exc}", err=True)
        return None


def save_experiment(table, **kw) -> int | None:
    """Keep an experiment's table in the store (a warning if it cannot be written)."""
    from .runstore import RunStoreError

    try:
        return _store().save_experiment(table, **kw)
    except RunStoreError as exc:
        typer.echo(f"warning: not saved: {exc}", err=True)
        return None
