"""One run over time, for the run page: traffic share, latency, errors, capacity and cost.

Built from a Result's metrics (one row per period and version) and events. x is
simulated time in seconds (``time_s``: the start of a monitoring period, as CloudWatch
stamps a datapoint with its period's start). Rollout steps, rollbacks, failures and
alarms are marked on the time charts (``events``: a legend entry per kind), so a reader
sees what the metrics reacted to.

Rows the metrics mark as ``copy`` are a shadow or parallel release's mirrored requests,
whose answers no user saw. They are drawn dashed, in their model's colour, and never
stacked with the versions that served users. A run stored before that column existed
has no copies to show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.charts.common import PALETTE, layout, version_color
from app.charts.events import MARKED_EVENTS, add_markers, event_markers  # noqa: F401 (run.event_markers, as before)
from simulator import display
from simulator.scenario.security import (
    Finding,
    SecuritySpec,
    extra_latency_s,
    posture_cost_per_hour,
)

_BAD = {"AlarmStateChange", "RollbackTriggered", "ZoneOutage", "InstanceFailure"}
_PERCENTILE_DASH = {"p50": "dot", "p95": "dash", "p99": "solid"}
_TIME = "time (s)"


def _versions(metrics: pd.DataFrame) -> list[str]:
    """Labels in the metrics frame's order, the one list every run chart colours by."""
    return [str(v) for v in pd.unique(metrics["version"])] if len(metrics) else []


def _copies(metrics: pd.DataFrame) -> set[str]:
    """Labels of mirrored copies, read from the ``copy`` column (False where it is missing)."""
    if "copy" not in metrics or not len(metrics):
        return set()
    return {str(v) for v in metrics.loc[metrics["copy"].eq(True), "version"]}


def _series(metrics: pd.DataFrame, version: str, column: str) -> pd.DataFrame:
    rows = metrics[metrics["version"] == version].sort_values("time_s")
    return rows[["time_s", column]]


# ---------------------------------------------------------------- the charts


def shares(metrics: pd.DataFrame) -> pd.DataFrame:
    """Each label's invocations per period over the users' invocations (copies excluded).

    A row per period (``time_s``), a column per label in the metrics' order; a period
    without user traffic is 0 for every label.
    """
    versions, copies = _versions(metrics), _copies(metrics)
    counts = metrics.pivot_table(
        index="time_s", columns="version", values="Invocations", aggfunc="sum"
    ).fillna(0.0)
    counts = counts.reindex(columns=versions, fill_value=0.0).sort_index()
    users = counts[[v for v in versions if v not in copies]].sum(axis=1)
    return counts.div(users.where(users > 0), axis=0).fillna(0.0)


def traffic_share(metrics: pd.DataFrame) -> go.Figure:
    """Each version's share of the invocations users made, per period (stacked to 1).

    Shadow and parallel copies are mirrored requests on top of the user traffic: stacking
    them would count requests twice and shrink every real share, so each is a dashed line
    of copies per user request instead (1.0 = every request mirrored). A Kayenta
    ``-baseline`` is stacked: it answers real users (its share is taken from the stable
    fleet's), so leaving it out would overstate every other version's share.
    """
    versions, copies = _versions(metrics), _copies(metrics)
    fig = go.Figure()
    if versions:
        share = shares(metrics)
        for v in versions:
            color = version_color(v, versions, copies)
            common = {"x": share.index.to_numpy(), "y": share[v].to_numpy(), "name": v}
            if v in copies:
                line = {"color": color, "dash": "dash", "shape": "hv"}
                fig.add_trace(go.Scatter(mode="lines", line=line, **common))
            else:
                line = {"color": color, "shape": "hv", "width": 0.5}
                fig.add_trace(go.Scatter(mode="lines", stackgroup="users", line=line, **common))
    return layout(
        fig,
        "Traffic share per version",
        _TIME,
        "share of invocations (fraction)",
        yaxis_tickformat=".0%",
    )


def latency(
    metrics: pd.DataFrame, slo_ms: float | None = None, events: pd.DataFrame | None = None
) -> go.Figure:
    """p50/p95/p99 latency per version and period, against the SLO and the rollout's events.

    Versions that never served a request in a percentile are left out (all gaps). The
    y axis starts at 0 and fits the percentiles, so 2 and 3 ms stay apart: an SLO
    within reach of them (under four times the highest) is a line across the chart, one far
    above them is a note in the corner saying so, not a line that flattens the data.
    """
    versions, copies = _versions(metrics), _copies(metrics)
    fig = go.Figure()
    for v in versions:
        color = version_color(v, versions, copies)
        for p, dash in _PERCENTILE_DASH.items():
            column = f"latency_{p}_ms"
            if column not in metrics:
                continue
            data = _series(metrics, v, column)
            if data[column].isna().all():
                continue
            fig.add_trace(
                go.Scatter(
                    x=data["time_s"].to_numpy(),
                    y=data[column].to_numpy(),
                    mode="lines",
                    name=f"{v} {p}",
                    legendgroup=v,
                    line={"color": color, "dash": "dashdot" if v in copies else dash},
                )
            )
    _slo(fig, slo_ms)
    add_markers(fig, events)
    return layout(fig, "Latency per version", _TIME, "latency (ms)")


