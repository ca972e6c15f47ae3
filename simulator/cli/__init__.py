"""The `deploysim` command line: run, validate and bench (compare and sweep: cli_experiments).

User mistakes (a bad option, a bad scenario, an unknown strategy, an unreachable
scheduler) print one clear message and exit with status 2; no stack traces. Bad options
are refused by the option itself before anything runs; the project's own errors are
turned into messages in one place, `Commands.invoke`. Ctrl-C and SIGTERM stop any
command with nothing half-saved (exit 130 and 143). No file is overwritten without --force.
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from simulator.analysis.backends import BackendError
from simulator.analysis.experiments import flatten
from simulator.cli.launcher import LaunchError, serve
from simulator.errors import UserError
from simulator.scenario.model import load_scenario
from simulator.store.runstore import MAX_INTEGER, quote_path

# Errors a user causes and can fix, each with a message that says what to change;
# anything else is a bug and keeps its traceback. (The launcher runs as a bare script
# too, so its error cannot derive from UserError.)
USER_ERRORS = (UserError, LaunchError)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as Ctrl-C is, so both stop a command the same way (pools kill workers)."""


def _terminate(signum: int, frame: Any) -> NoReturn:
    raise Terminated


@contextmanager
def _stop_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM raise in the command while it runs (the handlers before come back).

    Ctrl-C is set explicitly because a process started in the background may inherit it
    ignored, and `kill -INT` should still stop a command cleanly.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers (an app embedding the CLI)
        return
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        for sig, handler in before.items():
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(sig, handler)


class Commands(TyperGroup):
    """deploysim's command group: where user errors and stop signals become exit statuses."""

    def invoke(self, ctx: typer.Context) -> Any:
        """Run the command; a user error is `error: ...` (exit 2), a stop signal 130 or 143."""
        with _stop_signals():
            try:
                return super().invoke(ctx)
            except USER_ERRORS as exc:
                setting = f"--{exc.setting}: " if isinstance(exc, BackendError) else ""
                _fail(f"{setting}{exc}")
            except KeyboardInterrupt as exc:
                # Results are saved, in one transaction, only once complete, and files are
                # written through a temporary file: a stopped command leaves nothing behind.
                err.print("interrupted: nothing was saved", highlight=False)
                raise typer.Exit(143 if isinstance(exc, Terminated) else 130) from None


app = typer.Typer(cls=Commands, add_completion=False, no_args_is_help=True,
                  help=__doc__.splitlines()[0])  # fmt: skip
out = Console()
err = Console(stderr=True)

Seed = Annotated[
    int,
    typer.Option(min=0, max=MAX_INTEGER, help="random seed; the same seed gives the same result"),
]
Budget = Annotated[bool, typer.Option("--force", help="run beyond the request/memory budget")]
Overwrite = Annotated[
    bool,
    typer.Option("--force", is_eager=True, help="overwrite the file if it exists"),
]  # eager: the file's own check (`new_file`) reads it, whatever the order on the line


def new_file(ctx: typer.Context, param: typer.CallbackParam, path: Path | None) -> Path | None:
    """Check a file to write before any work is done: a file name, in a folder that exists.

    A file already there is refused unless --force, which is eager so as to be known here.
    """
    if path is None:
        return None
    name = quote_path(path)
    if path.is_dir():
        raise typer.BadParameter(f"{name} is a folder: give a file name")
    if not path.parent.is_dir():
        raise typer.BadParameter(f"{name}: the folder {quote_path(path.parent)} does not exist")
    if path.exists() and not ctx.params.get("force"):
        raise typer.BadParameter(f"{name} already exists; add --force to overwrite it")
    return path


@contextmanager
def progress_bar(label: str, quiet: bool = False):
    """A callback taking the fraction done; the bar appears only after a second of work."""
    started = time.perf_counter()
    state: dict[str, Any] = {}

    def update(fraction: float) -> None:
        if quiet:
            return
        if "bar" not in state:
            if time.perf_counter() - started < 1.0:
                return
            bar = Progress(TextColumn(label), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                           TimeRemainingColumn(), console=err, transient=True)  # fmt: skip
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(label, total=1.0)
        state["bar"].update(state["task"], completed=fraction)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()


