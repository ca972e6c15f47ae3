"""What every `deploysim` command shares: the command group, its consoles and options.

User mistakes (a bad option, a bad scenario, an unknown strategy, an unreachable
scheduler) print one clear message and exit with status 2; no stack traces. Bad options
are refused by the option itself before anything runs; the project's own errors are
turned into messages in one place, `Commands.invoke`. Ctrl-C and SIGTERM stop any
command with nothing half-saved (exit 130 and 143). No file is overwritten without --force.
"""

from __future__ import annotations

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
from typer.core import TyperGroup

from simulator.analysis.backends import BackendError
from simulator.cli.launcher import LaunchError
from simulator.display import decimal
from simulator.errors import UserError
from simulator.limits import MAX_INTEGER
from simulator.store.files import quote_path

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
                fail(f"{setting}{exc}")
            except KeyboardInterrupt as exc:
                # Results are saved, in one transaction, only once complete, and files are
                # written through a temporary file: a stopped command leaves nothing behind.
                err.print("interrupted: nothing was saved", highlight=False)
                raise typer.Exit(143 if isinstance(exc, Terminated) else 130) from None


HELP = (
    "Try a model release before you ship it: simulate its traffic, instances and failures, "
    "and see what each way of releasing it (big bang, canary, blue/green, shadow, ...) "
    "would cost, how many requests it would hurt and how fast a bad release is caught and "
    "rolled back. Start with `deploysim run SCENARIO` or `deploysim app`."
)
app = typer.Typer(cls=Commands, add_completion=False, no_args_is_help=True, help=HELP)
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


def fail(message: str) -> NoReturn:
    """Print a user's mistake as `error: ...` and exit with status 2."""
    # escaped: a message quotes what the user wrote, and "[/]" there is not Rich markup;
    # soft-wrapped: the terminal folds a long line, so a path in it stays whole to copy
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def fmt(value: Any) -> str:
    """A value for a table: thousands separated, 4 significant digits, no e-notation, None as -."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    if isinstance(value, float):
        return decimal(value, 4)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def fmt_cell(value: Any) -> str:
    """A table cell from a frame: numpy scalars as numbers, NaN (nothing measured) as '-'."""
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return fmt(value.item() if hasattr(value, "item") else value)


def jsonable(value: Any) -> Any:
    """A summary with numpy scalars as plain numbers, for json.dumps."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if hasattr(value, "item"):
        return value.item()
    return value


