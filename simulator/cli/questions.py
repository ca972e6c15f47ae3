"""The questions users ask, on the command line: capacity, power, pareto."""

from __future__ import annotations

import json
import reprlib
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import Budget, Seed, app, fail, fmt_cell, out, progress_bar
from simulator.cli.experiments import Scheduler, Workers, parse_grid, progress


@app.command()
def capacity(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    field: Annotated[str, typer.Option(help="the count to search")] = "fleet.instances",
    metric: Annotated[str, typer.Option(help="summary metric held to the limit")] = (
        "latency_ms.p99"
    ),
    limit: Annotated[float | None, typer.Option(help="default: slo.latency_p99 in ms")] = None,
    targets: Annotated[
        str | None, typer.Option(help="comma-separated catalog targets: find the cheapest")
    ] = None,
    replications: Annotated[int, typer.Option(min=2)] = 10,
    seed: Seed = 0,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999)] = 0.95,
    maximum: Annotated[int, typer.Option(min=1)] = 64,
    scheduler: Scheduler = None,
    workers: Workers = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    force: Budget = False,
) -> None:
    """How many instances (or which target) meet the SLO at least cost, with confidence."""
    from simulator.analysis.questions import capacity_search, cheapest_target
    from simulator.scenario import load_scenario

    kw = dict(replications=replications, seed=seed, confidence=confidence, maximum=maximum,
              metric=metric, limit=limit, field=field, scheduler=scheduler,
              workers=workers, force=force)  # fmt: skip
    sc = load_scenario(scenario)
    with progress_bar("searching", quiet=as_json) as update:
        kw["progress"] = progress(update)
        if targets:
            choice = cheapest_target(sc, [t.strip() for t in targets.split(",")], **kw)
            table, answer = choice.table, {"target": choice.target,
                                           "instances": choice.instances,
                                           "cost_per_hour": choice.cost_per_hour}  # fmt: skip
        else:
            result = capacity_search(sc, **kw)
            table, answer = result.table, {field: result.value, "limit": result.limit}
    if as_json:
        print(json.dumps({"answer": answer, "table": json.loads(table.to_json(orient="records"))}))
        return
    view = Table(title=f"{sc.name}: capacity search ({replications} replications, "
                       f"{confidence:.0%} one-sided)")  # fmt: skip
    for column in table.columns:
        view.add_column(str(column), justify="right")
    for row in table.itertuples(index=False):
        view.add_row(*(fmt_cell(v) for v in row))
    out.print(view)
    out.print("answer: " + ", ".join(f"{k} = {fmt_cell(v)}" for k, v in answer.items()))


@app.command()
def power(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file with a release defect")],
    weights: Annotated[str, typer.Option(help="canary weights in percent, e.g. 5,10,25")],
    bakes: Annotated[str, typer.Option(help="bake times, e.g. 1m,5m")] = "5m",
    replications: Annotated[int, typer.Option(min=1)] = 20,
    seed: Seed = 0,
    scheduler: Scheduler = None,
    workers: Workers = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    force: Budget = False,
) -> None:
    """How often a canary catches a bad release before full rollout, by weight and bake."""
    from simulator.analysis.questions import detection_power, false_rollback_rate
    from simulator.scenario.base import parse_duration

    try:
        w = [float(x) for x in weights.split(",")]
    except ValueError:
        fail(f"--weights {reprlib.repr(weights)}: expected percentages such as 5,10,25")
    try:
        b = [parse_duration(x.strip()) for x in bakes.split(",")]
    except ValueError as exc:
        fail(f"--bakes: {exc}")
    kw = dict(weights=w, bakes=b, replications=replications, seed=seed,
              scheduler=scheduler, workers=workers, force=force)  # fmt: skip
    with progress_bar("measuring detection power", quiet=as_json) as update:
        caught = detection_power(scenario, progress=progress(update), **kw)
        false = false_rollback_rate(scenario, progress=progress(update), **kw)
    if as_json:
        print(
            json.dumps(
                {
                    "power": json.loads(caught.to_json(orient="records")),
                    "false_rollback": json.loads(false.to_json(orient="records")),
                }
            )
        )
        return
    view = Table(title=f"canary detection power ({replications} replications per cell)")
    for column in ("weight %", "bake s", "power", "95% CI", "detect s", "blast radius",
                   "false rollbacks"):  # fmt: skip
        view.add_column(column, justify="right")
    for (_, r), (_, f) in zip(caught.iterrows(), false.iterrows(), strict=True):
        view.add_row(fmt_cell(r["weight"]), fmt_cell(r["bake"]), f"{r['power']:.2f}",
                     f"{r['power_ci_low']:.2f}-{r['power_ci_high']:.2f}",
                     fmt_cell(r["time_to_detect_s_mean"]), fmt_cell(r["blast_radius_mean"]),
                     f"{f['false_rollback_rate']:.2f}")  # fmt: skip
    out.print(view)


@app.command()
def pareto(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    set_: Annotated[
        list[str], typer.Option("--set", help="FIELD=V1,V2,... over strategy settings")
    ],
    replications: Annotated[int, typer.Option(min=1)] = 5,
    seed: Seed = 0,
    scheduler: Scheduler = None,
    workers: Workers = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    force: Budget = False,
) -> None:
    """The settings that trade risk, rollout time and cost best (the Pareto front)."""
    from simulator.analysis.questions import risk_cost_front
    from simulator.analysis.sweep import grid_points

    grid = parse_grid(set_)
    with progress_bar("sweeping", quiet=as_json) as update:
        table = risk_cost_front(scenario, grid_points(grid), replications, seed,
                                scheduler=scheduler, workers=workers,
                                progress=progress(update), force=force)  # fmt: skip
    columns = [*grid, "blast_radius_mean", "rollout_duration_s_mean", "cost_usd_mean", "pareto"]
    shown = table[[c for c in columns if c in table]]
    if as_json:
        print(shown.to_json(orient="records"))
        return
    view = Table(title=f"risk, duration and cost ({replications} replications per point)")
    for column in shown.columns:
        view.add_column(column.removesuffix("_mean"), justify="right")
    for row in shown.itertuples(index=False):
        view.add_row(*(fmt_cell(v) for v in row))
    out.print(view)