def _fail(message: str) -> NoReturn:
    # escaped: a message quotes what the user wrote, and "[/]" there is not Rich markup;
    # soft-wrapped: the terminal folds a long line, so a path in it stays whole to copy
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _fmt_cell(value: Any) -> str:
    """A table cell from a frame: numpy scalars as numbers, NaN (nothing measured) as '-'."""
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return _fmt(value.item() if hasattr(value, "item") else value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item"):
        return value.item()
    return value


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    seed: Seed = 0,
    strategy: Annotated[str | None, typer.Option(help="override the scenario's strategy")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    events: Annotated[bool, typer.Option(help="also print the audit trail")] = False,
    save: Annotated[bool, typer.Option(help="keep the result in the run store")] = True,
    label: Annotated[str | None, typer.Option(help="a note kept with the saved run")] = None,
    force: Budget = False,
) -> None:
    """Simulate one scenario and print its summary."""
    from simulator.run import simulate

    sc = load_scenario(scenario)
    with progress_bar(f"simulating {sc.name}", quiet=as_json) as update:
        res = simulate(sc, seed=seed, strategy=strategy, progress=update, force=force)
    if save:
        from simulator.cli.runs import save_run

        res.summary["run_id"] = save_run(res, sc, seed, label)
    if as_json:
        print(json.dumps(_jsonable(res.summary)))
        return
    table = Table(title=f"{sc.name} ({res.summary['strategy']}, seed {seed})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in flatten(res.summary).items():
        table.add_row(key, _fmt(value))
    out.print(table)
    if events and not res.events.empty:
        trail = Table(title="audit trail")
        for column in ("time (s)", "event", "detail"):
            trail.add_column(column)
        for row in res.events.itertuples():
            trail.add_row(f"{row.time:,.1f}", row.kind, row.detail)
        out.print(trail)


@app.command()
def validate(
    replications: Annotated[int, typer.Option(min=3, help="replications per case")] = 8,
    seed: Seed = 0,
    scale: Annotated[float, typer.Option(min=0.05, help="run length multiplier")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Compare simulation with queueing theory; exit 1 if any case misses."""
    from simulator.validation.cases import CONFIDENCE
    from simulator.validation.cases import validate as run_validation

    with progress_bar("validating", quiet=as_json) as update:
        table = run_validation(replications, seed, scale, progress=update)
    if as_json:
        print(table.to_json(orient="records"))
    else:
        view = Table(title=f"simulation vs theory ({replications} replications, "
                     f"{CONFIDENCE:.1%} intervals)")  # fmt: skip
        for column in (
            "case",
            "quantity",
            "theory",
            "simulated",
            "+/-",
            "rel. error",
            "Little",
            "",
        ):
            view.add_column(column, justify="left" if column in ("case", "quantity") else "right")
        for r in table.itertuples():
            view.add_row(r.case, r.quantity, f"{r.theory:.4g}", f"{r.simulated:.4g}",
                         f"{r.ci_half_width:.2g}", f"{r.rel_error:.2%}", f"{r.littles_gap:.2%}",
                         "[green]ok[/]" if r.ok else "[red]MISS[/]")  # fmt: skip
        out.print(view)
    if not table["ok"].all():
        raise typer.Exit(1)


@app.command()
def bench(
    requests: Annotated[int, typer.Option(min=1, help="requests through the engine")] = 5_000_000,
    reference_requests: Annotated[
        int, typer.Option(min=1, help="requests through plain SimPy")
    ] = 200_000,
    memory_requests: Annotated[
        int, typer.Option(min=0, help="requests in the memory check; 0 skips it")
    ] = 0,
    replications: Annotated[
        int, typer.Option(min=0, help="replications timed on 1 and 2 processes; 0 skips it")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Requests/s of the engine against a per-request SimPy model, in one run."""
    from simulator.validation.bench import run_bench

    report = run_bench(requests, reference_requests, memory_requests, replications)
    if as_json:
        print(json.dumps(report))
        return
    table = Table(title=f"M/M/{report['workers']} at rho={report['rho']} (same workload)")
    table.add_column("model")
    table.add_column("requests", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("requests/s", justify="right")
    for name in ("engine", "simpy"):
        r = report[name]
        table.add_row(
            name, f"{r['requests']:,}", f"{r['seconds']:.2f}", f"{r['requests_per_s']:,.0f}"
        )
    out.print(table)
    out.print(f"speed-up: [bold]{report['ratio']:.1f}x[/] the per-request SimPy model")
    for check in report.get("memory", []):
        out.print(
            f"peak RSS simulating {check['requests']:,} requests: {check['peak_rss_mb']:,.0f} MB"
        )
    if "replications" in report:
        r = report["replications"]
        out.print(f"{r['replications']} replications of {r['scenario']}: {r['serial_s']:.1f} s "
                  f"on 1 process, {r['pool_s']:.1f} s on {r['workers']}: "
                  f"[bold]{r['speedup']:.2f}x[/]")  # fmt: skip


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
    """Turn a real release config into a scenario (YAML on stdout, or --out FILE)."""
    from simulator.importers import import_config
    from simulator.store.runstore import write_atomically

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
    """Start the Streamlit front end on localhost."""
    serve(port, open_browser=browser)


def main() -> None:
    """Entry point for `python -m simulator`."""
    app()


from simulator.cli import experiments, runs  # noqa: E402, F401  (register their commands)
