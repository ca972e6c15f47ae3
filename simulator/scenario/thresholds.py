"""Metric names that alarms and gates may watch, and how their thresholds are written.

Latency thresholds are durations ("200ms"); rates are numbers or percentages ("5%").
Alarms (`scenario.py`) and release gates (`gates.py`) share these, so a threshold
means the same thing wherever it is written.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from simulator.scenario.base import parse_duration
from simulator.userfiles import brief

AlarmMetric = Literal[
    "latency_p99", "latency_p95", "latency_p50", "latency_mean", "ModelLatency",
    "error_rate", "Invocation5XXErrors", "Invocation4XXErrors", "Invocations",
    "InvocationsPerInstance", "utilization",
]  # fmt: skip
LATENCY_METRICS = {"latency_p99", "latency_p95", "latency_p50", "latency_mean", "ModelLatency"}


def parse_threshold(value: Any, metric: str | None) -> float:
    """A threshold in the metric's unit: seconds for latencies, a plain number otherwise."""
    if metric in LATENCY_METRICS:
        return parse_duration(value)
    return parse_rate(value)


def parse_rate(value: Any) -> float:
    """A finite number, or a percentage such as '5%' (0.05)."""
    expected = "expected a number or a percentage like '5%'"
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{expected}, got {brief(value)}")
    try:
        if isinstance(value, str):
            text = value.strip()
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        else:
            number = float(value)
    except ValueError:
        raise ValueError(f"{expected}, got {brief(value)}") from None
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{expected} (finite), got {brief(value)}")
    return number


def threshold_validator(value: Any, info: Any) -> float:
    """Pydantic `before` validator for a `threshold` that follows a `metric` field."""
    metric = info.data.get("metric")
    if metric is None:  # the metric itself is invalid and reported; accept either form
        try:
            return parse_threshold(value, "error_rate")
        except ValueError:
            return parse_threshold(value, "latency_p99")
    return parse_threshold(value, metric)


Rate = Annotated[float, BeforeValidator(parse_rate)]
"""A share written as a number (0.01) or a percentage ('1%')."""
