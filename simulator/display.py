"""How a figure is written for a person, the same in the CLI, the app and the notebooks.

One unit per quantity (latency in ms, durations in s or m:ss, rates as percentages,
money in dollars), decimals as a person writes them (never scientific notation),
"n/a" where a figure does not apply (no time to roll back when nothing rolled back), and
an interval rounded to what its half-width can tell. `SUMMARY` names every figure of a
run's summary: its label with its unit, how it is written, and whether it is a
diagnostic of the simulation rather than a figure about the deployment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

NA = "n/a"


@dataclass(frozen=True)
class Figure:
    """A summary figure: what a person calls it and how it is written."""

    label: str
    kind: str  # count, ms, seconds, minutes, percent, usd, number, flag, text, words
    diagnostic: bool = False
    applies_when: str | None = None  # "rolled_back", "detected": when the figure means anything

    @property
    def header(self) -> str:
        """The label with its unit, for a table's header.

        A duration names no unit: each value carries its own ("45.2 s", or "7:37").
        """
        unit = {"ms": "ms", "minutes": "min", "percent": "%", "usd": "$"}.get(self.kind)
        return f"{self.label} ({unit})" if unit else self.label


SUMMARY: dict[str, Figure] = {
    "outcome": Figure("outcome", "words"),
    "requests": Figure("requests", "count"),
    "completed": Figure("completed", "count"),
    "errors": Figure("errors", "count"),
    "rejected": Figure("rejected", "count"),
    "timed_out": Figure("timed out", "count"),
    "failed_in_flight": Figure("errors: instance lost mid-request", "count"),
    "unavailable": Figure("errors: no serving instance", "count"),
    "in_flight": Figure("still in flight at the end", "count"),
    "availability": Figure("availability", "percent"),
    "latency_ms.p50": Figure("latency p50", "ms"),
    "latency_ms.p95": Figure("latency p95", "ms"),
    "latency_ms.p99": Figure("latency p99", "ms"),
    "latency_ms.mean": Figure("latency mean", "ms"),
    "blast_radius": Figure("requests hurt by the release", "count"),
    "users_affected": Figure("users affected", "count"),
    "time_to_detect_s": Figure("time to detect", "seconds", applies_when="detected"),
    "time_to_rollback_s": Figure("time to roll back", "seconds", applies_when="rolled_back"),
    "rollout_duration_s": Figure("rollout duration", "seconds"),
    "downtime_s": Figure("downtime", "seconds"),
    "slo_violation_minutes": Figure("SLO violation", "minutes"),
    "error_budget_burned": Figure("error budget burned", "percent"),
    "release_defective": Figure("release had a defect", "flag"),
    "reached_full_traffic": Figure("reached full traffic", "flag"),
    "false_rollback": Figure("false rollback", "flag"),
    "cost_usd": Figure("cost", "usd"),
    "update_cost_usd": Figure("update cost", "usd"),
    "cost_per_million_usd": Figure("cost per million requests", "usd"),
    "security_cost_usd": Figure("security cost", "usd"),
    "throughput_per_s": Figure("throughput (requests/s)", "number"),
    "wait_ms.mean": Figure("queue wait mean", "ms", diagnostic=True),
    "wait_ms.p50": Figure("queue wait p50", "ms", diagnostic=True),
    "wait_ms.p99": Figure("queue wait p99", "ms", diagnostic=True),
    "mean_in_system": Figure("mean requests in system (L)", "number", diagnostic=True),
    "lambda_w": Figure("arrival rate x mean time in system (lambda W)", "number",
                       diagnostic=True),  # fmt: skip
    "littles_law_gap": Figure("Little's law gap", "percent", diagnostic=True),
    "wall_s": Figure("wall-clock time", "seconds", diagnostic=True),
    "requests_per_s": Figure("simulated requests per wall-clock second", "count",
                             diagnostic=True),  # fmt: skip
}
"""Every summary figure a person reads, in the order tables show them (dotted keys reach
into `latency_ms` and `wait_ms`)."""

RISK = [
    "rolled_back",
    "blast_radius",
    "users_affected",
    "time_to_detect_s",
    "time_to_rollback_s",
    "downtime_s",
    "slo_violation_minutes",
    "error_budget_burned",
]
"""A release's risk, in the order a comparison shows it (`rolled_back` as a rate)."""

