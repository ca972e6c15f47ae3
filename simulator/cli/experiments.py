"""The experiment commands: compare, sweep, and the questions (capacity, power, pareto).

Replications run on both cores by default, or on a Dask cluster with `--scheduler`;
a progress bar shows for anything longer than a second. Tables print the headline
figures with their 95% intervals as a person writes them (`cli.views`); `--json` prints
one JSON object with every column.
"""

from __future__ import annotations

import json
import reprlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from simulator.cli.common import Budget, Seed, app, fail, new_file, out, progress_bar

if TYPE_CHECKING:
    import pandas as pd

Scheduler = Annotated[
    str | None, typer.Option(help="Dask scheduler address (tcp://host:8786); default local cores")
]
Workers = Annotated[
    int | None, typer.Option(min=1, help="local processes (default: every core)")
]
Save = Annotated[bool, typer.Option(help="keep the table in the run store")]


def _strategy_list(value: str) -> str:
    """--strategies as a clean comma-separated list of known, distinct strategy types."""
    from simulator.scenario.strategies import STRATEGY_TYPES

    names = [s.strip() for s in value.split(",") if s.strip()]
    known = f"known: {', '.join(STRATEGY_TYPES)}"
    if not names:
        raise typer.BadParameter(f"give at least one strategy ({known})")
    unknown = [name for name in names if name not in STRATEGY_TYPES]
    if unknown:
        raise typer.BadParameter(f"unknown {', '.join(map(reprlib.repr, unknown[:3]))}; {known}")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise typer.BadParameter(f"{', '.join(twice)} given more than once")
    return ",".join(names)


def progress(update):
    """A progress callback of (done, total) for one that takes the fraction done."""
    return lambda done, total: update(done / total)


def _print(table: pd.DataFrame, title: str, first: str = "figure") -> None:
    from simulator.cli.views import experiment_table

    out.print(experiment_table(table, title, first=first))


def _json(table: pd.DataFrame) -> str:
    clean = table.astype(object).where(table.notna(), None)
    return json.dumps({str(k): v for k, v in clean.to_dict(orient="index").items()})


@app.command()
def compare(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    strategies: Annotated[
        str, typer.Option(callback=_strategy_list, help="comma-separated strategy types")
    ],
    replications: Annotated[int, typer.Option(min=1)] = 10,
    seed: Seed = 0,
    baseline: Annotated[
        str | None, typer.Option(help="also print paired differences against this strategy")
    ] = None,
    warmup: Annotated[
        Literal["mser5"] | None,
        typer.Option(help="'mser5': detect the warm-up from pilot runs first"),
    ] = None,
    scheduler: Scheduler = None,
    workers: Workers = None,
    save: Save = True,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    force: Budget = False,
) -> None:
    """Strategies side by side: risk, latency and cost, each with its 95% interval.

    Replication k of every strategy runs on the same random numbers, so the differences
    (--baseline) are paired.
    """
    from simulator.analysis.experiments import compare as run_compare
    from simulator.analysis.experiments import detect_warmup, differences
    from simulator.scenario import load_scenario

    names = strategies.split(",")
    if baseline is not None and baseline not in names:
        fail(f"--baseline {reprlib.repr(baseline)} is not one of the strategies: "
              f"{', '.join(names)}")  # fmt: skip
    sc = load_scenario(scenario)
    for name in names:
        load_scenario(sc.to_dict() | {"strategy": {"type": name}})
    if warmup == "mser5":
        detected = detect_warmup(sc, seed, force=force)
        if not as_json:
            out.print(f"MSER-5 warm-up: {detected:g} s (the scenario says {sc.warmup:g} s)")
        sc = load_scenario(sc.to_dict() | {"warmup": detected})
    with progress_bar(f"comparing {len(names)} strategies", quiet=as_json) as update:
        table = run_compare(sc, names, replications, seed, scheduler=scheduler,
                            workers=workers, progress=progress(update), force=force)  # fmt: skip
    diffs = differences(table.attrs["replications"], baseline) if baseline else None
    if save:
        from simulator.cli.runs import save_experiment

        save_experiment(table, kind="compare", scenario=sc, seed=seed,
                        replications=replications, params={"strategies": names})  # fmt: skip
    if as_json:
        payload = {"table": json.loads(_json(table))}
        if diffs is not None:
            payload["differences"] = json.loads(_json(diffs))
        print(json.dumps(payload))
        return
    _print(table, f"{sc.name}: {replications} replications, seed {seed} (mean ± 95% "
                  "interval)")  # fmt: skip
    if diffs is not None:
        paired = diffs.rename(columns=lambda c: c.replace("_diff_", "_"))
        _print(paired, f"{baseline} subtracted, replication by replication (common random "
                       "numbers)", first="difference")  # fmt: skip


@app.command()
def sweep(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    set_: Annotated[
        list[str],
        typer.Option("--set", help="FIELD=V1,V2,... (dotted path, e.g. fleet.instances=2,4)"),
    ],
    replications: Annotated[int, typer.Option(min=1)] = 5,
    seed: Seed = 0,
    scheduler: Scheduler = None,
    workers: Workers = None,
    csv: Annotated[
        Path | None, typer.Option(callback=new_file, help="also write every replication here")
    ] = None,
    save: Save = True,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    force: Annotated[
        bool,
        typer.Option(is_eager=True,  # known to --csv's check whatever the order (common.new_file)
                     help="run beyond the request/memory budget (and overwrite --csv)"),
    ] = False,  # fmt: skip
) -> None:
    """Risk, latency and cost at every combination of field values, with 95% intervals."""
    from simulator.analysis.sweep import aggregate, grid_points
    from simulator.analysis.sweep import sweep as run_sweep
    from simulator.store.files import write_atomically

    grid = parse_grid(set_)
    points = grid_points(grid)
    with progress_bar(f"sweeping {len(points)} points", quiet=as_json) as update:
        tidy = run_sweep(scenario, points, replications, seed, scheduler=scheduler,
                         workers=workers, progress=progress(update), force=force)  # fmt: skip
    if csv is not None:
        write_atomically(csv, lambda part: tidy.to_csv(part, index=False), force=force)
    table = aggregate(tidy, list(grid))
    if save:
        from simulator.cli.runs import save_experiment

        save_experiment(table.reset_index(), kind="sweep", scenario=scenario, seed=seed,
                        replications=replications, params={"grid": grid})  # fmt: skip
    table.index = [", ".join(map(str, key if isinstance(key, tuple) else (key,)))
                   for key in table.index]  # fmt: skip
    if as_json:
        print(_json(table))
        return
    fields = ", ".join(grid)
    _print(table, f"sweep over ({fields}): {replications} replications each (mean ± 95% "
                  "interval)", first=fields)  # fmt: skip


def _value(text: str) -> Any:
    """A command-line value as YAML reads it: 4 -> int, 0.5 -> float, 10m stays text."""
    from simulator.userfiles import load_yaml

    return load_yaml(text.strip(), "--set value")


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """--set FIELD=V1,V2 options as a grid of values."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        path, sep, values = item.partition("=")
        if not sep or not path.strip() or not values.strip():
            fail(f"--set {item!r}: expected FIELD=V1,V2,... such as fleet.instances=2,4")
        grid[path.strip()] = [_value(v) for v in values.split(",")]
    return grid