def _slo(fig: go.Figure, slo_ms: float | None) -> None:
    """The SLO as a line when the data comes near it, else as a note above the chart."""
    highest = max((float(np.nanmax(t.y)) for t in fig.data if len(t.y)), default=0.0)
    top = max(highest, 1e-9) * 1.1
    if slo_ms is not None and float(slo_ms) <= 4 * highest:
        text = f"SLO {display.decimal(slo_ms, 3)} ms"
        line = {"color": "#d62728", "dash": "dash"}
        fig.add_hline(y=float(slo_ms), line=line, annotation_text=text, name="slo")
        top = max(top, 1.1 * float(slo_ms))
    elif slo_ms is not None:
        fig.add_annotation(
            x=1, y=1, xref="paper", yref="paper", xanchor="right", yanchor="bottom",
            showarrow=False, font={"color": "#d62728"}, name="slo",
            text=f"SLO {display.decimal(slo_ms, 3)} ms: far above the chart "
            f"(the highest here is {display.decimal(highest, 3)} ms)",
        )  # fmt: skip
    if highest > 0:
        fig.update_yaxes(range=[0, top])


def errors(metrics: pd.DataFrame, events: pd.DataFrame | None = None) -> go.Figure:
    """Error rate per version and period in percent (gaps where a version had no traffic)."""
    versions, copies = _versions(metrics), _copies(metrics)
    fig = go.Figure()
    for v in versions:
        data = _series(metrics, v, "error_rate")
        if data["error_rate"].isna().all():
            continue
        fig.add_trace(
            go.Scatter(
                x=data["time_s"].to_numpy(),
                y=100.0 * data["error_rate"].to_numpy(),
                mode="lines",
                name=v,
                line={
                    "color": version_color(v, versions, copies),
                    "dash": "dash" if v in copies else "solid",
                },
            )
        )
    add_markers(fig, events)
    return layout(fig, "Error rate per version", _TIME, "error rate (%)")


def capacity_cost(metrics: pd.DataFrame, events: pd.DataFrame | None = None) -> go.Figure:
    """Instances in service per version, and the run's cumulative cost on a second axis.

    The cost curve starts at 0 at the first period's start and reaches each period's total
    at that period's end (the next period's start; the last one is assumed as long as the
    others), so its last point is the run's cost.
    """
    versions, copies = _versions(metrics), _copies(metrics)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for v in versions:
        data = _series(metrics, v, "instances")
        if not (data["instances"].fillna(0) > 0).any():
            continue
        fig.add_trace(
            go.Scatter(
                x=data["time_s"].to_numpy(),
                y=data["instances"].to_numpy(),
                mode="lines",
                name=f"{v} instances",
                line={
                    "color": version_color(v, versions, copies),
                    "shape": "hv",
                    "dash": "dash" if v in copies else "solid",
                },
            ),
            secondary_y=False,
        )
    if versions:
        per_period = metrics.groupby("time_s")["cost_usd"].sum().sort_index()
        starts = per_period.index.to_numpy(dtype=float)
        step = float(pd.Series(starts).diff().min()) if len(starts) > 1 else 0.0
        ends = list(starts[1:]) + [starts[-1] + step]
        fig.add_trace(
            go.Scatter(
                x=[starts[0], *ends],
                y=[0.0, *per_period.cumsum().to_numpy()],
                mode="lines",
                name="cumulative cost",
                line={"color": "black", "dash": "dot"},
            ),
            secondary_y=True,
        )
    add_markers(fig, events)
    fig.update_yaxes(title_text="instances in service (mean per period)", secondary_y=False)
    fig.update_yaxes(title_text="cumulative cost (USD)", secondary_y=True, tickprefix="$")
    return layout(
        fig,
        "Capacity and cost",
        _TIME,
        "instances in service (mean per period)",
    )


def timeline(events: pd.DataFrame) -> go.Figure:
    """The audit trail as points in time, a row per event kind, the detail on hover."""
    fig = go.Figure()
    kinds = [str(k) for k in pd.unique(events["kind"])] if len(events) else []
    for i, kind in enumerate(kinds):
        rows = events[events["kind"] == kind]
        fig.add_trace(
            go.Scatter(
                x=rows["time"].to_numpy(dtype=float),
                y=[kind] * len(rows),
                mode="markers",
                name=kind,
                text=rows["detail"].astype(str).to_list(),
                hovertemplate="%{y}<br>t=%{x:g} s<br>%{text}<extra></extra>",
                marker={
                    "size": 10,
                    "symbol": "diamond" if kind in _BAD else "circle",
                    "color": "#d62728" if kind in _BAD else PALETTE[i % len(PALETTE)],
                },
            )
        )
    fig.update_yaxes(categoryorder="array", categoryarray=kinds[::-1])
    fig = layout(fig, "Audit trail", _TIME, "event kind")
    fig.update_layout(hovermode="closest")
    return fig


# ---------------------------------------------------------------- security posture


def security_table(findings: list[Finding]) -> pd.DataFrame:
    """Every practice checked, a row each in the order given.

    Whether it is met, how much it weighs, the scenario field that sets it (under
    ``security.``) and what to change; a practice already met needs no change, and its
    row says so, with what was found.
    """
    return pd.DataFrame(
        {
            "status": [f.status for f in findings],
            "severity": [f.severity for f in findings],
            "practice": [f.practice.replace("_", " ") for f in findings],
            "field": [f"security.{f.field}" for f in findings],
            "what to change": [
                f.message if f.status == "finding" else f"nothing: {f.message}" for f in findings
            ],
        }
    )


def security_figures(spec: SecuritySpec, run_cost_usd: float | None = None) -> dict[str, str]:
    """The posture's cost per hour, its cost over the run (when given) and its extra latency.

    Figures to 3 significant digits, never in scientific notation (a KMS key is a tenth
    of a cent an hour).
    """
    figures = {"Posture cost (USD per hour)": _plain(posture_cost_per_hour(spec))}
    if run_cost_usd is not None:
        figures["Posture cost, this run (USD)"] = _plain(run_cost_usd)
    figures["Extra latency per request (ms)"] = _plain(1e3 * extra_latency_s(spec))
    return figures


def _plain(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return np.format_float_positional(x, precision=3, fractional=False, trim="-")
