"""Plotly figures for the front end: pure functions of a Result's frames or experiment tables.

Nothing here imports Streamlit, so every chart can be built and checked in a test.
Conventions the charts share:

- x is simulated time in seconds (``time_s``: the start of a monitoring period, as
  CloudWatch stamps a datapoint with its period's start) and units go in axis titles.
- A version label keeps one colour on every chart of a run (:func:`version_color`), so
  "v2" is the same colour in the traffic, latency, error and capacity charts.
- Labels ending in ``-shadow`` or ``-parallel`` are copies: the release served mirrored
  requests whose answers no user saw. They are drawn dashed, in their model's colour,
  and never stacked with the versions that served users.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

PALETTE: list[str] = list(qualitative.Plotly)
COPY_SUFFIXES = ("-shadow", "-parallel")
MARKED_EVENTS = (
    "UpdateEndpoint",
    "UpdateEndpointWeightsAndCapacities",
    "AlarmStateChange",
    "RollbackTriggered",
    "RollbackComplete",
    "UpdateComplete",
    "ZoneOutage",
    "InstanceFailure",
)
_BAD = {"AlarmStateChange", "RollbackTriggered", "ZoneOutage", "InstanceFailure"}
_EVENT_COLOR = {"RollbackComplete": "#ff7f0e", "UpdateComplete": "#2ca02c"}
_PERCENTILE_DASH = {"p50": "dot", "p95": "dash", "p99": "solid"}
_FAMILY_COLOR = {"cpu": "#1f77b4", "gpu": "#2ca02c", "inferentia": "#d62728"}
_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon"]
_TIME = "time (s)"


# ---------------------------------------------------------------- versions and colours


def is_copy(version: str) -> bool:
    """Whether a label is a shadow/parallel copy: it served no user, so it is never stacked."""
    return str(version).endswith(COPY_SUFFIXES)


def _base(version: str) -> str:
    """The model a copy mirrors (``v2-shadow`` -> ``v2``), so both share a colour."""
    for suffix in COPY_SUFFIXES:
        if str(version).endswith(suffix):
            return str(version)[: -len(suffix)]
    return str(version)


def version_color(version: str, versions: list[str]) -> str:
    """The colour of ``version``, stable for the same ``versions`` list on every chart.

    Colours go to the non-copy labels in the order of ``versions``; a copy takes the
    colour of the model it mirrors (its dash tells it apart). A ``-baseline`` label
    (Kayenta's redeployed stable version) serves users, so it gets its own colour.
    """
    bases = list(dict.fromkeys(_base(v) for v in versions))
    base = _base(version)
    if base not in bases:
        raise ValueError(f"version {version!r} is not one of {versions}")
    return PALETTE[bases.index(base) % len(PALETTE)]


def _versions(metrics: pd.DataFrame) -> list[str]:
    """Labels in the metrics frame's order, the one list every run chart colours by."""
    return [str(v) for v in pd.unique(metrics["version"])] if len(metrics) else []


def _series(metrics: pd.DataFrame, version: str, column: str) -> pd.DataFrame:
    rows = metrics[metrics["version"] == version].sort_values("time_s")
    return rows[["time_s", column]]


def _layout(fig: go.Figure, title: str, x: str, y: str, **kw: Any) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        showlegend=True,
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "top", "y": -0.2},
        **kw,
    )
    return fig


# ---------------------------------------------------------------- event markers


