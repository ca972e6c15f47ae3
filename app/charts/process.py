"""Weeks of releases, for the release process page: DORA's four keys, a timeline, lead times.

The tables turn `process_intervals` rows into cells a reader takes in at a glance (a
rate per day, week or month, a time in minutes, hours or days, a share in %), each with
its 95% interval and DORA's band of the mean. The timeline draws one process run in
days: changes merged (defective ones marked), releases from start to end coloured by
how they ended, and incidents shaded from the release's end until production was
restored. The lead-time chart is an ECDF on a log axis in hours, with DORA's edges.
Detections (``detected``, ``detected_by``) are drawn when the table has them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from app.charts.common import layout, version_color
from simulator.process import dora

DAY, HOUR = 86400.0, 3600.0
EDGES_H = {"1 day": 24.0, "1 week": 168.0, "1 month": 720.0}
"""DORA's lead-time band edges, in hours (elite within a day, high a week, medium a month)."""

OUTCOMES = {  # how a release ended, as the timeline names and colours it
    "promoted": "#2ca02c",
    "rolled back": "#ff7f0e",
    "incident": "#d62728",
    "incomplete": "#7f7f7f",
}
KEYS = {  # DORA's four keys: column title, band column title
    "deployment_frequency_per_day": ("Deployment frequency", "Frequency band"),
    "lead_time_median_s": ("Lead time (median)", "Lead time band"),
    "change_failure_rate": ("Change failure rate", "Failure rate band"),
    "recovery_median_s": ("Recovery time (median)", "Recovery band"),
}
MORE = {  # beyond the four keys, those the summaries have: column title, kind of figure
    "lead_time_p90_s": ("Lead time (90th percentile)", "duration"),
    "failed_requests": ("Requests failed", "number"),
    "incident_failed_requests": ("Requests failed in incidents", "number"),
    "slo_violation_minutes": ("SLO minutes violated", "number"),
    "error_budget_burned": ("Error budget burned", "percent"),
    "serving_cost_usd": ("Serving cost (USD)", "number"),
    "release_overhead_usd": ("Release overhead (USD)", "signed"),
    "ci_cost_usd": ("CI cost (USD)", "number"),
    "releases": ("Releases", "number"),
    "deployed": ("Changes deployed", "number"),
    "changes": ("Changes merged", "number"),
}


# ---------------------------------------------------------------- tables


def _fig(x: float) -> str:
    """Three significant figures, never in scientific notation: 0.536, 4.34, 1,097."""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return "0" if abs(x) < 1e-12 else f"{x:.3g}"


def _scale(kind: str, mean: float) -> tuple[float, str]:
    """The divisor and unit that make ``mean`` read well (chosen by the mean alone)."""
    if kind == "rate":  # per day
        if mean >= 1:
            return 1.0, " per day"
        return (1 / 7, " per week") if mean >= 1 / 7 else (1 / 30, " per month")
    if kind == "duration":
        if mean < HOUR:
            return 60.0, " min"
        return (HOUR, " h") if mean < 2 * DAY else (DAY, " days")
    return (0.01, "%") if kind in ("share", "percent") else (1.0, "")


def cell(kind: str, mean: float, low: float, high: float) -> str:
    """'mean unit (low–high)'; intervals stop at 0 unless the figure is ``signed``.

    (A release's overhead can be below zero; no rate, time, share or count can, and a
    share's interval stops at 100% too; a ``percent``, such as error budget burned, not.)
    """
    if mean is None or pd.isna(mean):
        return "–"
    div, unit = (1.0, " per day") if kind == "rate" and mean == 0 else _scale(kind, mean)
    text = f"{_fig(mean / div)}{unit}"
    if pd.isna(low) or pd.isna(high):
        return text
    low = low if kind == "signed" else max(low, 0.0)
    high = min(high, 1.0) if kind == "share" else high
    return f"{text} ({_fig(low / div)}–{_fig(high / div)})"


_KIND = {"deployment_frequency_per_day": "rate", "change_failure_rate": "share"}


