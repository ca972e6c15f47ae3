"""A release strategy drawn from one simulated run, for the Learn page.

Two small panels over the same time axis: above, the release's share of the requests
users made (from the metrics, per period) with the weights the audit trail set
(``UpdateEndpointWeightsAndCapacities``) and, for a shadow or parallel run, the share of
requests mirrored to the release's copy; below, the instances of each fleet, counted
from the audit trail (``LaunchInstances`` adds, ``TerminateInstances`` removes,
``AdoptShadow`` moves a copy's instances to the release, ``ScaleOut``/``ScaleIn`` set
the count), starting from the fleet each label had in the first period. Time is in
minutes of the run.
"""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.charts.common import version_color
from app.charts.run import shares

_ADDS = {"LaunchInstances": 1, "TerminateInstances": -1}
_SETS = {"ScaleOut", "ScaleIn"}


def weight_shares(events: pd.DataFrame, release: str) -> pd.DataFrame:
    """The release's weight over all weights, at each ``UpdateEndpointWeightsAndCapacities``.

    Columns: time (s), share (0 to 1) and the event's detail. Weights are relative, as
    SageMaker's variant weights are: ``v2=1, v1=1`` is half each.
    """
    rows = []
    updates = events[events["kind"] == "UpdateEndpointWeightsAndCapacities"]
    for time, weights, detail in zip(
        updates["time"], updates["weights"], updates["detail"], strict=True
    ):
        parsed = {k: float(v) for k, v in json.loads(weights).items()}
        total = sum(parsed.values())
        share = parsed.get(release, 0.0) / total if total > 0 else 0.0
        rows.append({"time": float(time), "share": share, "detail": str(detail)})
    return pd.DataFrame(rows, columns=["time", "share", "detail"])


def fleet_sizes(events: pd.DataFrame, metrics: pd.DataFrame, release: str) -> pd.DataFrame:
    """Instances of each label over time, from the audit trail: a row per change.

    Columns: time (s), version, instances. Each label starts with the instances it had
    in the first period; the last row of each label is at the end of the metrics, so
    its step reaches the end of the run.
    """
    if not len(metrics):
        return pd.DataFrame(columns=["time", "version", "instances"])
    first = metrics[metrics["time_s"] == metrics["time_s"].min()]
    count = {str(v): round(float(n)) for v, n in zip(first["version"], first["instances"],
                                                     strict=True)}  # fmt: skip
    for v in pd.unique(metrics["version"]):
        count.setdefault(str(v), 0)
    rows = [{"time": 0.0, "version": v, "instances": n} for v, n in count.items()]
    for time, kind, variant, n in zip(
        events["time"], events["kind"], events["variant"], events["count"], strict=True
    ):
        if kind not in _ADDS and kind not in _SETS and kind != "AdoptShadow":
            continue
        variant, n = str(variant), int(n)
        if kind in _ADDS:
            count[variant] = count.get(variant, 0) + _ADDS[kind] * n
        elif kind in _SETS:
            count[variant] = n
        else:  # the copy's instances now serve as the release
            count[variant] = count.get(variant, 0) - n
            count[release] = count.get(release, 0) + n
            rows.append({"time": float(time), "version": release, "instances": count[release]})
        rows.append({"time": float(time), "version": variant, "instances": count[variant]})
    times = metrics["time_s"].drop_duplicates().sort_values()
    end = float(times.iloc[-1] + (times.diff().min() if len(times) > 1 else 0.0))
    rows += [{"time": end, "version": v, "instances": n} for v, n in count.items()]
    return pd.DataFrame(rows)


def rollout_diagram(
    events: pd.DataFrame, metrics: pd.DataFrame, release: str = "v2", title: str = ""
) -> go.Figure:
    """The release's traffic share (above) and each fleet's instances (below) over time."""
    versions = [str(v) for v in pd.unique(metrics["version"])] if len(metrics) else []
    copies = set()
    if "copy" in metrics:
        copies = {str(v) for v in metrics.loc[metrics["copy"].eq(True), "version"]}
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("traffic", "fleets"))  # fmt: skip
    share = shares(metrics) if versions else pd.DataFrame()
    minutes = share.index.to_numpy(dtype=float) / 60
    color = version_color(release, versions, copies) if release in versions else "#1f77b4"
    if release in share:
        fig.add_trace(go.Scatter(
            x=minutes, y=share[release].to_numpy(), name=f"{release}'s share of requests",
            mode="lines", line={"color": color, "shape": "hv"}, fill="tozeroy",
            hovertemplate="%{y:.0%} of requests at minute %{x:.0f}<extra></extra>",
        ), row=1, col=1)  # fmt: skip
    for copy in sorted(copies & set(share.columns)):
        fig.add_trace(go.Scatter(
            x=minutes, y=share[copy].to_numpy(), name=f"mirrored to {copy}", mode="lines",
            line={"color": color, "dash": "dash", "shape": "hv"},
            hovertemplate="%{y:.0%} of requests mirrored at minute %{x:.0f}<extra></extra>",
        ), row=1, col=1)  # fmt: skip
    weights = weight_shares(events, release)
    if len(weights):
        fig.add_trace(go.Scatter(
            x=weights["time"] / 60, y=weights["share"], name="weights set (audit trail)",
            mode="markers", marker={"symbol": "diamond", "size": 9, "color": "black"},
            text=weights["detail"], hovertemplate="weights %{text}<extra></extra>",
        ), row=1, col=1)  # fmt: skip
    fleets = fleet_sizes(events, metrics, release)
    for v in pd.unique(fleets["version"]):
        rows = fleets[fleets["version"] == v]
        if not (rows["instances"] > 0).any():
            continue
        fig.add_trace(go.Scatter(
            x=rows["time"] / 60, y=rows["instances"], name=f"{v} instances", mode="lines",
            line={"color": version_color(v, versions, copies), "shape": "hv",
                  "dash": "dash" if v in copies else "solid"},
            hovertemplate=f"{v}: %{{y}} instances at minute %{{x:.0f}}<extra></extra>",
        ), row=2, col=1)  # fmt: skip
    fig.update_yaxes(title_text="share (%)", range=[0, 1.05], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title_text="instances (count)", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text="time (min)", row=2, col=1)
    fig.update_layout(
        title=title, height=380, margin={"t": 60, "b": 40}, hovermode="closest",
        showlegend=True, legend={"orientation": "h", "yanchor": "top", "y": -0.18},
    )  # fmt: skip
    return fig