def event_markers(events: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The audit events worth a vertical line on the time charts, as {time, kind, label}.

    Rollout steps, weight changes, rollbacks, failures and alarms entering ALARM (not
    leaving it: the return to OK is visible in the metrics themselves).
    """
    if events is None or len(events) == 0:
        return []
    out = []
    for time, kind, detail in events[["time", "kind", "detail"]].itertuples(index=False):
        if kind not in MARKED_EVENTS:
            continue
        detail = "" if pd.isna(detail) else str(detail)
        if kind == "AlarmStateChange" and "-> ALARM" not in detail:
            continue
        label = f"{kind}: {detail}" if detail else str(kind)
        out.append({"time": float(time), "kind": str(kind), "label": label})
    return out


def _add_markers(fig: go.Figure, events: pd.DataFrame | None) -> None:
    """One dotted line per marked instant; its hover lists every event at that instant."""
    by_time: dict[float, list[dict[str, Any]]] = {}
    for marker in event_markers(events):
        by_time.setdefault(marker["time"], []).append(marker)
    for time, group in by_time.items():
        kinds = [m["kind"] for m in group]
        if any(k in _BAD for k in kinds):
            color = "#d62728"
        else:
            color = next((_EVENT_COLOR[k] for k in kinds if k in _EVENT_COLOR), "#7f7f7f")
        fig.add_shape(
            type="line",
            x0=time,
            x1=time,
            y0=0,
            y1=1,
            xref="x",
            yref="paper",
            line={"color": color, "dash": "dot", "width": 1},
            name="event:" + ",".join(kinds),
        )
        fig.add_annotation(
            x=time,
            y=1,
            xref="x",
            yref="paper",
            yanchor="bottom",
            text="▾",
            showarrow=False,
            font={"color": color},
            hovertext=f"t={time:g} s<br>" + "<br>".join(m["label"] for m in group),
            name="event",
        )


# ---------------------------------------------------------------- one run over time


def traffic_share(metrics: pd.DataFrame) -> go.Figure:
    """Each version's share of the invocations users made, per period (stacked to 1).

    Shadow and parallel copies are mirrored requests on top of the user traffic: stacking
    them would count requests twice and shrink every real share, so each is a dashed line
    of copies per user request instead (1.0 = every request mirrored). A Kayenta
    ``-baseline`` is stacked: it answers real users (its share is taken from the stable
    fleet's), so leaving it out would overstate every other version's share.
    """
    versions = _versions(metrics)
    fig = go.Figure()
    if versions:
        counts = metrics.pivot_table(
            index="time_s", columns="version", values="Invocations", aggfunc="sum"
        ).fillna(0.0)
        counts = counts.reindex(columns=versions, fill_value=0.0).sort_index()
        users = counts[[v for v in versions if not is_copy(v)]].sum(axis=1)
        share = counts.div(users.where(users > 0), axis=0).fillna(0.0)
        for v in versions:
            color = version_color(v, versions)
            common = {"x": share.index.to_numpy(), "y": share[v].to_numpy(), "name": v}
            if is_copy(v):
                line = {"color": color, "dash": "dash", "shape": "hv"}
                fig.add_trace(go.Scatter(mode="lines", line=line, **common))
            else:
                line = {"color": color, "shape": "hv", "width": 0.5}
                fig.add_trace(go.Scatter(mode="lines", stackgroup="users", line=line, **common))
    return _layout(
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

    Versions that never served a request in a percentile are left out (all gaps).
    """
    versions = _versions(metrics)
    fig = go.Figure()
    for v in versions:
        color = version_color(v, versions)
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
                    line={"color": color, "dash": "dashdot" if is_copy(v) else dash},
                )
            )
    if slo_ms is not None:
        fig.add_hline(
            y=float(slo_ms),
            line={"color": "#d62728", "dash": "dash"},
            annotation_text=f"SLO {float(slo_ms):g} ms",
            name="slo",
        )
    _add_markers(fig, events)
    return _layout(fig, "Latency per version", _TIME, "latency (ms)")


def errors(metrics: pd.DataFrame, events: pd.DataFrame | None = None) -> go.Figure:
    """Error rate per version and period in percent (gaps where a version had no traffic)."""
    versions = _versions(metrics)
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
                    "color": version_color(v, versions),
                    "dash": "dash" if is_copy(v) else "solid",
                },
            )
        )
    _add_markers(fig, events)
    return _layout(fig, "Error rate per version", _TIME, "error rate (%)")


