"""One window of work hosted four ways, and one hosting kind over time, for the hosting page.

The table turns `compare_hosting`'s rows into cells a reader takes in at a glance: costs
in dollars, times in minutes, counts with separators, never in scientific notation, and
"n/a" where a figure does not apply (a Batch Transform job answers every record at once,
when it ends: it has no request latency). The bar charts set the options side by side on
cost (on a log axis once the dearest costs more than ten times the cheapest) and on
completion time. Over time, an asynchronous endpoint is drawn as its backlog and
instances per period over its p99 latency, and a transform job as the records it has
completed against time, its end marked. Minutes are counted from the window's start;
a period's figures are stamped at its start, as CloudWatch stamps a datapoint (the run
page's convention), and a cumulative count reaches each period's total at its end.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.charts.common import PALETTE, layout

MINUTE = 60.0
NA = "n/a"
LOG_SPAN = 10.0
"""The cost axis turns logarithmic when the dearest option costs more than this many times
the cheapest (a linear axis would flatten the cheap ones to nothing)."""

KIND_COLORS = {"realtime": PALETTE[0], "async": PALETTE[2], "batch_transform": PALETTE[1]}
"""One colour per hosting kind: both real-time options share theirs."""


# ---------------------------------------------------------------- cells


def money(x: float | None) -> str:
    """Dollars: $2.76, $1,234.50; under a dollar to 3 significant digits ($0.0496)."""
    if x is None or pd.isna(x):
        return NA
    if abs(x) >= 1 or x == 0:
        return f"${x:,.2f}"
    return "$" + np.format_float_positional(x, precision=3, fractional=False, trim="-")


def figure(x: float | None, digits: int = 3) -> str:
    """A number without scientific notation: 186,512 or 7.34 or 0.0023; n/a when absent."""
    if x is None or pd.isna(x):
        return NA
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) < 1e-12:
        return "0"
    return np.format_float_positional(x, precision=digits, fractional=False, trim="-")


def duration_ms(ms: float | None) -> str:
    """A latency in the unit that reads best: 2.81 ms, 4.2 s, 3.1 min; n/a when absent."""
    if ms is None or pd.isna(ms):
        return NA
    if ms < 1e3:
        return f"{figure(ms)} ms"
    return f"{figure(ms / 1e3)} s" if ms < 120e3 else f"{figure(ms / 60e3)} min"


def hosting_table(table: pd.DataFrame, hours: float) -> pd.DataFrame:
    """`compare_hosting`'s rows as cells with their units in the headers, in its order."""
    out = pd.DataFrame(
        {
            "hosting kind": table["hosting"].astype(str).str.replace("_", " "),
            f"cost per {hours:g} h (USD)": [money(x) for x in table["cost_per_day_usd"]],
            "completion (min)": [figure(x / MINUTE) for x in table["completion_s"]],
            "requests": [figure(x) for x in table["requests"]],
            "failed": [figure(x) for x in table["failed"]],
            "p99 latency (ms)": [figure(x) for x in table["latency_p99_ms"]],
            "instance-hours (h)": [figure(x) for x in table["instance_hours"]],
        },
        index=table.index,
    )
    out.index.name = "option"
    return out


# ---------------------------------------------------------------- the four options side by side