RATE_MEANS = {"rolled_back", "false_rollback", "reached_full_traffic", "release_defective"}
"""Yes/no figures whose mean over replications is a rate: shown as a percentage."""

_RATES = {"promoted": "promoted", "rolled_back": "rolled back"}


def figure(key: str, replicated: bool = False) -> Figure:
    """How the figure `key` is labelled and written; `replicated`: its mean over replications.

    A yes/no figure's mean is a rate (a percentage), and a comparison table's outcome
    columns `promoted` and `rolled_back` are such rates; `cost_by_version.V` is V's cost.
    """
    if replicated and (key in RATE_MEANS or key in _RATES):
        label = _RATES.get(key) or SUMMARY[key].label
        return Figure(label, "percent")
    if key in SUMMARY:
        return SUMMARY[key]
    if key.startswith("cost_by_version."):
        return Figure(f"cost of {key.removeprefix('cost_by_version.')}", "usd")
    return Figure(key, "number")


def lookup(summary: dict, key: str) -> Any:
    """A summary's figure by dotted key (None where it has none)."""
    value: Any = summary
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def applies(key: str, summary: dict) -> bool:
    """Whether a figure means anything for this run (a rollback time needs a rollback)."""
    when = SUMMARY[key].applies_when if key in SUMMARY else None
    if when == "rolled_back":
        return summary.get("outcome") == "rolled_back"
    if when == "detected":
        return summary.get("time_to_detect_s") is not None
    return True


def rows(summary: dict, *, diagnostics: bool = False) -> list[tuple[str, str]]:
    """(header, written value) for every figure of a summary, user figures first."""
    chosen = [k for k, f in SUMMARY.items() if f.diagnostic == diagnostics]
    return [(SUMMARY[k].header, written(k, summary)) for k in chosen
            if lookup(summary, k) is not None or SUMMARY[k].applies_when]  # fmt: skip


def written(key: str, summary: dict) -> str:
    """One figure of a summary as a person writes it, "n/a" where it does not apply."""
    if not applies(key, summary):
        return NA
    return show(lookup(summary, key), figure(key).kind)


def version_costs(summary: dict) -> list[tuple[str, str]]:
    """(header, written cost) for each version's share of the cost (`cost_by_version`)."""
    costs = summary.get("cost_by_version") or {}
    return [(figure(f"cost_by_version.{v}").header, show(c, "usd")) for v, c in costs.items()]


COMPARED = {
    "Invocations": Figure("requests", "count"),
    "error_rate": Figure("error rate", "percent"),
    "latency_p50_ms": Figure("latency p50", "ms"),
    "latency_p99_ms": Figure("latency p99", "ms"),
}
"""A shadow or parallel comparison's figures (`details.comparison`)."""


def comparison(details: dict | None) -> list[tuple[str, str, str]]:
    """(header, candidate, production) rows of a shadow or parallel comparison (none if none)."""
    sides = (details or {}).get("comparison")
    if not sides:
        return []
    rows = []
    for key, fig in COMPARED.items():
        cells = [sides.get(side, {}).get(key) for side in ("candidate", "production")]
        rows.append((fig.header, *(show(v, fig.kind) for v in cells)))
    return rows


def strategy_rows(details: dict | None) -> list[tuple[str, str]]:
    """(header, value) for what only an A/B test or a parallel run reports (`details`)."""
    details = details or {}
    rows: list[tuple[str, str]] = []
    if ab := details.get("ab_test"):
        rows += [("A/B winner", show(ab.get("winner") or "none")),
                 ("A/B decision time", show(ab.get("decision_time_s"), "seconds")),
                 ("A/B p-value", show(ab.get("p_value"))),
                 ("A/B lift (%)", show(ab.get("lift"), "percent"))]  # fmt: skip
        trials = ab.get("trials") or {}
        for variant, won in (ab.get("conversions") or {}).items():
            tried = trials.get(variant)
            rate = show(won / tried if tried else None, "percent")
            of = f"{show(won, 'count')} of {show(tried, 'count')} ({rate})"
            rows.append((f"A/B conversions of {variant}", of))
    if par := details.get("parallel"):
        rows += [("answers compared", show(par.get("compared"), "count")),
                 ("answers that differ", show(par.get("disagreements"), "count")),
                 ("answers that differ (%)", show(par.get("disagreement_rate"), "percent"))]
    return rows


