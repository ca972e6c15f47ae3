"""What the charts of several pages share: the palette, a label's colour and the layout.

Axis titles carry the units, legends sit below the plot, and a label (a version or a
strategy) keeps one colour on every chart it appears on, so "v2" is the same colour in
the traffic, latency, error and capacity charts of a run.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative

PALETTE: list[str] = list(qualitative.Plotly)
COPY_SUFFIXES = ("-shadow", "-parallel")


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


def layout(fig: go.Figure, title: str, x: str, y: str, **kw: Any) -> go.Figure:
    """Title, axis titles and a horizontal legend below the plot, the same on every chart."""
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
