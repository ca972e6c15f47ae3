"""The audit trail's key events as markers on a run's time charts.

Rollout steps, weight changes, rollbacks, failures and alarms entering ALARM are drawn
as thin vertical lines with a marker on top, one trace per event kind: each kind has one
style (colour, dash, symbol) and one legend entry that names it, so twenty instance
failures are one "instance failure (20)" entry a reader can switch off, and hovering a
marker says what happened and when. The lines live on an axis of their own, hidden,
from 0 to 1 over the chart's height, so they never change the data's axes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from simulator import display

EVENT_AXIS = "y9"
"""The hidden axis (0 to 1, over the plot's height) the event lines are drawn on."""

MARKED_EVENTS: dict[str, tuple[str, str, str, str]] = {
    # kind: (legend name, colour, dash, marker symbol)
    "UpdateEndpoint": ("rollout starts", "#7f7f7f", "dot", "triangle-right"),
    "UpdateEndpointWeightsAndCapacities": ("traffic weights set", "#7f7f7f", "dot", "circle"),
    "AlarmStateChange": ("alarm enters ALARM", "#ff7f0e", "dash", "triangle-down"),
    "RollbackTriggered": ("rollback triggered", "#d62728", "solid", "x"),
    "RollbackComplete": ("rollback complete", "#ff7f0e", "solid", "square"),
    "UpdateComplete": ("update complete", "#2ca02c", "solid", "star"),
    "ZoneOutage": ("zone outage", "#8c564b", "dashdot", "hexagon"),
    "InstanceFailure": ("instance failure", "#9467bd", "dot", "diamond"),
}
"""Every kind marked on the time charts, with its one style."""


def event_markers(events: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The audit events worth a vertical line on the time charts, as {time, kind, label}.

    Rollout steps, weight changes, rollbacks, failures and alarms entering ALARM (not
    leaving it: the return to OK is visible in the metrics themselves), as the event's
    ``state`` says. A run stored before events had fields has no ``state``: none of its
    alarm changes is marked.
    """
    if events is None or len(events) == 0:
        return []
    out = []
    states = events["state"] if "state" in events else pd.Series(None, index=events.index)
    rows = zip(events["time"], events["kind"], events["detail"], states, strict=True)
    for time, kind, detail, state in rows:
        if kind not in MARKED_EVENTS:
            continue
        detail = "" if pd.isna(detail) else str(detail)
        if kind == "AlarmStateChange" and state != "ALARM":
            continue
        label = f"{kind}: {detail}" if detail else str(kind)
        out.append({"time": float(time), "kind": str(kind), "label": label})
    return out


def add_markers(fig: go.Figure, events: pd.DataFrame | None) -> None:
    """One trace per marked kind: a line per event, the marker on top naming it on hover."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for marker in event_markers(events):
        by_kind.setdefault(marker["kind"], []).append(marker)
    for kind, group in by_kind.items():
        name, color, dash, symbol = MARKED_EVENTS[kind]
        xs, ys, sizes, hover = [], [], [], []
        for m in group:
            text = f"<b>{name}</b> at {display.seconds(m['time'])}<br>{m['label']}"
            xs += [m["time"], m["time"], None]
            ys += [0.0, 1.0, None]
            sizes += [0, 10, 0]
            hover += [text, text, ""]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                yaxis=EVENT_AXIS,
                mode="lines+markers",
                name=f"{name} ({len(group)})" if len(group) > 1 else name,
                legendgroup="events",
                line={"color": color, "dash": dash, "width": 1},
                marker={"color": color, "symbol": symbol, "size": sizes},
                hovertext=hover,
                hoverinfo="text",
                cliponaxis=False,
                meta={"event_kind": kind},
            )
        )
    if by_kind:
        axis = {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
        fig.update_layout({f"yaxis{EVENT_AXIS[1:]}": axis})
