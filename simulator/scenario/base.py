"""Building blocks shared by every part of the scenario schema.

`Spec` is the base of all scenario models: unknown keys are errors, with a
"did you mean" when a known key is close, because a typo in a YAML key silently
falling back to a default is the worst kind of wrong answer. Every number must be
finite (`.inf` or `.nan` would route, queue and bill as NaN without a word).
`Duration` accepts seconds or strings such as "5us", "250ms", "90s", "10m", "2h", "1d".
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from simulator.limits import MAX_INSTANCES, MAX_SECONDS, TIME_RESOLUTION
from simulator.userfiles import brief

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(us|ms|s|min|m|h|d)?\s*$")
_EXPECTED = "expected a duration such as 30, '250ms', '90s', '10m' or '2h'"


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string like '250ms', '10m', '2h' (a bare number is seconds).

    Zero, or between TIME_RESOLUTION and MAX_SECONDS: what the simulation's clock can tell apart.
    """
    if isinstance(value, bool):
        raise ValueError(f"{_EXPECTED}, got a boolean")
    try:
        if isinstance(value, int | float):
            seconds = float(value)
        elif isinstance(value, str) and (match := _DURATION.match(value)):
            seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
        else:
            raise ValueError(f"{_EXPECTED}, got {brief(value)}")
    except OverflowError:  # an int too large for a float
        seconds = math.inf
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"a duration must be a number of seconds >= 0, got {brief(value)}")
    if seconds > MAX_SECONDS:
        raise ValueError(f"a duration must be at most {MAX_SECONDS:g} s (31 years), the longest "
                         f"the clock resolves to 1 us; got {brief(value)}")  # fmt: skip
    if 0 < seconds < TIME_RESOLUTION:
        raise ValueError(f"a duration must be 0 or at least 1 us, the simulation's time "
                         f"resolution; got {brief(value)}")  # fmt: skip
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest readable form of a duration, for tables and the audit trail."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    if seconds >= 1:
        return f"{seconds:g}s"
    return f"{seconds * 1000:g}ms"


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A duration in seconds; YAML may write it as a number or a string with a unit."""


class Spec(BaseModel):
    """Base of every scenario model: frozen, strict about unknown keys, every number finite.

    `allow_inf_nan=False` reaches every float a model holds (optional, in lists, after a
    `BeforeValidator` such as Duration's or a threshold's), so no field can let one in.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            for key in data:
                if key not in known:
                    word = key if isinstance(key, str) and len(key) <= 100 else ""
                    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise ValueError(
                        f"unknown key {brief(key)}{hint}; known keys: {', '.join(sorted(known))}"
                    )
        return data


def parse_share(value: Any) -> int | float:
    """An instance count (an int) or a share of a fleet: '25%' or a fraction like 0.25."""
    expected = "expected an instance count or a percentage like '25%'"
    if isinstance(value, bool):
        raise ValueError(f"{expected}, got a boolean")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else int(text)
        except ValueError:
            raise ValueError(f"{expected}, got {brief(value)}") from None
    if isinstance(value, int):
        if not 0 <= value <= MAX_INSTANCES:
            raise ValueError(f"an instance count must be between 0 and {MAX_INSTANCES:,}, "
                             f"got {brief(value)}")  # fmt: skip
        return value
    if isinstance(value, float) and 0 <= value <= 1:
        return value
    raise ValueError(
        f"expected an instance count or a share between 0% and 100%, got {brief(value)}"
    )


def share_count(share: int | float, of: int, *, round_up: bool) -> int:
    """Instances a share stands for: counts as they are, percentages rounded like Kubernetes."""
    if isinstance(share, int):
        return share
    exact = share * of
    return math.ceil(exact - 1e-9) if round_up else math.floor(exact + 1e-9)


Share = Annotated[int | float, BeforeValidator(parse_share)]
"""An instance count (3) or a share of the fleet ('25%', 0.25)."""
