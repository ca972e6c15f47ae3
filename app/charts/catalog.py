"""The hardware catalog, for the catalog page: latency against cost per target and model.

One point per catalog row, coloured by hardware family and shaped by model, with every
source of its figures on hover, so a choice of instance can be traced to where it came from.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from app.charts.common import PALETTE, layout, log_axis
from simulator import display

_FAMILY_COLOR = {"cpu": "#1f77b4", "gpu": "#2ca02c", "inferentia": "#d62728"}
_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "x", "star", "hexagon"]


def catalog(table: pd.DataFrame, *, latency: str = "p50") -> go.Figure:
    """Latency against cost for every target and model: colour = family, symbol = model.

    x is the $ per 1M inferences at full load when the table has it (what a request costs,
    comparable across instance sizes), else the price per hour; both axes are logarithmic
    because the catalog spans two orders of magnitude, with ticks on 1-2-5 written out
    ("$0.05", "200"). ``latency`` is ``p50`` or ``p99``.
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
    fig = layout(
        fig,
        f"Catalog: {latency} latency against cost",
        f"{x_title}, log scale",
        f"{latency} latency per request (ms, log scale)",
    )
    xs = table[x_col] if len(table) else []
    fig.update_xaxes(**log_axis(xs, prefix="$"))
    fig.update_yaxes(**log_axis(table[column] if len(table) else []))
    fig.update_layout(hovermode="closest")
    return fig


def _catalog_hover(row: dict[str, Any], column: str) -> str:
    """Target, options, figures and every source, one per line."""
    options = [o for o in (row.get("accelerator") or "", "Neo" if row.get("neo") else "") if o]
    head = row["target"] + (f" + {' + '.join(options)}" if options else "")
    lines = [f"<b>{head}</b>", f"model {row['model']} ({row['family']})"]
    lines.append(f"{column.replace('_ms', '')} {display.decimal(row[column], 3)} ms")
    if "price_per_hour" in row:
        lines.append(f"${display.decimal(row['price_per_hour'], 3, least=2)} per hour")
    if "cost_per_million_usd" in row:
        lines.append(f"${display.decimal(row['cost_per_million_usd'], 3, least=2)} per 1M "
                     "at full load")  # fmt: skip
    sources = str(row.get("sources", "")).split(" | ")
    return "<br>".join(lines + ["sources:"] + [f"- {s}" for s in sources if s])


_GROUP_COLORS = ["#9467bd", "#ff7f0e", "#2ca02c"]  # EI, the GPUs of its time, those of today


def elastic_costs(comparison: pd.DataFrame, model: str = "") -> go.Figure:
    """Cost per 1M requests by option for one model: EI, the GPUs of its time, those of today.

    ``comparison`` is :func:`simulator.catalog.elastic.elastic_inference_comparison`'s frame.
    One bar per row, in one legend entry per group (Elastic Inference, then one per era of
    the instances, named with their families, e.g. "today: g4dn, inf1, inf2"), labelled with
    its dollars, on a logarithmic axis because the options span two orders of magnitude.
    """
    fig = go.Figure()
    for index, (group, rows) in enumerate(_elastic_groups(comparison)):
        fig.add_trace(
            go.Bar(
                x=[_short_option(o) for o in rows["option"]],
                y=rows["cost_per_million_usd"].to_numpy(dtype=float),
                name=group,
                marker_color=_GROUP_COLORS[index % len(_GROUP_COLORS)],
                text=[f"${c:.2f}" for c in rows["cost_per_million_usd"]],
                textposition="outside",
                hovertext=[_elastic_hover(r) for r in rows.to_dict("records")],
                hoverinfo="text",
            )
        )
    title = "Elastic Inference against GPUs: cost per 1M requests at full load"
    fig = layout(
        fig,
        f"{title} ({model})" if model else title,
        "target (host + accelerator for Elastic Inference)",
        "cost per 1M requests at full load (USD, log scale)",
        yaxis_type="log",
    )
    fig.update_layout(
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        yaxis={"dtick": 1, "exponentformat": "none"},
        xaxis={"tickangle": 0, "tickfont": {"size": 10}},
    )
    return fig


def _short_option(option: str) -> str:
    """``ml.t2.medium + ml.eia2.large`` -> ``t2.medium +<br>eia2.large``: fits under a bar."""
    return option.replace("ml.", "").replace(" + ", " +<br>")


def _elastic_groups(comparison: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(legend name, rows): Elastic Inference first, then the instances of each era in order."""
    groups = [("Elastic Inference", comparison[comparison["accelerator"] != ""])]
    plain = comparison[comparison["accelerator"] == ""]
    for era, rows in plain.groupby("era", sort=False):
        groups.append((f"{era}: " + ", ".join(t.split(".")[1] for t in rows["target"]), rows))
    return [(name, rows) for name, rows in groups if not rows.empty]


def _elastic_hover(row: dict[str, Any]) -> str:
    """Option, price, capacity, latency, cost and verdict, one per line."""
    return "<br>".join(
        [
            f"<b>{row['option']}</b> ({row['era']})",
            f"${row['price_per_hour_usd']:.3f} per hour",
            f"{row['capacity_rps']:.1f} requests/s at p50 {row['p50_ms']:.2f} ms",
            f"${row['cost_per_million_usd']:.2f} per 1M requests at full load",
            str(row["verdict"]),
        ]
    )
