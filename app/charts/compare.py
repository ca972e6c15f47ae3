"""Strategies side by side, for the compare page: mean cost against mean blast radius.

Built from an experiment table (``compare``'s, one row per strategy), with the 95%
intervals as error bars, so a reader sees whether two strategies really differ.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from app.charts.common import layout, version_color


def _bar(mean: float, low: float, high: float) -> tuple[float | None, float | None]:
    """Error-bar lengths below and above, or None when the interval is unknown."""
    if any(pd.isna(x) for x in (mean, low, high)):
        return None, None
    return float(mean - low), float(high - mean)


def risk_cost(table: pd.DataFrame) -> go.Figure:
    """Mean cost against mean blast radius per strategy, with their confidence intervals."""
    strategies = [str(s) for s in table.index]
    fig = go.Figure()
    for name, (_, row) in zip(strategies, table.iterrows(), strict=True):
        x, y = row["cost_usd_mean"], row["blast_radius_mean"]
        x_lo, x_hi = _bar(x, row.get("cost_usd_ci_low"), row.get("cost_usd_ci_high"))
        y_lo, y_hi = _bar(y, row.get("blast_radius_ci_low"), row.get("blast_radius_ci_high"))
        color = version_color(name, strategies)
        fig.add_trace(
            go.Scatter(
                x=[float(x)],
                y=[float(y)],
                mode="markers+text",
                name=name,
                text=[name],
                textposition="top center",
                marker={"size": 12, "color": color},
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
                    "visible": y_lo is not None,
                },
                hovertemplate=(
                    f"{name}<br>cost $%{{x:.4g}}<br>blast radius %{{y:.4g}} requests<extra></extra>"
                ),
            )
        )
    fig = layout(fig, "Risk against cost per strategy", "cost (USD)", "blast radius (requests)")
    fig.update_layout(hovermode="closest")
    return fig
