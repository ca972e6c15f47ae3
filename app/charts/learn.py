"""What the learn page teaches: simulation against theory, and a canary's detection power.

``theory_check`` shows how close the simulator's estimates come to queueing theory, with
their intervals; ``detection_power`` shows how often a one-step canary catches a defect.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from app.charts.common import PALETTE, layout


def theory_check(table: pd.DataFrame, *, x_title: str = "x", y_title: str = "value") -> go.Figure:
    """Simulated estimates with their intervals against theory.

    Two inputs. ``validation.validate`` output mixes quantities (waits in seconds,
    probabilities), so it is drawn as simulated / theory per case: theory is the line at
    1 and a case agrees when its bar (ci_half_width / theory) reaches it; red points
    failed the validation (``ok``). A frame with x, theory, simulated, ci_low, ci_high is
    drawn in its own units (``x_title``/``y_title``): the theory curve and the points.
    """
    fig = go.Figure()
    if {"case", "theory", "simulated", "ci_half_width"} <= set(table.columns):
        theory = table["theory"].astype(float).where(table["theory"] != 0)
        cases = table["case"].astype(str).to_list()
        ok = table["ok"].astype(bool) if "ok" in table else pd.Series(True, index=table.index)
        fig.add_trace(
            go.Scatter(
                x=cases,
                y=[1.0] * len(cases),
                mode="lines+markers",
                name="theory",
                line={"color": "black", "dash": "dash"},
                marker={"symbol": "line-ew-open", "size": 12},
            )
        )
        hover = [
            f"{r['case']}<br>{r.get('quantity', '')}<br>theory {r['theory']:.4g}"
            f"<br>simulated {r['simulated']:.4g} ± {r['ci_half_width']:.2g}"
            for r in table.to_dict("records")
        ]
        fig.add_trace(
            go.Scatter(
                x=cases,
                y=(table["simulated"].astype(float) / theory).to_numpy(),
                mode="markers",
                name="simulated",
                error_y={
                    "type": "data",
                    "array": (table["ci_half_width"].astype(float) / theory).to_numpy(),
                },
                marker={"color": ["#2ca02c" if o else "#d62728" for o in ok], "size": 9},
                hovertext=hover,
                hoverinfo="text",
            )
        )
        fig = layout(
            fig,
            "Simulation against queueing theory",
            "validation case (queue and load)",
            "simulated / theory (ratio)",
        )
    elif {"x", "theory", "simulated", "ci_low", "ci_high"} <= set(table.columns):
        rows = table.sort_values("x")
        sim = rows["simulated"].astype(float)
        fig.add_trace(
            go.Scatter(
                x=rows["x"].to_numpy(),
                y=rows["theory"].to_numpy(dtype=float),
                mode="lines+markers",
                name="theory",
                line={"color": "black", "dash": "dash"},
            )
        )
        fig.add_trace(
            go.Scatter(
                x=rows["x"].to_numpy(),
                y=sim.to_numpy(),
                mode="markers",
                name="simulated",
                error_y={
                    "type": "data",
                    "array": (rows["ci_high"].astype(float) - sim).to_numpy(),
                    "arrayminus": (sim - rows["ci_low"].astype(float)).to_numpy(),
                },
                marker={"size": 9},
            )
        )
        fig = layout(fig, "Simulation against theory", x_title, y_title)
    else:
        raise ValueError(
            "theory_check needs validate() columns (case, theory, simulated, ci_half_width) "
            f"or x, theory, simulated, ci_low, ci_high; got {', '.join(map(str, table.columns))}"
        )
    fig.update_layout(hovermode="closest")
    return fig


def detection_power(table: pd.DataFrame) -> go.Figure:
    """How often a one-step canary catches the defect, against its weight, a line per bake."""
    bakes: Sequence[float] = sorted(pd.unique(table["bake"])) if len(table) else []
    fig = go.Figure()
    for i, bake in enumerate(bakes):
        rows = table[table["bake"] == bake].sort_values("weight")
        power = rows["power"].astype(float)
        fig.add_trace(
            go.Scatter(
                x=rows["weight"].to_numpy(dtype=float),
                y=power.to_numpy(),
                mode="lines+markers",
                name=f"bake {float(bake):g} s",
                line={"color": PALETTE[i % len(PALETTE)]},
                error_y={
                    "type": "data",
                    "array": (rows["power_ci_high"].astype(float) - power).to_numpy(),
                    "arrayminus": (power - rows["power_ci_low"].astype(float)).to_numpy(),
                },
            )
        )
    fig = layout(
        fig,
        "Detection power of a one-step canary",
        "canary weight (% of traffic)",
        "detection power (probability)",
        yaxis_range=[0, 1.05],
    )
    fig.update_layout(hovermode="closest")
    return fig
