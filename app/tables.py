"""The app's tables and headline figures as a person reads them.

Every figure is written by `simulator.display`, as the CLI writes it: units in the
headers (a duration carries its own, "45.2 s" or "7:37"), rates as percentages, no
scientific notation, "n/a" where a figure does not apply (no time to roll back where
nothing was rolled back). Here only what the app adds: a comparison's "mean ± half-width"
columns, the events' clock, the run store's records and a stored experiment's table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from simulator import display
from simulator.display import NA

RECORD_KINDS = {"run": "run", "compare": "comparison", "sweep": "sweep"}


def intervals(table: pd.DataFrame, keys: Iterable[str]) -> pd.DataFrame:
    """'mean ± half-width' cells of the figures `keys` (those the table has), a row per arm.

    A time to roll back is n/a where no replication rolled back, a time to detect where
    none detected anything (a table whose runs never did has no such column).
    """
    out: dict[str, list[str]] = {}
    for key in keys:
        fig = display.figure(key, replicated=True)
        if f"{key}_mean" not in table and not fig.applies_when:
            continue
        rate = key in display.RATE_MEANS or key in ("promoted", "rolled_back")
        header = f"{fig.label} (% of runs)" if rate else fig.header
        out[header] = [display.replicated(table.loc[row], key) for row in table.index]
    return pd.DataFrame(out, index=table.index)


def user_figures(table: pd.DataFrame) -> list[str]:
    """The figures of a comparison or sweep table a person reads (no diagnostics), in order."""
    keys = [c.removesuffix("_mean") for c in table.columns if str(c).endswith("_mean")]
    return [k for k in keys if k not in display.SUMMARY or not display.SUMMARY[k].diagnostic]


def experiment(table: pd.DataFrame) -> pd.DataFrame:
    """A stored comparison or sweep, readable: its settings columns, then its figures."""
    stats = ("_mean", "_ci_low", "_ci_high")
    settings = [c for c in table.columns if not str(c).endswith(stats)]
    shown = intervals(table, user_figures(table))
    for column in reversed(settings):
        shown.insert(0, str(column).replace("_", " "), [_cell(v) for v in table[column]])
    shown.index.names = [_words(n) for n in shown.index.names]
    return shown


def _cell(value: object) -> str:
    """A setting's value as written (numbers without e-notation)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return display.show(value)
    return display.show(_words(value))


def _words(name: object) -> object:
    return name.replace("_", " ") if isinstance(name, str) else name


def records(frame: pd.DataFrame) -> pd.DataFrame:
    """The run store's list with readable headers and cells."""
    return pd.DataFrame(
        {
            "id": frame["id"],
            "record": [RECORD_KINDS.get(k, _words(k)) for k in frame["kind"]],
            "saved (UTC)": [str(c)[:16].replace("T", " ") for c in frame["created"]],
            "scenario": frame["scenario"],
            "strategies": [display.show(_words(s)) for s in frame["strategy"]],
            "seed": frame["seed"],
            "replications": frame["replications"],
            "label": [display.show(v) if v else "" for v in frame["label"]],
            "outcome": [display.show(_words(o)) for o in frame["outcome"]],
            "availability (%)": [
                display.show(a, "percent") for a in frame["availability"]
            ],  # fmt: skip
            "cost ($)": [display.show(c, "usd") for c in frame["cost_usd"]],
            display.SUMMARY["blast_radius"].header: [
                display.show(None if pd.isna(b) else int(b), "count") for b in frame["blast_radius"]
            ],
            "deploysim version": frame["version"],
        }
    )


def summary(result_summary: dict) -> pd.DataFrame:
    """A run's summary as (figure, value) rows, user figures only."""
    rows = display.rows(result_summary)
    return pd.DataFrame(rows, columns=["figure", "value"])


def clock(t: float) -> str:
    """A time into the run as m:ss.s (h:mm:ss.s past an hour): 457.0103 is '7:37.0'."""
    tenths = round(t * 10)
    whole, tenth = divmod(tenths, 10)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}.{tenth}" if h else f"{m}:{s:02d}.{tenth}"


def events(frame: pd.DataFrame) -> pd.DataFrame:
    """A run's events with the time as a clock (its unit in the header) and plain numbers."""
    shown = frame.copy()
    long = len(frame) and float(frame["time"].max()) >= 3600
    shown.insert(0, "time (h:mm:ss)" if long else "time (m:ss)", [clock(t) for t in frame["time"]])
    shown = shown.drop(columns=["time"])
    if "value" in shown:
        shown["value"] = [None if pd.isna(v) else display.decimal(float(v)) for v in shown["value"]]
    return shown


def duration(seconds: float | None) -> str:
    """A headline duration with its unit: '45.0 s', '3:00 min', '1:02:03 h', or 'n/a'."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return NA
    written = display.seconds(float(seconds))
    colons = written.count(":")
    return written + (" min" if colons == 1 else " h" if colons == 2 else "")


def headline(key: str, result_summary: dict) -> str:
    """A run's figure for st.metric: its unit in the value for durations, 'n/a' where none."""
    if not display.applies(key, result_summary):
        return NA
    if key in display.SUMMARY and display.SUMMARY[key].kind == "seconds":
        return duration(display.lookup(result_summary, key))
    return display.written(key, result_summary)
