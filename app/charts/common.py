"""What the charts of several pages share: the palette, a label's colour and the layout.

Axis titles carry the units, legends sit below the plot, and a label (a version or a
strategy) keeps one colour on every chart it appears on, so "v2" is the same colour in
the traffic, latency, error and capacity charts of a run.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative

from simulator import display

PALETTE: list[str] = list(qualitative.Plotly)


def version_color(version: str, versions: list[str], copies: Collection[str] = ()) -> str:
    """The colour of ``version``, stable for the same ``versions`` and ``copies`` everywhere.

    Colours go to the labels that served users, in the order of ``versions``. A copy (one
    of ``copies``: mirrored requests no user saw) takes the colour of the model it mirrors
    (its dash tells it apart). A ``-baseline`` label (Kayenta's redeployed stable version)
    serves users, so it gets its own colour.
    """
    bases = list(dict.fromkeys(_mirrored(v, versions, copies) for v in versions))
    base = _mirrored(version, versions, copies)
    if base not in bases:
        raise ValueError(f"version {version!r} is not one of {versions}")
    return PALETTE[bases.index(base) % len(PALETTE)]


def _mirrored(version: str, versions: list[str], copies: Collection[str]) -> str:
    """The label whose colour ``version`` takes: its own, or for a copy its model's.

    A copy is labelled after the model it mirrors (``v2-shadow`` mirrors ``v2``): the
    longest user-serving label it extends. When that model served no user (a release
    rolled back unseen), the copy is its own base, in the place its model would take.
    """
    version = str(version)
    if version not in copies:
        return version
    models = [str(v) for v in versions if v not in copies and version.startswith(f"{v}-")]
    return max(models, key=len) if models else version


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


def log_axis(values: Iterable[float], prefix: str = "") -> dict[str, Any]:
    """A logarithmic axis over ``values`` with ticks on 1-2-5 (1 alone past 3.5 decades).

    Each tick is written out as a person writes it ("0.05", "2,000"; ``prefix`` such as
    "$" in front), never as plotly's bare mantissas ("2, 5, 2, 10"); the range pads the
    data by a tenth of a decade. Non-positive and missing values are ignored.
    """
    positive = [float(v) for v in values if v is not None and math.isfinite(v) and v > 0]
    if not positive:
        return {"type": "log"}
    low, high = math.log10(min(positive)) - 0.1, math.log10(max(positive)) + 0.1
    steps = (1, 2, 5) if high - low <= 3.5 else (1,)
    ticks = [m * 10.0**d for d in range(math.floor(low), math.ceil(high) + 1) for m in steps]
    inside = [t for t in ticks if low <= math.log10(t) <= high]
    if len(inside) < 2:  # a narrow range: widen it to the ticks around the data
        below = max(t for t in ticks if math.log10(t) <= low)
        above = min(t for t in ticks if math.log10(t) >= high)
        low, high = math.log10(below), math.log10(above)
        inside = [t for t in ticks if below <= t <= above]
    return {
        "type": "log",
        "range": [low, high],
        "tickvals": inside,
        "ticktext": [prefix + display.decimal(t, 1) for t in inside],
    }
