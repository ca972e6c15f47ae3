"""Evidence on demand: `validate` (simulation against queueing theory) and `bench` (speed)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import Seed, app, out, progress_bar


@app.command()
def validate(
    replications: Annotated[int, typer.Option(min=3, help="replications per case")] = 8,
    seed: Seed = 0,
    scale: Annotated[float, typer.Option(min=0.05, help="run length multiplier")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check the simulator against queueing theory, case by case; exit 1 if any misses."""
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
    requests: Annotated[
        int, typer.Option(min=1, help="requests through the engine and the bare loop")
    ] = 20_000_000,
    reference_requests: Annotated[
        int, typer.Option(min=1, help="requests through plain SimPy (and Ciw)")
    ] = 200_000,
    memory_requests: Annotated[
        int, typer.Option(min=0, help="requests in the memory check; 0 skips it")
    ] = 0,
    replications: Annotated[
        int, typer.Option(min=0, help="replications timed on 1 and 2 processes; 0 skips it")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """How fast the simulator runs: requests per second against SimPy, Ciw and a bare loop."""
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
    rows = [(name, report[name]) for name in ("engine", "simpy", "ciw", "bare") if report[name]]
    rows += [(r["scenario"], r) for r in report["presets"]]
    for name, r in rows:
        table.add_row(
            name, f"{r['requests']:,}", f"{r['seconds']:.2f}", f"{r['requests_per_s']:,.0f}"
        )
    out.print(table)
    if report["ciw"] is None:
        out.print("Ciw is not installed: pip install ciw to compare with it")
    out.print(f"speed-up: [bold]{report['ratio']:.1f}x[/] the per-request SimPy model")
    share = report["share_of_bare"]
    out.print(f"the engine runs at [bold]{share:.0%}[/] of the bare compiled loop (numba, no "
              "control plane, no recording): the practical limit in Python")  # fmt: skip
    for check in report.get("memory", []):
        out.print(
            f"peak RSS simulating {check['requests']:,} requests: {check['peak_rss_mb']:,.0f} MB"
        )
    for check in report.get("memory_by_duration", []):
        span = f"{check['days']} day" + ("s" if check["days"] > 1 else "")
        out.print(f"peak RSS simulating {check['requests']:,} requests over {span}: "
                  f"{check['peak_rss_mb']:,.0f} MB")  # fmt: skip
    if "memory_week" in report:
        week = report["memory_week"]
        out.print(f"peak RSS simulating a {week['scenario']}: {week['peak_rss_mb']:,.0f} MB")
    p = report["process"]
    out.print(f"release process ({p['scenario']}): {p['days']:g} simulated days, "
              f"{p['releases']} releases in {p['seconds']:.1f} s, peak RSS "
              f"{p['peak_rss_mb']:,.0f} MB")  # fmt: skip
    for h in report["hosting"]:
        out.print(f"{h['scenario']}: {h['requests_per_s']:,.0f} requests/s over {h['runs']} "
                  f"runs, peak RSS {h['peak_rss_mb']:,.0f} MB")  # fmt: skip
    for label, seconds in report["startup_s"].items():
        out.print(f"{label}: {seconds:.2f} s (best of 3, fresh processes)")
    if "replications" in report:
        r = report["replications"]
        out.print(f"{r['replications']} replications of {r['scenario']}: {r['serial_s']:.1f} s "
                  f"on 1 process, {r['pool_s']:.1f} s on {r['workers']}: "
                  f"[bold]{r['speedup']:.2f}x[/]")  # fmt: skip