def show(value: Any, kind: str = "number") -> str:
    """A value of a kind (see `Figure.kind`), without its unit."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NA
    if kind == "flag" or isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "words" and isinstance(value, str):
        return value.replace("_", " ")  # rolled_back -> rolled back
    if kind == "text" or isinstance(value, str):
        return str(value)
    x = float(value)
    if kind == "count":
        return f"{x:,.0f}"
    if kind == "percent":
        return percent(x)
    if kind == "usd":
        return decimal(x, 3, least=2)
    if kind == "seconds":
        return seconds(x)
    if kind == "minutes" and x.is_integer():
        return f"{x:,.0f}"  # whole minutes, as counted
    return decimal(x, 3)  # ms, minutes (units in the header), numbers


def decimal(x: float, significant: int = 3, least: int = 0) -> str:
    """A number with `significant` digits, thousands separated, never in e-notation.

    Whole digits are never rounded away (17,036 stays 17,036); `least` decimals at least.
    """
    if x == 0 or not math.isfinite(x):
        return f"{0.0:,.{least}f}" if math.isfinite(x) else str(x)  # -0.0 is 0
    magnitude = math.floor(math.log10(abs(x)))
    places = min(12, max(least, significant - 1 - magnitude))
    if places > least and round(abs(x), places) >= 10.0 ** (magnitude + 1):
        places -= 1  # rounding gained a digit: 99.97 is "100", not "100.0"
    return f"{x:,.{places}f}"


def percent(share: float) -> str:
    """A share (0-1) as a percentage, with the digits that tell it from 0% or 100%."""
    p = 100.0 * share
    if 99.0 <= p < 100.0:  # availability: show the nines and two digits of what is missing
        places = min(9, max(1, 1 - math.floor(math.log10(100.0 - p) + 1e-9)))
        return f"{p:.{places}f}%"
    return decimal(p, 3) + "%"


def seconds(x: float) -> str:
    """A duration: "45.2 s" under a minute, else m:ss (or h:mm:ss)."""
    if abs(x) < 59.95:  # 59.96 would read "60.0 s": that is "1:00"
        return f"{decimal(x, 3)} s"
    h, rest = divmod(round(abs(x)), 3600)
    m, s = divmod(rest, 60)
    sign = "-" if x < 0 else ""
    return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"


def interval(mean: float | None, half: float | None, kind: str = "number") -> str:
    """The mean ± the half-width, the mean rounded to the half-width's second significant digit."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return NA
    if half is None or not math.isfinite(half) or half == 0:
        return show(mean, kind)
    scale = 100.0 if kind == "percent" else 1.0
    places = max(0, 1 - math.floor(math.log10(abs(half) * scale)))
    places = min(places, 12)
    m, h = mean * scale, half * scale
    unit = "%" if kind == "percent" else ""
    if kind == "seconds" and abs(mean) >= 60:
        return f"{seconds(mean)} ± {seconds(half)}"
    suffix = " s" if kind == "seconds" else ""
    return f"{m:,.{places}f}{unit}{suffix} ± {h:,.{places}f}{unit}{suffix}"


def replicated(row: Any, key: str) -> str:
    """A comparison's cell: `key`'s mean ± half-width over the replications.

    `row` maps `<key>_mean`, `<key>_ci_low` and `<key>_ci_high` (a table's row). n/a where
    no replication had the figure, or where it needs a rollback and none rolled back;
    identical replications (an interval of rounding noise) read as the plain mean.
    """
    mean = _finite(row.get(f"{key}_mean"))
    fig = figure(key, replicated=True)
    none_rolled_back = "rolled_back_mean" in row and not (_finite(row["rolled_back_mean"]) or 0)
    if mean is None or (fig.applies_when == "rolled_back" and none_rolled_back):
        return NA
    low, high = _finite(row.get(f"{key}_ci_low")), _finite(row.get(f"{key}_ci_high"))
    half = 0.0 if low is None or high is None else (high - low) / 2
    if half <= 1e-9 * max(abs(mean), 1e-300):
        half = 0.0
    return interval(mean, half, fig.kind)


def _finite(value: Any) -> float | None:
    """A number, None where there is none (None or NaN)."""
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) else x
