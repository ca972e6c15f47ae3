"""What the learn page teaches: simulation against theory, and a canary's detection power.

``theory_check`` shows how close the simulator's estimates come to queueing theory, with
their intervals (optionally against a smooth theory curve, as Erlang C across
utilisation); ``detection_power`` shows how often a one-step canary catches a defect by
weight, ``power_by_defect`` against the size of the defect, and ``power_table`` writes
the same figures for a person (labels, percentages, intervals, "n/a").
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from app.charts.common import PALETTE, layout
from simulator import display


def theory_check(
    table: pd.DataFrame,
    *,
    x_title: str = "x",
    y_title: str = "value",
    theory_curve: pd.DataFrame | None = None,
) -> go.Figure:
    """Simulated estimates with their intervals against theory.

    Two inputs. ``validation.validate`` output mixes quantities (waits in seconds,
    probabilities), so it is drawn as simulated / theory per case: theory is the line at
    1 and a case agrees when its bar (ci_half_width / theory) reaches it; red points
    failed the validation (``ok``). A frame with x, theory, simulated, ci_low, ci_high is
    drawn in its own units (``x_title``/``y_title``): the theory curve and the points;
    ``theory_curve`` (columns x, theory), when given, draws theory as a smooth line
    through many more points than were simulated.
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
        curve = rows if theory_curve is None else theory_curve.sort_values("x")
        fig.add_trace(
            go.Scatter(
                x=curve["x"].to_numpy(),
                y=curve["theory"].to_numpy(dtype=float),
                mode="lines+markers" if theory_curve is None else "lines",
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
        fig.add_trace(
            go.Scatter(
                x=rows["weight"].to_numpy(dtype=float),
                y=rows["power"].to_numpy(dtype=float),
                mode="lines+markers",
                name=f"bake {float(bake):g} s",
                line={"color": PALETTE[i % len(PALETTE)]},
                error_y=_power_bars(rows),
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


def _power_bars(rows: pd.DataFrame) -> dict:
    power = rows["power"].astype(float)
    return {
        "type": "data",
        "array": (rows["power_ci_high"].astype(float) - power).to_numpy(),
        "arrayminus": (power - rows["power_ci_low"].astype(float)).to_numpy(),
    }


def power_by_defect(table: pd.DataFrame) -> go.Figure:
    """Detection power against the defect's extra error rate, a line per (weight, bake).

    ``table`` is :func:`detection_power`'s rows for several defects, with a ``defect``
    column (the release's extra error rate, 0 to 1); the bars are Wilson 95% intervals.
    """
    fig = go.Figure()
    cells = table[["weight", "bake"]].drop_duplicates().sort_values(["weight", "bake"])
    for i, (weight, bake) in enumerate(cells.itertuples(index=False)):
        rows = table[(table["weight"] == weight) & (table["bake"] == bake)].sort_values("defect")
        name = f"canary {display.decimal(weight, 2)}%, bake {display.seconds(bake)}"
        fig.add_trace(
            go.Scatter(
                x=100.0 * rows["defect"].to_numpy(dtype=float),
                y=rows["power"].to_numpy(dtype=float),
                mode="lines+markers",
                name=name,
                line={"color": PALETTE[i % len(PALETTE)]},
                error_y=_power_bars(rows),
                hovertext=[_power_hover(name, r) for r in rows.to_dict("records")],
                hoverinfo="text",
            )
        )
    fig = layout(
        fig,
        "How often a canary catches a defect, by its size",
        "defect: extra error rate of the release (%)",
        "detection power (%)",
        yaxis_range=[0, 1.05],
        yaxis_tickformat=".0%",
    )
    fig.update_layout(hovermode="closest")
    return fig


def _power_hover(name: str, r: dict) -> str:
    """The cell, the defect and how often it was caught, with the interval."""
    return (
        f"{name}<br>defect +{display.percent(r['defect'])} errors<br>caught "
        f"{int(r['detections'])} of {int(r['replications'])}: {_power_interval(r)}"
    )


def _power_interval(r: dict) -> str:
    return (
        f"{display.percent(r['power'])} ({display.percent(r['power_ci_low'])} to "
        f"{display.percent(r['power_ci_high'])})"
    )


POWER_HEADERS = (
    "defect (extra errors)", "canary weight", "bake", "caught",
    "detection power (95% interval)", "time to detect (mean ± 95%)",
    "requests hurt (mean ± 95%)",
)  # fmt: skip
"""The headers of `power_table`, in order."""


def power_table(table: pd.DataFrame) -> pd.DataFrame:
    """`detection_power`'s rows written for a person: labels, percentages, "n/a".

    A row per (defect, weight, bake); every cell is text, so nothing shows as None or
    in scientific notation. The defect column is left out when ``table`` has none.
    """
    rows = []
    for r in table.to_dict("records"):
        detect = _half(r, "time_to_detect_s")
        rows.append([
            display.percent(r["defect"]) if "defect" in r else "",
            f"{display.decimal(r['weight'], 2)}%",
            display.seconds(r["bake"]),
            f"{int(r['detections'])} of {int(r['replications'])}",
            _power_interval(r),
            display.interval(r["time_to_detect_s_mean"], detect, "seconds")
            if r["detections"] else display.NA,
            display.interval(r["blast_radius_mean"], _half(r, "blast_radius")),
        ])  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(POWER_HEADERS))
    return frame if "defect" in table else frame.drop(columns=[POWER_HEADERS[0]])


def _half(row: dict, key: str) -> float | None:
    low, high = row.get(f"{key}_ci_low"), row.get(f"{key}_ci_high")
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return None
    return (float(high) - float(low)) / 2