def capacity_cost(metrics: pd.DataFrame, events: pd.DataFrame | None = None) -> go.Figure:
    """Instances in service per version, and the run's cumulative cost on a second axis.

    The cost curve starts at 0 at the first period's start and reaches each period's total
    at that period's end (the next period's start; the last one is assumed as long as the
    others), so its last point is the run's cost.
    """
    versions = _versions(metrics)
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
                    "color": version_color(v, versions),
                    "shape": "hv",
                    "dash": "dash" if is_copy(v) else "solid",
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
    _add_markers(fig, events)
    fig.update_yaxes(title_text="instances in service (mean per period)", secondary_y=False)
    fig.update_yaxes(title_text="cumulative cost (USD)", secondary_y=True, tickprefix="$")
    return _layout(
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
    fig = _layout(fig, "Audit trail", _TIME, "event kind")
    fig.update_layout(hovermode="closest")
    return fig


# ---------------------------------------------------------------- experiment tables


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
    fig = _layout(fig, "Risk against cost per strategy", "cost (USD)", "blast radius (requests)")
    fig.update_layout(hovermode="closest")
    return fig


def catalog(table: pd.DataFrame, *, latency: str = "p50") -> go.Figure:
    """Latency against cost for every target and model: colour = family, symbol = model.

    x is the $ per 1M inferences at full load when the table has it (what a request costs,
    comparable across instance sizes), else the price per hour; both axes are logarithmic
    because the catalog spans two orders of magnitude. ``latency`` is ``p50`` or ``p99``.
    """
    column = f"{latency}_ms"
    if "cost_per_million_usd" in table:
        x_col, x_title = "cost_per_million_usd", "cost per 1M inferences at full load (USD)"
    else:
        x_col, x_title = "price_per_hour", "price (USD per hour)"
    families = [str(f) for f in pd.unique(table["family"])] if len(table) else []
    models = [str(m) for m in pd.unique(table["model"])] if len(table) else []
    fig = go.Figure()
    for family in families:
        fallback = PALETTE[families.index(family) % len(PALETTE)]
        color = _FAMILY_COLOR.get(family, fallback)
        for m_index, model in enumerate(models):
            rows = table[(table["family"] == family) & (table["model"] == model)]
            if rows.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=rows[x_col].to_numpy(dtype=float),
                    y=rows[column].to_numpy(dtype=float),
                    mode="markers",
                    name=f"{family} · {model}",
                    legendgroup=family,
                    hovertext=[_catalog_hover(r, column) for r in rows.to_dict("records")],
                    hoverinfo="text",
                    marker={
                        "color": color,
                        "symbol": _SYMBOLS[m_index % len(_SYMBOLS)],
                        "size": 9,
                        "line": {"width": 0.5, "color": "white"},
                    },
                )
            )
    fig = _layout(
        fig,
        f"Catalog: {latency} latency against cost",
        x_title,
        f"{latency} latency per request (ms)",
        xaxis_type="log",
        yaxis_type="log",
    )
    fig.update_layout(hovermode="closest")
    return fig


def _catalog_hover(row: dict[str, Any], column: str) -> str:
    """Target, options, figures and every source, one per line."""
    options = [o for o in (row.get("accelerator") or "", "Neo" if row.get("neo") else "") if o]
    head = row["target"] + (f" + {' + '.join(options)}" if options else "")
    lines = [f"<b>{head}</b>", f"model {row['model']} ({row['family']})"]
    lines.append(f"{column.replace('_ms', '')} {row[column]:.3g} ms")
    if "price_per_hour" in row:
        lines.append(f"${row['price_per_hour']:.4g}/h")
    if "cost_per_million_usd" in row:
        lines.append(f"${row['cost_per_million_usd']:.4g} per 1M at full load")
    sources = str(row.get("sources", "")).split(" | ")
    return "<br>".join(lines + ["sources:"] + [f"- {s}" for s in sources if s])


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
        fig = _layout(
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
        fig = _layout(fig, "Simulation against theory", x_title, y_title)
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
    fig = _layout(
        fig,
        "Detection power of a one-step canary",
        "canary weight (% of traffic)",
        "detection power (probability)",
        yaxis_range=[0, 1.05],
    )
    fig.update_layout(hovermode="closest")
    return fig