def keys_table(intervals: Mapping[str, pd.Series]) -> pd.DataFrame:
    """DORA's four keys per scenario (a row each), with their 95% intervals and bands."""
    rows = {}
    for name, row in intervals.items():
        out: dict[str, str] = {}
        for key, (title, band_title) in KEYS.items():
            mean = row.get(f"{key}_mean", math.nan)
            kind = _KIND.get(key, "duration")
            out[title] = cell(kind, mean, row.get(f"{key}_ci_low"), row.get(f"{key}_ci_high"))
            out[band_title] = dora.band(key, None if pd.isna(mean) else float(mean)) or "–"
        rows[name] = out
    return pd.DataFrame.from_dict(rows, orient="index")


def more_table(intervals: Mapping[str, pd.Series]) -> pd.DataFrame:
    """User impact, cost and volume per scenario, for the figures the summaries have."""
    rows = {}
    for name, row in intervals.items():
        rows[name] = {
            title: cell(
                kind, row[f"{key}_mean"], row.get(f"{key}_ci_low"), row.get(f"{key}_ci_high")
            )
            for key, (title, kind) in MORE.items()
            if f"{key}_mean" in row
        }
    return pd.DataFrame.from_dict(rows, orient="index")


# ---------------------------------------------------------------- timeline


def release_kinds(releases: pd.DataFrame) -> pd.Series:
    """How each release ended: promoted, rolled back, incomplete, or incident (it escaped)."""
    kinds = releases["outcome"].astype(str).str.replace("_", " ")
    return kinds.where(~releases["incident"].astype(bool), "incident")


def incident_spans(releases: pd.DataFrame, horizon_s: float | None = None) -> list[tuple]:
    """(start, end) in days of each incident: from the release's end until restored.

    An incident not restored by the end of the run lasts until ``horizon_s`` (or, without
    it, is drawn until the release's end only).
    """
    spans = []
    for row in releases[releases["incident"].astype(bool)].to_dict("records"):
        if pd.isna(row["ended"]):
            continue
        end = row["restored"] if pd.notna(row["restored"]) else (horizon_s or row["ended"])
        spans.append((row["ended"] / DAY, end / DAY))
    return spans


def _columns(*columns) -> np.ndarray:
    """Hover data a row per point, each value keeping its type (numbers stay numbers)."""
    return pd.DataFrame({i: list(c) for i, c in enumerate(columns)}).to_numpy(dtype=object)


def _told(value: object) -> bool:
    """Whether a release's note says something (not None, NaN or the -1 of "no release")."""
    return value is not None and not pd.isna(value) and not (value == -1)


def _changes(fig: go.Figure, changes: pd.DataFrame) -> None:
    for name, rows, marker in (
        ("change merged", changes[~changes["defective"].astype(bool)],
         {"symbol": "circle-open", "size": 6, "color": "#636efa"}),
        ("defective change", changes[changes["defective"].astype(bool)],
         {"symbol": "x", "size": 8, "color": "#d62728"}),
    ):  # fmt: skip
        fig.add_trace(go.Scatter(
            x=rows["merged_at"] / DAY, y=["changes"] * len(rows), mode="markers", name=name,
            marker=marker,
            customdata=_columns(rows["size"], rows["state"].astype(str),
                                rows["lead_time_s"] / HOUR),
            hovertemplate=("merged day %{x:.2f}<br>%{customdata[0]:.0f} lines, "
                           "%{customdata[1]}<br>lead time %{customdata[2]:.1f} h"
                           f"<extra>{name}</extra>"),
        ))  # fmt: skip