def spans_decade(values: pd.Series | np.ndarray) -> bool:
    """Whether positive values span more than `LOG_SPAN` times (a zero: never, no log axis)."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if not len(data) or data.min() <= 0:
        return False
    return bool(data.max() / data.min() > LOG_SPAN)


def _colors(table: pd.DataFrame) -> list[str]:
    return [KIND_COLORS.get(str(k), PALETTE[3]) for k in table["hosting"]]


def cost_bars(table: pd.DataFrame, hours: float) -> go.Figure:
    """Cost per horizon by option, labelled in dollars; a log axis when it spans > 10x."""
    costs = table["cost_per_day_usd"].astype(float)
    log = spans_decade(costs)
    fig = go.Figure(
        go.Bar(
            x=list(table.index),
            y=costs.to_numpy(),
            marker_color=_colors(table),
            text=[money(c) for c in costs],
            textposition="outside",
            cliponaxis=False,
            name=f"cost per {hours:g} h",
            hovertemplate="%{x}<br>%{text}<extra></extra>",
        )
    )
    scale = ", log scale" if log else ""
    fig = layout(fig, f"Cost per {hours:g} h by hosting option", "hosting option",
                 f"cost per {hours:g} h (USD{scale})")  # fmt: skip
    fig.update_layout(showlegend=False, hovermode="closest")
    fig.update_yaxes(type="log" if log else "linear", tickprefix="$")
    if log:  # powers of ten only, with room above the tallest bar for its label (log10 units)
        top, bottom = costs.max(), costs[costs > 0].min()
        fig.update_yaxes(range=[math.log10(bottom) - 0.5, math.log10(top) + 0.4], dtick=1,
                         tickformat="~g")  # fmt: skip
    return fig


def completion_bars(table: pd.DataFrame, window_s: float | None = None) -> go.Figure:
    """Minutes from the window's start to the last prediction, by option.

    A dashed line marks the window's end (`window_s`): a real-time endpoint answers as
    requests come, so it finishes with the window; a job may finish well before it.
    """
    minutes = table["completion_s"].astype(float) / MINUTE
    fig = go.Figure(
        go.Bar(
            x=list(table.index),
            y=minutes.to_numpy(),
            marker_color=_colors(table),
            text=[f"{figure(m)} min" for m in minutes],
            textposition="outside",
            cliponaxis=False,
            name="completion",
            hovertemplate="%{x}<br>%{text}<extra></extra>",
        )
    )
    if window_s:
        end = window_s / MINUTE
        fig.add_hline(y=end, line_dash="dash", line_color="#555")
        fig.add_annotation(x=1, xref="paper", xanchor="right", y=1, yref="paper",
                           yanchor="bottom", showarrow=False,
                           text=f"dashed: the window ends ({figure(end)} min)")  # fmt: skip
    fig = layout(fig, "Time to the last prediction", "hosting option",
                 "completion (minutes from the window's start)")  # fmt: skip
    fig.update_layout(showlegend=False, hovermode="closest")
    top = max(float(minutes.max()), (window_s or 0) / MINUTE)
    fig.update_yaxes(range=[0, 1.15 * top if top > 0 else 1])
    return fig


# ---------------------------------------------------------------- one kind over time


def async_over_time(metrics: pd.DataFrame) -> go.Figure:
    """An asynchronous endpoint per period: backlog and instances above, p99 latency below.

    The backlog (ApproximateBacklogSize, requests queued) and the instances in service
    share the top panel on two y axes; the bottom panel is the p99 latency of the
    requests completed in each period (log axis: milliseconds awake, minutes after a wake
    from zero), with gaps where none completed.
    """
    rows = metrics.sort_values("time_s")
    t = rows["time_s"].to_numpy(dtype=float) / MINUTE
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.55, 0.45],
                        specs=[[{"secondary_y": True}], [{"secondary_y": False}]])  # fmt: skip
    fig.add_trace(go.Scatter(
        x=t, y=rows["ApproximateBacklogSize"].to_numpy(dtype=float), mode="lines",
        name="backlog (requests queued)", fill="tozeroy", line={"color": PALETTE[1]},
    ), row=1, col=1, secondary_y=False)  # fmt: skip
    fig.add_trace(go.Scatter(
        x=t, y=rows["instances"].to_numpy(dtype=float), mode="lines", name="instances",
        line={"color": PALETTE[0], "shape": "hv", "width": 3},
    ), row=1, col=1, secondary_y=True)  # fmt: skip
    fig.add_trace(go.Scatter(
        x=t, y=rows["latency_p99_ms"].to_numpy(dtype=float), mode="lines+markers",
        name="p99 latency", line={"color": PALETTE[3]}, marker={"size": 4},
        connectgaps=False,
    ), row=2, col=1)  # fmt: skip
    fig = layout(fig, "Asynchronous endpoint: backlog, instances and latency per period",
                 "", "backlog (requests)", height=560)  # fmt: skip
    fig.update_yaxes(title_text="backlog (requests)", row=1, col=1, secondary_y=False,
                     rangemode="tozero")  # fmt: skip
    top = max(1.0, float(rows["instances"].max()) if len(rows) else 1.0)
    fig.update_yaxes(title_text="instances", row=1, col=1, secondary_y=True,
                     range=[0, top + 0.5], dtick=1, showgrid=False)  # fmt: skip
    fig.update_yaxes(title_text="p99 latency (ms, log scale)", type="log", row=2, col=1)
    fig.update_xaxes(title_text="time (minutes from the window's start)", row=2, col=1)
    return fig


def cumulative_records(metrics: pd.DataFrame, completion_s: float | None = None) -> pd.DataFrame:
    """Records completed so far, as (`time_s`, `records`) points from 0 at the start.

    Each period's total is reached at its end, the last period's end clipped to the job's
    end (`completion_s`) when given.
    """
    per_period = metrics.groupby("time_s")["records_completed"].sum().sort_index()
    starts = per_period.index.to_numpy(dtype=float)
    if not len(starts):
        return pd.DataFrame({"time_s": [0.0], "records": [0]})
    step = float(np.diff(starts).min()) if len(starts) > 1 else MINUTE
    ends = np.append(starts[1:], starts[-1] + step)
    if completion_s is not None:
        ends = np.minimum(ends, max(completion_s, starts[0]))
    return pd.DataFrame({"time_s": np.append(starts[0], ends),
                         "records": np.append(0, per_period.cumsum().to_numpy())})  # fmt: skip


def batch_over_time(
    metrics: pd.DataFrame, completion_s: float | None = None, start_up_s: float | None = None
) -> go.Figure:
    """A transform job: records completed so far against time, its end marked.

    The shaded start marks the job's start-up (instances launched, container pulled, no
    record scored yet); the dashed line the job's end, when every answer is written.
    """
    done = cumulative_records(metrics, completion_s)
    fig = go.Figure(go.Scatter(
        x=done["time_s"].to_numpy() / MINUTE, y=done["records"].to_numpy(), mode="lines+markers",
        name="records completed (cumulative)", line={"color": PALETTE[1]}, marker={"size": 5},
        hovertemplate="%{y:,.0f} records by minute %{x:.1f}<extra></extra>",
    ))  # fmt: skip
    if start_up_s:
        fig.add_vrect(x0=0, x1=start_up_s / MINUTE, fillcolor="#7f7f7f", opacity=0.15,
                      line_width=0, layer="below", annotation_text="start-up",
                      annotation_position="top left")  # fmt: skip
    if completion_s is not None:
        minutes = completion_s / MINUTE
        fig.add_vline(x=minutes, line_dash="dash", line_color="#2ca02c")
        fig.add_annotation(x=minutes, y=1.02, yref="paper", showarrow=False, yanchor="bottom",
                           text=f"job complete ({figure(minutes)} min)")  # fmt: skip
    fig = layout(fig, "Batch Transform job: records completed",
                 "time (minutes from the job's start)",
                 "records completed (cumulative)")  # fmt: skip
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(rangemode="tozero", tickformat=",")
    return fig
