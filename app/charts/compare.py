"""Strategies side by side, for the compare page: mean cost against mean blast radius.

Built from an experiment table (``compare``'s, one row per strategy), with the 95%
intervals as error bars, so a reader sees whether two strategies really differ.

Blast radii span orders of magnitude (a canary that catches a defect hurts tens of
requests, a big bang thousands), so that axis is logarithmic; costs differ by a few
percent, so that axis starts at $0 and the hover gives each strategy's difference from
the cheapest, rather than stretching a 5% difference across the whole chart.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from app.charts.common import layout, log_axis, version_color
from simulator import display


def _bar(mean: float, low: float, high: float) -> tuple[float | None, float | None]:
    """Error-bar lengths below and above, or None when the interval is unknown."""
    if any(pd.isna(x) for x in (mean, low, high)):
        return None, None
    return float(mean - low), float(high - mean)


def risk_cost(table: pd.DataFrame) -> go.Figure:
    """Mean cost against mean blast radius per strategy, with their confidence intervals.

    The blast-radius axis is logarithmic with 1-2-5 ticks whenever a strategy hurt any
    request; a strategy that hurt none is drawn as an open marker on a "0" tick at the
    bottom of that axis (a log axis has no zero). The cost axis starts at $0.
    """
    strategies = [str(s) for s in table.index]
    radii = table["blast_radius_mean"].astype(float)
    positive = radii[radii > 0]
    log = not positive.empty
    zero_at = 10.0 ** (math.floor(math.log10(positive.min())) - 1) if log else 0.0
    cheapest = float(table["cost_usd_mean"].astype(float).min()) if len(table) else 0.0
    fig = go.Figure()
    for name, (_, row) in zip(strategies, table.iterrows(), strict=True):
        x, y = row["cost_usd_mean"], row["blast_radius_mean"]
        x_lo, x_hi = _bar(x, row.get("cost_usd_ci_low"), row.get("cost_usd_ci_high"))
        y_lo, y_hi = _bar(y, row.get("blast_radius_ci_low"), row.get("blast_radius_ci_high"))
        hurt_none = log and float(y) <= 0
        fig.add_trace(
            go.Scatter(
                x=[float(x)],
                y=[zero_at if hurt_none else float(y)],
                mode="markers+text",
                name=name,
                text=[name],
                textposition="middle left",  # costs sit to the right of an axis from $0
                marker={
                    "size": 12,
                    "color": version_color(name, strategies),
                    "symbol": "circle-open" if hurt_none else "circle",
                },
                error_x={
                    "type": "data",
                    "array": [x_hi],
                    "arrayminus": [x_lo],
                    "visible": x_lo is not None,
                },
                error_y={
                    "type": "data",
                    "array": [y_hi],
                    "arrayminus": [y_lo],
                    "visible": y_lo is not None and not hurt_none,
                },
                hovertext=[_hover(name, row, cheapest)],
                hoverinfo="text",
            )
        )
    y_title = "blast radius (requests hurt, log scale)" if log else "blast radius (requests hurt)"
    fig = layout(fig, "Risk against cost per strategy", "cost of the run (USD, from $0)", y_title)
    costs = [*table["cost_usd_mean"], *table.get("cost_usd_ci_high", [])]
    right = max([float(c) for c in costs if not pd.isna(c)] or [1.0])
    fig.update_xaxes(range=[0.0, 1.12 * right], tickprefix="$", rangemode="tozero")
    if log:
        axis = log_axis([*positive, *table.get("blast_radius_ci_high", positive)])
        if (radii <= 0).any():
            low = math.log10(zero_at)
            axis["range"] = [low - 0.1, axis["range"][1]]
            axis["tickvals"] = [zero_at, *axis["tickvals"]]
            axis["ticktext"] = ["0", *axis["ticktext"]]
        fig.update_yaxes(**axis)
    else:
        fig.update_yaxes(rangemode="tozero")
    fig.update_layout(hovermode="closest")
    return fig


def _hover(name: str, row: pd.Series, cheapest: float) -> str:
    """The strategy's cost (and its difference from the cheapest) and blast radius."""
    cost = float(row["cost_usd_mean"])
    extra = cost - cheapest
    lines = [
        f"<b>{name}</b>",
        f"cost ${display.interval(cost, _half(row, 'cost_usd'), 'usd')}",
        "the cheapest" if extra <= 0 else f"+${display.decimal(extra, 2, least=2)}"
        + (f" (+{display.percent(extra / cheapest)})" if cheapest > 0 else "")
        + " against the cheapest",
        "blast radius " + display.interval(row["blast_radius_mean"], _half(row, "blast_radius"))
        + " requests",
    ]  # fmt: skip
    return "<br>".join(lines)


def _half(row: pd.Series, key: str) -> float | None:
    low, high = row.get(f"{key}_ci_low"), row.get(f"{key}_ci_high")
    return None if low is None or high is None or pd.isna(low) else float(high - low) / 2