def _releases(fig: go.Figure, releases: pd.DataFrame, horizon_s: float | None) -> None:
    kinds = release_kinds(releases)
    ended = releases["ended"].fillna(horizon_s if horizon_s else releases["began"])
    extra = [c for c in ("detected_by", "restored_by", "reverted_by") if c in releases]
    for kind, color in OUTCOMES.items():
        rows = releases[kinds == kind]
        if not len(rows):
            continue
        took = (ended[rows.index] - rows["began"]) / DAY
        notes = [
            "<br>".join(f"{c.replace('_', ' ')}: {r[c]}" for c in extra if _told(r[c]))
            for r in rows.to_dict("records")
        ]
        fig.add_trace(go.Scatter(
            x=rows["began"] / DAY, y=["releases"] * len(rows), mode="markers", name=kind,
            marker={"symbol": "diamond", "size": 10, "color": color},
            error_x={"type": "data", "symmetric": False, "array": took.to_numpy(),
                     "arrayminus": np.zeros(len(rows)), "color": color, "thickness": 3,
                     "width": 0},
            customdata=_columns(rows["release"], ended[rows.index] / DAY, rows["changes"],
                                rows["defects"], notes),
            hovertemplate=("release %{customdata[0]}: day %{x:.3f} to %{customdata[1]:.3f}"
                           "<br>%{customdata[2]} changes, %{customdata[3]} defects"
                           f"<br>%{{customdata[4]}}<extra>{kind}</extra>"),
        ))  # fmt: skip


def timeline(
    changes: pd.DataFrame,
    releases: pd.DataFrame,
    horizon_s: float | None = None,
    title: str = "Changes, releases and incidents",
) -> go.Figure:
    """One process run in days: merges, releases from start to end, incidents shaded.

    A release's marker sits at its start and its bar reaches its end (the horizon for
    one still running). When the releases carry ``detected``, a star marks the moment
    each incident was detected.
    """
    fig = go.Figure()
    _changes(fig, changes)
    _releases(fig, releases, horizon_s)
    for i, (start, end) in enumerate(incident_spans(releases, horizon_s)):
        fig.add_vrect(x0=start, x1=end, fillcolor=OUTCOMES["incident"], opacity=0.2,
                      line_width=0, layer="below", name="incident (until restored)",
                      legendgroup="incident span", showlegend=i == 0)  # fmt: skip
    seen = releases.iloc[:0]
    if "detected" in releases:
        seen = releases[releases["detected"].notna() & releases["incident"].astype(bool)]
    if len(seen):
        fig.add_trace(go.Scatter(
            x=seen["detected"] / DAY, y=["releases"] * len(seen), mode="markers",
            name="incident detected", marker={"symbol": "star", "size": 12, "color": "#8c0000"},
            hovertemplate="detected day %{x:.3f}<extra>incident detected</extra>",
        ))  # fmt: skip
    fig = layout(fig, title, "time (days since the start)", "", height=360)
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(categoryorder="array", categoryarray=["releases", "changes"])
    if horizon_s:
        fig.update_xaxes(range=[0, horizon_s / DAY])
    return fig


# ---------------------------------------------------------------- lead times


def lead_times(runs: Mapping[str, pd.DataFrame]) -> go.Figure:
    """The ECDF of deployed changes' lead times (hours, log axis), one line per scenario.

    Dotted lines mark DORA's band edges: a day (elite), a week (high), a month (medium).
    """
    fig = go.Figure()
    names = list(runs)
    for name, changes in runs.items():
        hours = np.sort(changes["lead_time_s"].dropna().to_numpy(dtype=float)) / HOUR
        if not len(hours):
            continue
        fig.add_trace(go.Scatter(
            x=hours, y=np.arange(1, len(hours) + 1) / len(hours), mode="lines", name=name,
            line={"shape": "hv", "color": version_color(name, names)},
            hovertemplate=f"{name}<br>%{{y:.0%}} within %{{x:.3g}} h<extra></extra>",
        ))  # fmt: skip
    for label, hours in EDGES_H.items():
        fig.add_vline(x=hours, line_dash="dot", line_color="#555")
        # annotations on a log axis take the log of the position (shapes take the value)
        fig.add_annotation(x=math.log10(hours), y=1.02, yref="paper", text=label,
                           showarrow=False, yanchor="bottom")  # fmt: skip
    fig = layout(fig, "Lead time of deployed changes", "lead time (hours, log scale)",
                 "share of deployed changes")  # fmt: skip
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(type="log")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return fig
