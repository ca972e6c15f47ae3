"""The tables the commands print, every figure written by `simulator.display`.

A run's summary (`run`, `runs show`): the figures about the deployment first, then what
only its strategy reports (a shadow's or parallel run's comparison, an A/B test), and the
simulation's own diagnostics only when asked. An experiment's table (`compare`, `sweep`,
`runs show`): the headline figures down, strategies or sweep points across, each cell the
mean ± the half-width of its 95% interval, "n/a" where a figure applies to no replication.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from simulator import display

if TYPE_CHECKING:
    import pandas as pd

HEADLINE = [*display.RISK, "latency_ms.p99", "availability", "cost_usd", "update_cost_usd",
            "cost_per_million_usd"]  # fmt: skip
"""The figures an experiment's table shows, in order: risk, then performance and cost."""


def _two_columns(title: str | None, rows: list[tuple[str, str]], caption: str | None = None):
    view = Table(title=title, caption=caption)
    view.add_column("figure")
    view.add_column("value", justify="right")
    for header, value in rows:
        view.add_row(header, value)
    return view


def summary_tables(summary: dict, title: str, *, diagnostics: bool = False,
                   caption: str | None = None) -> list[Table]:  # fmt: skip
    """A run's summary as tables: its figures, its strategy's own, then any diagnostics."""
    rows = display.rows(summary)
    after = next((i + 1 for i, (header, _) in enumerate(rows) if header.startswith("cost (")),
                 len(rows))  # fmt: skip
    rows[after:after] = display.version_costs(summary)  # each version's share of the cost
    tables = [_two_columns(title, rows + display.strategy_rows(summary.get("details")), caption)]
    compared = display.comparison(summary.get("details"))
    if compared:
        view = Table(title="the release's mirrored copies beside production (same window)")
        for column in ("figure", "candidate", "production"):
            view.add_column(column, justify="left" if column == "figure" else "right")
        for row in compared:
            view.add_row(*row)
        tables.append(view)
    if diagnostics:
        rows = display.rows(summary, diagnostics=True)
        tables.append(_two_columns("simulation diagnostics", rows))
    return tables


def experiment_table(table: pd.DataFrame, title: str, *, first: str = "figure") -> Table:
    """Figures down, strategies (or sweep points) across: narrow enough for a terminal.

    A figure that applies only sometimes (time to roll back) keeps its row, "n/a" where
    no replication had it; any other figure the table lacks is left out.
    """
    view = Table(title=title)
    view.add_column(first)
    for row in table.index:
        view.add_column(str(row), justify="right")
    for key in HEADLINE:
        fig = display.figure(key, replicated=True)
        if f"{key}_mean" in table or fig.applies_when:
            view.add_row(fig.header, *(display.replicated(table.loc[row], key)
                                       for row in table.index))  # fmt: skip
    return view
